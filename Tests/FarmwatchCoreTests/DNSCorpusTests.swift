import Foundation
import XCTest
@testable import FarmwatchCore

/// farmwatch's DNS transactions against tshark's dissection, conversation by conversation, on
/// every capture of ../shared/corpus and on the generated fixtures: the same query names and
/// the same answer-section A, AAAA, CNAME and PTR data. Every difference must be explained by
/// a generic rule checked on the frames involved; none is excused by file.
final class DNSCorpusTests: XCTestCase {
    /// What one conversation asked and was told.
    struct View: Equatable {
        var queries = Set<String>()
        var answers = Set<String>()
    }

    struct TsharkSide {
        var view = View()
        /// tshark found a frame malformed, or a name it could not read ("<Name contains a
        /// pointer that loops>" and the like).
        var malformed = false
        var frames: [Int] = []
    }

    static let answerFields: [UInt16: String] = [
        DNSType.a: "dns.a", DNSType.aaaa: "dns.aaaa", DNSType.cname: "dns.cname", DNSType.ptr: "dns.ptr.domain_name",
    ]

    /// tshark's unicast DNS frames (mDNS and LLMNR have their own tests) per conversation.
    /// Answer-section values are told from the others by walking `dns.resp.type` with each
    /// message's section counts: tshark lists the records of every section, in order.
    static func tsharkView(_ truth: NameTruth) -> [PairKey: TsharkSide] {
        var out: [PairKey: TsharkSide] = [:]
        for f in truth.frames where f.carries("dns") && !f.carries("mdns") && !f.carries("llmnr") {
            guard let key = f.pair else { continue }
            var side = out[key] ?? TsharkSide()
            side.frames.append(f.number)
            if f.malformed { side.malformed = true }
            for q in f.values("dns.qry.name") {
                if q == "<Root>" { side.view.queries.insert(".") } else if q.hasPrefix("<") { side.malformed = true } else { side.view.queries.insert(q) }
            }
            var queues = answerFields.mapValues { f.values($0)[...] }
            var types = f.values("dns.resp.type").compactMap { UInt16($0) }[...]
            let an = f.values("dns.count.answers"), ns = f.values("dns.count.auth_rr"), ar = f.values("dns.count.add_rr")
            for m in 0..<an.count {
                let answers = Int(an[m]) ?? 0
                let total = answers + (Int(ns[safe: m] ?? "") ?? 0) + (Int(ar[safe: m] ?? "") ?? 0)
                for i in 0..<total {
                    guard let t = types.popFirst() else { break }
                    guard let v = queues[t]?.popFirst() else { continue }
                    if i < answers { side.view.answers.insert(v == "<Root>" ? "." : v) }
                }
            }
            out[key] = side
        }
        return out
    }

    struct OurSide {
        var view = View()
        /// Some transactions or answers were past the caps: ours is a subset.
        var capped = false
        var parseErrors: UInt32 = 0
    }

    static func ourView(_ flows: [FlowState]) -> [PairKey: OurSide] {
        var out: [PairKey: OurSide] = [:]
        let errors = parseErrorsByPair(flows)
        for (key, list) in factsByPair(flows, slot: StandardDissectors.dnsSlot, as: DNSFacts.self) {
            var side = OurSide()
            side.parseErrors = errors[key] ?? 0
            for facts in list {
                if facts.messagesNotRecorded > 0 { side.capped = true }
                for t in facts.transactions {
                    if let q = t.query { side.view.queries.insert(q.isEmpty ? "." : q.text) }
                    if t.answers.count == DNSFacts.maxAnswers { side.capped = true }
                    for a in t.answers where answerFields[a.type] != nil { side.view.answers.insert(a.data.presentation.text) }
                }
            }
            out[key] = side
        }
        return out
    }

    struct Tally {
        var agreed = 0, explained = 0, queries = 0, answers = 0
        var failures: [String] = []
        var reasons: [String: Int] = [:]
    }

    /// Compares one capture; records agreements, explained differences and failures.
    static func compare(_ capture: String, _ truth: NameTruth, _ flows: [FlowState], into tally: inout Tally) {
        let theirs = tsharkView(truth)
        let ours = ourView(flows)
        for key in Set(theirs.keys).union(ours.keys) {
            let t = theirs[key] ?? TsharkSide()
            let o = ours[key] ?? OurSide()
            if t.view == o.view {
                tally.agreed += 1
                tally.queries += o.view.queries.count
                tally.answers += o.view.answers.count
                continue
            }
            if let why = explanation(t, o) {
                tally.explained += 1
                tally.reasons[why, default: 0] += 1
                continue
            }
            tally.failures.append("\(capture) \(key): tshark \(t.view) frames \(t.frames.prefix(5)) ≠ ours \(o.view)")
        }
    }

    /// Generic rules, each checked on this conversation's frames and facts.
    static func explanation(_ t: TsharkSide, _ o: OurSide) -> String? {
        let subset = o.view.queries.isSubset(of: t.view.queries) && o.view.answers.isSubset(of: t.view.answers)
        if o.capped && subset {
            return "farmwatch keeps the first \(DNSFacts.maxTransactions) transactions (\(DNSFacts.maxAnswers) answers each) of a flow"
        }
        if t.malformed && o.parseErrors > 0 {
            return "malformed messages: both tshark and farmwatch flag them, and keep different partial reads"
        }
        return nil
    }

    func testFixturesAgreeWithTshark() throws {
        var tally = Tally()
        for name in ["dns-udp", "dns-tcp", "dns-hostile"] {
            let path = TestEnvironment.capture("fixtures/names/\(name).pcap")
            let flows = try analyzeCapture(path, dissectors: StandardDissectors()).flows
            Self.compare(name, try NameTruth.sidecar(path), flows, into: &tally)
        }
        XCTAssertEqual(tally.failures, [])
        XCTAssertGreaterThanOrEqual(tally.agreed, 10)
    }

    func testCorpusAgreesWithTshark() throws {
        var tally = Tally()
        var captures = 0
        for run in try NameTruth.corpusRuns() {
            let hasDNS = run.truth.frames.contains { $0.carries("dns") && !$0.carries("mdns") && !$0.carries("llmnr") }
            if !hasDNS && !run.flows.contains(where: { $0.metadata?.facts(StandardDissectors.dnsSlot, as: DNSFacts.self) != nil }) {
                continue
            }
            captures += 1
            Self.compare(run.path, run.truth, run.flows, into: &tally)
        }
        print("DNS vs tshark: \(captures) captures, \(tally.agreed) conversations agree (\(tally.queries) query names, "
              + "\(tally.answers) answers), \(tally.explained) explained \(tally.reasons), \(tally.failures.count) unexplained")
        for f in tally.failures.prefix(40) { print("  " + f) }
        XCTAssertEqual(tally.failures.count, 0)
    }

    /// A flow to an address an earlier DNS answer gave carries the name it was resolved
    /// from: on the fixture (a connection to gateway.fixture.example after looking it up) and
    /// on every corpus capture where it can happen, checked against the answers themselves.
    func testLaterFlowCarriesServerNameFromDNS() throws {
        let path = TestEnvironment.capture("fixtures/names/dns-udp.pcap")
        let flows = try analyzeCapture(path, dissectors: StandardDissectors()).flows
        let toGateway = try XCTUnwrap(flows.first { $0.key.proto == IPProto.tcp && $0.responderPort == 8080 })
        XCTAssertEqual(toGateway.metadata?.serverName?.text, "gateway.fixture.example")
        XCTAssertEqual(toGateway.metadata?.serverNameSource, .dns)

        var named = 0
        for run in try NameTruth.corpusRuns() {
            // Address → names of every answer tshark saw (any earlier answer may be the source).
            var answered: [String: Set<String>] = [:]
            for f in run.truth.frames where f.carries("dns") || f.carries("mdns") || f.carries("llmnr") {
                let names = Set(f.values("dns.qry.name") + f.values("dns.resp.name"))
                for a in f.values("dns.a") + f.values("dns.aaaa") { answered[a, default: []].formUnion(names) }
            }
            for f in run.flows where f.metadata?.serverNameSource == .dns {
                named += 1
                let name = f.metadata!.serverName!.text
                XCTAssertTrue(answered[f.responderAddress.description]?.contains(name) ?? false,
                              "\(run.path): \(f.responderAddress) named \(name) without such an answer")
            }
        }
        print("server_name from dns on \(named) corpus flows")
        XCTAssertGreaterThan(named, 0)
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { i >= 0 && i < count ? self[i] : nil }
}
