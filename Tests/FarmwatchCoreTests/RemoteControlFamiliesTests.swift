import XCTest
@testable import FarmwatchCore

/// TeamViewer, NoMachine, Radmin, RustDesk and Moonlight (GameStream): real bytes from nDPI's
/// captures (TeamViewer, NoMachine, Radmin) and the byte-exact RustDesk and GameStream
/// fixtures; near misses for each.
final class RemoteControlFamiliesTests: XCTestCase {
    // MARK: TeamViewer

    /// The client's first segments of nDPI's teamviewer.pcap (frames 4 and 6): one frame, then
    /// two frames in one segment.
    static let teamViewerClient = fromHex("17240a200000000000000000004800800001000000148000006fb78c804805532216142004")
        + fromHex("1724281800008000007fffffff8080000000000000000000000000000017243c20008c00008014800000078000000080000004000000078000000180ff0080000005")

    func testTeamViewerFramesMustChain() {
        var c = DissectorConversation<TeamViewerDissector>(serverPort: 5938)
        XCTAssertEqual(c.send(.originator, Self.teamViewerClient, splits: [1, 37, 40, 70]), .wantMore)
        let facts = c.flow.metadata?.facts(StandardDissectors.teamViewerSlot, as: TeamViewerFacts.self)
        XCTAssertEqual(facts?.framesBySide[0], 3)
        XCTAssertNil(facts?.recognition, "three frames are not yet enough")
        // The server's first frame (frame 12): a long header.
        c.send(.responder, fromHex("113036001800000001000000000000001b000000180000008c0067fc71b09880d95938c589a6c18cc7919eea283d28cd"))
        XCTAssertEqual(facts?.recognition?.family, .teamviewer)
    }

    func testTeamViewerNearMissesAreRefused() {
        // TLS and HTTP on 5938: refused on the first chunk, nothing allocated.
        for opening in [[0x16, 0x03, 0x01, 0x00, 0x9c] as [UInt8], Array("GET / HTTP/1.1\r\n".utf8)] {
            var c = DissectorConversation<TeamViewerDissector>(serverPort: 5938)
            XCTAssertEqual(c.send(.originator, opening), .notMine)
            XCTAssertNil(c.flow.metadata)
        }
        // The magic, then a length that does not lead to the next frame.
        var c = DissectorConversation<TeamViewerDissector>(serverPort: 5938)
        XCTAssertEqual(c.send(.originator, fromHex("17240a0200abcd99240a2000")), .notMine)
        // UDP: the magic at byte 11 but a length that does not fill the datagram.
        var u = DissectorConversation<TeamViewerDissector>(serverPort: 5938, udp: true)
        XCTAssertEqual(u.send(.originator, fromHex("0000000000000000000003172447500005000000")), .notMine)
        XCTAssertNil(u.flow.metadata)
    }

    func testTeamViewerCorpusFlows() throws {
        let flows = try RemoteControlSupport.corpusFlows("ndpi__teamviewer.pcap")
        let tcp = try XCTUnwrap(RemoteControlSupport.flow(flows, port: 5938))
        XCTAssertEqual(RemoteControlSupport.protocols(tcp), ["teamviewer"])
        let udp = try XCTUnwrap(flows.first { $0.key.proto == IPProto.udp && RemoteControlSupport.protocols($0) == ["teamviewer"] })
        XCTAssertEqual(RemoteControlSupport.object(udp, "teamviewer")?["transport"] as? String, "udp")
    }

    // MARK: NoMachine

    func testNoMachineBannersAndTheirNearMisses() {
        var c = DissectorConversation<NoMachineDissector>(serverPort: 4000)
        c.send(.originator, "NXSH-8.10.1\n")
        XCTAssertEqual(c.send(.responder, "NXD-8.10.1\n"), .done)
        let nx = RemoteControlSupport.object(c.flow, "nomachine")
        XCTAssertEqual(nx?["client_version"] as? String, "8.10.1")
        XCTAssertEqual(nx?["server_version"] as? String, "8.10.1")
        for opening in ["NXSH-\n", "NXSH-8.x\n", "NXSH-8.10.1", "NXSH-8.10.1\nNXSH-" + String(repeating: "1", count: 40) + "\n",
                        "NXD-8.10.1\n"] {
            var n = DissectorConversation<NoMachineDissector>(serverPort: 4000)
            XCTAssertEqual(n.send(.originator, opening), .notMine, opening)
            XCTAssertNil(n.flow.metadata, opening)
        }
    }

    func testNoMachineCorpusFlows() throws {
        let flows = try RemoteControlSupport.corpusFlows("ndpi__nomachine.pcapng")
        let tcp = try XCTUnwrap(RemoteControlSupport.flow(flows, port: 4000))
        XCTAssertEqual(RemoteControlSupport.protocols(tcp), ["nomachine", "tls"])
        let udp = try XCTUnwrap(RemoteControlSupport.flow(flows, port: 4000, udp: true))
        XCTAssertEqual(RemoteControlSupport.protocols(udp), ["nomachine"])
    }

    // MARK: Radmin

    func testRadminHandshakeFromNDPICapture() throws {
        var c = DissectorConversation<RadminDissector>(serverPort: 4899)
        c.send(.originator, fromHex("01000000010000000808"))
        XCTAssertEqual(c.send(.responder, fromHex("010000002500000212080200000a" + String(repeating: "00", count: 32))), .done)
        XCTAssertEqual(c.flow.metadata?.protocols.map(\.family), [.radmin])
        // The hello answered by anything else is not Radmin.
        var n = DissectorConversation<RadminDissector>(serverPort: 4899)
        n.send(.originator, fromHex("01000000010000000808"))
        XCTAssertEqual(n.send(.responder, "HTTP/1.1 400 Bad Request\r\n\r\n"), .done)
        XCTAssertEqual(n.flow.metadata?.protocols.count ?? 0, 0)
        // A 10-byte message of the right shape but not the hello.
        var m = DissectorConversation<RadminDissector>(serverPort: 4899)
        XCTAssertEqual(m.send(.originator, fromHex("01000000010000000809")), .notMine)
        XCTAssertNil(m.flow.metadata)

        let flows = try RemoteControlSupport.corpusFlows("ndpi__radmin3.pcapng")
        XCTAssertEqual(flows.filter { RemoteControlSupport.protocols($0) == ["radmin"] }.count, 2)
    }

    // MARK: RustDesk (fixture built from rustdesk-server's source)

    func testRustDeskFixtureFlows() throws {
        let flows = try RemoteControlSupport.fixtureFlows("rustdesk.pcap")
        let rendezvous = try XCTUnwrap(RemoteControlSupport.flow(flows, port: 21116))
        XCTAssertEqual(RemoteControlSupport.protocols(rendezvous), ["rustdesk"])
        let r = try XCTUnwrap(RemoteControlSupport.object(rendezvous, "rustdesk"))
        XCTAssertEqual(r["messages"] as? [String], ["punch_hole_request", "punch_hole_response"])
        XCTAssertEqual(r["id"] as? String, "123456789")
        XCTAssertEqual(r["relay_server"] as? String, "relay.example.net:21117")

        let relay = try XCTUnwrap(RemoteControlSupport.flow(flows, port: 40117))
        XCTAssertEqual(RemoteControlSupport.protocols(relay), ["rustdesk"], "a self-hosted relay port")
        XCTAssertEqual(RemoteControlSupport.object(relay, "rustdesk")?["messages"] as? [String], ["request_relay"])
        XCTAssertEqual(RemoteControlSupport.object(relay, "rustdesk")?["relayed"] as? Bool, true)

        let udp = try XCTUnwrap(RemoteControlSupport.flow(flows, port: 21116, udp: true))
        XCTAssertEqual(RemoteControlSupport.protocols(udp), ["rustdesk"])
        XCTAssertEqual(RemoteControlSupport.object(udp, "rustdesk")?["messages"] as? [String],
                       ["register_peer", "register_peer_response", "register_peer", "register_peer_response"])
    }

    func testRustDeskFrameRules() {
        // punch_hole_request from the fixture, framed; and the same payload behind a
        // two-byte header the encoder would never use.
        let payload = fromHex("42180a0931323334353637383910013205312e332e3738ffa401")
        var c = DissectorConversation<RustDeskDissector>(serverPort: 21116)
        XCTAssertEqual(c.send(.originator, [UInt8(payload.count << 2)] + payload), .wantMore)
        XCTAssertEqual(c.flow.metadata?.protocols.map(\.family), [.rustdesk])
        var long = DissectorConversation<RustDeskDissector>(serverPort: 21116)
        XCTAssertEqual(long.send(.originator, [UInt8((payload.count << 2) & 0xFF | 1), UInt8(payload.count >> 6)] + payload), .notMine)
        XCTAssertNil(long.flow.metadata)
        // A member number outside RendezvousMessage's oneof (5), and a length one short.
        var field5 = DissectorConversation<RustDeskDissector>(serverPort: 21116)
        XCTAssertEqual(field5.send(.originator, [UInt8(payload.count << 2), 0x2A] + payload.dropFirst()), .notMine)
        var short = DissectorConversation<RustDeskDissector>(serverPort: 21116)
        XCTAssertEqual(short.send(.originator, [UInt8((payload.count - 1) << 2)] + payload.dropLast()), .notMine)
    }

    // MARK: Moonlight / GameStream (fixture built from moonlight-common-c, moonlight-qt, Sunshine)

    /// Every flow of the fixtures as its truth sidecar states it: the family (or none) and how
    /// it was recognised.
    private func assertMatchesTruth(_ capture: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let flows = try RemoteControlSupport.fixtureFlows(capture + ".pcap", catalogue: true)
        let truthURL = URL(fileURLWithPath: TestEnvironment.capture("fixtures/remote-control/" + capture + ".truth.json"))
        let truth = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: truthURL)) as? [String: Any])
        let expected = try XCTUnwrap(truth["flows"] as? [[String: Any]])
        XCTAssertEqual(flows.count, expected.count, file: file, line: line)
        for e in expected {
            let udp = e["proto"] as? String == "udp"
            let port = try XCTUnwrap(e["orig_p"] as? Int)
            let f = try XCTUnwrap(flows.first { ($0.key.proto == IPProto.udp) == udp && Int($0.originatorPort) == port },
                                  "\(capture): no flow from port \(port)", file: file, line: line)
            let moonlight = f.metadata?.protocols.first { $0.family == .moonlight }
            if e["family"] as? String == "moonlight" {
                XCTAssertEqual(moonlight?.identifiedBy.rawValue, e["identified_by"] as? String, "\(port)", file: file, line: line)
                XCTAssertEqual(RemoteControlSupport.record(f)["app"] as? String, "moonlight", "\(port)", file: file, line: line)
            } else {
                XCTAssertNil(moonlight, "\(capture) \(port): \(e["what"] ?? "")", file: file, line: line)
                // GameStream's ports still show, as a hint and nothing more.
                if [47984, 47989, 47998, 47999, 48000, 48010].contains(Int(f.responderPort)) {
                    XCTAssertEqual(f.metadata?.recognitions.first { $0.family == .moonlight }?.identifiedBy, .portHint,
                                   "\(port)", file: file, line: line)
                }
            }
        }
    }

    func testMoonlightFixtureFlows() throws {
        try assertMatchesTruth("moonlight")
        let flows = try RemoteControlSupport.fixtureFlows("moonlight.pcap", catalogue: true)
        XCTAssertEqual(RemoteControlSupport.protocols(try XCTUnwrap(RemoteControlSupport.flow(flows, port: 50001))),
                       ["http", "moonlight"])
        XCTAssertEqual(RemoteControlSupport.protocols(try XCTUnwrap(RemoteControlSupport.flow(flows, port: 50003))),
                       ["tls", "moonlight"])
        let setup = try XCTUnwrap(RemoteControlSupport.object(try XCTUnwrap(RemoteControlSupport.flow(flows, port: 50007)), "moonlight"))
        XCTAssertEqual(setup["rtsp_method"] as? String, "SETUP")
        XCTAssertEqual(setup["rtsp_target"] as? String, "streamid=video/0/0")
        XCTAssertEqual(setup["client_version"] as? String, "14")
        XCTAssertEqual(setup["sunshine"] as? Bool, true)
        let video = try XCTUnwrap(RemoteControlSupport.flow(flows, port: 47998, udp: true))
        XCTAssertEqual(RemoteControlSupport.protocols(video), ["moonlight"])
        XCTAssertEqual(RemoteControlSupport.object(video, "moonlight")?["pings"] as? Int, 2)
        // ENet control carries nothing this reads: its port is all there is.
        let control = try XCTUnwrap(RemoteControlSupport.flow(flows, port: 47999, udp: true))
        XCTAssertEqual(RemoteControlSupport.protocols(control), [])
    }

    func testMoonlightNearMissFixtureFlows() throws {
        try assertMatchesTruth("moonlight-near-miss")
    }

    func testGameStreamRTSPHeadAcrossSegments() {
        let options = "OPTIONS rtsp://192.0.2.10:48010 RTSP/1.0\r\nCSeq: 1\r\nX-GS-ClientVersion: 14\r\nHost: 192.0.2.10\r\n\r\n"
        var c = DissectorConversation<GameStreamDissector>(serverPort: 48010)
        XCTAssertEqual(c.send(.originator, options, splits: [9, 40, 55, 70]), .wantMore)
        XCTAssertEqual(c.send(.responder, "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n"), .done)
        XCTAssertEqual(c.flow.metadata?.protocols.map(\.family), [.moonlight])
        XCTAssertEqual(RemoteControlSupport.object(c.flow, "moonlight")?["client_version"] as? String, "14")
        // A camera's RTSP is read and not named; anything else is refused on its first bytes.
        var camera = DissectorConversation<GameStreamDissector>(serverPort: 554)
        camera.send(.originator, "OPTIONS rtsp://cam/stream1 RTSP/1.0\r\nCSeq: 2\r\nUser-Agent: LibVLC\r\n\r\n")
        XCTAssertEqual(camera.send(.responder, "RTSP/1.0 200 OK\r\nCSeq: 2\r\n\r\n"), .done)
        XCTAssertEqual(camera.flow.metadata?.protocols.count ?? 0, 0)
        XCTAssertNil(RemoteControlSupport.object(camera.flow, "moonlight"))
        for opening in ["GET / HTTP/1.1\r\n\r\n", "OPTIONSX rtsp://h RTSP/1.0\r\n", "RTSP/2.0 200 OK\r\n"] {
            var n = DissectorConversation<GameStreamDissector>(serverPort: 48010)
            XCTAssertEqual(n.send(.originator, opening), .notMine, opening)
            XCTAssertNil(n.flow.metadata, opening)
        }
        // A head that never ends within Sunshine's 2 KiB is given up, unread.
        var flood = DissectorConversation<GameStreamDissector>(serverPort: 48010)
        flood.send(.originator, "OPTIONS rtsp://h RTSP/1.0\r\n" + String(repeating: "X-Pad: 0\r\n", count: 300)
                   + "X-GS-ClientVersion: 14\r\n\r\n", splits: [100, 1000, 2000])
        XCTAssertEqual(flood.flow.metadata?.protocols.count ?? 0, 0)
    }

    func testGameStreamHTTPRequestRule() {
        func path(_ uri: String) -> String? { Array(uri.utf8).withUnsafeBytes(GameStreamHTTP.requestPath) }
        XCTAssertEqual(path("/serverinfo?uniqueid=0123456789ABCDEF&uuid=a1b2"), "/serverinfo")
        XCTAssertEqual(path("/pair?uniqueid=0123456789ABCDEF&uuid=a1&devicename=roth&updateState=1&phrase=getservercert"), "/pair")
        XCTAssertNil(path("/serverinfo"), "the path alone")
        XCTAssertNil(path("/serverinfo?uniqueid=1"), "one parameter")
        XCTAssertNil(path("/serverinfo?xuniqueid=1&uuid=2"), "a parameter whose name only ends the same")
        XCTAssertNil(path("/status?uniqueid=1&uuid=2"), "a path GameStream does not serve")
        XCTAssertNil(path("/serverinfo/x?uniqueid=1&uuid=2"))
    }

    func testGameStreamPingsMustRepeat() {
        let payload = Array("0A1B2C3D4E5F6789".utf8)
        func ping(_ n: UInt32, _ p: [UInt8] = payload) -> [UInt8] { p + withUnsafeBytes(of: n.bigEndian, Array.init) }
        var c = DissectorConversation<GameStreamDissector>(serverPort: 47998, udp: true)
        XCTAssertEqual(c.send(.originator, ping(1)), .wantMore)
        XCTAssertNil(c.flow.metadata?.protocols.first, "one ping is not enough")
        XCTAssertEqual(c.send(.responder, [0x90, 0x60] + Array(repeating: 0xAB, count: 998)), .wantMore)
        XCTAssertEqual(c.send(.originator, ping(2)), .done)
        XCTAssertEqual(c.flow.metadata?.protocols.map(\.family), [.moonlight])
        // Lower-case hex, a zero count, a count that falls, a payload that changes.
        var lower = DissectorConversation<GameStreamDissector>(serverPort: 47998, udp: true)
        XCTAssertEqual(lower.send(.originator, ping(1, Array("0a1b2c3d4e5f6789".utf8))), .wantMore)
        XCTAssertNil(lower.flow.metadata)
        var zero = DissectorConversation<GameStreamDissector>(serverPort: 47998, udp: true)
        zero.send(.originator, ping(0))
        XCTAssertNil(zero.flow.metadata)
        var falling = DissectorConversation<GameStreamDissector>(serverPort: 47998, udp: true)
        falling.send(.originator, ping(5))
        XCTAssertEqual(falling.send(.originator, ping(4)), .notMine)
        XCTAssertNil(falling.flow.metadata?.protocols.first)
        var changing = DissectorConversation<GameStreamDissector>(serverPort: 47998, udp: true)
        changing.send(.originator, ping(1))
        XCTAssertEqual(changing.send(.originator, ping(2, Array("FFFFFFFFFFFFFFFF".utf8))), .notMine)
        XCTAssertNil(changing.flow.metadata?.protocols.first)
    }

    // MARK: Near misses on the families' ports

    func testNearMissFixtureHasNoRemoteControlFamily() throws {
        let flows = try RemoteControlSupport.fixtureFlows("near-miss.pcap")
        XCTAssertGreaterThanOrEqual(flows.count, 16)
        for f in flows {
            let remote = f.metadata?.protocols.filter { $0.family.isRemoteControl } ?? []
            XCTAssertTrue(remote.isEmpty, "\(PairKey(f)): \(remote.map(\.family))")
        }
    }
}
