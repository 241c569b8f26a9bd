import Foundation
import XCTest
@testable import FarmwatchCore

/// Marks every flow as carrying the given families, as the protocol dissectors would once they
/// have parsed them: the engine under test reads `protocols`, not ports.
struct RecognisingDissectors: DissectorSet {
    var families: [Family]
    var farSide: String?
    func flowStarted(_ flow: inout FlowState, firstPacket p: Packet) {
        let m = flow.ensureMetadata()
        for f in families { m.addRecognition(.payload(f, layer: f.isRelay ? Layer.relay : Layer.session)) }
        if let farSide { m.setFacts(0, FarSideFacts(farSide)) }
    }
    func feed(_ chunk: StreamChunk, flow: inout FlowState) {}
}

final class FarSideFacts: RelayTargetFacts {
    let relayFarSide: String?
    init(_ s: String) { relayFarSide = s }
    func writeJSON(to w: JSONWriter) {}
}

/// Builds one remote-control conversation packet by packet with chosen delays, as seen by a
/// sensor beside the driven host: `peerRTT` is the round trip from the sensor to the flow's
/// peer (what the TCP handshake sees), `controllerRTT` the round trip to whoever answers the
/// application (equal to `peerRTT` unless a relay hides a hop).
struct SessionBuilder {
    var b = PacketBuilder()
    var peerRTT: Double
    var controllerRTT: Double
    /// The driven host is the TCP server (RDP, VNC) rather than the client (brokered tools).
    var drivenIsServer = true
    var handshakeSteps = 6
    var updates = 120

    init(driven: String, peer: String, peerRTT: Double, controllerRTT: Double, drivenIsServer: Bool = true) {
        self.peerRTT = peerRTT
        self.controllerRTT = controllerRTT
        self.drivenIsServer = drivenIsServer
        b.server = IPAddress(drivenIsServer ? driven : peer)!
        b.client = IPAddress(drivenIsServer ? peer : driven)!
        b.serverPort = 3389
    }

    func packets(start: Double = 1000) -> [Packet] {
        let S = TCPFlag.syn, A = TCPFlag.ack, P = TCPFlag.psh
        var out: [Packet] = []
        var cseq: UInt32 = 1001, sseq: UInt32 = 5001
        // Who is on the sensor's far side: the peer. fromPeer = the peer's packets.
        let peerIsClient = drivenIsServer
        func send(_ fromPeer: Bool, _ len: Int, at t: Double) {
            let fromClient = fromPeer == peerIsClient
            if fromClient {
                out.append(b.tcp(true, P | A, seq: cseq, ack: sseq, len: len, at: t)); cseq &+= UInt32(len)
            } else {
                out.append(b.tcp(false, P | A, seq: sseq, ack: cseq, len: len, at: t)); sseq &+= UInt32(len)
            }
        }
        var t = start
        // Handshake: the half towards the peer takes the peer's round trip.
        out.append(b.tcp(true, S, seq: 1000, at: t))
        t += peerIsClient ? 0.0002 : peerRTT
        out.append(b.tcp(false, S | A, seq: 5000, ack: 1001, at: t))
        t += peerIsClient ? peerRTT : 0.0002
        out.append(b.tcp(true, A, seq: 1001, ack: 5001, at: t))
        // Opening exchanges: the host answers at once, the controller after its round trip.
        var fromPeer = peerIsClient
        for _ in 0..<(handshakeSteps * 2) {
            send(fromPeer, fromPeer ? 120 : 300, at: t)
            t += fromPeer ? 0.001 : controllerRTT + 0.002
            fromPeer.toggle()
        }
        // The session: screen updates from the host, input from the controller after its round
        // trip plus some think time; every fourth input is sent on its own (no update before).
        var rng = SystemRandomNumberGenerator()
        for i in 0..<updates {
            send(false, 1200, at: t)
            t += controllerRTT + Double.random(in: 0.001...0.015, using: &rng)
            send(true, 40, at: t)
            if i % 4 == 0 {
                t += 0.003
                send(true, 30, at: t)
            }
            t += 0.05
        }
        return out
    }
}

final class DetectionTests: XCTestCase {
    private func detect(_ packets: [Packet], families: [Family], farSide: String? = nil,
                        configuration: DetectionConfiguration = DetectionConfiguration()) throws -> (DetectionSink, [Finding]) {
        let sink = try DetectionSink(next: CollectingSink(), configuration: configuration)
        let engine = FlowEngine(dissectors: RecognisingDissectors(families: families, farSide: farSide), sink: sink)
        for p in packets.sorted(by: { $0.timestampNs < $1.timestampNs }) { engine.process(p) }
        engine.finish()
        return (sink, sink.findings())
    }

    // MARK: Latency estimators

    func testSketchQuantilesAreWithinSixPercent() {
        var s = LatencySketch()
        var values: [UInt64] = []
        for i in 0..<2000 { let v = UInt64(100 + i * 137 % 900_000); values.append(v); s.add(v) }
        values.sort()
        for q in [0.1, 0.25, 0.5, 0.75, 0.9] {
            let exact = Double(values[Int(q * Double(values.count - 1))])
            let got = s.quantileUs(q)!
            XCTAssertEqual(got, exact, accuracy: exact * 0.065, "q=\(q)")
        }
        XCTAssertEqual(s.minimumUs, UInt32(values[0]))
        XCTAssertEqual(s.count, 2000)
    }

    func testSketchModeFindsTheAnsweringClusterAmongStrayInput() {
        var s = LatencySketch()
        for i in 0..<300 { s.add(UInt64(180_000 + (i % 10) * 1_000)) }   // answers: 180–189 ms
        for i in 0..<100 { s.add(UInt64(1_000 + i * 2_000)) }            // stray input: 1–200 ms
        let mode = s.modeUs()!
        XCTAssertEqual(mode.us / 1000, 185, accuracy: 185 * 0.1)
        XCTAssertGreaterThan(mode.share, 0.5)
    }

    func testSketchIsBoundedAndSaturates() {
        var s = LatencySketch()
        for _ in 0..<70_000 { s.add(5_000) }
        s.add(.max)
        s.add(0)
        XCTAssertEqual(s.count, 70_002)
        XCTAssertEqual(s.minimumUs, 0)
        XCTAssertNotNil(s.quantileUs(0.5))
        XCTAssertLessThanOrEqual(MemoryLayout<LatencySketch>.size, 512)
    }

    func testEstimateFromFewSamples() {
        let e = LatencyEstimate(samplesUs: [180_000, 182_000, 2_000, 181_000, 185_000, 183_000])!
        XCTAssertEqual(e.samples, 6)
        XCTAssertEqual(e.minMs, 2)
        XCTAssertEqual(e.medianMs, 181.5, accuracy: 0.01)
    }

    func testOpeningRoundTripIsWhatMostAnswersAgreeOn() throws {
        // ssh -J's login: three steps answer after the path's 191 ms, three more after extra
        // work (host key, signature): the median (256) would be a third too far. The agreeing
        // group's low end is the path, since work only adds.
        let jump = try XCTUnwrap(LatencyEstimate(samplesUs: [190_900, 191_500, 200_000, 312_000, 364_000, 420_000], floorMs: 4.6))
        XCTAssertEqual(try XCTUnwrap(jump.answeringMs), 190.9, accuracy: 0.01)
        XCTAssertGreaterThan(jump.medianMs, 250)
        // Sent without waiting (below the 5 ms first hop): not answers.
        let spontaneous = try XCTUnwrap(LatencyEstimate(samplesUs: [300, 900, 190_000, 191_000, 192_000], floorMs: 4.5))
        XCTAssertEqual(try XCTUnwrap(spontaneous.answeringMs), 190, accuracy: 0.01)
        // FreeRDP's opening (rdp-far): X.224 and TLS answer at the path's 182 ms, the channel
        // joins 20 ms late; all within 10 % of the lowest, so the group's low end, not its median.
        let rdp = try XCTUnwrap(LatencyEstimate(samplesUs: [183_000, 181_900, 850, 200_000, 200_300, 199_200], floorMs: 162))
        XCTAssertEqual(try XCTUnwrap(rdp.answeringMs), 183.0, accuracy: 0.01)
        // A LAN login with a password typed in it: two slow steps agreeing are no path.
        let typed = try XCTUnwrap(LatencyEstimate(samplesUs: [440, 1_560, 7_300, 10_500, 3_300_000, 3_450_000], floorMs: 0.17))
        XCTAssertNil(typed.answeringMs)
        XCTAssertEqual(SessionLatency(transportMs: 0.19, opening: typed).applicationRTTms(minSamples: 3) ?? 0, typed.medianMs)
    }

    func testSketchModeIgnoresBinsBelowTheFloor() throws {
        var sketch = LatencySketch()
        for _ in 0..<10 { sketch.add(3_500) }
        for us: UInt64 in [188_000, 190_000, 191_000] { sketch.add(us) }
        XCTAssertEqual(try XCTUnwrap(sketch.modeUs()).us, 3_500, accuracy: 300)
        XCTAssertEqual(try XCTUnwrap(sketch.modeUs(fromUs: 5_000)).us, 190_000, accuracy: 190_000 * 0.06)
        XCTAssertNil(sketch.modeUs(fromUs: 500_000))
    }

    // MARK: Findings from constructed sessions

    func testDirectRemoteDesktopFromAfarIsAFindingWithEvidence() throws {
        let s = SessionBuilder(driven: "192.0.2.10", peer: "203.0.113.9", peerRTT: 0.180, controllerRTT: 0.180)
        let (_, findings) = try detect(s.packets(), families: [.rdp])
        let f = try XCTUnwrap(findings.first)
        XCTAssertEqual(f.endpoint, IPAddress("192.0.2.10"))
        XCTAssertEqual(f.controller, IPAddress("203.0.113.9"))
        XCTAssertGreaterThanOrEqual(f.severity, .medium)
        XCTAssertEqual(f.verdict, "driven_from_afar")
        XCTAssertEqual(try XCTUnwrap(f.controllerRTTms), 180, accuracy: 180 * 0.15)
        XCTAssertEqual(try XCTUnwrap(f.transportRTTms), 180, accuracy: 1)
        XCTAssertLessThan(try XCTUnwrap(f.hiddenHopMs), 20)
        XCTAssertEqual(f.tools, ["rdp"])
        XCTAssertTrue(f.attack.contains("T1219.002"))
        let far = try XCTUnwrap(f.evidence.first { $0.name == "controller_rtt_ms" })
        XCTAssertEqual(far.weight, DetectionConfiguration().weights.controllerFar)
        XCTAssertEqual(far.uids.count, 1)
        XCTAssertEqual(far.uids[0].count, 18)
        XCTAssertTrue(f.summary.contains("192.0.2.10") && f.summary.contains("ms"), f.summary)
    }

    /// A session driving an address whose device record names an IP-KVM (its web console's
    /// title, say): remote access hardware, scored and tagged T1219.003; the same session on
    /// an ordinary device gets neither.
    func testDrivenIPKVMIsEvidence() throws {
        let s = SessionBuilder(driven: "192.0.2.10", peer: "203.0.113.9", peerRTT: 0.180, controllerRTT: 0.180)
        func finding(kvm: Bool) throws -> Finding {
            let devices = DeviceTable()
            if kvm {
                devices.noteKVM(address: IPAddress("192.0.2.10")!, at: 1,
                                KVMEvidence(identifiedBy: .httpTitle, confidence: .high, detail: "title PiKVM", product: "PiKVM"))
            }
            let sink = try DetectionSink(next: CollectingSink(), devices: devices)
            let engine = FlowEngine(dissectors: RecognisingDissectors(families: [.vnc]), sink: sink)
            for p in s.packets().sorted(by: { $0.timestampNs < $1.timestampNs }) { engine.process(p) }
            engine.finish()
            return try XCTUnwrap(sink.findings().first)
        }
        let onKVM = try finding(kvm: true), plain = try finding(kvm: false)
        let item = try XCTUnwrap(onKVM.evidence.first { $0.name == "kvm_device" })
        XCTAssertEqual(item.value, .text("PiKVM"))
        XCTAssertEqual(item.weight, DetectionConfiguration().weights.kvmDevice)
        XCTAssertFalse(item.uids.isEmpty)
        XCTAssertTrue(onKVM.attack.contains("T1219.003"))
        XCTAssertEqual(onKVM.score, min(100, plain.score + Int(DetectionConfiguration().weights.kvmDevice)))
        XCTAssertNil(plain.evidence.first { $0.name == "kvm_device" })
        XCTAssertFalse(plain.attack.contains("T1219.003"))
    }

    /// An HTTPS session a site server serves to a far client is nobody's remote control,
    /// until the device turns out (when the run ends) to be an IP-KVM: then it is the KVM's
    /// console, driven from afar. The sessions held until then are bounded.
    func testConsoleServedByAnIPKVMIsRemoteControl() throws {
        func run(kvm: Bool, servers: [String] = ["10.1.0.5"], _ c: DetectionConfiguration = DetectionConfiguration())
            throws -> (DetectionSink, [Finding]) {
            let devices = DeviceTable()
            if kvm {
                devices.noteKVM(address: IPAddress("10.1.0.5")!, at: 1,
                                KVMEvidence(identifiedBy: .dhcp, confidence: .high, detail: "host name pikvm", product: "PiKVM"))
            }
            let sink = try DetectionSink(next: CollectingSink(), configuration: c, devices: devices)
            let engine = FlowEngine(dissectors: RecognisingDissectors(families: [.tls]), sink: sink)
            var packets: [Packet] = []
            for (i, server) in servers.enumerated() {
                var s = SessionBuilder(driven: server, peer: "203.0.113.9", peerRTT: 0.180, controllerRTT: 0.180)
                s.b.clientPort = UInt16(40000 + i)
                s.b.serverPort = 443
                packets += s.packets(start: 1000 + Double(i) * 100)
            }
            for p in packets.sorted(by: { $0.timestampNs < $1.timestampNs }) { engine.process(p) }
            engine.finish()
            return (sink, sink.findings())
        }
        XCTAssertTrue(try run(kvm: false).1.isEmpty)
        let f = try XCTUnwrap(try run(kvm: true).1.first)
        XCTAssertEqual(f.endpoint, IPAddress("10.1.0.5"))
        XCTAssertEqual(f.tools, ["kvm"])
        XCTAssertEqual(f.controller, IPAddress("203.0.113.9"))
        XCTAssertEqual(try XCTUnwrap(f.controllerRTTms), 180, accuracy: 180 * 0.15)
        XCTAssertGreaterThanOrEqual(f.severity, .medium)
        XCTAssertEqual(f.attack, ["T1219.003"])
        XCTAssertTrue(f.summary.contains("PiKVM"), f.summary)

        var c = DetectionConfiguration()
        c.limits.maxKvmCandidateAddresses = 1
        let (sink, bounded) = try run(kvm: true, servers: ["10.1.0.6", "10.1.0.5"], c)
        XCTAssertEqual(sink.kvmCandidatesNotKept, 1, "the second server found the table full")
        XCTAssertTrue(bounded.isEmpty, "the KVM's sessions were the ones not kept")
        XCTAssertThrowsError(try DetectionSink.validate({ var z = DetectionConfiguration(); z.limits.maxKvmCandidateAddresses = 0; return z }()))
    }

    /// A media relay a site device keeps is a relay use like a video call's, until the device
    /// turns out to be an IP-KVM: then it is the KVM driven through the relay, by the peer the
    /// relay names.
    func testRelayKeptByAnIPKVMIsItsSession() throws {
        // Too few inputs for the tunnelled-session shape: on an ordinary host, a relay use.
        var s = SessionBuilder(driven: "10.1.0.5", peer: "198.51.100.7", peerRTT: 0.006, controllerRTT: 0.186,
                               drivenIsServer: false)
        s.updates = 6
        func run(kvm: Bool) throws -> [Finding] {
            let devices = DeviceTable()
            if kvm {
                devices.noteKVM(address: IPAddress("10.1.0.5")!, at: 1,
                                KVMEvidence(identifiedBy: .mdns, confidence: .high, detail: "mDNS service _pikvm._tcp", product: "PiKVM"))
            }
            let sink = try DetectionSink(next: CollectingSink(), devices: devices)
            let engine = FlowEngine(dissectors: RecognisingDissectors(families: [.turn], farSide: "203.0.113.9:50000"), sink: sink)
            for p in s.packets().sorted(by: { $0.timestampNs < $1.timestampNs }) { engine.process(p) }
            engine.finish()
            return sink.findings()
        }
        XCTAssertLessThanOrEqual(try run(kvm: false).map(\.severity).max() ?? .low, .low)
        XCTAssertTrue(try run(kvm: false).allSatisfy { $0.tools.isEmpty })
        let f = try XCTUnwrap(try run(kvm: true).first)
        XCTAssertEqual(f.endpoint, IPAddress("10.1.0.5"))
        XCTAssertEqual(f.tools, ["kvm"])
        XCTAssertEqual(f.relay?.kind, .turn)
        XCTAssertEqual(f.controller, IPAddress("203.0.113.9"))
        XCTAssertEqual(f.attack, ["T1219.003", "T1090"])
        XCTAssertGreaterThanOrEqual(f.severity, .medium, f.summary)
        XCTAssertTrue(f.summary.contains("its console through a turn tunnel"), f.summary)
    }

    func testBenignSessionsStayLow() throws {
        // An admin on the LAN, and a home worker 40 ms away.
        for rtt in [0.0005, 0.040] {
            let s = SessionBuilder(driven: "192.0.2.10", peer: "192.0.2.77", peerRTT: rtt, controllerRTT: rtt)
            let (_, findings) = try detect(s.packets(), families: [.rdp])
            XCTAssertLessThanOrEqual(findings.map(\.severity).max() ?? .low, .low, "rtt \(rtt)")
        }
    }

    func testRelayHidingTheControllerIsNamedWithTheHiddenHop() throws {
        // The SOCKS proxy 6 ms away terminates TCP; the controller is 180 ms behind it.
        let s = SessionBuilder(driven: "192.0.2.10", peer: "198.51.100.7", peerRTT: 0.006, controllerRTT: 0.186,
                               drivenIsServer: false)
        let (_, findings) = try detect(s.packets(), families: [.socks, .anydesk], farSide: "203.0.113.9:443")
        let f = try XCTUnwrap(findings.first)
        XCTAssertEqual(f.endpoint, IPAddress("192.0.2.10"))
        XCTAssertEqual(f.severity, .high)
        XCTAssertEqual(f.relay?.kind, .socks)
        XCTAssertEqual(f.relay?.address, IPAddress("198.51.100.7"))
        XCTAssertEqual(f.relay?.farSide, "203.0.113.9:443")
        XCTAssertEqual(try XCTUnwrap(f.transportRTTms), 6, accuracy: 1)
        XCTAssertEqual(try XCTUnwrap(f.controllerRTTms), 186, accuracy: 186 * 0.15)
        XCTAssertGreaterThan(try XCTUnwrap(f.hiddenHopMs), 150)
        XCTAssertTrue(f.attack.contains("T1090"))
    }

    func testAllowListsSuppressFindingsButKeepFlows() throws {
        let s = SessionBuilder(driven: "192.0.2.10", peer: "203.0.113.9", peerRTT: 0.180, controllerRTT: 0.180)
        var byTool = DetectionConfiguration()
        byTool.allow.tools = ["rdp"]
        var byAdmin = DetectionConfiguration()
        byAdmin.allow.adminNetworks = ["203.0.113.0/24"]
        for c in [byTool, byAdmin] {
            let flows = CollectingSink()
            let sink = try DetectionSink(next: flows, configuration: c)
            let engine = FlowEngine(dissectors: RecognisingDissectors(families: [.rdp]), sink: sink)
            for p in s.packets() { engine.process(p) }
            engine.finish()
            XCTAssertEqual(flows.flows.count, 1, "the flow is still written")
            XCTAssertTrue(sink.findings().isEmpty)
            XCTAssertEqual(sink.allowedSessions, 1)
        }
    }

    func testVideoCallAndVPNMailStayQuiet() throws {
        // Symmetric media through TURN, and a VPN user receiving far more than sending.
        var b = PacketBuilder()
        b.serverPort = 3478
        var call: [Packet] = []
        for i in 0..<400 { call.append(b.udp(i % 2 == 0, len: 900, at: 10 + Double(i) * 0.02)) }
        XCTAssertTrue(try detect(call, families: [.turn]).1.isEmpty)
        var mail: [Packet] = []
        for i in 0..<400 { mail.append(b.udp(i % 5 == 0, len: i % 5 == 0 ? 80 : 1300, at: 10 + Double(i) * 0.01)) }
        XCTAssertTrue(try detect(mail, families: [.wireguard]).1.isEmpty)
    }

    func testFindingRecordHasExactlyTheContractFields() throws {
        let s = SessionBuilder(driven: "192.0.2.10", peer: "203.0.113.9", peerRTT: 0.180, controllerRTT: 0.180)
        let f = try XCTUnwrap(try detect(s.packets(), families: [.rdp]).1.first)
        let w = JSONWriter(stream: nil)
        FindingRecordWriter.write(f, to: w)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(w.buffer)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["type", "endpoint", "verdict", "severity", "score", "summary", "tools", "relay",
                                          "controller", "transport_rtt_ms", "controller_rtt_ms", "hidden_hop_ms", "attack",
                                          "evidence"])
        XCTAssertEqual(object["type"] as? String, "finding")
        XCTAssertEqual(Set((object["endpoint"] as? [String: Any])?.keys ?? [:].keys), ["address", "names", "mac"])
        let evidence = try XCTUnwrap(object["evidence"] as? [[String: Any]])
        XCTAssertFalse(evidence.isEmpty)
        for e in evidence { XCTAssertEqual(Set(e.keys), ["name", "value", "threshold", "weight", "uids"]) }
        let score = try XCTUnwrap(object["score"] as? Int)
        XCTAssertTrue((0...100).contains(score))
    }

    func testEndpointStateIsBounded() throws {
        var c = DetectionConfiguration()
        c.limits.maxEndpoints = 3
        c.limits.maxSessionsPerEndpoint = 2
        var packets: [Packet] = []
        for i in 0..<6 {
            var s = SessionBuilder(driven: "192.0.2.\(10 + i % 5)", peer: "203.0.113.9", peerRTT: 0.18, controllerRTT: 0.18)
            s.b.clientPort = UInt16(40000 + i)
            s.updates = 10
            packets += s.packets(start: 1000 + Double(i) * 100)
        }
        let (sink, findings) = try detect(packets, families: [.vnc], configuration: c)
        XCTAssertEqual(findings.count, 3)
        XCTAssertEqual(sink.untrackedObservations, 2)
        XCTAssertLessThanOrEqual(sink.sessions.count, 6)
    }

    // MARK: Configuration

    func testYAMLOverridesDefaultsAndRejectsUnknownKeys() throws {
        let c = try DetectionConfiguration.parse("""
            site:
              timezone: America/Chicago
              location: "32.78,-96.80"
            weights:
              controller_far: 50
            thresholds:
              controller_far_ms: 120
            allow:
              tools: [teamviewer]
              admin_networks: ["10.1.0.0/16"]
            """, source: "test.yaml")
        XCTAssertEqual(c.site.timezone, "America/Chicago")
        XCTAssertEqual(c.weights.controllerFar, 50)
        XCTAssertEqual(c.thresholds.controllerFarMs, 120)
        XCTAssertEqual(c.weights.hiddenHop, DetectionConfiguration().weights.hiddenHop, "unnamed keys keep their default")
        XCTAssertEqual(c.allow.adminNetworks, ["10.1.0.0/16"])
        XCTAssertNoThrow(try DetectionSink.validate(c))

        XCTAssertThrowsError(try DetectionConfiguration.parse("weights:\n  controler_far: 1\n", source: "t.yaml")) {
            XCTAssertTrue("\($0)".contains("weights.controler_far"), "\($0)")
        }
        XCTAssertThrowsError(try DetectionConfiguration.parse("thresholds:\n  controller_far_ms: fast\n", source: "t.yaml"))
        XCTAssertThrowsError(try DetectionConfiguration.parse("- a\n- b\n", source: "t.yaml"))
        var bad = DetectionConfiguration()
        bad.site.timezone = "Mars/Olympus"
        XCTAssertThrowsError(try DetectionSink.validate(bad))
        bad = DetectionConfiguration()
        bad.allow.partnerPeers = ["not a network"]
        XCTAssertThrowsError(try DetectionSink.validate(bad))
    }

    func testDefaultYAMLRoundTrips() throws {
        let text = try DetectionConfiguration.defaultYAML()
        XCTAssertTrue(text.contains("controller_far_ms"))
        XCTAssertEqual(try DetectionConfiguration.parse(text, source: "defaults"), DetectionConfiguration())
    }

    // MARK: Real captures

    func testLabCaptureRaisesNothingAboveLow() throws {
        let findings = try DetectionRun.findings(TestEnvironment.capture("lab-basic.pcap")).findings
        XCTAssertLessThanOrEqual(findings.map(\.severity).max() ?? .low, .low, findings.map(\.summary).joined(separator: "\n"))
    }
}

/// The third-party corpus: ordinary traffic (web, DNS, VPNs, video, games) raises nothing above
/// `low`. Captures that really hold remote control may go higher: those labelled with a
/// remote-control family by the project that published them (the finding must name a tool),
/// and the ones listed here with the reason.
final class DetectionCorpusTests: XCTestCase {
    /// Capture → the relay kind its finding must name, and why it really is remote control.
    static let knownRemoteControl: [String: (RelayKind, String)] = [
        "ja4/pcaps/ja4__ssh-r.pcap": (.sshReverse, "FoxIO's JA4SSH sample of a reverse SSH shell: the SSH client "
            + "(192.168.1.197) sends the tunnelled session's bulk out while keystroke-sized packets come back"),
    ]

    func testOrdinaryTrafficRaisesNothingAboveLow() throws {
        let dir = try TestEnvironment.requireCorpus()
        let remoteControl = Set(Family.allCases.filter(\.isRemoteControl).map(\.rawValue))
        var above: [String] = []
        var knownSeen: Set<String> = []
        for (path, labels) in try TestEnvironment.corpusCaptures() {
            // As `farmwatch analyze` runs: the catalogue and the device table too, so a device
            // taken for an IP-KVM would turn the sessions it serves into remote control.
            guard let (_, findings) = try? DetectionRun.findings(dir.appendingPathComponent(path).path) else { continue }
            for f in findings where f.severity > .low {
                if labels.contains(where: remoteControl.contains) && !f.tools.isEmpty { continue }
                if let (kind, _) = Self.knownRemoteControl[path], f.relay?.kind == kind {
                    knownSeen.insert(path)
                    continue
                }
                above.append("\(path) [\(labels.joined(separator: ","))]: \(f.severity.name) \(f.score): \(f.summary)")
            }
        }
        XCTAssertTrue(above.isEmpty, above.joined(separator: "\n"))
        XCTAssertEqual(knownSeen, Set(Self.knownRemoteControl.keys), "the captures that hold remote control are found")
    }
}
