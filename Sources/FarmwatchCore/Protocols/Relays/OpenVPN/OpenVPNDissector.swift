/// OpenVPN over UDP and TCP (TCP puts a 2-byte length in front of each packet), with or
/// without tls-auth/tls-crypt protection of the control channel. Found by content on any
/// port: each side's first packet must be a hard reset (key id 0, a sane size); the flow is
/// named once the session ids agree (`OpenVPNFacts.recognition`). XOR-scrambled
/// ("obfuscated") OpenVPN has no clear header; its opcode pattern is followed beside
/// (`OpenVPNOpcodePattern`).
public enum OpenVPNDissector: Dissector {
    /// Packets looked at before giving up on a flow that never agreed, and after which a
    /// recognised flow stops costing anything.
    static let packetBudget: UInt32 = 24
    static let tcpBufferLimit = 2048

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.udp || p.l4Proto == IPProto.tcp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        // The scrambled-header pattern follows the flow's first messages beside the clear
        // header's checks, and is all that is left once those fail.
        flow.openVPNOpcodes.feed(chunk)
        let existing = flow.metadata?.facts(StandardDissectors.openVPNSlot, as: OpenVPNFacts.self)
        if existing == nil {
            guard !flow.openVPNOpcodes.clearHeaderRejected, opensWithReset(chunk) else {
                flow.openVPNOpcodes.clearHeaderRejected = true
                return flow.openVPNOpcodes.isDecided ? .notMine : .wantMore
            }
        } else if existing!.abandoned {
            return flow.openVPNOpcodes.isDecided ? .notMine : .wantMore
        }
        let facts = existing ?? flow.facts(StandardDissectors.openVPNSlot) { OpenVPNFacts(tcp: !chunk.isDatagram) }
        let side = chunk.direction
        if chunk.isDatagram {
            facts.note(chunk.bytes, from: side)
        } else {
            let ok = facts.streams![side.rawValue].consume(chunk.bytes, afterGap: chunk.afterGap,
                                                          frameLength: Self.tcpFrameLength) {
                facts.note(UnsafeRawBufferPointer(rebasing: $0[2...]), from: side)
            }
            if !ok && facts.recognition == nil { facts.abandoned = true }
        }
        if facts.packets >= packetBudget && facts.recognition == nil { facts.abandoned = true }
        if facts.abandoned { return flow.openVPNOpcodes.isDecided ? .notMine : .wantMore }
        return facts.packets >= packetBudget ? .done : .wantMore
    }

    /// Decides on the first payload without allocating: it must open with a hard reset.
    private static func opensWithReset(_ chunk: StreamChunk) -> Bool {
        if chunk.isDatagram { return OpenVPNPacket.isOpeningReset(chunk.bytes) }
        guard chunk.streamOffset == 0, !chunk.afterGap, chunk.bytes.count >= 3 else { return false }
        let length = Int(chunk.bytes.loadBigEndianUInt16(at: 0))
        return length >= OpenVPNPacket.minimumReset && length <= OpenVPNPacket.maximumReset
            && OpenVPNPacket.isOpeningReset(UnsafeRawBufferPointer(rebasing: chunk.bytes[2..<min(chunk.bytes.count, 2 + length)]))
    }

    /// TCP framing: a 2-byte length, then the packet.
    static let tcpFrameLength: FramedStream.FrameLength = { raw in
        guard raw.count >= 2 else { return nil }
        let n = Int(raw.loadBigEndianUInt16(at: 0))
        return n == 0 ? -1 : 2 + n
    }
}
