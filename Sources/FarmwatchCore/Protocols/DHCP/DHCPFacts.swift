/// The DHCP (or DHCPv6) exchanges one flow carried, grouped per client transaction (xid and
/// client MAC) in Zeek's dhcp.log vocabulary. A broadcast flow such as 0.0.0.0:68 →
/// 255.255.255.255:67 carries every client of a LAN, so the grouping matters. Bounded: the
/// first `maxTransactions` transactions, then only a count.
public final class DHCPFacts: FlowFacts {
    public static let maxTransactions = 16
    public static let maxMessageTypes = 16

    public struct Transaction {
        public var xid: UInt32
        public var mac: UInt64
        public var firstNs: Int64
        public var messageTypes: [UInt8] = []
        public var hostName: [UInt8]?
        public var fqdn: [UInt8]?
        public var vendorClass: [UInt8]?
        public var vendorEnterprise: UInt32?
        /// DHCPv4 option 55 codes, or DHCPv6 option request codes.
        public var parameterList: [UInt16]?
        /// DHCPv4 option 61, or the DHCPv6 client DUID.
        public var clientID: [UInt8]?
        public var requestedAddress: IPAddress?
        public var assignedAddresses: [IPAddress] = []
        public var serverID: IPAddress?
        public var leaseSeconds: UInt32?
    }

    public let version: Int
    public private(set) var transactions: [Transaction] = []

    public var recognition: Recognition? { transactions.isEmpty ? nil : .payload(.dhcp) }
    public private(set) var messagesNotRecorded: UInt32 = 0

    init(version: Int) { self.version = version }

    func add(_ m: DHCPv4Message, at ts: Int64) {
        guard let i = transaction(m.xid, m.clientMAC, at: ts) else { return }
        var t = transactions[i]
        if t.messageTypes.count < DHCPFacts.maxMessageTypes { t.messageTypes.append(m.messageType) }
        // A server may echo (or assign) the host name and send its own vendor class: kept
        // as the wire has them; the device table takes only what the client says.
        t.hostName = m.hostName ?? t.hostName
        t.fqdn = m.fqdn ?? t.fqdn
        t.vendorClass = m.vendorClass ?? t.vendorClass
        if m.isFromClient {
            t.parameterList = m.parameterList.map { $0.map(UInt16.init) } ?? t.parameterList
            t.clientID = m.clientID ?? t.clientID
            t.requestedAddress = m.requestedAddress ?? t.requestedAddress
        } else {
            if m.messageType == 5 && !m.yourAddress.isUnspecified {
                t.assignedAddresses = [m.yourAddress]
            }
            t.serverID = m.serverID ?? t.serverID
            t.leaseSeconds = m.leaseSeconds ?? t.leaseSeconds
        }
        transactions[i] = t
    }

    func add(_ m: DHCPv6Message, mac: UInt64, at ts: Int64) {
        guard let i = transaction(m.transactionID, mac, at: ts) else { return }
        var t = transactions[i]
        if t.messageTypes.count < DHCPFacts.maxMessageTypes { t.messageTypes.append(m.messageType) }
        t.clientID = m.clientDUID ?? t.clientID
        if m.isFromClient {
            t.fqdn = m.fqdn ?? t.fqdn
            t.vendorClass = m.vendorClass ?? t.vendorClass
            t.vendorEnterprise = m.vendorEnterprise ?? t.vendorEnterprise
            t.parameterList = m.optionRequests ?? t.parameterList
        } else if m.messageType == 7 && !m.addresses.isEmpty {
            t.assignedAddresses = m.addresses
        }
        transactions[i] = t
    }

    /// The transaction for (xid, mac), created within the cap. A server's answer may come
    /// with another MAC field (DHCPv6 has none): the xid alone then matches.
    private func transaction(_ xid: UInt32, _ mac: UInt64, at ts: Int64) -> Int? {
        if let i = transactions.lastIndex(where: { $0.xid == xid && ($0.mac == mac || mac == 0 || $0.mac == 0) }) {
            if transactions[i].mac == 0 { transactions[i].mac = mac }
            return i
        }
        guard transactions.count < DHCPFacts.maxTransactions else {
            messagesNotRecorded += 1
            return nil
        }
        transactions.append(Transaction(xid: xid, mac: mac, firstNs: ts))
        return transactions.count - 1
    }

    public func writeJSON(to w: JSONWriter) {
        w.key(version == 6 ? "dhcpv6" : "dhcp"); w.beginObject()
        w.key("transactions"); w.beginArray()
        for t in transactions { write(t, w) }
        w.endArray()
        if messagesNotRecorded > 0 { w.field("messages_not_recorded", messagesNotRecorded) }
        w.endObject()
    }

    private func write(_ t: Transaction, _ w: JSONWriter) {
        w.beginObject()
        w.key("ts"); w.fixed(t.firstNs, scale: 1_000_000_000, decimals: 6)
        w.field("trans_id", t.xid)
        if t.mac != 0 { w.field("mac", FlowRecordWriter.macString(t.mac)) }
        w.key("msg_types"); w.beginArray()
        for m in t.messageTypes { w.string(version == 6 ? DHCPv6Message.typeName(m) : DHCPv4Message.typeName(m)) }
        w.endArray()
        if let v = t.hostName { w.key("host_name"); w.string(bytes: v) }
        if let v = t.fqdn { w.key("client_fqdn"); w.string(bytes: v) }
        if let v = t.vendorClass { w.key("vendor_class"); w.string(bytes: v) }
        if let v = t.vendorEnterprise { w.field("vendor_enterprise", v) }
        if let v = t.parameterList {
            w.key("param_list"); w.beginArray()
            for c in v { w.int(c) }
            w.endArray()
        }
        if let v = t.clientID { w.field(version == 6 ? "duid" : "client_id", DHCPFacts.hex(v)) }
        if let v = t.requestedAddress { w.field("requested_addr", v.description) }
        if !t.assignedAddresses.isEmpty {
            w.key("assigned_addrs"); w.beginArray()
            for a in t.assignedAddresses { w.string(a.description) }
            w.endArray()
        }
        if let v = t.serverID { w.field("server_addr", v.description) }
        if let v = t.leaseSeconds { w.field("lease_time", v) }
        w.endObject()
    }

    /// Colon-separated hex ("01:aa:bb:…"), as tshark and Zeek print identifiers.
    static func hex(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        for (i, b) in bytes.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ":")) }
            Hex.append(CollectionOfOne(b), to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
