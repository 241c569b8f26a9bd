/// A direction within a flow, relative to its originator (Zeek's orig/resp).
public enum Direction: Int, Sendable {
    case originator = 0
    case responder = 1

    @inline(__always) public var opposite: Direction { self == .originator ? .responder : .originator }
}

/// The bidirectional identity of a flow: both endpoints in canonical order (lower address and
/// port first), the IP protocol, and the context that separates otherwise equal 5-tuples
/// (VLAN tags and the tunnel they travel in). Both directions of a conversation map to one key.
public struct FlowKey: Equatable, Sendable {
    public var addrA: IPAddress
    public var addrB: IPAddress
    public var portA: UInt16
    public var portB: UInt16
    public var proto: UInt8
    public var tunnel: TunnelKind
    public var vlanOuter: UInt16
    public var vlanInner: UInt16
    public var tunnelID: UInt32

    /// Builds the canonical key for a packet and tells whether the packet travels A→B.
    @inline(__always)
    public init(packet p: Packet, isAToB: inout Bool) {
        let srcFirst = p.src < p.dst || (p.src == p.dst && p.srcPort <= p.dstPort)
        if srcFirst {
            addrA = p.src; addrB = p.dst; portA = p.srcPort; portB = p.dstPort
        } else {
            addrA = p.dst; addrB = p.src; portA = p.dstPort; portB = p.srcPort
        }
        isAToB = srcFirst
        proto = p.l4Proto
        tunnel = p.tunnel
        vlanOuter = p.vlanOuter
        vlanInner = p.vlanInner
        tunnelID = p.tunnelID
    }

    /// A fast, well-mixed 64-bit hash (not SipHash: the table is private and bounded, and the
    /// cost of Hasher on every packet is measurable): the fields are folded with odd
    /// multipliers and rotations, then two rounds of the splitmix64 finaliser. Seeded per
    /// process to blunt crafted collisions.
    @inline(__always)
    public func hash(seed: UInt64) -> UInt64 {
        let ports = UInt64(portA) << 48 | UInt64(portB) << 32 | UInt64(proto) << 24 | UInt64(tunnel.rawValue) << 16
        let context = UInt64(vlanOuter) << 48 | UInt64(vlanInner) << 32 | UInt64(tunnelID)
        let low = (addrA.lo &* 0x9E37_79B9_7F4A_7C15) ^ FlowKey.rotate(addrB.lo &* 0xC2B2_AE3D_27D4_EB4F, 29) ^ ports
        let high = (addrA.hi &* 0x1656_67B1_9E37_79F9) ^ FlowKey.rotate(addrB.hi &* 0x27D4_EB2F_1656_67C5, 23) ^ context
        return FlowKey.mix(FlowKey.mix(seed ^ low) ^ high)
    }

    @inline(__always)
    static func rotate(_ x: UInt64, _ r: UInt64) -> UInt64 { x << r | x >> (64 - r) }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        // splitmix64 finaliser
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
