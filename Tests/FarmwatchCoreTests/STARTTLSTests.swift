import Foundation
import XCTest
@testable import FarmwatchCore

/// STARTTLS: TLS that starts after a plaintext request is handed on to the TLS dissector as an
/// inner stream. First over a real capture (scripts/make-starttls-fixtures.sh: smtplib,
/// imaplib, poplib, ftplib, `openssl s_client -starttls` and psql against small servers, between
/// network namespaces) checked against its sidecar (what was built, and tshark's TLS values)
/// and against tshark itself; then over hand-fed conversations for what the capture does not
/// show.
final class STARTTLSTests: XCTestCase {
    static let path = TestEnvironment.capture("fixtures/tls/starttls.pcap")

    static func sidecar() throws -> [[String: Any]] {
        let url = URL(fileURLWithPath: TestEnvironment.capture("fixtures/tls/starttls.truth.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(json["flows"] as? [[String: Any]])
    }

    static func flows() throws -> [FlowState] {
        try analyzeCapture(path, dissectors: StandardDissectors(context: DissectorContext(ja4AllForms: true))).flows
    }

    static func client(_ flow: FlowState) -> String { "\(flow.originatorAddress):\(flow.originatorPort)" }

    /// The sidecar's entry for `scenario`, the flow farmwatch made of that connection, and the
    /// connection's two byte streams.
    func connection(_ scenario: String) throws -> (truth: [String: Any], flow: FlowState, client: [UInt8], server: [UInt8]) {
        let truth = try Self.sidecar()
        let i = try XCTUnwrap(truth.firstIndex { $0["scenario"] as? String == scenario }, scenario)
        let flow = try XCTUnwrap(try Self.flows().first { Self.client($0) == truth[i]["client"] as? String }, scenario)
        let streams = try StreamRecorder.streams("starttls")
        XCTAssertEqual(streams.count, truth.count, "one TCP connection per scenario")
        return (truth[i], flow, streams[i].client, streams[i].server)
    }

    /// Where a stream's first TLS hello record starts.
    static func firstHello(_ s: [UInt8]) -> Int? {
        s.indices.first { i in
            i + 5 < s.count && s[i] == 22 && s[i + 1] == 3 && (s[i + 5] == 1 || s[i + 5] == 2)
        }
    }

    func opener(_ flow: FlowState) -> STARTTLSFacts? {
        flow.metadata?.facts(StandardDissectors.startTLSSlot, as: STARTTLSFacts.self)
    }

    func tls(_ flow: FlowState) -> TLSFacts? { flow.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self) }

    /// An accepted STARTTLS: the opener names the protocol, the inner stream starts exactly at
    /// each side's first TLS record, and the TLS facts are tshark's.
    func checkAccepted(_ scenario: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (e, flow, client, server) = try connection(scenario)
        XCTAssertEqual(e["tls"] as? Bool, true, "\(scenario): built as accepted", file: file, line: line)
        let opener = try XCTUnwrap(opener(flow), scenario, file: file, line: line)
        XCTAssertEqual(opener.requested.map { "\($0.name)" }, e["starttls"] as? String, scenario, file: file, line: line)
        XCTAssertEqual(opener.status, .accepted, scenario, file: file, line: line)
        XCTAssertEqual(opener.clientSide, .originator, scenario, file: file, line: line)
        let start = try XCTUnwrap(flow.metadata?.innerStream?.start, "\(scenario): handed on", file: file, line: line)
        XCTAssertEqual(start.originatorOffset, Self.firstHello(client), "\(scenario): client side", file: file, line: line)
        XCTAssertEqual(start.responderOffset, Self.firstHello(server), "\(scenario): server side", file: file, line: line)

        let f = try XCTUnwrap(tls(flow), "\(scenario): TLS facts", file: file, line: line)
        XCTAssertEqual(e["tshark_tls"] as? Bool, true, file: file, line: line)
        XCTAssertEqual(TLSFixtureTests.text(f.clientHello?.serverName), e["sni"] as? String, scenario, file: file, line: line)
        XCTAssertEqual(TLSFixtureTests.text(f.clientHello?.serverName), e["server_name"] as? String, scenario, file: file, line: line)
        XCTAssertEqual(TLSFixtureTests.text(flow.metadata?.serverName), e["sni"] as? String, scenario, file: file, line: line)
        let ja4 = try XCTUnwrap(f.ja4, scenario, file: file, line: line)
        XCTAssertEqual(ja4.ja4, e["ja4"] as? String, scenario, file: file, line: line)
        XCTAssertEqual(ja4.raw, e["ja4_r"] as? String, scenario, file: file, line: line)
        XCTAssertEqual(ja4.original, e["ja4_o"] as? String, scenario, file: file, line: line)
        XCTAssertEqual(f.ja3, e["ja3"] as? String, scenario, file: file, line: line)
        XCTAssertEqual(f.ja3String, e["ja3_string"] as? String, scenario, file: file, line: line)
        XCTAssertEqual(f.ja3s, e["ja3s"] as? String, scenario, file: file, line: line)
        XCTAssertEqual(f.serverHello.map { TLSVersion.name($0.negotiatedVersion) }, e["version"] as? String, scenario,
                       file: file, line: line)
        XCTAssertEqual(f.serverHello.map { String(format: "0x%04x", $0.cipher) }, e["cipher"] as? String, scenario,
                       file: file, line: line)
        XCTAssertEqual(f.serverCertificates.map(TLSFixtureTests.fields),
                       try XCTUnwrap(e["cert_chain"] as? [[String: Any]]).map(TLSFixtureTests.fields), scenario,
                       file: file, line: line)
        XCTAssertTrue(f.established, scenario, file: file, line: line)
        XCTAssertEqual(flow.metadata?.protocols.map(\.family), [.tls], scenario, file: file, line: line)
        XCTAssertEqual(flow.metadata?.parseErrors ?? 0, 0, scenario, file: file, line: line)
    }

    /// A near miss: no inner stream, no TLS; the opener says what was asked and refused, or
    /// nothing when nothing was asked.
    func checkPlaintext(_ scenario: String, refused: STARTTLSProtocol?, file: StaticString = #filePath, line: UInt = #line) throws {
        let (e, flow, _, _) = try connection(scenario)
        XCTAssertEqual(e["tls"] as? Bool, false, "\(scenario): built as plaintext", file: file, line: line)
        XCTAssertEqual(e["tshark_tls"] as? Bool, false, "\(scenario): tshark finds no TLS either", file: file, line: line)
        XCTAssertNil(flow.metadata?.innerStream, scenario, file: file, line: line)
        XCTAssertNil(tls(flow), scenario, file: file, line: line)
        XCTAssertEqual(flow.metadata?.protocols.map(\.family) ?? [], [], scenario, file: file, line: line)
        XCTAssertEqual(opener(flow)?.requested, refused, scenario, file: file, line: line)
        if refused != nil { XCTAssertEqual(opener(flow)?.status, .refused, scenario, file: file, line: line) }
    }

    // MARK: The capture, one opener at a time

    func testSMTP() throws { try checkAccepted("smtp") }
    /// Found by content: 2525 is no port SMTP owns (tshark needs telling).
    func testSMTPOnAnUnreservedPort() throws { try checkAccepted("smtp-2525") }
    func testIMAP() throws { try checkAccepted("imap") }
    func testPOP3() throws { try checkAccepted("pop3") }
    /// TLS 1.2: the server's certificates are read after the hand-over too.
    func testFTPWithCertificates() throws {
        try checkAccepted("ftp")
        let f = try XCTUnwrap(tls(try connection("ftp").flow))
        XCTAssertEqual(f.serverCertificates.count, 2)
        XCTAssertEqual(TLSFixtureTests.text(f.serverCertificates.first?.commonName), "mail.lab.example")
    }
    func testNNTP() throws { try checkAccepted("nntp") }
    func testManageSieve() throws { try checkAccepted("managesieve") }
    func testXMPP() throws { try checkAccepted("xmpp") }
    /// OpenSSL's request in short-form BER, the answer in OpenLDAP's 4-byte long form.
    func testLDAP() throws { try checkAccepted("ldap") }
    func testPostgreSQL() throws { try checkAccepted("postgresql") }

    func testRefusedSMTPStaysPlaintext() throws { try checkPlaintext("smtp-refused", refused: .smtp) }
    func testRefusedIMAPStaysPlaintext() throws { try checkPlaintext("imap-refused", refused: .imap) }
    /// libpq's fallback: N, then the StartupMessage in the clear.
    func testRefusedPostgreSQLStaysPlaintext() throws { try checkPlaintext("postgresql-refused", refused: .postgresql) }
    /// EHLO lists STARTTLS and a mail body has STARTTLS and 220 lines: nothing was asked.
    func testCapabilityListAndMailBodyMentioningSTARTTLSOpenNothing() throws {
        try checkPlaintext("smtp-plain", refused: nil)
    }

    /// The fixture holds what the generator says it does.
    func testFixtureCoversEveryOpener() throws {
        let all = try Self.sidecar()
        XCTAssertEqual(Set(all.filter { $0["tls"] as? Bool == true }.compactMap { $0["starttls"] as? String }),
                       ["smtp", "imap", "pop3", "ftp", "nntp", "managesieve", "xmpp", "ldap", "postgresql"])
        XCTAssertEqual(all.filter { $0["tls"] as? Bool == false && $0["starttls"] is String }.count, 3)
        XCTAssertTrue(all.contains { $0["starttls"] is NSNull })
    }

    /// tshark, run now (not the sidecar), finds TLS in the same connections, with the same SNI
    /// and JA3 (it decodes STARTTLS on the protocols' own ports; 2525 it is told is SMTP).
    func testSNIAndJA3AgreeWithTshark() throws {
        let tshark = try TestEnvironment.requireTool("tshark")
        let out = try TestEnvironment.run(tshark, ["-n", "-r", Self.path, "-d", "tcp.port==2525,smtp",
                                                   "-Y", "tls.handshake.type == 1", "-T", "fields", "-e", "ip.src",
                                                   "-e", "tcp.srcport", "-e", "tls.handshake.extensions_server_name",
                                                   "-e", "tls.handshake.ja3"])
        var theirs: [String: [String]] = [:]
        for line in out.split(separator: "\n") {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard c.count == 4 else { continue }
            theirs["\(c[0]):\(c[1])"] = [c[2], c[3]]
        }
        var ours: [String: [String]] = [:]
        for flow in try Self.flows() {
            guard let f = tls(flow), let hello = f.clientHello else { continue }
            ours[Self.client(flow)] = [TLSFixtureTests.text(hello.serverName) ?? "", f.ja3 ?? ""]
        }
        XCTAssertEqual(ours.count, 10)
        XCTAssertEqual(ours, theirs)
    }

    /// The flow records: `starttls` beside the usual `tls` object.
    func testJSONRecord() throws {
        let w = JSONWriter(stream: nil)
        for flow in try Self.flows() { FlowRecordWriter.write(flow, reason: .endOfInput, to: w) }
        var records: [Int: [String: Any]] = [:]
        for line in w.buffer.split(separator: 0x0A) {
            let r = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            records[try XCTUnwrap(r["id.orig_p"] as? Int)] = r
        }
        func record(_ scenario: String) throws -> [String: Any] {
            let client = try XCTUnwrap(try Self.sidecar().first { $0["scenario"] as? String == scenario }?["client"] as? String)
            return try XCTUnwrap(records[Int(client.split(separator: ":")[1])!])
        }
        let smtp = try record("smtp")
        XCTAssertEqual(smtp["starttls"] as? [String: String], ["protocol": "smtp", "status": "accepted"])
        XCTAssertEqual(smtp["protocols"] as? [String], ["tls"])
        let tls = try XCTUnwrap(smtp["tls"] as? [String: Any])
        XCTAssertEqual(tls["server_name"] as? String, "mail.lab.example")
        XCTAssertNotNil(tls["ja4"] as? String)
        XCTAssertEqual(tls["established"] as? Bool, true)
        XCTAssertEqual(try record("postgresql")["starttls"] as? [String: String], ["protocol": "postgresql", "status": "accepted"])
        let refused = try record("imap-refused")
        XCTAssertEqual(refused["starttls"] as? [String: String], ["protocol": "imap", "status": "refused"])
        XCTAssertNil(refused["tls"])
        let plain = try record("smtp-plain")
        XCTAssertNil(plain["starttls"])
        XCTAssertNil(plain["tls"])
    }

    // MARK: Hand-fed conversations

    typealias Conversation = DissectorConversation<STARTTLSOpener>

    /// The real SMTP connection's TLS bytes after a hand-written prologue.
    static func smtpHellos() throws -> (client: [UInt8], server: [UInt8]) {
        let s = try StreamRecorder.streams("starttls")[0]
        return (Array(s.client[try XCTUnwrap(firstHello(s.client))...]), Array(s.server[try XCTUnwrap(firstHello(s.server))...]))
    }

    /// A client that says more than TLSDissector.preambleLimit before it asks: the TLS
    /// dissector's own search for a record at a chunk's start gives up there; the hand-over
    /// does not depend on it.
    func testLongPrologueIsHandedOverExactly() throws {
        let hellos = try Self.smtpHellos()
        var c = InnerStreamTests.SetConversation()
        c.send(.responder, "220 mx.example.test ESMTP\r\n")
        c.send(.originator, "EHLO client.example.test\r\n")
        c.send(.responder, "250-mx.example.test\r\n250 STARTTLS\r\n")
        var said = 0
        while said <= TLSDissector.preambleLimit {
            let noop = "NOOP " + String(repeating: "x", count: 500) + "\r\n"
            c.send(.originator, noop)
            c.send(.responder, "250 2.0.0 OK\r\n")
            said += noop.utf8.count
        }
        c.send(.originator, "STARTTLS\r\n")
        c.send(.responder, "220 2.0.0 Ready to start TLS\r\n")
        c.send(.originator, hellos.client)
        c.send(.responder, hellos.server)
        c.set.flowEnding(&c.flow)
        let tls = try XCTUnwrap(c.flow.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self))
        XCTAssertEqual(TLSFixtureTests.text(tls.clientHello?.serverName), "mail.lab.example")
        XCTAssertTrue(tls.established)
        XCTAssertEqual(c.protocols, ["tls"])
        XCTAssertEqual(c.flow.metadata?.facts(StandardDissectors.startTLSSlot, as: STARTTLSFacts.self)?.status, .accepted)
        XCTAssertEqual(c.flow.metadata?.parseErrors, 0)
    }

    /// libpq asks for GSSAPI encryption first when it may: N, then an SSLRequest, then S. The
    /// server is the originator here (a capture that began with its side, roles swapped).
    func testPostgreSQLGSSENCRequestThenSSLRequest() {
        var c = Conversation(serverPort: 5432)
        let gss: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x30], ssl: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]
        XCTAssertEqual(c.send(.responder, gss), .wantMore)
        XCTAssertEqual(c.send(.originator, Array("N".utf8)), .wantMore)
        XCTAssertNil(c.facts?.requested, "GSSAPI encryption is not STARTTLS")
        XCTAssertEqual(c.send(.responder, ssl), .wantMore)
        XCTAssertEqual(c.facts?.requested, .postgresql)
        XCTAssertEqual(c.send(.originator, Array("S".utf8)),
                       .innerStream(InnerStreamStart(originatorOffset: 2, responderOffset: 16)))

        var g = Conversation(serverPort: 5432)
        g.send(.originator, gss)
        XCTAssertEqual(g.send(.responder, Array("G".utf8)), .done, "G: GSSAPI encryption, not TLS")
        XCTAssertNil(g.facts?.requested)
    }

    /// Lines cut across segments; IMAP's untagged responses and another command's tagged
    /// answer before the STARTTLS answer; the answer's tag must be the request's.
    func testIMAPAnswerFoundAmongOtherResponsesAcrossSegments() {
        var c = Conversation(serverPort: 143)
        let greeting = "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"
        c.send(.responder, greeting, splits: [12, 30])
        let commands = "A1 NOOP\r\nA2 starttls\r\n"
        c.send(.originator, commands, splits: [13, 15])
        XCTAssertEqual(c.facts?.requested, .imap)
        let others = "* 1 EXISTS\r\nA1 OK NOOP done\r\nA2"
        XCTAssertEqual(c.send(.responder, others, splits: [5]), .wantMore)
        XCTAssertEqual(c.facts?.status, .unanswered)
        let answer = " OK Begin TLS\r\n"
        XCTAssertEqual(c.send(.responder, answer), .innerStream(InnerStreamStart(
            originatorOffset: commands.utf8.count, responderOffset: (greeting + others + answer).utf8.count)))
    }

    /// XMPP's answer may be an open tag with its closing tag after it; the request too.
    func testXMPPOpenAndCloseTags() {
        var c = Conversation(serverPort: 5222)
        let header = "<?xml version='1.0'?><stream:stream to='chat.example.test' version='1.0'>"
        c.send(.originator, header)
        let features = "<stream:stream from='chat.example.test' version='1.0'><stream:features>"
            + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"
        c.send(.responder, features)
        XCTAssertNil(c.facts?.requested, "the server's offer is not the client's request")
        let request = "\n<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'></starttls>"
        c.send(.originator, request, splits: [20])
        let proceed = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
        XCTAssertEqual(c.send(.responder, proceed), .wantMore)
        let closing = "</proceed>"
        XCTAssertEqual(c.send(.responder, closing), .innerStream(InnerStreamStart(
            originatorOffset: (header + request).utf8.count, responderOffset: (features + proceed + closing).utf8.count)))

        var refused = Conversation(serverPort: 5222)
        refused.send(.originator, header)
        refused.send(.responder, features)
        refused.send(.originator, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        XCTAssertEqual(refused.send(.responder, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"), .done)
        XCTAssertEqual(refused.facts?.status, .refused)
    }

    /// FTP's multi-line replies; AUTH TLS refused (RFC 4217 §4: 534) leaves the session in the clear.
    func testFTPContinuationLinesAndRefusal() {
        var c = Conversation(serverPort: 21)
        c.send(.responder, "220-Welcome\r\n220-to the lab\r\n220 ready\r\n")
        c.send(.originator, "AUTH TLS\r\n")
        XCTAssertEqual(c.facts?.requested, .ftp)
        XCTAssertEqual(c.send(.responder, "534-Policy\r\n"), .wantMore, "not the last line of the reply")
        XCTAssertEqual(c.send(.responder, "534 TLS not available\r\n"), .done)
        XCTAssertEqual(c.facts?.status, .refused)
    }

    /// Near misses: STARTTLS said where no greeting opened a known dialect (an HTTP request),
    /// inside a line, or as the server's offer; an LDAP request that is not StartTLS; an LDAP
    /// StartTLS answered with an error.
    func testNearMisses() {
        var http = Conversation(serverPort: 25)
        XCTAssertEqual(http.send(.originator, "POST / HTTP/1.1\r\n\r\nSTARTTLS\r\n"), .notMine)

        var smtp = Conversation(serverPort: 25)
        smtp.send(.responder, "220 mx ESMTP\r\n")
        smtp.send(.originator, "HELP STARTTLS\r\n")
        XCTAssertEqual(smtp.send(.responder, "220 mx says hello\r\n"), .wantMore)
        XCTAssertNil(smtp.facts?.requested)
        smtp.send(.originator, "STARTTLS\r\n")
        smtp.send(.originator, "QUIT\r\n")
        XCTAssertNil(smtp.facts?.requested, "followed by more before an answer: not a request")
        XCTAssertEqual(smtp.send(.responder, "220 late\r\n"), .wantMore)
        XCTAssertNil(smtp.flow.metadata?.innerStream)

        // LDAP bind request (op 0x60), not StartTLS.
        var bind = Conversation(serverPort: 389)
        XCTAssertEqual(bind.send(.originator, [0x30, 0x0C, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00]),
                       .notMine)

        let oid = Array("1.3.6.1.4.1.1466.20037".utf8)
        let request: [UInt8] = [0x30, 0x1D, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16] + oid
        var ldap = Conversation(serverPort: 389)
        XCTAssertEqual(ldap.send(.originator, request), .wantMore)
        XCTAssertEqual(ldap.facts?.requested, .ldap)
        // resultCode 2, protocolError.
        XCTAssertEqual(ldap.send(.responder, [0x30, 0x0C, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0A, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00]),
                       .done)
        XCTAssertEqual(ldap.facts?.status, .refused)

        var other = Conversation(serverPort: 389)
        other.send(.originator, request)
        // The answer to another messageID is not this request's.
        XCTAssertEqual(other.send(.responder, [0x30, 0x0C, 0x02, 0x01, 0x07, 0x78, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]),
                       .done)
        XCTAssertEqual(other.facts?.status, .unanswered)
    }

    /// Hostile lengths and truncations are refused without trapping: an LDAP message must lie
    /// whole in its segment (the request and its answer are a few dozen bytes).
    func testHostileBytes() {
        let oid = Array("1.3.6.1.4.1.1466.20037".utf8)
        let requests: [[UInt8]] = [
            [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16] + oid,
            [0x30, 0x85, 0, 0, 0, 0, 1],
            [0x30, 0x1D, 0x02, 0x04, 0xFF, 0xFF, 0xFF, 0xFF, 0x77, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x80, 0xFF],
            [0x30, 0x1D, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16] + oid.prefix(10),
            [0x30], [0, 0, 0, 8, 0x04, 0xD2], [],
        ]
        for bytes in requests {
            var c = Conversation(serverPort: 389)
            c.send(.originator, bytes)
            c.send(.responder, [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x01, 0x78, 0x03, 0x0A, 0x01, 0x00])
            XCTAssertNil(c.flow.metadata?.innerStream)
        }
        // Lines longer than what a line head keeps, and a line without end, in every dialect.
        for greeting in ["220 x\r\n", "200 x\r\n", "+OK\r\n", "* OK\r\n", "\"SASL\"\r\n"] {
            var c = Conversation(serverPort: 1)
            c.send(.responder, greeting)
            c.send(.originator, String(repeating: "a ", count: 5000) + "\r\nSTARTTLS")
            c.send(.responder, String(repeating: "2", count: 20000))
            XCTAssertNil(c.flow.metadata?.innerStream)
        }
    }
}

extension DissectorConversation where D == STARTTLSOpener {
    var facts: STARTTLSFacts? { flow.metadata?.facts(StandardDissectors.startTLSSlot, as: STARTTLSFacts.self) }
}
