/// Streams inside streams: once a proxy's tunnel is open (a SOCKS CONNECT granted, an HTTP
/// CONNECT answered 2xx), the rest of the flow is another protocol, and it is dissected as if
/// it stood alone: the dissector that saw the tunnel open answers `.innerStream(start)`, and
/// the set re-arms its dissectors (their own `wants`) on a stream whose offsets start at 0
/// where the tunnel begins. No dissector needs to know what carries it; the proxy's family
/// comes first in `protocols` because relays sit on the outer layer.
///
/// A WebSocket is a tunnel whose inner stream is framed: the opener (HTTP, after 101) asks for
/// the framing to be taken off (`frameInnerStreamAsWebSocket`), and the inner stream is the
/// binary messages' payload (WebSocketUnwrapper), counted in its own offsets.
///
/// Flows without a tunnel pay one nil check per chunk (`metadata?.innerStream`).

/// Where the inner stream starts in each direction of the stream the reporting dissector read.
public struct InnerStreamStart: Equatable, Sendable {
    public var originatorOffset: Int
    public var responderOffset: Int

    public init(originatorOffset: Int, responderOffset: Int) {
        self.originatorOffset = originatorOffset
        self.responderOffset = responderOffset
    }

    public static let zero = InnerStreamStart(originatorOffset: 0, responderOffset: 0)

    @inline(__always)
    func offset(_ side: Direction) -> Int { side == .originator ? originatorOffset : responderOffset }

    /// A tunnel inside a tunnel: offsets reported in the inner stream's coordinates, made
    /// absolute (relative to the flow's own TCP stream).
    func nested(_ inner: InnerStreamStart) -> InnerStreamStart {
        InnerStreamStart(originatorOffset: originatorOffset &+ inner.originatorOffset,
                         responderOffset: responderOffset &+ inner.responderOffset)
    }

    /// `chunk` in the inner stream's coordinates: the part before the start cut off, offsets
    /// counted from it; nil when all of it lies before. Bytes lost before the start were the
    /// outer protocol's, so a chunk that begins the inner stream is not "after a gap".
    @inline(__always)
    func rebased(_ chunk: StreamChunk) -> StreamChunk? {
        let start = offset(chunk.direction)
        guard start > 0 else { return chunk }
        let end = chunk.streamOffset &+ chunk.bytes.count
        guard end > start else { return nil }
        var c = chunk
        if chunk.streamOffset <= start {
            c.bytes = UnsafeRawBufferPointer(rebasing: chunk.bytes[(start - chunk.streamOffset)...])
            c.streamOffset = 0
            c.afterGap = false
        } else {
            c.streamOffset = chunk.streamOffset - start
        }
        return c
    }
}

/// A flow's tunnel, kept in its metadata once one opened.
public struct InnerStreamState {
    /// Where the innermost stream starts, relative to the flow's own stream.
    public internal(set) var start: InnerStreamStart
    /// The dissectors (mask bits) that opened a tunnel on this flow: not re-armed inside it
    /// (their facts already describe the outer layer).
    var openers: UInt64
    /// Bytes of one direction that arrived after the tunnel's request but before it was
    /// granted, held by the opener and replayed as the inner stream's first bytes.
    var prelude: [UInt8] = []
    var preludeDirection: Direction = .originator
    /// Takes WebSocket framing off the stream from `start` on (nil: no framing).
    var webSocket: WebSocketUnwrapper?
    /// A tunnel opened inside the WebSocket's payload: where it starts, in the payload's own
    /// offsets (a WebSocket's offsets are not the flow's, so they cannot be nested into `start`).
    var insideWebSocket: InnerStreamStart = .zero
    /// The tunnel opened inside a WebSocket's payload: the chunk that opened it has been
    /// unframed already, so its rest cannot be handed over again (the unwrapper keeps no
    /// payload); the inner dissectors start with the next chunk.
    var openedInsideWebSocket = false
}

extension FlowMetadata {
    /// Called by the set when a dissector answers `.innerStream(start)`.
    func noteInnerStream(_ start: InnerStreamStart, openedBy bit: UInt64) {
        let outer = innerStream?.start ?? .zero
        var state = InnerStreamState(start: outer.nested(start), openers: (innerStream?.openers ?? 0) | bit)
        if let framed = innerStream, let ws = framed.webSocket {
            // Offsets reported from inside a WebSocket count its payload.
            state.start = framed.start
            state.webSocket = ws
            state.insideWebSocket = framed.insideWebSocket.nested(start)
            state.openedInsideWebSocket = true
        } else if pendingInnerWebSocket {
            state.webSocket = WebSocketUnwrapper()
        }
        pendingInnerWebSocket = false
        state.prelude = pendingInnerPrelude
        state.preludeDirection = pendingInnerPreludeDirection
        pendingInnerPrelude = []
        innerStream = state
    }

    /// An opener hands over what it held of `direction` past the tunnel's start (e.g. a client
    /// that sent its first bytes before the proxy said yes), just before answering
    /// `.innerStream`.
    public func holdForInnerStream(_ bytes: [UInt8], from direction: Direction) {
        pendingInnerPrelude = bytes
        pendingInnerPreludeDirection = direction
    }

    /// An opener says the tunnel it is about to report carries WebSocket frames (RFC 6455),
    /// just before answering `.innerStream`.
    public func frameInnerStreamAsWebSocket() {
        pendingInnerWebSocket = true
    }
}

extension DissectorSet {
    /// The mask bit a dissector's `.innerStream` answer sets until the chunk has been seen by
    /// every dissector (bit 39: no dissector may use it).
    public static var innerStreamOpeningBit: UInt64 { 1 << 39 }
    @inline(__always)
    var innerStreamOpeningBit: UInt64 { Self.innerStreamOpeningBit }

    /// Feeds one chunk through `dissect` (the set's dissectors in order) in the coordinates of
    /// the flow's innermost stream, and opens the inner stream when a dissector reports one.
    @inline(__always)
    public func feedLayered(_ chunk: StreamChunk, _ flow: inout FlowState,
                            _ dissect: (StreamChunk, inout FlowState) -> Void) {
        if let inner = flow.metadata?.innerStream {
            if let c = inner.start.rebased(chunk) { deliverInner(c, inner, &flow, dissect) }
        } else {
            dissect(chunk, &flow)
        }
        if flow.dissectorMask & innerStreamOpeningBit != 0 { openInnerStream(chunk, &flow, dissect) }
    }

    /// Arms the dissectors that want the inner stream, then gives them what of it has already
    /// arrived: the opener's held bytes and the rest of the chunk that opened the tunnel.
    private func openInnerStream(_ chunk: StreamChunk, _ flow: inout FlowState,
                                 _ dissect: (StreamChunk, inout FlowState) -> Void) {
        flow.dissectorMask &= ~innerStreamOpeningBit
        guard let m = flow.metadata, let inner = m.innerStream else { return }
        flow.dissectorMask |= innerStreamMask(flow) & ~inner.openers & ~innerStreamOpeningBit
        if !inner.prelude.isEmpty {
            m.innerStream?.prelude = []
            inner.prelude.withUnsafeBytes { bytes in
                let held = StreamChunk(bytes: bytes, direction: inner.preludeDirection, timestampNs: chunk.timestampNs,
                                       streamOffset: 0, afterGap: false, isDatagram: chunk.isDatagram)
                // Held inside a WebSocket, the bytes are unframed payload already.
                if inner.openedInsideWebSocket { dissect(held, &flow) } else { deliverInner(held, inner, &flow, dissect) }
            }
        }
        if !inner.openedInsideWebSocket, let rest = inner.start.rebased(chunk) { deliverInner(rest, inner, &flow, dissect) }
        if flow.dissectorMask & innerStreamOpeningBit != 0 { openInnerStream(chunk, &flow, dissect) }
    }

    /// One chunk of the tunnel's stream (already rebased to it) to the dissectors: as it is, or
    /// with WebSocket framing taken off and rebased again to a tunnel inside the WebSocket.
    @inline(__always)
    private func deliverInner(_ chunk: StreamChunk, _ inner: InnerStreamState, _ flow: inout FlowState,
                              _ dissect: (StreamChunk, inout FlowState) -> Void) {
        guard let ws = inner.webSocket, let m = flow.metadata else {
            dissect(chunk, &flow)
            return
        }
        ws.unwrap(chunk, m) { piece in
            if let c = inner.insideWebSocket.rebased(piece) { dissect(c, &flow) }
        }
    }
}
