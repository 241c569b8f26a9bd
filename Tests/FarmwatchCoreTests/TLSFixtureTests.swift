import Foundation
import XCTest
@testable import FarmwatchCore

/// The whole pipeline over the TLS fixtures (real OpenSSL, curl and Python handshakes on
/// loopback; scripts/make-tls-fixtures.sh) against each sidecar: tshark's hellos, JA3/JA3S, SNI
/// and ALPN, openssl's decoding of the certificates tshark extracted, and JA4 computed from
/// tshark's fields.
final class TLSFixtureTests: XCTestCase {
    static let names = ["tls12-mutual", "tls13-curl", "tls12-legacy-rsa1024", "tls13-hrr",
                        "tls12-fragmented-hello", "tls12-after-connect"]

    static func sidecar(_ name: String) throws -> [[String: Any]] {
        let url = URL(fileURLWithPath: TestEnvironment.capture("fixtures/tls/\(name).truth.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(json["flows"] as? [[String: Any]])
    }

    static func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    /// A certificate as the sidecar writes it.
    static func fields(_ c: TLSCertificateSummary) -> [String: String] {
        var d = ["subject": c.subject, "issuer": c.issuer, "serial": c.serial, "self_signed": String(c.selfSigned),
                 "key_type": c.keyType, "sha256": c.sha256,
                 "san_dns": c.sanDNS.map { text($0)! }.joined(separator: ","), "san_ip": c.sanIP.joined(separator: ",")]
        d["cn"] = text(c.commonName); d["o"] = text(c.organization); d["ou"] = text(c.organizationalUnit)
        d["c"] = text(c.country); d["not_before"] = c.notBefore; d["not_after"] = c.notAfter
        d["key_bits"] = c.keyBits.map(String.init)
        return d
    }

    static func fields(_ json: [String: Any]) -> [String: String] {
        var d: [String: String] = [:]
        for (k, v) in json {
            switch v {
            case let s as String: d[k] = s
            case let list as [String]: d[k] = list.joined(separator: ",")
            case let b as Bool where k == "self_signed": d[k] = String(b)
            case let n as Int: d[k] = String(n)
            default: break
            }
        }
        return d
    }

    func check(_ name: String) throws {
        let expected = try Self.sidecar(name)
        let flows = try analyzeCapture(TestEnvironment.capture("fixtures/tls/\(name).pcap"),
                                       dissectors: StandardDissectors(context: DissectorContext(ja4AllForms: true))).flows
        let tls = flows.filter { $0.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self) != nil }
        XCTAssertEqual(tls.count, expected.count, "\(name): one TLS flow per handshake tshark sees")
        for e in expected {
            let client = try XCTUnwrap(e["client"] as? String)
            guard let flow = tls.first(where: { "\($0.originatorAddress):\($0.originatorPort)" == client }),
                  let f = flow.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self) else {
                XCTFail("\(name): no TLS flow from \(client)")
                continue
            }
            XCTAssertEqual(flow.metadata?.parseErrors ?? 0, 0, name)
            XCTAssertEqual(f.clientSide, .originator, name)
            XCTAssertEqual(f.ja3, e["ja3"] as? String, name)
            XCTAssertEqual(f.ja3String, e["ja3_string"] as? String, name)
            XCTAssertEqual(f.ja3s, e["ja3s"] as? String, name)
            XCTAssertEqual(f.ja3sString, e["ja3s_string"] as? String, name)
            XCTAssertEqual(Self.text(f.clientHello?.serverName), e["server_name"] as? String, name)
            XCTAssertEqual(Self.text(flow.metadata?.serverName), e["server_name"] as? String, name)
            XCTAssertEqual(f.clientHello?.alpn.map { Self.text($0)! }, e["alpn"] as? [String], name)
            XCTAssertEqual(Self.text(f.serverHello?.alpn), e["alpn_selected"] as? String, name)
            XCTAssertEqual(f.clientHello?.supportedVersions.filter { !TLSGrease.isGrease($0) }.map(TLSVersion.name),
                           e["client_supported_versions"] as? [String], name)
            XCTAssertEqual(f.serverHello.map { TLSVersion.name($0.negotiatedVersion) }, e["version"] as? String, name)
            XCTAssertEqual(f.serverHello.map { String(format: "0x%04x", $0.cipher) }, e["cipher"] as? String, name)
            let ja4 = try XCTUnwrap(f.ja4)
            XCTAssertEqual(ja4.ja4, e["ja4"] as? String, name)
            XCTAssertEqual(ja4.raw, e["ja4_r"] as? String, name)
            XCTAssertEqual(ja4.original, e["ja4_o"] as? String, name)
            XCTAssertEqual(ja4.originalRaw, e["ja4_ro"] as? String, name)
            XCTAssertEqual(f.serverHello?.isHelloRetryRequest, false, "\(name): the ServerHello kept is the final one")
            XCTAssertEqual(f.helloRetryRequest != nil, e["hello_retry_request"] as? Bool, name)
            XCTAssertEqual(f.established, e["ja3s"] != nil, name)
            XCTAssertEqual(f.serverCertificates.map(Self.fields),
                           try XCTUnwrap(e["cert_chain"] as? [[String: Any]]).map(Self.fields), name)
            XCTAssertEqual(f.clientCertificates.map(Self.fields),
                           try XCTUnwrap(e["client_cert_chain"] as? [[String: Any]]).map(Self.fields), name)
            XCTAssertTrue(f.phase[0] == .finished && f.phase[1] == .finished, "\(name): both sides stopped")
        }
    }

    func testMutualAuthenticationWithChainAndALPN() throws { try check("tls12-mutual") }
    func testTLS13FromCurl() throws { try check("tls13-curl") }
    func testLegacyRSA1024WithoutSNI() throws { try check("tls12-legacy-rsa1024") }
    func testHelloRetryRequest() throws { try check("tls13-hrr") }
    func testClientHelloFragmentedAcrossRecordsAndSegments() throws { try check("tls12-fragmented-hello") }
    func testTLSAfterHTTPConnectPreamble() throws { try check("tls12-after-connect") }

    /// The fixtures hold what the generator says they do.
    func testFixturesCoverTheCases() throws {
        let all = try Self.names.flatMap { try Self.sidecar($0) }
        XCTAssertTrue(all.contains { ($0["client_cert_chain"] as? [Any])?.isEmpty == false })
        XCTAssertTrue(all.contains { $0["hello_retry_request"] as? Bool == true && $0["client_hellos"] as? Int == 2 })
        XCTAssertTrue(all.contains { $0["server_name"] is NSNull && ($0["ja4"] as? String)?.hasPrefix("t12i") == true })
        let certs = all.flatMap { ($0["cert_chain"] as? [[String: Any]]) ?? [] }
        XCTAssertTrue(certs.contains { $0["key_bits"] as? Int == 1024 && $0["self_signed"] as? Bool == true })
        XCTAssertTrue(certs.contains { $0["key_type"] as? String == "ed25519" })
        XCTAssertTrue(certs.contains { ($0["san_ip"] as? [String])?.isEmpty == false })
    }

    /// The JSON record: the nested object with Zeek's names, bytes from the wire escaped; JA4's
    /// raw and original forms only when asked for (`--ja4-raw`).
    func testJSONRecord() throws {
        func record(allForms: Bool) throws -> [String: Any] {
            let dissectors = StandardDissectors(context: DissectorContext(ja4AllForms: allForms))
            let flows = try analyzeCapture(TestEnvironment.capture("fixtures/tls/tls12-mutual.pcap"), dissectors: dissectors).flows
            let facts = try XCTUnwrap(flows.compactMap { $0.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self) }.first)
            let w = JSONWriter(stream: nil)
            w.beginObject(); facts.writeJSON(to: w); w.endObject()
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(w.buffer)) as? [String: Any])
            return try XCTUnwrap(json["tls"] as? [String: Any])
        }
        let plain = try record(allForms: false)
        XCTAssertNotNil(plain["ja4"] as? String)
        for key in ["ja4_r", "ja4_o", "ja4_ro"] { XCTAssertNil(plain[key], "\(key) without --ja4-raw") }
        let tls = try record(allForms: true)
        XCTAssertEqual(tls["ja4"] as? String, plain["ja4"] as? String)
        XCTAssertEqual(tls["version"] as? String, "TLSv12")
        XCTAssertEqual(tls["cipher"] as? String, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
        XCTAssertEqual(tls["server_name"] as? String, "tls.lab.example")
        XCTAssertEqual(tls["alpn"] as? [String], ["h2", "http/1.1"])
        XCTAssertEqual(tls["alpn_selected"] as? String, "h2")
        XCTAssertEqual(tls["established"] as? Bool, true)
        for key in ["ja4", "ja4_r", "ja4_o", "ja4_ro", "ja3", "ja3_string", "ja3s", "ja3s_string"] {
            XCTAssertNotNil(tls[key] as? String, key)
        }
        let leaf = try XCTUnwrap((tls["cert_chain"] as? [[String: Any]])?.first)
        XCTAssertEqual(leaf["cn"] as? String, "tls.lab.example")
        XCTAssertEqual(leaf["san_ip"] as? [String], ["127.0.0.1"])
        XCTAssertEqual((tls["client_cert_chain"] as? [[String: Any]])?.first?["key_type"] as? String, "ecdsa")
    }
}

typealias TLSConversation = DissectorConversation<TLSDissector>

extension DissectorConversation where D == TLSDissector {
    init() { self.init(serverPort: 443) }

    var facts: TLSFacts? { flow.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self) }
}

/// The payload of each direction of each TCP flow of a capture, as the engine delivers it.
struct StreamRecorder: DissectorSet {
    final class Storage { var streams: [UInt64: [[UInt8]]] = [:] }
    let storage = Storage()

    func flowStarted(_ flow: inout FlowState, firstPacket p: Packet) {
        flow.dissectorMask = p.l4Proto == IPProto.tcp ? 1 : 0
    }

    func feed(_ chunk: StreamChunk, flow: inout FlowState) {
        storage.streams[flow.serial, default: [[], []]][chunk.direction.rawValue] += chunk.bytes
    }

    /// (client stream, server stream) of every TCP flow in a fixture, in flow order.
    static func streams(_ fixture: String) throws -> [(client: [UInt8], server: [UInt8])] {
        let recorder = StreamRecorder()
        _ = try analyzeCapture(TestEnvironment.capture("fixtures/tls/\(fixture).pcap"), dissectors: recorder)
        return recorder.storage.streams.sorted { $0.key < $1.key }.map { ($0.value[0], $0.value[1]) }
    }

    /// Every handshake message of a record-layer stream, as (type, body).
    static func handshakeMessages(_ stream: [UInt8]) -> [(type: UInt8, body: [UInt8])] {
        var records = TLSRecordStream()
        var out: [(UInt8, [UInt8])] = []
        let start = stream.indices.first { i in stream[i...].withUnsafeBytes(TLSRecordStream.isRecordHeader) } ?? stream.count
        _ = stream[start...].withUnsafeBytes { raw in
            records.feed(raw) { event in
                if case .handshake(let type, let body) = event { out.append((type, Array(body))) }
                return true
            }
        }
        return out
    }
}
