import Foundation
import XCTest
@testable import FarmwatchCore

/// OpenVPN with its header scrambled, named from the pattern of its first bytes
/// (OpenVPNOpcodePattern): real OpenVPN packets XORed with a mask over UDP and TCP, and near
/// misses that come close to the pattern (scripts/make-openvpn-scrambled-fixtures.py).
final class OpenVPNScrambledTests: XCTestCase {
    static func openVPNRecognition(_ f: FlowState) -> Recognition? {
        f.metadata?.protocols.first { $0.family == .openvpn }
    }

    func testScrambledFixtureFlowsAgreeWithTheirTruth() throws {
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath:
            TestEnvironment.capture("fixtures/relays/openvpn-scrambled.truth.json")))) as! [String: Any]
        let expected = truth["flows"] as! [[String: Any]]
        let flows = try analyzeCapture(TestEnvironment.capture("fixtures/relays/openvpn-scrambled.pcap"),
                                       dissectors: StandardDissectors()).flows
        XCTAssertEqual(flows.count, expected.count)
        var named = 0
        for e in expected {
            let port = UInt16(e["orig_p"] as! Int)
            let f = try XCTUnwrap(flows.first { $0.originatorPort == port }, "\(port)")
            let families = f.metadata?.protocols.map(\.family.rawValue) ?? []
            guard let family = e["family"] as? String else {
                XCTAssertEqual(families, [], "\(port): \(e["what"]!)")
                continue
            }
            XCTAssertEqual(families, [family], "\(port): \(e["what"]!)")
            guard family == "openvpn" else { continue }
            named += 1
            // No clear header to read: the clear-header dissector kept nothing to name it by,
            // and the pattern's recognition says what it saw.
            XCTAssertNil(f.metadata?.facts(StandardDissectors.openVPNSlot, as: OpenVPNFacts.self)?.recognition)
            let r = try XCTUnwrap(Self.openVPNRecognition(f))
            XCTAssertEqual(r.identifiedBy, .payload)
            XCTAssertEqual(r.confidence, .medium)
            XCTAssertEqual(r.layer, Layer.relay)
            let evidence = try XCTUnwrap(r.evidence)
            XCTAssertTrue(evidence.hasPrefix("opcode pattern over 10 messages: opening 0x58/0x20"), evidence)
            XCTAssertTrue(evidence.hasSuffix("scrambled header (no clear OpenVPN reset)"), evidence)
        }
        XCTAssertEqual(named, 2, "UDP and TCP")
    }

    /// The clear header wins where it can be read: the unscrambled source tunnel is named by
    /// its session ids (high confidence), not by the pattern.
    func testClearOpenVPNKeepsItsClearHeaderRecognition() throws {
        let flows = try analyzeCapture(TestEnvironment.capture("scenarios/openvpn-relay.pcap"),
                                       dissectors: StandardDissectors()).flows
        let tunnel = try XCTUnwrap(flows.first { $0.responderPort == 1194 })
        let r = try XCTUnwrap(Self.openVPNRecognition(tunnel))
        XCTAssertEqual(r.confidence, .high)
        XCTAssertNil(r.evidence)
    }

    /// The pattern's rules one by one, on datagrams: each near miss is dropped at the message
    /// that breaks it, with nothing allocated.
    func testPatternRules() {
        func datagrams(_ script: [(Direction, UInt8)]) -> OpenVPNOpcodePattern {
            var p = OpenVPNOpcodePattern()
            for (side, first) in script {
                let bytes = [first] + [UInt8](repeating: 0xA5, count: 40)
                bytes.withUnsafeBytes {
                    p.feed(StreamChunk(bytes: $0, direction: side, timestampNs: 0, streamOffset: 0, afterGap: false,
                                       isDatagram: true))
                }
            }
            return p
        }
        let o = Direction.originator, r = Direction.responder
        let handshake: [(Direction, UInt8)] = [(o, 0x5B), (o, 0x5C), (r, 0x23), (o, 0x41), (r, 0x4A), (r, 0x41),
                                               (o, 0x4F), (r, 0x40), (o, 0x48), (r, 0x42)]
        XCTAssertEqual(datagrams(handshake).state, .matched)
        XCTAssertEqual(datagrams(Array(handshake.prefix(9))).state, .watching, "ten messages are needed")
        // Both sides open alike (a request/response protocol with one type byte).
        XCTAssertEqual(datagrams([(o, 0x58), (r, 0x5A)]).state, .excluded)
        // A message other than its opening before the other side opened.
        XCTAssertEqual(datagrams([(o, 0x58), (o, 0x40)]).state, .excluded)
        // The opening again after other messages.
        XCTAssertEqual(datagrams([(o, 0x58), (r, 0x20), (o, 0x40), (o, 0x58)]).state, .excluded)
        // The other side's opening used by this side.
        XCTAssertEqual(datagrams([(o, 0x58), (r, 0x20), (o, 0x20)]).state, .excluded)
        // A fifth distinct opcode.
        XCTAssertEqual(datagrams([(o, 0x58), (r, 0x20), (o, 0x40), (r, 0x48), (o, 0x50), (r, 0x60), (o, 0x70)]).state,
                       .excluded)
        // Ten messages with a single opcode besides the openings: not a handshake.
        XCTAssertEqual(datagrams([(o, 0x58), (r, 0x20)] + Array(repeating: (o, 0x40), count: 8)).state, .excluded)
        // Openings repeated without end.
        XCTAssertEqual(datagrams(Array(repeating: (o, 0x58), count: 31)).state, .excluded)
        // A datagram too short to be an OpenVPN packet.
        var short = OpenVPNOpcodePattern()
        [UInt8](repeating: 0x58, count: 13).withUnsafeBytes {
            short.feed(StreamChunk(bytes: $0, direction: o, timestampNs: 0, streamOffset: 0, afterGap: false, isDatagram: true))
        }
        XCTAssertEqual(short.state, .excluded)
    }

    /// On the corpus capture of obfuscated OpenVPN, every flow nDPI names OpenVPN with its
    /// optional opcode heuristic (expected/…openvpn_heuristic_enabled.out) is named OpenVPN
    /// here too, and from the pattern; the clear-header flow whose first segment was too short
    /// to read says its openings are clear resets.
    func testCorpusObfuscatedOpenVPNAgreesWithNDPIHeuristic() throws {
        let corpus = try TestEnvironment.requireCorpus()
        let capture = "pcaps/ndpi__openvpn_obfuscated.pcapng"
        let flows = try analyzeCapture(corpus.appendingPathComponent(capture).path, dissectors: StandardDissectors()).flows
        let text = try String(contentsOf: corpus.appendingPathComponent(
            "expected/ndpi__openvpn_obfuscated.pcapng.openvpn_heuristic_enabled.out"), encoding: .utf8)
        var checked = 0
        for line in text.split(separator: "\n") where line.contains("/OpenVPN") {
            guard let (key, _) = CorpusRecognitionTests.ndpiLine(line) else { continue }
            let f = try XCTUnwrap(flows.first {
                CorpusRecognitionTests.key($0.key.proto, $0.originatorAddress.description, $0.originatorPort,
                                           $0.responderAddress.description, $0.responderPort) == key
            }, key)
            let r = try XCTUnwrap(Self.openVPNRecognition(f), key)
            XCTAssertEqual(r.confidence, .medium, key)
            XCTAssertTrue(r.evidence?.hasPrefix("opcode pattern over 10 messages") == true, key)
            checked += 1
        }
        XCTAssertEqual(checked, 3)
        XCTAssertEqual(flows.filter { Self.openVPNRecognition($0)?.evidence?.hasSuffix(
            "openings are clear hard_reset_client_v2/hard_reset_server_v2") == true }.count, 1)
    }
}
