import ArgumentParser
import FarmwatchCore

extension Severity: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.name) }
}

/// Options of the detection engine, shared by `analyze` and `live`.
struct DetectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Scoring model in YAML: weights, thresholds, allow-lists, the site (see README, \"Scoring model\").",
                                            valueName: "file"))
    var config: String?

    @Option(name: .customLong("geoip-city"), help: ArgumentHelp("MaxMind-format city database (.mmdb: GeoLite2-City, DB-IP, IPinfo).", valueName: "file"))
    var geoipCity: String?

    @Option(name: .customLong("geoip-asn"), help: ArgumentHelp("MaxMind-format ASN database (.mmdb).", valueName: "file"))
    var geoipASN: String?

    @Option(name: .customLong("list"), help: ArgumentHelp("An address or domain list, one CIDR or name per line (repeatable); KIND says what membership means, e.g. vpn-exit, tor-exit, proxy.",
                                                          valueName: "name:kind:file"))
    var lists: [String] = []

    @Option(name: .customLong("site-timezone"), help: ArgumentHelp("The site's IANA time zone, for the hours hosts are driven (default UTC).", valueName: "zone"))
    var siteTimezone: String?

    @Option(name: .customLong("site-location"), help: ArgumentHelp("The sensor's place in degrees, for distances against GeoIP.", valueName: "lat,lon"))
    var siteLocation: String?

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit with status 3 when a finding of this severity or higher is made (low, medium, high).",
                                                             valueName: "severity"))
    var failOn: Severity?

    func validate() throws {
        if let siteLocation, DetectionConfiguration.parseLocation(siteLocation) == nil {
            throw ValidationError("--site-location: expected LAT,LON in degrees (e.g. 32.78,-96.80), got '\(siteLocation)'")
        }
        for spec in lists where spec.split(separator: ":", maxSplits: 2).count != 3 {
            throw ValidationError("--list: expected NAME:KIND:FILE, got '\(spec)'")
        }
    }

    /// The configuration file with the command-line overrides on top. A configuration that
    /// cannot be used stops the run: scoring with a half-read model would mislead.
    func configuration() throws -> DetectionConfiguration {
        var c = DetectionConfiguration()
        if let config {
            do { c = try DetectionConfiguration.load(path: config) } catch { throw ValidationError("--config \(error)") }
        }
        if let siteTimezone { c.site.timezone = siteTimezone }
        if let siteLocation { c.site.location = siteLocation }
        do { try DetectionSink.validate(c) } catch { throw ValidationError("\(error)") }
        return c
    }

    /// GeoIP databases and lists. One that is missing or corrupt is one line on stderr and
    /// the analysis goes on without it.
    func intel() -> PeerIntel? {
        func open(_ path: String?) -> MaxMindDatabase? {
            guard let path else { return nil }
            do { return try MaxMindDatabase(path: path) } catch {
                warn("\(error); going on without it")
                return nil
            }
        }
        let city = open(geoipCity), asn = open(geoipASN)
        var loaded: [AddressList] = []
        for spec in lists {
            let parts = spec.split(separator: ":", maxSplits: 2).map(String.init)
            do { loaded.append(try AddressList.load(path: parts[2], name: parts[0], kind: parts[1])) } catch {
                warn("--list \(parts[0]): \(error); going on without it")
            }
        }
        let intel = PeerIntel(city: city, asn: asn, lists: loaded)
        return intel.isEmpty ? nil : intel
    }
}
