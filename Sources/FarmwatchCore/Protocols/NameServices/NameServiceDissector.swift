/// The two cheap LAN name services: NBNS (UDP 137) and SSDP (UDP 1900). Their ports name
/// them, their content must agree (an NBNS message whose names decode, an SSDP start line).
/// Each message goes into the flow's facts (`NBNSFacts` or `SSDPFacts` in the one slot);
/// what the sender says about itself into the device table: the NetBIOS names it registers
/// or answers for, the SERVER and LOCATION a UPnP device announces.
public enum NameServiceDissector: Dissector {
    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        guard p.l4Proto == IPProto.udp else { return false }
        return p.srcPort == NBNSMessage.port || p.dstPort == NBNSMessage.port
            || p.srcPort == SSDPMessage.port || p.dstPort == SSDPMessage.port
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        if flow.key.portA == NBNSMessage.port || flow.key.portB == NBNSMessage.port {
            return feedNBNS(chunk, &flow, context)
        }
        return feedSSDP(chunk, &flow, context)
    }

    static func feedNBNS(_ chunk: StreamChunk, _ flow: inout FlowState, _ context: DissectorContext) -> DissectorVerdict {
        let existing = flow.metadata?.facts(StandardDissectors.nameServiceSlot, as: NBNSFacts.self)
        guard let m = NBNSMessage(chunk.bytes) else {
            if existing == nil { return .notMine }
            flow.metadata?.parseErrors += 1
            return .wantMore
        }
        let facts = existing ?? flow.facts(StandardDissectors.nameServiceSlot) { NBNSFacts() }
        if m.malformed { flow.metadata?.parseErrors += 1 }
        facts.add(m)
        noteDevice(m, chunk, flow, context.devices)
        return .wantMore
    }

    /// A host's own unique names (suffix 0x00 workstation or 0x20 server): those it
    /// registers or refreshes, and those it answers for with its own address.
    static func noteDevice(_ m: NBNSMessage, _ chunk: StreamChunk, _ flow: FlowState, _ devices: DeviceTable) {
        let sender = chunk.direction == .originator ? flow.originatorAddress : flow.responderAddress
        let registering = !m.isResponse && m.opcode != 0 && m.opcode != 6
        let evidence: DeviceEvidence = registering ? .nbnsRegistration : (m.isResponse ? .nbnsResponse : .nbnsQuery)
        guard let d = devices.sender(of: chunk, in: flow, evidence) else { return }
        guard registering || (m.isResponse && m.opcode == 0 && m.rcode == 0) else { return }
        for n in m.names where !n.group && (n.suffix == 0x00 || n.suffix == 0x20) && n.address == sender && !n.name.isEmpty {
            d.netbiosNames.insert(n.name)
        }
    }

    static func feedSSDP(_ chunk: StreamChunk, _ flow: inout FlowState, _ context: DissectorContext) -> DissectorVerdict {
        let existing = flow.metadata?.facts(StandardDissectors.nameServiceSlot, as: SSDPFacts.self)
        guard let m = SSDPMessage(chunk.bytes) else {
            if existing == nil { return .notMine }
            flow.metadata?.parseErrors += 1
            return .wantMore
        }
        let facts = existing ?? flow.facts(StandardDissectors.nameServiceSlot) { SSDPFacts() }
        facts.add(m)
        let evidence: DeviceEvidence = m.kind == .notify ? .ssdpNotify : (m.kind == .search ? .ssdpSearch : .ssdpResponse)
        guard let d = context.devices.sender(of: chunk, in: flow, evidence), m.kind != .search else { return .wantMore }
        d.ssdpServer = m.server ?? d.ssdpServer
        if let l = m.location { d.ssdpLocations.insert(l) }
        return .wantMore
    }
}
