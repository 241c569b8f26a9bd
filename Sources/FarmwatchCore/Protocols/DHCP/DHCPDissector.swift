/// DHCPv4 (found by its magic cookie, whatever the ports) and DHCPv6 (ports 546/547 and a
/// message that parses exactly): each message into the flow's transactions, and what a client
/// says about itself — host name, FQDN, vendor class, parameter list, client id — plus the
/// address a server acknowledges into the device table, keyed by the client's hardware
/// address (chaddr, or the MAC inside a DHCPv6 DUID) rather than the frame's, since a relay
/// may have forwarded it.
public enum DHCPDissector: Dissector {
    static let v6ClientPort: UInt16 = 546
    static let v6ServerPort: UInt16 = 547

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.udp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        let bytes = chunk.bytes
        var facts = flow.metadata?.facts(StandardDissectors.dhcpSlot, as: DHCPFacts.self)
        var v6: DHCPv6Message?
        if facts == nil {
            if DHCPv4Message.looksLikeDHCP(bytes) {
                facts = flow.facts(StandardDissectors.dhcpSlot) { DHCPFacts(version: 4) }
            } else if isV6Port(flow.key.portA) || isV6Port(flow.key.portB), let m = DHCPv6Message(bytes) {
                v6 = m
                facts = flow.facts(StandardDissectors.dhcpSlot) { DHCPFacts(version: 6) }
            } else {
                return .notMine
            }
        }
        guard let facts else { return .notMine }
        if facts.version == 4 {
            guard let m = DHCPv4Message(bytes) else {
                flow.metadata?.parseErrors += 1
                return .wantMore
            }
            if m.malformed { flow.metadata?.parseErrors += 1 }
            facts.add(m, at: chunk.timestampNs)
            noteDevice(m, chunk, flow, context.devices)
        } else {
            guard let m = v6 ?? DHCPv6Message(bytes) else {
                flow.metadata?.parseErrors += 1
                return .wantMore
            }
            let mac = clientMAC(m, chunk, flow)
            facts.add(m, mac: mac, at: chunk.timestampNs)
            noteDevice(m, mac: mac, chunk, flow, context.devices)
        }
        return .wantMore
    }

    @inline(__always)
    static func isV6Port(_ port: UInt16) -> Bool { port == v6ClientPort || port == v6ServerPort }

    /// A client's own view of itself, from its DISCOVER/REQUEST/INFORM…, and the address a
    /// server's ACK gives it.
    static func noteDevice(_ m: DHCPv4Message, _ chunk: StreamChunk, _ flow: FlowState, _ devices: DeviceTable) {
        let ts = chunk.timestampNs
        if m.isFromClient {
            let mac = m.clientMAC != 0 || m.relayed ? m.clientMAC : flow[chunk.direction].mac
            guard let d = devices.device(mac: mac, address: m.clientAddress, at: ts, .dhcpClient) else { return }
            var p = d.dhcp ?? DHCPClientProfile()
            if let h = m.hostName.map(trimmed), !h.isEmpty { p.hostName = h; d.hostNames.insert(h) }
            if let f = m.fqdn, !f.isEmpty { p.fqdn = f; d.hostNames.insert(f) }
            p.vendorClass = m.vendorClass.map(trimmed) ?? p.vendorClass
            p.parameterList = m.parameterList ?? p.parameterList
            p.clientID = m.clientID ?? p.clientID
            p.requestedAddress = m.requestedAddress ?? p.requestedAddress
            if m.takesAddressFromScratch { p.joinedNs = ts }
            d.dhcp = p
        } else if m.messageType == 5, m.clientMAC != 0 {
            guard let d = devices.device(mac: m.clientMAC, address: m.yourAddress, at: ts, .dhcpAck) else { return }
            var p = d.dhcp ?? DHCPClientProfile()
            if !m.yourAddress.isUnspecified { p.assignedAddress = m.yourAddress }
            if m.takesAddressFromScratch { p.joinedNs = ts }
            d.dhcp = p
        }
    }

    /// The client's MAC: from its DUID when it embeds one, else the frame's source for a
    /// client message that was not relayed.
    static func clientMAC(_ m: DHCPv6Message, _ chunk: StreamChunk, _ flow: FlowState) -> UInt64 {
        let fromDUID = m.duidMAC
        if fromDUID != 0 || m.relayed || !m.isFromClient { return fromDUID }
        return flow[chunk.direction].mac
    }

    static func noteDevice(_ m: DHCPv6Message, mac: UInt64, _ chunk: StreamChunk, _ flow: FlowState, _ devices: DeviceTable) {
        let ts = chunk.timestampNs
        if m.isFromClient {
            // The sender's (link-local) address is the client's unless a relay forwarded it.
            let address = m.relayed ? IPAddress.zero
                : (chunk.direction == .originator ? flow.originatorAddress : flow.responderAddress)
            guard let d = devices.device(mac: mac, address: address, at: ts, .dhcpv6Client) else { return }
            var p = d.dhcpv6 ?? DHCPv6ClientProfile()
            if let f = m.fqdn, !f.isEmpty { p.fqdn = f; d.hostNames.insert(f) }
            p.duid = m.clientDUID ?? p.duid
            p.vendorEnterprise = m.vendorEnterprise ?? p.vendorEnterprise
            p.vendorClass = m.vendorClass ?? p.vendorClass
            p.optionRequests = m.optionRequests ?? p.optionRequests
            d.dhcpv6 = p
        } else if m.messageType == 7, mac != 0, !m.addresses.isEmpty {
            guard let d = devices.device(mac: mac, address: .zero, at: ts, .dhcpv6Reply) else { return }
            for a in m.addresses { d.noteAddress(a) }
        }
    }

    /// Some clients send C strings: the terminating NULs are not part of the name.
    static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        while b.last == 0 { b.removeLast() }
        return b
    }
}
