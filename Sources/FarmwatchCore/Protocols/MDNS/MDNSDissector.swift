/// Multicast DNS (RFC 6762, UDP 5353) with DNS-SD (RFC 6763), and LLMNR (RFC 4795, UDP
/// 5355): the DNS message format on well-known ports, parsed with the DNS parser. The port
/// names the protocol, the content must agree: opcode 0 and a message that parses whole
/// (LLMNR: exactly one question). Each message goes into the flow's facts; its address
/// records into the name cache (under their own names: "printer.local"); what the sender
/// says about itself — host names, addresses, service instances with their SRV and TXT
/// records — into the device table.
public enum MDNSDissector: Dissector {
    static let mdnsPort: UInt16 = 5353
    static let llmnrPort: UInt16 = 5355

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        guard p.l4Proto == IPProto.udp else { return false }
        return p.srcPort == mdnsPort || p.dstPort == mdnsPort || p.srcPort == llmnrPort || p.dstPort == llmnrPort
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        let existing = flow.metadata?.facts(StandardDissectors.mdnsSlot, as: MDNSFacts.self)
        let llmnr = flow.key.portA != mdnsPort && flow.key.portB != mdnsPort
        if existing == nil && !isPlausible(chunk.bytes, llmnr: llmnr) { return .notMine }
        let facts = existing ?? flow.facts(StandardDissectors.mdnsSlot) { MDNSFacts(llmnr: llmnr) }
        guard let m = DNSMessage(chunk.bytes) else {
            flow.metadata?.parseErrors += 1
            return .wantMore
        }
        if m.malformed { flow.metadata?.parseErrors += 1 }
        facts.add(m)
        DNSDissector.learnAddresses(chunk.bytes, ownerNames: true, into: context.names, at: chunk.timestampNs)
        noteDevice(m, llmnr: llmnr, chunk, flow, context.devices)
        return .wantMore
    }

    /// Allocates nothing: the walk validates every question and record.
    static func isPlausible(_ bytes: UnsafeRawBufferPointer, llmnr: Bool) -> Bool {
        guard var m = DNSMessageReader(bytes), m.header.opcode == 0 else { return false }
        if llmnr && m.header.questionCount != 1 { return false }
        var skipper = DNSNameSkipper()
        while m.nextRecord(name: &skipper) != nil {}
        return !m.malformed
    }

    /// The records a sender claims as its own: a response's answers and additional records,
    /// a probe's authority section (RFC 6762 §8.2). A query's answer section lists records
    /// the querier already knows about others (known-answer suppression): not its own.
    static func noteDevice(_ m: DNSMessage, llmnr: Bool, _ chunk: StreamChunk, _ flow: FlowState, _ devices: DeviceTable) {
        let response = m.header.isResponse
        let evidence: DeviceEvidence = llmnr ? (response ? .llmnrResponse : .llmnrQuery)
                                             : (response ? .mdnsResponse : .mdnsQuery)
        guard let d = devices.sender(of: chunk, in: flow, evidence) else { return }
        for r in m.records where response ? r.section != .authority : r.section == .authority {
            switch r.data {
            case .address(let a):
                d.hostNames.insert(r.name)
                d.noteAddress(a)
            case .name(let target) where r.type == DNSType.ptr:
                if isReverseName(r.name) {
                    d.hostNames.insert(target)
                } else if isServiceName(target) && !r.name.elementsEqual(serviceEnumeration) {
                    d.updateService(target) { _ in }
                }
            case .service(_, _, let port, let target):
                d.updateService(r.name) { $0.port = port; $0.target = target }
                d.hostNames.insert(target)
            case .text(let strings) where isServiceName(r.name):
                d.updateService(r.name) { $0.txt = strings }
            default:
                break
            }
        }
    }

    /// The DNS-SD meta-query name, whose PTR records list service types, not instances.
    static let serviceEnumeration = Array("_services._dns-sd._udp.local".utf8)

    /// A name with a "_tcp" or "_udp" label (a DNS-SD service type or instance).
    static func isServiceName(_ name: [UInt8]) -> Bool {
        contains(name, "._tcp.") || contains(name, "._udp.")
    }

    static func isReverseName(_ name: [UInt8]) -> Bool {
        name.count > 5 && (name.suffix(13).elementsEqual(".in-addr.arpa".utf8) || name.suffix(9).elementsEqual(".ip6.arpa".utf8))
    }

    private static func contains(_ name: [UInt8], _ part: StaticString) -> Bool {
        let p = UnsafeRawBufferPointer(start: part.utf8Start, count: part.utf8CodeUnitCount)
        guard name.count >= p.count else { return false }
        for i in 0...(name.count - p.count) where name[i] == p[0] {
            if (0..<p.count).allSatisfy({ name[i + $0] == p[$0] }) { return true }
        }
        return false
    }
}
