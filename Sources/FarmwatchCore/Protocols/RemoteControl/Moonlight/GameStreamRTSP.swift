/// The heads of GameStream's RTSP messages (TCP 48010 by default; the port plays no part).
/// What makes them GameStream's rather than a camera's is in the header lines, as the public
/// sources write them:
///
/// - moonlight-common-c src/RtspConnection.c, initializeRtspRequest: every request the client
///   sends (OPTIONS, DESCRIBE, SETUP streamid=audio/0/0 …, ANNOUNCE, PLAY) carries
///   `X-GS-ClientVersion: <n>` (10–14, from the host's major version) right after `CSeq`;
///   src/RtspParser.c serializeRtspMessage writes `Name: value` lines ending in CR LF and a
///   blank line, then the payload.
/// - LizardByte/Sunshine src/rtsp.cpp, cmd_setup: the host's SETUP answers carry
///   `X-SS-Ping-Payload: <16 hex digits>` (audio and video) or `X-SS-Connect-Data: <decimal>`
///   (control), Sunshine's extensions; its other answers carry only `CSeq`.
///
/// A message whose head is not complete within `headLimit` bytes is not read.
enum GameStreamRTSP {
    /// Sunshine reads a plaintext message into a 2 KiB buffer (rtsp.cpp socket_t::msg_buf);
    /// the client's heads are a few hundred bytes (the SDP payload follows the blank line).
    static let headLimit = 2048
    /// Stored lengths: targets are short (`rtsp://[v6]:48010`, `streamid=control/13/0`).
    static let maxTargetBytes = 256
    static let maxVersionDigits = 4

    /// RFC 2326 §10 methods, the ones a request must start with.
    static let methods: [StaticString] = [
        "OPTIONS", "DESCRIBE", "SETUP", "ANNOUNCE", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER",
        "SET_PARAMETER", "RECORD", "REDIRECT",
    ]

    enum Opening { case request, response }

    /// What the first bytes of a direction open with: `RTSP/1.0 ` (a response) or a method and
    /// a space (a request). Runs on every TCP flow's first chunk: no allocation.
    static func opening(_ b: UnsafeRawBufferPointer) -> Opening? {
        if b.hasPrefix("RTSP/1.0 ") { return .response }
        for m in methods {
            let n = m.utf8CodeUnitCount
            if b.count > n && b[n] == 0x20 && m.withUTF8Buffer({ p in (0..<n).allSatisfy { b[$0] == p[$0] } }) {
                return .request
            }
        }
        return nil
    }

    /// Offset just past the empty line that ends the head, searching from `from` (which must
    /// leave the end of the line before it in view: a line end just before `from` is not seen).
    static func headEnd(_ b: UnsafeRawBufferPointer, from: Int = 0) -> Int? {
        var scanner = BlankLineScanner()
        return scanner.scan(b, from: max(0, from))
    }

    /// One head, with the fields that tell GameStream apart.
    struct Head {
        var isRequest: Bool
        var method: [UInt8] = []
        var target: [UInt8] = []
        var status = 0
        /// `X-GS-ClientVersion`'s digits (requests).
        var clientVersion: [UInt8]?
        /// A well-formed `X-SS-Ping-Payload` or `X-SS-Connect-Data` (responses).
        var sunshineExtension = false
    }

    /// Parses a complete head (start line to blank line). Nil when the start line is not
    /// RTSP/1.0's; header lines that are not `name: value` are skipped.
    static func parseHead(_ b: UnsafeRawBufferPointer) -> Head? {
        var lines = LineCursor(b)
        guard let start = lines.next(), var head = parseStartLine(UnsafeRawBufferPointer(rebasing: b[start])) else {
            return nil
        }
        while let line = lines.next(), !line.isEmpty {
            guard let colon = b[line].firstIndex(of: UInt8(ascii: ":")), colon > line.lowerBound else { continue }
            let name = UnsafeRawBufferPointer(rebasing: b[line.lowerBound..<colon])
            let value = UnsafeRawBufferPointer(rebasing: b[HTTPMessageParser.trimmed(b, (colon + 1)..<line.upperBound)])
            if head.isRequest {
                if head.clientVersion == nil, name.equalsIgnoringCase("x-gs-clientversion"),
                   (1...maxVersionDigits).contains(value.count), value.allSatisfy(ASCII.isDigit) {
                    head.clientVersion = Array(value)
                }
            } else if name.equalsIgnoringCase("x-ss-ping-payload") {
                // hex_vec of 8 random bytes (nvhttp.cpp make_launch_session): 16 upper-case digits.
                head.sunshineExtension = head.sunshineExtension || value.count == 16 && value.allSatisfy(isUpperHexDigit)
            } else if name.equalsIgnoringCase("x-ss-connect-data") {
                // std::to_string of a uint32.
                head.sunshineExtension = head.sunshineExtension
                    || (1...10).contains(value.count) && value.allSatisfy(ASCII.isDigit)
            }
        }
        return head
    }

    /// `METHOD SP target SP RTSP/1.0` or `RTSP/1.0 SP 3DIGIT [SP reason]`.
    private static func parseStartLine(_ text: UnsafeRawBufferPointer) -> Head? {
        if text.hasPrefix("RTSP/1.0 ") {
            guard text.count >= 12, (9..<12).allSatisfy({ ASCII.isDigit(text[$0]) }),
                  text.count == 12 || text[12] == 0x20 else { return nil }
            var head = Head(isRequest: false)
            head.status = (9..<12).reduce(0) { $0 * 10 + Int(text[$1] - 48) }
            return head
        }
        guard let sp1 = text.firstIndex(of: 0x20), sp1 > 0, text[..<sp1].allSatisfy(HTTPMessageParser.isTokenByte),
              let sp2 = text.lastIndex(of: 0x20), sp2 > sp1 + 1,
              text[(sp1 + 1)..<sp2].allSatisfy(HTTPMessageParser.isTargetByte) else { return nil }
        let version = UnsafeRawBufferPointer(rebasing: text[(sp2 + 1)...])
        guard version.count == 8, version.hasPrefix("RTSP/1.0") else { return nil }
        var head = Head(isRequest: true)
        head.method = Array(text[..<sp1].prefix(16))
        head.target = Array(text[(sp1 + 1)..<sp2].prefix(maxTargetBytes))
        return head
    }

    @inline(__always)
    static func isUpperHexDigit(_ c: UInt8) -> Bool {
        ASCII.isDigit(c) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
    }
}
