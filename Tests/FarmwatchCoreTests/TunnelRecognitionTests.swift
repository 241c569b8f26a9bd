import Foundation
import XCTest
@testable import FarmwatchCore

/// What HTTP upgrades and HTTP-borne relays carry: WebSocket unwrapping (websockify + x11vnc,
/// wstunnel from Zeek's corpus), Tailscale DERP and Microsoft RD Gateway, on the fixtures from
/// scripts/make-tunnel-fixtures.sh and on hand-made hostile frames.
final class TunnelRecognitionTests: XCTestCase {
    static func protocols(_ f: FlowState) -> [String] { f.metadata?.protocols.map { $0.family.rawValue } ?? [] }

    static func fixture(_ name: String) throws -> (flows: [FlowState], truth: [[String: Any]]) {
        let url = URL(fileURLWithPath: TestEnvironment.capture("fixtures/tunnels/\(name).truth.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let truth = try XCTUnwrap((json["flows"] ?? json["flows_in_order"]) as? [[String: Any]])
        let flows = try analyzeCapture(TestEnvironment.capture("fixtures/tunnels/\(name).pcap"),
                                       dissectors: StandardDissectors()).flows
            .sorted { $0.firstTimestampNs < $1.firstTimestampNs }
        return (flows, truth)
    }

    // MARK: Fixtures

    func testWebSocketFixture() throws {
        let (flows, truth) = try Self.fixture("websocket")
        XCTAssertEqual(flows.count, truth.count)
        for e in truth {
            let port = try XCTUnwrap(e["server_port"] as? Int)
            let f = try XCTUnwrap(flows.first { Int($0.responderPort) == port }, "no flow to \(port)")
            XCTAssertEqual(Self.protocols(f), e["protocols"] as? [String], "\(port): \(e["carries"] ?? "")")
            XCTAssertEqual(f.metadata?.parseErrors ?? 0, 0, "\(port)")
        }
        // The RFB inside was read in full: x11vnc's version and the viewer's, through the unmasking.
        let vnc = try XCTUnwrap(flows.first { $0.responderPort == 6080 })
        let rfb = try XCTUnwrap(vnc.metadata?.facts(StandardDissectors.rfbSlot, as: RFBFacts.self))
        XCTAssertNotNil(rfb.recognition)
    }

    func testGatewayFixture() throws {
        let (flows, truth) = try Self.fixture("gateways")
        XCTAssertEqual(flows.count, truth.count)
        for (f, e) in zip(flows, truth) {
            let what = e["carries"] as? String ?? ""
            XCTAssertEqual(Int(f.responderPort), e["server_port"] as? Int, what)
            XCTAssertEqual(Self.protocols(f), e["protocols"] as? [String], what)
            XCTAssertEqual(f.metadata?.parseErrors ?? 0, 0, what)
            let gateway = f.metadata?.facts(StandardDissectors.rdGatewaySlot, as: RDGatewayFacts.self)
            guard let expected = e["rdp_gateway"] as? [String: Any] else {
                XCTAssertNil(gateway, what)
                XCTAssertNotNil(f.metadata?.facts(StandardDissectors.derpSlot, as: DERPFacts.self)?.serverKey.count == 32 ? 1 : nil, what)
                continue
            }
            let g = try XCTUnwrap(gateway, what)
            switch g.transport {
            case .http(let channel):
                XCTAssertEqual(expected["transport"] as? String, "http", what)
                XCTAssertEqual(expected["channel"] as? String, channel.rawValue, what)
            case .webSocket:
                XCTAssertEqual(expected["transport"] as? String, "websocket", what)
            case .packets:
                XCTFail("unexpected bare MS-TSGU stream: \(what)")
            }
            XCTAssertEqual(g.target.map { String(decoding: $0, as: UTF8.self) }, expected["target"] as? String, what)
            XCTAssertEqual(g.targetPort.map(Int.init), expected["target_port"] as? Int, what)
            // An RD Gateway is a relay hop for the RDP it carries, even inside an HTTP CONNECT
            // (where the proxy is the first hop named).
            let hop = try XCTUnwrap(RelayEvidence.hop(in: f, uid: "C1"), what)
            XCTAssertEqual(hop.kind, Self.protocols(f).first == "http-connect" ? .httpConnect : .rdGateway, what)
            if let target = expected["target"] as? String {
                XCTAssertEqual(hop.farSide, "\(target):\(expected["target_port"] ?? "")", what)
            }
        }
    }

    /// SSH carried by wstunnel in WebSocket binary frames (Zeek's test trace).
    func testSSHThroughWstunnel() throws {
        let corpus = try TestEnvironment.requireCorpus()
        let flows = try analyzeCapture(corpus.appendingPathComponent("pcaps/zeek__websocket__wstunnel-ssh.pcap").path,
                                       dissectors: StandardDissectors()).flows
        let ssh = flows.filter { Self.protocols($0) == ["http", "ssh"] }
        XCTAssertFalse(ssh.isEmpty, flows.map { Self.protocols($0).description }.joined(separator: " "))
        for f in ssh { XCTAssertNotNil(f.metadata?.facts(StandardDissectors.sshSlot, as: SSHFacts.self)) }
    }

    // MARK: WebSocket framing

    /// One masked client frame, RFC 6455 §5.2/§5.3.
    static func frame(_ payload: [UInt8], opcode: UInt8 = 2, fin: Bool = true, mask: [UInt8]? = [0x37, 0xFA, 0x21, 0x3D],
                      rsv: UInt8 = 0) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | rsv | opcode]
        let m: UInt8 = mask == nil ? 0 : 0x80
        if payload.count < 126 {
            out.append(m | UInt8(payload.count))
        } else if payload.count < 65536 {
            out += [m | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(m | 127)
            for i in (0..<8).reversed() { out.append(UInt8(truncatingIfNeeded: payload.count >> (8 * i))) }
        }
        guard let mask else { return out + payload }
        return out + mask + payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
    }

    /// Runs bytes through an unwrapper in the given pieces; returns what was handed on and the errors.
    static func unwrap(_ bytes: [UInt8], pieces: Int = 1, side: Direction = .originator) -> (payload: [UInt8], offsets: [Int], errors: UInt32) {
        let ws = WebSocketUnwrapper()
        let m = FlowMetadata()
        var out: [UInt8] = [], offsets: [Int] = []
        let step = max(1, (bytes.count + pieces - 1) / pieces)
        var at = 0
        while at < bytes.count {
            let piece = Array(bytes[at..<min(bytes.count, at + step)])
            piece.withUnsafeBytes {
                ws.unwrap(StreamChunk(bytes: $0, direction: side, timestampNs: 1, streamOffset: at, afterGap: false,
                                      isDatagram: false), m) { c in
                    XCTAssertEqual(c.streamOffset, out.count)
                    offsets.append(c.streamOffset)
                    out += Array(c.bytes)
                }
            }
            at += step
        }
        return (out, offsets, m.parseErrors)
    }

    func testUnmasksAcrossSplitsAndLengthForms() {
        let small = Array("RFB 003.008\n".utf8)
        let medium = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let large = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let stream = Self.frame(small) + Self.frame(medium) + Self.frame(large)
        for pieces in [1, 3, stream.count] {
            let r = Self.unwrap(stream, pieces: pieces)
            XCTAssertEqual(r.payload, small + medium + large, "\(pieces) pieces")
            XCTAssertEqual(r.errors, 0)
        }
        // Server frames are not masked, and are handed on in place.
        XCTAssertEqual(Self.unwrap(Self.frame(small, mask: nil), side: .responder).payload, small)
    }

    func testTextControlAndCompressedFramesAreNotTheInnerStream() {
        let stream = Self.frame(Array("SSH-2.0-chat\r\n".utf8), opcode: 1)            // text
            + Self.frame(Array("part1".utf8), fin: false)                                 // binary, first fragment
            + Self.frame([1, 2], opcode: 9)                                               // ping between fragments
            + Self.frame(Array("part2".utf8), opcode: 0)                                  // continuation, final
            + Self.frame(Array("deflated".utf8), rsv: 0x40)                               // permessage-deflate
            + Self.frame([0x03, 0xE8], opcode: 8)                                         // close
        let r = Self.unwrap(stream, pieces: 5)
        XCTAssertEqual(String(decoding: r.payload, as: UTF8.self), "part1part2")
        XCTAssertEqual(r.errors, 0)
    }

    func testHostileFramingIsCountedAndStops() {
        var huge: [UInt8] = [0x82, 0xFF]    // 64-bit length with its top bit set (§5.2 forbids)
        huge += [0x80, 0, 0, 0, 0, 0, 0, 1] + [1, 2, 3, 4]
        let cases: [(String, [UInt8])] = [
            ("64-bit length with the top bit set", huge + Self.frame([9])),
            ("reserved opcode 3", Self.frame([1, 2, 3], opcode: 3) + Self.frame([9])),
            ("control frame over 125 bytes", Self.frame([UInt8](repeating: 0, count: 126), opcode: 9) + Self.frame([9])),
            ("fragmented control frame", Self.frame([1], opcode: 0xA, fin: false) + Self.frame([9])),
            ("RSV2 without an extension", Self.frame([1], rsv: 0x20) + Self.frame([9])),
        ]
        for (name, bytes) in cases {
            let r = Self.unwrap(bytes, pieces: 2)
            XCTAssertEqual(r.errors, 1, name)
            XCTAssertEqual(r.payload, [], "\(name): nothing after the bad frame is trusted")
        }
    }

    /// The set end to end: an upgrade whose first binary frame arrives with the 101, the client's
    /// RFB version masked and split, and a chat near miss whose text spells RFB.
    func testVNCInsideWebSocketThroughTheSet() {
        var c = InnerStreamTests.SetConversation()
        c.send(.originator, "GET /websockify HTTP/1.1\r\nHost: kvm.example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n\r\n")
        c.send(.responder, Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8)
               + Self.frame(Array("RFB 003.008\n".utf8), mask: nil))
        let hello = Self.frame(Array("RFB 003.008\n".utf8))
        c.send(.originator, Array(hello[..<3]))
        c.send(.originator, Array(hello[3...]))
        XCTAssertEqual(c.protocols, ["http", "vnc"])

        var chat = InnerStreamTests.SetConversation()
        chat.send(.originator, "GET /chat HTTP/1.1\r\nHost: chat.example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        chat.send(.responder, Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8)
                  + Self.frame(Array("RFB 003.008\n".utf8), opcode: 1, mask: nil))
        chat.send(.originator, Self.frame(Array("RFB 003.008\n".utf8), opcode: 1))
        XCTAssertEqual(chat.protocols, ["http"])
    }

    // MARK: DERP

    static let serverKeyFrame: [UInt8] = [0x01, 0, 0, 0, 40] + [0x44, 0x45, 0x52, 0x50, 0xF0, 0x9F, 0x94, 0x91]
        + [UInt8](repeating: 0xAB, count: 32)

    func testDERPServerKeyFrame() {
        let key = Self.serverKeyFrame.withUnsafeBytes(DERPDissector.serverKey)
        XCTAssertEqual(key, [UInt8](repeating: 0xAB, count: 32))
        var wrongMagic = Self.serverKeyFrame
        wrongMagic[12] = 0x92
        XCTAssertNil(wrongMagic.withUnsafeBytes(DERPDissector.serverKey))
        var wrongType = Self.serverKeyFrame
        wrongType[0] = 0x03
        XCTAssertNil(wrongType.withUnsafeBytes(DERPDissector.serverKey))
        var hugeLength = Self.serverKeyFrame
        hugeLength[1] = 0x7F
        XCTAssertNil(hugeLength.withUnsafeBytes(DERPDissector.serverKey))
    }

    func testDERPFastStartAndNearMisses() {
        var fast = DissectorConversation<DERPDissector>(serverPort: 443)
        XCTAssertEqual(fast.send(.originator, "GET /derp HTTP/1.1\r\nHost: derp1.example\r\nUpgrade: DERP\r\nDerp-Fast-Start: 1\r\n\r\n"), .wantMore)
        XCTAssertEqual(fast.send(.responder, Self.serverKeyFrame), .done)
        XCTAssertEqual(fast.flow.metadata?.protocols.map(\.family), [.tailscale])

        // An ordinary web server's answer, and a binary protocol whose client opens otherwise.
        var web = DissectorConversation<DERPDissector>(serverPort: 80)
        web.send(.originator, "GET / HTTP/1.1\r\nHost: example.test\r\n\r\n")
        XCTAssertEqual(web.send(.responder, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), .notMine)
        var other = DissectorConversation<DERPDissector>(serverPort: 443)
        XCTAssertEqual(other.send(.originator, [0x16, 0x03, 0x01, 0x00, 0x10]), .notMine)
        XCTAssertNil(other.flow.metadata)
    }

    func testDERPUpgradeNamedByHTTPAndOtherUpgradesNot() {
        var derp = InnerStreamTests.SetConversation()
        derp.send(.originator, "GET /derp HTTP/1.1\r\nHost: derp.example\r\nConnection: Upgrade\r\nUpgrade: DERP\r\n\r\n")
        XCTAssertEqual(derp.protocols, ["http", "tailscale"], "the request alone names a Tailscale client")

        var ws = InnerStreamTests.SetConversation()
        ws.send(.originator, "GET /derp HTTP/1.1\r\nHost: derp.example\r\nConnection: Upgrade\r\nUpgrade: derpy\r\n\r\n")
        ws.send(.responder, Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: derpy\r\n\r\n".utf8) + [0x01, 0, 0, 0, 40, 0x44, 0x45])
        XCTAssertEqual(ws.protocols, ["http"])
    }

    // MARK: RD Gateway

    func testRDGatewayRequestLines() {
        func channel(_ s: String) -> RDGatewayFacts.Channel? { Array(s.utf8).withUnsafeBytes(RDGatewayDissector.legacyChannel) }
        XCTAssertEqual(channel("RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\n"), .out)
        XCTAssertEqual(channel("RDG_IN_DATA https://gw.example/RemoteDesktopGateway/?x=1 HTTP/1.1\r\n"), .in)
        XCTAssertNil(channel("RDG_OUT_DATA /rpc/ HTTP/1.1\r\n"), "the method without the gateway's path")
        XCTAssertNil(channel("GET /remoteDesktopGateway/ HTTP/1.1\r\n"), "a plain GET of the path (the WebSocket transport is proven by its packets)")
        XCTAssertNil(channel("RPC_IN_DATA /rpc/rpcproxy.dll?x:6001 HTTP/1.1\r\n"), "Outlook's RPC over HTTP")
    }

    func testRDGatewayHandshakeAndChannel() {
        let handshake: [UInt8] = [1, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0, 0, 0]
        let name = Array("host-9\0".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let channel: [UInt8] = [8, 0, 0, 0, UInt8(16 + name.count), 0, 0, 0, 1, 0, 0x3D, 0x0D, 3, 0, UInt8(name.count), 0] + name
        var c = DissectorConversation<RDGatewayDissector>(serverPort: 8443)
        XCTAssertEqual(c.send(.originator, handshake + channel, splits: [14, 17, 30]), .done)
        let facts = c.flow.metadata?.facts(StandardDissectors.rdGatewaySlot, as: RDGatewayFacts.self)
        XCTAssertEqual(facts?.relayFarSide, "host-9:3389")
        XCTAssertEqual(facts?.transport, .packets)
        XCTAssertEqual(c.flow.metadata?.parseErrors, 0)

        // Near misses: another extendedAuth, a wrong version, a different length.
        for bad: [UInt8] in [[1, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0, 8, 0], [1, 0, 0, 0, 14, 0, 0, 0, 2, 0, 0, 0, 0, 0],
                             [1, 0, 0, 0, 15, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]] {
            var n = DissectorConversation<RDGatewayDissector>(serverPort: 443)
            XCTAssertEqual(n.send(.originator, bad), .notMine)
        }
        // A hostile packet length after the handshake is counted.
        var h = DissectorConversation<RDGatewayDissector>(serverPort: 443)
        XCTAssertEqual(h.send(.originator, handshake + [4, 0, 0, 0, 3, 0, 0, 0]), .done)
        XCTAssertEqual(h.flow.metadata?.parseErrors, 1)
    }
}
