/// WireGuard over UDP, and the overlays built on it that can be told by content: Tailscale
/// (disco frames on the WireGuard socket). Found by content on any port: the first datagram
/// must be a WireGuard message of the right size with zero reserved bytes, or a disco frame;
/// anything else is rejected there, before any allocation. A flow is named once its packets
/// agree with each other (`WireGuardFacts.recognition`).
public enum WireGuardDissector: Dissector {
    /// Enough datagrams to see a handshake and a few transport packets each way; past this a
    /// recognised flow stops costing anything.
    static let datagramBudget: UInt32 = 64

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.udp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        guard chunk.isDatagram else { return .notMine }
        let existing = flow.metadata?.facts(StandardDissectors.wireGuardSlot, as: WireGuardFacts.self)
        let message = WireGuardMessage(chunk.bytes)
        let disco = message == nil && TailscaleDisco.matches(chunk.bytes)
        if existing == nil && message == nil && !disco { return .notMine }
        let facts = existing ?? flow.facts(StandardDissectors.wireGuardSlot) { WireGuardFacts() }
        if let message {
            facts.note(message, from: chunk.direction)
        } else if disco {
            facts.noteDisco(chunk.bytes)
        } else {
            // Not WireGuard: before recognition that ends the claim; after it, a stray
            // datagram (a STUN probe on the same socket) is only counted.
            facts.otherDatagrams &+= 1
            if facts.recognition == nil { facts.abandoned = true; return .notMine }
        }
        if facts.contradicted { facts.abandoned = true; return .notMine }
        return facts.recognition != nil && facts.datagrams >= datagramBudget ? .done : .wantMore
    }
}
