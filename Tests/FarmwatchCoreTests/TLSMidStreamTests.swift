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
        // Two records, the second one's body split across segments: not yet enough.
        c.send(.originator, Self.record(40) + Self.record(300), splits: [100, 200], afterGap: true)
        XCTAssertNil(Self.recognition(c))
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
        // Two records only.
        var short = DissectorConversation<TLSDissector>(serverPort: 443)
        short.send(.originator, Self.record(40) + Self.record(60), afterGap: true)
        XCTAssertNil(Self.recognition(short))
        // A first segment that falls inside a record: that direction is left alone.
        var inside = DissectorConversation<TLSDissector>(serverPort: 443)
        inside.send(.originator, [UInt8](repeating: 0x17, count: 3) + Self.record(40) + Self.record(60) + Self.record(70),
                    afterGap: true)
        XCTAssertNil(inside.flow.metadata)
    }

    /// The corpus's connections that begin after their handshake and that nDPI names TLS from
    /// their records are named `tls` here too, with the chain in the record.
    func testCorpusMidStreamConnections() throws {
        let corpus = try TestEnvironment.requireCorpus()
        for (capture, expected) in [("pcaps/ndpi__tls-appdata.pcap", 2), ("pcaps/ndpi__whatsapp_login_chat.pcap", 2)] {
            let flows = try analyzeCapture(corpus.appendingPathComponent(capture).path, dissectors: StandardDissectors()).flows
            let named = flows.filter {
                $0.metadata?.protocols.first?.evidence?.hasSuffix("TLS records chained, no handshake captured") == true
            }
            XCTAssertEqual(named.count, expected, capture)
            for f in named {
                XCTAssertEqual(f.metadata?.protocols.map(\.family), [.tls], capture)
                XCTAssertEqual(f.history.string.first, "D", "\(capture): no SYN was captured")
            }
        }
    }
}
