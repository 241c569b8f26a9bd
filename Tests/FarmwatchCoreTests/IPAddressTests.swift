import XCTest
@testable import FarmwatchCore

final class IPAddressTests: XCTestCase {
    func testIPv4RoundTrip() {
        let a = IPAddress("192.168.1.20")
        XCTAssertNotNil(a)
        XCTAssertTrue(a!.isV4)
        XCTAssertEqual(a!.description, "192.168.1.20")
        XCTAssertEqual(a!.v4Value, 0xC0A8_0114)
    }

    func testIPv6CanonicalFormIsRFC5952() {
        // Expected strings are RFC 5952's own examples of the canonical form.
        XCTAssertEqual(IPAddress("2001:db8:0:0:1:0:0:1")!.description, "2001:db8::1:0:0:1")
        XCTAssertEqual(IPAddress("2001:0db8:0000:0000:0000:0000:0000:0001")!.description, "2001:db8::1")
        XCTAssertEqual(IPAddress("2001:db8:0:1:1:1:1:1")!.description, "2001:db8:0:1:1:1:1:1")
        XCTAssertEqual(IPAddress("fe80::")!.description, "fe80::")
        XCTAssertEqual(IPAddress("::1")!.description, "::1")
        XCTAssertEqual(IPAddress("::")!.description, "::")
    }

    func testRejectsMalformedText() {
        for bad in ["", "1.2.3", "1.2.3.256", "1.2.3.4.5", "1:::2", "12345::", "1::2::3", "g::1", "1:2:3:4:5:6:7:8:9"] {
            XCTAssertNil(IPAddress(bad), bad)
        }
    }

    func testOrderingPutsIPv4Together() {
        XCTAssertLessThan(IPAddress("10.0.0.1")!, IPAddress("10.0.0.2")!)
        XCTAssertNotEqual(IPAddress("::ffff:10.0.0.1")!.isV4, false)
    }
}
