/// WebSocket (RFC 6455) framing taken off a stream, so that what a WebSocket carries is
/// dissected as an inner stream: websockify carrying RFB for noVNC (the web console of most
/// KVM-over-IP devices and many remote tools), SSH through wstunnel, DERP's WebSocket fallback,
/// RD Gateway's WebSocket transport. Binary messages are the inner stream; text, control and
/// compressed frames are skipped (a chat is not a tunnel).
///
/// Created only for flows that upgraded. Client frames are masked (§5.3): their payload is
/// unmasked into one fixed buffer made with the unwrapper, piece by piece, so no packet
/// allocates; server frames are handed on in place.
final class WebSocketUnwrapper {
    /// Unmasked bytes handed on at a time.
    static let bufferSize = 2048

    private var directions = (Deframer(), Deframer())
    private var unmasked = [UInt8](repeating: 0, count: bufferSize)

    /// Takes the framing off one chunk of the WebSocket stream (in that stream's coordinates)
    /// and passes each piece of binary payload to `deliver`, in the inner stream's coordinates.
    /// Hostile framing is counted in `metadata.parseErrors` and ends that direction.
    func unwrap(_ chunk: StreamChunk, _ metadata: FlowMetadata, _ deliver: (StreamChunk) -> Void) {
        if chunk.direction == .originator {
            directions.0.unwrap(chunk, &unmasked, metadata, deliver)
        } else {
            directions.1.unwrap(chunk, &unmasked, metadata, deliver)
        }
    }
}

/// One direction's frame reader. A header (2 to 14 bytes, §5.2) may span chunks: its bytes
/// are collected in a fixed tuple-sized store, never on the heap.
private struct Deframer {
    private enum Phase { case header, payload, stopped }

    private var phase = Phase.header
    private var header: (UInt64, UInt64) = (0, 0)
    private var headerCount = 0
    private var remaining: UInt64 = 0
    private var mask: (UInt8, UInt8, UInt8, UInt8)?
    private var maskPhase = 0
    /// The current frame's payload belongs to the inner stream.
    private var delivering = false
    /// A binary message's continuation frames are the inner stream's too.
    private var inBinaryMessage = false
    /// Inner-stream bytes handed on so far (the next piece's stream offset).
    private var delivered = 0

    mutating func unwrap(_ chunk: StreamChunk, _ buffer: inout [UInt8], _ m: FlowMetadata,
                         _ deliver: (StreamChunk) -> Void) {
        guard phase != .stopped else { return }
        // Lost bytes leave the frame boundaries unknown: nothing more can be read in order.
        guard !chunk.afterGap || chunk.streamOffset == 0 && delivered == 0 && headerCount == 0 else {
            phase = .stopped
            return
        }
        let bytes = chunk.bytes
        var pos = 0
        while pos < bytes.count {
            switch phase {
            case .stopped:
                return
            case .header:
                storeHeaderByte(bytes[pos])
                pos += 1
                guard let need = headerLength, headerCount == need else { continue }
                if !startFrame(m) { phase = .stopped; return }
            case .payload:
                let n = Int(min(remaining, UInt64(bytes.count - pos)))
                if delivering { hand(UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)]), chunk, &buffer, deliver) }
                pos += n
                remaining -= UInt64(n)
                if remaining == 0 { endFrame() }
            }
        }
    }

    /// Byte `i` of the header collected so far.
    private func headerByte(_ i: Int) -> UInt8 {
        i < 8 ? UInt8(truncatingIfNeeded: header.0 >> (8 * UInt64(i))) : UInt8(truncatingIfNeeded: header.1 >> (8 * UInt64(i - 8)))
    }

    private mutating func storeHeaderByte(_ b: UInt8) {
        if headerCount < 8 { header.0 |= UInt64(b) << (8 * UInt64(headerCount)) } else { header.1 |= UInt64(b) << (8 * UInt64(headerCount - 8)) }
        headerCount += 1
    }

    /// The whole header's length once its second byte is in (payload length code and mask bit).
    private var headerLength: Int? {
        guard headerCount >= 2 else { return nil }
        let second = headerByte(1)
        let lengthBytes: Int
        switch second & 0x7F {
        case 126: lengthBytes = 2
        case 127: lengthBytes = 8
        default: lengthBytes = 0
        }
        return 2 + lengthBytes + (second & 0x80 != 0 ? 4 : 0)
    }

    /// Reads a complete header; false when it breaks RFC 6455 (counted).
    private mutating func startFrame(_ m: FlowMetadata) -> Bool {
        let first = headerByte(0), second = headerByte(1)
        let fin = first & 0x80 != 0
        let rsv = first & 0x70
        let opcode = first & 0x0F
        var length = UInt64(second & 0x7F)
        var i = 2
        if length == 126 {
            length = UInt64(headerByte(2)) << 8 | UInt64(headerByte(3))
            i = 4
        } else if length == 127 {
            length = 0
            for k in 2..<10 { length = length << 8 | UInt64(headerByte(k)) }
            i = 10
            // §5.2: the most significant bit of a 64-bit length MUST be 0.
            guard length >> 63 == 0 else { m.parseErrors += 1; return false }
        }
        mask = second & 0x80 != 0 ? (headerByte(i), headerByte(i + 1), headerByte(i + 2), headerByte(i + 3)) : nil
        maskPhase = 0
        header = (0, 0)
        headerCount = 0
        let isControl = opcode & 0x08 != 0
        switch opcode {
        case 0x0, 0x1, 0x2, 0x8, 0x9, 0xA: break
        default: m.parseErrors += 1; return false    // §5.2: reserved opcodes fail the connection
        }
        // §5.5: control frames are short and never fragmented. RSV2 and RSV3 belong to
        // extensions nobody deploys; RSV1 marks a compressed message (permessage-deflate, RFC
        // 7692), which stays skipped because its bytes are not the inner protocol's.
        guard !isControl || fin && length <= 125, rsv & 0x30 == 0 else { m.parseErrors += 1; return false }
        if !isControl {
            if opcode != 0 { inBinaryMessage = opcode == 0x2 && rsv == 0 }
            delivering = inBinaryMessage
            if fin { inBinaryMessage = false }
        } else {
            delivering = false
        }
        remaining = length
        phase = .payload
        if remaining == 0 { endFrame() }
        return true
    }

    private mutating func endFrame() {
        phase = .header
        delivering = false
    }

    /// Hands on one run of payload: in place when unmasked, else unmasked piece by piece.
    private mutating func hand(_ payload: UnsafeRawBufferPointer, _ outer: StreamChunk, _ buffer: inout [UInt8],
                               _ deliver: (StreamChunk) -> Void) {
        guard let mask else {
            deliver(piece(payload, outer))
            return
        }
        var start = 0
        while start < payload.count {
            let n = min(payload.count - start, buffer.count)
            buffer.withUnsafeMutableBytes { out in
                for k in 0..<n {
                    let key: UInt8
                    switch (maskPhase + k) & 3 {
                    case 0: key = mask.0
                    case 1: key = mask.1
                    case 2: key = mask.2
                    default: key = mask.3
                    }
                    out[k] = payload[start + k] ^ key
                }
            }
            maskPhase = (maskPhase + n) & 3
            buffer.withUnsafeBytes { deliver(piece(UnsafeRawBufferPointer(rebasing: $0[..<n]), outer)) }
            start += n
        }
    }

    private mutating func piece(_ bytes: UnsafeRawBufferPointer, _ outer: StreamChunk) -> StreamChunk {
        defer { delivered += bytes.count }
        return StreamChunk(bytes: bytes, direction: outer.direction, timestampNs: outer.timestampNs,
                           streamOffset: delivered, afterGap: false, isDatagram: outer.isDatagram)
    }
}
