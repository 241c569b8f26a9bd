import XCTest
@testable import FarmwatchCore

typealias RDPConversation = DissectorConversation<RDPDissector>

extension DissectorConversation where D == RDPDissector {
    var facts: RDPFacts? { flow.metadata?.facts(StandardDissectors.rdpSlot, as: RDPFacts.self) }
}

/// Real RDP bytes: the Connection Request and Confirm of nDPI's rdp_over_tls.pcap (frames 4
/// and 5) and of Zeek's rdp-proprietary-encryption.pcap (frames 4 and 5).
enum RDPSamples {
    static let requestTLS = fromHex("0300002f2ae00000000000436f6f6b69653a206d737473686173683d574465706c6f7941640d0a0100080003000000")
    static let confirmHybrid = fromHex("030000130ed00000123400021f080002000000")
    static let requestStandard = fromHex("0300002f2ae00000000000436f6f6b69653a206d737473686173683d465442434f5c4137300d0a0100080001000000")
    static let confirmFailure = fromHex("030000130ed000001234000300080002000000")
}

final class RDPTests: XCTestCase {
    func testNegotiationSelectingCredSSP() {
        var c = RDPConversation(serverPort: 3389)
        XCTAssertEqual(c.send(.originator, RDPSamples.requestTLS), .wantMore)
        // CredSSP selected: TLS follows on both sides, the clear text is over.
        XCTAssertEqual(c.send(.responder, RDPSamples.confirmHybrid), .done)
        let f = try! XCTUnwrap(c.facts)
        XCTAssertEqual(f.cookie?.text, "WDeployAd")
        XCTAssertEqual(f.requestedProtocols, 3)
        XCTAssertEqual(f.selectedProtocol, 2)
        XCTAssertEqual(f.recognition?.family, .rdp)
        XCTAssertEqual(c.parseErrors, 0)
    }

    func testRequestCutAcrossSegmentsGivesTheSameFacts() {
        for cut in [1, 3, 5, 11, 20, 46] {
            var c = RDPConversation(serverPort: 3389)
            c.send(.originator, RDPSamples.requestTLS, splits: [cut])
            XCTAssertEqual(c.facts?.cookie?.text, "WDeployAd", "cut at \(cut)")
            XCTAssertEqual(c.facts?.requestedProtocols, 3, "cut at \(cut)")
        }
    }

    func testNegotiationFailureIsTheResult() {
        var c = RDPConversation(serverPort: 3389)
        c.send(.originator, RDPSamples.requestStandard)
        XCTAssertEqual(c.send(.responder, RDPSamples.confirmFailure), .done)
        let json = RemoteControlSupport.record(c.flow)["rdp"] as? [String: Any]
        XCTAssertEqual(json?["result"] as? String, "SSL_NOT_ALLOWED_BY_SERVER")
        XCTAssertEqual(json?["cookie"] as? String, "FTBCO\\A70")
        XCTAssertEqual(json?["requested_protocols"] as? [String], ["SSL"])
    }

    func testNonRDPStreamsAreRefusedWithoutAllocating() {
        let openings: [[UInt8]] = [
            [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03],       // TLS ClientHello
            Array("GET / HTTP/1.1\r\nHost: rdp\r\n\r\n".utf8),
            Array("SSH-2.0-OpenSSH_9.2\r\n".utf8),
            // ISO-on-TCP (S7comm) Connection Request: TSAP parameters after the class byte.
            fromHex("0300001611e00000000100c0010ac1020100c2020102"),
            // A TPKT whose X.224 length indicator does not match.
            fromHex("0300002f20e00000000000436f6f6b69653a206d737473686173683d41410d0a"),
            // RDP_NEG_REQ with a wrong length field.
            fromHex("030000130ee000000000000100090003000000"),
        ]
        for bytes in openings {
            var c = RDPConversation(serverPort: 3389)
            XCTAssertEqual(c.send(.originator, bytes), .notMine, "\(bytes.prefix(8))")
            XCTAssertNil(c.flow.metadata, "nothing allocated for a non-RDP flow")
        }
        // A stream that begins with the server's bytes and is not a Confirm.
        var server = RDPConversation(serverPort: 3389)
        XCTAssertEqual(server.send(.responder, "220 ftp ready\r\n"), .notMine)
        XCTAssertNil(server.flow.metadata)
    }

    func testBareRequestNeedsTheConfirm() {
        // Connection Request without cookie or negotiation: only the Confirm makes it RDP.
        var c = RDPConversation(serverPort: 3389)
        c.send(.originator, fromHex("0300000b06e00000000000"))
        XCTAssertNil(c.facts?.recognition)
        c.send(.responder, fromHex("0300000b06d00000123400"))
        XCTAssertEqual(c.facts?.recognition?.family, .rdp)
        XCTAssertEqual(c.facts?.selectedProtocol, 0)
    }

    /// Zeek's rdp.log for its RDP test captures, field by field, against farmwatch's `rdp`
    /// object (same names; keyboard_layout and client_build are kept as numbers here).
    func testAgreesWithZeekRDPLog() throws {
        let captures = ["zeek__rdp__rdp-proprietary-encryption.pcap", "zeek__rdp__rdp-x509.pcap",
                        "zeek__rdp__rdp-unknown-keyboard.pcap"]
        var compared = 0
        for capture in captures {
            let flows = try RemoteControlSupport.corpusFlows(capture)
            for row in try RemoteControlSupport.zeekLog(capture, "rdp.log") {
                let port = Int(row["id.orig_p"]!)!
                let flow = try XCTUnwrap(flows.first { Int($0.originatorPort) == port && $0.key.proto == IPProto.tcp },
                                         "\(capture) port \(port)")
                XCTAssertEqual(RemoteControlSupport.protocols(flow), ["rdp"], "\(capture) \(port)")
                let rdp = try XCTUnwrap(RemoteControlSupport.object(flow, "rdp"))
                for field in ["cookie", "result", "security_protocol", "client_name", "requested_color_depth",
                              "cert_type", "encryption_level", "encryption_method"] {
                    let zeek = row[field]!.replacingOccurrences(of: "\\\\", with: "\\")
                    XCTAssertEqual(rdp[field] as? String, zeek == "-" ? nil : zeek, "\(capture) \(port) \(field)")
                }
                for field in ["desktop_width", "desktop_height"] {
                    XCTAssertEqual((rdp[field] as? Int).map(String.init) ?? "-", row[field], "\(capture) \(port) \(field)")
                }
                let channels = (rdp["client_channels"] as? [String])?.joined(separator: ",") ?? "-"
                XCTAssertEqual(channels, row["client_channels"], "\(capture) \(port)")
                if row["cert_count"] != "0" {
                    XCTAssertEqual((rdp["cert_count"] as? Int).map(String.init), row["cert_count"], "\(capture) \(port)")
                    XCTAssertEqual((rdp["cert_permanent"] as? Bool).map { $0 ? "T" : "F" }, row["cert_permanent"])
                }
                compared += 1
            }
        }
        XCTAssertEqual(compared, 4)
    }

    /// nDPI calls rdp_over_tls.pcap's flow TLS.RDP: the negotiation is RDP's, the rest TLS.
    func testRDPOverTLSCarriesBothFamilies() throws {
        let flows = try RemoteControlSupport.corpusFlows("ndpi__rdp_over_tls.pcap")
        let flow = try XCTUnwrap(RemoteControlSupport.flow(flows, port: 3389))
        XCTAssertEqual(RemoteControlSupport.protocols(flow), ["rdp", "tls"])
        let rdp = try XCTUnwrap(RemoteControlSupport.object(flow, "rdp"))
        XCTAssertEqual(rdp["security_protocol"] as? String, "HYBRID")
        XCTAssertEqual(rdp["requested_protocols"] as? [String], ["SSL", "HYBRID"])
        XCTAssertEqual(flow.metadata?.parseErrors ?? 0, 0)
    }
}
