/// One identity seen both from a VPN exit and from an address that is not one: a machine that
/// connects sometimes from its residential line and sometimes through a VPN (a farm's laptop
/// whose remote worker also logs in from abroad through the VPN, or whose VPN drops). Built
/// when findings are drawn, from the bounded identity table.
struct IdentityAlternation {
    struct Match {
        var kind: IdentityKind
        /// The identity as readable text (the certificate subject, the host name), or for JA4
        /// sets how many JA4s the two addresses share.
        var value: String
        var other: IPAddress
        /// The address that is the VPN exit, and why it is one.
        var vpnExit: IPAddress
        var reason: String
        var uids: [String]
    }

    /// Past this many addresses per certificate or host name the index keeps no more: one
    /// machine's identity at dozens of addresses is already plain.
    static let maxAddressesPerIdentity = 64

    private let table: IdentityTable
    /// The table's addresses that are VPN exits, with why.
    private var vpnExits: [IPAddress: String] = [:]
    /// Addresses per client-certificate subject and per DHCP host name.
    private var strong: [IdentityKind: [UInt64: [IPAddress]]] = [:]
    /// Addresses per JA4; a JA4 whose list reached `commonJA4` is a popular client and left out.
    private var ja4: [UInt64: [IPAddress]] = [:]
    private let commonJA4: Int
    private let minSharedJA4: Int

    /// `vpnReason` says why an address is a VPN exit ("list astrill (vpn-exit)"), nil if it is not.
    init(_ table: IdentityTable, vpnReason: (IPAddress) -> String?, _ t: DetectionConfiguration.Thresholds) {
        self.table = table
        commonJA4 = max(2, t.ja4CommonAddresses)
        minSharedJA4 = max(1, t.alternationMinJa4)
        for (address, entry) in table.entries {
            let hasAny = [IdentityKind.clientCertificate, .dhcpHostName, .ja4].contains { !entry.hashes[$0.rawValue].isEmpty }
            guard hasAny else { continue }
            if let why = vpnReason(address) { vpnExits[address] = why }
            for kind in [IdentityKind.clientCertificate, .dhcpHostName] {
                for h in entry.hashes[kind.rawValue] {
                    var list = strong[kind, default: [:]][h, default: []]
                    guard list.count < Self.maxAddressesPerIdentity else { continue }
                    list.append(address)
                    strong[kind, default: [:]][h] = list
                }
            }
            for h in entry.hashes[IdentityKind.ja4.rawValue] {
                var list = ja4[h, default: []]
                guard list.count < commonJA4 else { continue }
                list.append(address)
                ja4[h] = list
            }
        }
    }

    /// Every identity of `a` also seen on the other side of the VPN line, strongest kinds first.
    func matches(for a: IPAddress) -> [Match] {
        guard let entry = table.entry(a) else { return [] }
        let aIsVPN = vpnExits[a] != nil
        var out: [Match] = []
        // One match per kind: a machine with two certificates is still one machine.
        kinds: for kind in [IdentityKind.clientCertificate, .dhcpHostName] {
            for h in entry.hashes[kind.rawValue].sorted() {
                for b in strong[kind]?[h] ?? [] where b != a && (vpnExits[b] != nil) != aIsVPN {
                    let exit = aIsVPN ? a : b
                    let value = kept(h, kind, at: a)?.value ?? kept(h, kind, at: b)?.value ?? "(not kept)"
                    let uids = [kept(h, kind, at: a)?.uid, kept(h, kind, at: b)?.uid].compactMap { $0 }
                    out.append(Match(kind: kind, value: value, other: b, vpnExit: exit, reason: vpnExits[exit] ?? "",
                                     uids: uids))
                    continue kinds
                }
            }
        }
        if let set = ja4Set(with: a, aIsVPN: aIsVPN) { out.append(set) }
        return out
    }

    /// The address across the VPN line sharing the most uncommon JA4s with `a`, when they share
    /// at least `alternation_min_ja4` and at least half of the smaller uncommon set.
    private func ja4Set(with a: IPAddress, aIsVPN: Bool) -> Match? {
        guard let mine = table.entry(a)?.hashes[IdentityKind.ja4.rawValue] else { return nil }
        let uncommon = mine.filter { (ja4[$0]?.count ?? commonJA4) < commonJA4 }
        guard uncommon.count >= minSharedJA4 else { return nil }
        var shared: [IPAddress: Int] = [:]
        for h in uncommon {
            for b in ja4[h] ?? [] where b != a && (vpnExits[b] != nil) != aIsVPN { shared[b, default: 0] += 1 }
        }
        guard let (b, n) = shared.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }),
              n >= minSharedJA4 else { return nil }
        let theirs = table.entry(b)?.hashes[IdentityKind.ja4.rawValue].filter { (ja4[$0]?.count ?? commonJA4) < commonJA4 }.count ?? 0
        guard n * 2 >= min(uncommon.count, theirs) else { return nil }
        let exit = aIsVPN ? a : b
        let uids = (table.entry(a)?.kept[IdentityKind.ja4.rawValue] ?? []).prefix(2).map(\.uid)
            + (table.entry(b)?.kept[IdentityKind.ja4.rawValue] ?? []).prefix(2).map(\.uid)
        return Match(kind: .ja4, value: "\(n) uncommon JA4s", other: b, vpnExit: exit, reason: vpnExits[exit] ?? "",
                     uids: uids)
    }

    private func kept(_ h: UInt64, _ kind: IdentityKind, at a: IPAddress) -> IdentityTable.Kept? {
        table.entry(a)?.kept[kind.rawValue].first { $0.hash == h }
    }
}
