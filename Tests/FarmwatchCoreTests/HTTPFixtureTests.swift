import Foundation
import XCTest
@testable import FarmwatchCore

/// The whole pipeline over the HTTP fixture captures (real curl, Python, tinyproxy traffic on
/// loopback; scripts/make-http-fixtures.sh), against each sidecar's `expect`: tshark's
/// dissection of every flow, plus the values tshark has no field for, stated by construction.
final class HTTPFixtureTests: XCTestCase {
    static let directory = TestEnvironment.capture("fixtures/http")

    /// A transaction as the sidecar writes it: field name → value text.
    static func fields(_ t: HTTPTransaction) -> [String: String] {
        var d: [String: String] = [:]
        func put(_ k: String, _ v: [UInt8]?) { if let v { d[k] = String(decoding: v, as: UTF8.self) } }
        put("method", t.method); put("host", t.host); put("uri", t.uri); put("user_agent", t.userAgent)
        if let c = t.statusCode { d["status_code"] = String(c) }
        put("status_msg", t.statusMessage); put("server", t.server); put("content_type", t.contentType)
        put("title", t.title); put("upgrade", t.upgrade); put("connect_target", t.connectTarget)
        if t.upgrade != nil { d["websocket"] = String(t.websocket) }
        return d
    }

    static func fields(_ json: [String: Any]) -> [String: String] {
        json.mapValues { v in (v as? String) ?? (v as? Bool).map { String($0) } ?? "\(v)" }
    }

    func check(_ name: String) throws {
        let sidecar = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(Self.directory)/\(name).truth.json"))) as? [String: Any])
        let expectedFlows = try XCTUnwrap(sidecar["flows"] as? [[String: Any]])
        var mine: [Int: FlowState] = [:]
        for f in try analyzeCapture("\(Self.directory)/\(name).pcap", dissectors: StandardDissectors()).flows {
            guard let facts = f.metadata?.facts(StandardDissectors.httpSlot, as: HTTPFacts.self) else { continue }
            mine[Int(facts.clientSide == .originator ? f.originatorPort : f.responderPort)] = f
        }
        XCTAssertEqual(Set(mine.keys), Set(expectedFlows.compactMap { $0["client_port"] as? Int }),
                       "\(name): the flows with HTTP are the ones tshark dissects as HTTP")
        for e in expectedFlows {
            let port = try XCTUnwrap(e["client_port"] as? Int), what = e["what"] as? String ?? ""
            guard let flow = mine[port], let facts = flow.metadata?.facts(StandardDissectors.httpSlot, as: HTTPFacts.self)
            else { continue }
            let expect = try XCTUnwrap(e["expect"] as? [String: Any])
            let transactions = try XCTUnwrap(expect["transactions"] as? [[String: Any]])
            XCTAssertEqual(facts.transactions.map(Self.fields), transactions.map(Self.fields), "\(name) \(what) :\(port)")
            XCTAssertEqual(flow.metadata?.serverName.map { String(decoding: $0, as: UTF8.self) }, expect["server_name"] as? String,
                           "\(name) \(what)")
            XCTAssertEqual(Int(flow.metadata?.parseErrors ?? 0), expect["parse_errors"] as? Int, "\(name) \(what)")
        }
    }

    func testFixtureServer() throws { try check("server") }
    func testPythonHTTPServer() throws { try check("http-server") }
    func testTinyproxy() throws { try check("proxy") }

    /// Sanity of the fixtures themselves: each covers what the generator says it does.
    func testFixturesCoverTheCases() throws {
        let sidecar = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(Self.directory)/server.truth.json"))) as? [String: Any])
        let all = (sidecar["flows"] as? [[String: Any]] ?? []).flatMap {
            (($0["expect"] as? [String: Any])?["transactions"] as? [[String: Any]]) ?? []
        }
        XCTAssertTrue(all.contains { $0["websocket"] as? Bool == true })
        XCTAssertTrue(all.contains { $0["upgrade"] as? String == "h2c" && $0["websocket"] as? Bool == false })
        XCTAssertTrue(all.contains { $0["title"] as? String == "Chunked page" })
        XCTAssertTrue(all.contains { $0["method"] as? String == "HEAD" })
    }
}
