import Foundation
import XCTest
@testable import FarmwatchCore

/// STUN at boot and the shape of an IP-KVM's video stream (scripts/make-kvm-fixtures.py), on
/// the device records a user reads, with near misses: a laptop's call and screen share, a
/// phone's late STUN, a media server's download.
final class KVMTrafficShapeTests: XCTestCase {
    private struct Truth: Decodable {
        struct D: Decodable {
            var mac: String
            var ip: String
            var kvm: String?
            var confidence: String?
            var evidence: [String]
            var boot_probe: Bool
            var video_stream_to: String?
        }
        var devices: [D]
    }

    private func run(_ name: String) throws -> (devices: DeviceTable, records: [[String: Any]], truth: Truth) {
        let context = DissectorContext(signatures: SignatureMatcher(try SignatureCatalogue.builtIn()))
        let dissectors = StandardDissectors(context: context)
        _ = try analyzeCapture(TestEnvironment.capture("fixtures/kvm/\(name).pcap"), dissectors: dissectors)
        let w = JSONWriter(stream: nil)
        dissectors.writeRunRecords(to: w)
        let records = String(decoding: w.buffer, as: UTF8.self).split(separator: "\n").map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let url = URL(fileURLWithPath: TestEnvironment.capture("fixtures/kvm/\(name).truth.json"))
        return (context.devices, records, try JSONDecoder().decode(Truth.self, from: Data(contentsOf: url)))
    }

    /// Every fixture's devices as its truth says: the `kvm` object (product, confidence and
    /// the kinds of evidence) a user sees, or none.
    func testDeviceRecordsMatchTheTruth() throws {
        for name in ["pikvm-boot-stream", "jetkvm-session", "laptop-call", "phone-stun-late", "lan-video-download"] {
            let (devices, records, truth) = try run(name)
            for t in truth.devices {
                let record = try XCTUnwrap(records.first { $0["mac"] as? String == t.mac }, "\(name) \(t.mac)")
                let kvm = record["kvm"] as? [String: Any]
                XCTAssertEqual(kvm != nil, t.kvm != nil, "\(name): kvm object")
                XCTAssertEqual(kvm?["product"] as? String, t.kvm, name)
                XCTAssertEqual(kvm?["confidence"] as? String, t.confidence, name)
                let d = try XCTUnwrap(devices.devices.first { FlowRecordWriter.macString($0.mac) == t.mac })
                XCTAssertEqual(d.bootProbe != nil, t.boot_probe, "\(name): STUN at boot")
                if t.kvm != nil {
                    let kinds = Set(((kvm?["evidence"] as? [[String: Any]]) ?? []).compactMap { $0["identified_by"] as? String })
                    XCTAssertEqual(kinds, Set(t.evidence), name)
                } else {
                    XCTAssertEqual(Set(d.kvmEvidence.filter { !$0.isTrafficShape }.map(\.identifiedBy.rawValue)), Set(t.evidence), name)
                }
                let streams = d.kvmEvidence.filter { $0.videoStream != nil }
                if let viewer = t.video_stream_to {
                    XCTAssertEqual(streams.count, 1, name)
                    XCTAssertTrue(streams[0].detail.hasPrefix("video stream to \(viewer):"), streams[0].detail)
                } else {
                    XCTAssertTrue(streams.isEmpty, "\(name): \(streams.map(\.detail))")
                }
            }
        }
    }

    /// What the PiKVM-like device's record shows: the probe (server, delay after its DHCP
    /// exchange, the flow's uid) and the stream's measurements, a 30 frames/s H.264 stream.
    func testBootProbeAndStreamEvidenceCarryTheirMeasurements() throws {
        let (_, records, truth) = try run("pikvm-boot-stream")
        let t = truth.devices[0]
        let record = try XCTUnwrap(records.first { $0["mac"] as? String == t.mac })
        let evidence = try XCTUnwrap((record["kvm"] as? [String: Any])?["evidence"] as? [[String: Any]])
        let probe = try XCTUnwrap(evidence.first { ($0["detail"] as? String)?.hasPrefix("STUN binding request") == true })
        XCTAssertEqual(probe["identified_by"] as? String, "traffic-shape")
        // kvmd's second request asks for a change of address and port (RFC 3489): a NAT-type
        // test no WebRTC app makes, which lifts this piece of evidence to medium.
        XCTAssertEqual(probe["confidence"] as? String, "medium")
        XCTAssertEqual(probe["detail"] as? String,
                       "STUN binding request to 74.125.250.129:19302 21.386 s after its DHCP exchange (at boot), "
                       + "then an RFC 3489 NAT-type test (CHANGE-REQUEST change-ip+change-port), as PiKVM's kvmd-janus probes")
        XCTAssertEqual((probe["uid"] as? String)?.count, 18)
        let stream = try XCTUnwrap(evidence.first { $0["video_stream"] != nil })
        XCTAssertEqual(stream["identified_by"] as? String, "traffic-shape")
        XCTAssertEqual(stream["detail"] as? String, "video stream to 203.0.113.20:\(try XCTUnwrap(viewerPort(stream))) (udp)")
        let v = try XCTUnwrap(stream["video_stream"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(v["frames_per_s"] as? Double), 30, accuracy: 1.5)
        XCTAssertGreaterThan(try XCTUnwrap(v["kbit_per_s"] as? Int), 200)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(v["sender_share"] as? Double), 0.9)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(v["cadence_share"] as? Double), 0.9)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(v["duration"] as? Double), 19)
    }

    /// The laptop's WebRTC app also asks a STUN server at boot, but as ICE does: no
    /// CHANGE-REQUEST, so its probe stays low and says nothing of a NAT-type test. The STUN
    /// flow records say which flows made the test.
    func testNATTypeTestMarksOnlyKVMDProbes() throws {
        let (devices, _, _) = try run("laptop-call")
        let laptop = try XCTUnwrap(devices.devices.first { $0.bootProbe != nil })
        XCTAssertNil(laptop.bootProbe?.natTypeTest)
        let probe = try XCTUnwrap(laptop.kvmEvidence.first { $0.detail.hasPrefix("STUN binding request") })
        XCTAssertEqual(probe.confidence, .low)
        XCTAssertFalse(probe.detail.contains("CHANGE-REQUEST"))

        let flows = try analyzeCapture(TestEnvironment.capture("fixtures/kvm/pikvm-boot-stream.pcap"),
                                       dissectors: StandardDissectors()).flows
        let tests = flows.compactMap { $0.metadata?.facts(StandardDissectors.stunSlot, as: STUNFacts.self)?.changeRequest }
        XCTAssertEqual(tests, [0x6, 0x6], "two kvmd checks, 10 s apart, each with its NAT-type test")
    }

    private func viewerPort(_ e: [String: Any]) -> String? {
        (e["detail"] as? String)?.split(separator: ":").last?.split(separator: " ").first.map(String.init)
    }

    /// Traffic shapes beside a product name raise it a step; traffic shapes alone never make a
    /// verdict, and a verdict that rests on them and a generic MAC prefix is low and unscored.
    func testVerdictRules() {
        let d = Device(mac: 0xDCA6_3201_0203, at: 0)
        func shape(_ detail: String) -> KVMEvidence {
            KVMEvidence(identifiedBy: .trafficShape, confidence: .low, detail: detail, product: nil)
        }
        d.noteKVM(shape("STUN binding request"))
        XCTAssertNil(d.kvm, "STUN at boot alone is no KVM")
        d.noteKVM(KVMEvidence(identifiedBy: .oui, confidence: .low, detail: "MAC", product: "Raspberry Pi"))
        XCTAssertEqual(d.kvm?.confidence, .low)
        XCTAssertEqual(d.kvm?.product, "Raspberry Pi")
        XCTAssertTrue(d.kvmRestsOnTrafficShapeOnly)
        d.noteKVM(KVMEvidence(identifiedBy: .dhcp, confidence: .medium, detail: "host name pikvm", product: "PiKVM"))
        XCTAssertEqual(d.kvm?.confidence, .high, "a name, raised by what the traffic did")
        XCTAssertEqual(d.kvm?.product, "PiKVM")
        XCTAssertFalse(d.kvmRestsOnTrafficShapeOnly)
        let named = Device(mac: 0x3052_5300_0001, at: 0)
        named.noteKVM(KVMEvidence(identifiedBy: .httpTitle, confidence: .high, detail: "title JetKVM", product: "JetKVM"))
        named.noteKVM(shape("video stream"))
        XCTAssertEqual(named.kvm?.confidence, .high, "never above high")
    }

    /// The stream shape on its own terms: a steady one-way stream is one, a call (media both
    /// ways), a short burst and a paced download are not.
    func testVideoStreamShape() {
        func flow(seconds: Int, gapBin: Int, gapsPerSecond: UInt32, sentPerSecond: UInt64, back: UInt64, backPackets: UInt64) -> FlowState {
            var p = Packet()
            p.l4Proto = IPProto.udp
            p.src = IPAddress(v4: 0xC0A8_0132)
            p.dst = IPAddress(v4: 0xCB00_7114)
            p.srcPort = 45000
            p.dstPort = 52000
            var aToB = false
            var f = FlowState(key: FlowKey(packet: p, isAToB: &aToB), originatorIsA: aToB, serial: 1, timestampNs: 0)
            f.lastTimestampNs = Int64(seconds) * 1_000_000_000
            f.orig.payloadBytes = sentPerSecond * UInt64(seconds)
            f.orig.dataPackets = f.orig.payloadBytes / 900
            f.orig.interArrival.bins[gapBin] = gapsPerSecond * UInt32(seconds)
            f.orig.interArrival.bins[8] = gapsPerSecond * UInt32(seconds) * 2
            f.resp.payloadBytes = back
            f.resp.dataPackets = backPackets
            return f
        }
        let kvm = VideoStreamShape.measure(flow(seconds: 20, gapBin: 16, gapsPerSecond: 30, sentPerSecond: 80_000, back: 40_000, backPackets: 600))
        XCTAssertEqual(kvm?.sender, .originator)
        XCTAssertEqual(kvm?.framesPerSecond ?? 0, 30, accuracy: 0.01)
        XCTAssertNil(VideoStreamShape.measure(flow(seconds: 20, gapBin: 16, gapsPerSecond: 30, sentPerSecond: 80_000,
                                                    back: 1_200_000, backPackets: 1800)), "media both ways")
        XCTAssertNil(VideoStreamShape.measure(flow(seconds: 5, gapBin: 16, gapsPerSecond: 30, sentPerSecond: 80_000, back: 0, backPackets: 0)),
                     "too short")
        XCTAssertNil(VideoStreamShape.measure(flow(seconds: 20, gapBin: 22, gapsPerSecond: 1, sentPerSecond: 80_000, back: 0, backPackets: 0)),
                     "buffered bursts, no frame clock")
        XCTAssertNil(VideoStreamShape.measure(flow(seconds: 20, gapBin: 16, gapsPerSecond: 30, sentPerSecond: 80_000,
                                                    back: 9_000, backPackets: 10)), "large packets back: not input")
        // Measured on a real download that curl paced (--limit-rate 1M, 15 s, 18 MB, between
        // network namespaces): 6 short pauses a second, 4-16 ms long, nearly all in two bins.
        var paced = flow(seconds: 15, gapBin: 13, gapsPerSecond: 0, sentPerSecond: 1_224_000, back: 87, backPackets: 1)
        for (bin, count) in [13: 74, 14: 1, 15: 9, 16: 7] as [Int: UInt32] { paced.orig.interArrival.bins[bin] = count }
        XCTAssertNil(VideoStreamShape.measure(paced), "pauses far shorter than the period their count implies")
    }

    /// Real streams made with ffmpeg (scripts/make-kvm-stream-captures.sh): H.264 over RTP/UDP
    /// and MJPEG over HTTP have the shape, sent by the device; a two-way call does not.
    func testRealStreamsAndNearMisses() throws {
        struct StreamTruth: Decodable { var video_stream_from: String? }
        for name in ["stream-rtp-h264", "stream-mjpeg-http", "near-rtp-two-way"] {
            let flows = try analyzeCapture(TestEnvironment.capture("fixtures/kvm/\(name).pcap"),
                                           dissectors: StandardDissectors()).flows
            let url = URL(fileURLWithPath: TestEnvironment.capture("fixtures/kvm/\(name).truth.json"))
            let truth = try JSONDecoder().decode(StreamTruth.self, from: Data(contentsOf: url))
            let streams = flows.compactMap { f in VideoStreamShape.measure(f).map { (f, $0) } }
            let senders = streams.map { f, v in (v.sender == .originator ? f.originatorAddress : f.responderAddress).description }
            XCTAssertEqual(senders, truth.video_stream_from.map { [$0] } ?? [], name)
            for (_, v) in streams {
                XCTAssertEqual(v.framesPerSecond, 30, accuracy: 2, name)
                XCTAssertGreaterThan(v.senderShare, 0.95, name)
            }
        }
    }

    /// The shipped scenario captures (real VNC, RDP, SSH, TURN and VPN sessions between network
    /// namespaces): a driven desktop streams its screen too, yet nothing there is a KVM. The
    /// scenarios whose ground truth is an IP-KVM (`tools: ["kvm"]`) are checked for their KVMs
    /// in ScenarioDetectionTests, and only measured here.
    func testRemoteDesktopScreensAreNoKVM() throws {
        let dir = URL(fileURLWithPath: TestEnvironment.capture("scenarios"))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".pcap") }.sorted()
        XCTAssertFalse(names.isEmpty)
        var shaped: [String] = []
        for name in names + ["../lab-basic.pcap"] {
            let context = DissectorContext(signatures: SignatureMatcher(try SignatureCatalogue.builtIn()))
            let dissectors = StandardDissectors(context: context)
            let flows = try analyzeCapture(dir.appendingPathComponent(name).path, dissectors: dissectors).flows
            _ = dissectors.runSummary()
            let truth = dir.appendingPathComponent(name.replacingOccurrences(of: ".pcap", with: ".truth.json"))
            let tools = (try? JSONSerialization.jsonObject(with: Data(contentsOf: truth)) as? [String: Any])?["tools"] as? [String]
            if tools?.contains("kvm") != true {
                XCTAssertTrue(context.devices.devices.allSatisfy { $0.kvm == nil }, name)
            }
            for f in flows {
                guard let v = VideoStreamShape.measure(f) else { continue }
                let from = v.sender == .originator ? f.originatorAddress : f.responderAddress
                shaped.append("\(name) \(from) \(Int(v.bitsPerSecond / 1000)) kbit/s \(Int(v.framesPerSecond)) fps")
            }
        }
        print("scenario flows with a video stream's shape: \(shaped.count)\n  " + shaped.joined(separator: "\n  "))
    }

    /// Over the corpus's video, WebRTC and streaming captures no device is called a KVM and no
    /// flow carries `kvm`: the shapes alone decide nothing.
    func testCorpusVideoTrafficMakesNoKVM() throws {
        let dir = try TestEnvironment.requireCorpus()
        var shaped: [String] = []
        for (path, _) in try TestEnvironment.corpusCaptures() {
            let context = DissectorContext(signatures: SignatureMatcher(try SignatureCatalogue.builtIn()))
            let dissectors = StandardDissectors(context: context)
            let flows = try analyzeCapture(dir.appendingPathComponent(path).path, dissectors: dissectors).flows
            _ = dissectors.runSummary()
            XCTAssertTrue(context.devices.devices.allSatisfy { $0.kvm == nil }, path)
            XCTAssertFalse(flows.contains { $0.metadata?.protocols.contains { $0.family == .kvm } == true }, path)
            for f in flows {
                guard let v = VideoStreamShape.measure(f) else { continue }
                let from = v.sender == .originator ? f.originatorAddress : f.responderAddress
                shaped.append("\(path) \(from) \(Int(v.bitsPerSecond / 1000)) kbit/s \(Int(v.framesPerSecond)) fps")
            }
        }
        // Context for whoever tunes the thresholds: the corpus flows that have the shape.
        print("corpus flows with a video stream's shape: \(shaped.count)\n  " + shaped.joined(separator: "\n  "))
    }
}
