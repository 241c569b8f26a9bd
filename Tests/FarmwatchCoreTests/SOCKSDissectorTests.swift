import XCTest
@testable import FarmwatchCore

/// The SOCKS dissector on byte-exact conversations built from the specifications: RFC 1928
/// (SOCKS 5), RFC 1929 (username/password), SOCKS 4 and the SOCKS 4a extension.
final class SOCKSDissectorTests: XCTestCase {
    typealias Conversation = DissectorConversation<SOCKSDissector>

    static func facts(_ c: Conversation) -> SOCKSFacts? {
        c.flow.metadata?.facts(StandardDissectors.socksSlot, as: SOCKSFacts.self)
    }

    static func json(_ c: Conversation) -> String {
        let w = JSONWriter(stream: nil)
        w.beginObject(); facts(c)?.writeJSON(to: w); w.endObject()
        return String(decoding: w.buffer, as: UTF8.self)
    }

    /// RFC 1928 §3, §4, §6 with RFC 1929 §2: greeting offering none and username/password,
    /// the server choosing username/password, the sub-negotiation, a CONNECT to a domain name.
    func testSOCKS5WithUsernamePasswordOpensTheTunnel() throws {
        var c = Conversation(serverPort: 1080)
        let greeting: [UInt8] = [5, 2, 0, 2]
        let auth: [UInt8] = [1, 5] + Array("alice".utf8) + [6] + Array("s3cret".utf8)
        let request: [UInt8] = [5, 1, 0, 3, 11] + Array("example.com".utf8) + [0x01, 0xBB]
        let reply: [UInt8] = [5, 0, 0, 1, 192, 0, 2, 1, 0x9C, 0x40]
        XCTAssertEqual(c.send(.originator, greeting), .wantMore)
        XCTAssertEqual(c.send(.responder, [5, 2]), .wantMore)
        c.send(.originator, auth)
        c.send(.responder, [1, 0])
        c.send(.originator, request)
        XCTAssertEqual(c.send(.responder, reply + [0x53, 0x53, 0x48]),
                       .innerStream(InnerStreamStart(originatorOffset: greeting.count + auth.count + request.count,
                                                     responderOffset: 2 + 2 + reply.count)))
        let f = try XCTUnwrap(Self.facts(c))
        XCTAssertEqual(f.version, 5)
        XCTAssertEqual(f.offeredMethods, [0, 2])
        XCTAssertEqual(f.authMethod, 2)
        XCTAssertEqual(f.user?.text, "alice")
        XCTAssertTrue(f.passwordSent)
        XCTAssertEqual(f.authStatus, 0)
        XCTAssertEqual(f.command, 1)
        XCTAssertEqual(f.target, .domain(Array("example.com".utf8)))
        XCTAssertEqual(f.targetPort, 443)
        XCTAssertEqual(f.replyCode, 0)
        XCTAssertEqual(f.bound, .ipv4(IPAddress(v4: 0xC000_0201)))
        XCTAssertEqual(f.boundPort, 40000)
        XCTAssertTrue(f.tunnelOpened)
        XCTAssertEqual(f.recognition?.family, .socks)
        XCTAssertEqual(f.recognition?.layer, Layer.relay)
        let json = Self.json(c)
        XCTAssertFalse(json.contains("s3cret"), "the password is never written")
        XCTAssertTrue(json.contains("\"auth_method\":\"username_password\""), json)
        XCTAssertTrue(json.contains("\"target_host\":\"example.com\""), json)
        XCTAssertTrue(json.contains("\"status\":\"succeeded\""), json)
        XCTAssertEqual(c.parseErrors, 0)
    }

    /// A client that sends its first tunnel bytes before the answer: they are held and handed
    /// to the inner stream.
    func testBytesSentBeforeTheAnswerAreHeldForTheTunnel() {
        var c = Conversation(serverPort: 1080)
        c.send(.originator, [5, 1, 0])
        c.send(.responder, [5, 0])
        let request: [UInt8] = [5, 1, 0, 4] + [UInt8](repeating: 0, count: 15) + [1] + [0, 22]
        c.send(.originator, request + Array("SSH-2.0-x\r\n".utf8))
        XCTAssertEqual(c.send(.responder, [5, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
                       .innerStream(InnerStreamStart(originatorOffset: 3 + request.count, responderOffset: 12)))
        XCTAssertEqual(Self.facts(c)?.target, .ipv6(IPAddress("::1")!))
        XCTAssertEqual(c.flow.metadata?.pendingInnerPrelude.text, "SSH-2.0-x\r\n")
    }

    /// SOCKS 4 and 4a: the 4a host name after the user id, the 8-byte reply.
    func testSOCKS4aRequestAndRejection() throws {
        var c = Conversation(serverPort: 1080)
        c.send(.originator, [4, 1, 0, 80, 0, 0, 0, 9] + Array("bob".utf8) + [0] + Array("intranet.test".utf8) + [0])
        XCTAssertEqual(c.send(.responder, [0, 91, 0, 0, 0, 0, 0, 0]), .done)
        let f = try XCTUnwrap(Self.facts(c))
        XCTAssertTrue(f.isSOCKS4a)
        XCTAssertEqual(f.target, .domain(Array("intranet.test".utf8)))
        XCTAssertEqual(f.targetPort, 80)
        XCTAssertEqual(f.user?.text, "bob")
        XCTAssertFalse(f.tunnelOpened)
        XCTAssertTrue(Self.json(c).contains("\"status\":\"rejected\""))
        XCTAssertNotNil(f.recognition)
    }

    /// BIND (RFC 1928 §4): the tunnel opens on the second reply, not the first.
    func testBindOpensOnTheSecondReply() {
        var c = Conversation(serverPort: 1080)
        c.send(.originator, [5, 1, 0])
        c.send(.responder, [5, 0])
        c.send(.originator, [5, 2, 0, 1, 198, 51, 100, 7, 0, 21])
        XCTAssertEqual(c.send(.responder, [5, 0, 0, 1, 203, 0, 113, 5, 0x13, 0x88]), .wantMore)
        XCTAssertEqual(c.send(.responder, [5, 0, 0, 1, 198, 51, 100, 7, 0x4E, 0x20]),
                       .innerStream(InnerStreamStart(originatorOffset: 13, responderOffset: 22)))
        XCTAssertEqual(Self.facts(c)?.boundPort, 5000, "the first reply names where the server listens")
    }

    /// UDP ASSOCIATE: the datagrams go elsewhere; this connection carries no tunnel.
    func testUDPAssociateOpensNoTunnel() {
        var c = Conversation(serverPort: 1080)
        c.send(.originator, [5, 1, 0])
        c.send(.responder, [5, 0])
        c.send(.originator, [5, 3, 0, 1, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(c.send(.responder, [5, 0, 0, 1, 10, 0, 0, 1, 0x1F, 0x90]), .done)
        XCTAssertTrue(Self.json(c).contains("\"request\":\"udp_associate\""))
    }

    /// What is not SOCKS is given up on its first chunk, with nothing allocated; a look-alike
    /// greeting that the server does not answer in SOCKS is not recognised nor an error.
    func testNearMissesAreNotSOCKS() {
        let notSOCKS: [[UInt8]] = [
            Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8),
            [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03],
            Array("SSH-2.0-OpenSSH_9.2\r\n".utf8),
            [5, 0],                       // no methods
            [5, 2, 0, 0x42],              // an unassigned method
            [5, 1, 0, 0xAA, 0xBB],        // trailing bytes that are no request
            [4, 1, 0, 80, 1, 2, 3, 4, 0x41, 0x42],   // no NUL after the user id
            [4, 3, 0, 80, 1, 2, 3, 4, 0],            // no such command
        ]
        for bytes in notSOCKS {
            var c = Conversation(serverPort: 1080)
            XCTAssertEqual(c.send(.originator, bytes), .notMine, "\(bytes.prefix(6))")
            XCTAssertNil(c.flow.metadata)
        }
        // A capture whose originator was guessed wrong (no SYN seen): the client is whoever greets.
        var flipped = Conversation(serverPort: 1080)
        XCTAssertEqual(flipped.send(.responder, [5, 1, 0]), .wantMore)
        XCTAssertEqual(Self.facts(flipped)?.clientSide, .responder)

        var lookAlike = Conversation(serverPort: 4000)
        lookAlike.send(.originator, [5, 1, 0])
        XCTAssertEqual(lookAlike.send(.responder, Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8)), .done)
        XCTAssertNil(Self.facts(lookAlike)?.recognition)
        XCTAssertEqual(lookAlike.parseErrors, 0)

        var wrongChoice = Conversation(serverPort: 1080)
        wrongChoice.send(.originator, [5, 1, 0])
        XCTAssertEqual(wrongChoice.send(.responder, [5, 2]), .done, "a method the client did not offer")
        XCTAssertNil(Self.facts(wrongChoice)?.recognition)
    }

    /// Hostile lengths and split messages: no crash, no growth past the buffer limit.
    func testSplitAndHostileInput() throws {
        var split = Conversation(serverPort: 1080)
        let request: [UInt8] = [5, 1, 0, 3, 9] + Array("a.example".utf8) + [0, 80]
        split.send(.originator, [5, 1, 0])
        split.send(.responder, [5, 0])
        split.send(.originator, request, splits: [1, 4, 5, 9])
        XCTAssertEqual(split.send(.responder, [5, 0, 0, 1, 0, 0, 0, 0, 0, 0], splits: [1, 3, 7]),
                       .innerStream(InnerStreamStart(originatorOffset: 3 + request.count, responderOffset: 12)))

        var flood = Conversation(serverPort: 1080)
        flood.send(.originator, [5, 1, 0])
        flood.send(.responder, [5, 0])
        flood.send(.originator, [5, 1, 0, 3, 200] + [UInt8](repeating: 0x61, count: 150))
        flood.send(.originator, [UInt8](repeating: 0x61, count: 8000))
        XCTAssertEqual(flood.verdict, .done)
        XCTAssertEqual(flood.parseErrors, 1, "a flow that was SOCKS and broke is counted once")

        var gap = Conversation(serverPort: 1080)
        gap.send(.originator, [5, 1, 0])
        gap.sendAfterLoss(.responder, lost: 10, "xx")
        XCTAssertEqual(gap.verdict, .done)
    }
}
