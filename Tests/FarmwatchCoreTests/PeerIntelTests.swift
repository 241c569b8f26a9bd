import XCTest
@testable import FarmwatchCore

final class PeerIntelTests: XCTestCase {
    private func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    private func intel(lists: [AddressList] = [], cacheCapacity: Int = PeerIntel.defaultCacheCapacity) throws -> PeerIntel {
        PeerIntel(city: try MaxMindDatabaseTests.database("test-city.mmdb"),
                  asn: try MaxMindDatabaseTests.database("test-asn.mmdb"), lists: lists, cacheCapacity: cacheCapacity)
    }

    func testCityAndASNCombine() throws {
        let info = try intel().info(for: ip("198.51.100.7"))
        XCTAssertEqual(info.location?.city, "Seoul")
        XCTAssertEqual(info.location?.countryCode, "KR")
        XCTAssertEqual(info.countryCode, "KR")
        XCTAssertEqual(info.asn, 64498)
        XCTAssertEqual(info.asOrganization, "Example Korea Telecom")
        XCTAssertEqual(info.listTags, [])
    }

    func testASNWithoutPlace() throws {
        let info = try intel().info(for: ip("198.18.2.9"))
        XCTAssertNil(info.location)
        XCTAssertEqual(info.asn, 64502)
        XCTAssertFalse(info.isEmpty)
    }

    func testPrivateAndReservedAddressesGetAnEmptyAnswer() throws {
        let i = try intel()
        for text in ["10.1.2.3", "192.168.0.1", "127.0.0.1", "::1", "fe80::1", "ff02::fb", "0.0.0.0", "::"] {
            let info = i.info(for: ip(text))
            XCTAssertTrue(info.isEmpty, text)
            XCTAssertEqual(info, PeerInfo(), text)
        }
    }

    func testListsTagAddressesAndNamesInListOrder() throws {
        let vpn = try AddressList.parse(Array("198.51.100.0/24\nvpn.example\n".utf8), source: "vpn", name: "corp-vpn", kind: "vpn-exit")
        let tor = try AddressList.parse(Array("198.51.100.7\n".utf8), source: "tor", name: "tor-exits", kind: "tor-exit")
        let admin = try AddressList.parse(Array("10.0.0.0/8\n".utf8), source: "admin", name: "it-admins", kind: "admin")
        let vpn2 = try AddressList.parse(Array("198.51.0.0/16\n".utf8), source: "vpn2", name: "vpn-feed", kind: "vpn-exit")
        let i = try intel(lists: [vpn, tor, admin, vpn2])
        let info = i.info(for: ip("198.51.100.7"))
        XCTAssertEqual(info.listTags, ["corp-vpn", "tor-exits", "vpn-feed"])
        XCTAssertEqual(info.listKinds, ["vpn-exit", "tor-exit"])
        XCTAssertEqual(info.location?.city, "Seoul")
        // A private range no database knows can still be on the user's own list.
        XCTAssertEqual(i.info(for: ip("10.9.9.9")).listTags, ["it-admins"])
        XCTAssertNil(i.info(for: ip("10.9.9.9")).location)
        XCTAssertEqual(i.tags(forName: Array("gw.VPN.example".utf8)), ["corp-vpn"])
        XCTAssertEqual(i.tags(forName: Array("example".utf8)), [])
    }

    func testIPinfoLiteAsTheOnlyDatabase() throws {
        let lite = try MaxMindDatabaseTests.database("test-ipinfo-lite.mmdb")
        let i = PeerIntel(city: nil, asn: lite, lists: [])
        let info = i.info(for: ip("2001:db8:0:2::9"))
        XCTAssertNil(info.location)
        XCTAssertEqual(info.countryCode, "CN")
        XCTAssertEqual(info.asn, 65551)
        XCTAssertEqual(info.asOrganization, "Example Liaoning Network")
    }

    func testNoSourcesAnswersEmpty() {
        let i = PeerIntel(city: nil, asn: nil, lists: [])
        XCTAssertTrue(i.isEmpty)
        XCTAssertTrue(i.info(for: ip("198.51.100.7")).isEmpty)
    }

    func testCacheIsBoundedAndAnswersStayTheSame() throws {
        let i = try intel(cacheCapacity: 8)
        let first = i.info(for: ip("203.0.113.5"))
        for n in 0..<1000 { _ = i.info(for: IPAddress(v4: 0xC633_6400 | UInt32(n & 0xFF) | UInt32(n >> 8) << 16)) }
        XCTAssertLessThanOrEqual(i.cachedCount, 8)
        XCTAssertEqual(i.info(for: ip("203.0.113.5")), first)
        XCTAssertEqual(first.location?.city, "Frankfurt")
    }

    func testJSONCarriesOnlyWhatIsKnown() throws {
        let vpn = try AddressList.parse(Array("198.51.100.0/24\n".utf8), source: "vpn", name: "corp-vpn", kind: "vpn-exit")
        let i = try intel(lists: [vpn])
        let w = JSONWriter(stream: nil)
        i.info(for: ip("198.51.100.7")).writeJSON(to: w)
        i.info(for: ip("198.18.2.1")).writeJSON(to: w)
        i.info(for: ip("10.0.0.1")).writeJSON(to: w)
        XCTAssertEqual(String(decoding: w.buffer, as: UTF8.self), """
            {"country_code":"KR","city":"Seoul","latitude":37.5665,"longitude":126.9780,"accuracy_radius_km":50,\
            "asn":64498,"as_org":"Example Korea Telecom","lists":["corp-vpn"],"list_kinds":["vpn-exit"]}
            {"asn":64502,"as_org":"Example Anycast CDN"}
            {}

            """)
    }
}
