/// Link layers: the capture's framing (by pcap LINKTYPE_), Ethernet and the shims that can
/// follow it (VLAN tags, MPLS, PPPoE), and PPP.
enum LinkLayer {
    /// VLAN tags followed before a frame is given up as not IP (QinQ stacks are 2–3 deep).
    static let maxVLANTags = 8
    /// MPLS labels followed before a frame is given up as not IP.
    static let maxMPLSLabels = 16

    static let etherTypeIPv4: UInt16 = 0x0800
    static let etherTypeIPv6: UInt16 = 0x86DD
    static let etherTypeMPLSUnicast: UInt16 = 0x8847
    static let etherTypeMPLSMulticast: UInt16 = 0x8848
    static let pppIPv4: UInt16 = 0x0021
    static let pppIPv6: UInt16 = 0x0057

    /// The first step for a capture's link type.
    @inline(__always)
    static func start(_ linkType: Int32, _ c: inout DecodeCursor) -> DecodeStep {
        switch linkType {
        case LinkType.ethernet: return .ethernet
        case LinkType.raw, LinkType.raw12, LinkType.raw14: return .ip
        case LinkType.ipv4: return .ipv4
        case LinkType.ipv6: return .ipv6
        case LinkType.linuxSLL: return linuxCooked(&c, headerLength: 16, protocolAt: 14)
        case LinkType.linuxSLL2: return linuxCooked(&c, headerLength: 20, protocolAt: 0)
        case LinkType.null, LinkType.loop: return loopback(&c)
        case LinkType.ppp, LinkType.pppHDLC: return .ppp
        default: return .done(.error(.unsupportedLinkType))
        }
    }

    /// Ethernet II. The outermost Ethernet header of the frame gives the MAC addresses.
    @inline(__always)
    static func ethernet(_ c: inout DecodeCursor, _ p: inout Packet) -> DecodeStep {
        guard c.captured >= 14 else { return .done(.error(.truncatedLink)) }
        let o = c.offset
        if !p.hasMAC {
            // Two overlapping 8-byte loads, each keeping its top 48 bits; o + 14 <= end.
            p.dstMAC = c.bytes.loadBigEndianUInt64(at: o) >> 16
            p.srcMAC = c.bytes.loadBigEndianUInt64(at: o + 6) >> 16
            p.hasMAC = true
        }
        let type = c.bytes.loadBigEndianUInt16(at: o + 12)
        c.offset = o + 14
        return etherType(type, &c, &p)
    }

    /// Follows an EtherType through VLAN tags, MPLS and PPPoE to IP.
    @inline(__always)
    static func etherType(_ first: UInt16, _ c: inout DecodeCursor, _ p: inout Packet) -> DecodeStep {
        var type = first
        var tags = 0
        while true {
            switch type {
            case etherTypeIPv4: return .ipv4
            case etherTypeIPv6: return .ipv6
            case 0x8100, 0x88A8, 0x9100:
                // 802.1Q C-tag, 802.1ad S-tag, and the pre-standard 0x9100 QinQ tag.
                guard tags < maxVLANTags else { return .done(.notIP) }
                guard c.captured >= 4 else { return .done(.error(.truncatedLink)) }
                // Only the capture's own link layer names the VLANs; tags inside a tunnel
                // belong to the tunnelled network.
                if c.tunnelDepth == 0 {
                    let vid = c.bytes.loadBigEndianUInt16(at: c.offset) & 0x0FFF
                    if tags == 0 { p.vlanOuter = vid } else if tags == 1 { p.vlanInner = vid }
                }
                type = c.bytes.loadBigEndianUInt16(at: c.offset + 2)
                c.offset += 4
                tags += 1
            case etherTypeMPLSUnicast, etherTypeMPLSMulticast: return mpls(&c)
            case 0x8864: return pppoeSession(&c)
            // ARP, LLDP, PPPoE discovery, ..., and values up to 1500, which are 802.3 lengths
            // of LLC frames (STP, CDP).
            default: return .done(.notIP)
            }
        }
    }

    /// Whether `etherType` can lead to IP: IP itself, or a VLAN tag, MPLS or a PPPoE session
    /// in front of it. A tunnel checks this before it is entered, so that a frame that is
    /// not IP (ARP, LLDP, a vendor protocol) still counts on the carrier's flow.
    @inline(__always)
    static func mayCarryIP(_ type: UInt16) -> Bool {
        switch type {
        case etherTypeIPv4, etherTypeIPv6, 0x8100, 0x88A8, 0x9100, etherTypeMPLSUnicast, etherTypeMPLSMulticast, 0x8864:
            return true
        default:
            return false
        }
    }

    /// RFC 3032 label stack: 4 bytes a label, bottom-of-stack bit in the third byte. The
    /// payload's version nibble tells IPv4 from IPv6 (RFC 4385 pseudowire control words
    /// start with 0 and are not IP).
    static func mpls(_ c: inout DecodeCursor) -> DecodeStep {
        for _ in 0..<maxMPLSLabels {
            guard c.captured >= 4 else { return .done(.error(.truncatedLink)) }
            let bottom = c.bytes[c.offset + 2] & 0x01 != 0
            c.offset += 4
            if bottom { return .ip }
        }
        return .done(.notIP)
    }

    /// RFC 2516 PPPoE session stage: version/type 0x11, code 0, session id, length of the
    /// PPP frame that follows.
    static func pppoeSession(_ c: inout DecodeCursor) -> DecodeStep {
        guard c.captured >= 6 else { return .done(.error(.truncatedLink)) }
        let o = c.offset
        guard c.bytes[o] == 0x11, c.bytes[o + 1] == 0 else { return .done(.notIP) }
        let length = Int(c.bytes.loadBigEndianUInt16(at: o + 4))
        c.offset = o + 6
        guard c.limit(toLength: length) else { return .done(.error(.truncatedLink)) }
        return .ppp
    }

    /// A PPP frame (RFC 1661), optionally with the RFC 1662 0xFF03 address/control prefix.
    static func ppp(_ c: inout DecodeCursor) -> DecodeStep {
        guard let (proto, length) = pppProtocol(c.bytes, at: c.offset, end: c.end) else {
            return .done(.error(.truncatedLink))
        }
        c.offset += length
        switch proto {
        case pppIPv4: return .ipv4
        case pppIPv6: return .ipv6
        default: return .done(.notIP)
        }
    }

    /// The PPP protocol at `offset` and the bytes up to its payload: skips 0xFF03, and reads
    /// a protocol field compressed to one byte (RFC 1661 §6.5: odd first byte). nil when
    /// the bytes run out.
    @inline(__always)
    static func pppProtocol(_ b: UnsafeRawBufferPointer, at offset: Int, end: Int) -> (UInt16, Int)? {
        var o = offset
        if end - o >= 2, b[o] == 0xFF, b[o + 1] == 0x03 { o += 2 }
        guard end - o >= 1 else { return nil }
        if b[o] & 0x01 != 0 { return (UInt16(b[o]), o + 1 - offset) }
        guard end - o >= 2 else { return nil }
        return (b.loadBigEndianUInt16(at: o), o + 2 - offset)
    }

    /// Linux cooked capture: SLL (16-byte header, protocol at 14) and SLL2 (20 bytes,
    /// protocol first). The protocol is an EtherType, except values up to 1500 which name
    /// non-Ethernet payloads (802.2 LLC, CAN, netlink).
    @inline(__always)
    static func linuxCooked(_ c: inout DecodeCursor, headerLength: Int, protocolAt: Int) -> DecodeStep {
        guard c.captured >= headerLength else { return .done(.error(.truncatedLink)) }
        let proto = c.bytes.loadBigEndianUInt16(at: protocolAt)
        c.offset = headerLength
        return proto > 1500 ? .etherType(proto) : .done(.notIP)
    }

    /// BSD loopback: a 4-byte address family, in the capturing host's byte order for
    /// LINKTYPE_NULL and network order for LINKTYPE_LOOP; families fit in 16 bits, so a
    /// value with high bits set is the other byte order. AF_INET is 2 everywhere; AF_INET6
    /// is 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (Darwin).
    static func loopback(_ c: inout DecodeCursor) -> DecodeStep {
        guard c.captured >= 4 else { return .done(.error(.truncatedLink)) }
        let raw = c.bytes.loadBigEndianUInt32(at: 0)
        let family = raw > 0xFFFF ? raw.byteSwapped : raw
        c.offset = 4
        switch family {
        case 2: return .ipv4
        case 24, 28, 30: return .ipv6
        default: return .done(.notIP)
        }
    }
}
