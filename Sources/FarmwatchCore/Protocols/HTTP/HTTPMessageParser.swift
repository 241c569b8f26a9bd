/// The head of one HTTP/1.x message (start line and the header fields farmwatch keeps).
/// Values are bytes from the wire, each cut to a bounded length so that one flow's facts stay
/// small whatever a peer sends.
public struct HTTPHead {
    public var isRequest: Bool
    public var method: [UInt8] = []
    /// The request-target as sent (origin, absolute, authority or asterisk form).
    public var target: [UInt8] = []
    public var statusCode = 0
    public var reason: [UInt8] = []
    public var host: [UInt8]?
    public var userAgent: [UInt8]?
    public var server: [UInt8]?
    public var contentType: [UInt8]?
    public var contentEncoding: [UInt8]?
    public var upgrade: [UInt8]?
    public var contentLength: Int?
    /// Transfer-Encoding ends in "chunked".
    public var chunked = false
    /// Transfer-Encoding names other codings only: a response body then runs to the close.
    public var otherTransferCoding = false
    /// Header lines that were not `name: value` and were skipped.
    public var badLines = 0

    init(isRequest: Bool) { self.isRequest = isRequest }
}

/// Parses HTTP/1.x message heads (RFC 9112 §2–5) from bytes already known to hold a whole
/// head. Every read is bounds-checked; anything that does not fit the grammar is refused
/// (nil) rather than guessed at, except single header lines, which are skipped and counted
/// (real servers send a few odd ones and the rest of the head is still good).
public enum HTTPMessageParser {
    /// Stored lengths: a URI may be long and still matter; other values are names or short
    /// descriptions, and past a few hundred bytes they are padding or an attack.
    static let maxTargetBytes = 4096
    static let maxValueBytes = 512

    /// Methods that open a client stream: RFC 9110, WebDAV (RFC 4918, 3253, 5323, 4791), UPnP
    /// eventing and discovery, Outlook's RPC over HTTP and RD Gateway's channels ([MS-TSGU]). Detection accepts only these, so
    /// that a text protocol with a first word and a space is not mistaken for HTTP; later
    /// requests on a claimed stream may use any token.
    static let knownMethods: [StaticString] = [
        "GET", "POST", "HEAD", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
        "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT",
        "MKCALENDAR", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "M-SEARCH", "RPC_IN_DATA", "RPC_OUT_DATA",
        "RDG_IN_DATA", "RDG_OUT_DATA",
    ]

    /// Longest request-target the first-chunk check waits through before calling a stream
    /// something else (the head limit bounds it anyway; this keeps the check short).
    static let maxDetectTarget = 8192

    public enum StreamStart { case request, response, other }

    /// What the first bytes of a stream are, without allocating (this runs on every TCP flow).
    /// A request: a known method, one space, a request-target, one space and "HTTP/1." then a
    /// digit and the line end. A response: "HTTP/1.". A chunk that ends part-way through a
    /// request line that is right so far counts as a request (long URIs span segments); the
    /// full parse judges it when the head is complete.
    public static func streamStart(_ b: UnsafeRawBufferPointer) -> StreamStart {
        if b.count >= 7 && b.hasPrefix("HTTP/1.") { return .response }
        guard let method = methodLength(b) else { return .other }
        guard method < b.count else { return .request }
        var i = method + 1
        let targetStart = i
        while i < b.count && b[i] != 0x20 {
            guard isTargetByte(b[i]) else { return .other }
            i += 1
        }
        if i == b.count { return i - targetStart <= maxDetectTarget ? .request : .other }
        guard i > targetStart else { return .other }
        i += 1
        // " HTTP/1." then one digit, then CR or LF; stop at the chunk end if all matched so far.
        let version: StaticString = "HTTP/1."
        let matched = version.withUTF8Buffer { v -> Bool in
            for k in 0..<v.count where i + k < b.count {
                if b[i + k] != v[k] { return false }
            }
            return true
        }
        guard matched else { return .other }
        i += version.utf8CodeUnitCount
        if i < b.count && !ASCII.isDigit(b[i]) { return .other }
        i += 1
        if i < b.count && b[i] != 0x0D && b[i] != 0x0A { return .other }
        return .request
    }

    /// Length of the known method the buffer starts with, followed by a space, or of the one it
    /// ends inside of (nil otherwise).
    private static func methodLength(_ b: UnsafeRawBufferPointer) -> Int? {
        guard let first = b.first, first >= UInt8(ascii: "C"), first <= UInt8(ascii: "U") else { return nil }
        for m in knownMethods {
            let n = m.utf8CodeUnitCount
            let matched = m.withUTF8Buffer { p -> Bool in
                for k in 0..<min(n, b.count) where b[k] != p[k] { return false }
                return true
            }
            guard matched else { continue }
            if b.count <= n { return n }
            if b[n] == 0x20 { return n }
        }
        return nil
    }

    // MARK: Heads

    /// Parses a complete head (start line, header lines, blank line; CR LF or bare LF).
    /// Leading empty lines must already be skipped. Nil when the start line is malformed.
    public static func parseHead(_ b: UnsafeRawBufferPointer) -> HTTPHead? {
        var lines = LineCursor(b)
        guard let start = lines.next() else { return nil }
        guard var head = parseStartLine(b, start) else { return nil }
        while let line = lines.next(), !line.isEmpty {
            guard !(b[line.lowerBound] == 0x20 || b[line.lowerBound] == 0x09) else {
                continue    // obsolete line folding: a continuation of a value farmwatch does not keep
            }
            guard let colon = b[line].firstIndex(of: UInt8(ascii: ":")), colon > line.lowerBound,
                  (line.lowerBound..<colon).allSatisfy({ isTokenByte(b[$0]) }) else {
                head.badLines += 1
                continue
            }
            let name = UnsafeRawBufferPointer(rebasing: b[line.lowerBound..<colon])
            let value = trimmed(b, (colon + 1)..<line.upperBound)
            guard applyHeader(&head, name, UnsafeRawBufferPointer(rebasing: b[value])) else { return nil }
        }
        return head
    }

    /// Request line (method SP target SP HTTP/1.d) or status line (HTTP/1.d SP 3DIGIT [SP reason]).
    private static func parseStartLine(_ b: UnsafeRawBufferPointer, _ line: Range<Int>) -> HTTPHead? {
        let text = UnsafeRawBufferPointer(rebasing: b[line])
        if text.hasPrefix("HTTP/1.") {
            guard text.count >= 12, ASCII.isDigit(text[7]), text[8] == 0x20,
                  ASCII.isDigit(text[9]), ASCII.isDigit(text[10]), ASCII.isDigit(text[11]) else { return nil }
            guard text.count == 12 || text[12] == 0x20 else { return nil }
            var head = HTTPHead(isRequest: false)
            head.statusCode = Int(text[9] - 48) * 100 + Int(text[10] - 48) * 10 + Int(text[11] - 48)
            if text.count > 13 { head.reason = Array(text[13...].prefix(maxValueBytes)) }
            return head
        }
        guard let sp1 = text.firstIndex(of: 0x20), sp1 > 0,
              text[..<sp1].allSatisfy(isTokenByte) else { return nil }
        // The target runs to the last space; what follows must be the version.
        guard let sp2 = text.lastIndex(of: 0x20), sp2 > sp1 + 1,
              text[(sp1 + 1)..<sp2].allSatisfy(isTargetByte) else { return nil }
        let version = UnsafeRawBufferPointer(rebasing: text[(sp2 + 1)...])
        guard version.count == 8, version.hasPrefix("HTTP/1."), ASCII.isDigit(version[7]) else { return nil }
        var head = HTTPHead(isRequest: true)
        head.method = Array(text[..<sp1].prefix(maxValueBytes))
        head.target = Array(text[(sp1 + 1)..<sp2].prefix(maxTargetBytes))
        return head
    }

    /// Keeps one header field if farmwatch wants it (the first of each name wins, as for
    /// Zeek's log fields). False when the field makes the message's framing unknowable.
    private static func applyHeader(_ head: inout HTTPHead, _ name: UnsafeRawBufferPointer,
                                    _ value: UnsafeRawBufferPointer) -> Bool {
        func keep(_ slot: inout [UInt8]?) {
            if slot == nil { slot = Array(value.prefix(maxValueBytes)) }
        }
        switch name.count {
        case 4 where name.equalsIgnoringCase("host"): keep(&head.host)
        case 6 where name.equalsIgnoringCase("server"): keep(&head.server)
        case 7 where name.equalsIgnoringCase("upgrade"): keep(&head.upgrade)
        case 10 where name.equalsIgnoringCase("user-agent"): keep(&head.userAgent)
        case 12 where name.equalsIgnoringCase("content-type"): keep(&head.contentType)
        case 16 where name.equalsIgnoringCase("content-encoding"): keep(&head.contentEncoding)
        case 14 where name.equalsIgnoringCase("content-length"):
            // Two different lengths leave the body's end unknowable (RFC 9112 §6.3): refuse.
            guard let n = decimal(value), head.contentLength == nil || head.contentLength == n else { return false }
            head.contentLength = n
        case 17 where name.equalsIgnoringCase("transfer-encoding"):
            let last = value.lastIndex(of: UInt8(ascii: ",")).map { $0 + 1 } ?? 0
            let coding = UnsafeRawBufferPointer(rebasing: value[trimmed(value, last..<value.count)])
            if coding.count == 7 && coding.equalsIgnoringCase("chunked") { head.chunked = true } else { head.otherTransferCoding = true }
        default: break
        }
        return true
    }

    // MARK: Pieces

    /// A non-negative decimal of at most 18 digits (no sign, no spaces), else nil.
    static func decimal(_ b: UnsafeRawBufferPointer) -> Int? {
        guard !b.isEmpty, b.count <= 18 else { return nil }
        var n = 0
        for c in b {
            guard ASCII.isDigit(c) else { return nil }
            n = n * 10 + Int(c - 48)
        }
        return n
    }

    /// `range` without leading and trailing spaces and tabs.
    static func trimmed(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi && (b[lo] == 0x20 || b[lo] == 0x09) { lo += 1 }
        while hi > lo && (b[hi - 1] == 0x20 || b[hi - 1] == 0x09) { hi -= 1 }
        return lo..<hi
    }

    /// RFC 9110 tchar.
    static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), 48...57: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }

    /// A request-target byte: visible ASCII, and bytes above 0x7F, which real clients send
    /// unescaped (UTF-8 paths) and servers accept.
    @inline(__always) static func isTargetByte(_ c: UInt8) -> Bool { c > 0x20 && c != 0x7F }
}

/// Splits a buffer into lines ending in LF, with a CR before the LF dropped. A last line
/// without LF is returned too (a head's bytes always end in one, so that never matters).
/// Shared with the other text protocols read by heads of lines (GameStream's RTSP).
struct LineCursor {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func next() -> Range<Int>? {
        guard offset < bytes.count else { return nil }
        let start = offset
        var end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
        offset = end + 1
        if end > start && bytes[end - 1] == 0x0D { end -= 1 }
        return start..<end
    }
}

extension UnsafeRawBufferPointer {
    /// True when the buffer is the ASCII text `lowercase`, ignoring the case of ASCII letters.
    func equalsIgnoringCase(_ lowercase: StaticString) -> Bool {
        guard count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { p in
            for i in 0..<count where ASCII.lower(self[i]) != p[i] { return false }
            return true
        }
    }

    /// Offset of the first occurrence of the lowercase ASCII text `needle` at or after `from`,
    /// ignoring the case of ASCII letters.
    func firstIndexIgnoringCase(of needle: StaticString, from: Int = 0) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard n > 0, from >= 0, count - from >= n else { return nil }
        return needle.withUTF8Buffer { p in
            outer: for i in from...(count - n) {
                for k in 0..<n where ASCII.lower(self[i + k]) != p[k] { continue outer }
                return i
            }
            return nil
        }
    }
}
