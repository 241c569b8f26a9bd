import Foundation

/// What scoring needs beyond one endpoint's sessions: the model, the site's clock, the
/// cross-endpoint patterns and (when configured) what GeoIP and the lists say about peers.
struct ScoringContext {
    var configuration: DetectionConfiguration
    /// The site's UTC offset (seconds) at a given instant.
    var siteUTCOffset: (Int64) -> Int
    var farm: FarmPatterns
    var identities: IdentityTable
    var alternation: IdentityAlternation
    /// The AS number and organisation of an address (nil without an ASN database).
    var asn: (IPAddress) -> (UInt32, String?)?
    var siteNetworks: NetworkSet
    /// The IP-KVM product the endpoint's device record names ("PiKVM", or "IP-KVM" when the
    /// product is unknown), nil when it is not one.
    var kvmProduct: (EndpointRecord) -> String? = { _ in nil }
    /// Evidence about a session's controller or relay from GeoIP and address lists (empty
    /// when none are configured).
    var peerEvidence: (RemoteSession, Double?) -> PeerEvidence
}

/// What GeoIP and address lists add to one session.
struct PeerEvidence {
    var items: [EvidenceItem] = []
    /// "Shenyang, CN" — for the summary sentence.
    var controllerPlace: String?
    /// The controller's longitude, for its local hours.
    var controllerLongitude: Double?
}

/// The scoring model (documented in README, "Scoring model"): each kind of evidence adds its
/// configured weight when its threshold is met; the endpoint's score is the best session's
/// points plus the endpoint-wide patterns, capped at 100; the bands name the severity.
enum Scoring {
    static func severity(score: Double, _ t: DetectionConfiguration.Thresholds) -> Severity? {
        if score >= t.high { return .high }
        if score >= t.medium { return .medium }
        if score >= t.low { return .low }
        return nil
    }

    /// The finding for one endpoint, or nil when its score stays below the `low` band.
    static func assess(_ r: EndpointRecord, _ ctx: ScoringContext) -> Finding? {
        let c = ctx.configuration, t = c.thresholds
        let scored = r.sessions.map { s -> (RemoteSession, [EvidenceItem], PeerEvidence) in
            let peer = ctx.peerEvidence(s, s.controllerRTTms(minSamples: t.minLatencySamples))
            return (s, sessionEvidence(s, c) + peer.items, peer)
        }
        let best = scored.max { a, b in
            let pa = points(a.1), pb = points(b.1)
            return pa != pb ? pa < pb : a.0.durationSeconds < b.0.durationSeconds
        }
        var evidence = best?.1 ?? []
        evidence += endpointEvidence(r, ctx, controllerLongitude: best?.2.controllerLongitude)
        if best == nil {
            evidence += relayOnlyEvidence(r, ctx)
        }
        var score = min(100, points(evidence))
        // Relays alone (a VPN user, a video call) are ordinary: never more than `low`.
        if best == nil { score = min(score, t.medium - 1) }
        guard let severity = severity(score: score, t) else { return nil }

        let s = best?.0
        let rtt = s?.controllerRTTms(minSamples: t.minLatencySamples)
        let hidden = s?.hiddenHopMs(minSamples: t.minLatencySamples)
        let relay = s?.relay ?? r.relays.first?.hop
        let far = (rtt ?? 0) >= t.controllerFarMs
        let relayed = relay != nil || (hidden ?? 0) >= t.hiddenHopMs
        let verdict: String
        switch (s != nil, far, relayed) {
        case (false, _, _): verdict = "relay_use"
        case (true, true, true): verdict = "driven_from_afar_via_relay"
        case (true, true, false): verdict = "driven_from_afar"
        case (true, false, true): verdict = "driven_via_relay"
        default: verdict = "remotely_controlled"
        }
        let kvm = r.sessions.isEmpty ? nil : ctx.kvmProduct(r)
        var tools = r.tools.map(\.rawValue) + (r.sessions.contains(where: \.isShell) ? ["ssh"] : [])
        // Whatever drives an IP-KVM (its console, a VNC server on it, a tunnel) drives it as
        // remote access hardware.
        if kvm != nil && !tools.contains(Family.kvm.rawValue) { tools.append(Family.kvm.rawValue) }
        let finding = Finding(
            endpoint: r.address, names: [], mac: r.mac, verdict: verdict, severity: severity,
            score: Int(score.rounded()), summary: "",
            tools: tools,
            relay: relay, controller: s?.controller,
            transportRTTms: s?.latency.transportMs, controllerRTTms: rtt, hiddenHopMs: hidden,
            attack: attack(r, relay: relay, site: ctx.siteNetworks, isKVM: kvm != nil), evidence: evidence)
        var out = finding
        out.summary = summary(out, session: s, record: r, place: best?.2.controllerPlace, kvm: kvm, c)
        return out
    }

    static func points(_ items: [EvidenceItem]) -> Double { items.reduce(0) { $0 + $1.weight } }

    // MARK: Per session

    static func sessionEvidence(_ s: RemoteSession, _ c: DetectionConfiguration) -> [EvidenceItem] {
        let w = c.weights, t = c.thresholds
        let uids = [s.uid]
        var items: [EvidenceItem] = []
        if !s.tools.isEmpty {
            items.append(.init("remote_control", .text(s.tools.map(\.rawValue).joined(separator: ",")),
                               threshold: "a remote-control tool drives the host", weight: w.remoteControl, uids: uids))
        } else if s.isShell, let relay = s.relay, relay.kind == .sshReverse {
            // Typed from beyond a tunnel the host opened itself: remote control of the host,
            // whatever the tool at the far end.
            items.append(.init("reverse_shell", .text("ssh-reverse \(relay.address)"),
                               threshold: "keystrokes come down the host's own outbound SSH", weight: w.remoteControl,
                               uids: uids))
        } else if s.isShell {
            items.append(.init("interactive_shell", .text("ssh"), threshold: "an interactive SSH login to the host",
                               weight: w.interactiveShell, uids: uids))
        } else if let relay = s.relay {
            items.append(.init("tunnelled_control", .text("\(relay.kind.rawValue): screen-sized data out, small inputs in"),
                               threshold: "sends ≥ \(num(t.screenUpdateRatio))× the bytes it receives", weight: w.remoteControl,
                               uids: uids))
        }
        let minSamples = t.minLatencySamples
        if let tr = s.latency.transportMs {
            items.append(.init("transport_rtt_ms", .number(tr), threshold: nil, weight: 0, uids: uids))
        }
        if let o = s.latency.opening {
            items.append(.init("opening_rtt", .text(describe(o)), threshold: nil, weight: 0, uids: uids))
        }
        if let i = s.latency.interactive {
            items.append(.init("interactive_turnaround", .text(describe(i)), threshold: nil, weight: 0, uids: uids))
        }
        if s.isShell, let a = s.latency.contentAnswers {
            items.append(.init("content_answer_turnaround", .text(describe(a)), threshold: nil, weight: 0, uids: uids))
        }
        if let rtt = s.controllerRTTms(minSamples: minSamples) {
            let weight = rtt >= t.controllerFarMs ? w.controllerFar : rtt >= t.controllerDistantMs ? w.controllerDistant : 0
            items.append(.init("controller_rtt_ms", .number(rtt),
                               threshold: "≥ \(num(t.controllerFarMs)) ms another continent; ≥ \(num(t.controllerDistantMs)) ms distant",
                               weight: weight, uids: uids))
            items.append(.init("controller_max_distance_km", .number(LatencyPhysics.maxDistanceKm(rttMs: rtt).rounded()),
                               threshold: "light in fibre: RTT/2 × \(Int(LatencyPhysics.fibreKmPerMs)) km/ms", weight: 0, uids: uids))
        }
        if let hidden = s.hiddenHopMs(minSamples: minSamples), let tr = s.latency.transportMs {
            let app = tr + hidden
            let met = hidden >= t.hiddenHopMs && app >= t.hiddenHopRatio * max(tr, 0.001)
            items.append(.init("hidden_hop_ms", .number(hidden),
                               threshold: "≥ \(num(t.hiddenHopMs)) ms and ≥ \(num(t.hiddenHopRatio))× the transport RTT",
                               weight: met ? w.hiddenHop : 0, uids: uids))
        }
        if let relay = s.relay {
            var text = "\(relay.kind.rawValue) \(relay.address)"
            if let far = relay.farSide { text += " → \(far)" }
            // A relay known only from latency is already scored as the hidden hop.
            items.append(.init("relay", .text(text), threshold: "the session crosses a relay",
                               weight: relay.kind == .unidentified ? 0 : w.relay,
                               uids: relay.uid == s.uid ? uids : [relay.uid, s.uid]))
        }
        let screenUpdates = Double(s.bytesFromDriven) >= t.screenUpdateRatio * Double(max(1, s.bytesToDriven))
        let human = s.inputEvents >= UInt64(t.humanInputMinEvents) && (screenUpdates || s.isShell)
        items.append(.init("input_events", .number(Double(s.inputEvents)),
                           threshold: "≥ \(t.humanInputMinEvents) small packets towards the host"
                               + (s.isShell ? "" : " while it sends ≥ \(num(t.screenUpdateRatio))× the bytes"),
                           weight: human ? w.humanInput : 0, uids: uids))
        return items
    }

    // MARK: Per endpoint

    static func endpointEvidence(_ r: EndpointRecord, _ ctx: ScoringContext, controllerLongitude: Double?) -> [EvidenceItem] {
        let c = ctx.configuration, w = c.weights, t = c.thresholds
        var items: [EvidenceItem] = []
        let allUIDs = Array(r.sessions.map(\.uid).prefix(16))
        let tools = r.tools
        if tools.count >= t.concurrentTools {
            let uids = tools.compactMap { f in r.sessions.first { $0.tools.contains(f) }?.uid }
            items.append(.init("concurrent_tools", .number(Double(tools.count)),
                               threshold: "≥ \(t.concurrentTools) remote-control tools on one host", weight: w.concurrentTools, uids: uids))
        }
        if !r.sessions.isEmpty {
            let minutes = r.drivenSeconds / 60
            items.append(.init("driven_minutes", .number((minutes * 10).rounded() / 10),
                               threshold: "≥ \(num(t.longSessionMinutes)) min in total",
                               weight: minutes >= t.longSessionMinutes ? w.longSession : 0, uids: allUIDs))
            if minutes >= t.offHoursMinMinutes {
                items += hoursEvidence(r, ctx, controllerLongitude: controllerLongitude, uids: allUIDs)
            }
        }
        let shared = ctx.farm.sharing(for: r)
        if let shared, shared.hosts >= t.sharedHosts {
            items.append(.init("shared_\(shared.role)", .text("\(shared.address) drives \(shared.hosts) hosts"),
                               threshold: "≥ \(t.sharedHosts) driven hosts share one \(shared.role)",
                               weight: w.sharedInfrastructure, uids: shared.uids))
        }
        if let byAS = ctx.farm.asSharing(for: r, asn: ctx.asn), byAS.hosts >= t.sharedAsHosts {
            items.append(sharedASItem(byAS, addressSharing: shared?.hosts ?? 0, c))
        }
        if !r.sessions.isEmpty, let product = ctx.kvmProduct(r) {
            items += kvmEvidence(r, product: product, ctx, uids: allUIDs)
        }
        items += identityEvidence(r.address, ctx)
        return items
    }

    /// A driven IP-KVM: remote access hardware, scored when it is driven from outside the site
    /// (an admin at a desk nearby is ordinary); several of them driven by one operator, or
    /// many on the site, are the farm's rack of laptops each behind its KVM.
    static func kvmEvidence(_ r: EndpointRecord, product: String, _ ctx: ScoringContext, uids: [String]) -> [EvidenceItem] {
        let c = ctx.configuration, w = c.weights, t = c.thresholds
        let offSite = r.sessions.filter { FarmPatterns.drivenFromOffSite($0, ctx.siteNetworks) }
        var items: [EvidenceItem] = [
            .init("kvm_device", .text(product),
                  threshold: "the driven endpoint is an IP-KVM (its device record; the computer it drives does not show"
                      + " on the wire), driven from outside the site",
                  weight: offSite.isEmpty ? 0 : w.kvmDevice, uids: uids),
        ]
        guard !offSite.isEmpty else { return items }
        if let shared = ctx.farm.kvmSharing(for: r, kvm: product, site: ctx.siteNetworks, asn: ctx.asn),
           shared.kvms.count >= t.kvmFarmDevices {
            items.append(.init("kvm_farm", .text("\(shared.kvms.count) IP-KVMs driven by \(shared.driver): "
                                   + shared.kvms.map(\.description).joined(separator: ", ")),
                               threshold: "≥ \(t.kvmFarmDevices) IP-KVMs driven from outside the site by one controller, relay or AS",
                               weight: w.kvmFarm, uids: shared.uids))
        }
        let atSite = ctx.farm.kvmsAtSite, count = ctx.farm.kvmsAtSiteCount
        if count >= t.kvmDevicesAtSite {
            let listed = atSite.map(\.description).joined(separator: ", ") + (count > atSite.count ? ", …" : "")
            items.append(.init("kvm_devices_at_site", .text("\(count): " + listed),
                               threshold: "≥ \(t.kvmDevicesAtSite) IP-KVM devices on the site, this one driven from outside it",
                               weight: w.kvmDevicesAtSite, uids: uids))
        }
        return items
    }

    /// One AS for the controllers or relays of several driven hosts: the operators use one
    /// provider. Weaker than one address (a popular VPN or hosting company serves many), and
    /// nothing at all for the ISPs and clouds of `farm.broad_asns`, where any two strangers
    /// meet; nothing more either when one shared address already counts these hosts.
    static func sharedASItem(_ s: (hosts: Int, asn: UInt32, organization: String?, uids: [String]), addressSharing: Int,
                             _ c: DetectionConfiguration) -> EvidenceItem {
        let broad = c.farm.broadAsns.contains(s.asn)
        let covered = addressSharing >= s.hosts
        var threshold = "≥ \(c.thresholds.sharedAsHosts) driven hosts' controllers or relays in one AS, not a broad ISP or cloud AS"
        if broad { threshold += " (this one is in farm.broad_asns)" } else if covered { threshold += " (one shared address already counts them)" }
        return .init("shared_as", .text("AS\(s.asn)\(s.organization.map { " \($0)" } ?? ""): \(s.hosts) driven hosts"),
                     threshold: threshold, weight: broad || covered ? 0 : c.weights.sharedAs, uids: s.uids)
    }

    /// Several machines behind the endpoint's address (TCP/IP stacks, DHCP host names, client
    /// certificates, JA4s), and its identities seen on the other side of a VPN line.
    static func identityEvidence(_ a: IPAddress, _ ctx: ScoringContext) -> [EvidenceItem] {
        let c = ctx.configuration, w = c.weights, t = c.thresholds
        var items: [EvidenceItem] = []
        let kinds: [(IdentityKind, String, Int, Double, String)] = [
            (.tcpStack, "device_identities", t.identitiesPerAddress, w.manyIdentities, "TCP/IP stacks"),
            (.dhcpHostName, "dhcp_host_names", t.hostNamesPerAddress, w.manyHostNames, "DHCP host names"),
            (.clientCertificate, "client_certificates", t.clientCertificatesPerAddress, w.manyClientCertificates,
             "TLS client-certificate subjects"),
            (.ja4, "ja4_fingerprints", t.ja4PerAddress, w.manyJa4, "TLS client fingerprints (JA4)"),
        ]
        let entry = ctx.identities.entry(a)
        for (kind, name, threshold, weight, what) in kinds {
            let n = ctx.identities.count(kind, at: a)
            guard n >= threshold, let kept = entry?.kept[kind.rawValue] else { continue }
            let examples = kept.compactMap(\.value)
            let value: EvidenceItem.Value = examples.isEmpty ? .number(Double(n))
                : .text("\(n): " + examples.joined(separator: "; ") + (n > examples.count ? "; …" : ""))
            items.append(.init(name, value, threshold: "≥ \(threshold) \(what) behind one address",
                               weight: weight, uids: kept.map(\.uid)))
        }
        for m in ctx.alternation.matches(for: a) {
            let what: String
            switch m.kind {
            case .clientCertificate: what = "client certificate \(m.value)"
            case .dhcpHostName: what = "DHCP host name \(m.value)"
            default: what = "\(m.value)"
            }
            let ja4 = m.kind == .ja4
            let text = "\(what) from \(a) and from \(m.other); \(m.vpnExit) is a VPN exit (\(m.reason))"
            items.append(.init(ja4 ? "alternating_ja4_set" : "alternating_identity", .text(text),
                               threshold: ja4
                                   ? "≥ \(t.alternationMinJa4) JA4s seen from < \(t.ja4CommonAddresses) addresses each, on both sides of a VPN exit"
                                   : "one machine's identity both from a VPN exit and from elsewhere",
                               weight: ja4 ? w.alternatingJa4Set : w.alternatingIdentity, uids: m.uids))
        }
        return items
    }

    /// When in the day the host is driven, in the site's hours and (from the controller's
    /// longitude, when GeoIP knows it) in the controller's solar hours.
    static func hoursEvidence(_ r: EndpointRecord, _ ctx: ScoringContext, controllerLongitude: Double?,
                              uids: [String]) -> [EvidenceItem] {
        let c = ctx.configuration, t = c.thresholds
        let reference = r.sessions.first?.startNs ?? 0
        let offsetHours = ctx.siteUTCOffset(reference) / 3600
        var outside = 0.0
        var busiest: [(Int, Double)] = []
        for utc in 0..<24 {
            let seconds = r.drivenSecondsByUTCHour[utc]
            guard seconds > 0 else { continue }
            let local = ((utc + offsetHours) % 24 + 24) % 24
            if local < c.site.workdayStartHour || local >= c.site.workdayEndHour { outside += seconds }
            busiest.append((utc, seconds))
        }
        let share = r.drivenSeconds > 0 ? outside / r.drivenSeconds : 0
        func hours(_ offset: Int) -> String {
            busiest.sorted { $0.0 < $1.0 }.map { String(((($0.0 + offset) % 24) + 24) % 24) }.joined(separator: ",")
        }
        var text = "site hours \(hours(offsetHours)) (\(c.site.timezone))"
        if let lon = controllerLongitude {
            let controllerOffset = Int((lon / 15).rounded())
            text += "; controller's solar hours \(hours(controllerOffset)) (UTC\(controllerOffset >= 0 ? "+" : "")\(controllerOffset))"
        }
        return [
            .init("off_hours_share", .number((share * 100).rounded() / 100),
                  threshold: "≥ \(num(t.offHoursShare)) of driven time outside \(c.site.workdayStartHour):00–\(c.site.workdayEndHour):00 site time",
                  weight: share >= t.offHoursShare ? c.weights.offHours : 0, uids: uids),
            .init("driven_hours", .text(text), threshold: nil, weight: 0, uids: uids),
        ]
    }

    /// A host with relay use but no remote control: only relays on a user's list count.
    static func relayOnlyEvidence(_ r: EndpointRecord, _ ctx: ScoringContext) -> [EvidenceItem] {
        guard let use = r.relays.first else { return [] }
        var text = "\(use.hop.kind.rawValue) \(use.hop.address)"
        if let far = use.hop.farSide { text += " → \(far)" }
        let listed = use.hop.kind == .tor || use.hop.kind == .listedExit
        return [.init("relay", .text(text), threshold: "a Tor or listed relay (unlisted VPNs and media relays are ordinary)",
                      weight: listed ? ctx.configuration.weights.listedPeer : 0,
                      uids: Array(r.relays.map(\.uid).prefix(16)))]
    }

    static func attack(_ r: EndpointRecord, relay: RelayHop?, site: NetworkSet, isKVM: Bool = false) -> [String] {
        var ids: [String] = []
        let tools = r.tools
        // A tunnelled session on an IP-KVM is the KVM's own (its cloud link, its media relay).
        if tools.contains(where: { $0 != .kvm }) || !isKVM && r.sessions.contains(where: { $0.tools.isEmpty && !$0.isShell }) {
            ids.append("T1219.002")
        }
        if tools.contains(.kvm) || (isKVM && !r.sessions.isEmpty) { ids.append("T1219.003") }
        if relay != nil { ids.append("T1090") }
        // External remote services: a desktop or shell service on the host, reached from outside the site.
        if r.sessions.contains(where: { s in
            (s.isShell || s.tools.contains(where: SessionExtraction.servesDesktop)) && !site.contains(s.controller ?? s.peer)
        }) {
            ids.append("T1133")
        }
        return ids
    }

    // MARK: Words

    static func summary(_ f: Finding, session s: RemoteSession?, record r: EndpointRecord, place: String?,
                        kvm: String? = nil, _ c: DetectionConfiguration) -> String {
        guard let s else {
            return "\(f.endpoint) used \(f.relay.map { "a \($0.kind.rawValue) relay at \($0.address)" } ?? "a relay")"
                + " and showed no remote control."
        }
        // Inside a tunnel no tool is recognised: say that the remote control is read from the
        // traffic's shape, so a reader knows what to check.
        let console = kvm == nil ? "an IP-KVM's console" : "its console"
        let tool = s.tools == [.kvm]
            ? console + (s.relay.map { " through \(article($0.kind.rawValue)) \($0.kind.rawValue) tunnel" } ?? "")
            : s.tools.isEmpty
            ? (s.isShell ? "SSH" : "a session inside \(article(s.relay?.kind.rawValue ?? "relay")) \(s.relay?.kind.rawValue ?? "relay") tunnel"
                + " whose shape is remote control (screen-sized data out, small inputs in)")
            : s.tools.map(\.rawValue).joined(separator: "+")
        // An IP-KVM stands in for the computer it is plugged into, which the network never sees.
        let who = kvm.map { product in
            let named = product == "IP-KVM" ? "an IP-KVM" : "\(article(product)) \(product) IP-KVM"
            return "\(f.endpoint), \(named) (the computer behind it does not show on the wire),"
        } ?? "\(f.endpoint)"
        var out = "\(who) was driven over \(tool) for \(minutes(r.drivenSeconds))"
        if r.sessions.count > 1 { out += " in \(r.sessions.count) sessions" }
        // GeoIP places the controller when it is seen, else the session's peer (the relay).
        if let ctl = f.controller {
            out += " by \(ctl)"
            if let place { out += " (\(place))" }
        }
        if let relay = f.relay {
            out += " through \(article(relay.kind.rawValue)) \(relay.kind.rawValue) relay at \(relay.address)"
            if f.controller == nil, relay.address == s.peer, let place { out += " (\(place))" }
            if let tr = f.transportRTTms, relay.address == s.peer { out += " \(num(tr)) ms away" }
        } else if f.controller == nil, let place {
            out += " from \(s.peer) (\(place))"
        }
        if let rtt = f.controllerRTTms {
            out += "; the controller's round trip is \(num(rtt)) ms"
            let n = s.controllerRTTSamples(minSamples: c.thresholds.minLatencySamples)
            if n > 0 { out += " (\(n) samples)" }
            if let hidden = f.hiddenHopMs, hidden >= c.thresholds.hiddenHopMs, let tr = f.transportRTTms {
                let handshake = s.latency.transportIsTCPHandshake ? "TCP handshake" : "tunnel's own handshake"
                out += ", \(num(hidden)) ms more than the \(num(tr)) ms \(handshake) shows"
            }
            // Within the fibre bound; real routes run 1.5–2× the great circle, so the likely
            // distance is the bound divided by that stretch.
            let bound = LatencyPhysics.maxDistanceKm(rttMs: rtt)
            let likely = (bound / LatencyPhysics.routeStretch.upperBound, bound / LatencyPhysics.routeStretch.lowerBound)
            out += ", so it is at most \(group(Int(bound))) km away by fibre, likely \(group(Int(likely.0)))–\(group(Int(likely.1))) km"
        }
        return out + "."
    }

    static func article(_ word: String) -> String {
        word.first.map { "aeiou".contains($0) } == true ? "an" : "a"
    }

    static func describe(_ e: LatencyEstimate) -> String {
        var s = "min \(num(e.minMs)), p10 \(num(e.p10Ms)), p25 \(num(e.p25Ms)), median \(num(e.medianMs))"
        if let m = e.modeMs { s += ", mode \(num(m))" }
        return s + " ms; \(e.samples) samples, IQR \(num(e.spreadMs)) ms"
    }

    /// One decimal (two below 1, so a LAN's 0.04 ms does not read as 0).
    static func num(_ v: Double) -> String {
        let scale = abs(v) < 1 ? 100.0 : 10.0
        let r = (v * scale).rounded() / scale
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    static func minutes(_ seconds: Double) -> String {
        seconds < 120 ? "\(Int(seconds.rounded())) s" : seconds < 7200 ? "\(Int((seconds / 60).rounded())) min"
            : "\(num(seconds / 3600)) h"
    }

    static func group(_ v: Int) -> String {
        let s = String(v)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }
}
