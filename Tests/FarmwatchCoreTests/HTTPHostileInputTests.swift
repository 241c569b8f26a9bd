import XCTest
@testable import FarmwatchCore

/// Hostile and broken input through the head parser, the stream reader and the dissector:
/// nothing may crash, memory stays within the stated bounds, and malformed messages are
/// counted as parse errors.
final class HTTPHostileInputTests: XCTestCase {
    /// SplitMix64: a fixed seed makes every failure reproducible.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The bounds every state must keep.
    private func assertBounded(_ c: HTTPConversation, _ note: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) {
        guard let f = c.facts else { return }
        XCTAssertLessThanOrEqual(f.transactions.count, HTTPDissector.maxTransactions, note(), file: file, line: line)
        XCTAssertLessThanOrEqual(f.client.bufferedBytes, HTTPStreamReader.headLimit, note(), file: file, line: line)
        XCTAssertLessThanOrEqual(f.server.bufferedBytes, HTTPStreamReader.headLimit, note(), file: file, line: line)
        for t in f.transactions {
            XCTAssertLessThanOrEqual(t.uri?.count ?? 0, HTTPMessageParser.maxTargetBytes, note(), file: file, line: line)
            for v in [t.method, t.host, t.userAgent, t.statusMessage, t.server, t.contentType, t.upgrade] {
                XCTAssertLessThanOrEqual(v?.count ?? 0, HTTPMessageParser.maxValueBytes, note(), file: file, line: line)
            }
            XCTAssertLessThanOrEqual(t.title?.count ?? 0, HTTPTitleCapture.limit, note(), file: file, line: line)
        }
    }

    /// Real conversation bytes: (direction, bytes) in order.
    private var conversation: [(Direction, [UInt8])] {
        [(.originator, Array(HTTPSamples.curlGet.utf8)), (.responder, HTTPSamples.page),
         (.originator, Array(HTTPSamples.curlGetChunked.utf8)), (.responder, Array(HTTPSamples.chunkedResponse.utf8)),
         (.originator, Array("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n".utf8)),
         (.responder, Array("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n".utf8))]
    }

    func testTruncationAtEveryOffset() {
        for (index, message) in conversation.enumerated() {
            for cut in 0...message.1.count {
                var c = HTTPConversation()
                for (side, bytes) in conversation[..<index] { c.send(side, bytes) }
                c.send(message.0, Array(message.1[..<cut]))
                XCTAssertEqual(c.parseErrors, 0, "message \(index) cut at \(cut)")
                XCTAssertLessThanOrEqual(c.transactions.count, index / 2 + 1)
                assertBounded(c, "message \(index) cut at \(cut)")
            }
        }
    }

    func testMutatedConversations() {
        var rng = Random(state: 0x4854_5450)
        for round in 0..<3000 {
            var c = HTTPConversation()
            for (side, original) in conversation {
                var bytes = original
                for _ in 0..<Int.random(in: 0...4, using: &rng) where !bytes.isEmpty {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes.insert(contentsOf: Array("9999999999".utf8), at: i)
                    case 2: bytes.remove(at: i)
                    default: bytes.insert(contentsOf: [0x0D, 0x0A], at: i)
                    }
                }
                let splits = (0..<Int.random(in: 0...3, using: &rng)).map { _ in Int.random(in: 0...bytes.count, using: &rng) }.sorted()
                c.send(side, bytes, splits: splits)
            }
            assertBounded(c, "round \(round)")
        }
    }

    func testRandomBytes() {
        var rng = Random(state: 7)
        let prefixes = ["", "GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"]
        for round in 0..<5000 {
            let prefix = Array(prefixes[round % prefixes.count].utf8)
            let bytes = prefix + (0..<Int.random(in: 0...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes.withUnsafeBytes {
                _ = HTTPMessageParser.streamStart($0)
                _ = HTTPMessageParser.parseHead($0)
                _ = HTTPTitleCapture.title(in: $0)
            }
            var c = HTTPConversation()
            let side: Direction = round & 4 == 0 ? .originator : .responder
            c.send(side, bytes, splits: [Int.random(in: 0...bytes.count, using: &rng)])
            c.send(side.opposite, bytes.reversed())
            assertBounded(c, "round \(round)")
        }
    }

    func testHeaderFloodIsRefusedAndCounted() {
        for segment in [1, 100, 1460, 65536] {
            var c = HTTPConversation()
            let flood = Array(("GET / HTTP/1.1\r\n" + String(repeating: "X-Flood: 0123456789\r\n", count: 2000)).utf8)
            c.send(.originator, flood, splits: Array(stride(from: segment, to: flood.count, by: segment)))
            XCTAssertEqual(c.parseErrors, 1, "segments of \(segment)")
            XCTAssertTrue(c.facts?.client.isFinished == true)
            XCTAssertEqual(c.transactions.count, 0)
            assertBounded(c, "segments of \(segment)")
        }
        // The held bytes after a CONNECT are bounded the same way.
        var c = HTTPConversation()
        c.send(.originator, "CONNECT a.test:443 HTTP/1.1\r\n\r\n")
        for _ in 0..<20 { c.send(.originator, [UInt8](repeating: 0x16, count: 1000)) }
        assertBounded(c, "held")
        XCTAssertTrue(c.facts?.client.isFinished == true)
    }

    func testAbsurdLengths() {
        var c = HTTPConversation()
        c.send(.originator, HTTPSamples.get("/a"))
        c.send(.responder, "HTTP/1.1 200 OK\r\nContent-Length: 999999999999999999\r\n\r\nbody")
        XCTAssertEqual(c.transactions.first?.statusCode, 200)
        XCTAssertEqual(c.parseErrors, 0)

        var chunk = HTTPConversation()
        chunk.send(.originator, HTTPSamples.get("/a"))
        chunk.send(.responder, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFF\r\nxx")
        XCTAssertEqual(chunk.parseErrors, 0)
        chunk.send(.originator, HTTPSamples.get("/b"))
        XCTAssertEqual(chunk.transactions.count, 2)

        var overflow = HTTPConversation()
        overflow.send(.originator, HTTPSamples.get("/a"))
        overflow.send(.responder, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1FFFFFFFFFFFFFFFF\r\n")
        XCTAssertEqual(overflow.parseErrors, 1)
        XCTAssertEqual(overflow.verdict, .wantMore, "the client may still send requests")
        overflow.send(.originator, "POST /b HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n")
        XCTAssertEqual(overflow.parseErrors, 2)
        XCTAssertEqual(overflow.verdict, .done)
    }

    func testManyPipelinedRequestsCostTheFirstFew() {
        var c = HTTPConversation()
        let many = String(repeating: HTTPSamples.get("/x"), count: 10_000)
        c.send(.originator, many, splits: Array(stride(from: 1460, to: many.utf8.count, by: 1460)))
        XCTAssertEqual(c.transactions.count, HTTPDissector.maxTransactions)
        XCTAssertTrue(c.facts?.client.isFinished == true)
        XCTAssertEqual(c.parseErrors, 0)
    }

    func testProtocolConfusionIsCounted() {
        var c = HTTPConversation()
        c.send(.originator, HTTPSamples.get("/"))
        c.send(.responder, HTTPSamples.get("/from-the-server"))
        c.send(.originator, "HTTP/1.1 200 OK\r\n\r\n")
        XCTAssertEqual(c.parseErrors, 2)
        XCTAssertEqual(c.verdict, .done)
    }
}
