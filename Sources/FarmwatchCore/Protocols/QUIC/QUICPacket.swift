/// One long-header packet of a datagram (RFC 9000 §17.2), located but still protected: offsets
/// into the datagram, nothing copied.
struct QUICLongHeader {
    var version: QUICVersion
    var type: QUICPacketType
    var start: Int
    var dcid: Range<Int>
    var scid: Range<Int>
    /// Where the protected packet number starts (Initial, 0-RTT and Handshake packets).
    var packetNumberOffset: Int
    /// One past the packet's last byte: where the next coalesced packet starts (§12.2).
    var end: Int

    /// QUIC v1 and its drafts cap connection IDs at 20 bytes (RFC 9000 §17.2).
    static let maxConnectionIDLength = 20

    /// Parses the long header at `start`; nil when it is malformed or runs past the datagram
    /// (a truncated capture, a hostile length). Only versions with the IETF layout are read
    /// past the version field.
    static func parse(_ d: UnsafeRawBufferPointer, at start: Int) -> QUICLongHeader? {
        var r = ByteReader(d, from: start)
        guard let first = r.u8(), first & 0x80 != 0, let number = r.u32() else { return nil }
        let version = QUICVersion(number)
        guard number == 0 || version.hasIETFLongHeader else { return nil }
        guard let dcidLength = r.u8(), Int(dcidLength) <= maxConnectionIDLength || number == 0 else { return nil }
        let dcidStart = r.offset
        guard r.skip(Int(dcidLength)), let scidLength = r.u8(),
              Int(scidLength) <= maxConnectionIDLength || number == 0 else { return nil }
        let scidStart = r.offset
        guard r.skip(Int(scidLength)) else { return nil }
        var header = QUICLongHeader(version: version, type: .versionNegotiation, start: start,
                                    dcid: dcidStart..<(dcidStart + Int(dcidLength)),
                                    scid: scidStart..<(scidStart + Int(scidLength)),
                                    packetNumberOffset: r.offset, end: d.count)
        // Version Negotiation and Retry have no Length field: they fill the datagram.
        if number == 0 { return header }
        header.type = version.packetType(typeBits: (first >> 4) & 3)
        if header.type == .retry { return header }
        if header.type == .initial {
            guard let tokenLength = r.quicLength(), r.skip(tokenLength) else { return nil }
        }
        guard let length = r.quicLength() else { return nil }
        header.packetNumberOffset = r.offset
        header.end = r.offset + length
        return header
    }
}

/// Checks on whole datagrams.
enum QUICPacket {
    /// The version a flow's first datagram announces when it looks like QUIC: a long header
    /// with the fixed bit, a version farmwatch knows and connection ID lengths within the
    /// limit, or Google QUIC's older public header carrying a version. Reads a few bytes in
    /// place and allocates nothing, so it is cheap enough for every new UDP flow.
    static func claimedVersion(_ d: UnsafeRawBufferPointer) -> QUICVersion? {
        guard d.count >= 13 else { return nil }
        let first = d[0]
        if first & 0xC0 == 0xC0 {
            let version = QUICVersion(d.loadBigEndianUInt32(at: 1))
            guard version.isKnown else { return nil }
            guard version.hasIETFLongHeader else { return version }
            let dcidLength = Int(d[5])
            guard dcidLength <= QUICLongHeader.maxConnectionIDLength, 6 + dcidLength < d.count,
                  Int(d[6 + dcidLength]) <= QUICLongHeader.maxConnectionIDLength else { return nil }
            return version
        }
        // gQUIC public header (Q043 and earlier): flags with the version bit (0x01) and an
        // 8-byte connection ID (0x08), then the version as ASCII "Q0nn".
        if first & 0x80 == 0, first & 0x09 == 0x09 {
            let version = QUICVersion(d.loadBigEndianUInt32(at: 9))
            return version.kind == .googleOther ? version : nil
        }
        return nil
    }
}
