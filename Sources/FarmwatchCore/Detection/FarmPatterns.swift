/// Patterns across driven endpoints that single sessions cannot show: several driven hosts
/// sharing one controller or relay (one operator, many laptops), or one autonomous system
/// for their controllers or relays (one provider: the operators' VPN or hosting company).
/// Built when findings are drawn, from the bounded endpoint records.
struct FarmPatterns {
    /// Driven hosts per controller address and per relay address, with the flows that show it.
    private var byController: [IPAddress: (hosts: Set<IPAddress>, uids: [String])] = [:]
    private var byRelay: [IPAddress: (hosts: Set<IPAddress>, uids: [String])] = [:]
    /// Driven hosts per autonomous system of their controllers or relays.
    private var byAS: [UInt32: (hosts: Set<IPAddress>, uids: [String])] = [:]
    private var asOrganizations: [UInt32: String] = [:]

    /// What the IP-KVM patterns read: which driven endpoints are KVMs, the site's networks,
    /// the KVMs the device table found on the site, and the ASes too broad to mean anything.
    struct KVMContext {
        var product: (EndpointRecord) -> String?
        var site: NetworkSet
        var directory: KVMDirectory
        var broadASNs: Set<UInt32>
    }

    /// Driven IP-KVMs per off-site driver ("controller 203.0.113.50", "relay …", "AS4134 …"):
    /// the facilitator's rack of laptops, each behind a KVM, all driven by one operator.
    private var kvmsByDriver: [String: (kvms: [KVMHost], uids: [String])] = [:]
    /// The KVM devices on the site, driven or not: how many, and the first `maxKVMsListed`.
    let kvmsAtSiteCount: Int
    let kvmsAtSite: [KVMHost]

    struct KVMHost: Equatable {
        var address: IPAddress
        var product: String
        var description: String { "\(address) (\(product))" }
    }

    /// KVMs listed per driver (the count goes on past it).
    static let maxKVMsListed = 16

    /// `asn` answers the AS number and organisation of an address (nil without an ASN database).
    init(_ records: [EndpointRecord], asn: (IPAddress) -> (UInt32, String?)? = { _ in nil }, kvm: KVMContext? = nil) {
        for r in records {
            for s in r.sessions {
                if let c = s.controller { Self.note(&byController, c, r.address, s.uid) }
                if let relay = s.relay { Self.note(&byRelay, relay.address, r.address, s.uid) }
                for a in Self.asKeyed(s) {
                    guard let (number, org) = asn(a) else { continue }
                    Self.note(&byAS, number, r.address, s.uid)
                    if let org { asOrganizations[number] = org }
                }
            }
        }
        let atSite = kvm?.directory.atSite ?? []
        kvmsAtSiteCount = atSite.count
        kvmsAtSite = atSite.prefix(Self.maxKVMsListed).map { KVMHost(address: $0.address, product: $0.product) }
        guard let kvm else { return }
        for r in records {
            guard let product = kvm.product(r) else { continue }
            let host = KVMHost(address: r.address, product: product)
            for s in r.sessions where Self.drivenFromOffSite(s, kvm.site) {
                for key in Self.kvmDrivers(s, asn: asn, broad: kvm.broadASNs) {
                    var entry = kvmsByDriver[key] ?? ([], [])
                    if !entry.kvms.contains(host) && entry.kvms.count < Self.maxKVMsListed { entry.kvms.append(host) }
                    if entry.uids.count < 16 && !entry.uids.contains(s.uid) { entry.uids.append(s.uid) }
                    kvmsByDriver[key] = entry
                }
            }
        }
    }

    /// Whoever drives the session sits outside the site: its controller, else its peer (the
    /// relay in front of the controller).
    static func drivenFromOffSite(_ s: RemoteSession, _ site: NetworkSet) -> Bool {
        !site.contains(s.controller ?? s.peer)
    }

    /// The drivers that tie KVMs together: the controller, the relay, and the AS of either
    /// when it is not a broad ISP or cloud (there any two strangers meet).
    private static func kvmDrivers(_ s: RemoteSession, asn: (IPAddress) -> (UInt32, String?)?, broad: Set<UInt32>) -> [String] {
        var keys: [String] = []
        if let c = s.controller { keys.append("controller \(c)") }
        if let r = s.relay { keys.append("\(r.kind.rawValue) relay \(r.address)") }
        for a in [s.controller, s.relay?.address].compactMap({ $0 }) {
            guard let (number, org) = asn(a), !broad.contains(number) else { continue }
            let key = "AS\(number)\(org.map { " \($0)" } ?? "")"
            if !keys.contains(key) { keys.append(key) }
        }
        return keys
    }

    /// The widest group of driven IP-KVMs this endpoint belongs to that one off-site driver
    /// (a controller, a relay, an AS) has in common, with the flows; nil when the endpoint is
    /// not a KVM driven from off the site. On ties an address beats an AS.
    func kvmSharing(for r: EndpointRecord, kvm product: String?, site: NetworkSet, asn: (IPAddress) -> (UInt32, String?)?)
        -> (driver: String, kvms: [KVMHost], uids: [String])? {
        guard let product else { return nil }
        let host = KVMHost(address: r.address, product: product)
        var best: (driver: String, kvms: [KVMHost], uids: [String])?
        for s in r.sessions where Self.drivenFromOffSite(s, site) {
            for key in Self.kvmDrivers(s, asn: asn, broad: []) {
                guard let entry = kvmsByDriver[key], entry.kvms.contains(host) else { continue }
                if entry.kvms.count > (best?.kvms.count ?? 0) { best = (key, entry.kvms, entry.uids) }
            }
        }
        // Listed in address order: the records were visited in no particular one.
        return best.map { ($0.driver, $0.kvms.sorted { $0.address < $1.address }, $0.uids) }
    }

    /// The addresses whose AS says something about who drives: the controller, and relays the
    /// operator picks (a SOCKS or HTTP proxy, an SSH host, a VPN, Tor). Not a TURN server nor a
    /// hop known only from latency: those are mostly the tool vendor's or the video service's
    /// own relays, which every customer shares. Not an RD Gateway: the organisation's own.
    private static func asKeyed(_ s: RemoteSession) -> [IPAddress] {
        var out: [IPAddress] = []
        if let c = s.controller { out.append(c) }
        if let r = s.relay, r.address != s.controller {
            switch r.kind {
            case .socks, .httpConnect, .sshJump, .sshReverse, .vpn, .tor, .listedExit: out.append(r.address)
            case .turn, .unidentified, .rdGateway: break
            }
        }
        return out
    }

    private static func note<K: Hashable>(_ map: inout [K: (hosts: Set<IPAddress>, uids: [String])],
                                          _ key: K, _ host: IPAddress, _ uid: String) {
        var entry = map[key] ?? ([], [])
        entry.hosts.insert(host)
        if entry.uids.count < 16 && !entry.uids.contains(uid) { entry.uids.append(uid) }
        map[key] = entry
    }

    /// The autonomous system with the most driven hosts among this endpoint's controllers and
    /// relays, its organisation, and the flows.
    func asSharing(for r: EndpointRecord, asn: (IPAddress) -> (UInt32, String?)?)
        -> (hosts: Int, asn: UInt32, organization: String?, uids: [String])? {
        var best: (hosts: Int, asn: UInt32, organization: String?, uids: [String])?
        for s in r.sessions {
            for a in Self.asKeyed(s) {
                guard let (number, _) = asn(a), let entry = byAS[number] else { continue }
                if entry.hosts.count > (best?.hosts ?? 0) {
                    best = (entry.hosts.count, number, asOrganizations[number], entry.uids)
                }
            }
        }
        return best
    }

    /// The widest sharing this endpoint takes part in: how many driven hosts share one of its
    /// controllers or relays, which address that is, and the flows.
    func sharing(for r: EndpointRecord) -> (hosts: Int, role: String, address: IPAddress, uids: [String])? {
        var best: (hosts: Int, role: String, address: IPAddress, uids: [String])?
        for s in r.sessions {
            for (role, key, map) in [("controller", s.controller, byController), ("relay", s.relay?.address, byRelay)] {
                guard let key, let entry = map[key] else { continue }
                if entry.hosts.count > (best?.hosts ?? 0) {
                    best = (entry.hosts.count, role, key, entry.uids)
                }
            }
        }
        return best
    }
}
