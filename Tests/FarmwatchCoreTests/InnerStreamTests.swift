import XCTest
@testable import FarmwatchCore

/// The set's hand-over of a tunnel's inner stream: offsets rebased, the opener's held bytes and
/// the rest of the opening chunk delivered, tunnels inside tunnels.
final class InnerStreamTests: XCTestCase {
    /// One TCP conversation through the whole standard set, as the flow engine feeds it.
    struct SetConversation {
        let set = StandardDissectors()
        var flow: FlowState
        private var offsets = [0, 0]

        init() {
            var p = Packet()
            p.src = IPAddress(v4: 0xC000_020A)
            p.dst = IPAddress(v4: 0xC633_6414)
            p.srcPort = 40000
            p.dstPort = 3128
            p.l4Proto = IPProto.tcp
            var aToB = false
            flow = FlowState(key: FlowKey(packet: p, isAToB: &aToB), originatorIsA: aToB, serial: 1, timestampNs: 1)
            set.flowStarted(&flow, firstPacket: p)
        }

        mutating func send(_ side: Direction, _ bytes: [UInt8]) {
            bytes.withUnsafeBytes {
                set.feed(StreamChunk(bytes: $0, direction: side, timestampNs: 1, streamOffset: offsets[side.rawValue],
                                     afterGap: false, isDatagram: false), flow: &flow)
            }
            offsets[side.rawValue] += bytes.count
        }

        mutating func send(_ side: Direction, _ text: String) { send(side, Array(text.utf8)) }

        var protocols: [String] { flow.metadata?.protocols.map { $0.family.rawValue } ?? [] }
        var ssh: SSHFacts? { flow.metadata?.facts(StandardDissectors.sshSlot, as: SSHFacts.self) }
    }

    func testRebasing() {
        let start = InnerStreamStart(originatorOffset: 10, responderOffset: 4)
        let bytes: [UInt8] = Array(0..<8)
        bytes.withUnsafeBytes { raw in
            let before = StreamChunk(bytes: raw, direction: .originator, timestampNs: 0, streamOffset: 2, afterGap: false, isDatagram: false)
            XCTAssertNil(start.rebased(before), "wholly before the start")
            let straddling = StreamChunk(bytes: raw, direction: .originator, timestampNs: 0, streamOffset: 6, afterGap: true, isDatagram: false)
            let r = start.rebased(straddling)
            XCTAssertEqual(r?.streamOffset, 0)
            XCTAssertEqual(r.map { Array($0.bytes) }, [4, 5, 6, 7])
            XCTAssertEqual(r?.afterGap, false, "what was lost was the outer protocol's")
            let after = StreamChunk(bytes: raw, direction: .responder, timestampNs: 0, streamOffset: 20, afterGap: true, isDatagram: false)
            XCTAssertEqual(start.rebased(after)?.streamOffset, 16)
            XCTAssertEqual(start.rebased(after)?.afterGap, true)
        }
        XCTAssertEqual(start.nested(InnerStreamStart(originatorOffset: 3, responderOffset: 5)),
                       InnerStreamStart(originatorOffset: 13, responderOffset: 9))
    }

    /// A chain of proxies: an HTTP CONNECT to a SOCKS server, which connects to SSH. The SSH
    /// server's banner arrives in the same segment as the SOCKS reply, and the client's
    /// banner was sent before the reply (held by the SOCKS dissector).
    func testSOCKSInsideHTTPConnectCarryingSSH() {
        var c = SetConversation()
        c.send(.originator, "CONNECT socks.example.test:1080 HTTP/1.1\r\nHost: socks.example.test:1080\r\n\r\n")
        c.send(.responder, "HTTP/1.1 200 Connection established\r\n\r\n")
        c.send(.originator, [5, 1, 0])
        c.send(.responder, [5, 0])
        c.send(.originator, [5, 1, 0, 3, 8] + Array("ssh.test".utf8) + [0, 22])
        c.send(.originator, "SSH-2.0-client_1.0\r\n")
        c.send(.responder, [5, 0, 0, 1, 10, 0, 0, 1, 0x30, 0x39] + Array("SSH-2.0-server_2.0\r\n".utf8))
        XCTAssertEqual(c.protocols, ["http-connect", "socks", "ssh"])
        XCTAssertEqual(c.ssh?.clientBanner?.text, "SSH-2.0-client_1.0")
        XCTAssertEqual(c.ssh?.serverBanner?.text, "SSH-2.0-server_2.0")
        XCTAssertEqual(c.flow.metadata?.parseErrors, 0)
        XCTAssertEqual(c.flow.dissectorMask & StandardDissectors.innerStreamOpeningBit, 0)
        XCTAssertEqual(c.flow.dissectorMask & (StandardDissectors.socksBit | StandardDissectors.httpBit), 0,
                       "the openers are not re-armed inside their own tunnels")
    }

    /// A refused request opens nothing: what follows is not dissected as an inner stream.
    func testRefusedRequestOpensNothing() {
        var c = SetConversation()
        c.send(.originator, [5, 1, 0])
        c.send(.responder, [5, 0])
        c.send(.originator, [5, 1, 0, 1, 10, 0, 0, 1, 0, 22])
        c.send(.responder, [5, 5, 0, 1, 0, 0, 0, 0, 0, 0])
        XCTAssertNil(c.flow.metadata?.innerStream)
        XCTAssertEqual(c.protocols, ["socks"])
    }
}
