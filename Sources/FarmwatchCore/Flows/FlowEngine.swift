/// Receives each flow when it ends (timeout, close, eviction, end of input). Called once per
/// flow, never per packet.
public protocol FlowSink: AnyObject {
    /// The flow is handed over (moved, not copied: see `FlowTable.take`).
    func flowEnded(_ flow: consuming FlowState, reason: FlowEndReason)
    /// Called after each expiry pass and at the end: a sink that batches passes on what it holds.
    func flush()
}

extension FlowSink {
    public func flush() {}
}

/// Counters the engine reports in the final `stats` record.
public struct EngineStats {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var flowPackets: UInt64 = 0
    public var notIP: UInt64 = 0
    public var fragmentsHeld: UInt64 = 0
    public var decodeErrors = [UInt64](repeating: 0, count: DecodeError.allCases.count)
    public var flowsCreated: UInt64 = 0
    public var flowsEnded: UInt64 = 0
    public var evictions: UInt64 = 0
    public var activeTimeouts: UInt64 = 0
    public var portReuses: UInt64 = 0
    public var timestampsBackwards: UInt64 = 0
    /// Tunnel packets kept as their carrier's flow because the payload is encrypted, or a
    /// fragment (see `TunnelNotOpened`).
    public var tunnelsEncrypted: UInt64 = 0
    public var tunnelFragments: UInt64 = 0
    /// Bare ACKs whose few zero bytes were taken for link-layer padding, not data.
    public var tcpZeroPaddingIgnored: UInt64 = 0
    public var maxConcurrentFlows: Int = 0
    public var firstTimestampNs: Int64 = 0
    public var lastTimestampNs: Int64 = 0

    public init() {}

    public var decodeErrorTotal: UInt64 { decodeErrors.reduce(0, +) }
}

/// The bidirectional flow aggregator: takes decoded packets, keeps per-flow state in a bounded
/// table, runs the dissector set on in-order payload, and hands finished flows to the sink.
/// Specialised on its dissector set, so the per-packet path makes no dynamic calls.
public final class FlowEngine<Dissectors: DissectorSet> {
    public let configuration: FlowConfiguration
    public let dissectors: Dissectors
    // The engine's own per-packet state is touched only from its one thread, inside its own
    // methods: the runtime exclusivity checks Swift adds to class properties cost ~40 % of
    // the per-packet instructions (measured with callgrind), so they are waived here.
    @exclusivity(unchecked) public private(set) var stats = EngineStats()
    public var reassemblyStats: StreamReassembler.Stats { reassembler.stats }
    private let table: FlowTable
    @exclusivity(unchecked) private var reassembler: StreamReassembler
    private let sink: FlowSink
    /// Whether `end` runs the dissectors' `flowEnding` itself, or leaves it to the sink (the
    /// flow-end thread, which concludes flows off the packet thread).
    private let concludesFlows: Bool
    private var timeoutNs: [Int64]
    private let activeTimeoutNs: Int64
    private let activityGapNs: Int64
    /// How far a flow's place in its LRU list may lag its last packet.
    static var lruGranularityNs: Int64 { 250_000_000 }
    /// Turnarounds a side makes before its flow gets a latency sketch (DNS and single
    /// request/response flows never do).
    static var sketchAfterTurnarounds: UInt32 { 2 }
    /// The capture clock: the latest packet time seen (time never runs backwards here).
    @exclusivity(unchecked) private var clockNs: Int64 = .min
    @exclusivity(unchecked) private var nextExpiryNs: Int64 = .min
    @exclusivity(unchecked) private var serial: UInt64 = 0

    public init(configuration: FlowConfiguration = .init(), dissectors: Dissectors,
                reassembly: StreamReassembler.Limits = .init(), sink: FlowSink, concludesFlows: Bool = true) {
        self.configuration = configuration
        self.dissectors = dissectors
        self.sink = sink
        self.concludesFlows = concludesFlows
        table = FlowTable(capacity: max(1, configuration.maxFlows), seed: UInt64.random(in: 1...UInt64.max))
        reassembler = StreamReassembler(limits: reassembly)
        timeoutNs = TimeoutClass.allCases.map { configuration.timeoutNs($0) }
        activeTimeoutNs = Int64(configuration.activeTimeout * 1e9)
        activityGapNs = Int64(configuration.activityIdleGap * 1e9)
    }

    public var openFlows: Int { table.count }

    // MARK: Per-packet path

    /// Counts a frame that did not decode into a flow update.
    @inline(__always)
    public func countUndecoded(_ result: DecodeResult, wireLength: Int) {
        stats.packets += 1
        stats.bytes &+= UInt64(wireLength)
        switch result {
        case .ok: break
        case .notIP: stats.notIP += 1
        case .fragmentHeld: stats.fragmentsHeld += 1
        case .error(let e): stats.decodeErrors[e.rawValue] += 1
        }
    }

    public func countDecodeErrors(_ kind: DecodeError, _ n: Int) {
        stats.decodeErrors[kind.rawValue] &+= UInt64(n)
    }

    /// Accounts one decoded packet to its flow (and a tunnel's UDP carrier to its own flow).
    public func process(_ p: Packet) {
        var q = p
        process(decoded: &q)
    }

    /// `process` for the capture loop, which decodes every frame into one reused packet:
    /// `inout` only so that the 300-byte packet is passed by address rather than copied on
    /// every frame (it is not changed).
    @inline(__always)
    func process(decoded p: inout Packet) {
        stats.packets += 1
        stats.flowPackets += 1
        stats.bytes &+= UInt64(p.wireLength)
        if p.carrier.present {
            var carrier = carrierPacket(p)
            account(&carrier)
        }
        switch p.tunnelNotOpened {
        case .none: break
        case .encrypted: stats.tunnelsEncrypted += 1
        case .fragmented: stats.tunnelFragments += 1
        }
        if p.tcpZeroPaddingIgnored { stats.tcpZeroPaddingIgnored += 1 }
        account(&p)
    }

    /// The tunnel's carrier datagram as a packet of its own: outer addresses, the carrier's
    /// UDP ports, no payload for the dissectors (the inner flow gets that).
    private func carrierPacket(_ p: Packet) -> Packet {
        var q = p
        let c = p.carrier
        q.src = p.outerSrc
        q.dst = p.outerDst
        q.srcPort = c.srcPort
        q.dstPort = c.dstPort
        q.l4Proto = IPProto.udp
        q.tcpFlags = 0
        q.ttl = c.ttl
        q.ipLength = c.ipLength
        q.payloadWireLength = c.payloadWireLength
        q.payload = UnsafeRawBufferPointer(start: nil, count: 0)
        q.tunnel = c.tunnel
        q.tunnelID = c.tunnelID
        q.outerSrc = c.outerSrc
        q.outerDst = c.outerDst
        q.carrier.present = false
        return q
    }

    /// `inout`, as the calls below: a packet is passed by address, never copied (not changed).
    @inline(__always)
    private func account(_ p: inout Packet) {
        var ts = p.timestampNs
        if stats.firstTimestampNs == 0 { stats.firstTimestampNs = ts }
        if ts < clockNs {
            // Out-of-order capture timestamps: account at the clock so durations stay sane.
            stats.timestampsBackwards += 1
            ts = clockNs
        } else {
            clockNs = ts
            stats.lastTimestampNs = ts
        }
        if ts >= nextExpiryNs { expireIdle() }

        var isAToB = false
        let key = FlowKey(packet: p, isAToB: &isAToB)
        let h = table.hash(key)
        var slot = table.find(key, hash: h)
        if slot >= 0 {
            let f = table.flows + Int(slot)
            if activeTimeoutNs > 0 && ts &- f.pointee.firstTimestampNs > activeTimeoutNs {
                stats.activeTimeouts += 1
                end(slot, .activeTimeout)
                slot = -1
            } else if p.tcpFlags & (TCPFlag.syn | TCPFlag.ack | TCPFlag.rst) == TCPFlag.syn
                        && f.pointee.timeoutClass == .tcpClosed {
                // A fresh SYN on a closed connection's 5-tuple starts a new connection (port reuse).
                stats.portReuses += 1
                end(slot, .tcpClosed)
                slot = -1
            }
        }
        if slot < 0 {
            slot = newFlow(key, hash: h, isAToB: isAToB, p, ts)
        }
        let f = table.flows + Int(slot)
        let side: Direction = isAToB == f.pointee.originatorIsA ? .originator : .responder
        update(f, side, &p, ts)
        // Moving a flow to its list's tail on every packet costs cache misses on its
        // neighbours; the lists only need to be ordered to within the expiry granularity.
        let newClass = timeoutClass(of: f)
        if newClass != f.pointee.timeoutClass || ts &- f.pointee.lruTouchNs >= FlowEngine.lruGranularityNs {
            f.pointee.lruTouchNs = ts
            table.touch(slot, class: newClass)
        }
    }

    private func newFlow(_ key: FlowKey, hash h: UInt64, isAToB: Bool, _ p: Packet, _ ts: Int64) -> Int32 {
        if table.isFull {
            let victim = table.stalest()
            stats.evictions += 1
            end(victim, .evicted)
        }
        serial += 1
        stats.flowsCreated += 1
        let (senderIsOriginator, flipped) = FlowEngine.senderIsOriginator(p)
        let slot = table.insert(hash: h) { f in
            f.initialize(to: FlowState(key: key, originatorIsA: senderIsOriginator == isAToB,
                                       serial: serial, timestampNs: ts))
            f.pointee.roleFlipped = flipped
            if flipped { f.pointee.history.noteFlipped() }
            if p.tunnel != .none {
                f.pointee.outerSrc = senderIsOriginator ? p.outerSrc : p.outerDst
                f.pointee.outerDst = senderIsOriginator ? p.outerDst : p.outerSrc
            }
            dissectors.flowStarted(&f.pointee, firstPacket: p)
            f.pointee.timeoutClass = initialClass(p)
        }
        if table.count > stats.maxConcurrentFlows { stats.maxConcurrentFlows = table.count }
        return slot
    }

    @inline(__always)
    private func update(_ f: UnsafeMutablePointer<FlowState>, _ side: Direction, _ p: inout Packet, _ ts: Int64) {
        let previous = f.pointee.lastTimestampNs
        f.pointee.activity.note(timestampNs: ts, previousNs: previous, idleThresholdNs: activityGapNs)
        f.pointee.lastTimestampNs = ts
        if side == .originator { f.pointee.orig.countPacket(p, at: ts) } else { f.pointee.resp.countPacket(p, at: ts) }

        if p.l4Proto == IPProto.tcp {
            TCPTracker.update(&f.pointee, side, p, ts)
        } else if p.payloadWireLength > 0 {
            f.pointee.history.note(.data, side)
            f.pointee[side].seqBytes &+= UInt64(p.payloadWireLength)
        }
        if p.payloadWireLength > 0 {
            noteTurnaround(f, side, ts, answerBytes: p.payloadWireLength)
        }
        if f.pointee.dissectorMask != 0 {
            feedDissectors(f, side, p, ts)
        }
    }

    /// The gap from the other side's data to this side's next data: the raw material of
    /// request/response and screen-update/input latency.
    @inline(__always)
    private func noteTurnaround(_ f: UnsafeMutablePointer<FlowState>, _ side: Direction, _ ts: Int64, answerBytes: Int) {
        if f.pointee.lastDataTimestampNs != 0 && f.pointee.lastDataSide != side {
            let us = UInt64(max(0, ts &- f.pointee.lastDataTimestampNs) / 1000)
            f.pointee[side].turnaround.add(us)
            if us < f.pointee[side].turnaroundMinUs { f.pointee[side].turnaroundMinUs = us }
            let n = f.pointee[side].turnaroundCount
            if n < UInt32(FlowSide.openingTurnarounds) {
                f.pointee[side].openingTurnaroundsUs[Int(n)] = UInt32(clamping: us)
            }
            f.pointee[side].turnaroundCount = n &+ 1
            // The finer sketch: only for flows a dissector claimed (metadata), once they show
            // a conversation rather than one request and its answer.
            if n >= FlowEngine.sketchAfterTurnarounds, let m = f.pointee.metadata.map(Unmanaged.passUnretained) {
                // Unretained: the flow holds its metadata through the call, which would
                // otherwise retain and release it on every data packet of a long flow.
                m._withUnsafeGuaranteedRef { $0.noteTurnaround(side, us, answerBytes: answerBytes) }
            }
        }
        f.pointee.lastDataSide = side
        f.pointee.lastDataTimestampNs = ts
    }

    private func feedDissectors(_ f: UnsafeMutablePointer<FlowState>, _ side: Direction, _ p: Packet, _ ts: Int64) {
        if p.l4Proto == IPProto.tcp {
            let syn = p.tcpFlags & TCPFlag.syn != 0
            let fin = p.tcpFlags & TCPFlag.fin != 0
            if p.payload.count == 0 && !syn && !fin { return }
            var cursor = f.pointee[side].stream
            var offset = cursor.deliveredBytes
            let dissectors = self.dissectors
            reassembler.accept(seq: p.seq, syn: syn, fin: fin, payload: p.payload, cursor: &cursor) { bytes, gap in
                let chunk = StreamChunk(bytes: bytes, direction: side, timestampNs: ts,
                                        streamOffset: offset, afterGap: gap, isDatagram: false)
                offset += bytes.count
                dissectors.feed(chunk, flow: &f.pointee)
            }
            f.pointee[side].stream = cursor
            if f.pointee.dissectorMask == 0 { releaseStreams(f) }
        } else if p.payload.count > 0 {
            let offset = Int(f.pointee[side].payloadBytes) - p.payloadWireLength
            dissectors.feed(StreamChunk(bytes: p.payload, direction: side, timestampNs: ts,
                                        streamOffset: offset, afterGap: false, isDatagram: true),
                            flow: &f.pointee)
        }
    }

    private func releaseStreams(_ f: UnsafeMutablePointer<FlowState>) {
        reassembler.release(&f.pointee.orig.stream)
        reassembler.release(&f.pointee.resp.stream)
    }

    // MARK: Originator decision

    /// Who started the flow, judged from its first packet: the SYN's sender; the receiver of
    /// a SYN-ACK; otherwise the sender, unless only the sender's port looks like a service
    /// (a capture that starts mid-conversation, or with a reply) — Zeek's heuristic. ICMP is
    /// never flipped (as in Zeek): the first message's sender originates.
    static func senderIsOriginator(_ p: Packet) -> (Bool, flipped: Bool) {
        if p.l4Proto == IPProto.tcp {
            let synAck = p.tcpFlags & (TCPFlag.syn | TCPFlag.ack)
            if synAck == TCPFlag.syn { return (true, false) }
            if synAck == TCPFlag.syn | TCPFlag.ack { return (false, true) }
        }
        if p.l4Proto == IPProto.tcp || p.l4Proto == IPProto.udp {
            if ServicePorts.looksLikeService(p.srcPort) && !ServicePorts.looksLikeService(p.dstPort) {
                return (false, true)
            }
        }
        return (true, false)
    }

    // MARK: Timeouts

    private func initialClass(_ p: Packet) -> TimeoutClass {
        switch p.l4Proto {
        case IPProto.tcp: return .tcpOpening
        case IPProto.udp: return .udp
        default: return .other
        }
    }

    @inline(__always)
    private func timeoutClass(of f: UnsafeMutablePointer<FlowState>) -> TimeoutClass {
        if f.pointee.key.proto != IPProto.tcp { return f.pointee.timeoutClass }
        let o = f.pointee.origState, r = f.pointee.respState
        if o == .reset || r == .reset || (o == .closed && r == .closed) { return .tcpClosed }
        if o == .established || r == .established || o == .partial || r == .partial
            || o == .closed || r == .closed { return .tcpEstablished }
        return .tcpOpening
    }

    /// Ends every flow whose class timeout has passed. Runs at most once per second of
    /// packet time; each class list is ordered by last activity, so it stops at the first
    /// flow still alive.
    private func expireIdle() {
        nextExpiryNs = clockNs &+ 1_000_000_000
        for c in TimeoutClass.allCases {
            let limit = timeoutNs[c.rawValue]
            while true {
                let s = table.head(c)
                if s < 0 || clockNs &- table.flows[Int(s)].lastTimestampNs < limit { break }
                end(s, c == .tcpClosed ? .tcpClosed : .idle)
            }
        }
        sink.flush()
    }

    /// Moves the clock forward without a packet (live capture on a quiet link), expiring flows.
    public func advanceClock(toNs now: Int64) {
        guard now > clockNs else { return }
        clockNs = now
        expireIdle()
    }

    private func end(_ slot: Int32, _ reason: FlowEndReason, concludingWith concluder: Dissectors? = nil) {
        let f = table.flows + Int(slot)
        f.pointee.activity.closeActive(at: f.pointee.lastTimestampNs)
        releaseStreams(f)
        stats.flowsEnded += 1
        if concludesFlows {
            dissectors.flowEnding(&f.pointee)
        } else if let concluder {
            concluder.flowEnding(&f.pointee)
            f.pointee.concluded = true
        }
        sink.flowEnded(table.take(slot), reason: reason)
    }

    /// Ends every open flow in order of creation (end of input, or a signal in live capture).
    /// With `concluder` (an engine that leaves conclusions to its sink's thread), the flows are
    /// concluded here with it before they are handed over: at the end of input the packet
    /// thread has nothing else to do, and thousands of flows end at once.
    public func finish(concludingWith concluder: Dissectors? = nil) {
        var live: [(UInt64, Int32)] = []
        live.reserveCapacity(table.count)
        table.forEachLive { live.append((table.flows[Int($0)].serial, $0)) }
        live.sort { $0.0 < $1.0 }
        for (_, s) in live { end(s, .endOfInput, concludingWith: concluder) }
        sink.flush()
    }
}
