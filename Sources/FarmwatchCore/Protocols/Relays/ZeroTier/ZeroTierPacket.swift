/// The ZeroTier VL1 packet header and its one cleartext message, HELLO (zerotier/ZeroTierOne
/// node/Packet.hpp: ZT_PACKET_IDX_* and VERB_HELLO; node/Identity.hpp serialize()):
///   [0..7] packet id / IV, [8..12] destination address, [13..17] source address,
///   [18] flags FFCCCHHH (cipher suite C, hop count H), [19..26] MAC, [27] verb (low 5 bits),
///   then for HELLO (cipher suite 0, authenticated but not encrypted): protocol version,
///   major, minor, 2-byte revision, 8-byte timestamp, and the sender's identity: its 5-byte
///   address, key type 0 (C25519), 64 bytes of public keys, a 1-byte private key length (0 on
///   the wire). Addresses starting 0xFF are reserved (a fragment's marker sits there).
struct ZeroTierHeader {
    static let minimumSize = 28
    static let reservedPrefix: UInt8 = 0xFF

    let destination: UInt64
    let source: UInt64
    let cipher: UInt8

    init?(_ b: UnsafeRawBufferPointer) {
        guard b.count >= Self.minimumSize, b[8] != Self.reservedPrefix, b[13] != Self.reservedPrefix else { return nil }
        destination = Self.address(b, at: 8)
        source = Self.address(b, at: 13)
        cipher = (b[18] >> 3) & 7
        guard destination != 0, source != 0, destination != source, cipher <= 3 else { return nil }
    }

    static func address(_ b: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in offset..<(offset + 5) { v = v << 8 | UInt64(b[i]) }
        return v
    }
}

struct ZeroTierHello {
    static let verb: UInt8 = 0x01
    static let identityOffset = 28 + 13
    /// Identity: address 5, key type 1, public keys 64, private key length 1.
    static let minimumSize = identityOffset + 5 + 1 + 64 + 1
    /// ZT_PROTO_VERSION_MIN is 4; the protocol version has only ever been incremented slowly.
    static let protocolVersions: ClosedRange<UInt8> = 4...31

    let header: ZeroTierHeader
    let protocolVersion: UInt8
    let major: UInt8, minor: UInt8, revision: UInt16

    init?(_ b: UnsafeRawBufferPointer) {
        guard b.count >= Self.minimumSize, let h = ZeroTierHeader(b), h.cipher == 0,
              b[27] & 0x1F == Self.verb, Self.protocolVersions.contains(b[28]) else { return nil }
        // The identity is the sender's own: its address must be the packet's source.
        guard ZeroTierHeader.address(b, at: Self.identityOffset) == h.source,
              b[Self.identityOffset + 5] == 0, b[Self.identityOffset + 5 + 1 + 64] == 0 else { return nil }
        header = h
        protocolVersion = b[28]
        major = b[29]
        minor = b[30]
        revision = b.loadBigEndianUInt16(at: 31)
    }
}
