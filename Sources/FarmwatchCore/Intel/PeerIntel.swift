/// Everything the user told farmwatch about the outside world, asked per peer address: a city
/// database for the place, an ASN database for the network, and address lists for what the
/// user already knows (VPN exits, admin ranges ...). Each source is optional. Answers are
/// memoised per address (bounded), since a peer is asked about once per flow and the same
/// peers recur. Not thread-safe: one per analysis pipeline.
public final class PeerIntel {
    public static let defaultCacheCapacity = 65_536

    public let city: MaxMindDatabase?
    public let asn: MaxMindDatabase?
    public let lists: [AddressList]
    private var memo: RecentMemo<IPAddress, PeerInfo>

    public init(city: MaxMindDatabase?, asn: MaxMindDatabase?, lists: [AddressList],
                cacheCapacity: Int = PeerIntel.defaultCacheCapacity) {
        self.city = city
        self.asn = asn
        self.lists = lists
        memo = RecentMemo(capacity: cacheCapacity)
    }

    /// True when no source is configured: callers can skip asking.
    public var isEmpty: Bool { city == nil && asn == nil && lists.isEmpty }

    /// Addresses currently memoised.
    public var cachedCount: Int { memo.count }

    public func info(for address: IPAddress) -> PeerInfo {
        memo.value(for: address) { compute(address) }
    }

    /// Names of the lists that hold `name` or a parent domain of it, in list order.
    public func tags(forName name: [UInt8]) -> [String] {
        lists.filter { $0.containsName(name) }.map(\.name)
    }

    private func compute(_ address: IPAddress) -> PeerInfo {
        var info = PeerInfo()
        // One database may fill both halves (IPinfo Lite has country and AS): the city database
        // speaks first for the place, the ASN database first for the network.
        let place = city?.lookup(address)
        let network = asn?.lookup(address)
        info.location = place?.location
        info.countryCode = place?.countryCode ?? network?.countryCode
        if let n = network, n.asn != nil {
            info.asn = n.asn
            info.asOrganization = n.asOrganization
        } else if let p = place, p.asn != nil {
            info.asn = p.asn
            info.asOrganization = p.asOrganization
        }
        for list in lists where list.contains(address) {
            info.listTags.append(list.name)
            if !info.listKinds.contains(list.kind) { info.listKinds.append(list.kind) }
        }
        return info
    }
}
