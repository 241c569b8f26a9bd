import Foundation
import XCTest
@testable import FarmwatchCore

/// DHCPv4 and DHCPv6 against tshark: the generated fixture field by field, every corpus
/// capture's host names and vendor classes conversation by conversation, and hostile options.
final class DHCPTests: XCTestCase {
    /// Host names and vendor classes per conversation.
    struct View: Equatable {
        var hostNames = Set<String>()
        var vendorClasses = Set<String>()
    }

    static func tsharkView(_ truth: NameTruth) -> [PairKey: View] {
        var out: [PairKey: View] = [:]
        for f in truth.frames where f.carries("dhcp") {
            guard let key = f.pair else { continue }
            var v = out[key] ?? View()
            v.hostNames.formUnion(f.values("dhcp.option.hostname"))
            v.vendorClasses.formUnion(f.values("dhcp.option.vendor_class_id"))
            out[key] = v
        }
        return out.filter { $0.value != View() }
    }

    static func ourView(_ flows: [FlowState]) -> [PairKey: View] {
        var out: [PairKey: View] = [:]
        for (key, list) in factsByPair(flows, slot: StandardDissectors.dhcpSlot, as: DHCPFacts.self) {
            var v = View()
            for facts in list where facts.version == 4 {
                for t in facts.transactions {
                    if let h = t.hostName { v.hostNames.insert(h.text) }
                    if let c = t.vendorClass { v.vendorClasses.insert(c.text) }
                }
            }
            if v != View() { out[key] = v }
        }
        return out
    }

    func testFixtureMatchesTshark() throws {
        let path = TestEnvironment.capture("fixtures/names/dhcp.pcap")
        let truth = try NameTruth.sidecar(path)
        let context = DissectorContext()
        let flows = try analyzeCapture(path, dissectors: StandardDissectors(context: context)).flows
        XCTAssertEqual(Self.ourView(flows), Self.tsharkView(truth))

        // The client's DISCOVER as tshark read it, and the ACK's address.
        let discover = try XCTUnwrap(truth.frames.first { $0.first("dhcp.option.dhcp") == "1" })
        let ack = try XCTUnwrap(truth.frames.first { $0.first("dhcp.option.dhcp") == "5" })
        let v4 = flows.compactMap { $0.metadata?.facts(StandardDissectors.dhcpSlot, as: DHCPFacts.self) }.filter { $0.version == 4 }
        let t = try XCTUnwrap(v4.flatMap(\.transactions).first { $0.messageTypes.contains(1) })
        XCTAssertEqual(t.fqdn?.text, discover.first("dhcp.fqdn.name"))
        XCTAssertEqual(t.parameterList?.map(String.init), discover.values("dhcp.option.request_list_item"))
        XCTAssertEqual(FlowRecordWriter.macString(t.mac), discover.first("dhcp.hw.mac_addr"))
        let acked = v4.flatMap(\.transactions).flatMap(\.assignedAddresses).map(\.description)
        XCTAssertEqual(acked, [ack.first("dhcp.ip.your")!])

        // DHCPv6: the message types in order and the client FQDN (tshark writes the root dot).
        let v6truth = truth.frames.filter { $0.carries("dhcpv6") }
        let v6 = flows.compactMap { $0.metadata?.facts(StandardDissectors.dhcpSlot, as: DHCPFacts.self) }.filter { $0.version == 6 }
        XCTAssertEqual(v6.flatMap(\.transactions).flatMap(\.messageTypes).map(String.init).sorted(),
                       v6truth.compactMap { $0.first("dhcpv6.msgtype") }.sorted())
        let fqdn = try XCTUnwrap(v6truth.compactMap { $0.first("dhcpv6.client_domain") }.first)
        XCTAssertTrue(v6.flatMap(\.transactions).contains { ($0.fqdn?.text ?? "") + "." == fqdn })

        // The device the exchanges describe, keyed by the client's MAC.
        let mac = try XCTUnwrap(context.devices.devices.first { FlowRecordWriter.macString($0.mac) == discover.first("dhcp.hw.mac_addr") })
        XCTAssertEqual(mac.dhcp?.hostName?.text, discover.first("dhcp.option.hostname"))
        XCTAssertEqual(mac.dhcp?.vendorClass?.text, discover.first("dhcp.option.vendor_class_id"))
        XCTAssertEqual(mac.dhcp?.assignedAddress?.description, ack.first("dhcp.ip.your"))
        XCTAssertNotNil(mac.dhcpv6?.duid, "DHCPv6 joins the same device through the MAC in its DUID")
        XCTAssertTrue(mac.addresses.items.contains(IPAddress(ack.first("dhcp.ip.your")!)!))
    }

    func testCorpusHostNamesAgreeWithTshark() throws {
        var agreed = 0, names = 0
        var failures: [String] = []
        for run in try NameTruth.corpusRuns() {
            let theirs = Self.tsharkView(run.truth)
            let ours = Self.ourView(run.flows)
            for key in Set(theirs.keys).union(ours.keys) {
                let t = theirs[key] ?? View(), o = ours[key] ?? View()
                if t == o { agreed += 1; names += o.hostNames.count; continue }
                failures.append("\(run.path) \(key): tshark \(t) ≠ ours \(o)")
            }
        }
        print("DHCP vs tshark: \(agreed) conversations agree (\(names) host names), \(failures.count) disagree")
        for f in failures.prefix(20) { print("  " + f) }
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(agreed, 5)
    }

    func testHostileOptions() throws {
        var b = [UInt8](repeating: 0, count: 240)
        b[0] = 1; b[1] = 1; b[2] = 6
        b[236] = 0x63; b[237] = 0x82; b[238] = 0x53; b[239] = 0x63
        // message type, then a host name whose length runs past the datagram
        let hostile = b + [53, 1, 1, 12, 200] + Array("short".utf8)
        let m = try XCTUnwrap(hostile.withUnsafeBytes { DHCPv4Message($0) })
        XCTAssertTrue(m.malformed)
        XCTAssertEqual(m.messageType, 1)
        XCTAssertNil(m.hostName)
        // a wire-format FQDN with a label length past its option
        let fqdn = b + [81, 6, 0x04, 0, 0, 9, 0x61, 0x62, 255]
        XCTAssertTrue(try XCTUnwrap(fqdn.withUnsafeBytes { DHCPv4Message($0) }).malformed)
        // no cookie, no DHCP; DHCPv6 options that do not tile the message are refused
        var noCookie = b; noCookie[236] = 0
        XCTAssertNil(noCookie.withUnsafeBytes { DHCPv4Message($0) })
        XCTAssertNil(([1, 0, 0, 1, 0, 1, 0, 40, 1, 2] as [UInt8]).withUnsafeBytes { DHCPv6Message($0) })
        // relay in relay past the depth limit
        var relay: [UInt8] = [1, 0xAA, 0xBB, 0xCC]
        for _ in 0...DHCPv6Message.maxRelayDepth {
            relay = [12, 0] + [UInt8](repeating: 0, count: 32) + [0, 9, UInt8(relay.count >> 8), UInt8(relay.count & 0xFF)] + relay
        }
        XCTAssertNil(relay.withUnsafeBytes { DHCPv6Message($0) })
    }
}
