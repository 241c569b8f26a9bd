/// The kinds of device identity the engine counts behind one address. Each says "another
/// machine" with a different strength: a TCP/IP stack tells operating systems apart, a DHCP
/// host name and a TLS client certificate name one machine each, a JA4 names one TLS client
/// build (a laptop shows a handful: its browsers and system services).
enum IdentityKind: Int, CaseIterable {
    case tcpStack, dhcpHostName, clientCertificate, ja4
}

/// Distinct device identities seen behind each address, per kind, with a few of their values
/// and the flows that showed them (for the evidence). Bounded in addresses and in identities
/// per address and kind; what found it full is counted.
struct IdentityTable {
    /// One address's identities. A class: the table updates it in place on every flow, and a
    /// struct in a dictionary would be copied with its sets.
    final class Entry {
        var hashes = [Set<UInt64>](repeating: [], count: IdentityKind.allCases.count)
        /// The first few identities of each kind: the value, readable (TCP stacks keep none:
        /// their signature is a hash), and the flow that first showed it.
        var kept = [[Kept]](repeating: [], count: IdentityKind.allCases.count)
    }

    struct Kept {
        var hash: UInt64
        var value: String?
        var uid: String
    }

    static let keptExamples = 4

    private(set) var entries: [IPAddress: Entry] = [:]
    let maxAddresses: Int
    let maxPerAddress: Int
    /// Identities that found their address's list full, and sightings at addresses that found
    /// the table full.
    private(set) var droppedIdentities = 0
    private(set) var untrackedAddresses = 0

    init(maxAddresses: Int, maxPerAddress: Int) {
        self.maxAddresses = maxAddresses
        self.maxPerAddress = maxPerAddress
    }

    /// Notes every identity an ended flow shows: the originator's TCP stack (from a SYN), the
    /// TLS client's certificate subject and JA4 (QUIC's too), the DHCP client's host name.
    mutating func note(_ f: FlowState, uid: () -> String) {
        if f.key.proto == IPProto.tcp, f.synTimestampNs != 0, f.orig.hasHandshakeOptions {
            note(.tcpStack, Self.stackSignature(f), example: nil, at: f.originatorAddress, uid: uid)
        }
        guard let m = f.metadata else { return }
        if let tls = m.facts(StandardDissectors.tlsSlot, as: TLSFacts.self), let side = tls.clientSide {
            let client = side == .originator ? f.originatorAddress : f.responderAddress
            for c in tls.clientCertificates.prefix(1) where !c.subject.isEmpty {
                // The leaf only: the chain's CAs are shared by every machine of the organisation.
                note(.clientCertificate, Self.hash(c.subject), example: { c.subject }, at: client, uid: uid)
            }
            if let ja4 = tls.ja4?.ja4 {
                note(.ja4, Self.hash(ja4), example: { ja4 }, at: client, uid: uid)
            }
        }
        if let quic = m.facts(StandardDissectors.quicSlot, as: QUICFacts.self), let ja4 = quic.ja4 {
            let client = quic.clientSide == .originator ? f.originatorAddress : f.responderAddress
            note(.ja4, Self.hash(ja4), example: { ja4 }, at: client, uid: uid)
        }
        if let dhcp = m.facts(StandardDissectors.dhcpSlot, as: DHCPFacts.self) {
            for t in dhcp.transactions {
                guard let name = t.hostName, !name.isEmpty else { continue }
                for a in Self.addresses(of: t, in: f) {
                    note(.dhcpHostName, Self.hash(name), example: { String(decoding: name, as: UTF8.self) }, at: a, uid: uid)
                }
            }
        }
    }

    /// The addresses a DHCP client with this host name uses: the ones a server assigned it,
    /// else — only when the client's own frames carry the message (the frame's MAC is the
    /// client's), since a relay agent forwards many clients from its one address — the
    /// address it asked for (a REQUEST from 0.0.0.0 names the lease it takes) or sent from.
    static func addresses(of t: DHCPFacts.Transaction, in f: FlowState) -> [IPAddress] {
        if !t.assignedAddresses.isEmpty { return Array(t.assignedAddresses.prefix(2)) }
        guard t.mac != 0, f.orig.mac == t.mac else { return [] }
        let sender = f.originatorAddress
        if !sender.isUnspecified && !sender.isMulticast { return [sender] }
        if let asked = t.requestedAddress, !asked.isUnspecified, !asked.isMulticast { return [asked] }
        return []
    }

    private mutating func note(_ kind: IdentityKind, _ hash: UInt64, example: (() -> String)?, at address: IPAddress,
                               uid: () -> String) {
        let entry: Entry
        if let known = entries[address] {
            entry = known
        } else {
            guard entries.count < maxAddresses else {
                untrackedAddresses += 1
                return
            }
            entry = Entry()
            entries[address] = entry
        }
        let k = kind.rawValue
        guard !entry.hashes[k].contains(hash) else { return }
        guard entry.hashes[k].count < maxPerAddress else {
            droppedIdentities += 1
            return
        }
        entry.hashes[k].insert(hash)
        if entry.kept[k].count < Self.keptExamples {
            entry.kept[k].append(Kept(hash: hash, value: example?(), uid: uid()))
        }
    }

    /// The TCP/IP stack as p0f and JA4T read it: initial TTL, SYN option layout, MSS, window scale.
    static func stackSignature(_ f: FlowState) -> UInt64 {
        let o = f.orig.handshakeOptions
        var h = Hasher()
        h.combine(initialTTL(f.orig.ttlFirst))
        h.combine(o.layoutLow)
        h.combine(o.layoutHigh)
        h.combine(o.mss)
        h.combine(o.windowScale)
        return UInt64(bitPattern: Int64(h.finalize()))
    }

    static func hash<S: Hashable>(_ value: S) -> UInt64 {
        var h = Hasher()
        h.combine(value)
        return UInt64(bitPattern: Int64(h.finalize()))
    }

    /// The usual initial TTLs (64: Linux, macOS, phones; 128: Windows; 255: network gear).
    static func initialTTL(_ observed: UInt8) -> UInt8 {
        observed <= 64 ? 64 : observed <= 128 ? 128 : 255
    }

    func count(_ kind: IdentityKind, at a: IPAddress) -> Int {
        entries[a]?.hashes[kind.rawValue].count ?? 0
    }

    func entry(_ a: IPAddress) -> Entry? { entries[a] }
}
