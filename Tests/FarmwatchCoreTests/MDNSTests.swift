import Foundation
import XCTest
@testable import FarmwatchCore

/// mDNS, LLMNR, NBNS and SSDP: what each flow keeps against tshark (fixtures and corpus), and
/// what the device table learns from avahi's announcements and the LAN name peers.
final class MDNSTests: XCTestCase {
    /// Names asked and names answered for, per conversation.
    struct View: Equatable {
        var queries = Set<String>()
        var owners = Set<String>()
    }

    static func tsharkView(_ truth: NameTruth, llmnr: Bool) -> [PairKey: View] {
        var out: [PairKey: View] = [:]
        for f in truth.frames where f.carries(llmnr ? "llmnr" : "mdns") {
            guard let key = f.pair else { continue }
            var v = out[key] ?? View()
            v.queries.formUnion(f.values("dns.qry.name"))
            v.owners.formUnion(f.values("dns.resp.name").filter { $0 != "<Root>" })
            out[key] = v
        }
        return out
    }

    /// Ours; `capped` when the flow kept fewer records or queries than it saw.
    static func ourView(_ flows: [FlowState], llmnr: Bool) -> [PairKey: (view: View, capped: Bool, errors: Bool)] {
        var out: [PairKey: (View, Bool, Bool)] = [:]
        let errors = parseErrorsByPair(flows)
        for (key, list) in factsByPair(flows, slot: StandardDissectors.mdnsSlot, as: MDNSFacts.self) {
            var v = View(), capped = false
            for facts in list where facts.isLLMNR == llmnr {
                v.queries.formUnion(facts.queries.items.map { $0.name.text })
                v.owners.formUnion(facts.records.filter { $0.type != DNSType.opt }.map { $0.name.text })
                capped = capped || facts.recordsNotRecorded > 0 || facts.queries.dropped > 0
            }
            if !v.queries.isEmpty || !v.owners.isEmpty { out[key] = (v, capped, (errors[key] ?? 0) > 0) }
        }
        return out
    }

    static func compare(_ name: String, _ truth: NameTruth, _ flows: [FlowState], llmnr: Bool,
                        agreed: inout Int, explained: inout Int, failures: inout [String]) {
        let theirs = tsharkView(truth, llmnr: llmnr)
        let ours = ourView(flows, llmnr: llmnr)
        for key in Set(theirs.keys).union(ours.keys) {
            let t = theirs[key] ?? View()
            let o = ours[key] ?? (View(), false, false)
            if t == o.view { agreed += 1; continue }
            let subset = o.view.queries.isSubset(of: t.queries) && o.view.owners.isSubset(of: t.owners)
            // Generic rules: a capped flow keeps a subset; a malformed message is read as far as
            // it goes by each side.
            if (o.capped && subset) || (o.errors && truth.frames.contains { $0.pair == key && $0.malformed }) {
                explained += 1
                continue
            }
            failures.append("\(name) \(key): tshark \(t) ≠ ours \(o.view)")
        }
    }

    func testFixturesAgreeWithTshark() throws {
        var agreed = 0, explained = 0
        var failures: [String] = []
        for name in ["mdns", "lan-names"] {
            let path = TestEnvironment.capture("fixtures/names/\(name).pcap")
            let flows = try analyzeCapture(path, dissectors: StandardDissectors()).flows
            for llmnr in [false, true] {
                Self.compare(name, try NameTruth.sidecar(path), flows, llmnr: llmnr,
                             agreed: &agreed, explained: &explained, failures: &failures)
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(explained, 0)
        XCTAssertGreaterThanOrEqual(agreed, 4)
    }

    func testCorpusAgreesWithTshark() throws {
        var agreed = 0, explained = 0
        var failures: [String] = []
        for run in try NameTruth.corpusRuns() {
            for llmnr in [false, true] {
                Self.compare(run.path, run.truth, run.flows, llmnr: llmnr, agreed: &agreed, explained: &explained, failures: &failures)
            }
        }
        print("mDNS/LLMNR vs tshark: \(agreed) conversations agree, \(explained) explained, \(failures.count) unexplained")
        for f in failures.prefix(20) { print("  " + f) }
        XCTAssertEqual(failures, [])
    }

    /// avahi-daemon's probes and announcements name the device: its host name, its address
    /// and its two services with their ports and TXT records; the one-shot DNS-SD query from
    /// dig gets the same answers by unicast.
    func testAvahiAnnouncementsNameTheDevice() throws {
        let context = DissectorContext()
        _ = try analyzeCapture(TestEnvironment.capture("fixtures/names/mdns.pcap"), dissectors: StandardDissectors(context: context))
        let printer = try XCTUnwrap(context.devices.devices.first { FlowRecordWriter.macString($0.mac) == "00:1b:21:0a:0b:0c" })
        XCTAssertTrue(printer.hostNames.items.contains(Array("fixture-printer.local".utf8)))
        XCTAssertTrue(printer.addresses.items.contains(IPAddress("192.0.2.20")!))
        let ipp = try XCTUnwrap(printer.services.items.first { $0.instance.text == "Fixture Printer._ipp._tcp.local" })
        XCTAssertEqual(ipp.port, 631)
        XCTAssertEqual(ipp.target?.text, "fixture-printer.local")
        XCTAssertEqual(Set(ipp.txt.map(\.text)), ["ty=Fixture LaserJet 9000", "rp=printers/fixture"])
        XCTAssertEqual(printer.services.items.first { $0.instance.text == "Fixture Printer._http._tcp.local" }?.port, 8080)
        XCTAssertTrue(printer.has(.mdnsResponse))
        XCTAssertTrue(printer.has(.mdnsQuery), "the probes")
        XCTAssertEqual(OUIVendors.vendor(for: printer.mac), "Intel")
        // Its address was learnt under its host name.
        XCTAssertEqual(context.names.lookup(IPAddress("192.0.2.20")!, at: printer.lastSeenNs)?.text, "fixture-printer.local")
    }

    /// LLMNR, NBNS and SSDP peers: each names the host that answers or announces.
    func testLANNameServicesNameTheirSenders() throws {
        let path = TestEnvironment.capture("fixtures/names/lan-names.pcap")
        let truth = try NameTruth.sidecar(path)
        let context = DissectorContext()
        let flows = try analyzeCapture(path, dissectors: StandardDissectors(context: context)).flows
        let client = try XCTUnwrap(context.devices.devices.first { FlowRecordWriter.macString($0.mac) == "00:1b:21:0a:0b:0c" })
        let peer = try XCTUnwrap(context.devices.devices.first { FlowRecordWriter.macString($0.mac) == "02:00:00:00:00:53" })
        XCTAssertTrue(peer.macIsLocal)

        XCTAssertTrue(peer.hostNames.items.contains(Array("fixture-peer".utf8)), "LLMNR answer")
        XCTAssertTrue(peer.has(.llmnrResponse))
        XCTAssertTrue(client.has(.llmnrQuery))

        // NBNS: tshark writes "NAME<xx>"; ours keeps name and suffix apart.
        // tshark lists each name also with a description: "NAME<00> (Workstation/Redirector)".
        let nbns = Set(truth.frames.flatMap { $0.values("nbns.name") }.map { $0.components(separatedBy: " (")[0] })
        XCTAssertTrue(nbns.contains("FIXTURE-LAPTOP<00>") && nbns.contains("FIXTURE-PEER<20>"))
        XCTAssertEqual(client.netbiosNames.items.map(\.text), ["FIXTURE-LAPTOP"], "registration")
        XCTAssertEqual(peer.netbiosNames.items.map(\.text), ["FIXTURE-PEER"], "positive answer with its own address")
        let nbnsFacts = flows.compactMap { $0.metadata?.facts(StandardDissectors.nameServiceSlot, as: NBNSFacts.self) }
        let seen = Set(nbnsFacts.flatMap { $0.entries.items.map { "\($0.name.name.text)<\(String(format: "%02x", $0.name.suffix))>" } })
        XCTAssertEqual(seen, nbns)

        // SSDP: the device's NOTIFY and its answer to the client's M-SEARCH.
        let server = try XCTUnwrap(truth.frames.compactMap { $0.first("http.server") }.first)
        XCTAssertEqual(peer.ssdpServer?.text, server)
        XCTAssertEqual(peer.ssdpLocations.items.map(\.text), Array(Set(truth.frames.flatMap { $0.values("http.location") })))
        XCTAssertTrue(peer.has(.ssdpNotify) && peer.has(.ssdpResponse))
        XCTAssertTrue(client.has(.ssdpSearch))
        let ssdp = flows.compactMap { $0.metadata?.facts(StandardDissectors.nameServiceSlot, as: SSDPFacts.self) }
        XCTAssertEqual(ssdp.reduce(0) { $0 + Int($1.messages) }, truth.frames.filter { $0.carries("ssdp") }.count)
    }
}
