import Foundation
import XCTest
@testable import FarmwatchCore

/// The scenario captures (captures/scenarios/, made by scripts/make-scenario-captures.sh: a
/// Dallas office laptop driven from Shenyang directly or through relays, and benign
/// look-alikes) checked against their sidecars, without any detection logic: the files open,
/// the sidecars follow the format shared with the detection engine, the addresses they name
/// are in the traffic, the protocols on the wire are recognised where farmwatch has a
/// dissector for them, and the injected delays show in the flow records' timings.
final class ScenarioCaptureTests: XCTestCase {
    struct Sidecar: Decodable {
        struct Site: Decodable { let timezone: String; let latitude: Double; let longitude: Double }
        struct Relay: Decodable { let address: String?; let kind: String }
        struct Roles: Decodable { let controlled: String; let controller: String?; let relay: Relay }
        struct Injected: Decodable { let controller_rtt_ms: Double?; let relay_rtt_ms: Double?; let how: String }
        struct Expected: Decodable {
            let finding: Bool
            let severity_at_least: String?
            let severity_at_most: String
            let relay_kind: String?
            let controller_rtt_ms: Double?
        }
        struct Place: Decodable { let city: String; let country: String; let latitude: Double; let longitude: Double }
        /// The remote-control session as the sensor sees it; `far_side` is the end away from the laptop.
        struct Session: Decodable { let proto: String; let orig_h: String; let resp_h: String; let resp_p: Int; let far_side: String }
        let scenario: String
        let description: String
        let made_by: String
        let sensor: String
        let site: Site
        let roles: Roles
        let tools: [String]
        let injected: Injected
        let expected: Expected
        let geoip: [String: Place]
        let session: Session?
        /// The operator's real address when a relay hides it from the sensor.
        let hidden_controller: String?
        /// The IP-KVM scenarios: every KVM on the site, what names it, and whom they share.
        struct Farm: Decodable {
            struct KVM: Decodable { let address: String; let product: String; let identified_by: String }
            let kvms: [KVM]
            let shared_controller: String?
            let sessions: [Session]
        }
        let farm: Farm?
    }

    static let scenarios = [
        "direct-far-vnc", "benign-lan-admin", "socks-relay", "ordinary-web", "http-connect-relay",
        "ssh-jump", "ssh-reverse", "turn-relay", "vpn-wireguard", "benign-nearby-worker", "rdp-far",
        "openvpn-relay", "kvm-farm", "benign-lan-kvm",
    ]

    /// Families farmwatch has a dissector for: every family the sidecars list (VNC by the RFB
    /// dissector, TURN by the STUN one, WireGuard, RDP and OpenVPN by their own).
    static let familiesWithDissectors: Set<String> = ["ssh", "tls", "http", "dns", "vnc", "turn", "wireguard", "rdp", "openvpn"]

    static let relayKinds: Set<String> = ["none", "socks", "http-connect", "turn", "ssh-jump", "ssh-reverse", "vpn"]

    /// Analyses are shared by the tests (each capture is read once).
    nonisolated(unsafe) static var analysed: [String: (sidecar: Sidecar, flows: [FlowState], stats: EngineStats)] = [:]

    func scenario(_ name: String) throws -> (sidecar: Sidecar, flows: [FlowState], stats: EngineStats) {
        if let done = Self.analysed[name] { return done }
        let pcap = TestEnvironment.capture("scenarios/\(name).pcap")
        let json = try Data(contentsOf: URL(fileURLWithPath: TestEnvironment.capture("scenarios/\(name).truth.json")))
        let sidecar = try JSONDecoder().decode(Sidecar.self, from: json)
        let (flows, stats) = try analyzeCapture(pcap, dissectors: StandardDissectors())
        Self.analysed[name] = (sidecar, flows, stats)
        return (sidecar, flows, stats)
    }

    func sessionFlow(_ s: Sidecar.Session, in flows: [FlowState]) -> FlowState? {
        let match = flows.filter {
            FlowRecordWriter.protoName($0.key.proto) == s.proto && $0.originatorAddress.description == s.orig_h
                && $0.responderAddress.description == s.resp_h && Int($0.responderPort) == s.resp_p
        }
        return match.count == 1 ? match[0] : nil
    }

    func testEveryScenarioIsShipped() throws {
        let dir = TestEnvironment.capture("scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        let shipped = Set(files.filter { $0.hasSuffix(".truth.json") }.map { String($0.dropLast(".truth.json".count)) })
        XCTAssertEqual(shipped, Set(Self.scenarios))
        for name in Self.scenarios {
            let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: "\(dir)/\(name).pcap")[.size] as? Int)
            XCTAssertLessThan(size, 4 << 20, "\(name).pcap should stay a few MB at most")
        }
    }

    func testSidecarsFollowTheSharedFormat() throws {
        for name in Self.scenarios {
            let t = try scenario(name).sidecar
            XCTAssertEqual(t.scenario, name)
            XCTAssertEqual(t.made_by, "scripts/make-scenario-captures.sh \(name)")
            XCTAssertFalse(t.description.isEmpty, name)
            XCTAssertFalse(t.sensor.isEmpty, name)
            XCTAssertEqual(t.site.timezone, "America/Chicago", name)
            XCTAssertTrue(Self.relayKinds.contains(t.roles.relay.kind), "\(name): relay kind \(t.roles.relay.kind)")
            XCTAssertEqual(t.roles.relay.kind == "none", t.roles.relay.address == nil, "\(name): a relay has an address")
            XCTAssertFalse(t.tools.isEmpty, name)
            if t.expected.finding {
                XCTAssertEqual(t.expected.relay_kind, t.roles.relay.kind, name)
                XCTAssertEqual(t.expected.controller_rtt_ms, t.injected.controller_rtt_ms, name)
                XCTAssertNotNil(t.expected.severity_at_least, name)
            } else {
                XCTAssertEqual(t.expected.severity_at_most, "low", name)
            }
            for (address, place) in t.geoip {
                XCTAssertNotNil(IPAddress(address), "\(name): geoip key \(address)")
                XCTAssertTrue((-90...90).contains(place.latitude) && (-180...180).contains(place.longitude), "\(name): \(address)")
                XCTAssertEqual(place.country.count, 2, "\(name): \(address)")
            }
            // Whoever is far away in a scenario with a finding is placed outside the country: the
            // controller when the sensor sees it, else a relay that is as far away as the
            // controller (a VPN endpoint at the operator's place; not one near the site).
            let relayIsFar = t.injected.relay_rtt_ms != nil && t.injected.relay_rtt_ms == t.injected.controller_rtt_ms
            if t.expected.finding, let far = t.roles.controller ?? (relayIsFar ? t.roles.relay.address : nil) {
                XCTAssertNotEqual(t.geoip[far]?.country, "US", "\(name): \(far)")
            }
        }
    }

    func testCapturesOpenAndHoldTheSidecarsAddresses() throws {
        for name in Self.scenarios {
            let (t, flows, stats) = try scenario(name)
            XCTAssertGreaterThan(stats.packets, 100, name)
            XCTAssertEqual(stats.decodeErrorTotal, 0, name)
            let endpoints = Set(flows.flatMap { [$0.originatorAddress.description, $0.responderAddress.description] })
            let named = [t.roles.controlled, t.roles.controller, t.roles.relay.address].compactMap { $0 } + Array(t.geoip.keys)
            for address in named {
                XCTAssertTrue(endpoints.contains(address), "\(name): \(address) is named by the sidecar but in no flow")
            }
            if let s = t.session {
                let flow = sessionFlow(s, in: flows)
                XCTAssertNotNil(flow, "\(name): one session flow \(s.proto) \(s.orig_h) → \(s.resp_h):\(s.resp_p)")
                XCTAssertTrue([s.orig_h, s.resp_h].contains(t.roles.controlled), "\(name): the session ends at the laptop")
            }
        }
    }

    /// The tools of each scenario are recognised on its session flow (or, without one, on some
    /// flow) — for the families farmwatch has a dissector for.
    func testToolsOnTheWireAreRecognised() throws {
        var checked = 0
        for name in Self.scenarios {
            let (t, flows, _) = try scenario(name)
            for tool in t.tools where Self.familiesWithDissectors.contains(tool) {
                let candidates = t.session.flatMap { sessionFlow($0, in: flows) }.map { [$0] } ?? flows
                let found = candidates.contains { f in (f.metadata?.protocols ?? []).contains { $0.family.rawValue == tool } }
                XCTAssertTrue(found, "\(name): \(tool) not recognised")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 14, "vnc ×5, ssh ×2, turn, wireguard, rdp, openvpn, and dns, http, tls in ordinary-web")
    }

    /// The TCP handshake, seen at the sensor, takes the round trip to the first party beyond it:
    /// the controller when nothing relays, else the relay. Within ±15 % of the injected delay.
    func testHandshakeRoundTripIsTheInjectedDelay() throws {
        var checked = 0
        for name in Self.scenarios {
            let (t, flows, _) = try scenario(name)
            guard let s = t.session, s.proto == "tcp", let f = sessionFlow(s, in: flows) else { continue }
            let injected = try XCTUnwrap(t.roles.relay.kind == "none" ? t.injected.controller_rtt_ms : t.injected.relay_rtt_ms, name)
            // far side originated: SYN-ACK out to it, its ACK back; far side answered: SYN out, SYN-ACK back
            let ns = s.far_side == "orig" ? f.handshakeAckTimestampNs - f.synAckTimestampNs : f.synAckTimestampNs - f.synTimestampNs
            let ms = Double(ns) / 1e6
            XCTAssertEqual(ms, injected, accuracy: injected * 0.15, "\(name): handshake round trip \(ms) ms, injected \(injected) ms")
            checked += 1
        }
        XCTAssertEqual(checked, 10, "the TCP sessions")
    }

    /// The far side's answers to the laptop's data (turnaround) cluster at the controller's
    /// round trip: its fullest power-of-two bin is the one holding the injected RTT. (The
    /// minimum turnaround does not measure it: the operator's keystrokes leave on their own
    /// schedule and often reach the sensor just after a screen update, a coincidence, not an
    /// answer. In direct-far-vnc the minimum is about 1 ms while the RTT is 180 ms.)
    /// Not for RDP: its server pushes screen updates unasked (an RFB viewer requests each
    /// one), so what follows an update from the client is the person's next input, on the
    /// person's schedule; there the opening exchanges measure the round trip.
    func testTheFarSidesAnswersClusterAtTheControllerRoundTrip() throws {
        var checked = 0
        for name in Self.scenarios {
            let (t, flows, _) = try scenario(name)
            guard let s = t.session, let f = sessionFlow(s, in: flows), let rtt = t.injected.controller_rtt_ms, rtt >= 10,
                  !t.tools.contains("rdp") else { continue }
            let hist = s.far_side == "orig" ? f.orig.turnaround : f.resp.turnaround
            var fullest = 0
            for b in 0..<hist.bins.count where hist.bins[b] > hist.bins[fullest] { fullest = b }
            XCTAssertEqual(fullest, GapHistogram.bin(for: UInt64(rtt * 1000)), "\(name): turnaround bins \(Array(0..<hist.bins.count).map { hist.bins[$0] })")
            checked += 1
        }
        XCTAssertEqual(checked, 10)
    }
}
