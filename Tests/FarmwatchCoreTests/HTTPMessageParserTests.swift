import XCTest
@testable import FarmwatchCore

/// The head grammar, the first-chunk check and the body framing, on real heads from the
/// fixture captures and on the variants real peers send.
final class HTTPMessageParserTests: XCTestCase {
    private func start(_ s: String) -> HTTPMessageParser.StreamStart {
        Array(s.utf8).withUnsafeBytes { HTTPMessageParser.streamStart($0) }
    }

    private func head(_ s: String) -> HTTPHead? {
        Array(s.utf8).withUnsafeBytes { HTTPMessageParser.parseHead($0) }
    }

    private func text(_ b: [UInt8]?) -> String? { b.map { String(decoding: $0, as: UTF8.self) } }

    func testStreamStart() {
        XCTAssertEqual(start(HTTPSamples.curlGet), .request)
        XCTAssertEqual(start("M-SEARCH * HTTP/1.1\r\n"), .request)
        XCTAssertEqual(start("CONNECT secure.newegg.com:443 HTTP/1.0\r\n"), .request)
        XCTAssertEqual(start("GET /x HTTP/1.0\n"), .request)
        XCTAssertEqual(start("HTTP/1.0 200 OK\r\n"), .response)
        // Cut anywhere inside a good request line: still a request (the head parse decides).
        let line = "PROPFIND /dav/folder%20name HTTP/1.1\r\n"
        for n in 1...line.utf8.count {
            XCTAssertEqual(start(String(line.utf8.prefix(n))!), .request, "first \(n) bytes")
        }
        for s in ["", "HTTP/2 200\r\n", "GET / HTTP/2.0\r\n", "GET / HTTP/1.x\r\n", "GET / HTTP/1.1 \r\n", "get / HTTP/1.1\r\n",
                  "GET /\tx HTTP/1.1\r\n", "BREW /pot HTTP/1.1\r\n", "G\0T / HTTP/1.1\r\n"] {
            XCTAssertEqual(start(s), .other, s.debugDescription)
        }
        XCTAssertEqual(start("GET /" + String(repeating: "a", count: HTTPMessageParser.maxDetectTarget + 1)), .other)
    }

    func testRealHeads() throws {
        let r = try XCTUnwrap(head(HTTPSamples.curlGet))
        XCTAssertTrue(r.isRequest)
        XCTAssertEqual(text(r.method), "GET")
        XCTAssertEqual(text(r.target), "/")
        XCTAssertEqual(text(r.host), "127.0.0.1:8088")
        XCTAssertEqual(text(r.userAgent), "fixture-keepalive")
        XCTAssertNil(r.contentLength)

        let s = try XCTUnwrap(head(HTTPSamples.pageHead))
        XCTAssertFalse(s.isRequest)
        XCTAssertEqual(s.statusCode, 200)
        XCTAssertEqual(text(s.reason), "OK")
        XCTAssertEqual(text(s.server), "FarmwatchFixture/1.0")
        XCTAssertEqual(text(s.contentType), "text/html; charset=utf-8")
        XCTAssertEqual(s.contentLength, 151)
        XCTAssertFalse(s.chunked)
        XCTAssertTrue(try XCTUnwrap(head(HTTPSamples.chunkedResponse)).chunked)
    }

    func testHeaderNamesAreCaseInsensitiveAndValuesTrimmed() throws {
        let h = try XCTUnwrap(head("GET / HTTP/1.1\nHOST:\t example.test \nuser-AGENT:  ua 1.0\t\nX-Folded: a\n  b\nHost: second\n\n"))
        XCTAssertEqual(text(h.host), "example.test", "bare LF line ends; the first Host wins")
        XCTAssertEqual(text(h.userAgent), "ua 1.0")
        XCTAssertEqual(h.badLines, 0, "obsolete folding is skipped, not an error")
    }

    func testStatusLines() throws {
        XCTAssertEqual(try XCTUnwrap(head("HTTP/1.1 200\r\n\r\n")).statusCode, 200)
        XCTAssertEqual(text(try XCTUnwrap(head("HTTP/1.0 404 \r\n\r\n")).reason), "")
        XCTAssertEqual(text(try XCTUnwrap(head("HTTP/1.1 302 Moved Temporarily\r\n\r\n")).reason), "Moved Temporarily")
        for bad in ["HTTP/1.1 20\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n", "HTTP/1.a 200 OK\r\n\r\n"] {
            XCTAssertNil(head(bad), bad.debugDescription)
        }
    }

    func testRequestLines() throws {
        let absolute = try XCTUnwrap(head("GET http://h.test/a?b=c HTTP/1.1\r\n\r\n"))
        XCTAssertEqual(text(absolute.target), "http://h.test/a?b=c")
        XCTAssertEqual(text(try XCTUnwrap(head("RPC_IN_DATA /rpc/rpcproxy.dll?h:6001 HTTP/1.1\r\n\r\n")).method), "RPC_IN_DATA")
        XCTAssertEqual(text(try XCTUnwrap(head("X-CUSTOM /u HTTP/1.1\r\n\r\n")).method), "X-CUSTOM", "any token after detection")
        for bad in ["GET / x HTTP/1.1\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/1.10\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n", " GET / HTTP/1.1\r\n\r\n"] {
            XCTAssertNil(head(bad), bad.debugDescription)
        }
    }

    func testFraming() throws {
        func framing(_ s: String, toHEAD: Bool = false) throws -> HTTPStreamReader.Framing {
            HTTPDissector.responseFraming(try XCTUnwrap(head(s)), toHEAD: toHEAD)
        }
        XCTAssertEqual(try framing("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n"), .length(12))
        XCTAssertEqual(try framing("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", toHEAD: true), .none)
        XCTAssertEqual(try framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n"), .none)
        XCTAssertEqual(try framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 12\r\n\r\n"), .chunked)
        XCTAssertEqual(try framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), .untilClose)
        XCTAssertEqual(try framing("HTTP/1.0 200 OK\r\n\r\n"), .untilClose)
        XCTAssertEqual(try framing("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n"), .length(7))
        // A body whose end cannot be known is refused.
        for bad in ["Content-Length: 7\r\nContent-Length: 8", "Content-Length: -1", "Content-Length: 1e3", "Content-Length: ",
                    "Content-Length: 1234567890123456789"] {
            XCTAssertNil(head("HTTP/1.1 200 OK\r\n\(bad)\r\n\r\n"), bad)
        }
    }

    func testBadHeaderLinesAreSkippedAndCounted() throws {
        let h = try XCTUnwrap(head("GET / HTTP/1.1\r\nno colon here\r\nSpace Before: x\r\n: empty name\r\nHost: h.test\r\n\r\n"))
        XCTAssertEqual(h.badLines, 3)
        XCTAssertEqual(text(h.host), "h.test")
    }

    func testStoredValuesAreBounded() throws {
        let long = String(repeating: "a", count: 10_000)
        let h = try XCTUnwrap(head("GET /\(long) HTTP/1.1\r\nHost: \(long)\r\nUser-Agent: \(long)\r\n\r\n"))
        XCTAssertEqual(h.target.count, HTTPMessageParser.maxTargetBytes)
        XCTAssertEqual(h.host?.count, HTTPMessageParser.maxValueBytes)
        XCTAssertEqual(h.userAgent?.count, HTTPMessageParser.maxValueBytes)
    }

    // MARK: Reader

    /// Events of one direction's bytes, cut at `splits`.
    private func events(_ bytes: [UInt8], framing: HTTPStreamReader.Framing, splits: [Int] = []) -> (bodies: [UInt8], ends: Int, malformed: Bool) {
        var reader = HTTPStreamReader()
        var body: [UInt8] = [], ends = 0, malformed = false
        var start = 0
        for end in splits + [bytes.count] where end > start {
            Array(bytes[start..<end]).withUnsafeBytes { raw in
                var pos = 0
                while let e = reader.next(raw, &pos) {
                    switch e {
                    case .head: reader.expectBody(framing, thenHold: false)
                    case .body(let b): body += b
                    case .end: ends += 1
                    case .malformed: malformed = true
                    }
                }
            }
            start = end
        }
        return (body, ends, malformed)
    }

    func testChunkedBodiesAtEverySplit() {
        let message = Array(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4;ext=1\r\nWiki\r\n5 \r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n").utf8)
        let expected = Array("Wikipedia in\r\n\r\nchunks.".utf8)
        for cut in 0..<message.count {
            let r = events(message + message, framing: .chunked, splits: [cut, message.count + cut / 2])
            XCTAssertEqual(r.bodies, expected + expected, "cut at \(cut)")
            XCTAssertEqual(r.ends, 2)
            XCTAssertFalse(r.malformed)
        }
    }

    func testBadChunkFraming() {
        for bad in ["zz\r\n", "4\r\nWikiXXXX\r\n", "4\r\nWikiXX\n", "FFFFFFFFFFFFFFFF\r\n", "\(String(repeating: "0", count: 2000))1\r\n"] {
            let r = events(Array("HTTP/1.1 200 OK\r\n\r\n\(bad)".utf8), framing: .chunked)
            XCTAssertTrue(r.malformed, bad)
        }
    }

    func testBlankLineScannerAcrossBoundaries() {
        let text = Array("A: b\r\n\r\nrest".utf8)
        for cut in 0...text.count {
            var s = BlankLineScanner()
            let first = Array(text[..<cut]), second = Array(text[cut...])
            let end = first.withUnsafeBytes { s.scan($0, from: 0) }
                ?? second.withUnsafeBytes { s.scan($0, from: 0) }.map { $0 + cut }
            XCTAssertEqual(end, 8, "cut at \(cut)")
        }
    }
}
