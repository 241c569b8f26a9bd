/// The fields farmwatch reads from one MaxMind DB record, whichever product made the file:
/// a City database fills the place, an ASN database the autonomous system, IPinfo Lite both
/// the country and the autonomous system.
public struct MaxMindRecord: Sendable, Equatable {
    public var countryCode: String?
    public var city: String?
    public var latitude: Double?
    public var longitude: Double?
    public var accuracyRadiusKm: Int?
    public var asn: UInt32?
    public var asOrganization: String?
    /// Length of the database network that holds the address, in IPv6 bits for IPv6 lookups and
    /// IPv4 bits for IPv4 lookups (as libmaxminddb reports it, adjusted for IPv4).
    public var prefixLength: Int

    public init(countryCode: String? = nil, city: String? = nil, latitude: Double? = nil, longitude: Double? = nil,
                accuracyRadiusKm: Int? = nil, asn: UInt32? = nil, asOrganization: String? = nil, prefixLength: Int = 0) {
        self.countryCode = countryCode
        self.city = city
        self.latitude = latitude
        self.longitude = longitude
        self.accuracyRadiusKm = accuracyRadiusKm
        self.asn = asn
        self.asOrganization = asOrganization
        self.prefixLength = prefixLength
    }

    /// The place, when the record has usable coordinates.
    public var location: GeoLocation? {
        guard let latitude, let longitude else { return nil }
        return GeoLocation(latitude: latitude, longitude: longitude, countryCode: countryCode, city: city,
                           accuracyRadiusKm: accuracyRadiusKm)
    }
}
