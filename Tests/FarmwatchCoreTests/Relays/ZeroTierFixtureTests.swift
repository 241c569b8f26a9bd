import Foundation
import XCTest
@testable import FarmwatchCore

/// ZeroTier on the byte-exact fixtures made from the public protocol source
/// (scripts/make-relay-fixtures.py; captures/fixtures/relays/*.truth.json).
final class ZeroTierFixtureTests: XCTestCase {
    func testHelloNamesBothConversationsWhateverThePort() throws {
        let path = TestEnvironment.capture("fixtures/relays/zerotier.pcap")
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath:
            TestEnvironment.capture("fixtures/relays/zerotier.truth.json")))) as! [String: Any]
        let expected = truth["flows"] as! [[String: Any]]
        let flows = try analyzeCapture(path, dissectors: StandardDissectors()).flows
        XCTAssertEqual(flows.count, expected.count)
        for e in expected {
            let key = NDPIFlow.flowKey("udp", e["orig"] as! String, e["resp"] as! String)
            let f = try XCTUnwrap(flows.first { NDPIFlow.key(of: $0) == key }, key)
            XCTAssertEqual(f.metadata?.protocols.map(\.family.rawValue), e["protocols"] as? [String])
            let z = try XCTUnwrap(f.metadata?.facts(StandardDissectors.zeroTierSlot, as: ZeroTierFacts.self))
            XCTAssertEqual(ZeroTierFacts.hex(z.helloSource), e["hello_source"] as? String)
            XCTAssertEqual(ZeroTierFacts.hex(z.helloDestination), e["hello_destination"] as? String)
            XCTAssertEqual(Int(z.protocolVersion), e["protocol_version"] as? Int)
            XCTAssertEqual(z.softwareVersion, e["software_version"] as? String)
            XCTAssertEqual(Int(z.packets), e["packets"] as? Int)
            XCTAssertEqual(Int(z.pairPackets), e["pair_packets"] as? Int)
        }
    }

    func testNearMissesAreNotZeroTier() throws {
        let flows = try analyzeCapture(TestEnvironment.capture("fixtures/relays/zerotier-near-miss.pcap"),
                                       dissectors: StandardDissectors()).flows
        XCTAssertEqual(flows.count, 3)
        for f in flows {
            XCTAssertNil(f.metadata?.facts(StandardDissectors.zeroTierSlot, as: ZeroTierFacts.self))
            XCTAssertTrue(relayFamilies(f).isEmpty, NDPIFlow.key(of: f))
        }
    }
}
