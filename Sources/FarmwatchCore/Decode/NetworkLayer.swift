/// IPv4 and IPv6 headers, the IPv6 extension-header chain, and the hand-off of fragments to
/// the reassembler.
enum NetworkLayer {
    /// IPv6 extension headers followed before the chain is rejected as `.badIPv6Header`
    /// (RFC 8200 puts no bound on it; real packets carry at most a handful).
    static let maxIPv6ExtensionHeaders = 10

    /// Raw-IP framings and MPLS carry no protocol field: the version nibble decides.
    @inline(__always)
    static func sniffVersion(_ c: inout DecodeCursor) -> DecodeStep {
        guard c.captured >= 1 else { return .done(.error(.truncatedLink)) }
        switch c.bytes[c.offset] >> 4 {
        case 4: return .ipv4
        case 6: return .ipv6
        default: return .done(.notIP)
        }
    }

    /// RFC 791 header.
    @inline(__always)
    static func ipv4(_ c: inout DecodeCursor, _ p: inout Packet, _ fragments: inout FragmentReassembler) -> DecodeStep {
        guard c.captured >= 20 else { return .done(.error(.truncatedIPv4)) }
        let b = c.bytes, o = c.offset
        let versionIHL = b[o]
        let headerLength = Int(versionIHL & 0x0F) << 2
        guard versionIHL >> 4 == 4, headerLength >= 20 else { return .done(.error(.badIPv4Header)) }
        var totalLength = Int(b.loadBigEndianUInt16(at: o + 2))
        if totalLength == 0 {
            // A sender's own capture of a TCP segmentation offload super-packet carries total
            // length 0; like Wireshark, take the datagram to run to the end of the frame.
            totalLength = c.onWire
        }
        guard totalLength >= headerLength else { return .done(.error(.badIPv4Header)) }
        guard headerLength <= c.captured, c.limit(toLength: totalLength) else {
            return .done(.error(.truncatedIPv4))
        }
        let proto = b[o + 9]
        p.ipVersion = 4
        p.ttl = b[o + 8]
        p.ipID = UInt32(b.loadBigEndianUInt16(at: o + 4))
        p.src = IPAddress(v4At: o + 12, in: b)
        p.dst = IPAddress(v4At: o + 16, in: b)
        p.ipLength = totalLength
        p.reassembled = false
        c.offset = o + headerLength
        let flagsOffset = b.loadBigEndianUInt16(at: o + 6)
        // MF set or a non-zero offset makes a fragment; DF (0x4000) and the reserved bit don't.
        guard flagsOffset & 0x3FFF == 0 else {
            let more = flagsOffset & 0x2000 != 0
            // RFC 791: every fragment but the last carries a multiple of 8 data bytes.
            if more && (c.onWire == 0 || c.onWire & 7 != 0) { return .done(.error(.badIPv4Header)) }
            return reassemble(
                proto, version: 4, id: p.ipID, offset: Int(flagsOffset & 0x1FFF) << 3, more: more,
                headerLength: headerLength, truncated: .truncatedIPv4, &c, &p, &fragments)
        }
        return .transport(proto)
    }

    /// RFC 8200 fixed header, then the extension-header chain.
    @inline(__always)
    static func ipv6(_ c: inout DecodeCursor, _ p: inout Packet, _ fragments: inout FragmentReassembler) -> DecodeStep {
        guard c.captured >= 40 else { return .done(.error(.truncatedIPv6)) }
        let b = c.bytes, o = c.offset
        guard b[o] >> 4 == 6 else { return .done(.error(.badIPv6Header)) }
        let totalLength = 40 + Int(b.loadBigEndianUInt16(at: o + 4))
        guard c.limit(toLength: totalLength) else { return .done(.error(.truncatedIPv6)) }
        p.ipVersion = 6
        p.ttl = b[o + 7]
        p.ipID = 0
        p.src = IPAddress(v6At: o + 8, in: b)
        p.dst = IPAddress(v6At: o + 24, in: b)
        p.ipLength = totalLength
        p.reassembled = false
        c.offset = o + 40
        return ipv6Extensions(b[o + 6], ipStart: o, &c, &p, &fragments)
    }

    /// Walks hop-by-hop, routing, destination options, fragment, AH and mobility headers to
    /// the upper-layer protocol. ESP (50) and no-next-header (59) end the walk like any
    /// upper layer: nothing after them can be read.
    static func ipv6Extensions(
        _ first: UInt8, ipStart: Int, _ c: inout DecodeCursor, _ p: inout Packet,
        _ fragments: inout FragmentReassembler
    ) -> DecodeStep {
        var next = first
        for _ in 0...maxIPv6ExtensionHeaders {
            let length: Int
            switch next {
            case 0, 43, 60, 135, 51:
                if let e = c.lacks(2, truncated: DecodeError.truncatedIPv6, beyondWire: .badIPv6Header) { return .done(.error(e)) }
                let units = Int(c.bytes[c.offset + 1])
                // Hop-by-hop, routing, destination options and mobility (RFC 6275) count
                // 8-octet units after the first 8; AH (RFC 4302) counts 4-octet units minus 2.
                length = next == 51 ? (units + 2) << 2 : (units + 1) << 3
            case 44:
                if let e = c.lacks(8, truncated: DecodeError.truncatedIPv6, beyondWire: .badIPv6Header) { return .done(.error(e)) }
                // A fragment header inside reassembled data would be a fragment of a fragment.
                guard !p.reassembled else { return .done(.error(.badIPv6Header)) }
                let b = c.bytes, o = c.offset
                let fragmentNext = b[o]
                let offsetFlags = b.loadBigEndianUInt16(at: o + 2)
                p.ipID = b.loadBigEndianUInt32(at: o + 4)
                c.offset = o + 8
                next = fragmentNext
                // RFC 6946: offset 0 without M is an atomic fragment, decoded as it stands.
                if offsetFlags & 0xFFF9 == 0 { continue }
                let more = offsetFlags & 0x0001 != 0
                // RFC 8200 §4.5: every fragment but the last is a multiple of 8 bytes long.
                if more && (c.onWire == 0 || c.onWire & 7 != 0) { return .done(.error(.badIPv6Header)) }
                let step = reassemble(
                    fragmentNext, version: 6, id: p.ipID, offset: Int(offsetFlags & 0xFFF8), more: more,
                    headerLength: o - ipStart, truncated: .truncatedIPv6, &c, &p, &fragments)
                // Reassembled: the headers after the fragment header are in the datagram.
                guard case .transport = step else { return step }
                continue
            default:
                return .transport(next)
            }
            if let e = c.lacks(length, truncated: DecodeError.truncatedIPv6, beyondWire: .badIPv6Header) { return .done(.error(e)) }
            next = c.bytes[c.offset]
            c.offset += length
        }
        return .done(.error(.badIPv6Header))
    }

    /// Hands the fragment at the cursor to the reassembler. The completing fragment moves
    /// the cursor into the reassembled datagram (the bytes after the IP header, or after the
    /// IPv6 fragment header) and continues with `proto`.
    static func reassemble(
        _ proto: UInt8, version: UInt8, id: UInt32, offset: Int, more: Bool, headerLength: Int,
        truncated: DecodeError, _ c: inout DecodeCursor, _ p: inout Packet,
        _ fragments: inout FragmentReassembler
    ) -> DecodeStep {
        // A fragment cut by the snap length cannot be put back together.
        guard c.end == c.wireEnd else { return .done(.error(truncated)) }
        let key = FragmentReassembler.Key(src: p.src, dst: p.dst, id: id, proto: proto, version: version)
        switch fragments.insert(
            key, offset: offset, data: c.rest, isLast: !more, headerLength: headerLength, now: p.timestampNs)
        {
        case .held:
            return .done(.fragmentHeld)
        case .failed(let error):
            return .done(.error(error))
        case .complete(let datagram, let datagramHeaderLength):
            c.switchTo(datagram)
            p.reassembled = true
            p.ipLength = datagramHeaderLength + datagram.count
            return .transport(proto)
        }
    }
}
