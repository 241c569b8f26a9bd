import XCTest
@testable import FarmwatchCore

typealias RDPEUDPConversation = DissectorConversation<RDPEUDPDissector>

extension DissectorConversation where D == RDPEUDPDissector {
    var facts: RDPEUDPFacts? { flow.metadata?.facts(StandardDissectors.rdpeudpSlot, as: RDPEUDPFacts.self) }
}

final class RDPEUDPTests: XCTestCase {
    /// The SYN of Zeek's rdpeudp-handshake-success.pcap, first 48 bytes, padded as sent.
    static func syn() -> [UInt8] {
        var d = fromHex("ffffffff004018010b127f1504d004d07855d064fbaf43f0b6e8f8aadfad000000000000000000000000000000000000")
        d += [0x00, 0x01, 0x00, 0x03]
        return d + [UInt8](repeating: 0, count: 1232 - d.count)
    }

    func testSynAloneIsRDPAndTheSynAckMustAcknowledgeIt() {
        var c = RDPEUDPConversation(serverPort: 3389, udp: true)
        XCTAssertEqual(c.send(.originator, Self.syn()), .wantMore)
        XCTAssertEqual(c.facts?.recognition?.family, .rdp)
        // A SYN+ACK acknowledging some other sequence number is not this handshake's.
        var wrongAck = fromHex("0b127f16004010050f94ea0b04d004d0000100020000")
        wrongAck += [UInt8](repeating: 0, count: 1232 - wrongAck.count)
        c.send(.responder, wrongAck)
        XCTAssertEqual(c.facts?.synAckSeen, false)
        var synAck = fromHex("0b127f15004010050f94ea0b04d004d0000100020000")
        synAck += [UInt8](repeating: 0, count: 1232 - synAck.count)
        XCTAssertEqual(c.send(.responder, synAck), .done)
        XCTAssertEqual(c.facts?.synAckSeen, true)
    }

    func testShortOrUnpaddedDatagramsAreRefusedWithoutAllocating() {
        let openings: [[UInt8]] = [
            Array(Self.syn().prefix(64)),                                  // the SYN, not padded
            [0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 1228),  // no SYN flag, no MTUs
            fromHex("0000000000000000000003172447500005000000"),           // TeamViewer UDP
            Array("M-SEARCH * HTTP/1.1\r\n".utf8),
        ]
        for d in openings {
            var c = RDPEUDPConversation(serverPort: 3389, udp: true)
            XCTAssertEqual(c.send(.originator, d), .notMine)
            XCTAssertNil(c.flow.metadata)
        }
    }

    /// Zeek's two RDPEUDP captures and nDPI's rdp2.pcap (three UDP flows, one seen only from
    /// the middle of the connection): every flow is RDP, and nothing else is.
    func testCorpusUDPFlowsAreRDP() throws {
        for capture in ["zeek__rdp__rdpeudp-handshake-success.pcap", "zeek__rdp__rdpeudp-handshake-fail.pcap",
                        "ndpi__rdp2.pcap"] {
            let flows = try RemoteControlSupport.corpusFlows(capture).filter { $0.key.proto == IPProto.udp }
            XCTAssertFalse(flows.isEmpty, capture)
            for f in flows {
                XCTAssertEqual(RemoteControlSupport.protocols(f), ["rdp"], "\(capture) \(PairKey(f))")
                XCTAssertEqual(f.metadata?.parseErrors ?? 0, 0)
            }
        }
        let success = try RemoteControlSupport.corpusFlows("zeek__rdp__rdpeudp-handshake-success.pcap")
        let rdpeudp = try XCTUnwrap(success.first.flatMap { RemoteControlSupport.object($0, "rdpeudp") })
        XCTAssertEqual(rdpeudp["syn"] as? Bool, true)
        XCTAssertEqual(rdpeudp["synack"] as? Bool, true)
    }
}
