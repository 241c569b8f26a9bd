/// SOCKS 4, 4a and 5 over TCP, found by content on any port: the client's greeting and
/// authentication (which method; a user name, never a password), its request (CONNECT, BIND
/// or UDP ASSOCIATE and the target), and the server's answers. Once a CONNECT (or the second
/// BIND reply) succeeds, the rest of the connection is whatever the client tunnels: the
/// dissector answers `.innerStream` and the set dissects that as a stream of its own.
///
/// A flow is claimed only when its first bytes are a whole SOCKS 5 greeting or SOCKS 4 request
/// (checked without allocating), and recognised once the server answers in SOCKS, or a SOCKS 5
/// client follows its greeting with a valid request.
public enum SOCKSDissector: Dissector {
    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        if let facts = flow.metadata?.facts(StandardDissectors.socksSlot, as: SOCKSFacts.self) {
            return facts.consume(chunk, flow.metadata!)
        }
        // A SOCKS server never speaks first: the first bytes of the flow are the client's.
        guard chunk.streamOffset == 0, let version = SOCKSMessage.openingVersion(chunk.bytes) else { return .notMine }
        let facts = flow.facts(StandardDissectors.socksSlot) { SOCKSFacts(version: version, clientSide: chunk.direction) }
        return facts.consume(chunk, flow.metadata!)
    }
}

extension SOCKSFacts {
    /// Messages are short (a request is at most 262 bytes, an RFC 1929 exchange 513); the
    /// client's bytes held while its request awaits the answer count against this too.
    static let bufferLimit = 4096

    func consume(_ chunk: StreamChunk, _ metadata: FlowMetadata) -> DissectorVerdict {
        let isClient = chunk.direction == clientSide
        if chunk.afterGap && chunk.streamOffset > 0 {
            // Bytes were lost: message boundaries are gone.
            return .done
        }
        if isClient {
            if clientPhase == .finished { return verdict }
            if clientBuffer.isEmpty { clientBufferOffset = chunk.streamOffset }
            guard clientBuffer.append(chunk.bytes) else {
                if clientPhase == .held {
                    clientHoldOverflowed = true
                    clientBuffer.clear()
                } else {
                    failed(metadata)
                }
                return verdict
            }
            advanceClient(metadata)
        } else {
            if serverPhase == .finished { return verdict }
            if serverBuffer.isEmpty { serverBufferOffset = chunk.streamOffset }
            guard serverBuffer.append(chunk.bytes) else {
                failed(metadata)
                return verdict
            }
            if let start = advanceServer(metadata) {
                if !clientBuffer.isEmpty && !clientHoldOverflowed {
                    metadata.holdForInnerStream(clientBuffer.bytes, from: clientSide)
                }
                clientBuffer.clear()
                serverBuffer.clear()
                clientPhase = .finished
                serverPhase = .finished
                tunnelOpened = true
                return .innerStream(start)
            }
        }
        return verdict
    }

    private var verdict: DissectorVerdict {
        clientPhase == .finished && serverPhase == .finished ? .done : .wantMore
    }

    /// Not SOCKS after all, or broken: both sides stop. Counted only for a flow that had shown
    /// itself to be SOCKS (a look-alike first message is not an error).
    private func failed(_ metadata: FlowMetadata) {
        if recognition != nil { metadata.parseErrors += 1 }
        finish()
    }

    private func finish() {
        clientPhase = .finished
        serverPhase = .finished
        clientBuffer.clear()
        serverBuffer.clear()
    }

    /// Takes one parsed message off the client's buffer.
    private func takeClient<T>(_ parse: (UnsafeRawBufferPointer) -> SOCKSMessage.Parse<T>) -> SOCKSMessage.Parse<T> {
        let result = clientBuffer.withBytes(parse)
        if case .message(_, let length) = result {
            clientBuffer.consume(length)
            clientBufferOffset += length
        }
        return result
    }

    private func takeServer<T>(_ parse: (UnsafeRawBufferPointer) -> SOCKSMessage.Parse<T>) -> SOCKSMessage.Parse<T> {
        let result = serverBuffer.withBytes(parse)
        if case .message(_, let length) = result {
            serverBuffer.consume(length)
            serverBufferOffset += length
        }
        return result
    }

    private func advanceClient(_ metadata: FlowMetadata) {
        while !clientBuffer.isEmpty {
            switch clientPhase {
            case .greeting where version == 5:
                switch takeClient(SOCKSMessage.greeting) {
                case .needMore: return
                case .invalid: failed(metadata); return
                case .message(let methods, _):
                    offeredMethods = methods
                    clientPhase = .authenticationOrRequest
                }
            case .greeting:
                switch takeClient(SOCKSMessage.socks4Request) {
                case .needMore: return
                case .invalid: failed(metadata); return
                case .message(let request, _):
                    record(request)
                    clientPhase = .held
                }
            case .authenticationOrRequest:
                // The version byte says which: RFC 1929's 1, or a request's 5.
                if clientBuffer.bytes[0] == 1 && offeredMethods.contains(SOCKSMessage.methodUsernamePassword) {
                    switch takeClient(SOCKSMessage.usernamePassword) {
                    case .needMore: return
                    case .invalid: failed(metadata); return
                    case .message(let name, _):
                        user = name
                        passwordSent = true
                    }
                } else {
                    switch takeClient(SOCKSMessage.request) {
                    case .needMore: return
                    case .invalid: failed(metadata); return
                    case .message(let request, _):
                        record(request)
                        clientPhase = .held
                    }
                }
            case .held:
                // The tunnel's first bytes, sent before the answer: kept for the inner stream.
                return
            case .finished:
                clientBuffer.clear()
                return
            }
        }
    }

    private func record(_ request: SOCKSMessage.Request) {
        command = request.command
        target = request.address
        targetPort = request.port
        if let id = request.userID, !id.isEmpty { user = id }
        requestEnd = clientBufferOffset
    }

    /// Reads the server's answers; returns where the tunnel starts once one is granted.
    private func advanceServer(_ metadata: FlowMetadata) -> InnerStreamStart? {
        while !serverBuffer.isEmpty {
            switch serverPhase {
            case .methodSelection:
                switch takeServer(SOCKSMessage.methodSelection) {
                case .needMore: return nil
                case .invalid: failed(metadata); return nil
                case .message(let method, _):
                    guard method == SOCKSMessage.methodNoAcceptable || offeredMethods.contains(method) else {
                        failed(metadata)
                        return nil
                    }
                    authMethod = method
                    serverAnswered = true
                    switch method {
                    case SOCKSMessage.methodNone: serverPhase = .reply
                    case SOCKSMessage.methodUsernamePassword: serverPhase = .authenticationStatus
                    default:
                        // Refused, or GSSAPI and private methods, whose messages may be
                        // encapsulated from here on: nothing more can be read.
                        finish()
                        return nil
                    }
                }
            case .authenticationStatus:
                switch takeServer(SOCKSMessage.usernamePasswordStatus) {
                case .needMore: return nil
                case .invalid: failed(metadata); return nil
                case .message(let status, _):
                    authStatus = status
                    if status != 0 { finish(); return nil }
                    serverPhase = .reply
                }
            case .reply, .secondReply:
                let parse = version == 5 ? takeServer(SOCKSMessage.reply) : takeServer(SOCKSMessage.socks4Reply)
                switch parse {
                case .needMore: return nil
                case .invalid: failed(metadata); return nil
                case .message(let reply, _):
                    serverAnswered = true
                    let granted = reply.code == (version == 5 ? 0 : 90)
                    // A BIND's first reply names the port the server listens on; the second
                    // says who connected. Either one's code is the request's outcome so far.
                    replyCode = reply.code
                    if serverPhase == .reply {
                        bound = reply.address
                        boundPort = reply.port
                    }
                    guard granted, clientPhase == .held, let requestEnd else { finish(); return nil }
                    if command == SOCKSMessage.commandBind && serverPhase == .reply {
                        serverPhase = .secondReply
                        continue
                    }
                    guard command != SOCKSMessage.commandUDPAssociate else {
                        // The datagrams go to the bound address, in another flow; this
                        // connection only keeps the association alive.
                        finish()
                        return nil
                    }
                    return InnerStreamStart(
                        originatorOffset: clientSide == .originator ? requestEnd : serverBufferOffset,
                        responderOffset: clientSide == .originator ? serverBufferOffset : requestEnd)
                }
            case .finished:
                serverBuffer.clear()
                return nil
            }
        }
        return nil
    }
}
