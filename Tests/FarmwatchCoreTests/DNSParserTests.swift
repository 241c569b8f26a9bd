import Foundation
import XCTest
@testable import FarmwatchCore

/// The DNS message parser on real messages (the fixtures) and on hostile ones: pointer loops,
/// names past 255 octets, truncated records, absurd counts. Never a crash or a hang; a fault
/// is reported as malformed with what parsed before it kept.
final class DNSParserTests: XCTestCase {
    static func message(_ bytes: [UInt8]) -> DNSMessage? {
        bytes.withUnsafeBytes { DNSMessage($0) }
    }

    static func header(id: UInt16 = 0x1234, flags: UInt16 = 0x8180, qd: UInt16 = 1, an: UInt16 = 0) -> [UInt8] {
        [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF),
         0, UInt8(qd), UInt8(an >> 8), UInt8(an & 0xFF), 0, 0, 0, 0]
    }

    static func name(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in text.split(separator: ".") { out.append(UInt8(label.utf8.count)); out += Array(label.utf8) }
        return out + [0]
    }

    static let question = name("www.example.com") + [0, 1, 0, 1]

    func testCompressedAnswersDecode() throws {
        // www.example.com A → CNAME cdn.example.net (compressed suffix) → A 192.0.2.1
        var b = Self.header(an: 2) + Self.question
        b += [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3] + Array("cdn".utf8) + [0xC0, 16]
        b += [0xC0, UInt8(12 + Self.question.count + 12), 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 192, 0, 2, 1]
        let m = try XCTUnwrap(Self.message(b))
        XCTAssertFalse(m.malformed)
        XCTAssertEqual(m.questions.first?.name.text, "www.example.com")
        XCTAssertEqual(m.records.map { $0.data.presentation.text }, ["cdn.example.com", "192.0.2.1"])
        XCTAssertEqual(m.records[1].name.text, "cdn.example.com")
        XCTAssertEqual(m.records.map(\.ttl), [60, 256])
    }

    func testPointerLoopsAreMalformedNotEndless() throws {
        // A question name pointing at itself.
        var b = Self.header() + [0xC0, 12, 0, 1, 0, 1]
        var m = try XCTUnwrap(Self.message(b))
        XCTAssertTrue(m.malformed)
        XCTAssertTrue(m.questions.isEmpty)
        // Two pointers pointing at each other, behind a good question.
        let at = UInt8(12 + Self.question.count)
        b = Self.header(an: 1) + Self.question + [0xC0, at + 2, 0xC0, at, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4]
        m = try XCTUnwrap(Self.message(b))
        XCTAssertTrue(m.malformed)
        XCTAssertEqual(m.questions.count, 1)
        XCTAssertTrue(m.records.isEmpty)
        // A label loop: label "a" then a pointer back to it, growing the name without end.
        b = Self.header() + [1, UInt8(ascii: "a"), 0xC0, 12, 0, 1, 0, 1]
        m = try XCTUnwrap(Self.message(b))
        XCTAssertTrue(m.malformed)
    }

    func testNameLengthIsCapped() throws {
        // 5 labels of 63 = 320 octets: past RFC 1035's 255.
        var n: [UInt8] = []
        for _ in 0..<5 { n += [63] + [UInt8](repeating: UInt8(ascii: "x"), count: 63) }
        let m = try XCTUnwrap(Self.message(Self.header() + n + [0, 0, 1, 0, 1]))
        XCTAssertTrue(m.malformed)
        // 3 labels of 63 plus one of 61: exactly 255 octets, accepted.
        n = []
        for _ in 0..<3 { n += [63] + [UInt8](repeating: UInt8(ascii: "x"), count: 63) }
        n += [61] + [UInt8](repeating: UInt8(ascii: "y"), count: 61)
        let ok = try XCTUnwrap(Self.message(Self.header() + n + [0, 0, 1, 0, 1]))
        XCTAssertFalse(ok.malformed)
        XCTAssertEqual(ok.questions.first?.name.count, 253)
    }

    func testTruncatedAndAbsurdCounts() throws {
        // Two answers announced, the second cut inside its RDATA: the first is kept.
        var b = Self.header(an: 2) + Self.question
        b += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 8]
        b += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0]
        var m = try XCTUnwrap(Self.message(b))
        XCTAssertTrue(m.malformed)
        XCTAssertEqual(m.records.map { $0.data.presentation.text }, ["192.0.2.8"])
        // 65,535 answers announced, one present.
        b = Self.header(an: 0xFFFF) + Self.question + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 9]
        m = try XCTUnwrap(Self.message(b))
        XCTAssertTrue(m.malformed)
        XCTAssertEqual(m.records.count, 1)
        // An A record of the wrong size, an RDLENGTH past the end, a header cut short.
        b = Self.header(an: 1) + Self.question + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 1, 2, 3]
        XCTAssertTrue(try XCTUnwrap(Self.message(b)).malformed)
        b = Self.header(an: 1) + Self.question + [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0x07, 0xD0, 5] + Array("hello".utf8)
        XCTAssertTrue(try XCTUnwrap(Self.message(b)).malformed)
        XCTAssertNil(Self.message(Array(Self.header().prefix(11))))
    }

    func testRecordLimitStopsAZoneTransferSizedMessage() throws {
        let count = DNSMessageReader.maxRecords + 100
        var b = Self.header(an: UInt16(count)) + Self.question
        for i in 0..<count { b += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, UInt8(i >> 8), UInt8(i & 0xFF)] }
        let m = try XCTUnwrap(Self.message(b))
        XCTAssertFalse(m.malformed)
        XCTAssertEqual(m.records.count, DNSMessageReader.maxRecords)
    }

    func testRDataTypes() throws {
        var b = Self.header(an: 4) + Self.question
        // TXT with two strings, one holding a quote
        b += [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 9, 3] + Array("a=b".utf8) + [4] + Array("x\"yz".utf8)
        // SRV 10 20 5060 cdn.example.com (compressed target)
        b += [0xC0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, 12, 0, 10, 0, 20, 0x13, 0xC4, 3] + Array("cdn".utf8) + [0xC0, 16]
        // HTTPS 1 . alpn=h2,h3 ipv4hint=192.0.2.10 ipv6hint=2001:db8::1
        let https: [UInt8] = [0, 1, 0, 0, 1, 0, 6, 2, 0x68, 0x32, 2, 0x68, 0x33, 0, 4, 0, 4, 192, 0, 2, 10,
                              0, 6, 0, 16, 0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        b += [0xC0, 12, 0, 65, 0, 1, 0, 0, 0, 60, 0, UInt8(https.count)] + https
        // an unknown type keeps its length
        b += [0xC0, 12, 0x01, 0x00, 0, 1, 0, 0, 0, 60, 0, 3, 1, 2, 3]
        let m = try XCTUnwrap(Self.message(b))
        XCTAssertFalse(m.malformed)
        XCTAssertEqual(m.records.map { $0.data.presentation.text },
                       ["\"a=b\" \"x\\\"yz\"", "10 20 5060 cdn.example.com", "1 . alpn=h2,h3 ipv4hint=192.0.2.10 ipv6hint=2001:db8::1",
                        "\\# 3"])
        var hints: [String] = []
        m.records[2].data.addresses { hints.append($0.description) }
        XCTAssertEqual(hints, ["192.0.2.10", "2001:db8::1"])
    }

    func testLabelsWithDotsStayUnambiguous() throws {
        let b = Self.header() + [3, UInt8(ascii: "a"), UInt8(ascii: "."), UInt8(ascii: "b"), 1, UInt8(ascii: "c"), 0, 0, 1, 0, 1]
        XCTAssertEqual(try XCTUnwrap(Self.message(b)).questions.first?.name.text, "a\\.b.c")
    }

    func testPlausibilityOffPort53() {
        func plausible(_ b: [UInt8], strict: Bool) -> Bool { b.withUnsafeBytes { DNSMessageReader.isPlausible($0, strict: strict) } }
        let query = Self.header(flags: 0x0100) + Self.question
        XCTAssertTrue(plausible(query, strict: true))
        XCTAssertFalse(plausible(query + [0], strict: true), "trailing bytes")
        XCTAssertTrue(plausible(query + [0], strict: false))
        XCTAssertFalse(plausible(Self.header(flags: 0x0100, qd: 2) + Self.question + Self.question, strict: true))
        XCTAssertFalse(plausible(Self.header(flags: 0x7100) + Self.question, strict: false), "opcode 14")
        XCTAssertFalse(plausible(Self.header(flags: 0x0103) + Self.question, strict: false), "rcode on a query")
        XCTAssertFalse(plausible(Self.header(flags: 0x0100) + Self.name("x") + [0, 1, 0, 9], strict: false), "class 9")
        XCTAssertFalse(plausible(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), strict: false))
    }

    /// An inverse query (opcode 1, RFC 1035 §6.4.1) asks with one answer record and no
    /// question, the shape of ndpi__dns_invert_query's: plausible on DNS's port, and only that
    /// shape — a plain query without a question is not.
    func testInverseQueryWithoutQuestion() {
        func plausible(_ b: [UInt8], strict: Bool) -> Bool { b.withUnsafeBytes { DNSMessageReader.isPlausible($0, strict: strict) } }
        let answer: [UInt8] = [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 216, 58, 202, 4]
        XCTAssertTrue(plausible(Self.header(flags: 0x0900, qd: 0, an: 1) + answer, strict: false))
        XCTAssertFalse(plausible(Self.header(flags: 0x0900, qd: 0, an: 1) + answer, strict: true), "away from port 53")
        XCTAssertFalse(plausible(Self.header(flags: 0x0100, qd: 0, an: 1) + answer, strict: false), "opcode 0")
        XCTAssertFalse(plausible(Self.header(flags: 0x0900, qd: 0, an: 0), strict: false), "nothing asked")
        XCTAssertFalse(plausible(Self.header(flags: 0x0900, qd: 0, an: 2) + answer + answer, strict: false), "two answers")
    }

    /// The hostile fixture: a query answered by five malformed responses, then a good one.
    /// The flow counts one parse error per frame tshark calls malformed (or whose name it
    /// cannot read), and still records the good answer and learns its address.
    func testHostileFixtureCountsErrorsAndGoesOn() throws {
        let path = TestEnvironment.capture("fixtures/names/dns-hostile.pcap")
        let truth = try NameTruth.sidecar(path)
        let bad = truth.frames.filter { $0.malformed || $0.values("dns.qry.name").contains { $0.hasPrefix("<") } }
        XCTAssertEqual(bad.count, 5)
        let context = DissectorContext()
        let flows = try analyzeCapture(path, dissectors: StandardDissectors(context: context)).flows
        let dns = try XCTUnwrap(flows.first { $0.metadata?.facts(StandardDissectors.dnsSlot, as: DNSFacts.self) != nil })
        XCTAssertEqual(dns.metadata?.parseErrors, UInt32(bad.count))
        let facts = try XCTUnwrap(dns.metadata?.facts(StandardDissectors.dnsSlot, as: DNSFacts.self))
        XCTAssertTrue(facts.transactions.contains { $0.answers.map { $0.data.presentation.text } == ["192.0.2.10"] })
        XCTAssertEqual(context.names.lookup(IPAddress("192.0.2.10")!, at: dns.lastTimestampNs)?.text, "probe.fixture.example")
    }

    /// Random and mutated messages (seeded with every UDP payload of the fixtures) through
    /// the parsers, the plausibility checks and the TCP framing, and through `feed` on flows
    /// of every name-service port: every outcome is fine but a crash or a hang, and what a
    /// flow keeps stays within its caps.
    func testRandomAndMutatedInputNeverCrash() throws {
        var rng = SystemRandomNumberGenerator()
        var seeds: [[UInt8]] = []
        for name in ["dns-udp", "dns-hostile", "mdns", "lan-names", "dhcp"] {
            let collector = PayloadCollector()
            _ = try analyzeCapture(TestEnvironment.capture("fixtures/names/\(name).pcap"), dissectors: collector)
            seeds += collector.box.payloads
        }
        XCTAssertGreaterThan(seeds.count, 40)
        let context = DissectorContext(names: DNSNameCache(capacity: 64), devices: DeviceTable(capacity: 16))
        let dissectors = StandardDissectors(context: context)
        var flows = [(53, 40000), (5353, 5353), (5355, 50000), (137, 137), (1900, 40001), (67, 68), (547, 546)].map {
            HostileFlows.udp(dissectors, src: UInt16($0.1), dst: UInt16($0.0))
        }
        var tcp = HostileFlows.tcp(dissectors, src: 40002, dst: 53)
        let started = Date()
        for i in 0..<20_000 {
            var b: [UInt8]
            if i % 4 == 0 {
                b = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                b = seeds[i % seeds.count]
                for _ in 0..<Int.random(in: 1...6, using: &rng) where !b.isEmpty {
                    let at = Int.random(in: 0..<b.count, using: &rng)
                    switch Int.random(in: 0...3, using: &rng) {
                    case 0: b[at] = UInt8.random(in: 0...255, using: &rng)
                    case 1: b[at] = 0xC0
                    case 2: b.removeSubrange(at...)
                    default: b.insert(contentsOf: b[at...].prefix(8), at: at)
                    }
                }
            }
            b.withUnsafeBytes { raw in
                _ = DNSMessage(raw)
                _ = DNSMessageReader.isPlausible(raw, strict: true)
                _ = MDNSDissector.isPlausible(raw, llmnr: false)
                _ = NBNSMessage(raw)
                _ = SSDPMessage(raw)
                _ = DHCPv4Message(raw)
                _ = DHCPv6Message(raw)
                for j in flows.indices { HostileFlows.feed(dissectors, raw, &flows[j], index: i) }
                var framed = [UInt8(raw.count >> 8), UInt8(raw.count & 0xFF)] + Array(raw)
                if i % 7 == 0 { framed.removeFirst(min(framed.count, 3)) }   // framing faults too
                framed.withUnsafeBytes { HostileFlows.feed(dissectors, $0, &tcp, index: i) }
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 120)
        for f in (flows + [tcp]).map(\.state) {
            if let d = f.metadata?.facts(StandardDissectors.dnsSlot, as: DNSFacts.self) {
                XCTAssertLessThanOrEqual(d.transactions.count, DNSFacts.maxTransactions)
            }
            if let m = f.metadata?.facts(StandardDissectors.mdnsSlot, as: MDNSFacts.self) {
                XCTAssertLessThanOrEqual(m.records.count, MDNSFacts.maxRecords)
            }
            if let d = f.metadata?.facts(StandardDissectors.dhcpSlot, as: DHCPFacts.self) {
                XCTAssertLessThanOrEqual(d.transactions.count, DHCPFacts.maxTransactions)
            }
        }
        XCTAssertGreaterThan(flows[0].state.metadata?.parseErrors ?? 0, 0, "the DNS flow counted malformed messages")
        XCTAssertLessThanOrEqual(context.names.count, 64)
        XCTAssertLessThanOrEqual(context.devices.devices.count, 16)
        // The output of all this is valid JSON (escaped wire bytes included).
        let w = JSONWriter(stream: nil)
        for f in flows + [tcp] { FlowRecordWriter.write(f.state, reason: .endOfInput, to: w) }
        DeviceRecordWriter.write(context.devices, to: w)
        for line in w.buffer.split(separator: 0x0A) {
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line)))
        }
    }
}

/// Collects every UDP payload of a capture (seeds for the mutation test).
struct PayloadCollector: DissectorSet {
    final class Box { var payloads: [[UInt8]] = [] }
    let box = Box()

    func flowStarted(_ flow: inout FlowState, firstPacket p: Packet) {
        flow.dissectorMask = p.l4Proto == IPProto.udp ? 1 : 0
    }

    func feed(_ chunk: StreamChunk, flow: inout FlowState) {
        box.payloads.append(Array(chunk.bytes))
    }
}

/// Flows made by hand, fed chunks directly (no capture needed for hostile bytes).
enum HostileFlows {
    /// A flow and the dissectors that wanted it when it started.
    struct Flow {
        var state: FlowState
        let wanted: UInt64
    }

    static func make(_ d: StandardDissectors, proto: UInt8, src: UInt16, dst: UInt16) -> Flow {
        var p = Packet()
        p.l4Proto = proto
        p.src = IPAddress(v4: 0xC000_0214)
        p.dst = IPAddress(v4: 0xC000_0201)
        p.srcPort = src
        p.dstPort = dst
        p.srcMAC = 0x001B_210A_0B0C
        p.timestampNs = 1_000_000_000
        var isAToB = false
        let key = FlowKey(packet: p, isAToB: &isAToB)
        var f = FlowState(key: key, originatorIsA: isAToB, serial: 1, timestampNs: p.timestampNs)
        f.orig.mac = p.srcMAC
        d.flowStarted(&f, firstPacket: p)
        return Flow(state: f, wanted: f.dissectorMask)
    }

    static func udp(_ d: StandardDissectors, src: UInt16, dst: UInt16) -> Flow { make(d, proto: IPProto.udp, src: src, dst: dst) }
    static func tcp(_ d: StandardDissectors, src: UInt16, dst: UInt16) -> Flow { make(d, proto: IPProto.tcp, src: src, dst: dst) }

    /// One chunk, alternating directions; the bits of the dissectors that wanted the flow
    /// are set again each time, so that every chunk reaches them (their worst case).
    static func feed(_ d: StandardDissectors, _ raw: UnsafeRawBufferPointer, _ f: inout Flow, index: Int) {
        let isDatagram = f.state.key.proto == IPProto.udp
        let direction: Direction = index % 2 == 0 ? .originator : .responder
        let offset = Int(f.state[direction].payloadBytes)
        f.state[direction].payloadBytes += UInt64(raw.count)
        f.state.dissectorMask = f.wanted
        d.feed(StreamChunk(bytes: raw, direction: direction, timestampNs: 1_000_000_000 + Int64(index) * 1000,
                           streamOffset: offset, afterGap: false, isDatagram: isDatagram), flow: &f.state)
    }
}
