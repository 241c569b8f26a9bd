import XCTest
@testable import FarmwatchCore

typealias RFBConversation = DissectorConversation<RFBDissector>

extension DissectorConversation where D == RFBDissector {
    var facts: RFBFacts? { flow.metadata?.facts(StandardDissectors.rfbSlot, as: RFBFacts.self) }
    var rfb: [String: Any]? { RemoteControlSupport.object(flow, "rfb") }
}

final class RFBTests: XCTestCase {
    /// The 3.8 handshake of Zeek's vnc-scanner.pcap (frames 4–15), whole.
    func testVersion38AuthenticationFailure() {
        var c = RFBConversation(serverPort: 5900)
        c.send(.responder, "RFB 003.008\n")
        c.send(.originator, "RFB 003.008\n")
        XCTAssertEqual(c.facts?.recognition?.family, .vnc)
        c.send(.responder, [0x02, 0x02, 0x10])                 // two types: VNC, Tight
        c.send(.originator, [0x02])                             // VNC authentication
        c.send(.responder, fromHex("435414aa5735603f719e3bab73fd2de5"))
        c.send(.originator, fromHex("50e93126e93f23aeebc83832eb69af52"))
        c.send(.responder, [0, 0, 0, 1])
        c.send(.responder, [0, 0, 0, 0x29])
        XCTAssertEqual(c.send(.responder, "Authentication failed from    192.168.0.1"), .wantMore)
        let rfb = c.rfb
        XCTAssertEqual(rfb?["authentication_method"] as? String, "VNC")
        XCTAssertEqual(rfb?["auth"] as? Bool, false)
        XCTAssertEqual(rfb?["failure_reason"] as? String, "Authentication failed from    192.168.0.1")
        XCTAssertEqual(rfb?["offered_authentication_methods"] as? [String], ["VNC", "Tight"])
        XCTAssertEqual(c.parseErrors, 0)
    }

    func testNonBannersAreRefusedWithoutAllocating() {
        let openings: [(Direction, String)] = [
            (.responder, "RFB 003.8\n"),            // short prefix, not a 12-byte banner
            (.responder, "RFB 3.008\n  "),
            (.responder, "RFB-003.008\n"),
            (.originator, "GET / HTTP/1.1\r\n\r\n"),
            (.responder, "SSH-2.0-OpenSSH_9.2\r\n"),
            (.originator, "\u{16}\u{03}\u{01}\u{00}"),
        ]
        for (side, text) in openings {
            var c = RFBConversation(serverPort: 5900)
            XCTAssertEqual(c.send(side, text), .notMine, text)
            XCTAssertNil(c.flow.metadata, text)
        }
    }

    func testServerBannerAloneIsNotEnough() {
        var c = RFBConversation(serverPort: 5900)
        XCTAssertEqual(c.send(.responder, "RFB 003.008\n"), .wantMore)
        XCTAssertNil(c.facts?.recognition)
        XCTAssertNil(c.rfb, "nothing written before the flow is known to be RFB")
        // The client answering with something else: the flow is let go.
        XCTAssertEqual(c.send(.originator, "HELLO WORLD!"), .notMine)
    }

    func testBannerCutByteByByte() {
        var c = RFBConversation(serverPort: 5900)
        c.send(.responder, "RFB 003.008\n", splits: Array(1..<12))
        c.send(.originator, "RFB 003.003\n", splits: [3, 7])
        XCTAssertEqual(c.rfb?["client_minor_version"] as? String, "003")
        XCTAssertEqual(c.rfb?["server_minor_version"] as? String, "008")
    }

    /// Zeek's rfb.log for its VNC captures, field by field.
    func testAgreesWithZeekRFBLog() throws {
        var compared = 0
        for capture in ["zeek__rfb__vnc-mac-to-linux.pcap", "zeek__rfb__vnc-scanner.pcap"] {
            let flows = try RemoteControlSupport.corpusFlows(capture)
            for row in try RemoteControlSupport.zeekLog(capture, "rfb.log") {
                let port = Int(row["id.orig_p"]!)!
                let flow = try XCTUnwrap(flows.first { Int($0.originatorPort) == port }, "\(capture) \(port)")
                XCTAssertEqual(RemoteControlSupport.protocols(flow), ["vnc"])
                let rfb = try XCTUnwrap(RemoteControlSupport.object(flow, "rfb"))
                for field in ["client_major_version", "client_minor_version", "server_major_version",
                              "server_minor_version", "authentication_method", "desktop_name"] {
                    XCTAssertEqual(rfb[field] as? String ?? "-", row[field], "\(capture) \(port) \(field)")
                }
                for field in ["auth", "share_flag"] {
                    XCTAssertEqual((rfb[field] as? Bool).map { $0 ? "T" : "F" } ?? "-", row[field], "\(capture) \(port) \(field)")
                }
                for field in ["width", "height"] {
                    XCTAssertEqual((rfb[field] as? Int).map(String.init) ?? "-", row[field], "\(capture) \(port) \(field)")
                }
                XCTAssertEqual(flow.metadata?.parseErrors ?? 0, 0)
                compared += 1
            }
        }
        XCTAssertEqual(compared, 4)
    }
}
