/// NVIDIA GameStream as Moonlight clients and Sunshine (or GeForce Experience) hosts speak it,
/// found by content on any port (47984/47989/48010/47998–48000 are its defaults and play no
/// part here):
///
/// - TCP: the RTSP session setup, plaintext, one request per connection. A request carrying
///   `X-GS-ClientVersion`, or an answer carrying Sunshine's `X-SS-Ping-Payload` /
///   `X-SS-Connect-Data`, names the flow (GameStreamRTSP). Plain RTSP (a camera) does not.
///   Sessions that negotiated encrypted RTSP (`rtspenc://`, Sunshine with clients reporting
///   corever ≥ 1) show no such text and are not read here.
/// - UDP: the client's pings to the video and audio ports, which tell the host where to send
///   (moonlight-common-c src/VideoStream.c VideoPingThreadProc, src/AudioStream.c
///   AudioPingThreadProc, every 500 ms). With a Sunshine host each ping is an SS_PING
///   (src/Limelight-internal.h): the 16-character payload the host handed out in its SETUP
///   answer, upper-case hex digits (Sunshine nvhttp.cpp make_launch_session, util::hex_vec),
///   then a big-endian count from 1. `pingsNeeded` of them from one side, with the same payload
///   and counts that rise, name the flow. GFE hosts get a bare 4-byte `PING` instead, too
///   little to go on: those flows keep their port hint only.
///
/// The HTTP pairing and serverinfo API is recognised from the HTTP dissector's facts when the
/// flow ends (GameStreamHTTP), and the hosts' and clients' certificates by the catalogue.
public enum GameStreamDissector: Dissector {
    static let pingBytes = 20
    static let pingsNeeded = 2
    /// Largest rise between two pings seen in a row (a few lost in between).
    static let maxPingGap: UInt32 = 8
    /// The host's media datagrams waited through for the next ping: a 500 ms ping interval
    /// at a high bit rate is a few thousand of them.
    static let otherDatagramsLimit = 4096

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp || p.l4Proto == IPProto.udp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        chunk.isDatagram ? datagram(chunk, &flow) : stream(chunk, &flow)
    }

    // MARK: RTSP

    private static func stream(_ chunk: StreamChunk, _ flow: inout FlowState) -> DissectorVerdict {
        let side = chunk.direction.rawValue
        let facts: GameStreamFacts
        if let existing = flow.metadata?.facts(StandardDissectors.gameStreamSlot, as: GameStreamFacts.self) {
            facts = existing
        } else {
            // Decided on the flow's first bytes: an RTSP client speaks first.
            guard chunk.streamOffset == 0, !chunk.afterGap, GameStreamRTSP.opening(chunk.bytes) != nil else {
                return .notMine
            }
            facts = flow.facts(StandardDissectors.gameStreamSlot) { GameStreamFacts() }
        }
        if !facts.headDone[side] {
            readHead(chunk, side, facts)
        }
        return facts.headDone[0] && facts.headDone[1] ? .done : .wantMore
    }

    /// Collects one direction's head (in place when one chunk holds it) and reads it once whole.
    private static func readHead(_ chunk: StreamChunk, _ side: Int, _ f: GameStreamFacts) {
        if chunk.streamOffset == 0 {
            guard !chunk.afterGap, GameStreamRTSP.opening(chunk.bytes) != nil else {
                f.headDone[side] = true
                return
            }
            if let end = GameStreamRTSP.headEnd(chunk.bytes) {
                apply(UnsafeRawBufferPointer(rebasing: chunk.bytes[..<end]), f)
                f.headDone[side] = true
                return
            }
        } else if chunk.afterGap || f.heads[side].isEmpty {
            // Bytes lost, or a head that never started: nothing more to read on this side.
            f.headDone[side] = true
            return
        }
        let searchFrom = max(0, f.heads[side].bytes.count - 3)
        guard f.heads[side].append(chunk.bytes) else {
            f.heads[side].clear()
            f.headDone[side] = true
            return
        }
        let end = f.heads[side].withBytes { GameStreamRTSP.headEnd($0, from: searchFrom) }
        guard let end else { return }
        f.heads[side].withBytes { apply(UnsafeRawBufferPointer(rebasing: $0[..<end]), f) }
        f.heads[side].clear()
        f.headDone[side] = true
    }

    private static func apply(_ bytes: UnsafeRawBufferPointer, _ f: GameStreamFacts) {
        guard let head = GameStreamRTSP.parseHead(bytes) else { return }
        if head.isRequest {
            f.method = head.method
            f.target = head.target
            f.clientVersion = head.clientVersion
        } else {
            f.status = head.status
            f.sunshineExtension = head.sunshineExtension
        }
    }

    // MARK: Pings

    /// The SS_PING that fills `d`: its payload and count.
    @inline(__always)
    static func ping(_ d: UnsafeRawBufferPointer) -> (payload: UnsafeRawBufferPointer, sequence: UInt32)? {
        guard d.count == pingBytes else { return nil }
        let payload = UnsafeRawBufferPointer(rebasing: d[..<16])
        guard payload.allSatisfy(GameStreamRTSP.isUpperHexDigit) else { return nil }
        let sequence = d.loadBigEndianUInt32(at: 16)
        return sequence == 0 ? nil : (payload, sequence)
    }

    private static func datagram(_ chunk: StreamChunk, _ flow: inout FlowState) -> DissectorVerdict {
        let found = ping(chunk.bytes)
        guard let facts = flow.metadata?.facts(StandardDissectors.gameStreamSlot, as: GameStreamFacts.self) else {
            // The client pings before the host sends anything, so one side's first datagram
            // is a ping; the other side's first may come earlier in a capture that began late.
            guard let p = found else { return chunk.streamOffset == 0 ? .wantMore : .notMine }
            let f = flow.facts(StandardDissectors.gameStreamSlot) { GameStreamFacts() }
            f.pingSide = chunk.direction
            f.pingPayload = Array(p.payload)
            f.lastPingSequence = p.sequence
            f.pings = 1
            return .wantMore
        }
        guard let p = found, chunk.direction == facts.pingSide else {
            facts.otherDatagrams += 1
            return facts.otherDatagrams > otherDatagramsLimit ? .notMine : .wantMore
        }
        let samePayload = facts.pingPayload.map { $0.elementsEqual(p.payload) } ?? false
        guard samePayload, p.sequence > facts.lastPingSequence, p.sequence - facts.lastPingSequence <= maxPingGap else {
            return .notMine
        }
        facts.lastPingSequence = p.sequence
        facts.pings += 1
        return facts.pings >= pingsNeeded ? .done : .wantMore
    }
}
