/// IPsec: IKEv1/IKEv2 over UDP (with the 4-byte zero non-ESP marker when NAT traversal moved
/// it to the ESP-in-UDP socket, RFC 3948 §2.2), ESP in UDP on a flow where IKE was seen, and
/// ESP and AH as their own IP protocols (50, 51: port-less flows whose payload is the ESP or
/// AH packet). Found by content on any port: a UDP flow's first datagram must be an IKE
/// message that validates (`IKEHeader`) or it is rejected there.
public enum IPsecDissector: Dissector {
    static let espProtocol: UInt8 = 50
    static let ahProtocol: UInt8 = 51
    /// Datagrams looked at on a recognised flow before it stops costing anything.
    static let datagramBudget: UInt32 = 64

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.udp || p.l4Proto == espProtocol || p.l4Proto == ahProtocol
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        guard chunk.isDatagram else { return .notMine }
        let b = chunk.bytes
        let existing = flow.metadata?.facts(StandardDissectors.ipsecSlot, as: IPsecFacts.self)
        switch flow.key.proto {
        case espProtocol:
            guard let esp = ESPHeader(b) else {
                if existing == nil { return .notMine }
                flow.metadata?.parseErrors += 1
                return .wantMore
            }
            let facts = existing ?? flow.facts(StandardDissectors.ipsecSlot) { IPsecFacts() }
            facts.noteESP(esp, inUDP: false)
            return facts.datagrams >= datagramBudget ? .done : .wantMore
        case ahProtocol:
            guard let ah = AHHeader(b) else {
                if existing == nil { return .notMine }
                flow.metadata?.parseErrors += 1
                return .wantMore
            }
            let facts = existing ?? flow.facts(StandardDissectors.ipsecSlot) { IPsecFacts() }
            facts.noteAH(ah)
            return facts.datagrams >= datagramBudget ? .done : .wantMore
        default:
            return udp(b, existing, &flow)
        }
    }

    /// IKE (bare or behind the non-ESP marker), then on the same flow ESP-in-UDP and
    /// NAT-keepalives (one 0xFF byte, RFC 3948 §2.3).
    private static func udp(_ b: UnsafeRawBufferPointer, _ existing: IPsecFacts?,
                            _ flow: inout FlowState) -> DissectorVerdict {
        let marked = b.count >= 4 + IKEHeader.size && b.loadBigEndianUInt32(at: 0) == 0
        let ikeBytes = marked ? UnsafeRawBufferPointer(rebasing: b[4...]) : b
        if let ike = IKEHeader(ikeBytes) {
            let facts = existing ?? flow.facts(StandardDissectors.ipsecSlot) { IPsecFacts() }
            facts.noteIKE(ike, natTraversal: marked)
            return facts.datagrams >= datagramBudget ? .done : .wantMore
        }
        guard let facts = existing else { return .notMine }
        if b.count == 1 && b[0] == 0xFF {
            facts.keepalives &+= 1
        } else if let esp = ESPHeader(b) {
            facts.noteESP(esp, inUDP: true)
        } else {
            flow.metadata?.parseErrors += 1
        }
        return facts.datagrams >= datagramBudget ? .done : .wantMore
    }
}
