import Foundation
import XCTest
@testable import FarmwatchCore

/// SOCKS, HTTP CONNECT, what their tunnels carry, and Tor, over whole captures: the fixture
/// made with Dante, curl and OpenSSH (scripts/make-proxy-fixtures.sh) against tshark, and the
/// corpus captures against Zeek's socks.log and nDPI's per-flow results.
final class ProxyCaptureTests: XCTestCase {
    static func protocols(_ f: FlowState) -> [String] {
        f.metadata?.protocols.map { $0.family.rawValue } ?? []
    }

    static func socks(_ f: FlowState) -> SOCKSFacts? {
        f.metadata?.facts(StandardDissectors.socksSlot, as: SOCKSFacts.self)
    }

    static func text(_ a: SOCKSMessage.Address?) -> String? {
        switch a {
        case .ipv4(let x)?, .ipv6(let x)?: return x.description
        case .domain(let n)?: return n.text
        case nil: return nil
        }
    }

    static func corpusFlows(_ relative: String) throws -> [FlowState] {
        let corpus = try TestEnvironment.requireCorpus()
        return try analyzeCapture(corpus.appendingPathComponent(relative).path, dissectors: StandardDissectors()).flows
    }

    func testSOCKSFixtureAgainstTshark() throws {
        let url = URL(fileURLWithPath: TestEnvironment.capture("fixtures/proxies/socks.truth.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let expected = try XCTUnwrap(json["flows"] as? [[String: Any]])
        let flows = try analyzeCapture(TestEnvironment.capture("fixtures/proxies/socks.pcap"),
                                       dissectors: StandardDissectors()).flows
        XCTAssertEqual(expected.count, 7)
        for e in expected {
            let name = try XCTUnwrap(e["name"] as? String)
            let port = try XCTUnwrap(e["client_port"] as? Int)
            let t = try XCTUnwrap(e["tshark"] as? [String: String])
            guard let flow = flows.first(where: { Int($0.originatorPort) == port }), let s = Self.socks(flow) else {
                XCTFail("\(name): no SOCKS flow from port \(port)")
                continue
            }
            XCTAssertEqual(String(s.version), t["version"], name)
            XCTAssertEqual(s.command.map { String($0) }, t["command"], name)
            XCTAssertEqual(Self.text(s.target), t["target_host"], name)
            XCTAssertEqual(s.targetPort.map { String($0) }, t["target_port"], name)
            XCTAssertEqual(s.replyCode.map { String($0) }, t["reply"], name)
            XCTAssertEqual(flow.metadata?.parseErrors ?? 0, 0, name)
            let inner = e["inner_by_construction"] as? String
            XCTAssertEqual(Self.protocols(flow), ["socks"] + (inner.map { [$0] } ?? []), name)
            XCTAssertEqual(s.tunnelOpened, inner != nil, name)
            // What tshark itself dissected inside the tunnel, farmwatch did too.
            for p in e["inner"] as? [String] ?? [] { XCTAssertTrue(Self.protocols(flow).contains(p), "\(name): \(p)") }
            switch inner {
            case "tls"?:
                let tls = flow.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self)
                XCTAssertEqual(tls?.clientHello?.serverName?.text, "localhost", name)
                XCTAssertNotNil(tls?.serverHello, name)
            case "ssh"?:
                let ssh = flow.metadata?.facts(StandardDissectors.sshSlot, as: SSHFacts.self)
                XCTAssertTrue(ssh?.clientBanner?.text.hasPrefix("SSH-2.0-OpenSSH") == true, name)
                XCTAssertNotNil(ssh?.hassh, "\(name): the client's KEXINIT, read behind the SOCKS reply")
            case "http"?:
                let http = flow.metadata?.facts(StandardDissectors.httpSlot, as: HTTPFacts.self)
                XCTAssertEqual(http?.transactions.first?.uri?.text, "/index.html", name)
                XCTAssertEqual(http?.transactions.first?.statusCode, 200, name)
            default:
                break
            }
        }
    }

    /// Zeek's socks.log for the same connections: version, user, status, request and bound
    /// endpoints (Zeek writes no password either when the test does not ask for it).
    func testZeekSOCKSCapturesAgainstSocksLog() throws {
        let corpus = try TestEnvironment.requireCorpus()
        for capture in ["zeek__socks-auth.pcap", "zeek__socks-auth-10080.pcap", "zeek__socks-with-ssl.pcap"] {
            let dir = corpus.appendingPathComponent("expected/\(capture)")
            let tests = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            // socks.log, or the columns a test cut from it (socks.log.cut, a header line first).
            let logs = tests.flatMap { t in ["socks.log", "socks.log.cut"].map { dir.appendingPathComponent("\(t)/\($0)") } }
            let file = try XCTUnwrap(logs.first { FileManager.default.fileExists(atPath: $0.path) }, capture)
            let log = try String(contentsOf: file, encoding: .utf8)
            var fields: [String] = []
            var rows: [[String: String]] = []
            for line in log.split(separator: "\n") {
                let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                if cols.first == "#fields" {
                    fields = Array(cols.dropFirst())
                } else if fields.isEmpty && !line.hasPrefix("#") {
                    fields = cols
                } else if !line.hasPrefix("#") && cols.count == fields.count { rows.append(Dictionary(uniqueKeysWithValues: zip(fields, cols))) }
            }
            XCTAssertFalse(rows.isEmpty, capture)
            let flows = try Self.corpusFlows("pcaps/\(capture)")
            for row in rows {
                guard let flow = flows.first(where: { String($0.originatorPort) == row["id.orig_p"] }), let s = Self.socks(flow) else {
                    XCTFail("\(capture): no SOCKS flow from port \(row["id.orig_p"] ?? "?")")
                    continue
                }
                // Only the columns the baseline has.
                func same(_ ours: String?, _ column: String) {
                    if let theirs = row[column] { XCTAssertEqual(ours ?? "-", theirs, "\(capture) \(column)") }
                }
                same(String(s.version), "version")
                same(s.user?.text, "user")
                same(s.replyCode.map { SOCKSFacts.statusName($0, version: s.version) }, "status")
                if row["request.name"] != "-" { same(Self.text(s.target), "request.name") } else { same(Self.text(s.target), "request.host") }
                same(s.targetPort.map { String($0) }, "request_p")
                same(Self.text(s.bound), "bound.host")
                same(s.boundPort.map { String($0) }, "bound_p")
                if s.passwordSent {
                    let w = JSONWriter(stream: nil)
                    w.beginObject(); s.writeJSON(to: w); w.endObject()
                    XCTAssertFalse(String(decoding: w.buffer, as: UTF8.self).contains("password\":\""), capture)
                }
            }
        }
    }

    /// TLS inside SOCKS 4a, SOCKS 5 and HTTP CONNECT, from captures made by other projects:
    /// the tunnel's TLS is dissected as TLS, with the relay first in `protocols`.
    func testTLSInsideTunnelsInTheCorpus() throws {
        let cases: [(String, [String], String)] = [
            ("ja4/pcaps/ja4__socks4-https.pcap", ["socks", "tls"], ""),
            ("pcaps/zeek__socks-with-ssl.pcap", ["socks", "tls"], "www.google.com"),
            ("ja4/pcaps/ja4__https-connect.pcap", ["http-connect", "tls"], ""),
            ("pcaps/zeek__http__connect-with-header.pcap", ["http-connect", "tls"], ""),
        ]
        for (capture, expected, sni) in cases {
            let flows = try Self.corpusFlows(capture)
            let tunnels = flows.filter { Self.protocols($0).first == expected[0] }
            XCTAssertFalse(tunnels.isEmpty, capture)
            for f in tunnels {
                XCTAssertEqual(Self.protocols(f), expected, capture)
                let tls = f.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self)
                XCTAssertNotNil(tls?.serverHello, "\(capture): the server's hello, read behind the proxy's answer")
                if !sni.isEmpty { XCTAssertEqual(tls?.clientHello?.serverName?.text, sni, capture) }
            }
        }
    }

    /// nDPI's flows (default configuration) against farmwatch's: every flow nDPI calls `name`
    /// by DPI, farmwatch calls `family`; returns (agreeing, nDPI's count, farmwatch-only).
    static func agreement(_ capture: String, ndpiName: String, family: String) throws -> (Int, Int, Int) {
        let corpus = try TestEnvironment.requireCorpus()
        let out = try String(contentsOf: corpus.appendingPathComponent("expected/\(capture).out"), encoding: .utf8)
        var ndpi = Set<PairKey>()
        for line in out.split(separator: "\n") where line.contains("[proto: ") && line.contains("Confidence: DPI") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let i = words.firstIndex(of: "TCP") ?? words.firstIndex(of: "UDP"), i + 3 < words.count,
                  let proto = line.range(of: "[proto: ")
            else { continue }
            let label = line[proto.upperBound...].prefix { $0 != "]" }
            guard label.split(separator: "/").last?.split(separator: ".").contains(Substring(ndpiName)) == true else { continue }
            func endpoint(_ s: Substring) -> (String, Int) {
                let colon = s.lastIndex(of: ":")!
                return (String(s[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), Int(s[s.index(after: colon)...])!)
            }
            let a = endpoint(words[i + 1]), b = endpoint(words[i + 3])
            ndpi.insert(PairKey(proto: words[i] == "TCP" ? "tcp" : "udp", a.0, a.1, b.0, b.1))
        }
        let ours = Set(try corpusFlows("pcaps/\(capture)").filter { protocols($0).contains(family) }.map(PairKey.init))
        return (ndpi.intersection(ours).count, ndpi.count, ours.subtracting(ndpi).count)
    }

    func testSOCKSFlowsAgreeWithNDPI() throws {
        for capture in ["ndpi__socks.pcap", "ndpi__shadowsocks.pcap", "ndpi__tls_heur__vmess-tcp.pcapng",
                        "ndpi__tls_heur__vmess-tcp-tls.pcapng"] {
            let (agree, theirs, onlyOurs) = try Self.agreement(capture, ndpiName: "SOCKS", family: "socks")
            print("socks per-flow agreement with nDPI, \(capture): \(agree)/\(theirs), farmwatch-only \(onlyOurs)")
            XCTAssertEqual(agree, theirs, capture)
            XCTAssertEqual(onlyOurs, 0, capture)
        }
    }

    /// nDPI calls three of the seven Tor connections Tor (its SNI heuristic); all seven carry
    /// a relay's link certificate (CN=www.<random>.net issued by CN=www.<random>.com).
    func testTorLinkConnections() throws {
        let flows = try Self.corpusFlows("pcaps/ndpi__tor.pcap")
        let tor = flows.filter { Self.protocols($0).contains("tor") }
        XCTAssertEqual(tor.count, 7)
        for f in tor {
            XCTAssertEqual(Self.protocols(f), ["tor", "tls"])
            let r = f.metadata?.recognitions.first { $0.family == .tor }
            XCTAssertEqual(r?.identifiedBy, .tlsCert)
        }
        let (agree, theirs, onlyOurs) = try Self.agreement("ndpi__tor.pcap", ndpiName: "Tor", family: "tor")
        print("tor per-flow agreement with nDPI: \(agree)/\(theirs), farmwatch-only \(onlyOurs)")
        XCTAssertEqual(agree, theirs)
        // Ordinary web TLS (64 sites) is not Tor.
        let sites = try Self.corpusFlows("pcaps/ndpi__sites.pcapng")
        XCTAssertGreaterThan(sites.filter { Self.protocols($0).contains("tls") }.count, 40)
        XCTAssertTrue(sites.allSatisfy { !Self.protocols($0).contains("tor") })
    }

    func testTorNamePatterns() {
        XCTAssertTrue(TorLinkRecognizer.isRandomName(Array("www.ct7ctrgb6cr7.com".utf8), suffix: ".com", lengths: 4...25,
                                                     demandRandomLook: true))
        for name in ["www.google.com", "www.wikipedia.com", "www.example.net", "www.ab.com", "mail.x7y2z3abc.com",
                     "www.abc0def9.com"] {
            XCTAssertFalse(TorLinkRecognizer.isRandomName(Array(name.utf8), suffix: ".com", lengths: 4...25,
                                                          demandRandomLook: true), name)
        }
        var c = TLSCertificateSummary()
        c.subject = "CN=www.g6ghvisevf3ibuu5.net"
        c.commonName = Array("www.g6ghvisevf3ibuu5.net".utf8)
        c.issuer = "CN=www.xkgk7fdx362yyyxib.com"
        XCTAssertTrue(TorLinkRecognizer.isLinkCertificate(c))
        c.organization = Array("Example Inc".utf8)
        XCTAssertFalse(TorLinkRecognizer.isLinkCertificate(c), "a relay's names carry nothing but CN")
        c.organization = nil
        c.issuer = "CN=R3,O=Let's Encrypt,C=US"
        XCTAssertFalse(TorLinkRecognizer.isLinkCertificate(c))
    }
}
