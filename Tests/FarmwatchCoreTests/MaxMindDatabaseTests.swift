import Foundation
import XCTest
@testable import FarmwatchCore

/// Reads the fake databases in captures/geoip (made by scripts/make-test-geoip.py from
/// captures/geoip/places.txt) through libmaxminddb, in each record shape the reader supports.
final class MaxMindDatabaseTests: XCTestCase {
    static func database(_ name: String) throws -> MaxMindDatabase {
        try MaxMindDatabase(path: TestEnvironment.capture("geoip/" + name))
    }

    func testCityShapeGivesPlaceCountryAndAccuracy() throws {
        let db = try Self.database("test-city.mmdb")
        XCTAssertEqual(db.databaseType, "Farmwatch-Test-City")
        XCTAssertEqual(db.ipVersion, 6)
        let dallas = try XCTUnwrap(db.lookup(IPAddress("192.0.2.1")!))
        XCTAssertEqual(dallas.city, "Dallas")
        XCTAssertEqual(dallas.countryCode, "US")
        XCTAssertEqual(dallas.latitude!, 32.7767, accuracy: 1e-9)
        XCTAssertEqual(dallas.longitude!, -96.7970, accuracy: 1e-9)
        XCTAssertEqual(dallas.accuracyRadiusKm, 20)
        XCTAssertNil(dallas.asn)
        XCTAssertEqual(dallas.location, GeoLocation(latitude: 32.7767, longitude: -96.7970, countryCode: "US",
                                                    city: "Dallas", accuracyRadiusKm: 20))
    }

    func testMoreSpecificNetworkWinsAndPrefixLengthIsInTheAddressFamilysBits() throws {
        let db = try Self.database("test-city.mmdb")
        let newYork = try XCTUnwrap(db.lookup(IPAddress("192.0.2.200")!))
        XCTAssertEqual(newYork.city, "New York")
        XCTAssertEqual(newYork.prefixLength, 25)
        XCTAssertEqual(db.lookup(IPAddress("192.0.2.127")!)?.city, "Dallas")
        XCTAssertEqual(db.lookup(IPAddress("192.0.2.128")!)?.city, "New York")
        XCTAssertEqual(db.lookup(IPAddress("203.0.113.255")!)?.city, "Frankfurt")
        // The scenario hosts' more specific entries in 203.0.113.0/24 split the tree: the upper
        // half is a /25 network of its own, as a real database reports it.
        XCTAssertEqual(db.lookup(IPAddress("203.0.113.255")!)?.prefixLength, 25)
        XCTAssertEqual(db.lookup(IPAddress("203.0.113.50")!)?.city, "Shenyang")
    }

    func testIPv6Lookups() throws {
        let db = try Self.database("test-city.mmdb")
        let london = try XCTUnwrap(db.lookup(IPAddress("2001:db8:ffff::1")!))
        XCTAssertEqual(london.city, "London")
        XCTAssertEqual(london.countryCode, "GB")
        // The /32 holds a /64 elsewhere in it, so the tree keeps its upper half as one /33 network.
        XCTAssertEqual(london.prefixLength, 33)
        let shenyang = try XCTUnwrap(db.lookup(IPAddress("2001:db8:0:2::20")!))
        XCTAssertEqual(shenyang.city, "Shenyang")
        XCTAssertEqual(shenyang.prefixLength, 64)
        XCTAssertNil(db.lookup(IPAddress("2001:db9::1")!))
    }

    func testIPv4MappedIPv6IsTheIPv4Address() throws {
        let db = try Self.database("test-city.mmdb")
        XCTAssertEqual(db.lookup(IPAddress("::ffff:198.51.100.7")!)?.city, "Seoul")
        XCTAssertEqual(db.lookup(IPAddress("::ffff:198.51.100.7")!), db.lookup(IPAddress("198.51.100.7")!))
    }

    func testLabAddressesFromTheTable() throws {
        let db = try Self.database("test-city.mmdb")
        XCTAssertEqual(db.lookup(IPAddress("100.64.1.9")!)?.city, "Shenyang")
        XCTAssertEqual(db.lookup(IPAddress("100.64.2.9")!)?.countryCode, "KR")
        XCTAssertEqual(db.lookup(IPAddress("198.18.1.1")!)?.city, "Frankfurt")
        // An ASN-only row of the table is absent from the city database.
        XCTAssertNil(db.lookup(IPAddress("198.18.2.9")!))
    }

    func testPrivateReservedAndUnlistedAddressesAreUnknown() throws {
        let db = try Self.database("test-city.mmdb")
        for text in ["10.0.0.1", "172.16.5.5", "192.168.1.1", "127.0.0.1", "0.0.0.0", "255.255.255.255",
                     "::", "::1", "fe80::1", "ff02::1", "8.8.8.8", "100.64.3.1"] {
            XCTAssertNil(db.lookup(IPAddress(text)!), text)
        }
    }

    func testASNShape() throws {
        let db = try Self.database("test-asn.mmdb")
        let korea = try XCTUnwrap(db.lookup(IPAddress("198.51.100.7")!))
        XCTAssertEqual(korea.asn, 64498)
        XCTAssertEqual(korea.asOrganization, "Example Korea Telecom")
        XCTAssertNil(korea.location)
        XCTAssertNil(korea.countryCode)
        // A 32-bit AS number (RFC 5398 documentation range) over IPv6.
        XCTAssertEqual(db.lookup(IPAddress("2001:db8:0:2::1")!)?.asn, 65551)
        XCTAssertEqual(db.lookup(IPAddress("198.18.2.9")!)?.asOrganization, "Example Anycast CDN")
    }

    func testIPinfoLiteShapeWithTextASNAndCountryCode() throws {
        let db = try Self.database("test-ipinfo-lite.mmdb")
        let korea = try XCTUnwrap(db.lookup(IPAddress("198.51.100.7")!))
        XCTAssertEqual(korea.asn, 64498)
        XCTAssertEqual(korea.asOrganization, "Example Korea Telecom")
        XCTAssertEqual(korea.countryCode, "KR")
        XCTAssertNil(korea.location, "IPinfo Lite has no coordinates")
        XCTAssertEqual(db.lookup(IPAddress("2001:db8:0:2::1")!)?.asn, 65551)
    }

    func testIPinfoCityShapeWithFlatFieldsAndTextCoordinates() throws {
        let db = try Self.database("test-ipinfo-city.mmdb")
        let seoul = try XCTUnwrap(db.lookup(IPAddress("198.51.100.7")!))
        XCTAssertEqual(seoul.location, GeoLocation(latitude: 37.5665, longitude: 126.978, countryCode: "KR", city: "Seoul"))
        XCTAssertNil(seoul.asn)
        XCTAssertEqual(db.lookup(IPAddress("2001:db8:1::1")!)?.city, "London")
    }

    func testMissingFileIsNamed() {
        XCTAssertThrowsError(try MaxMindDatabase(path: "/nonexistent/GeoLite2-City.mmdb")) { error in
            XCTAssertEqual(error as? IntelError, .fileMissing(path: "/nonexistent/GeoLite2-City.mmdb"))
            XCTAssertEqual("\(error)", "/nonexistent/GeoLite2-City.mmdb: no such file")
        }
    }

    func testDirectoryIsUnreadable() {
        XCTAssertThrowsError(try MaxMindDatabase(path: TestEnvironment.capture("geoip"))) { error in
            guard case .fileUnreadable = error as? IntelError else { return XCTFail("\(error)") }
        }
    }

    func testTruncatedCopyIsNotADatabase() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: TestEnvironment.capture("geoip/test-city.mmdb")))
        let path = try temporaryFile(original.prefix(original.count / 2))
        XCTAssertThrowsError(try MaxMindDatabase(path: path)) { error in
            guard case .notMaxMindDatabase(let p, let reason) = error as? IntelError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertFalse(reason.isEmpty)
        }
    }

    func testTextFileIsNotADatabase() throws {
        let path = try temporaryFile(Data("198.51.100.0/24 Seoul\n".utf8))
        XCTAssertThrowsError(try MaxMindDatabase(path: path)) { error in
            guard case .notMaxMindDatabase = error as? IntelError else { return XCTFail("\(error)") }
        }
    }

    /// Metadata intact but the search tree and data overwritten: libmaxminddb opens the file, so
    /// every lookup must fail quietly (nil), never trap.
    func testCorruptTreeAndDataGiveNoAnswersAndNoCrash() throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: TestEnvironment.capture("geoip/test-city.mmdb")))
        let marker = Data([0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8))
        let metadataStart = try XCTUnwrap(bytes.range(of: marker, options: .backwards)).lowerBound
        for i in 0..<metadataStart { bytes[i] = UInt8(truncatingIfNeeded: i &* 151 &+ 0xA5) }
        let db = try MaxMindDatabase(path: try temporaryFile(bytes))
        XCTAssertEqual(db.databaseType, "Farmwatch-Test-City")
        for text in ["192.0.2.1", "198.51.100.7", "2001:db8::1", "2001:db8:0:2::1", "10.0.0.1", "ffff::1"] {
            _ = db.lookup(IPAddress(text)!)
        }
    }

    /// The shipped files are exactly what the script makes from the shipped table.
    func testShippedDatabasesAreWhatTheScriptMakes() throws {
        let python = try TestEnvironment.requireTool("python3")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("geoip-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [TestEnvironment.packageRoot.appendingPathComponent("scripts/make-test-geoip.py").path,
                             TestEnvironment.capture("geoip/places.txt"), out.path]
        process.environment = [:]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        for name in ["test-city.mmdb", "test-asn.mmdb", "test-ipinfo-lite.mmdb", "test-ipinfo-city.mmdb"] {
            let made = try Data(contentsOf: out.appendingPathComponent(name))
            let shipped = try Data(contentsOf: URL(fileURLWithPath: TestEnvironment.capture("geoip/" + name)))
            XCTAssertEqual(made, shipped, "\(name): regenerate with scripts/make-test-geoip.py")
        }
    }

    private func temporaryFile(_ data: Data) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("farmwatch-\(UUID().uuidString).mmdb")
        try data.write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }
}
