/// One direction of an HTTP/1.x connection as a sequence of messages. It finds each head (the
/// only part it copies, into a bounded buffer, and only when the head spans segments), then
/// walks the body as the dissector framed it, handing body bytes out in place and never
/// keeping them. Pull-style: `next` returns one event at a time, so the dissector can decide a
/// body's framing (which needs the other direction's state) between the head and the body.
struct HTTPStreamReader {
    /// A head longer than this is a header flood: the direction stops (RFC 9112 leaves the
    /// limit to implementations; common servers refuse past 8–16 KiB).
    static let headLimit = 16 * 1024
    /// A chunk-size line is a hex number and rare extensions.
    static let chunkLineLimit = 1024

    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
        /// Until the connection closes (a response without length or chunking).
        case untilClose
    }

    enum Event {
        case head(HTTPHead)
        /// Body bytes (chunked framing removed), valid only until the next call.
        case body(UnsafeRawBufferPointer)
        case end
        /// Not HTTP any more (bad head, header flood, bad chunk framing): the direction stops.
        case malformed
    }

    private enum Phase {
        case head
        /// A head was returned; waiting for `expectBody`.
        case framing
        case endPending
        case length(Int)
        case chunkSize
        case chunkData(Int)
        case chunkDataEnd
        case trailers
        case untilClose
        /// Waiting for the other direction (a CONNECT or Upgrade request's answer): bytes are
        /// kept, not read, until `release` or `finish`.
        case held
        case finished
    }

    private var phase = Phase.head
    private var holdAfterBody = false
    /// A head or chunk-size line that spans segments, or held bytes.
    private var buffer = MessageBuffer(limit: headLimit)
    private var blankLine = BlankLineScanner()

    /// Bytes held for this direction (at most `headLimit`, whatever the peer sends).
    var bufferedBytes: Int { buffer.bytes.count }
    var isFinished: Bool { if case .finished = phase { return true } else { return false } }
    var isHeld: Bool { if case .held = phase { return true } else { return false } }

    /// Stops reading this direction for good and drops what it holds.
    mutating func finish() {
        phase = .finished
        buffer.clear()
    }

    /// Frames the body of the head just returned. `thenHold`: after the body, keep further
    /// bytes unread until the other direction says whether the connection switched protocols.
    mutating func expectBody(_ framing: Framing, thenHold: Bool) {
        guard case .framing = phase else { return }
        holdAfterBody = thenHold
        switch framing {
        case .none, .length(0): phase = .endPending
        case .length(let n): phase = .length(n)
        case .chunked: phase = .chunkSize
        case .untilClose: phase = .untilClose
        }
    }

    /// Ends a hold: the connection stays HTTP. Returns the bytes that arrived meanwhile, for
    /// the caller to feed back through `next`.
    mutating func release() -> [UInt8] {
        guard case .held = phase else { return [] }
        let held = buffer.bytes
        buffer.clear()
        phase = .head
        return held
    }

    /// The next event from `bytes` starting at `pos` (advanced past what was used), or nil
    /// when the bytes are used up or the direction is finished.
    mutating func next(_ bytes: UnsafeRawBufferPointer, _ pos: inout Int) -> Event? {
        while true {
            switch phase {
            case .finished:
                pos = bytes.count
                return nil
            case .framing:
                return nil
            case .endPending:
                phase = holdAfterBody ? .held : .head
                return .end
            case .held:
                if pos < bytes.count && !buffer.append(UnsafeRawBufferPointer(rebasing: bytes[pos...])) {
                    finish()    // the client kept talking past any plausible wait: not HTTP any more
                }
                pos = bytes.count
                return nil
            case .head:
                return readHead(bytes, &pos)
            case .length(let remaining):
                guard pos < bytes.count else { return nil }
                let n = min(remaining, bytes.count - pos)
                phase = n == remaining ? .endPending : .length(remaining - n)
                defer { pos += n }
                return .body(UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)]))
            case .untilClose:
                guard pos < bytes.count else { return nil }
                defer { pos = bytes.count }
                return .body(UnsafeRawBufferPointer(rebasing: bytes[pos...]))
            case .chunkSize:
                guard let line = takeLine(bytes, &pos, limit: Self.chunkLineLimit) else {
                    return isFinished ? .malformed : nil
                }
                guard let size = line.withUnsafeBytes(Self.chunkSize) else { finish(); return .malformed }
                if size == 0 {
                    blankLine.startAfterLineEnd()
                    phase = .trailers
                } else {
                    phase = .chunkData(size)
                }
            case .chunkData(let remaining):
                guard pos < bytes.count else { return nil }
                let n = min(remaining, bytes.count - pos)
                phase = n == remaining ? .chunkDataEnd : .chunkData(remaining - n)
                defer { pos += n }
                return .body(UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)]))
            case .chunkDataEnd:
                guard let line = takeLine(bytes, &pos, limit: 2) else { return isFinished ? .malformed : nil }
                guard line.isEmpty else { finish(); return .malformed }
                phase = .chunkSize
            case .trailers:
                // Trailer fields are not kept: only their end (an empty line) matters.
                guard let end = blankLine.scan(bytes, from: pos) else {
                    pos = bytes.count
                    return nil
                }
                pos = end
                blankLine = BlankLineScanner()
                phase = .endPending
            }
        }
    }

    /// Reads toward the end of a head; returns it once complete.
    private mutating func readHead(_ bytes: UnsafeRawBufferPointer, _ pos: inout Int) -> Event? {
        if buffer.isEmpty {
            // Empty lines before a message are allowed (RFC 9112 §2.2; some clients send a
            // CR LF after a POST body).
            while pos < bytes.count && (bytes[pos] == 0x0D || bytes[pos] == 0x0A) { pos += 1 }
        }
        guard pos < bytes.count else { return nil }
        let start = pos
        guard let end = blankLine.scan(bytes, from: pos) else {
            pos = bytes.count
            guard buffer.append(UnsafeRawBufferPointer(rebasing: bytes[start...])) else {
                finish()
                return .malformed
            }
            return nil
        }
        pos = end
        blankLine = BlankLineScanner()
        let head: HTTPHead?
        if buffer.isEmpty {
            head = HTTPMessageParser.parseHead(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        } else {
            guard buffer.append(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) else {
                finish()
                return .malformed
            }
            head = buffer.withBytes(HTTPMessageParser.parseHead)
            buffer.clear()
        }
        guard let head else {
            finish()
            return .malformed
        }
        phase = .framing
        return .head(head)
    }

    /// Takes one line (without CR LF) of at most `limit` bytes, collecting it across chunks in
    /// the buffer. Nil while incomplete, and nil with the direction finished when too long.
    private mutating func takeLine(_ bytes: UnsafeRawBufferPointer, _ pos: inout Int, limit: Int) -> [UInt8]? {
        let rest = bytes[pos...]
        let lf = rest.firstIndex(of: 0x0A)
        let piece = UnsafeRawBufferPointer(rebasing: bytes[pos..<(lf ?? bytes.count)])
        guard buffer.bytes.count + piece.count <= limit + 1, buffer.append(piece) else {
            finish()
            return nil
        }
        guard let lf else {
            pos = bytes.count
            return nil
        }
        pos = lf + 1
        var line = buffer.bytes
        buffer.clear()
        if line.last == 0x0D { line.removeLast() }
        return line
    }

    /// A chunk-size line: hex digits, then optional extensions after ";" (RFC 9112 §7.1.1).
    /// Nil when it is not one or the size does not fit 60 bits.
    private static func chunkSize(_ line: UnsafeRawBufferPointer) -> Int? {
        var size = 0, digits = 0, i = 0
        while i < line.count, let d = hexValue(line[i]) {
            guard digits < 15 else { return nil }
            size = size << 4 | d
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
        guard i == line.count || line[i] == UInt8(ascii: ";") else { return nil }
        return size
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c - 48)
        case 65...70: return Int(c - 55)
        case 97...102: return Int(c - 87)
        default: return nil
        }
    }
}

/// Finds the empty line that ends a head or a trailer section (LF, then CR LF or LF), across
/// chunk boundaries, without keeping the bytes it scans.
struct BlankLineScanner {
    /// 0: inside a line; 1: just after LF; 2: after LF then CR.
    private var state: UInt8 = 0

    /// Starts as if a line had just ended (trailers follow the last chunk's size line).
    mutating func startAfterLineEnd() { state = 1 }

    /// Offset just past the empty line, or nil when `bytes` from `from` do not finish one.
    mutating func scan(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        var i = from
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c == 0x0A {
                if state != 0 { return i }
                state = 1
            } else {
                state = c == 0x0D && state == 1 ? 2 : 0
            }
        }
        return nil
    }
}
