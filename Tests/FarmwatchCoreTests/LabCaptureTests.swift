import Foundation
import XCTest
@testable import FarmwatchCore

/// The shipped lab capture (captures/lab-basic.pcap, real traffic made in network namespaces by
/// scripts/make-lab-capture.sh) against its ground-truth sidecar, whose numbers come from
/// tshark: the flow records a user would check — who talked to whom, packets each way, bytes,
/// connection state and TTLs.
final class LabCaptureTests: XCTestCase {
    struct Truth: Decodable {
        struct Totals: Decodable { let packets: Int; let flows: Int }
        struct TTLs: Decodable { let orig: [Int]?; let resp: [Int]? }
        struct Flow: Decodable {
            let proto: String
            let orig_h: String, orig_p: Int, resp_h: String, resp_p: Int
            let orig_pkts: Int, resp_pkts: Int
            let orig_ip_bytes: Int, resp_ip_bytes: Int
            let orig_bytes: Int?, resp_bytes: Int?
            let conn_state: String
            let what: String
            let ttl_seen: TTLs
        }
        let totals: Totals
        let flows: [Flow]
    }

    func testFlowsMatchTheGroundTruth() throws {
        let path = TestEnvironment.capture("lab-basic.pcap")
        let truth = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: URL(fileURLWithPath: path.replacingOccurrences(of: ".pcap", with: ".truth.json"))))
        let (flows, stats) = try analyzeCapture(path, dissectors: StandardDissectors())

        XCTAssertEqual(Int(stats.packets), truth.totals.packets)
        XCTAssertEqual(flows.count, truth.totals.flows)
        XCTAssertEqual(stats.decodeErrorTotal, 0)
        XCTAssertEqual(stats.notIP, 2, "the two ARP frames")

        for t in truth.flows {
            let match = flows.filter {
                FlowRecordWriter.protoName($0.key.proto) == t.proto
                    && $0.originatorAddress.description == t.orig_h && Int($0.originatorPort) == t.orig_p
                    && $0.responderAddress.description == t.resp_h && Int($0.responderPort) == t.resp_p
            }
            guard match.count == 1, let f = match.first else {
                XCTFail("\(t.what): expected one flow \(t.proto) \(t.orig_h):\(t.orig_p) → \(t.resp_h):\(t.resp_p), found \(match.count)")
                continue
            }
            XCTAssertEqual(Int(f.orig.packets), t.orig_pkts, t.what)
            XCTAssertEqual(Int(f.resp.packets), t.resp_pkts, t.what)
            XCTAssertEqual(Int(f.orig.ipBytes), t.orig_ip_bytes, t.what)
            XCTAssertEqual(Int(f.resp.ipBytes), t.resp_ip_bytes, t.what)
            if let ob = t.orig_bytes, t.proto != "icmp" { XCTAssertEqual(Int(f.orig.seqBytes), ob, t.what) }
            if let rb = t.resp_bytes, t.proto != "icmp" { XCTAssertEqual(Int(f.resp.seqBytes), rb, t.what) }
            XCTAssertEqual(f.connState, t.conn_state, t.what)
            if let ttl = t.ttl_seen.orig?.first { XCTAssertEqual(Int(f.orig.ttlFirst), ttl, t.what) }
            if let ttl = t.ttl_seen.resp?.first, f.resp.packets > 0 { XCTAssertEqual(Int(f.resp.ttlFirst), ttl, t.what) }
        }
    }

    /// The lab capture keeps 512 bytes per frame, so the 1.4 KB KEXINIT segments are cut and
    /// HASSH cannot be computed (the corpus tests check HASSH on full captures); the banners
    /// are whole.
    func testTheSSHSessionIsDissected() throws {
        let (flows, _) = try analyzeCapture(TestEnvironment.capture("lab-basic.pcap"), dissectors: StandardDissectors())
        let ssh = flows.filter { $0.responderPort == 22 }
        XCTAssertEqual(ssh.count, 2)
        for f in ssh {
            let facts = try XCTUnwrap(f.metadata?.facts(StandardDissectors.sshSlot, as: SSHFacts.self))
            XCTAssertTrue(String(decoding: facts.clientBanner ?? [], as: UTF8.self).hasPrefix("SSH-2.0-OpenSSH_"))
            XCTAssertTrue(String(decoding: facts.serverBanner ?? [], as: UTF8.self).hasPrefix("SSH-2.0-OpenSSH_9.2"))
            XCTAssertNil(facts.hassh, "KEXINIT cut by the snap length must not give a fingerprint")
        }
    }

    /// The flow records name what each flow carries (`protocols`), from the dissectors' own
    /// parsing: the lab's SSH, HTTP and DNS flows, and nothing on the refused or unanswered ones.
    func testFlowsNameTheirProtocols() throws {
        let (flows, _) = try analyzeCapture(TestEnvironment.capture("lab-basic.pcap"), dissectors: StandardDissectors())
        func families(_ f: FlowState) -> [String] {
            (f.metadata?.protocols ?? []).map { $0.family.rawValue }
        }
        for f in flows {
            switch (f.key.proto, f.responderPort) {
            case (IPProto.tcp, 22): XCTAssertEqual(families(f), ["ssh"])
            case (IPProto.tcp, 8080): XCTAssertEqual(families(f), ["http"])
            case (IPProto.udp, 53) where f.resp.packets > 0: XCTAssertEqual(families(f), ["dns"])
            case (IPProto.tcp, 443), (IPProto.tcp, 80): XCTAssertEqual(families(f), [], "REJ and S0 carry nothing")
            default: break
            }
        }
    }

    /// The readable report a person gets by default: totals, states, and the largest
    /// conversations with what they carry.
    func testReadableReport() throws {
        let report = SummaryReport()
        let engine = FlowEngine(dissectors: StandardDissectors(), sink: report)
        let loop = CaptureLoop(engine: engine, limits: CaptureLimits(), progress: nil)
        _ = loop.run(try PcapSource.openFile(TestEnvironment.capture("lab-basic.pcap")))
        engine.finish()
        var stats = RunStatistics(engine: engine.stats, reassembly: engine.reassemblyStats, openFlowsAtEnd: 0)
        stats.inputs = 1
        let text = report.render(stats)
        XCTAssertTrue(text.contains("588 packets"), text)
        XCTAssertTrue(text.contains("Flows: 17 (tcp 7 · icmp 5 · udp 5)"), text)
        XCTAssertTrue(text.contains("SF 5 · REJ 1 · S0 1"), text)
        let scp = try XCTUnwrap(text.split(separator: "\n").first { $0.contains(":22") && $0.contains("210") }, text)
        XCTAssertTrue(scp.contains("ssh") && scp.contains("SF"), String(scp))
        XCTAssertTrue(text.contains("no decode errors"), text)
    }
}
