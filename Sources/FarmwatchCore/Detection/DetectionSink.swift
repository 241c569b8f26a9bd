import Foundation

/// The detection engine as a flow sink: passes every ended flow on to the output unchanged,
/// then reads it for remote-control sessions, relays and device identities, keeping bounded
/// per-endpoint state. Findings are drawn when the run ends (for a live capture: when it is
/// stopped), never per packet.
public final class DetectionSink: FlowSink {
    public let configuration: DetectionConfiguration
    private let next: FlowSink
    private let intel: PeerIntel?
    private let devices: DeviceTable?
    private let siteNetworks: NetworkSet
    private let adminNetworks: NetworkSet
    private let partnerPeers: NetworkSet
    private let siteTimeZone: TimeZone
    private let siteLocation: GeoLocation?
    private var records: [IPAddress: EndpointRecord] = [:]
    private var identities: IdentityTable
    /// Sessions and relay uses that found the endpoint table full.
    public private(set) var untrackedObservations = 0
    /// Device identities that found their address's list full, and sightings at addresses
    /// that found the identity table full (limits.max_identities_per_address,
    /// limits.max_addresses_with_identities).
    public var identitiesNotKept: Int { identities.droppedIdentities + identities.untrackedAddresses }
    public private(set) var allowedSessions = 0

    /// Throws when the configuration names an unknown time zone or a malformed network.
    public init(next: FlowSink, configuration: DetectionConfiguration = DetectionConfiguration(),
                intel: PeerIntel? = nil, devices: DeviceTable? = nil) throws {
        self.next = next
        self.configuration = configuration
        self.intel = intel
        self.devices = devices
        let resolved = try Resolved(configuration)
        siteTimeZone = resolved.zone
        siteLocation = resolved.location
        siteNetworks = resolved.site
        adminNetworks = resolved.admin
        partnerPeers = resolved.partner
        let l = configuration.limits
        identities = IdentityTable(maxAddresses: l.maxAddressesWithIdentities, maxPerAddress: l.maxIdentitiesPerAddress)
    }

    /// Checks a configuration without building an engine (for the command line, before a run).
    public static func validate(_ configuration: DetectionConfiguration) throws {
        _ = try Resolved(configuration)
    }

    /// The parts of the configuration that are parsed once: the clock, the place, the networks.
    private struct Resolved {
        var zone: TimeZone
        var location: GeoLocation?
        var site, admin, partner: NetworkSet

        init(_ c: DetectionConfiguration) throws {
            func fail(_ why: String) -> DetectionConfigurationError { DetectionConfigurationError(description: why) }
            guard let zone = TimeZone(identifier: c.site.timezone) else {
                throw fail("site.timezone: unknown time zone '\(c.site.timezone)' (an IANA name such as America/Chicago)")
            }
            self.zone = zone
            if c.site.location.isEmpty {
                location = nil
            } else if let (lat, lon) = DetectionConfiguration.parseLocation(c.site.location) {
                location = GeoLocation(latitude: lat, longitude: lon)
            } else {
                throw fail("site.location: expected LAT,LON in degrees, got '\(c.site.location)'")
            }
            let t = c.thresholds
            guard t.low <= t.medium && t.medium <= t.high else {
                throw fail("thresholds: the bands must satisfy low ≤ medium ≤ high (got \(t.low), \(t.medium), \(t.high))")
            }
            guard (0...24).contains(c.site.workdayStartHour), (0...24).contains(c.site.workdayEndHour) else {
                throw fail("site.workday_start_hour and site.workday_end_hour must be hours 0–24")
            }
            let l = c.limits
            guard l.maxEndpoints > 0, l.maxSessionsPerEndpoint > 0, l.maxRelaysPerEndpoint > 0,
                  l.maxAddressesWithIdentities > 0, l.maxIdentitiesPerAddress > 0 else {
                throw fail("limits: every limit must be at least 1")
            }
            for (key, n) in [("identities_per_address", t.identitiesPerAddress), ("host_names_per_address", t.hostNamesPerAddress),
                             ("client_certificates_per_address", t.clientCertificatesPerAddress),
                             ("ja4_per_address", t.ja4PerAddress)] where n > l.maxIdentitiesPerAddress {
                throw fail("thresholds.\(key) (\(n)) exceeds limits.max_identities_per_address (\(l.maxIdentitiesPerAddress)): it could never be met")
            }
            do {
                site = try NetworkSet.site(c.site.networks)
                admin = try NetworkSet(c.allow.adminNetworks, name: "allow.admin_networks")
                partner = try NetworkSet(c.allow.partnerPeers, name: "allow.partner_peers")
            } catch {
                throw fail("\(error)")
            }
        }
    }

    public func flowEnded(_ flow: FlowState, reason: FlowEndReason) {
        next.flowEnded(flow, reason: reason)
        // The uid is made only when an identity is new to its address.
        var uid: String?
        identities.note(flow) {
            if let uid { return uid }
            let made = FlowRecordWriter.uid(flow)
            uid = made
            return made
        }
        guard let observation = SessionExtraction.observe(flow, thresholds: configuration.thresholds) else { return }
        let limits = configuration.limits
        switch observation {
        case .session(let s):
            if isAllowed(s) {
                allowedSessions += 1
                return
            }
            record(for: s.driven)?.add(s, limit: limits.maxSessionsPerEndpoint)
        case .relay(let r):
            record(for: r.client)?.add(r, limit: limits.maxRelaysPerEndpoint)
        }
    }

    private func record(for a: IPAddress) -> EndpointRecord? {
        if let r = records[a] { return r }
        guard records.count < configuration.limits.maxEndpoints else {
            untrackedObservations += 1
            return nil
        }
        let r = EndpointRecord(address: a)
        records[a] = r
        return r
    }

    /// Sanctioned tools, sessions driven from an admin network, sessions with a partner peer.
    private func isAllowed(_ s: RemoteSession) -> Bool {
        let allowedTools = configuration.allow.tools.map { $0.lowercased() }
        let names = s.tools.map(\.rawValue) + (s.isShell ? ["ssh"] : [])
        if !names.isEmpty && names.allSatisfy(allowedTools.contains) { return true }
        let controlSide = s.controller ?? s.peer
        if adminNetworks.contains(controlSide) { return true }
        return partnerPeers.contains(s.peer) || s.controller.map(partnerPeers.contains) == true
    }

    // MARK: Findings

    /// Every endpoint's finding at or above the `low` band, highest score first.
    public func findings() -> [Finding] {
        let all = Array(records.values)
        let zone = siteTimeZone
        let asn: (IPAddress) -> (UInt32, String?)? = { [intel] a in
            guard let info = intel?.info(for: a), let number = info.asn else { return nil }
            return (number, info.asOrganization)
        }
        let context = ScoringContext(
            configuration: configuration,
            siteUTCOffset: { ns in zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(ns) / 1e9)) },
            farm: FarmPatterns(all, asn: asn), identities: identities,
            alternation: IdentityAlternation(identities, vpnReason: vpnReason, configuration.thresholds), asn: asn,
            siteNetworks: siteNetworks,
            kvmProduct: { [weak self] r in self?.kvmProduct(of: r) },
            peerEvidence: { [intel, siteLocation, configuration] s, rtt in
                GeoEvidence.evaluate(s, controllerRTTms: rtt, intel: intel, site: siteLocation, configuration)
            })
        return all.compactMap { r -> Finding? in
            guard var f = Scoring.assess(r, context) else { return nil }
            f.names = names(of: r)
            return f
        }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.endpoint < $1.endpoint }
    }

    /// Why an address is a VPN exit: on a list of a VPN kind (`farm.vpn_list_kinds`), or in an
    /// AS the user marked (`farm.vpn_asns`); nil when it is neither (or nothing is configured).
    private func vpnReason(_ a: IPAddress) -> String? {
        guard let intel, !intel.isEmpty else { return nil }
        let kinds = configuration.farm.vpnListKinds.map { $0.lowercased() }
        for list in intel.lists where kinds.contains(list.kind.lowercased()) && list.contains(a) {
            return "list \(list.name) (\(list.kind))"
        }
        let info = intel.info(for: a)
        if let number = info.asn, configuration.farm.vpnAsns.contains(number) {
            return "AS\(number)\(info.asOrganization.map { " \($0)" } ?? "") in farm.vpn_asns"
        }
        return nil
    }

    /// The devices the endpoint is: by its MAC, or by an address the device used.
    private func devices(of r: EndpointRecord) -> [Device] {
        devices?.devices.filter { (r.mac != 0 && $0.mac == r.mac) || $0.addresses.items.contains(r.address) } ?? []
    }

    /// The IP-KVM product of the endpoint's device, once devices are classified (the run's
    /// end, before findings are drawn). A device called a KVM on its traffic shape alone
    /// (STUN at boot, a video stream: a laptop with a WebRTC app shows both) is not scored.
    private func kvmProduct(of r: EndpointRecord) -> String? {
        devices(of: r).lazy.filter { !$0.kvmRestsOnTrafficShapeOnly }.compactMap(\.kvm).first.map { $0.product ?? "IP-KVM" }
    }

    /// The names the endpoint's device gave itself (DHCP, mDNS, NBNS).
    private func names(of r: EndpointRecord) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for d in devices(of: r) {
            for n in d.hostNames.items + d.netbiosNames.items where !out.contains(n) && out.count < 8 { out.append(n) }
        }
        return out
    }

    /// Every remote-control session kept, and every relay use, for the report's tables.
    public var sessions: [RemoteSession] {
        records.values.flatMap(\.sessions).sorted { $0.startNs < $1.startNs }
    }

    public var relayUses: [RelayUse] {
        records.values.flatMap(\.relays).sorted { $0.startNs < $1.startNs }
    }
}
