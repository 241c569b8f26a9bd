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

    /// `asn` answers the AS number and organisation of an address (nil without an ASN database).
    init(_ records: [EndpointRecord], asn: (IPAddress) -> (UInt32, String?)? = { _ in nil }) {
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
