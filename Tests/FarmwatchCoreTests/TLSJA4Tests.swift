import XCTest
@testable import FarmwatchCore

/// JA4, JA3 and the version helpers against the worked examples of their specifications.
final class TLSJA4Tests: XCTestCase {
    /// The example of FoxIO's JA4.md ("Example" and "Raw Output").
    static func specHello() -> TLSClientHello {
        var h = TLSClientHello()
        h.version = 0x0303
        h.ciphers = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014,
                     0x009C, 0x009D, 0x002F, 0x0035]
        h.extensions = [0x001B, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002D, 0x000D, 0x0005, 0x0023, 0x0012,
                        0x002B, 0xFF01, 0x000B, 0x000A, 0x0015]
        h.signatureAlgorithms = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
        h.supportedVersions = [0x0304, 0x0303]
        h.alpn = [Array("h2".utf8), Array("http/1.1".utf8)]
        h.serverName = Array("example.com".utf8)
        return h
    }

    func testSpecificationExample() {
        let f = JA4.fingerprint(Self.specHello(), transport: .tcp)
        XCTAssertEqual(f.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1")
        XCTAssertEqual(f.raw, "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601")
        XCTAssertEqual(f.original, "t13d1516h2_acb858a92679_18f69afefd3d")
        XCTAssertEqual(f.originalRaw, "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601")
    }

    /// "If there are no signature algorithms in the hello packet, then the string ends without
    /// an underscore": the spec's 6d807ffa2a79.
    func testNoSignatureAlgorithms() {
        var h = Self.specHello()
        h.signatureAlgorithms = []
        XCTAssertEqual(JA4.fingerprint(h, transport: .tcp).ja4, "t13d1516h2_8daaf6152771_6d807ffa2a79")
    }

    func testTransportMarkers() {
        XCTAssertTrue(JA4.fingerprint(Self.specHello(), transport: .quic).ja4.hasPrefix("q13d"))
        XCTAssertTrue(JA4.fingerprint(Self.specHello(), transport: .dtls).ja4.hasPrefix("d13d"))
    }

    /// GREASE (RFC 8701) is left out of counts, lists and the version, wherever it appears.
    func testGreaseIsIgnoredEverywhere() {
        var h = Self.specHello()
        h.ciphers.insert(0x0A0A, at: 0)
        h.extensions.insert(0x1A1A, at: 0)
        h.extensions.append(0xFAFA)
        h.signatureAlgorithms.insert(0x2A2A, at: 3)
        h.supportedVersions.insert(0x7A7A, at: 0)
        XCTAssertEqual(JA4.fingerprint(h, transport: .tcp).ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1")
        XCTAssertEqual(JA4.fingerprint(h, transport: .tcp).original, "t13d1516h2_acb858a92679_18f69afefd3d")
        XCTAssertEqual((0..<16).filter { TLSGrease.isGrease(UInt16($0) * 0x1010 + 0x0A0A) }.count, 16)
        XCTAssertFalse(TLSGrease.isGrease(0x0A1A))
        XCTAssertFalse(TLSGrease.isGrease(0x1301))
    }

    /// No SNI gives "i"; no ALPN "00"; empty lists hash to twelve zeros; counts stop at 99.
    func testEdgesOfPartA() {
        var h = TLSClientHello()
        h.version = 0x0301
        let f = JA4.fingerprint(h, transport: .tcp)
        XCTAssertEqual(f.ja4, "t10i000000_000000000000_000000000000")
        XCTAssertEqual(f.raw, "t10i000000__")
        h.ciphers = (1...150).map { UInt16($0) }
        h.extensions = (100...250).map { UInt16($0) }
        XCTAssertTrue(JA4.fingerprint(h, transport: .tcp).ja4.hasPrefix("t10i999900_"))
        h.extensions = [0x0000, 0x0010]
        // Only SNI and ALPN: counted, but the sorted list is then empty.
        XCTAssertTrue(JA4.fingerprint(h, transport: .tcp).ja4.hasSuffix("_000000000000"))
        XCTAssertFalse(JA4.fingerprint(h, transport: .tcp).original.hasSuffix("_000000000000"))
    }

    /// The version: highest supported_versions value, else legacy_version; DTLS counts down.
    func testVersionChoice() {
        var h = TLSClientHello()
        h.version = 0x0303
        XCTAssertEqual(h.highestVersion, 0x0303)
        h.supportedVersions = [0x0A0A, 0x0302, 0x0304, 0x0303]
        XCTAssertEqual(h.highestVersion, 0x0304)
        h.supportedVersions = [0xFEFD, 0xFEFC]
        XCTAssertEqual(h.highestVersion, 0xFEFC)
        XCTAssertTrue(JA4.fingerprint(h, transport: .dtls).ja4.hasPrefix("dd3"))
        h.supportedVersions = [0x7F1C]
        XCTAssertTrue(JA4.fingerprint(h, transport: .tcp).ja4.hasPrefix("t00"), "unknown versions are 00")
        XCTAssertEqual(JA4.versionCode(0x0300), Array("s3".utf8))
        XCTAssertEqual(JA4.versionCode(0x0002), Array("s2".utf8))
    }

    /// JA4.md "ALPN Extension Value", every example listed there.
    func testALPNCharacters() {
        func code(_ bytes: [UInt8]?) -> String { String(decoding: JA4.alpnCode(bytes), as: UTF8.self) }
        XCTAssertEqual(code(Array("h2".utf8)), "h2")
        XCTAssertEqual(code(Array("http/1.1".utf8)), "h1")
        XCTAssertEqual(code(Array("h".utf8)), "hh", "a single character is both first and last")
        XCTAssertEqual(code(nil), "00")
        XCTAssertEqual(code([]), "00")
        XCTAssertEqual(code([0xAB]), "ab")
        XCTAssertEqual(code([0xAB, 0xCD]), "ad")
        XCTAssertEqual(code([0x30, 0xAB]), "3b")
        XCTAssertEqual(code([0x30, 0x31, 0xAB, 0xCD]), "3d")
        XCTAssertEqual(code([0x30, 0xAB, 0xCD, 0x31]), "01")
        XCTAssertEqual(code(Array("h2/".utf8)), "6f", "ASCII but not alphanumeric at an end: hex too")
    }

    /// JA3 and JA3S per Salesforce: decimal, GREASE out, an empty field stays empty.
    func testJA3Strings() {
        var h = TLSClientHello()
        h.version = 0x0303
        h.ciphers = [0x0A0A, 0x1301, 0xC02B]
        h.extensions = [0x2A2A, 0x0000, 0x0017]
        h.supportedGroups = [0x3A3A, 0x001D, 0x0017]
        h.ecPointFormats = [0]
        XCTAssertEqual(JA3.string(h), "771,4865-49195,0-23,29-23,0")
        XCTAssertEqual(JA3.hash("771,4865-49195,0-23,29-23,0"), Hex.md5(Array("771,4865-49195,0-23,29-23,0".utf8)))
        h.ecPointFormats = []
        h.supportedGroups = []
        XCTAssertEqual(JA3.string(h), "771,4865-49195,0-23,,")
        var s = TLSServerHello()
        s.version = 0x0303
        s.cipher = 0xC030
        s.extensions = [0xFF01, 0x000B]
        XCTAssertEqual(JA3.string(s), "771,49200,65281-11")
        XCTAssertEqual(Hex.md5([]), "d41d8cd98f00b204e9800998ecf8427e")
    }

    func testNames() {
        XCTAssertEqual(TLSVersion.name(0x0304), "TLSv13")
        XCTAssertEqual(TLSVersion.name(0x0300), "SSLv3")
        XCTAssertEqual(TLSVersion.name(0x7F1C), "unknown-32540")
        XCTAssertEqual(TLSCipherSuiteNames.name(0x1301), "TLS_AES_128_GCM_SHA256")
        XCTAssertEqual(TLSCipherSuiteNames.name(0xCCA8), "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")
        XCTAssertEqual(TLSCipherSuiteNames.name(0x0A0A), "0x0a0a")
    }
}

extension TLSJA4Tests {
    /// A client that shuffles its extensions (Chrome, Firefox) gets, through the context's
    /// caches, exactly the fingerprints computed afresh: the same JA4, its own JA3 for each
    /// wire order. Its shuffled hellos are not kept by wire order; a hello in a new shape is.
    func testShuffledHellosThroughTheCaches() {
        let context = DissectorContext()
        let first = Self.specHello()
        var shuffled = first
        shuffled.extensions = Array(first.extensions.reversed())
        for hello in [first, shuffled, shuffled, first] {
            let cached = TLSClientFingerprints.cached(hello, transport: .tcp, in: context)
            let fresh = TLSClientFingerprints(hello, transport: .tcp)
            XCTAssertEqual(cached.ja4.ja4, fresh.ja4.ja4)
            XCTAssertEqual(cached.ja4.raw, fresh.ja4.raw)
            XCTAssertEqual(cached.ja3String, fresh.ja3String)
            XCTAssertEqual(cached.ja3, fresh.ja3)
        }
        XCTAssertNotEqual(TLSClientFingerprints(first, transport: .tcp).ja3,
                          TLSClientFingerprints(shuffled, transport: .tcp).ja3, "JA3 follows the wire order")
        XCTAssertEqual(context.clientFingerprints.count, 1, "the shuffled order is not kept")
        XCTAssertEqual(context.clientJA4.count, 1)
        var other = first
        other.ciphers.removeLast()
        _ = TLSClientFingerprints.cached(other, transport: .tcp, in: context)
        XCTAssertEqual(context.clientFingerprints.count, 2, "a new shape is kept")
    }
}
