/// One direction of DNS over TCP: messages framed by a two-byte length (RFC 1035 §4.2.2,
/// RFC 7766), which may span segments or share one. Whole messages in a chunk are parsed in
/// place; only a message cut by a segment boundary is copied, so the buffer never holds more
/// than one message (at most 2 + 65,535 bytes).
struct DNSStream {
    static let bufferLimit = 2 + 65_535

    private var buffer = MessageBuffer(limit: DNSStream.bufferLimit)
    /// The framing was lost (a gap, or a length too short for a header): the side stops.
    private(set) var broken = false

    /// Splits `bytes` into messages and hands each to `message`. False when the framing
    /// turned out broken here (a parse error).
    mutating func consume(_ bytes: UnsafeRawBufferPointer, _ message: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard !broken else { return true }
        var rest = bytes
        while !rest.isEmpty {
            if buffer.isEmpty {
                // Whole messages straight from the chunk.
                guard rest.count >= 2 else { break }
                let length = Int(rest.loadBigEndianUInt16(at: 0))
                guard length >= 12 else { return fail() }
                guard rest.count >= 2 + length else { break }
                message(UnsafeRawBufferPointer(rebasing: rest[2..<(2 + length)]))
                rest = UnsafeRawBufferPointer(rebasing: rest[(2 + length)...])
            } else {
                // Complete the buffered message with just the bytes it still needs.
                let have = buffer.bytes.count
                let need = have < 2 ? 2 - have : 2 + Int(buffer.bytes[0]) << 8 + Int(buffer.bytes[1]) - have
                let take = min(need, rest.count)
                _ = buffer.append(UnsafeRawBufferPointer(rebasing: rest[..<take]))
                rest = UnsafeRawBufferPointer(rebasing: rest[take...])
                guard buffer.bytes.count >= 2 else { continue }
                let length = Int(buffer.bytes[0]) << 8 + Int(buffer.bytes[1])
                guard length >= 12 else { return fail() }
                if buffer.bytes.count == 2 + length {
                    buffer.withBytes { message(UnsafeRawBufferPointer(rebasing: $0[2...])) }
                    buffer.clear()
                }
            }
        }
        // A partial message waits for the next segment (never more than one message).
        if !rest.isEmpty { _ = buffer.append(rest) }
        return true
    }

    /// Bytes were lost before this point: the framing cannot be recovered.
    mutating func lose() {
        broken = true
        buffer.clear()
    }

    private mutating func fail() -> Bool {
        lose()
        return false
    }
}
