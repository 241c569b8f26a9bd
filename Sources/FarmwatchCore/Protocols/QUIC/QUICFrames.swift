/// Reads the frames of a decrypted Initial packet (RFC 9000 §19). An Initial may carry only
/// PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE (§12.4); each is skipped or handed on with
/// every length checked, and any other type ends the walk, since its length is unknowable.
///
/// Google's T050/T051 put TLS in IETF-style Initials but keep Google QUIC's frame types
/// (Wireshark's packet-gquic.c): PADDING 0x00, PING 0x07 and CRYPTO 0x08 laid out like the
/// IETF CRYPTO frame; the rest (ACK 0x40–0x7f, ...) has its own grammar, not read here.
enum QUICFrames {
    enum Dialect { case ietf, google }

    enum Outcome: Equatable {
        /// Every frame read.
        case complete
        /// A frame ran past the packet, or a length was absurd.
        case malformed
        /// A frame type an Initial may not carry (or, in the Google dialect, one not read
        /// here): the rest of the packet is not read.
        case unexpectedFrame(UInt64)
    }

    /// Walks the frames, calling `crypto` with each CRYPTO frame's stream offset and data.
    static func walk(_ payload: UnsafeRawBufferPointer, dialect: Dialect = .ietf,
                     crypto: (_ offset: UInt64, _ data: UnsafeRawBufferPointer) -> Void) -> Outcome {
        var r = ByteReader(payload)
        while !r.isAtEnd {
            // PADDING is one zero byte per frame and fills most of a client's first Initial:
            // skip runs of it without the varint decode.
            if r.peek() == 0 { _ = r.u8(); continue }
            if dialect == .google {
                guard let type = r.u8() else { return .malformed }
                switch type {
                case 0x07:                                   // PING
                    continue
                case 0x08:                                   // CRYPTO
                    guard readCrypto(&r, crypto) else { return .malformed }
                default:
                    return .unexpectedFrame(UInt64(type))
                }
                continue
            }
            guard let type = r.quicVarint() else { return .malformed }
            switch type {
            case 0x01:                                   // PING
                continue
            case 0x02, 0x03:                             // ACK, ACK with ECN counts (§19.3)
                guard skipACK(&r, ecn: type == 0x03) else { return .malformed }
            case 0x06:                                   // CRYPTO (§19.6)
                guard readCrypto(&r, crypto) else { return .malformed }
            case 0x1c, 0x1d:                             // CONNECTION_CLOSE (§19.19)
                guard r.quicVarint() != nil else { return .malformed }
                if type == 0x1c { guard r.quicVarint() != nil else { return .malformed } }
                guard let reasonLength = r.quicLength(), r.skip(reasonLength) else { return .malformed }
            default:
                return .unexpectedFrame(type)
            }
        }
        return .complete
    }

    /// Offset, Length, then the data.
    private static func readCrypto(_ r: inout ByteReader,
                                   _ crypto: (_ offset: UInt64, _ data: UnsafeRawBufferPointer) -> Void) -> Bool {
        guard let offset = r.quicVarint(), let length = r.quicLength(), let data = r.take(length) else { return false }
        crypto(offset, data)
        return true
    }

    /// Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range, the ranges (Gap and
    /// Length each), then for type 0x03 the three ECN counts. A range count the rest of the
    /// packet cannot hold (a hostile 2^62) is malformed at once, before any loop.
    private static func skipACK(_ r: inout ByteReader, ecn: Bool) -> Bool {
        guard r.quicVarint() != nil, r.quicVarint() != nil, let ranges = r.quicVarint(),
              r.quicVarint() != nil else { return false }
        // Each range takes at least two bytes.
        guard ranges <= UInt64(r.remaining / 2) else { return false }
        for _ in 0..<ranges {
            guard r.quicVarint() != nil, r.quicVarint() != nil else { return false }
        }
        if ecn {
            for _ in 0..<3 { guard r.quicVarint() != nil else { return false } }
        }
        return true
    }
}
