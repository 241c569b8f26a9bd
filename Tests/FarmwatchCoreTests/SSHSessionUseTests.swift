import Foundation
import XCTest
@testable import FarmwatchCore

/// SSH session use judged from traffic shape, on captures of real OpenSSH used each way
/// (scripts/make-ssh-use-fixtures.sh).
final class SSHSessionUseTests: XCTestCase {
    func check(_ name: String) throws {
        let url = URL(fileURLWithPath: TestEnvironment.capture("fixtures/ssh/\(name).truth.json"))
        let truth = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let flows = try analyzeCapture(TestEnvironment.capture("fixtures/ssh/\(name).pcap"), dissectors: StandardDissectors()).flows
        let ssh = flows.compactMap { $0.metadata?.facts(StandardDissectors.sshSlot, as: SSHFacts.self) }
        XCTAssertEqual(ssh.count, 1, name)
        let facts = try XCTUnwrap(ssh.first)
        let banners = try XCTUnwrap(truth["tshark"] as? [String: String])
        XCTAssertEqual(facts.clientBanner?.text, banners["client"], name)
        XCTAssertEqual(facts.use?.kind.rawValue, truth["use_by_construction"] as? String, "\(name): \(String(describing: facts.use))")
    }

    func testInteractiveTyping() throws { try check("ssh-interactive") }
    func testBulkCopy() throws { try check("ssh-scp") }
    func testDynamicForwardTunnel() throws { try check("ssh-tunnel") }
    func testLocalForwardTunnel() throws { try check("ssh-forward") }

    static func uses(_ path: String) throws -> [SSHSessionUse] {
        try analyzeCapture(path, dissectors: StandardDissectors()).flows
            .compactMap { $0.metadata?.facts(StandardDissectors.sshSlot, as: SSHFacts.self)?.use }
    }

    /// The lab capture (scripts/make-lab-capture.sh): an interactive session and a 200 KiB scp
    /// upload, where the client is the busier side.
    func testLabCaptureSessions() throws {
        let uses = try Self.uses(TestEnvironment.capture("lab-basic.pcap"))
        XCTAssertEqual(uses.filter { $0.kind == .interactive }.count, 1)
        let bulk = uses.filter { $0.kind == .bulk }
        XCTAssertEqual(bulk.count, 1)
        XCTAssertGreaterThan(bulk.first?.clientBytes ?? 0, 200 * 1024)
        XCTAssertFalse(uses.contains { $0.kind == .tunnel })
    }

    /// FoxIO's reverse-SSH capture: the person types at the server's end of the connection.
    func testReverseShellIsInteractive() throws {
        let corpus = try TestEnvironment.requireCorpus()
        let uses = try Self.uses(corpus.appendingPathComponent("ja4/pcaps/ja4__ssh-r.pcap").path)
        XCTAssertTrue(uses.contains { $0.kind == .interactive && ($0.serverTurnaroundMedianMs ?? 0) >= 16 }, "\(uses)")
        XCTAssertFalse(uses.contains { $0.kind == .tunnel || $0.kind == .bulk })
    }

    /// A handshake and nothing more is too little to judge.
    func testTooShortIsUnknown() {
        var client = FlowSide(), server = FlowSide()
        for _ in 0..<8 { client.dataPackets += 1; client.payloadSizes.add(40); server.dataPackets += 1; server.payloadSizes.add(1200) }
        XCTAssertEqual(SSHSessionUse(client: client, server: server).kind, .unknown)
    }

    /// The figures the judgement rests on are written beside it.
    func testBasisIsWritten() throws {
        let flows = try analyzeCapture(TestEnvironment.capture("fixtures/ssh/ssh-interactive.pcap"), dissectors: StandardDissectors()).flows
        let use = try XCTUnwrap(flows.compactMap { $0.metadata?.facts(StandardDissectors.sshSlot, as: SSHFacts.self)?.use }.first)
        let w = JSONWriter(stream: nil)
        w.beginObject(); use.writeJSON(to: w); w.endObject()
        let text = String(decoding: w.buffer, as: UTF8.self)
        for field in ["\"use\":\"interactive\"", "client_small_share", "server_small_share", "client_pauses",
                      "client_turnaround_median_ms"] {
            XCTAssertTrue(text.contains(field), text)
        }
    }
}
