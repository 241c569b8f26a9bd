import Foundation
import XCTest
@testable import FarmwatchCore

/// TLS connections the capture joined after their handshake, named from their records alone
/// (TLSRecordChain), and what must not be named so.
final class TLSMidStreamTests: XCTestCase {
    /// An application-data record of `n` payload bytes.
    static func record(_ n: Int, type: UInt8 = 23) -> [UInt8] {
        [type, 3, 3, UInt8(n >> 8), UInt8(n & 0xFF)] + [UInt8](repeating: 0xA7, count: n)
    }

    static func recognition(_ c: DissectorConversation<TLSDissector>) -> Recognition? {
        c.flow.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self)?.recognition
    }

    func testChainedRecordsAfterAGapNameTheFlow() throws {
        var c = DissectorConversation<TLSDissector>(serverPort: 443)
        // Two records, the second one's body split across segments and not all there yet.
        let two = Self.record(40) + Self.record(300)
        c.send(.originator, Array(two.prefix(200)), splits: [100], afterGap: true)
        XCTAssertNil(Self.recognition(c))
        XCTAssertEqual(c.verdict, .wantMore)
        c.send(.originator, Array(two.dropFirst(200)))
        XCTAssertEqual(Self.recognition(c)?.evidence, "2 TLS records chained, no handshake captured",
                       "every byte accounted for")
        XCTAssertEqual(c.verdict, .wantMore)
        c.send(.responder, Self.record(2000), afterGap: true)
        let r = try XCTUnwrap(Self.recognition(c))
        XCTAssertEqual(r.family, .tls)
        XCTAssertEqual(r.identifiedBy, .payload)
        XCTAssertEqual(r.confidence, .medium)
        XCTAssertEqual(r.evidence, "3 TLS records chained, no handshake captured")
        XCTAssertEqual(c.verdict, .done)
        // Headers found across segment boundaries count too.
        var d = DissectorConversation<TLSDissector>(serverPort: 443)
        d.send(.originator, Self.record(40) + Self.record(300) + Self.record(10), splits: [45, 350], afterGap: true)
        XCTAssertEqual(Self.recognition(d)?.evidence, "3 TLS records chained, no handshake captured")
    }

    /// A connection that ends sooner than three records (a last alert, one push message) is
    /// named when its record lengths account for every byte it sent.
    func testFewRecordsThatAccountForEveryByte() throws {
        var c = DissectorConversation<TLSDissector>(serverPort: 5228)
        c.send(.originator, Self.record(22), afterGap: true)
        XCTAssertEqual(Self.recognition(c)?.evidence, "1 TLS record chained, no handshake captured")
        c.send(.responder, Self.record(26, type: 21) + Self.record(100), splits: [31], afterGap: true)
        XCTAssertEqual(Self.recognition(c)?.evidence, "3 TLS records chained, no handshake captured")
        XCTAssertEqual(c.verdict, .done)
    }

    func testWhatMustNotBeNamed() {
        // A header out of place after two good ones: not TLS.
        var broken = DissectorConversation<TLSDissector>(serverPort: 443)
        var bytes = Self.record(40) + Self.record(60) + Self.record(80)
        bytes[110] = 0x47
        broken.send(.originator, bytes, afterGap: true)
        XCTAssertNil(Self.recognition(broken))
        XCTAssertEqual(broken.verdict, .done)
        // A connection captured from its start opens with a hello, never application data.
        var fresh = DissectorConversation<TLSDissector>(serverPort: 443)
        fresh.send(.originator, Self.record(40) + Self.record(60) + Self.record(80))
        XCTAssertNil(fresh.flow.metadata, "nothing claimed, nothing allocated")
        // HTTP joined mid-connection.
        var http = DissectorConversation<TLSDissector>(serverPort: 80)
        http.send(.originator, Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), afterGap: true)
        XCTAssertNil(http.flow.metadata)
        // Two records and the start of a third that never completes: fewer than three headers,
        // and the bytes do not end where a record does.
        var short = DissectorConversation<TLSDissector>(serverPort: 443)
        short.send(.originator, Self.record(40) + Self.record(60) + [23, 3], afterGap: true)
        XCTAssertNil(Self.recognition(short))
        var unfinished = DissectorConversation<TLSDissector>(serverPort: 443)
        unfinished.send(.originator, Array(Self.record(300).prefix(120)), afterGap: true)
        XCTAssertNil(Self.recognition(unfinished), "one record, cut before its end")
        // A first segment that falls inside a record: that direction is left alone.
        var inside = DissectorConversation<TLSDissector>(serverPort: 443)
        inside.send(.originator, [UInt8](repeating: 0x17, count: 3) + Self.record(40) + Self.record(60) + Self.record(70),
                    afterGap: true)
        XCTAssertNil(inside.flow.metadata)
    }

    /// The corpus's connections that begin after their handshake: every flow nDPI names TLS
    /// on these captures is named `tls` here, from its records, and every flow named so is one
    /// nDPI names TLS.
    func testCorpusMidStreamConnectionsAgreeWithNDPI() throws {
        let corpus = try TestEnvironment.requireCorpus()
        var checked = 0
        for capture in ["ndpi__tls-appdata.pcap", "ndpi__whatsapp_login_chat.pcap"] {
            let flows = try analyzeCapture(corpus.appendingPathComponent("pcaps/" + capture).path,
                                           dissectors: StandardDissectors()).flows
            let text = try String(contentsOf: corpus.appendingPathComponent("expected/\(capture).out"), encoding: .utf8)
            let ndpiTLS = Set(text.split(separator: "\n").compactMap(CorpusRecognitionTests.ndpiLine)
                .filter { $0.1.contains("tls") }.map(\.0))
            func key(_ f: FlowState) -> String {
                CorpusRecognitionTests.key(f.key.proto, f.originatorAddress.description, f.originatorPort,
                                           f.responderAddress.description, f.responderPort)
            }
            let midStream = flows.filter {
                $0.metadata?.protocols.first?.evidence?.hasSuffix("chained, no handshake captured") == true
            }
            XCTAssertFalse(midStream.isEmpty, capture)
            for f in midStream {
                XCTAssertEqual(f.metadata?.protocols.map(\.family), [.tls], capture)
                XCTAssertTrue(ndpiTLS.contains(key(f)), "\(capture) \(key(f)): not TLS to nDPI")
                XCTAssertFalse(f.history.string.contains("S"), "\(capture): no SYN was captured")
                checked += 1
            }
            for f in flows where ndpiTLS.contains(key(f)) {
                XCTAssertEqual(f.metadata?.protocols.first?.family, .tls, "\(capture) \(key(f))")
            }
        }
        XCTAssertEqual(checked, 8, "tls-appdata's two connections in six flow records, whatsapp's two")
    }
}
