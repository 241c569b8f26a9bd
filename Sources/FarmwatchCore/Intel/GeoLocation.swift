/// Where a geolocation database places an address: a point, with how far off it may be.
public struct GeoLocation: Sendable, Equatable {
    /// Degrees north (negative: south), WGS 84 as the databases give it.
    public var latitude: Double
    /// Degrees east (negative: west).
    public var longitude: Double
    /// ISO 3166-1 alpha-2 country code ("US", "KR"), when the database has one.
    public var countryCode: String?
    /// The city's English name, when the database has one.
    public var city: String?
    /// The database's own radius (km) around the point that holds the address with ~67%
    /// confidence (MaxMind's accuracy_radius); nil when the database does not say.
    public var accuracyRadiusKm: Int?

    public init(latitude: Double, longitude: Double, countryCode: String? = nil, city: String? = nil,
                accuracyRadiusKm: Int? = nil) {
        self.latitude = latitude
        self.longitude = longitude
        self.countryCode = countryCode
        self.city = city
        self.accuracyRadiusKm = accuracyRadiusKm
    }
}
