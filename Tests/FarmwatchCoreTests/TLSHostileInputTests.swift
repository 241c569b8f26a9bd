import XCTest
@testable import FarmwatchCore

/// Hostile and broken input: real handshakes (the fixtures) cut at every offset, split at every
/// offset, with hostile lengths and counts written in, and random bytes, into the parsers and
/// into the dissector through `feed`. Nothing may crash; malformed data is counted on the flow.
final class TLSHostileInputTests: XCTestCase {
    /// The client and server streams of the mutual-authentication fixture (both certificate
    /// chains in clear).
    static let mutual: (client: [UInt8], server: [UInt8]) = {
        guard let s = try? StreamRecorder.streams("tls12-mutual").first else { return ([], []) }
        return s
    }()

    static func message(_ type: UInt8, in stream: [UInt8]) throws -> [UInt8] {
        try XCTUnwrap(StreamRecorder.handshakeMessages(stream).first { $0.type == type }?.body)
    }

    /// A handshake record holding one message.
    static func record(_ type: UInt8, _ body: [UInt8], contentType: UInt8 = 22) -> [UInt8] {
        let message = [type, UInt8(body.count >> 16), UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)] + body
        return [contentType, 3, 3, UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
    }

    func testRealHelloParsesAndEveryTruncationIsRejectedOrShorter() throws {
        let client = try Self.message(1, in: Self.mutual.client)
        let full = try XCTUnwrap(client.withUnsafeBytes(TLSClientHello.parse))
        XCTAssertEqual(full.malformedExtensions, 0)
        XCTAssertEqual(StreamRecorder.handshakeMessages(Self.mutual.client).first?.type, 1)
        for n in 0..<client.count {
            // A cut inside the extensions block breaks its length: never a hello with more
            // than the real one.
            if let h = client.prefix(n).withUnsafeBytes(TLSClientHello.parse) {
                XCTAssertLessThanOrEqual(h.extensions.count, full.extensions.count)
                XCTAssertTrue(h.extensions.isEmpty, "a cut hello parses only when it ends before the extensions")
            }
        }
        let server = try Self.message(2, in: Self.mutual.server)
        XCTAssertNotNil(server.withUnsafeBytes(TLSServerHello.parse))
        for n in 0..<server.count { _ = server.prefix(n).withUnsafeBytes(TLSServerHello.parse) }
    }

    func testEveryByteOfTheHellosOverwritten() throws {
        for (type, stream) in [(UInt8(1), Self.mutual.client), (UInt8(2), Self.mutual.server)] {
            let body = try Self.message(type, in: stream)
            for i in body.indices {
                for v: UInt8 in [0x00, 0xFF, body[i] &+ 1] {
                    var b = body
                    b[i] = v
                    _ = b.withUnsafeBytes(TLSClientHello.parse)
                    _ = b.withUnsafeBytes(TLSServerHello.parse)
                }
            }
        }
    }

    /// Lengths that point past the end, and extension contents that lie about their size.
    func testHostileLengths() throws {
        var body: [UInt8] = [3, 3] + [UInt8](repeating: 0, count: 32) + [0]
        XCTAssertNil((body + [0xFF, 0xFE, 0x13, 0x01]).withUnsafeBytes(TLSClientHello.parse), "cipher list past the end")
        XCTAssertNil((body + [0x00, 0x03, 0x13, 0x01, 0x13, 1, 0]).withUnsafeBytes(TLSClientHello.parse), "odd cipher list")
        XCTAssertNil(([3, 3] + [UInt8](repeating: 0, count: 32) + [33] + [UInt8](repeating: 0, count: 33) + [0, 2, 0x13, 1, 1, 0])
            .withUnsafeBytes(TLSClientHello.parse), "session id over 32 bytes")
        body += [0x00, 0x02, 0x13, 0x01, 0x01, 0x00]
        XCTAssertNil((body + [0xFF, 0xFF, 0, 0]).withUnsafeBytes(TLSClientHello.parse), "extensions block past the end")
        XCTAssertNil((body + [0, 4, 0, 0, 0xFF, 0xFF]).withUnsafeBytes(TLSClientHello.parse), "an extension past the block")
        // An SNI and an ALPN whose insides lie: the hello stands, the two are counted.
        let sni: [UInt8] = [0, 0, 0, 7, 0, 5, 0, 0xFF, 0xFF, 0x61, 0x62]
        let alpn: [UInt8] = [0, 0x10, 0, 5, 0, 3, 0x40, 0x68, 0x32]
        let ext = sni + alpn
        let h = try XCTUnwrap((body + [UInt8(ext.count >> 8), UInt8(ext.count & 0xFF)] + ext).withUnsafeBytes(TLSClientHello.parse))
        XCTAssertEqual(h.extensions, [0x0000, 0x0010])
        XCTAssertEqual(h.malformedExtensions, 2)
        XCTAssertNil(h.serverName)
        XCTAssertEqual(h.alpn, [])
        XCTAssertTrue(JA4.fingerprint(h, transport: .tcp).ja4.hasPrefix("t12d010200"))
    }

    /// The certificate parser on every truncation and overwritten byte of real certificates,
    /// and on a Certificate message with an absurd count.
    func testCertificatesTruncatedOverwrittenAndAbsurdCounts() throws {
        let message = try Self.message(11, in: Self.mutual.server)
        let (ders, truncated) = try XCTUnwrap(message.withUnsafeBytes(TLSCertificateMessage.entries))
        XCTAssertFalse(truncated)
        XCTAssertEqual(ders.count, 2)
        for der in ders {
            XCTAssertEqual(TLSCertificateSummary.parse(der)?.incomplete, false)
            for n in stride(from: 0, to: der.count, by: 7) { XCTAssertNil(TLSCertificateSummary.parse(Array(der.prefix(n)))) }
            for i in stride(from: 0, to: der.count, by: 3) {
                var d = der
                d[i] ^= 0xA5
                _ = TLSCertificateSummary.parse(d)
            }
        }
        for n in 0..<message.count { _ = message.prefix(n).withUnsafeBytes(TLSCertificateMessage.entries) }

        // 5000 empty certificates: the list is cut at the limit and each is a parse error.
        let entries = [UInt8](repeating: 0, count: 3 * 5000)
        let hostile = [UInt8(entries.count >> 16), UInt8(entries.count >> 8 & 0xFF), UInt8(entries.count & 0xFF)] + entries
        let cut = try XCTUnwrap(hostile.withUnsafeBytes(TLSCertificateMessage.entries))
        XCTAssertTrue(cut.truncated)
        XCTAssertEqual(cut.certificates.count, TLSCertificateMessage.maxChain)

        var c = TLSConversation()
        c.send(.originator, Self.record(1, try Self.message(1, in: Self.mutual.client)))
        c.send(.responder, Self.record(2, try Self.message(2, in: Self.mutual.server)) + Self.record(11, hostile))
        c.conclude()
        XCTAssertEqual(c.parseErrors, UInt32(1 + TLSCertificateMessage.maxChain))
        XCTAssertEqual(c.facts?.serverCertificates.count, 0)
    }

    /// The real conversation split into two chunks at every offset of each direction, and
    /// delivered a byte at a time: always the same result.
    func testSplitAtEveryOffsetGivesTheSameResult() throws {
        let (client, server) = Self.mutual
        // Each side's messages only depend on that side's earlier ones, so the client's stream
        // can go first whole, then the server's.
        func run(_ clientSplits: [Int], _ serverSplits: [Int]) -> TLSConversation {
            var c = TLSConversation()
            for (side, bytes, splits) in [(Direction.originator, client, clientSplits), (.responder, server, serverSplits)] {
                var start = 0
                for end in splits + [bytes.count] where end > start {
                    c.send(side, Array(bytes[start..<end]))
                    start = end
                }
            }
            c.conclude()
            return c
        }
        let reference = run([], [])
        let ref = try XCTUnwrap(reference.facts)
        XCTAssertEqual(reference.parseErrors, 0)
        XCTAssertEqual(reference.verdict, .done)
        XCTAssertEqual(ref.serverCertificates.count, 2)
        XCTAssertEqual(ref.clientCertificates.count, 2)
        func same(_ c: TLSConversation, _ what: String) {
            XCTAssertEqual(c.facts?.ja4?.ja4, ref.ja4?.ja4, what)
            XCTAssertEqual(c.facts?.ja3s, ref.ja3s, what)
            XCTAssertEqual(c.facts?.serverCertificates.map(\.sha256), ref.serverCertificates.map(\.sha256), what)
            XCTAssertEqual(c.facts?.clientCertificates.map(\.sha256), ref.clientCertificates.map(\.sha256), what)
            XCTAssertEqual(c.parseErrors, 0, what)
        }
        // Every offset of each side's hello record, then every 11th byte (each run parses four
        // certificates, which is what costs).
        func offsets(_ stream: [UInt8]) -> [Int] {
            let hello = 5 + (Int(stream[3]) << 8 | Int(stream[4]))
            return Array(1...(hello + 8)) + Array(stride(from: hello + 9, to: stream.count, by: 11))
        }
        for k in offsets(client) { same(run([k], []), "client split at \(k)") }
        for k in offsets(server) { same(run([], [k]), "server split at \(k)") }
        same(run(Array(1..<client.count), Array(1..<server.count)), "a byte at a time")
    }

    /// Cut at every offset (the rest never comes): no crash, nothing half-parsed reported.
    func testTruncatedStreams() throws {
        let (client, server) = Self.mutual
        for n in 0...min(client.count, 1500) {
            var c = TLSConversation()
            c.send(.originator, Array(client.prefix(n)))
            XCTAssertEqual(c.parseErrors, 0)
            if let h = c.facts?.clientHello { XCTAssertEqual(JA4.fingerprint(h, transport: .tcp).ja4, Self.referenceJA4) }
        }
        for n in stride(from: 0, through: server.count, by: 5) {
            var c = TLSConversation()
            c.send(.originator, client)
            c.send(.responder, Array(server.prefix(n)))
            XCTAssertEqual(c.parseErrors, 0)
        }
    }

    static let referenceJA4: String? = {
        (try? message(1, in: mutual.client))?.withUnsafeBytes(TLSClientHello.parse).map { JA4.fingerprint($0, transport: .tcp).ja4 }
    }()

    /// Record and handshake lengths no peer may send are counted, and the side stops.
    func testImpossibleRecordsAreCounted() {
        var c = TLSConversation()
        let hello = (try? Self.message(1, in: Self.mutual.client)) ?? []
        c.send(.originator, Self.record(1, hello))
        c.send(.responder, [22, 3, 3, 0xFF, 0xFF] + [UInt8](repeating: 2, count: 64))   // record over 18 KiB
        XCTAssertEqual(c.parseErrors, 1)
        XCTAssertEqual(c.facts?.phase[1], .finished)

        var d = TLSConversation()
        // A handshake message announcing 16 MiB.
        d.send(.originator, [22, 3, 1, 0, 8, 1, 0xFF, 0xFF, 0xFF, 3, 3, 0, 0])
        XCTAssertEqual(d.parseErrors, 1)

        var e = TLSConversation()
        // A ClientHello record whose message is garbage: counted once, the side stops.
        e.send(.originator, [22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0])
        XCTAssertEqual(e.parseErrors, 1)
        XCTAssertEqual(e.facts?.phase[0], .finished)
    }

    /// The content check: what is not TLS is given up without any allocation; a preamble
    /// is skipped; a gap ends a side.
    func testContentDetection() {
        var http = TLSConversation()
        http.send(.originator, Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        XCTAssertNil(http.flow.metadata, "nothing allocated for a flow that is not TLS")
        XCTAssertEqual(http.verdict, .wantMore)
        http.send(.responder, [UInt8](repeating: 0x41, count: TLSDissector.preambleLimit + 10))
        http.send(.responder, [0x41])
        XCTAssertEqual(http.verdict, .notMine)
        XCTAssertNil(http.flow.metadata)

        var ssl2 = TLSConversation()
        ssl2.send(.originator, [0x80, 0x2E, 0x01, 0x03, 0x01, 0x00, 0x15])
        XCTAssertNil(ssl2.flow.metadata, "SSL 2 compatible hellos are not claimed")

        var gap = TLSConversation()
        let hello = Self.record(1, (try? Self.message(1, in: Self.mutual.client)) ?? [])
        gap.send(.originator, Array(hello.prefix(100)))
        gap.send(.originator, Array(hello.dropFirst(150)), afterGap: true)
        XCTAssertNil(gap.facts?.clientHello)
        XCTAssertEqual(gap.facts?.phase[0], .finished)
        XCTAssertEqual(gap.parseErrors, 0, "a capture loss is not malformed data")
    }

    /// Random bytes into every parser, and into the dissector behind a valid record header
    /// (so that they get past the content check).
    func testRandomInputNeverCrashes() {
        var rng = SystemRandomNumberGenerator()
        var errors: UInt32 = 0
        for round in 0..<3000 {
            let n = Int.random(in: 0...600, using: &rng)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes.withUnsafeBytes { raw in
                _ = TLSClientHello.parse(raw)
                _ = TLSServerHello.parse(raw)
                _ = TLSCertificateMessage.entries(raw)
            }
            _ = TLSCertificateSummary.parse(bytes)
            if round % 2 == 0, n > 2 {
                bytes[0] = 0x30   // a DER SEQUENCE, to go deeper into the certificate parser
                bytes[1] = UInt8(min(n - 2, 127))
                _ = TLSCertificateSummary.parse(bytes)
            }
            // Hellos with a 3.x version, to pass the content check, and random insides.
            var c = TLSConversation()
            let type = UInt8.random(in: 1...2, using: &rng)
            if n > 1 { bytes[0] = 3 }
            c.send(.originator, Self.record(type, Array(bytes.prefix(n / 2))))
            c.send(.responder, Self.record(type ^ 3, Array(bytes.dropFirst(n / 2))) + bytes)
            c.send(.originator, bytes)
            errors += c.parseErrors
        }
        XCTAssertGreaterThan(errors, 1000, "garbage is counted")
    }
}
