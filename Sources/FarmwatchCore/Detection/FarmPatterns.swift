/// Patterns across endpoints that single sessions cannot show: several driven hosts sharing
/// one controller or relay (one operator, many laptops), and several device identities behind
/// one address (many laptops behind one farm's connection).
struct FarmPatterns {
    /// Driven hosts per controller address and per relay address, with the flows that show it.
    private var byController: [IPAddress: (hosts: Set<IPAddress>, uids: [String])] = [:]
    private var byRelay: [IPAddress: (hosts: Set<IPAddress>, uids: [String])] = [:]

    init(_ records: [EndpointRecord]) {
        for r in records {
            for s in r.sessions {
                if let c = s.controller { Self.note(&byController, c, r.address, s.uid) }
                if let relay = s.relay { Self.note(&byRelay, relay.address, r.address, s.uid) }
            }
        }
    }

    private static func note(_ map: inout [IPAddress: (hosts: Set<IPAddress>, uids: [String])],
                             _ key: IPAddress, _ host: IPAddress, _ uid: String) {
        var entry = map[key] ?? ([], [])
        entry.hosts.insert(host)
        if entry.uids.count < 16 { entry.uids.append(uid) }
        map[key] = entry
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

/// Distinct device identities seen behind each address: TCP/IP stacks (initial TTL, SYN
/// option layout, MSS, window scale — what p0f and JA4T read) and DHCP host names. Bounded in
/// addresses and identities per address.
struct IdentityTable {
    private var stacks: [IPAddress: (signatures: Set<UInt64>, uid: String)] = [:]
    let maxAddresses: Int
    let maxPerAddress: Int

    init(maxAddresses: Int, maxPerAddress: Int) {
        self.maxAddresses = maxAddresses
        self.maxPerAddress = maxPerAddress
    }

    /// Notes the originator's stack from a flow that opened with a SYN.
    mutating func note(_ f: FlowState, uid: @autoclosure () -> String) {
        guard f.key.proto == IPProto.tcp, f.synTimestampNs != 0, f.orig.hasHandshakeOptions else { return }
        let o = f.orig.handshakeOptions
        var h = Hasher()
        h.combine(Self.initialTTL(f.orig.ttlFirst))
        h.combine(o.layoutLow)
        h.combine(o.layoutHigh)
        h.combine(o.mss)
        h.combine(o.windowScale)
        let signature = UInt64(bitPattern: Int64(h.finalize()))
        let address = f.originatorAddress
        if let known = stacks[address]?.signatures.count {
            guard known < maxPerAddress else { return }
            // In place: a copy of the entry would copy its set on every flow.
            stacks[address]?.signatures.insert(signature)
        } else if stacks.count < maxAddresses {
            stacks[address] = ([signature], uid())
        }
    }

    /// The usual initial TTLs (64: Linux, macOS, phones; 128: Windows; 255: network gear).
    static func initialTTL(_ observed: UInt8) -> UInt8 {
        observed <= 64 ? 64 : observed <= 128 ? 128 : 255
    }

    func stackCount(_ a: IPAddress) -> (count: Int, uid: String)? {
        stacks[a].map { ($0.signatures.count, $0.uid) }
    }
}
