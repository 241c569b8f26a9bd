import XCTest
@testable import FarmwatchCore

typealias HTTPConversation = DissectorConversation<HTTPDissector>

extension DissectorConversation where D == HTTPDissector {
    init() { self.init(serverPort: 80) }

    var facts: HTTPFacts? { flow.metadata?.facts(StandardDissectors.httpSlot, as: HTTPFacts.self) }
    var transactions: [HTTPTransaction] { facts?.transactions ?? [] }

    /// The flow's metadata as JSON text (what the flow record carries), without the line end.
    var json: String {
        guard let m = flow.metadata else { return "{}" }
        let w = JSONWriter(stream: nil)
        w.beginObject(); m.writeJSON(to: w); w.endObject()
        return String(decoding: w.buffer.dropLast(), as: UTF8.self)
    }
}

extension HTTPTransaction {
    /// Test shorthand: fields as text.
    func text(_ field: KeyPath<HTTPTransaction, [UInt8]?>) -> String? {
        self[keyPath: field].map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Real bytes from the fixture captures (curl 7.88 against the generator's Python server,
/// see scripts/make-http-fixtures.sh), for tests that cut and recombine them.
enum HTTPSamples {
    static let curlGet = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8088\r\nUser-Agent: fixture-keepalive\r\nAccept: */*\r\n\r\n"
    static let pageHead = "HTTP/1.1 200 OK\r\nServer: FarmwatchFixture/1.0\r\nDate: Sat, 21 Nov 2026 15:58:44 GMT\r\n"
        + "Content-Type: text/html; charset=utf-8\r\nContent-Length: 151\r\n\r\n"
    static let pageBody: [UInt8] = Array("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<TITLE>\n  Farmwatch fixture: caf".utf8)
        + [0xC3, 0xA9] + Array(" &amp; \"quotes\"  </TITLE>\n</head><body><p>hello</p></body></html>\n".utf8)
    static let curlGetChunked = "GET /chunked HTTP/1.1\r\nHost: 127.0.0.1:8088\r\nUser-Agent: fixture-keepalive\r\nAccept: */*\r\n\r\n"
    static let chunkedResponse = "HTTP/1.1 200 OK\r\nServer: FarmwatchFixture/1.0\r\nDate: Sat, 21 Nov 2026 15:58:44 GMT\r\n"
        + "Content-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "1a\r\n<html><head><title>Chunked\r\n14\r\n page</title></head>\r\n21\r\n<body>chunked body</body></html>\n\r\n0\r\n\r\n"
    static var page: [UInt8] { Array(pageHead.utf8) + pageBody }
    static let pageTitle = "Farmwatch fixture: café &amp; \"quotes\""

    static func plainResponse(_ body: String = "ok\n", extra: String = "") -> String {
        "HTTP/1.1 200 OK\r\nServer: FarmwatchFixture/1.0\r\nContent-Type: text/plain\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    static func get(_ uri: String, host: String = "example.test") -> String {
        "GET \(uri) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: test\r\n\r\n"
    }
}

final class HTTPDissectorTests: XCTestCase {
    // MARK: Detection

    func testNonHTTPStreamsAreRefusedWithoutAllocating() {
        let openings: [[UInt8]] = [
            [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03],   // TLS ClientHello
            Array("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n".utf8),
            Array("get key\r\n".utf8),                                          // memcached
            Array("GET key\r\n".utf8),                                          // Redis inline command
            Array("GETX / HTTP/1.1\r\n".utf8),
            Array("GET / RTSP/1.0\r\n".utf8),
            Array("OPTIONS sip:bob@example.test SIP/2.0\r\n".utf8),
            Array("EHLO mail.example.test\r\n".utf8),
            Array("GET  / HTTP/1.1\r\n".utf8),                                  // two spaces: no target
        ]
        for bytes in openings {
            var c = HTTPConversation()
            XCTAssertEqual(c.send(.originator, bytes), .notMine, String(decoding: bytes, as: UTF8.self))
            XCTAssertNil(c.flow.metadata, "nothing allocated for a non-HTTP flow")
        }
        var server = HTTPConversation()
        XCTAssertEqual(server.send(.responder, "220 smtp.example.test ESMTP\r\n"), .notMine)
        XCTAssertNil(server.flow.metadata)
    }

    func testRequestAndResponseOfTheFixtureServer() {
        var c = HTTPConversation()
        XCTAssertEqual(c.send(.originator, HTTPSamples.curlGet), .wantMore)
        c.send(.responder, HTTPSamples.page)
        let t = c.transactions
        XCTAssertEqual(t.count, 1)
        XCTAssertEqual(t[0].text(\.method), "GET")
        XCTAssertEqual(t[0].text(\.host), "127.0.0.1:8088")
        XCTAssertEqual(t[0].text(\.uri), "/")
        XCTAssertEqual(t[0].text(\.userAgent), "fixture-keepalive")
        XCTAssertEqual(t[0].statusCode, 200)
        XCTAssertEqual(t[0].text(\.statusMessage), "OK")
        XCTAssertEqual(t[0].text(\.server), "FarmwatchFixture/1.0")
        XCTAssertEqual(t[0].text(\.contentType), "text/html; charset=utf-8")
        XCTAssertEqual(t[0].text(\.title), HTTPSamples.pageTitle)
        XCTAssertEqual(c.serverName, "127.0.0.1")
        XCTAssertEqual(c.parseErrors, 0)
        XCTAssertEqual(c.facts?.clientSide, .originator)
    }

    /// Every way of cutting the conversation into two segments per message gives the same facts.
    func testSegmentationDoesNotChangeTheResult() {
        var whole = HTTPConversation()
        whole.send(.originator, HTTPSamples.curlGet)
        whole.send(.responder, HTTPSamples.page)
        whole.send(.originator, HTTPSamples.curlGetChunked)
        whole.send(.responder, HTTPSamples.chunkedResponse)
        XCTAssertEqual(whole.transactions.map { $0.text(\.title) }, [HTTPSamples.pageTitle, "Chunked page"])

        let request = Array(HTTPSamples.curlGet.utf8), chunked = Array(HTTPSamples.chunkedResponse.utf8)
        for cut in 1..<max(request.count, HTTPSamples.page.count, chunked.count) {
            var c = HTTPConversation()
            c.send(.originator, request, splits: [cut])
            c.send(.responder, HTTPSamples.page, splits: [cut])
            c.send(.originator, HTTPSamples.curlGetChunked, splits: [cut])
            c.send(.responder, chunked, splits: [cut])
            XCTAssertEqual(c.transactions, whole.transactions, "cut at \(cut)")
            XCTAssertEqual(c.parseErrors, 0, "cut at \(cut)")
        }
        // And one byte per segment.
        var c = HTTPConversation()
        c.send(.originator, request, splits: Array(1..<request.count))
        c.send(.responder, HTTPSamples.page, splits: Array(1..<HTTPSamples.page.count))
        c.send(.originator, HTTPSamples.curlGetChunked, splits: Array(1..<HTTPSamples.curlGetChunked.utf8.count))
        c.send(.responder, chunked, splits: Array(1..<chunked.count))
        XCTAssertEqual(c.transactions, whole.transactions)
    }

    func testPipelinedRequestsInOneSegment() {
        var c = HTTPConversation()
        c.send(.originator, HTTPSamples.get("/a") + HTTPSamples.get("/b") + "HEAD /c HTTP/1.1\r\nHost: example.test\r\n\r\n")
        // HEAD's answer declares a length but carries no body: the next response is not eaten.
        c.send(.responder, HTTPSamples.plainResponse("one") + HTTPSamples.plainResponse("two")
               + "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n")
        XCTAssertEqual(c.transactions.map { $0.text(\.uri) }, ["/a", "/b", "/c"])
        XCTAssertEqual(c.transactions.map { $0.statusCode }, [200, 200, 200])
        XCTAssertEqual(c.transactions[2].text(\.contentType), "text/html")
        XCTAssertEqual(c.parseErrors, 0)
    }

    func testKeepsTheFirstTransactionsThenIsDone() {
        var c = HTTPConversation()
        for i in 0..<HTTPDissector.maxTransactions {
            c.send(.originator, HTTPSamples.get("/\(i)"))
            XCTAssertEqual(c.send(.responder, HTTPSamples.plainResponse()), i == HTTPDissector.maxTransactions - 1 ? .done : .wantMore)
        }
        XCTAssertEqual(c.transactions.count, HTTPDissector.maxTransactions)
        XCTAssertTrue(c.transactions.allSatisfy { $0.statusCode == 200 })
    }

    func testInterimResponsesDoNotTakeATransaction() {
        var c = HTTPConversation()
        c.send(.originator, "POST /up HTTP/1.1\r\nHost: example.test\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        c.send(.responder, "HTTP/1.1 100 Continue\r\n\r\n")
        c.send(.originator, "abc" + HTTPSamples.get("/next"))
        c.send(.responder, "HTTP/1.1 204 No Content\r\nServer: s\r\n\r\n" + HTTPSamples.plainResponse())
        XCTAssertEqual(c.transactions.map { $0.statusCode }, [204, 200])
        XCTAssertEqual(c.transactions.map { $0.text(\.method) }, ["POST", "GET"])
    }

    func testChunkedRequestBodyThenAnotherRequest() {
        var c = HTTPConversation()
        c.send(.originator, "POST /upload HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nx=1\r\n0\r\nTrailer: t\r\n\r\n"
               + HTTPSamples.get("/after"))
        XCTAssertEqual(c.transactions.map { $0.text(\.uri) }, ["/upload", "/after"])
        XCTAssertEqual(c.parseErrors, 0)
    }

    // MARK: Tunnels and upgrades

    /// A granted CONNECT ends HTTP's part and hands the rest of both directions on as the
    /// tunnel's stream: from the end of the request and of the answer.
    func testConnectRecordsTheTargetAndOpensTheTunnel() {
        var c = HTTPConversation()
        let request = "CONNECT secure.example.test:443 HTTP/1.1\r\nHost: secure.example.test:443\r\nUser-Agent: curl/7.88.1\r\n\r\n"
        let answer = "HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n"
        c.send(.originator, request)
        XCTAssertEqual(c.send(.responder, answer + "\u{16}\u{03}"),
                       .innerStream(InnerStreamStart(originatorOffset: request.utf8.count, responderOffset: answer.utf8.count)))
        XCTAssertEqual(c.transactions.count, 1)
        XCTAssertEqual(c.transactions[0].text(\.connectTarget), "secure.example.test:443")
        XCTAssertEqual(c.transactions[0].text(\.statusMessage), "Connection established")
        XCTAssertEqual(c.serverName, "secure.example.test")
    }

    /// A refused CONNECT leaves the connection HTTP: what the client sent meanwhile is read.
    func testRefusedConnectThenAuthenticatedConnect() {
        var c = HTTPConversation()
        let connect = "CONNECT secure.example.test:443 HTTP/1.1\r\nHost: secure.example.test:443\r\n"
        c.send(.originator, connect + "\r\n")
        c.send(.originator, connect + "Proxy-Authorization: Basic dTpw\r\n\r\n")    // sent before the answer
        c.send(.responder, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(c.transactions.count, 2)
        let refusal = "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n"
        let granted = "HTTP/1.1 200 Connection established\r\n\r\n"
        XCTAssertEqual(c.send(.responder, granted), .innerStream(InnerStreamStart(
            originatorOffset: 2 * connect.utf8.count + 4 + "Proxy-Authorization: Basic dTpw\r\n".utf8.count,
            responderOffset: refusal.utf8.count + granted.utf8.count)))
        XCTAssertEqual(c.transactions.map { $0.statusCode }, [407, 200])
        XCTAssertEqual(c.parseErrors, 0)
    }

    func testWebSocketUpgrade() {
        var c = HTTPConversation()
        let request = "GET /ws HTTP/1.1\r\nHost: ws.example.test:8088\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        c.send(.originator, request)
        let verdict = c.send(.responder, answer + "\u{81}\u{05}HTTP/")
        // The WebSocket's frames are an inner stream from the end of each side's head.
        XCTAssertEqual(verdict, .innerStream(InnerStreamStart(originatorOffset: request.utf8.count,
                                                              responderOffset: answer.utf8.count)))
        XCTAssertEqual(c.transactions.count, 1)
        XCTAssertTrue(c.transactions[0].websocket)
        XCTAssertEqual(c.transactions[0].text(\.upgrade), "websocket")
        XCTAssertEqual(c.transactions[0].statusCode, 101)
        XCTAssertTrue(c.json.contains(#""upgrade":"websocket","websocket":true"#), c.json)
    }

    func testIgnoredUpgradeKeepsReadingHTTP() {
        var c = HTTPConversation()
        c.send(.originator, "GET / HTTP/1.1\r\nHost: example.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
               + "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n" + HTTPSamples.get("/second"))
        c.send(.responder, HTTPSamples.plainResponse() + HTTPSamples.plainResponse())
        XCTAssertEqual(c.transactions.map { $0.text(\.uri) }, ["/", "/second"])
        XCTAssertEqual(c.transactions[0].text(\.upgrade), "h2c")
        XCTAssertFalse(c.transactions[0].websocket)
        XCTAssertEqual(c.transactions.map { $0.statusCode }, [200, 200])
    }

    // MARK: Titles

    func testTitleRules() {
        func title(_ headers: String, _ body: [UInt8], splits: [Int] = []) -> String? {
            var c = HTTPConversation()
            c.send(.originator, HTTPSamples.get("/"))
            c.send(.responder, Array("HTTP/1.1 200 OK\r\n\(headers)Content-Length: \(body.count)\r\n\r\n".utf8) + body, splits: splits)
            return c.transactions.first?.text(\.title)
        }
        let html = Array("<html><head><title lang=\"en\">\n Hello \t</title>".utf8)
        XCTAssertEqual(title("Content-Type: text/html\r\n", html), "Hello")
        XCTAssertEqual(title("content-type: TEXT/HTML; charset=utf-8\r\n", html), "Hello")
        XCTAssertEqual(title("Content-Type: text/html\r\nContent-Encoding: identity\r\n", html), "Hello")
        XCTAssertNil(title("Content-Type: text/html\r\nContent-Encoding: gzip\r\n", html), "compressed bodies are skipped")
        XCTAssertNil(title("Content-Type: text/plain\r\n", html))
        XCTAssertNil(title("", html), "no content type")
        XCTAssertNil(title("Content-Type: text/html\r\n", Array("<titlebar>x</titlebar><title></title>".utf8)))
        let late = Array(String(repeating: " ", count: HTTPTitleCapture.limit).utf8) + html
        XCTAssertNil(title("Content-Type: text/html\r\n", late), "only the first KiB is read")
        let cut = Array("<title>\(String(repeating: "x", count: HTTPTitleCapture.limit))</title>".utf8)
        XCTAssertNil(title("Content-Type: text/html\r\n", cut), "a title not closed within the KiB is not reported")
        XCTAssertEqual(title("Content-Type: text/html\r\n", html, splits: Array(20..<60)), "Hello")
    }

    // MARK: Server names, odd starts, losses

    func testServerNameFromHost() {
        let cases: [(String, String?)] = [
            ("example.test:8080", "example.test"), ("example.test", "example.test"), ("192.0.2.1", "192.0.2.1"),
            ("[2001:db8::1]:80", "2001:db8::1"), ("[2001:db8::1]", "2001:db8::1"), ("2001:db8::1", "2001:db8::1"),
            ("", nil), (":80", nil), ("[2001:db8::1", nil),
        ]
        for (host, name) in cases {
            XCTAssertEqual(HTTPDissector.serverName(host: Array(host.utf8)).map { String(decoding: $0, as: UTF8.self) }, name, host)
        }
    }

    func testCaptureThatBeginsWithTheServerSide() {
        var c = HTTPConversation()
        c.send(.originator, HTTPSamples.plainResponse())      // the engine took the server for the originator
        XCTAssertEqual(c.facts?.clientSide, .responder)
        c.send(.responder, HTTPSamples.get("/next"))
        c.send(.originator, HTTPSamples.plainResponse())
        XCTAssertEqual(c.transactions.count, 2)
        XCTAssertNil(c.transactions[0].method)
        XCTAssertEqual(c.transactions[0].statusCode, 200)
        // The request read next is paired with the next response, not the one before it.
        XCTAssertEqual(c.transactions[1].text(\.uri), "/next")
        XCTAssertEqual(c.transactions[1].statusCode, 200)
    }

    func testMidStreamPickupAndLossesAreNotParseErrors() {
        var pickup = HTTPConversation()
        XCTAssertEqual(pickup.send(.originator, "tail of a body", afterGap: true), .notMine)
        XCTAssertNil(pickup.flow.metadata)

        var c = HTTPConversation()
        c.send(.originator, HTTPSamples.get("/1"))
        c.send(.responder, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nxyz")
        c.sendAfterLoss(.responder, lost: 5000, "more body")
        c.sendAfterLoss(.originator, lost: 100, HTTPSamples.get("/2"))
        XCTAssertEqual(c.transactions.count, 1)
        XCTAssertEqual(c.parseErrors, 0)
        XCTAssertEqual(c.verdict, .done)
    }

    func testByteBudget() {
        var c = HTTPConversation()
        c.send(.originator, HTTPSamples.get("/big"))
        c.send(.responder, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")  // until close
        // Past the server side's budget the client may still send requests worth reading.
        for _ in 0...(HTTPDissector.budgetPerDirection / 1000) {
            XCTAssertEqual(c.send(.responder, [UInt8](repeating: 0x41, count: 1000)), .wantMore)
        }
        XCTAssertTrue(c.facts?.server.isFinished == true)
        // Once the client's budget is spent too, the flow stops paying.
        let filler = "POST /f HTTP/1.1\r\nHost: example.test\r\nContent-Length: \(HTTPDissector.budgetPerDirection)\r\n\r\n"
        c.send(.originator, filler)
        XCTAssertEqual(c.send(.originator, [UInt8](repeating: 0x42, count: HTTPDissector.budgetPerDirection)), .done)
        XCTAssertEqual(c.transactions.count, 2)
    }

    // MARK: Output

    func testJSONNamesAndEscaping() {
        var c = HTTPConversation()
        c.send(.originator, Array("GET /p?q=\"x\" HTTP/1.1\r\nHost: example.test\r\nUser-Agent: a\u{1}b".utf8) + [0xFF] + Array("\r\n\r\n".utf8))
        c.send(.responder, "HTTP/1.1 404 Not Found\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(c.json, #"{"protocols":["http"],"app":"http","recognitions":[{"name":"http","identified_by":"payload","confidence":"high"}],"server_name":"example.test","server_name_source":"http","http":[{"method":"GET","host":"example.test","uri":"/p?q=\"x\"","user_agent":"a\u0001b\u00ff","status_code":404,"status_msg":"Not Found","server":"nginx","content_type":"text/plain"}]}"#)
    }
}
