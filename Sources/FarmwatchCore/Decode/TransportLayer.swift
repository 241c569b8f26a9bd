/// Transport headers: TCP, UDP, ICMP/ICMPv6, and every other IP protocol as a port-less
/// flow. IP-in-IP and GRE hand over to `Tunnels`; UDP does when its port names a tunnel.
enum TransportLayer {
    static let ipProtoIPv4: UInt8 = 4
    static let ipProtoIPv6: UInt8 = 41
    static let ipProtoGRE: UInt8 = 47

    @inline(__always)
    static func decode(_ proto: UInt8, _ c: inout DecodeCursor, _ p: inout Packet) -> DecodeStep {
        p.l4Proto = proto
        switch proto {
        case IPProto.tcp: return .done(tcp(&c, &p))
        case IPProto.udp: return udp(&c, &p)
        case IPProto.icmp, IPProto.icmpv6: return .done(icmp(proto, &c, &p))
        case ipProtoIPv4: return Tunnels.enter(.ipInIP, id: 0, headerLength: 0, &c, &p, then: .ipv4)
        case ipProtoIPv6: return Tunnels.enter(.ipv6InIP, id: 0, headerLength: 0, &c, &p, then: .ipv6)
        case ipProtoGRE:
            // A GRE packet that is not opened stays a port-less GRE flow.
            portless(&c, &p)
            return Tunnels.gre(&c, &p)
        default:
            portless(&c, &p)
            return .done(.ok)
        }
    }

    /// Any IP protocol without ports (ESP, SCTP, OSPF, no-next-header, ...): the whole IP
    /// payload is the payload. Ports are cleared because an enclosing UDP tunnel set them.
    @inline(__always)
    static func portless(_ c: inout DecodeCursor, _ p: inout Packet) {
        p.srcPort = 0
        p.dstPort = 0
        p.payload = c.rest
        p.payloadWireLength = c.onWire
    }

    /// RFC 9293 header; options parsed in place.
    @inline(__always)
    static func tcp(_ c: inout DecodeCursor, _ p: inout Packet) -> DecodeResult {
        guard c.captured >= 20 else { return .error(.truncatedTCP) }
        let b = c.bytes, o = c.offset
        let headerLength = Int(b[o + 12] >> 4) << 2
        guard headerLength >= 20, headerLength <= c.onWire else { return .error(.badTCPHeader) }
        guard headerLength <= c.captured else { return .error(.truncatedTCP) }
        p.srcPort = b.loadBigEndianUInt16(at: o)
        p.dstPort = b.loadBigEndianUInt16(at: o + 2)
        p.seq = b.loadBigEndianUInt32(at: o + 4)
        p.ack = b.loadBigEndianUInt32(at: o + 8)
        p.tcpFlags = b[o + 13]
        p.window = b.loadBigEndianUInt16(at: o + 14)
        if headerLength > 20 {
            TCPOptionsParser.parse(b, from: o + 20, to: o + headerLength, into: &p.tcpOptions)
        }
        c.offset = o + headerLength
        p.payload = c.rest
        p.payloadWireLength = c.onWire
        if isZeroPadding(p.tcpFlags, p.payload, onWire: c.onWire) {
            p.payload = UnsafeRawBufferPointer(start: nil, count: 0)
            p.payloadWireLength = 0
            p.tcpZeroPaddingIgnored = true
        }
        return .ok
    }

    /// Some stacks and NICs count the link layer's zero padding in a short segment's IP
    /// length, so a bare acknowledgement seems to carry a few zero bytes. Taken as data those
    /// would sit at the head of the stream (where the real first bytes arrive next, at the
    /// same sequence number) and count as an answer in the turnaround. A real sender pushes
    /// (PSH) the end of each write, and keep-alive probes carry at most one byte, so a
    /// segment with ACK alone and 2–7 bytes, all zero, is padding (the rule of nDPI's
    /// tcp_ack_payload heuristic).
    @inline(__always)
    static func isZeroPadding(_ flags: UInt8, _ payload: UnsafeRawBufferPointer, onWire: Int) -> Bool {
        guard flags & (TCPFlag.syn | TCPFlag.fin | TCPFlag.rst | TCPFlag.psh | TCPFlag.urg | TCPFlag.ack) == TCPFlag.ack,
              onWire >= 2, onWire <= 7, payload.count == onWire else { return false }
        for byte in payload where byte != 0 { return false }
        return true
    }

    /// RFC 768 header. The UDP length bounds the payload (IP padding falls outside); a
    /// length under 8 or over the IP payload is rejected.
    @inline(__always)
    static func udp(_ c: inout DecodeCursor, _ p: inout Packet) -> DecodeStep {
        guard c.captured >= 8 else { return .done(.error(.truncatedUDP)) }
        let b = c.bytes, o = c.offset
        let length = Int(b.loadBigEndianUInt16(at: o + 4))
        guard length >= 8, c.limit(toLength: length) else { return .done(.error(.badUDPLength)) }
        p.srcPort = b.loadBigEndianUInt16(at: o)
        p.dstPort = b.loadBigEndianUInt16(at: o + 2)
        c.offset = o + 8
        p.payload = c.rest
        p.payloadWireLength = c.onWire
        return Tunnels.udp(&c, &p)
    }

    /// ICMP (RFC 792) and ICMPv6 (RFC 4443): 8-byte header, the rest is payload. Ports are
    /// set as Zeek does so that a request and its reply make one bidirectional flow: source
    /// port = type, destination port = the counterpart type for request/reply pairs, or the
    /// code for one-way messages.
    @inline(__always)
    static func icmp(_ proto: UInt8, _ c: inout DecodeCursor, _ p: inout Packet) -> DecodeResult {
        guard c.captured >= 8 else { return .error(.truncatedICMP) }
        let type = c.bytes[c.offset]
        let code = c.bytes[c.offset + 1]
        p.icmpType = type
        p.icmpCode = code
        p.srcPort = UInt16(type)
        let counterpart = proto == IPProto.icmp ? icmpv4Counterpart(type) : icmpv6Counterpart(type)
        p.dstPort = counterpart >= 0 ? UInt16(counterpart) : UInt16(code)
        c.offset += 8
        p.payload = c.rest
        p.payloadWireLength = c.onWire
        return .ok
    }

    /// The reply type of an ICMPv4 request or the request type of a reply; -1 for one-way
    /// messages. Echo 8/0, router solicitation/advertisement 10/9 (RFC 1256), timestamp
    /// 13/14, information 15/16, address mask 17/18 (RFC 950).
    @inline(__always)
    static func icmpv4Counterpart(_ type: UInt8) -> Int {
        switch type {
        case 8: return 0
        case 0: return 8
        case 10: return 9
        case 9: return 10
        case 13: return 14
        case 14: return 13
        case 15: return 16
        case 16: return 15
        case 17: return 18
        case 18: return 17
        default: return -1
        }
    }

    /// The ICMPv6 counterpart, as Zeek pairs them: echo 128/129, MLD query/report 130/131,
    /// router 133/134, neighbor 135/136 (RFC 4861), node information 139/140 (RFC 4620),
    /// home agent address discovery 144/145 and mobile prefix 146/147 (RFC 6275).
    @inline(__always)
    static func icmpv6Counterpart(_ type: UInt8) -> Int {
        switch type {
        case 128: return 129
        case 129: return 128
        case 130: return 131
        case 131: return 130
        case 133: return 134
        case 134: return 133
        case 135: return 136
        case 136: return 135
        case 139: return 140
        case 140: return 139
        case 144: return 145
        case 145: return 144
        case 146: return 147
        case 147: return 146
        default: return -1
        }
    }
}
