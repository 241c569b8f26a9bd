/// One in-order piece of one direction's payload, as a dissector sees it. For TCP the bytes
/// come out of the stream reassembler (in sequence order, retransmissions removed); for UDP
/// and other datagram protocols each chunk is one datagram's payload.
public struct StreamChunk {
    /// Valid only during the call.
    public var bytes: UnsafeRawBufferPointer
    public var direction: Direction
    public var timestampNs: Int64
    /// Bytes of this direction delivered before this chunk (stream offset for TCP, the sum of
    /// earlier datagrams' payloads for UDP).
    public var streamOffset: Int
    /// Some bytes were lost before this chunk (a hole the reassembler gave up on).
    public var afterGap: Bool
    /// Datagram transport (each chunk is a whole message) rather than a byte stream.
    public var isDatagram: Bool

    public init(bytes: UnsafeRawBufferPointer, direction: Direction, timestampNs: Int64,
                streamOffset: Int, afterGap: Bool, isDatagram: Bool) {
        self.bytes = bytes
        self.direction = direction
        self.timestampNs = timestampNs
        self.streamOffset = streamOffset
        self.afterGap = afterGap
        self.isDatagram = isDatagram
    }
}

/// What a dissector says after each chunk.
public enum DissectorVerdict: Equatable {
    /// Keep sending this flow's chunks.
    case wantMore
    /// Finished (everything it wanted is extracted): the flow stops paying for it.
    case done
    /// This flow is not its protocol: stop sending chunks.
    case notMine
    /// Finished, and the flow has become a tunnel (a proxy's CONNECT succeeded): from these
    /// offsets of the stream the dissector was reading, each direction carries another
    /// protocol. The set hands that inner stream to its dissectors as a new stream (see
    /// InnerStream.swift), so whatever runs inside is dissected as if it stood alone.
    case innerStream(InnerStreamStart)
}

/// One protocol dissector: a stateless type with static entry points (so calls are static and
/// inlinable). Its per-flow state and results live in the flow's metadata, allocated only
/// once it has something to keep; state shared across flows (the DNS answer cache, the
/// device table) lives in the context. The engine calls `feed` with each chunk while the
/// dissector's bit is set in the flow's mask.
public protocol Dissector {
    /// Decides on the flow's first packet whether to look at it at all (cheap: protocol,
    /// ports as a hint for ordering, never as a verdict). Asked again when a tunnel opens on
    /// the flow: `p` then carries the flow's protocol, addresses and ports, and no payload.
    static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool
    static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict
}

/// The set of dissectors a flow engine runs, as a concrete type so that the engine is
/// specialised for it and every call is static (no existential on the per-packet path).
public protocol DissectorSet {
    /// A new flow: set `flow.dissectorMask` to the dissectors that want it, and attach what is
    /// already known about its peers (e.g. the name its server address was resolved from).
    func flowStarted(_ flow: inout FlowState, firstPacket p: Packet)
    /// Runs the dissectors in `flow.dissectorMask` on one chunk and clears the bits of those
    /// that are done or not interested.
    func feed(_ chunk: StreamChunk, flow: inout FlowState)
    /// The flow has ended and is about to be written: conclusions that need the whole flow
    /// (names, certificates and ALPN matched against the signature catalogue) are drawn here.
    func flowEnding(_ flow: inout FlowState)
    /// The dissectors to arm on a stream that a tunnel carries inside this flow (the same
    /// `wants` questions as `flowStarted`, asked of the inner stream).
    func innerStreamMask(_ flow: FlowState) -> UInt64
    /// Draws the run-wide conclusions (which devices are IP-KVMs) once every flow has ended:
    /// before findings are drawn, since they read them.
    func concludeRun()
    /// Writes the records that describe the run as a whole rather than one flow (the device
    /// table), once every flow has ended and before the `stats` record.
    func writeRunRecords(to w: JSONWriter)
    /// The same for the summary report: sections to print after it ("" for none).
    func runSummary() -> String
    /// A set that draws the same conclusions (`flowEnding`) with state of its own, so that a
    /// second thread can conclude flows beside the flow-end thread; nil when there is nothing
    /// to gain. `absorb` brings what it gathered back before `concludeRun`.
    func concludingCopy() -> Self?
    func absorb(_ copy: Self)
}

/// Flow-only analysis: no payload is looked at, no stream is reassembled.
public struct NoDissectors: DissectorSet {
    public init() {}
    @inline(__always)
    public func flowStarted(_ flow: inout FlowState, firstPacket p: Packet) {}
    @inline(__always)
    public func feed(_ chunk: StreamChunk, flow: inout FlowState) {}
}

extension DissectorSet {
    /// Nothing to conclude at the end by default (flow-only analysis, sets made for tests).
    @inline(__always)
    public func flowEnding(_ flow: inout FlowState) {}
    /// No inner streams by default (flow-only analysis, sets made for tests).
    public func innerStreamMask(_ flow: FlowState) -> UInt64 { 0 }
    /// No conclusions to share out by default (flow-only analysis, sets made for tests).
    public func concludingCopy() -> Self? { nil }
    public func absorb(_ copy: Self) {}
    /// No run records by default (flow-only analysis, sets made for tests).
    public func concludeRun() {}
    public func writeRunRecords(to w: JSONWriter) {}
    public func runSummary() -> String { "" }

    /// Runs one dissector if its bit is set, and clears the bit when it is finished.
    @inline(__always)
    public func run<D: Dissector>(_ d: D.Type, bit: UInt64, _ chunk: StreamChunk, _ flow: inout FlowState,
                                  _ context: DissectorContext) {
        guard flow.dissectorMask & bit != 0 else { return }
        switch D.feed(chunk, flow: &flow, context: context) {
        case .wantMore: break
        case .done, .notMine: flow.dissectorMask &= ~bit
        case .innerStream(let start):
            flow.dissectorMask = flow.dissectorMask & ~bit | innerStreamOpeningBit
            flow.ensureMetadata().noteInnerStream(start, openedBy: bit)
        }
    }

    @inline(__always)
    public func wantsBit<D: Dissector>(_ d: D.Type, bit: UInt64, _ flow: FlowState, _ p: Packet) -> UInt64 {
        D.wants(flow, firstPacket: p) ? bit : 0
    }
}
