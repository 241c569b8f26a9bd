/// Tunnels opened so that the inner packet is the one `Packet` describes: GRE (with ERSPAN
/// and PPTP), VXLAN, Geneve, GTP-U, CAPWAP data, and IP-in-IP / 6in4.
///
/// A UDP port or GRE protocol type only suggests a tunnel, so its header is validated first:
/// one that does not parse leaves the packet as the plain UDP or GRE flow it already is
/// (`.ok`, the transport fields are set). A header cut by the snap length is
/// `.truncatedTunnel`. A header that identifies itself but then contradicts itself (a GRE
/// header running past its packet, a wrong ERSPAN version, a broken GTP-U extension chain)
/// is `.badTunnel`. Errors in the inner packet are reported as that inner layer's errors.
enum Tunnels {
    /// Extension headers followed in one GTP-U header.
    static let maxGTPExtensionHeaders = 8

    /// Records the tunnel and steps over its header. The outer addresses come from the IP
    /// header just decoded, so when tunnels nest the innermost tunnel's outer header wins.
    @inline(__always)
    static func enter(
        _ kind: TunnelKind, id: UInt32, headerLength: Int, _ c: inout DecodeCursor, _ p: inout Packet,
        then next: DecodeStep
    ) -> DecodeStep {
        guard c.tunnelDepth < PacketDecoder.maxTunnelDepth else { return .done(.error(.tunnelTooDeep)) }
        c.tunnelDepth += 1
        if p.l4Proto == IPProto.udp {
            p.carrier = CarrierUDP(present: true, srcPort: p.srcPort, dstPort: p.dstPort, ipLength: p.ipLength,
                                   ttl: p.ttl, payloadWireLength: p.payloadWireLength, tunnel: p.tunnel,
                                   tunnelID: p.tunnelID, outerSrc: p.outerSrc, outerDst: p.outerDst)
        } else {
            p.carrier.present = false
        }
        p.tunnel = kind
        p.tunnelID = id
        p.outerSrc = p.src
        p.outerDst = p.dst
        c.offset += headerLength
        return next
    }

    /// A packet that does not parse as the tunnel its port or protocol suggests stays the
    /// plain UDP or GRE flow it already is.
    static var plain: DecodeStep { .done(.ok) }
    static var truncated: DecodeStep { .done(.error(.truncatedTunnel)) }
    static var bad: DecodeStep { .done(.error(.badTunnel)) }

    // MARK: UDP-borne tunnels

    @inline(__always)
    static func udp(_ c: inout DecodeCursor, _ p: inout Packet) -> DecodeStep {
        switch p.dstPort {
        case 4789, 8472: return vxlan(&c, &p)  // IANA VXLAN port; 8472 is the Linux kernel's default
        case 6081: return geneve(&c, &p)
        case 2152: return gtpU(&c, &p)
        case 5247: return capwapData(&c, &p)
        default:
            // TS 29.281 §4.4.2: G-PDUs go to 2152, but the source port may be any, and
            // some peers send from 2152 to another port. RFC 5415 §3.1: the controller
            // listens on 5247, the access point's port is its own choice.
            switch p.srcPort {
            case 2152: return gtpU(&c, &p)
            case 5247: return capwapData(&c, &p)
            default: return .done(.ok)
            }
        }
    }

    /// RFC 7348: flags with the I bit, 24 reserved bits, the 24-bit VNI, 8 reserved bits,
    /// then an Ethernet frame. The Group Based Policy extension (G bit 0x80, used by Linux on
    /// this port) puts a policy id in the first reserved bits, so those are only required to
    /// be zero without it.
    static func vxlan(_ c: inout DecodeCursor, _ p: inout Packet) -> DecodeStep {
        if let step = c.lacks(8, truncated: truncated, beyondWire: plain) { return step }
        let b = c.bytes, o = c.offset
        let word0 = b.loadBigEndianUInt32(at: o)
        let flags = UInt8(truncatingIfNeeded: word0 >> 24)
        guard flags & 0x08 != 0, flags & 0x77 == 0, flags & 0x80 != 0 || word0 & 0x00FF_FFFF == 0,
            b[o + 7] == 0
        else { return plain }
        let vni = b.loadBigEndianUInt32(at: o + 4) >> 8
        return enter(.vxlan, id: vni, headerLength: 8, &c, &p, then: .ethernet)
    }

    /// RFC 8926: version 0, option length in 4-byte words, an EtherType naming the payload
    /// (0x6558 for Ethernet), the 24-bit VNI.
    static func geneve(_ c: inout DecodeCursor, _ p: inout Packet) -> DecodeStep {
        if let step = c.lacks(8, truncated: truncated, beyondWire: plain) { return step }
        let b = c.bytes, o = c.offset
        guard b[o] >> 6 == 0 else { return plain }
        let next: DecodeStep
        switch b.loadBigEndianUInt16(at: o + 2) {
        case 0x6558: next = .ethernet
        case LinkLayer.etherTypeIPv4: next = .ipv4
        case LinkLayer.etherTypeIPv6: next = .ipv6
        default: return plain
        }
        let headerLength = 8 + Int(b[o] & 0x3F) << 2
        if let step = c.lacks(headerLength, truncated: truncated, beyondWire: plain) { return step }
        let vni = b.loadBigEndianUInt32(at: o + 4) >> 8
        return enter(.geneve, id: vni, headerLength: headerLength, &c, &p, then: next)
    }

    /// 3GPP TS 29.281 GTP-U: version 1, protocol type 1, message type 255 (G-PDU) carrying an
    /// IPv4 or IPv6 T-PDU. Any of E/S/PN adds sequence number, N-PDU number and next
    /// extension type; with E, extension headers (length in 4-byte words, next type last)
    /// follow until type 0. Other messages (echo, error indication, end marker) stay UDP.
    static func gtpU(_ c: inout DecodeCursor, _ p: inout Packet) -> DecodeStep {
        if let step = c.lacks(8, truncated: truncated, beyondWire: plain) { return step }
        let b = c.bytes, o = c.offset
        let flags = b[o]
        guard flags >> 5 == 1, flags & 0x10 != 0, b[o + 1] == 0xFF else { return plain }
        // The length counts everything after the mandatory 8 bytes.
        guard c.limit(toLength: 8 + Int(b.loadBigEndianUInt16(at: o + 2))) else { return plain }
        var headerLength = 8
        if flags & 0x07 != 0 {
            headerLength = 12
            if let step = c.lacks(headerLength, truncated: truncated, beyondWire: bad) { return step }
            if flags & 0x04 != 0 {
                var nextType = b[o + 11]
                var count = 0
                while nextType != 0 {
                    guard count < maxGTPExtensionHeaders else { return bad }
                    if let step = c.lacks(headerLength + 1, truncated: truncated, beyondWire: bad) { return step }
                    let length = Int(b[o + headerLength]) << 2
                    guard length > 0 else { return bad }
                    headerLength += length
                    if let step = c.lacks(headerLength, truncated: truncated, beyondWire: bad) { return step }
                    nextType = b[o + headerLength - 1]
                    count += 1
                }
            }
        }
        if let step = c.lacks(headerLength + 1, truncated: truncated, beyondWire: plain) { return step }
        let next: DecodeStep
        switch b[o + headerLength] >> 4 {
        case 4: next = .ipv4
        case 6: next = .ipv6
        default: return plain  // Ethernet or unstructured PDU sessions are not opened.
        }
        return enter(.gtpU, id: b.loadBigEndianUInt32(at: o + 4), headerLength: headerLength, &c, &p, then: next)
    }

    /// RFC 5415 §4.3 CAPWAP data channel: a preamble (version 0; type 0 = a CAPWAP header
    /// follows, 1 = DTLS-encrypted), then HLEN (the header's length in 4-byte words, taking
    /// in the optional radio MAC address and wireless-specific information), RID, WBID and
    /// the flags T F L W M K, then the fragment id and offset. The payload is an IEEE 802.3
    /// frame, or with T a frame in the binding's native format: 802.11 for WBID 1 (RFC 5416).
    /// An encrypted or fragmented payload cannot be read here: counted, and the packet stays
    /// the carrier's flow.
    static func capwapData(_ c: inout DecodeCursor, _ p: inout Packet) -> DecodeStep {
        if let step = c.lacks(1, truncated: truncated, beyondWire: plain) { return step }
        let b = c.bytes, o = c.offset
        switch b[o] {
        case 0x00: break
        case 0x01:
            // §4.2: 3 reserved bytes, then a DTLS record (content type 20-25, version 0xFEyy).
            if let step = c.lacks(6, truncated: truncated, beyondWire: plain) { return step }
            guard (20...25).contains(b[o + 4]), b[o + 5] == 0xFE else { return plain }
            p.tunnelNotOpened = .encrypted
            return plain
        default:
            return plain
        }
        if let step = c.lacks(8, truncated: truncated, beyondWire: plain) { return step }
        let word = b.loadBigEndianUInt32(at: o)
        let headerLength = Int((word >> 19) & 0x1F) << 2
        let bindingID = (word >> 9) & 0x1F
        let nativeFormat = word & 0x100 != 0
        let fragment = word & 0x80 != 0
        let keepAlive = word & 0x08 != 0
        guard headerLength >= 8 else { return bad }
        if let step = c.lacks(headerLength, truncated: truncated, beyondWire: bad) { return step }
        // A keep-alive carries the session id as a message element, no frame.
        if keepAlive { return plain }
        if fragment {
            p.tunnelNotOpened = .fragmented
            return plain
        }
        // Frames that cannot be IP (ARP, a controller's own protocols) stay the carrier's.
        guard nativeFormat else {
            if let step = c.lacks(headerLength + 14, truncated: truncated, beyondWire: plain) { return step }
            guard LinkLayer.mayCarryIP(b.loadBigEndianUInt16(at: o + headerLength + 12)) else { return plain }
            return enter(.capwap, id: 0, headerLength: headerLength, &c, &p, then: .ethernet)
        }
        // WBID 1 is IEEE 802.11; EPCGlobal (3) frames are not IP.
        guard bindingID == 1 else { return plain }
        switch IEEE80211.dataFrame(c, at: headerLength) {
        case .etherType(let type, let frameHeader):
            guard LinkLayer.mayCarryIP(type) else { return plain }
            // The radio id names a radio, not a tunnel, and the data header carries no tunnel
            // id: as for IP-in-IP, the inner packet alone keys the flow, so a client that moves
            // between an access point's bands stays one flow.
            return enter(.capwap, id: 0, headerLength: headerLength + frameHeader, &c, &p, then: .etherType(type))
        case .notOpened: return plain
        case .truncated: return truncated
        case .malformed: return bad
        }
    }

    // MARK: GRE

    /// GRE: RFC 2784 with RFC 2890 key and sequence number (version 0), or the RFC 2637
    /// enhanced GRE of PPTP (version 1). RFC 1701 source routing and recursion control are
    /// obsolete and not opened. The key, when present, is the tunnel id.
    static func gre(_ c: inout DecodeCursor, _ p: inout Packet) -> DecodeStep {
        if let step = c.lacks(4, truncated: truncated, beyondWire: bad) { return step }
        let b = c.bytes, o = c.offset
        let flags = b.loadBigEndianUInt16(at: o)
        let proto = b.loadBigEndianUInt16(at: o + 2)
        switch flags & 0x0007 {
        case 0:
            // Routing present, strict source route, recursion, the v1 ack bit, reserved flags.
            guard flags & 0x4FF8 == 0 else { return plain }
            var headerLength = 4
            if flags & 0x8000 != 0 { headerLength += 4 }  // checksum + reserved
            var key: UInt32 = 0
            if flags & 0x2000 != 0 {
                if let step = c.lacks(headerLength + 4, truncated: truncated, beyondWire: bad) { return step }
                key = b.loadBigEndianUInt32(at: o + headerLength)
                headerLength += 4
            }
            let hasSequence = flags & 0x1000 != 0
            if hasSequence { headerLength += 4 }
            if let step = c.lacks(headerLength, truncated: truncated, beyondWire: bad) { return step }
            switch proto {
            case LinkLayer.etherTypeIPv4, LinkLayer.etherTypeIPv6, LinkLayer.etherTypeMPLSUnicast,
                LinkLayer.etherTypeMPLSMulticast:
                return enter(.gre, id: key, headerLength: headerLength, &c, &p, then: .etherType(proto))
            case 0x6558:  // Transparent Ethernet bridging
                return enter(.gre, id: key, headerLength: headerLength, &c, &p, then: .ethernet)
            case 0x88BE:
                // ERSPAN type I has no sequence number and no ERSPAN header; type II has both.
                guard hasSequence else {
                    return enter(.erspan, id: 0, headerLength: headerLength, &c, &p, then: .ethernet)
                }
                return erspan(headerLength: headerLength, version: 1, &c, &p)
            case 0x22EB:
                return erspan(headerLength: headerLength, version: 2, &c, &p)
            default:
                return plain
            }
        case 1:
            // PPTP: key present holding payload length and call id; no checksum, routing
            // or reserved flags; protocol PPP.
            guard flags & 0xEF78 == 0x2000, proto == 0x880B else { return plain }
            var headerLength = 8
            if flags & 0x1000 != 0 { headerLength += 4 }  // sequence number
            if flags & 0x0080 != 0 { headerLength += 4 }  // acknowledgment number
            if let step = c.lacks(headerLength, truncated: truncated, beyondWire: bad) { return step }
            // Only PPP frames carrying IP are opened; LCP, CCP and MPPE-encrypted frames
            // (the usual case) stay GRE.
            guard let (pppProto, pppLength) = LinkLayer.pppProtocol(b, at: o + headerLength, end: c.end) else {
                return plain
            }
            let callID = UInt32(b.loadBigEndianUInt16(at: o + 6))
            switch pppProto {
            case LinkLayer.pppIPv4:
                return enter(.gre, id: callID, headerLength: headerLength + pppLength, &c, &p, then: .ipv4)
            case LinkLayer.pppIPv6:
                return enter(.gre, id: callID, headerLength: headerLength + pppLength, &c, &p, then: .ipv6)
            default:
                return plain
            }
        default:
            return plain
        }
    }

    /// ERSPAN (draft-foschiano-erspan) after a GRE header of `headerLength` bytes. Type II
    /// (version 1): 8-byte header. Type III (version 2): 12 bytes, plus an 8-byte platform
    /// subheader when the O bit is set, and a frame type of Ethernet (0) or IP (2). Both
    /// carry a 10-bit session id, the tunnel id.
    static func erspan(headerLength gre: Int, version: UInt8, _ c: inout DecodeCursor, _ p: inout Packet) -> DecodeStep {
        let fixed = version == 1 ? 8 : 12
        if let step = c.lacks(gre + fixed, truncated: truncated, beyondWire: bad) { return step }
        let b = c.bytes, h = c.offset + gre
        guard b[h] >> 4 == version else { return bad }
        let session = UInt32(b.loadBigEndianUInt16(at: h + 2) & 0x03FF)
        guard version == 2 else {
            return enter(.erspan, id: session, headerLength: gre + fixed, &c, &p, then: .ethernet)
        }
        let next: DecodeStep
        switch (b[h + 10] >> 2) & 0x1F {
        case 0: next = .ethernet
        case 2: next = .ip
        default: return .done(.error(.badTunnel))
        }
        let headerLength = gre + fixed + (b[h + 11] & 0x01 != 0 ? 8 : 0)
        if let step = c.lacks(headerLength, truncated: truncated, beyondWire: bad) { return step }
        return enter(.erspan, id: session, headerLength: headerLength, &c, &p, then: next)
    }
}
