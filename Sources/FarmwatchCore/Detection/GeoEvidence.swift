/// What GeoIP, ASN data and address lists say about a session's far end, judged against the
/// physics of its measured round trip: an RTT far above the floor for the GeoIP distance
/// means the path has another hop; an RTT below the floor means the geolocation is wrong
/// (the address answers from nearer than its database place).
enum GeoEvidence {
    static func evaluate(_ s: RemoteSession, controllerRTTms rtt: Double?, intel: PeerIntel?, site: GeoLocation?,
                         _ c: DetectionConfiguration) -> PeerEvidence {
        guard let intel, !intel.isEmpty else { return PeerEvidence() }
        let w = c.weights, t = c.thresholds
        var out = PeerEvidence()
        let uids = [s.uid]
        // The far end: the controller when visible, else what a relay names, else the peer.
        let far = s.controller ?? s.relay?.farSide.flatMap(RelayEvidence.farSideAddress) ?? s.peer
        let info = intel.info(for: far)

        if let loc = info.location {
            out.controllerPlace = [loc.city, loc.countryCode].compactMap { $0 }.joined(separator: ", ")
            out.controllerLongitude = loc.longitude
        } else if let cc = info.countryCode {
            out.controllerPlace = cc
        }
        if var place = out.controllerPlace {
            if let asn = info.asn { place += " AS\(asn)" + (info.asOrganization.map { " \($0)" } ?? "") }
            let foreign = !c.site.countryCode.isEmpty && info.countryCode.map { $0.uppercased() != c.site.countryCode.uppercased() } == true
            out.items.append(.init("controller_location", .text("\(far): \(place)"),
                                   threshold: c.site.countryCode.isEmpty ? "site.country_code not configured"
                                       : "outside \(c.site.countryCode.uppercased())",
                                   weight: foreign ? w.foreignController : 0, uids: uids))
        }
        if let site, let loc = info.location, let rtt, let n = samples(s), n >= t.minLatencySamples {
            let km = LatencyPhysics.greatCircleKm(site, loc)
            let floor = LatencyPhysics.floorRTTms(distanceKm: km)
            out.items.append(.init("geo_distance_km", .number(km.rounded()), threshold: nil, weight: 0, uids: uids))
            if rtt < floor {
                out.items.append(.init("below_latency_floor_ms", .number(floor.rounded()),
                                       threshold: "the \(Scoring.num(rtt)) ms round trip is faster than light allows: the geolocation is wrong",
                                       weight: 0, uids: uids))
            } else {
                let above = rtt > floor * t.floorStretchMax && rtt - floor >= t.hiddenHopMs
                out.items.append(.init("latency_floor_ms", .number(floor.rounded()),
                                       threshold: "round trip > \(Scoring.num(t.floorStretchMax))× the floor: another hop",
                                       weight: above ? w.aboveLatencyFloor : 0, uids: uids))
            }
        }
        var listed: [String] = []
        for a in [far, s.relay?.address].compactMap({ $0 }) {
            for tag in intel.info(for: a).listTags where !listed.contains("\(a) \(tag)") { listed.append("\(a) \(tag)") }
        }
        if !listed.isEmpty {
            out.items.append(.init("listed_peer", .text(listed.joined(separator: "; ")),
                                   threshold: "the controller or relay is on an address list", weight: w.listedPeer, uids: uids))
        }
        return out
    }

    /// The sample count behind the session's controller estimate.
    private static func samples(_ s: RemoteSession) -> Int? {
        max(s.latency.opening?.samples ?? 0, s.latency.interactive?.samples ?? 0, s.latency.transportMs == nil ? 0 : 1)
    }
}
