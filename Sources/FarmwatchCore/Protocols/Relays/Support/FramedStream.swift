/// One TCP direction cut into length-framed messages for a relay dissector whose protocol puts
/// a 2-byte length in front of each packet (OpenVPN over TCP, RFC 4571 framing of STUN/TURN)
/// or carries its own length in a fixed header (STUN over TCP). Only the first few messages
/// matter for recognition, so the buffer is small and bounded: a message longer than the
/// buffer is skipped over (its head is delivered, its tail discarded) rather than collected.
struct FramedStream {
    /// How long the message starting at the front of `bytes` is, header included: nil while
    /// too few bytes are buffered to tell, a negative value when the framing is broken.
    typealias FrameLength = (UnsafeRawBufferPointer) -> Int?

    private var buffer: MessageBuffer
    /// Bytes of an oversized message still to be thrown away.
    private var skipping = 0
    private(set) var broken = false

    init(limit: Int) { buffer = MessageBuffer(limit: limit) }

    /// Appends a chunk and hands every whole message (or the buffered head of an oversized
    /// one) to `body`. False when the framing broke (a bad length) or the stream lost bytes.
    mutating func consume(_ chunk: UnsafeRawBufferPointer, afterGap: Bool, frameLength: FrameLength,
                          _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard !broken else { return false }
        if afterGap {
            // Lost bytes: message boundaries are unknown from here on.
            broken = true
            buffer.clear()
            return false
        }
        var rest = chunk
        if skipping > 0 {
            let n = min(skipping, rest.count)
            skipping -= n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        while !rest.isEmpty {
            let room = buffer.limit - buffer.bytes.count
            let take = min(room, rest.count)
            _ = buffer.append(UnsafeRawBufferPointer(rebasing: rest[..<take]))
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if !drain(frameLength, body) { return false }
            if skipping > 0 {
                let n = min(skipping, rest.count)
                skipping -= n
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            }
        }
        return true
    }

    /// Delivers the whole messages the buffer holds; a message too long for it is delivered
    /// by its head and the rest of it is skipped.
    private mutating func drain(_ frameLength: FrameLength, _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        let limit = buffer.limit
        while true {
            let step: (deliver: Int, drop: Int)? = buffer.withBytes { raw in
                guard let length = frameLength(raw) else {
                    // Undecided: a full buffer that still cannot tell is broken framing.
                    return raw.count >= limit ? (-1, 0) : nil
                }
                guard length > 0 else { return (-1, 0) }
                if length <= raw.count { return (length, length) }
                if raw.count >= limit { return (raw.count, length) }
                return nil
            }
            guard let step else { return true }
            if step.deliver < 0 {
                broken = true
                buffer.clear()
                return false
            }
            buffer.withBytes { raw in body(UnsafeRawBufferPointer(rebasing: raw[..<step.deliver])) }
            buffer.consume(step.deliver)
            skipping = step.drop - step.deliver
            if skipping > 0 { return true }
            if buffer.isEmpty { return true }
        }
    }
}
