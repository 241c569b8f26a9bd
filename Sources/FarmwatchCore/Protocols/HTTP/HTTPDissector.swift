/// HTTP/1.x (RFC 9112): method, Host, URI and User-Agent of each request; status, Server,
/// Content-Type and the HTML title of each response; CONNECT targets and protocol switches
/// (WebSocket). Found by content on any port: a stream that opens with a request line, or
/// with a status line when the capture shows the server's side first.
///
/// Costs are bounded per flow: the first `maxTransactions` transactions, the first
/// `budgetPerDirection` bytes of each direction, heads of at most 16 KiB, a KiB of one body
/// at a time for the title. Bodies are walked, never copied. A flow that becomes a tunnel
/// (CONNECT answered 2xx, or 101 Switching Protocols) is handed on as an inner stream, so
/// whatever runs inside it is dissected in its own right; a WebSocket's frames are taken off
/// first (WebSocketUnwrapper), so that RFB from noVNC or SSH through wstunnel is named too.
public enum HTTPDissector: Dissector {
    /// Transactions kept per flow (pipelined or keep-alive): enough to see what a client does
    /// on a connection, few enough that a long keep-alive session costs no more than this.
    static let maxTransactions = 8
    /// Bytes read per direction. Past it a flow is carrying bodies, not telling us anything
    /// new. It equals the stream reassembler's default delivery budget: a smaller one would
    /// lose the responses that follow a large body on a keep-alive connection without saving
    /// the engine any work (it delivers a flow's bytes until every dissector is done with it).
    static let budgetPerDirection = 64 * 1024

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        let facts: HTTPFacts
        if let existing = flow.metadata?.facts(StandardDissectors.httpSlot, as: HTTPFacts.self) {
            facts = existing
        } else {
            // Decided by the first bytes either side sends: HTTP clients speak first, so a
            // stream that does not open with a request (or, picked up late, a response) is not
            // HTTP. This check does not allocate; nothing is kept for other flows.
            guard chunk.streamOffset == 0 else { return .notMine }
            let clientSide: Direction
            switch HTTPMessageParser.streamStart(chunk.bytes) {
            case .request: clientSide = chunk.direction
            case .response: clientSide = chunk.direction.opposite
            case .other: return .notMine
            }
            facts = flow.facts(StandardDissectors.httpSlot) { HTTPFacts(clientSide: clientSide) }
        }
        guard let metadata = flow.metadata else { return .notMine }
        let isClient = chunk.direction == facts.clientSide
        if !startsReadable(chunk, isClient: isClient) || chunk.streamOffset >= budgetPerDirection {
            finish(facts, isClient: isClient)
        } else {
            let usable = min(chunk.bytes.count, budgetPerDirection - chunk.streamOffset)
            let bytes = UnsafeRawBufferPointer(rebasing: chunk.bytes[..<usable])
            if isClient {
                readRequests(bytes, at: chunk.streamOffset, facts, metadata)
            } else if let tunnel = readResponses(bytes, at: chunk.streamOffset, facts, metadata) {
                if !tunnel.held.isEmpty { metadata.holdForInnerStream(tunnel.held, from: facts.clientSide) }
                return .innerStream(tunnel.start)
            }
            if chunk.streamOffset + chunk.bytes.count >= budgetPerDirection { finish(facts, isClient: isClient) }
        }
        guard isDone(facts) else { return .wantMore }
        finish(facts, isClient: false)    // frees what the server side still held
        return .done
    }

    /// Whether the chunk can be read where the direction's reader stands. After lost bytes the
    /// message boundaries are unknown; a capture that starts mid-connection (a gap before
    /// offset 0) is readable only if it happens to start at a message. Neither is the peer's
    /// fault, so neither counts as a parse error.
    private static func startsReadable(_ chunk: StreamChunk, isClient: Bool) -> Bool {
        guard chunk.afterGap else { return true }
        guard chunk.streamOffset == 0 else { return false }
        let start = HTTPMessageParser.streamStart(chunk.bytes)
        return start == (isClient ? .request : .response)
    }

    private static func finish(_ f: HTTPFacts, isClient: Bool) {
        if isClient {
            f.client.finish()
        } else {
            f.server.finish()
            f.titleCapture = nil
        }
    }

    /// Finished when no more requests will be read and every request read has its answer
    /// (or the server side cannot be read further).
    private static func isDone(_ f: HTTPFacts) -> Bool {
        guard f.client.isFinished else { return false }
        return f.server.isFinished || (f.responses >= f.transactions.count && f.titleCapture == nil)
    }

    // MARK: Client side

    /// `offset`: where `bytes` start in the client's stream.
    private static func readRequests(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ f: HTTPFacts, _ m: FlowMetadata) {
        var pos = 0
        while let event = f.client.next(bytes, &pos) {
            switch event {
            case .head(let h):
                guard h.isRequest, !h.otherTransferCoding else {
                    // A status line from the client, or a request body whose end is unknowable.
                    m.parseErrors += 1
                    f.client.finish()
                    return
                }
                if h.badLines > 0 { m.parseErrors += 1 }
                let t = HTTPTransaction(request: h)
                f.transactions.append(t)
                if t.isConnect || h.upgrade != nil { f.tunnelRequestEnd = offset + pos }
                if let u = h.upgrade, DERPDissector.namesDERP(u) { m.addRecognition(DERPDissector.upgradeRecognition) }
                if let host = h.host, let name = serverName(host: host) { m.setServerName(name, source: .http) }
                if f.transactions.count >= maxTransactions {
                    f.client.finish()
                    return
                }
                let framing: HTTPStreamReader.Framing = h.chunked ? .chunked : .length(h.contentLength ?? 0)
                // After a CONNECT or an Upgrade request the connection may stop being HTTP:
                // hold the client's next bytes until the server's answer says which.
                f.client.expectBody(framing, thenHold: t.isConnect || h.upgrade != nil)
            case .body, .end:
                break
            case .malformed:
                m.parseErrors += 1
            }
        }
    }

    /// The Host header without its port (and an IPv6 literal without brackets): the name the
    /// client asked this server for.
    static func serverName(host: [UInt8]) -> [UInt8]? {
        var name = host[...]
        if name.first == UInt8(ascii: "[") {
            guard let close = name.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            name = name[(name.startIndex + 1)..<close]
        } else if let colon = name.firstIndex(of: UInt8(ascii: ":")), colon == name.lastIndex(of: UInt8(ascii: ":")),
                  name[(colon + 1)...].allSatisfy(ASCII.isDigit) {
            name = name[..<colon]
        }
        return name.isEmpty ? nil : Array(name)
    }

    // MARK: Server side

    /// `offset`: where `bytes` start in the server's stream. Returns where the tunnel starts
    /// when a CONNECT is granted, with the client bytes held meanwhile.
    private static func readResponses(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ f: HTTPFacts,
                                      _ m: FlowMetadata) -> (start: InnerStreamStart, held: [UInt8])? {
        var pos = 0
        while let event = f.server.next(bytes, &pos) {
            switch event {
            case .head(let h):
                guard !h.isRequest else {
                    m.parseErrors += 1
                    f.server.finish()
                    return nil
                }
                if h.badLines > 0 { m.parseErrors += 1 }
                if h.statusCode < 200 && h.statusCode != 101 {
                    // Interim (100 Continue, 103 Early Hints): no body, the final one follows.
                    f.server.expectBody(.none, thenHold: false)
                    continue
                }
                let i = f.responses
                if i == f.transactions.count {
                    // An answer to a request not seen (the capture began with the server's side).
                    guard i < maxTransactions else { f.server.finish(); return nil }
                    f.transactions.append(HTTPTransaction())
                }
                f.transactions[i].record(response: h)
                f.responses += 1
                let request = f.transactions[i]
                // The request that asked is the last one read: the client's later bytes were held.
                let switched = request.isConnect && h.statusCode < 300 || h.statusCode == 101 && request.upgrade != nil
                if switched && i == f.transactions.count - 1, let clientStart = f.tunnelRequestEnd {
                    // A tunnel: what follows is another protocol's, from the end of the
                    // CONNECT or Upgrade request on the client's side and of this answer on
                    // the server's.
                    if f.transactions[i].websocket { m.frameInnerStreamAsWebSocket() }
                    let held = f.client.release()
                    f.server.finish()
                    f.client.finish()
                    let serverStart = offset + pos
                    return (InnerStreamStart(originatorOffset: f.clientSide == .originator ? clientStart : serverStart,
                                             responderOffset: f.clientSide == .originator ? serverStart : clientStart),
                            held)
                }
                if h.statusCode == 101 || request.isConnect && h.statusCode < 300 {
                    // Another protocol follows, but where it starts on the client's side is unknown
                    // (the request was not seen): nothing more to read as HTTP.
                    f.server.finish()
                    f.client.finish()
                    return nil
                }
                let framing = responseFraming(h, toHEAD: request.method?.elementsEqual("HEAD".utf8) == true)
                f.titleCapture = framing != .none && HTTPTitleCapture.wanted(contentType: h.contentType, contentEncoding: h.contentEncoding)
                    ? HTTPTitleCapture() : nil
                f.server.expectBody(framing, thenHold: false)
                if f.client.isHeld && i == f.transactions.count - 1 {
                    // The CONNECT or Upgrade was refused: the client's held bytes are HTTP again.
                    let held = f.client.release()
                    held.withUnsafeBytes { readRequests($0, at: f.tunnelRequestEnd ?? 0, f, m) }
                }
            case .body(let b):
                switch f.titleCapture?.add(b) {
                case .found(let title)?:
                    f.transactions[f.responses - 1].title = title
                    f.titleCapture = nil
                case .notFound?:
                    f.titleCapture = nil
                case .looking?, nil:
                    break
                }
            case .end:
                f.titleCapture = nil
            case .malformed:
                m.parseErrors += 1
            }
            if f.responses >= maxTransactions && f.titleCapture == nil {
                f.server.finish()
                return nil
            }
        }
        return nil
    }

    /// How a response's body ends (RFC 9112 §6.3).
    static func responseFraming(_ h: HTTPHead, toHEAD: Bool) -> HTTPStreamReader.Framing {
        if toHEAD || h.statusCode == 204 || h.statusCode == 304 { return .none }
        if h.chunked { return .chunked }
        if h.otherTransferCoding { return .untilClose }
        if let n = h.contentLength { return .length(n) }
        return .untilClose
    }
}
