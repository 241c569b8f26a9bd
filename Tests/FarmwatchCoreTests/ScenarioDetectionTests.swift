import Foundation
import XCTest
@testable import FarmwatchCore

/// The detection engine on the scenario captures (captures/scenarios/, made with real software
/// by scripts/make-scenario-captures.sh), judged against each sidecar's ground truth the way
/// issue 5 asks: the driven laptop is found with a severity inside the sidecar's band (the
/// benign ones raise nothing above `low`), the relay is named, the controller's round trip is
/// within ±15 % of the injected one, and a relay comes with its hidden hop. The pipeline runs
/// in-process as `farmwatch analyze` does, with the test GeoIP databases (captures/geoip/) and
/// the site the sidecar describes.
final class ScenarioDetectionTests: XCTestCase {
    typealias Sidecar = ScenarioCaptureTests.Sidecar

    /// Relay kinds whose protocol crosses the sensor, so the engine names them as such: TURN's
    /// messages and ChannelData, WireGuard's handshake, and the laptop's own outbound SSH with
    /// the keystrokes coming back down it (a reverse tunnel). In the others the relay's own
    /// protocol is out of sight — the SOCKS and CONNECT handshakes and the `ssh -J` login to
    /// the jump host all happen between the controller and the relay, beyond the sensor — so
    /// what the sensor can honestly say is "unidentified": a hop at the relay's address whose
    /// TCP handshake answers far sooner than the application does.
    static let relayVisibleAtSensor: Set<String> = ["turn", "vpn", "ssh-reverse"]

    static let tolerance = 0.15
    /// The lab's namespaces add 0.15–0.3 ms of forwarding to every round trip (README of the
    /// scenarios): at the 1 ms LAN delay that is more than 15 %.
    static let forwardingMs = 0.3

    nonisolated(unsafe) static var analysed: [String: (sidecar: Sidecar, findings: [Finding])] = [:]

    func scenario(_ name: String) throws -> (sidecar: Sidecar, findings: [Finding]) {
        if let done = Self.analysed[name] { return done }
        let json = try Data(contentsOf: URL(fileURLWithPath: TestEnvironment.capture("scenarios/\(name).truth.json")))
        let sidecar = try JSONDecoder().decode(Sidecar.self, from: json)
        var c = DetectionConfiguration()
        c.site.timezone = sidecar.site.timezone
        c.site.location = "\(sidecar.site.latitude),\(sidecar.site.longitude)"
        let intel = PeerIntel(city: try MaxMindDatabaseTests.database("test-city.mmdb"),
                              asn: try MaxMindDatabaseTests.database("test-asn.mmdb"), lists: [])
        let run = try DetectionRun.findings(TestEnvironment.capture("scenarios/\(name).pcap"), configuration: c, intel: intel)
        let result = (sidecar, run.findings)
        Self.analysed[name] = result
        return result
    }

    /// The finding on the driven laptop, for the scenarios that expect one.
    func drivenFinding(_ name: String) throws -> (sidecar: Sidecar, finding: Finding)? {
        let (t, findings) = try scenario(name)
        guard t.expected.finding else { return nil }
        let f = findings.first { $0.endpoint.description == t.roles.controlled }
        XCTAssertNotNil(f, "\(name): no finding on \(t.roles.controlled); findings: \(findings.map(\.summary))")
        return f.map { (t, $0) }
    }

    func testDrivenEndpointIsFoundWithTheExpectedSeverity() throws {
        for name in ScenarioCaptureTests.scenarios {
            let (t, findings) = try scenario(name)
            let most = try XCTUnwrap(Severity(name: t.expected.severity_at_most), name)
            for f in findings {
                XCTAssertLessThanOrEqual(f.severity, most, "\(name): \(f.severity.name) \(f.score): \(f.summary)")
            }
            guard let (_, f) = try drivenFinding(name) else { continue }
            let least = try XCTUnwrap(t.expected.severity_at_least.flatMap(Severity.init(name:)), name)
            XCTAssertGreaterThanOrEqual(f.severity, least, "\(name): \(f.score): \(f.summary)")
            // The operator is the one finding, or one per KVM of a farm: nothing else on the
            // site looks driven.
            XCTAssertEqual(findings.count, t.farm?.kvms.count ?? 1, "\(name): \(findings.map(\.summary))")
            XCTAssertFalse(f.summary.isEmpty, name)
            // The tools the finding names are the sidecar's, less the relays' own protocols: a
            // tunnel (TURN, WireGuard, OpenVPN) carries the tool out of sight.
            let driving = t.tools.filter { Family(rawValue: $0).map { !$0.isRelay } ?? true }
            XCTAssertEqual(f.tools.sorted(), driving.sorted(), name)
            XCTAssertTrue(f.attack.contains(where: { $0.hasPrefix("T1219") || $0 == "T1133" }), "\(name): \(f.attack)")
        }
    }

    func testRelayIsNamed() throws {
        var checked = 0
        for name in ScenarioCaptureTests.scenarios {
            guard let (t, f) = try drivenFinding(name) else { continue }
            let kind = t.roles.relay.kind
            guard kind != "none" else {
                XCTAssertNil(f.relay, "\(name): \(f.summary)")
                XCTAssertEqual(f.controller?.description, t.roles.controller, name)
                continue
            }
            let relay = try XCTUnwrap(f.relay, "\(name): no relay in \(f.summary)")
            XCTAssertEqual(relay.address.description, t.roles.relay.address, name)
            XCTAssertEqual(relay.kind.rawValue, Self.relayVisibleAtSensor.contains(kind) ? kind : RelayKind.unidentified.rawValue,
                           name)
            XCTAssertTrue(f.attack.contains("T1090"), "\(name): \(f.attack)")
            XCTAssertTrue(f.summary.contains(relay.address.description), "\(name): \(f.summary)")
            checked += 1
        }
        XCTAssertEqual(checked, 7, "socks, http-connect, turn, ssh-jump, ssh-reverse, vpn-wireguard, openvpn-relay")
    }

    /// TURN names its far side (XOR-PEER-ADDRESS): the hidden operator, who is the controller.
    func testTURNNamesTheControllerBehindTheRelay() throws {
        for name in ScenarioCaptureTests.scenarios {
            guard let (t, f) = try drivenFinding(name), t.roles.relay.kind == "turn" else { continue }
            let far = try XCTUnwrap(f.relay?.farSide, "\(name): \(f.summary)")
            let hidden = try XCTUnwrap(t.hidden_controller, name)
            XCTAssertEqual(RelayEvidence.farSideAddress(far)?.description, hidden, name)
            XCTAssertEqual(f.controller?.description, hidden, name)
        }
    }

    func testControllerRoundTripIsTheInjectedOne() throws {
        var checked = 0
        for name in ScenarioCaptureTests.scenarios {
            let (t, findings) = try scenario(name)
            guard let injected = t.injected.controller_rtt_ms,
                  let f = findings.first(where: { $0.endpoint.description == t.roles.controlled }) else {
                XCTAssertFalse(t.expected.finding, "\(name): a finding was expected")
                continue
            }
            let rtt = try XCTUnwrap(f.controllerRTTms, "\(name): \(f.summary)")
            XCTAssertEqual(rtt, injected, accuracy: max(injected * Self.tolerance, Self.forwardingMs),
                           "\(name): \(f.evidence.filter { $0.name.hasSuffix("rtt") || $0.name.contains("turnaround") })")
            checked += 1
        }
        XCTAssertEqual(checked, 13, "every scenario but ordinary-web drives the laptop (or its KVM)")
    }

    /// Where a relay is, the hidden hop is stated: the part of the controller's round trip that
    /// the relay's own handshake does not show (the injected controller delay minus the
    /// relay's; about nothing for the VPN, whose endpoint sits with the operator).
    func testRelayComesWithItsHiddenHop() throws {
        for name in ScenarioCaptureTests.scenarios {
            guard let (t, f) = try drivenFinding(name), t.roles.relay.kind != "none" else { continue }
            let hidden = try XCTUnwrap(f.hiddenHopMs, "\(name): \(f.summary)")
            let controller = try XCTUnwrap(t.injected.controller_rtt_ms, name)
            let expected = controller - (t.injected.relay_rtt_ms ?? controller)
            XCTAssertEqual(hidden, expected, accuracy: controller * Self.tolerance, name)
            if expected >= DetectionConfiguration().thresholds.hiddenHopMs {
                XCTAssertEqual(f.verdict, "driven_from_afar_via_relay", name)
            }
            // The summary names what the short round trip was measured on: the TCP handshake,
            // or over UDP the tunnel's own (WireGuard/OpenVPN handshake, TURN allocation).
            if hidden >= DetectionConfiguration().thresholds.hiddenHopMs, let s = t.session {
                let handshake = s.proto == "tcp" ? "ms TCP handshake shows" : "ms tunnel's own handshake shows"
                XCTAssertTrue(f.summary.contains(handshake), "\(name): \(f.summary)")
            }
        }
    }

    /// Who types in the two SSH scenarios: the jump host's client (the operator's keystrokes
    /// arrive on the connection's client side), and in the reverse tunnel the server side,
    /// with the laptop, the SSH client, echoing each keystroke at once.
    func testSSHTypistSide() throws {
        let expected: [String: SSHSessionUse.Side] = ["ssh-jump": .client, "ssh-reverse": .server]
        for (name, side) in expected {
            let s = try XCTUnwrap(try scenario(name).sidecar.session, name)
            let (flows, _) = try analyzeCapture(TestEnvironment.capture("scenarios/\(name).pcap"), dissectors: StandardDissectors())
            let session = try XCTUnwrap(flows.first {
                $0.originatorAddress.description == s.orig_h && $0.responderAddress.description == s.resp_h
                    && Int($0.responderPort) == s.resp_p
            }, name)
            let use = try XCTUnwrap(session.metadata?.facts(StandardDissectors.sshSlot, as: SSHFacts.self)?.use, name)
            XCTAssertEqual(use.kind, .interactive, name)
            XCTAssertEqual(use.typist, side, name)
        }
    }

    /// Inside a tunnel no tool is recognised: the finding says the remote control was read from
    /// the traffic's shape.
    func testTunnelledControlSaysItIsInferredFromShape() throws {
        for name in ScenarioCaptureTests.scenarios {
            guard let (_, f) = try drivenFinding(name), f.tools.isEmpty else { continue }
            XCTAssertTrue(f.summary.contains("shape"), "\(name): \(f.summary)")
            XCTAssertTrue(f.evidence.contains { $0.name == "tunnelled_control" && $0.weight > 0 }, name)
        }
    }
    // MARK: IP-KVMs

    /// kvm-farm: three KVMs at a facilitator's home, named three ways (DHCP host name, web page
    /// title, certificate), each driven over its web console from Shenyang. Every KVM is a
    /// driven endpoint with its product named, the operator as controller at the injected
    /// round trip, T1219.003, and the farm evidence naming all three KVMs and the operator.
    func testEveryKVMOfTheFarmIsADrivenEndpoint() throws {
        let (t, findings) = try scenario("kvm-farm")
        let farm = try XCTUnwrap(t.farm)
        let controller = try XCTUnwrap(farm.shared_controller)
        let injected = try XCTUnwrap(t.injected.controller_rtt_ms)
        XCTAssertEqual(farm.kvms.count, 3)
        for kvm in farm.kvms {
            let f = try XCTUnwrap(findings.first { $0.endpoint.description == kvm.address },
                                  "\(kvm.address) (\(kvm.product), \(kvm.identified_by)): \(findings.map(\.summary))")
            XCTAssertEqual(f.severity, .high, "\(kvm.address): \(f.score) \(f.summary)")
            XCTAssertEqual(f.verdict, "driven_from_afar", kvm.address)
            XCTAssertEqual(f.tools, ["kvm"], kvm.address)
            XCTAssertEqual(f.controller?.description, controller, kvm.address)
            XCTAssertNil(f.relay, kvm.address)
            XCTAssertTrue(f.attack.contains("T1219.003"), "\(kvm.address): \(f.attack)")
            XCTAssertFalse(f.attack.contains("T1219.002"), "\(kvm.address): no remote-desktop software is seen: \(f.attack)")
            let rtt = try XCTUnwrap(f.controllerRTTms, f.summary)
            XCTAssertEqual(rtt, injected, accuracy: injected * Self.tolerance,
                           "\(kvm.address): \(f.evidence.filter { $0.name.hasSuffix("rtt") || $0.name.contains("turnaround") })")
            XCTAssertTrue(f.summary.contains(kvm.product) && f.summary.contains("does not show on the wire"), f.summary)
            let device = try XCTUnwrap(f.evidence.first { $0.name == "kvm_device" }, kvm.address)
            XCTAssertEqual(device.weight, DetectionConfiguration().weights.kvmDevice, kvm.address)
            guard case .text(let product) = device.value else { return XCTFail("\(kvm.address): \(device.value)") }
            XCTAssertTrue(product.hasPrefix(kvm.product), "\(kvm.address): \(product)")
            // The farm: all three KVMs, with their products, driven by the one operator.
            let shared = try XCTUnwrap(f.evidence.first { $0.name == "kvm_farm" }, "\(kvm.address): \(f.evidence.map(\.name))")
            XCTAssertEqual(shared.weight, DetectionConfiguration().weights.kvmFarm, kvm.address)
            guard case .text(let text) = shared.value else { return XCTFail("\(kvm.address): \(shared.value)") }
            XCTAssertTrue(text.contains("controller \(controller)"), text)
            for other in farm.kvms {
                XCTAssertTrue(text.contains("\(other.address) (\(other.product))"), "\(kvm.address): \(text)")
            }
            XCTAssertGreaterThanOrEqual(shared.uids.count, 3, "\(kvm.address): one console flow per KVM at least")
            let atSite = try XCTUnwrap(f.evidence.first { $0.name == "kvm_devices_at_site" }, kvm.address)
            XCTAssertEqual(atSite.weight, DetectionConfiguration().weights.kvmDevicesAtSite, kvm.address)
        }
    }

    /// benign-lan-kvm: a KVM used by the IT admin on the LAN, 1 ms away: remote access
    /// hardware in plain sight, never above `low`, and its KVM evidence adds nothing.
    func testKVMDrivenFromTheLANStaysLow() throws {
        let (t, findings) = try scenario("benign-lan-kvm")
        XCTAssertFalse(findings.isEmpty, "the admin's console session is still reported")
        for f in findings {
            XCTAssertLessThanOrEqual(f.severity, .low, "\(f.score): \(f.summary)")
            XCTAssertEqual(f.endpoint.description, t.roles.controlled)
            XCTAssertEqual(f.tools, ["kvm"])
            XCTAssertEqual(f.controller?.description, t.roles.controller)
            XCTAssertEqual(f.evidence.first { $0.name == "kvm_device" }?.weight, 0, f.summary)
            XCTAssertNil(f.evidence.first { $0.name == "kvm_farm" }, f.summary)
        }
    }
}
