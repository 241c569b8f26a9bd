/// A set of networks from the configuration (the site's own networks, admin subnets, partner
/// peers), in the address-list format: CIDR networks or single addresses.
struct NetworkSet {
    private let list: AddressList?

    /// An empty list matches nothing.
    init(_ cidrs: [String], name: String) throws {
        list = cidrs.isEmpty ? nil
            : try AddressList.parse(Array(cidrs.joined(separator: "\n").utf8), source: "configuration \(name)",
                                    name: name, kind: name)
    }

    /// The site's own networks: the configured ones, or by default the addresses that cannot
    /// be anyone else's — private (RFC 1918), shared (RFC 6598), link-local and unique-local.
    static func site(_ configured: [String]) throws -> NetworkSet {
        try NetworkSet(configured.isEmpty ? defaultSiteNetworks : configured, name: "site.networks")
    }

    static let defaultSiteNetworks = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                                      "169.254.0.0/16", "fc00::/7", "fe80::/10"]

    func contains(_ a: IPAddress) -> Bool { list?.contains(a) ?? false }
}
