/// What the configured databases and lists say about one peer address. Every field is
/// optional: an address no source knows (private, reserved or simply unlisted) gets an empty
/// PeerInfo, which says "unknown", never "local".
public struct PeerInfo: Sendable, Equatable {
    /// The place, when a city-level database has coordinates for the address.
    public var location: GeoLocation?
    /// The origin autonomous system number.
    public var asn: UInt32?
    /// The organisation that holds the autonomous system.
    public var asOrganization: String?
    /// Names of the address lists that contain the address, in the order the lists were given.
    public var listTags: [String]
    /// The kinds of those lists ("vpn-exit", "tor-exit", "admin" ...), each once, in list order.
    public var listKinds: [String]
    /// The country even when no database has coordinates (country-level and IPinfo Lite
    /// databases); equal to location?.countryCode when both are known.
    public var countryCode: String?

    public init(location: GeoLocation? = nil, asn: UInt32? = nil, asOrganization: String? = nil,
                listTags: [String] = [], listKinds: [String] = [], countryCode: String? = nil) {
        self.location = location
        self.asn = asn
        self.asOrganization = asOrganization
        self.listTags = listTags
        self.listKinds = listKinds
        self.countryCode = countryCode ?? location?.countryCode
    }

    /// True when no source knew anything about the address.
    public var isEmpty: Bool {
        location == nil && asn == nil && asOrganization == nil && listTags.isEmpty && countryCode == nil
    }
}
