/// One WireGuard datagram (https://www.wireguard.com/protocol/, the whitepaper §5.4): a type
/// byte, three reserved bytes that must be zero, then a layout fixed by the type. Handshake
/// messages have exact sizes; transport data is a 16-byte header plus a Poly1305-sealed
/// packet padded to 16 bytes (so at least 32 bytes). Little-endian indices and counter.
enum WireGuardMessage {
    case initiation(sender: UInt32)
    case response(sender: UInt32, receiver: UInt32)
    case cookieReply(receiver: UInt32)
    case transport(receiver: UInt32, counter: UInt64)

    static let initiationSize = 148
    static let responseSize = 92
    static let cookieReplySize = 64
    static let transportMinimum = 32
    /// Counters stop at REJECT_AFTER_MESSAGES (2^64 - 2^13 - 1 in the paper; implementations
    /// rekey long before 2^60): a larger value is not a WireGuard counter.
    static let counterCeiling: UInt64 = 1 << 60

    /// Parses in place; nil when the bytes are not a WireGuard message.
    init?(_ b: UnsafeRawBufferPointer) {
        guard b.count >= Self.transportMinimum, b[1] == 0, b[2] == 0, b[3] == 0 else { return nil }
        switch b[0] {
        case 1 where b.count == Self.initiationSize:
            self = .initiation(sender: b.loadLittleEndianUInt32(at: 4))
        case 2 where b.count == Self.responseSize:
            self = .response(sender: b.loadLittleEndianUInt32(at: 4), receiver: b.loadLittleEndianUInt32(at: 8))
        case 3 where b.count == Self.cookieReplySize:
            self = .cookieReply(receiver: b.loadLittleEndianUInt32(at: 4))
        case 4:
            let counter = UInt64(b.loadLittleEndianUInt32(at: 8)) | UInt64(b.loadLittleEndianUInt32(at: 12)) << 32
            guard counter < Self.counterCeiling else { return nil }
            self = .transport(receiver: b.loadLittleEndianUInt32(at: 4), counter: counter)
        default:
            return nil
        }
    }
}
