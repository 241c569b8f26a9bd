/// ZeroTier over UDP, on any port. A ZeroTier path opens with HELLO, the protocol's only
/// cleartext message, so a flow is claimed on a first datagram that is a HELLO whose identity
/// names the packet's own source address (`ZeroTierHello`), and rejected otherwise. Later
/// packets are counted when their addresses are the HELLO's pair, either way round.
public enum ZeroTierDissector: Dissector {
    static let packetBudget: UInt32 = 32

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.udp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        guard chunk.isDatagram else { return .notMine }
        if let facts = flow.metadata?.facts(StandardDissectors.zeroTierSlot, as: ZeroTierFacts.self) {
            facts.note(chunk.bytes)
            return facts.packets >= packetBudget ? .done : .wantMore
        }
        guard let hello = ZeroTierHello(chunk.bytes) else { return .notMine }
        let facts = flow.facts(StandardDissectors.zeroTierSlot) { ZeroTierFacts(hello) }
        facts.note(chunk.bytes)
        return .wantMore
    }
}

/// What one ZeroTier flow showed: the HELLO's sender and destination node addresses, its
/// protocol and software versions, and how many packets travelled between the two nodes.
public final class ZeroTierFacts: FlowFacts {
    public let helloSource: UInt64
    public let helloDestination: UInt64
    public let protocolVersion: UInt8
    public let softwareVersion: String
    public private(set) var packets: UInt32 = 0
    /// Packets whose header addresses are the HELLO's pair (either direction) or a fragment to one of them.
    public private(set) var pairPackets: UInt32 = 0

    init(_ hello: ZeroTierHello) {
        helloSource = hello.header.source
        helloDestination = hello.header.destination
        protocolVersion = hello.protocolVersion
        softwareVersion = "\(hello.major).\(hello.minor).\(hello.revision)"
    }

    public var recognition: Recognition? { .payload(.zerotier, layer: Layer.relay) }

    func note(_ b: UnsafeRawBufferPointer) {
        packets &+= 1
        if let h = ZeroTierHeader(b) {
            if (h.source == helloSource && h.destination == helloDestination)
                || (h.source == helloDestination && h.destination == helloSource) { pairPackets &+= 1 }
        } else if b.count >= 16 && b[13] == ZeroTierHeader.reservedPrefix {
            let d = ZeroTierHeader.address(b, at: 8)
            if d == helloSource || d == helloDestination { pairPackets &+= 1 }
        }
    }

    public func writeJSON(to w: JSONWriter) {
        w.key("zerotier"); w.beginObject()
        w.field("hello_source", Self.hex(helloSource))
        w.field("hello_destination", Self.hex(helloDestination))
        w.field("protocol_version", protocolVersion)
        w.field("software_version", softwareVersion)
        w.field("packets", packets)
        w.field("pair_packets", pairPackets)
        w.endObject()
    }

    /// A node address as ZeroTier prints it: ten hex digits.
    static func hex(_ a: UInt64) -> String {
        Hex.string((0..<5).map { UInt8(truncatingIfNeeded: a >> (32 - 8 * UInt64($0))) })
    }
}
