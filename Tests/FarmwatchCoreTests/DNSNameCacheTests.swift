import XCTest
@testable import FarmwatchCore

/// The address → name cache: TTLs by packet time (clamped), a hard cap with clock eviction,
/// and the name a later flow gets in `flowStarted`.
final class DNSNameCacheTests: XCTestCase {
    static let second: Int64 = 1_000_000_000
    static func v4(_ i: Int) -> IPAddress { IPAddress(v4: 0x0A00_0000 | UInt32(i)) }

    func testExpiryFollowsTheClampedTTL() {
        let c = DNSNameCache()
        let t0: Int64 = 1_000 * Self.second
        c.insert(Self.v4(1), name: Array("short.example".utf8), ttl: 5, at: t0)
        c.insert(Self.v4(2), name: Array("long.example".utf8), ttl: 30 * 86_400, at: t0)
        c.insert(Self.v4(3), name: Array("normal.example".utf8), ttl: 300, at: t0)
        // TTL 5 is raised to the 60 s floor.
        XCTAssertEqual(c.lookup(Self.v4(1), at: t0 + 59 * Self.second)?.text, "short.example")
        XCTAssertNil(c.lookup(Self.v4(1), at: t0 + 61 * Self.second))
        XCTAssertEqual(c.lookup(Self.v4(3), at: t0 + 299 * Self.second)?.text, "normal.example")
        XCTAssertNil(c.lookup(Self.v4(3), at: t0 + 301 * Self.second))
        // 30 days is cut to one.
        XCTAssertNotNil(c.lookup(Self.v4(2), at: t0 + 86_399 * Self.second))
        XCTAssertNil(c.lookup(Self.v4(2), at: t0 + 86_401 * Self.second))
        // A newer answer replaces the name.
        c.insert(Self.v4(3), name: Array("renamed.example".utf8), ttl: 300, at: t0 + 400 * Self.second)
        XCTAssertEqual(c.lookup(Self.v4(3), at: t0 + 401 * Self.second)?.text, "renamed.example")
        XCTAssertEqual(c.count, 3)
    }

    func testCapacityIsHardAndRecentlyUsedEntriesSurvive() {
        let c = DNSNameCache(capacity: 100)
        let t0: Int64 = 5_000 * Self.second
        for i in 0..<100 { c.insert(Self.v4(i), name: Array("n\(i)".utf8), ttl: 3600, at: t0) }
        // Entries 0..<10 are looked up, so they get a second chance.
        for i in 0..<10 { XCTAssertNotNil(c.lookup(Self.v4(i), at: t0)) }
        for i in 100..<150 { c.insert(Self.v4(i), name: Array("n\(i)".utf8), ttl: 3600, at: t0) }
        for i in 0..<10 { XCTAssertNotNil(c.lookup(Self.v4(i), at: t0), "looked-up entry \(i) kept") }
        XCTAssertNil(c.lookup(Self.v4(10), at: t0))
        XCTAssertEqual(c.evictions, 50)
        // A flood stays within the cap.
        for i in 150..<10_150 { c.insert(Self.v4(i), name: Array("n\(i)".utf8), ttl: 3600, at: t0) }
        XCTAssertEqual(c.count, 100)
        XCTAssertNotNil(c.lookup(Self.v4(10_149), at: t0))
        // An expired entry is reused before any live one is evicted.
        let c2 = DNSNameCache(capacity: 2)
        c2.insert(Self.v4(1), name: [1], ttl: 60, at: t0)
        c2.insert(Self.v4(2), name: [2], ttl: 3600, at: t0)
        c2.insert(Self.v4(3), name: [3], ttl: 3600, at: t0 + 120 * Self.second)
        XCTAssertEqual(c2.evictions, 0)
        XCTAssertNotNil(c2.lookup(Self.v4(2), at: t0 + 121 * Self.second))
        XCTAssertNotNil(c2.lookup(Self.v4(3), at: t0 + 121 * Self.second))
    }

    /// A DNS response through `feed` fills the cache; a flow started afterwards to the
    /// answered address carries the question's name (not the CNAME target), source dns; a
    /// flow to another address gets no metadata at all.
    func testFlowStartedNamesTheServerFromAnEarlierAnswer() throws {
        let d = StandardDissectors()
        var dns = HostileFlows.udp(d, src: 40000, dst: 53)
        var b = DNSParserTests.header(an: 2) + DNSParserTests.question
        b += [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3] + Array("cdn".utf8) + [0xC0, 16]
        b += [0xC0, UInt8(12 + DNSParserTests.question.count + 12), 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 192, 0, 2, 1]
        b.withUnsafeBytes { HostileFlows.feed(d, $0, &dns, index: 1) }
        XCTAssertEqual(d.context.names.count, 1)
        XCTAssertNotNil(dns.state.metadata?.facts(StandardDissectors.dnsSlot, as: DNSFacts.self))

        var p = Packet()
        p.l4Proto = IPProto.tcp
        p.tcpFlags = TCPFlag.syn
        p.src = IPAddress("192.0.2.20")!
        p.dst = IPAddress("192.0.2.1")!
        p.srcPort = 50000
        p.dstPort = 443
        p.timestampNs = 2 * Self.second
        var isAToB = false
        var f = FlowState(key: FlowKey(packet: p, isAToB: &isAToB), originatorIsA: isAToB, serial: 2, timestampNs: p.timestampNs)
        d.flowStarted(&f, firstPacket: p)
        XCTAssertEqual(f.metadata?.serverName?.text, "www.example.com")
        XCTAssertEqual(f.metadata?.serverNameSource, .dns)

        p.dst = IPAddress("192.0.2.99")!
        var other = FlowState(key: FlowKey(packet: p, isAToB: &isAToB), originatorIsA: isAToB, serial: 3, timestampNs: p.timestampNs)
        d.flowStarted(&other, firstPacket: p)
        XCTAssertNil(other.metadata)
    }
}
