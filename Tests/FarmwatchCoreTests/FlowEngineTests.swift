import Foundation
import XCTest
@testable import FarmwatchCore

/// Builds decoded packets directly (the decoder has its own tests on real bytes); these tests
/// pin the flow engine's bookkeeping to Zeek's conn.log semantics.
struct PacketBuilder {
    var client = IPAddress("10.0.0.2")!
    var server = IPAddress("192.0.2.10")!
    var clientPort: UInt16 = 51000
    var serverPort: UInt16 = 443

    func tcp(_ fromClient: Bool, _ flags: UInt8, seq: UInt32, ack: UInt32 = 0, len: Int = 0, at t: Double,
             window: UInt16 = 64240) -> Packet {
        var p = Packet()
        p.timestampNs = Int64((t * 1e9).rounded())
        p.ipVersion = 4
        p.src = fromClient ? client : server
        p.dst = fromClient ? server : client
        p.srcPort = fromClient ? clientPort : serverPort
        p.dstPort = fromClient ? serverPort : clientPort
        p.l4Proto = IPProto.tcp
        p.tcpFlags = flags
        p.seq = seq
        p.ack = ack
        p.window = window
        p.ttl = fromClient ? 64 : 52
        p.payloadWireLength = len
        p.ipLength = 40 + len
        p.wireLength = 54 + len
        if flags & TCPFlag.syn != 0 {
            p.tcpOptions.hasMSS = true
            p.tcpOptions.mss = 1460
            for k: UInt8 in [2, 4, 8, 1, 3] { p.tcpOptions.appendKind(k) }
        }
        return p
    }

    func udp(_ fromClient: Bool, len: Int, at t: Double) -> Packet {
        var p = Packet()
        p.timestampNs = Int64((t * 1e9).rounded())
        p.ipVersion = 4
        p.src = fromClient ? client : server
        p.dst = fromClient ? server : client
        p.srcPort = fromClient ? clientPort : 53
        p.dstPort = fromClient ? 53 : clientPort
        p.l4Proto = IPProto.udp
        p.ttl = 64
        p.payloadWireLength = len
        p.ipLength = 28 + len
        p.wireLength = 42 + len
        return p
    }
}

final class FlowEngineTests: XCTestCase {
    let S = TCPFlag.syn, A = TCPFlag.ack, F = TCPFlag.fin, R = TCPFlag.rst, P = TCPFlag.psh
    var b = PacketBuilder()

    private func run(_ packets: [Packet], config: FlowConfiguration = .init()) -> (CollectingSink, FlowEngine<NoDissectors>) {
        let sink = CollectingSink()
        let engine = FlowEngine(configuration: config, dissectors: NoDissectors(), sink: sink)
        for p in packets { engine.process(p) }
        engine.finish()
        return (sink, engine)
    }

    private func handshake(at t: Double = 1.0) -> [Packet] {
        [b.tcp(true, S, seq: 1000, at: t),
         b.tcp(false, S | A, seq: 5000, ack: 1001, at: t + 0.020),
         b.tcp(true, A, seq: 1001, ack: 5001, at: t + 0.021)]
    }

    func testCompleteConnectionIsSFWithZeekHistoryAndCounts() {
        var pkts = handshake()
        pkts.append(b.tcp(true, P | A, seq: 1001, ack: 5001, len: 100, at: 1.05))
        pkts.append(b.tcp(false, P | A, seq: 5001, ack: 1101, len: 300, at: 1.09))
        pkts.append(b.tcp(true, P | A, seq: 1101, ack: 5301, len: 50, at: 1.10))
        pkts.append(b.tcp(true, F | A, seq: 1151, ack: 5301, at: 1.11))
        pkts.append(b.tcp(false, F | A, seq: 5301, ack: 1152, at: 1.12))
        pkts.append(b.tcp(true, A, seq: 1152, ack: 5302, at: 1.13))
        let (sink, _) = run(pkts)
        XCTAssertEqual(sink.flows.count, 1)
        let f = sink.flows[0].0
        XCTAssertEqual(f.connState, "SF")
        XCTAssertEqual(f.history.string, "ShADdFf")
        XCTAssertEqual(f.orig.packets, 6)
        XCTAssertEqual(f.resp.packets, 3)
        XCTAssertEqual(f.orig.seqBytes, 150)
        XCTAssertEqual(f.resp.seqBytes, 300)
        XCTAssertEqual(f.originatorAddress, b.client)
        XCTAssertEqual(f.responderPort, 443)
        XCTAssertEqual(f.synAckTimestampNs - f.synTimestampNs, 20_000_000)
        XCTAssertEqual(f.handshakeAckTimestampNs - f.synAckTimestampNs, 1_000_000)
        XCTAssertEqual(f.orig.handshakeOptions.layoutDescription, "2-4-8-1-3")
        XCTAssertEqual(f.orig.ttlFirst, 64)
        XCTAssertEqual(f.resp.ttlFirst, 52)
        // The client answered the server's 300 bytes after 10 ms; the server answered after 40 ms.
        XCTAssertEqual(f.orig.turnaroundMinUs, 10_000)
        XCTAssertEqual(f.resp.turnaroundMinUs, 40_000)
    }

    func testZeekConnStates() {
        // S0: SYN, no answer (retransmitted SYN stays one connection).
        var (sink, _) = run([b.tcp(true, S, seq: 1, at: 1), b.tcp(true, S, seq: 1, at: 2)])
        XCTAssertEqual(sink.flows[0].0.connState, "S0")
        XCTAssertEqual(sink.flows[0].0.orig.packets, 2)
        // REJ: SYN answered by RST.
        (sink, _) = run([b.tcp(true, S, seq: 1, at: 1), b.tcp(false, R | A, seq: 0, ack: 2, at: 1.01)])
        XCTAssertEqual(sink.flows[0].0.connState, "REJ")
        XCTAssertEqual(sink.flows[0].0.history.string, "Sr")
        // S1: established, not closed.
        (sink, _) = run(handshake())
        XCTAssertEqual(sink.flows[0].0.connState, "S1")
        // RSTO: established, originator aborts.
        (sink, _) = run(handshake() + [b.tcp(true, R | A, seq: 1001, ack: 5001, at: 2)])
        XCTAssertEqual(sink.flows[0].0.connState, "RSTO")
        // RSTR: established, responder aborts.
        (sink, _) = run(handshake() + [b.tcp(false, R, seq: 5001, at: 2)])
        XCTAssertEqual(sink.flows[0].0.connState, "RSTR")
        // S2 / S3: one side closed.
        (sink, _) = run(handshake() + [b.tcp(true, F | A, seq: 1001, ack: 5001, at: 2)])
        XCTAssertEqual(sink.flows[0].0.connState, "S2")
        (sink, _) = run(handshake() + [b.tcp(false, F | A, seq: 5001, ack: 1001, at: 2)])
        XCTAssertEqual(sink.flows[0].0.connState, "S3")
        // RSTOS0: SYN then the originator's RST, no SYN-ACK.
        (sink, _) = run([b.tcp(true, S, seq: 1, at: 1), b.tcp(true, R, seq: 2, at: 1.5)])
        XCTAssertEqual(sink.flows[0].0.connState, "RSTOS0")
        // SH: SYN then FIN from the originator, no answer.
        (sink, _) = run([b.tcp(true, S, seq: 1, at: 1), b.tcp(true, F, seq: 2, at: 1.5)])
        XCTAssertEqual(sink.flows[0].0.connState, "SH")
        // OTH: midstream traffic only.
        (sink, _) = run([b.tcp(true, A | P, seq: 77, ack: 88, len: 10, at: 1), b.tcp(false, A, seq: 88, ack: 87, at: 1.1)])
        XCTAssertEqual(sink.flows[0].0.connState, "OTH")
    }

    func testFirstPacketSynAckFlipsRoles() {
        let (sink, _) = run([b.tcp(false, S | A, seq: 5000, ack: 1001, at: 1), b.tcp(true, A, seq: 1001, ack: 5001, at: 1.01)])
        let f = sink.flows[0].0
        XCTAssertEqual(f.originatorAddress, b.client, "the SYN-ACK's receiver is the originator")
        XCTAssertTrue(f.history.string.hasPrefix("^"))
        XCTAssertEqual(f.history.string, "^hA")
    }

    func testMidstreamReplyFromServicePortIsFlipped() {
        // First packet seen is the server's data from port 443: the client is still the originator.
        let (sink, _) = run([b.tcp(false, A | P, seq: 1, ack: 1, len: 50, at: 1), b.tcp(true, A, seq: 1, ack: 51, at: 1.1)])
        XCTAssertEqual(sink.flows[0].0.originatorAddress, b.client)
        XCTAssertEqual(sink.flows[0].0.originatorPort, b.clientPort)
    }

    func testRetransmissionsAreCountedNotBytes() {
        let pkts = handshake() + [
            b.tcp(true, A | P, seq: 1001, ack: 5001, len: 500, at: 1.1),
            b.tcp(true, A | P, seq: 1001, ack: 5001, len: 500, at: 1.4),   // retransmission
            b.tcp(true, A | P, seq: 1501, ack: 5001, len: 500, at: 1.5),
        ]
        let f = run(pkts).0.flows[0].0
        XCTAssertEqual(f.orig.retransmissions, 1)
        XCTAssertEqual(f.orig.seqBytes, 1000)
        XCTAssertEqual(f.orig.payloadBytes, 1500)
        XCTAssertTrue(f.history.string.contains("T"))
    }

    func testUDPStatesAndIdleTimeout() {
        var config = FlowConfiguration()
        config.udpIdleTimeout = 30
        let pkts = [b.udp(true, len: 40, at: 1), b.udp(false, len: 120, at: 1.01),
                    // 100 s later the same 5-tuple is a new flow: the first one timed out.
                    b.udp(true, len: 40, at: 101)]
        let (sink, engine) = run(pkts, config: config)
        XCTAssertEqual(sink.flows.count, 2)
        XCTAssertEqual(sink.flows[0].0.connState, "SF")
        XCTAssertEqual(sink.flows[0].1, .idle)
        XCTAssertEqual(sink.flows[1].0.connState, "S0")
        XCTAssertEqual(sink.flows[1].1, .endOfInput)
        XCTAssertEqual(engine.stats.flowsCreated, 2)
    }

    func testPortReuseAfterCloseStartsANewConnection() {
        let first = handshake(at: 1) + [b.tcp(true, F | A, seq: 1001, ack: 5001, at: 1.1),
                                        b.tcp(false, F | A, seq: 5001, ack: 1002, at: 1.11)]
        let second = handshake(at: 2)
        let (sink, engine) = run(first + second)
        XCTAssertEqual(sink.flows.count, 2)
        XCTAssertEqual(sink.flows[0].0.connState, "SF")
        XCTAssertEqual(sink.flows[1].0.connState, "S1")
        XCTAssertEqual(engine.stats.portReuses, 1)
    }

    func testActiveTimeoutSplitsLongFlows() {
        var config = FlowConfiguration()
        config.activeTimeout = 10
        var pkts = handshake(at: 0)
        for i in 1...30 { pkts.append(b.tcp(true, A | P, seq: UInt32(1001 + i * 10), ack: 5001, len: 10, at: Double(i))) }
        let (sink, engine) = run(pkts, config: config)
        XCTAssertEqual(engine.stats.activeTimeouts, 2)
        XCTAssertEqual(sink.flows.count, 3)
        XCTAssertEqual(sink.flows.map { $0.0.orig.packets + $0.0.resp.packets }.reduce(0, +), UInt64(pkts.count))
    }

    func testSynFloodStaysWithinTheFlowCap() {
        var config = FlowConfiguration()
        config.maxFlows = 1000
        let sink = CollectingSink()
        let engine = FlowEngine(configuration: config, dissectors: NoDissectors(), sink: sink)
        var p = b.tcp(true, S, seq: 1, at: 1)
        for i in 0..<50_000 {
            p.src = IPAddress(v4: 0x0A00_0000 | UInt32(i))   // spoofed sources
            p.srcPort = UInt16(truncatingIfNeeded: 1024 + i)
            p.timestampNs = 1_000_000_000 + Int64(i) * 1000
            engine.process(p)
            XCTAssertLessThanOrEqual(engine.openFlows, 1000)
        }
        XCTAssertEqual(engine.stats.evictions, 49_000)
        XCTAssertEqual(engine.stats.maxConcurrentFlows, 1000)
        // The stalest go first: the survivors are the last 1000 sources.
        engine.finish()
        let survivors = sink.flows.filter { $0.1 == .endOfInput }.map { $0.0.originatorAddress.v4Value & 0xFFFFFF }
        XCTAssertEqual(Set(survivors), Set((49_000..<50_000).map { UInt32($0) }))
    }

    /// The index starts small and doubles as flows open: 40,000 flows open at once (the index
    /// doubles twice past its 16,384 starting entries) are each still found by their next
    /// packet, whether they were indexed before or after a doubling, and a flow that ended
    /// in between leaves no stale entry behind.
    func testFlowsAreFoundAcrossIndexGrowth() {
        var config = FlowConfiguration()
        config.maxFlows = 100_000
        let sink = CollectingSink()
        let engine = FlowEngine(configuration: config, dissectors: NoDissectors(), sink: sink)
        let n = 40_000
        func packet(_ i: Int, reply: Bool, at t: Int64) -> Packet {
            var p = b.udp(!reply, len: 10, at: 1)
            let host = IPAddress(v4: 0x0A00_0000 | UInt32(i))
            if reply { p.dst = host; p.dstPort = UInt16(truncatingIfNeeded: 1024 + i) } else {
                p.src = host; p.srcPort = UInt16(truncatingIfNeeded: 1024 + i)
            }
            p.timestampNs = 1_000_000_000 + t
            return p
        }
        for i in 0..<n { engine.process(packet(i, reply: false, at: Int64(i))) }
        XCTAssertEqual(engine.openFlows, n)
        for i in 0..<n { engine.process(packet(i, reply: true, at: Int64(n + i))) }
        XCTAssertEqual(engine.stats.flowsCreated, UInt64(n), "every reply found its flow")
        engine.finish()
        XCTAssertEqual(sink.flows.count, n)
        XCTAssertTrue(sink.flows.allSatisfy { $0.0.orig.packets == 1 && $0.0.resp.packets == 1 })
    }

    func testIdleExpiryOrderAndReasons() {
        // Many short UDP flows over 10 minutes of packet time: all but the last minute's expire.
        var pkts: [Packet] = []
        for i in 0..<600 {
            var p = b.udp(true, len: 10, at: Double(i))
            p.srcPort = UInt16(20000 + i)
            pkts.append(p)
        }
        let (sink, engine) = run(pkts)
        let idle = sink.flows.filter { $0.1 == .idle }.count
        XCTAssertGreaterThanOrEqual(idle, 538)
        XCTAssertEqual(sink.flows.count, 600)
        XCTAssertLessThanOrEqual(engine.stats.maxConcurrentFlows, 62)
    }

    func testBackwardsTimestampsKeepDurationsSane() {
        let pkts = [b.udp(true, len: 10, at: 100), b.udp(false, len: 10, at: 50)]
        let (sink, engine) = run(pkts)
        XCTAssertEqual(engine.stats.timestampsBackwards, 1)
        XCTAssertGreaterThanOrEqual(sink.flows[0].0.lastTimestampNs, sink.flows[0].0.firstTimestampNs)
    }
}
