import Foundation
import Yams

/// Every weight, threshold, bound and allow-list the detection engine uses. The defaults here
/// are the documented scoring model (README "Scoring model"); a YAML file given with
/// `--config` overrides any subset of them, with the same snake_case names.
public struct DetectionConfiguration: Codable, Equatable, Sendable {
    /// Where the sensor is: the site's clock and place.
    public struct Site: Codable, Equatable, Sendable {
        /// IANA time zone of the site ("America/Chicago"), for the hours a host is driven.
        public var timezone = "UTC"
        /// "LAT,LON" in degrees, or "" when unknown: the reference point for distances.
        public var location = ""
        /// ISO 3166-1 country code of the site ("US"), or "" when unknown: a controller that
        /// geolocates elsewhere is foreign.
        public var countryCode = ""
        /// The site's working day, local hours [start, end).
        public var workdayStartHour = 8
        public var workdayEndHour = 18
        /// The site's own networks (CIDR). Empty: private, link-local and unique-local
        /// addresses count as the site's (RFC 1918, RFC 4193, RFC 3927/4291).
        public var networks: [String] = []
    }

    /// Points each kind of evidence adds to an endpoint's score (the score is capped at 100).
    public struct Weights: Codable, Equatable, Sendable {
        /// A remote-desktop or remote-management tool drives the host (T1219).
        public var remoteControl = 15.0
        /// The host is driven through an interactive SSH session (server side).
        public var interactiveShell = 5.0
        /// The controller's round trip is beyond `controller_far_ms` (another continent).
        public var controllerFar = 35.0
        /// The controller's round trip is beyond `controller_distant_ms` (but not far).
        public var controllerDistant = 15.0
        /// The application round trip is well above the transport round trip: a hop the TCP
        /// handshake does not see (a relay that terminates TCP).
        public var hiddenHop = 25.0
        /// The session crosses a relay (SOCKS, HTTP CONNECT, TURN, an SSH tunnel, a VPN).
        public var relay = 15.0
        /// The relay or the controller is on a user's address list (VPN exits, Tor exits ...).
        public var listedPeer = 10.0
        /// The controller geolocates to another country than the site.
        public var foreignController = 15.0
        /// The measured round trip is far above the physical floor for the GeoIP distance: the
        /// path has another hop (or the geolocation is wrong).
        public var aboveLatencyFloor = 10.0
        /// Small input events towards the host while it sends screen updates: a person driving.
        public var humanInput = 10.0
        /// The host is driven for a long time in total.
        public var longSession = 5.0
        /// Most of the driving happens outside the site's working day.
        public var offHours = 10.0
        /// Several remote-control tools on one host.
        public var concurrentTools = 10.0
        /// Several driven hosts share one controller or relay address (a farm).
        public var sharedInfrastructure = 20.0
        /// Several TCP/IP stacks behind one address.
        public var manyIdentities = 10.0
        /// Several driven hosts whose controllers (or relays) sit in one autonomous system
        /// that is not one of `farm.broad_asns`: one provider, weaker than one address.
        public var sharedAs = 10.0
        /// The driven endpoint is itself an IP-KVM (its device record says so: DHCP/mDNS
        /// names, its web console, its certificate): remote access hardware.
        public var kvmDevice = 20.0
        /// Several driven IP-KVMs (`kvm_farm_devices`) whose off-site controller, relay or AS
        /// is one: a facilitator's rack of laptops, each behind its KVM, driven by one operator.
        public var kvmFarm = 15.0
        /// Many IP-KVM devices on the site (`kvm_devices_at_site`, driven or not) while this one
        /// is driven from outside it.
        public var kvmDevicesAtSite = 5.0
        /// Several DHCP host names on one address.
        public var manyHostNames = 10.0
        /// Several TLS client-certificate subjects from one address: each names one machine.
        public var manyClientCertificates = 15.0
        /// Many TLS client builds (JA4) from one address: a laptop has a handful.
        public var manyJa4 = 5.0
        /// A client certificate or DHCP host name seen both from a VPN exit and from an
        /// address that is not one.
        public var alternatingIdentity = 15.0
        /// A set of uncommon JA4s seen both from a VPN exit and from an address that is not one.
        public var alternatingJa4Set = 5.0
    }

    public struct Thresholds: Codable, Equatable, Sendable {
        /// Controller round trip (ms) that means another continent: the Amazon case was keystrokes
        /// over 110 ms from a US laptop; US coast to coast is ≤ 80 ms.
        public var controllerFarMs = 100.0
        /// Controller round trip (ms) that is longer than a home worker's in the same country.
        public var controllerDistantMs = 70.0
        /// Application minus transport round trip (ms) that reveals a hidden hop ...
        public var hiddenHopMs = 40.0
        /// ... when the application round trip is also at least this many times the transport one.
        public var hiddenHopRatio = 2.0
        /// Round trip above the GeoIP floor × this factor means the path has another hop.
        public var floorStretchMax = 3.0
        /// Fewer samples than this and a latency estimate is reported but not scored.
        public var minLatencySamples = 3
        /// Small (< `input_event_max_bytes`) data packets towards the host that make human input.
        public var humanInputMinEvents = 20
        public var inputEventMaxBytes = 256
        /// The host sends at least this many times the bytes it receives (screen updates).
        public var screenUpdateRatio = 2.0
        /// Total driven time (minutes) that counts as a long session.
        public var longSessionMinutes = 120.0
        /// Share of driven time outside the site's working day, judged only once the host was
        /// driven for `off_hours_min_minutes` in total (short captures say nothing about habits).
        public var offHoursShare = 0.5
        public var offHoursMinMinutes = 30.0
        /// Distinct remote-control tools on one host.
        public var concurrentTools = 2
        /// Driven hosts sharing one controller or relay address.
        public var sharedHosts = 2
        /// Driven IP-KVMs sharing one off-site controller, relay or AS.
        public var kvmFarmDevices = 2
        /// IP-KVM devices on the site.
        public var kvmDevicesAtSite = 3
        /// Distinct TCP/IP stacks behind one address.
        public var identitiesPerAddress = 4
        /// Driven hosts whose controllers or relays sit in one autonomous system.
        public var sharedAsHosts = 3
        /// Distinct DHCP host names on one address.
        public var hostNamesPerAddress = 3
        /// Distinct client-certificate subjects from one address (a machine often has two:
        /// the machine's and the user's).
        public var clientCertificatesPerAddress = 3
        /// Distinct JA4s from one address (one laptop's browsers and services make a handful).
        public var ja4PerAddress = 12
        /// A JA4 seen from this many addresses is a popular client, no identity of anyone's.
        public var ja4CommonAddresses = 16
        /// Uncommon JA4s a residential address and a VPN exit must share to be one build.
        public var alternationMinJa4 = 3
        /// Score bands: a finding is made from `low` up; `medium` and `high` name the severity.
        public var low = 10.0
        public var medium = 40.0
        public var high = 70.0
    }

    /// Sessions that match raise no finding (their flows are still written).
    public struct AllowList: Codable, Equatable, Sendable {
        /// Sanctioned remote-access tools, by family name ("teamviewer", "rdp").
        public var tools: [String] = []
        /// IT admin networks (CIDR): sessions controlled from here are allowed.
        public var adminNetworks: [String] = []
        /// Known partner peers (CIDR): sessions with these peers are allowed.
        public var partnerPeers: [String] = []
    }

    /// What the user knows about networks, for the farm patterns.
    public struct Farm: Codable, Equatable, Sendable {
        /// Autonomous systems so large (eyeball ISPs, clouds, CDNs) that controllers sharing
        /// one of them is coincidence, not a shared operator: reported, never scored.
        public var broadAsns: [UInt32] = [
            7018, 701, 7922, 20115, 22773, 21928, 6167, 209, 3356,  // US eyeball and transit ISPs
            16509, 14618, 15169, 396982, 8075, 13335, 20940, 16625, 31898, 45102, 132203,  // clouds, CDNs
            4134, 4837, 9808, 4766, 3320, 3215, 2856, 12322,  // national incumbents (CN, KR, DE, FR, GB)
        ]
        /// Autonomous systems the user marks as VPN exits (a VPN provider's own AS): an address
        /// in one is a VPN exit for the alternating-identity pattern.
        public var vpnAsns: [UInt32] = []
        /// Kinds of `--list` whose addresses are VPN exits (or other anonymising exits).
        public var vpnListKinds: [String] = ["vpn", "vpn-exit", "tor-exit", "proxy"]
    }

    /// Bounds on the engine's memory, whatever the traffic.
    public struct Limits: Codable, Equatable, Sendable {
        public var maxEndpoints = 4_096
        public var maxSessionsPerEndpoint = 64
        public var maxRelaysPerEndpoint = 32
        public var maxAddressesWithIdentities = 16_384
        public var maxIdentitiesPerAddress = 16
        /// Site addresses whose served web-console or WebRTC sessions are held until the
        /// run's end says whether they are IP-KVMs (each address keeps at most
        /// `max_sessions_per_endpoint`).
        public var maxKvmCandidateAddresses = 4_096
    }

    public var site = Site()
    public var weights = Weights()
    public var thresholds = Thresholds()
    public var allow = AllowList()
    public var farm = Farm()
    public var limits = Limits()

    public init() {}
}

/// A configuration file that could not be used; the message names the file and the key.
public struct DetectionConfigurationError: Error, CustomStringConvertible {
    public let description: String
}

extension DetectionConfiguration {
    /// Reads a YAML file over the defaults: keys it does not name keep their default value;
    /// a key that is not part of the model is an error (a typo would otherwise be ignored).
    public static func load(path: String) throws -> DetectionConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DetectionConfigurationError(description: "\(path): cannot be read")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    public static func parse(_ yaml: String, source: String) throws -> DetectionConfiguration {
        let user: Any?
        do { user = try Yams.load(yaml: yaml) } catch {
            throw DetectionConfigurationError(description: "\(source): not valid YAML: \(error)")
        }
        guard let user else { return DetectionConfiguration() }
        guard let overrides = user as? [String: Any] else {
            throw DetectionConfigurationError(description: "\(source): expected a mapping of sections at the top level")
        }
        let defaultsText = try YAMLEncoder().encode(DetectionConfiguration())
        guard let defaults = try Yams.load(yaml: defaultsText) as? [String: Any] else {
            throw DetectionConfigurationError(description: "internal: the default configuration does not encode as a mapping")
        }
        let merged = try merge(overrides, over: defaults, path: "", source: source)
        do {
            return try YAMLDecoder().decode(DetectionConfiguration.self, from: try Yams.dump(object: merged))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map { snakeCase($0.stringValue) }.joined(separator: ".")
            throw DetectionConfigurationError(description: "\(source): \(key): wrong kind of value (\(context.debugDescription))")
        } catch {
            throw DetectionConfigurationError(description: "\(source): \(error)")
        }
    }

    /// Overlays the file's snake_case keys on the defaults' camelCase keys, section by section.
    private static func merge(_ user: [String: Any], over base: [String: Any], path: String, source: String) throws -> [String: Any] {
        var out = base
        for (snake, value) in user {
            let key = camelCase(snake)
            let here = path.isEmpty ? snake : "\(path).\(snake)"
            guard let current = base[key] else {
                let known = base.keys.map(snakeCase).sorted().joined(separator: ", ")
                throw DetectionConfigurationError(description: "\(source): unknown key '\(here)' (known here: \(known))")
            }
            if let section = current as? [String: Any] {
                guard let given = value as? [String: Any] else {
                    throw DetectionConfigurationError(description: "\(source): '\(here)' must be a mapping")
                }
                out[key] = try merge(given, over: section, path: here, source: source)
            } else {
                out[key] = value
            }
        }
        return out
    }

    static func camelCase(_ s: String) -> String {
        var out = ""
        var upper = false
        for c in s {
            if c == "_" { upper = true; continue }
            out.append(upper ? Character(c.uppercased()) : c)
            upper = false
        }
        return out
    }

    static func snakeCase(_ s: String) -> String {
        var out = ""
        for c in s {
            if c.isUppercase { out.append("_"); out.append(Character(c.lowercased())) } else { out.append(c) }
        }
        return out
    }

    /// The defaults as YAML with snake_case keys: the starting point of a user's file.
    public static func defaultYAML() throws -> String {
        let text = try YAMLEncoder().encode(DetectionConfiguration())
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let colon = line.firstIndex(of: ":") else { return String(line) }
            return snakeCase(String(line[..<colon])) + String(line[colon...])
        }.joined(separator: "\n")
    }

    /// "LAT,LON" → coordinates; nil for "" or anything else out of range.
    public static func parseLocation(_ text: String) -> (latitude: Double, longitude: Double)? {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let lat = Double(parts[0]), let lon = Double(parts[1]),
              (-90...90).contains(lat), (-180...180).contains(lon) else { return nil }
        return (lat, lon)
    }
}
