import Foundation
import XCTest
@testable import FarmwatchCore

final class AddressListTests: XCTestCase {
    private func list(_ text: String, name: String = "test", kind: String = "vpn-exit") throws -> AddressList {
        try AddressList.parse(Array(text.utf8), source: "test.list", name: name, kind: kind)
    }

    private func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    func testAddressesNetworksNamesCommentsAndBlanks() throws {
        let l = try list("""
            # VPN exits
            198.51.100.0/24
              203.0.113.7   # one exit
            2001:db8:0:2::/64\r

            vpn.example.
            """)
        XCTAssertEqual(l.addressEntryCount, 3)
        XCTAssertEqual(l.names, [Array("vpn.example".utf8)])
        XCTAssertTrue(l.contains(ip("198.51.100.0")))
        XCTAssertTrue(l.contains(ip("198.51.100.255")))
        XCTAssertFalse(l.contains(ip("198.51.101.0")))
        XCTAssertFalse(l.contains(ip("198.51.99.255")))
        XCTAssertTrue(l.contains(ip("203.0.113.7")))
        XCTAssertFalse(l.contains(ip("203.0.113.6")))
        XCTAssertFalse(l.contains(ip("203.0.113.8")))
        XCTAssertTrue(l.contains(ip("2001:db8:0:2:ffff:ffff:ffff:ffff")))
        XCTAssertFalse(l.contains(ip("2001:db8:0:3::")))
    }

    func testMalformedLinesAreErrorsNamingFileAndLine() throws {
        let cases: [(String, String)] = [
            ("300.1.2.3", "not an IPv4 address"),
            ("192.0.2.0/33", "prefix length must be 0 to 32"),
            ("192.0.2.0/", "prefix length must be 0 to 32"),
            ("192.0.2.0/-1", "prefix length must be 0 to 32"),
            ("2001:db8::/129", "prefix length must be 0 to 128"),
            ("2001:db8:::1", "not an IPv6 address"),
            ("fe80::1%eth0", "not an IPv6 address"),
            ("1.2.3", "not an IPv4 address"),
            ("*.vpn.example", "write the name without \"*.\": a listed name already covers its subdomains"),
            ("bad!name.example", "not an address, network or domain name"),
            ("-lead.example", "not an address, network or domain name"),
            ("double..dot.example", "not an address, network or domain name"),
            ("192.0.2.1 192.0.2.2", "more than one entry on the line"),
        ]
        for (line, reason) in cases {
            XCTAssertThrowsError(try list("# header\n10.0.0.0/8\n\(line)  # note\n192.0.2.9\n")) { error in
                XCTAssertEqual(error as? IntelError, .malformedListLine(path: "test.list", line: 3, text: line, reason: reason), line)
            }
        }
        XCTAssertThrowsError(try list("10.0.0.0/8\r\n\r\n# x\r\n\r\n1.2.3.4.5\r\n")) { error in
            XCTAssertEqual("\(error)", "test.list:5: not an IPv4 address: \"1.2.3.4.5\"")
        }
    }

    func testLoadFromFileAndMissingFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("farmwatch-\(UUID().uuidString).list")
        try Data("192.0.2.0/24\noops..\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try AddressList.load(path: url.path, name: "x", kind: "proxy")) { error in
            guard case .malformedListLine(let path, 2, "oops..", _) = error as? IntelError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
        }
        try Data("192.0.2.0/24\n".utf8).write(to: url)
        let l = try AddressList.load(path: url.path, name: "x", kind: "proxy")
        XCTAssertEqual(l.kind, "proxy")
        XCTAssertTrue(l.contains(ip("192.0.2.77")))
        XCTAssertThrowsError(try AddressList.load(path: "/nonexistent/list.txt", name: "x", kind: "proxy")) { error in
            XCTAssertEqual(error as? IntelError, .fileMissing(path: "/nonexistent/list.txt"))
        }
    }

    func testIPv4SlashZeroIsEveryIPv4AddressAndNoIPv6() throws {
        let l = try list("0.0.0.0/0")
        XCTAssertTrue(l.contains(ip("0.0.0.0")))
        XCTAssertTrue(l.contains(ip("255.255.255.255")))
        XCTAssertTrue(l.contains(ip("::ffff:8.8.8.8")))
        XCTAssertFalse(l.contains(ip("2001:db8::1")))
        XCTAssertFalse(l.contains(ip("::1")))
    }

    func testIPv6SlashZeroIsEverything() throws {
        let l = try list("::/0")
        for text in ["::", "::1", "10.0.0.1", "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"] {
            XCTAssertTrue(l.contains(ip(text)), text)
        }
    }

    func testSlash32AndSlash128AreOneAddress() throws {
        let l = try list("192.0.2.1/32\n2001:db8::1/128\nffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128\n")
        XCTAssertTrue(l.contains(ip("192.0.2.1")))
        XCTAssertFalse(l.contains(ip("192.0.2.0")))
        XCTAssertFalse(l.contains(ip("192.0.2.2")))
        XCTAssertTrue(l.contains(ip("2001:db8::1")))
        XCTAssertFalse(l.contains(ip("2001:db8::")))
        XCTAssertFalse(l.contains(ip("2001:db8::2")))
        XCTAssertTrue(l.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")))
        XCTAssertFalse(l.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")))
        XCTAssertEqual(l.ranges.rangeCount, 3)
    }

    func testIPv4MappedIPv6EntriesAndAddressesMeanIPv4() throws {
        let l = try list("::ffff:192.0.2.0/120\n")
        XCTAssertTrue(l.contains(ip("192.0.2.200")))
        XCTAssertFalse(l.contains(ip("192.0.3.0")))
        let v4 = try list("198.51.100.0/24")
        XCTAssertTrue(v4.contains(ip("::ffff:198.51.100.9")))
        XCTAssertTrue(v4.contains(ip("::ffff:c633:6409")))
    }

    func testHostBitsAreIgnoredAndNeighboursMerge() throws {
        let l = try list("192.0.2.77/24\n192.0.2.0/25\n192.0.2.128/25\n192.0.3.0/24\n192.0.2.5\n10.0.0.0/8\n")
        XCTAssertTrue(l.contains(ip("192.0.2.0")))
        XCTAssertTrue(l.contains(ip("192.0.3.255")))
        XCTAssertFalse(l.contains(ip("192.0.4.0")))
        XCTAssertEqual(l.ranges.rangeCount, 2)
    }

    /// Random IPv4 and IPv6 prefixes, overlapping and nested, agree with a check of each one,
    /// including the addresses just outside each prefix.
    func testRandomPrefixesAgreeWithBruteForce() {
        var rng = SplitMix(seed: 7)
        let prefixes = randomPrefixes(4000, &rng)
        let ranges = prefixes.map { AddressRanges.range(of: $0.0, length: $0.1) }
        let set = AddressRanges(prefixes: prefixes)
        var probes: [IPAddress] = []
        for _ in 0..<500 {
            probes.append(IPAddress(v4: UInt32(truncatingIfNeeded: rng.next())))
            probes.append(IPAddress(hi: 0x2001_0db8_0000_0000 | (rng.next() & 0xFFFF), lo: rng.next()))
            let r = ranges[Int(rng.next() % UInt64(ranges.count))]
            probes.append(IPAddress(hi: r.first.lo == 0 ? r.first.hi &- 1 : r.first.hi, lo: r.first.lo &- 1))
            probes.append(IPAddress(hi: r.last.lo == .max ? r.last.hi &+ 1 : r.last.hi, lo: r.last.lo &+ 1))
        }
        for address in probes {
            let expected = ranges.contains { !(address < $0.first) && !($0.last < address) }
            XCTAssertEqual(set.contains(address), expected, "\(address)")
        }
    }

    /// A list the size of a commercial VPN-exit feed: every prefix's first and last address is
    /// found by the binary search.
    func testHundredThousandPrefixes() {
        var rng = SplitMix(seed: 11)
        let prefixes = randomPrefixes(100_000, &rng)
        let set = AddressRanges(prefixes: prefixes)
        for p in prefixes {
            let r = AddressRanges.range(of: p.0, length: p.1)
            XCTAssertTrue(set.contains(r.first) && set.contains(r.last), "\(p.0)/\(p.1)")
        }
    }

    /// Three in four IPv4 (/16 to /32), one in four in 2001:db8::/32 (/48 to /128).
    private func randomPrefixes(_ count: Int, _ rng: inout SplitMix) -> [(IPAddress, Int)] {
        (0..<count).map { i in
            i % 4 == 0
                ? (IPAddress(hi: 0x2001_0db8_0000_0000 | (rng.next() & 0xFFFF), lo: rng.next()), 48 + Int(rng.next() % 81))
                : (IPAddress(v4: UInt32(truncatingIfNeeded: rng.next())), 96 + 16 + Int(rng.next() % 17))
        }
    }

    func testNamesMatchExactlyOrAsParentDomain() throws {
        let l = try list("vpn.example\nExit.Relay.Example.\n")
        XCTAssertTrue(l.containsName(Array("vpn.example".utf8)))
        XCTAssertTrue(l.containsName(Array("EU1.VPN.Example.".utf8)))
        XCTAssertTrue(l.containsName(Array("a.b.exit.relay.example".utf8)))
        XCTAssertFalse(l.containsName(Array("notvpn.example".utf8)))
        XCTAssertFalse(l.containsName(Array("example".utf8)))
        XCTAssertFalse(l.containsName(Array("relay.example".utf8)))
        XCTAssertFalse(l.containsName(Array("vpn.example.com".utf8)))
        XCTAssertFalse(l.containsName([]))
        // An escaped dot is inside a label ("a.vpn" is one label), not a boundary between labels.
        XCTAssertFalse(l.containsName(Array("a\\.vpn.example".utf8)))
        XCTAssertTrue(l.containsName(Array("a\\.b.vpn.example".utf8)))
    }
}
