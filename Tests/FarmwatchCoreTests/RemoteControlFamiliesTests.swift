import XCTest
@testable import FarmwatchCore

/// TeamViewer, NoMachine, Radmin and RustDesk: real bytes from nDPI's captures (TeamViewer,
/// NoMachine, Radmin) and the byte-exact RustDesk fixture; near misses for each.
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
