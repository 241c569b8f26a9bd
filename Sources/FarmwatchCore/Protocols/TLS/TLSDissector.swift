/// TLS over TCP, found by content on any port: both hellos (and from them JA4, JA3, JA3S, the
/// server name and ALPN), and the certificate chains of TLS 1.2 and earlier, from either side.
///
/// A flow is claimed on a chunk that opens with a handshake record carrying a hello. TLS
/// behind a proxy's handshake (SOCKS, HTTP CONNECT) or a STARTTLS dialogue (STARTTLSOpener)
/// comes as a stream of its own, opening with the hello (InnerStream.swift); for the preambles
/// no dissector hands on (a protocol the opener does not know, or a dialogue it lost track of
/// after lost bytes), each direction also looks for its first record at chunk starts within
/// its first `preambleLimit` bytes. A connection whose start the capture missed is named from
/// its records alone (TLSRecordChain). The dissector stops once the rest of the handshake is
/// encrypted.
public enum TLSDissector: Dissector {
    static let preambleLimit = 4096

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        if let facts = flow.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self) {
            return consume(chunk, facts, flow.metadata!, context)
        }
        // Not claimed yet: a few byte comparisons, no allocation.
        guard opensWithHello(chunk.bytes) else {
            if chunk.afterGap && chunk.streamOffset == 0 && TLSRecordChain.opensRecord(chunk.bytes) {
                // The capture began after the handshake: only the records can say TLS.
                let facts = flow.facts(StandardDissectors.tlsSlot) { TLSFacts() }
                facts.midStream = TLSRecordChain()
                return consume(chunk, facts, flow.metadata!, context)
            }
            return chunk.streamOffset < preambleLimit ? .wantMore : .notMine
        }
        let facts = flow.facts(StandardDissectors.tlsSlot) { TLSFacts() }
        return consume(chunk, facts, flow.metadata!, context)
    }

    /// A handshake record whose first message is a ClientHello or ServerHello with a 3.x
    /// version (SSL 2 compatible hellos are not looked for), as far as the chunk shows it: a
    /// peer that sends its hello a few bytes per segment is not let past unseen.
    @inline(__always)
    static func opensWithHello(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.first == TLSRecordStream.contentHandshake, TLSRecordStream.mayStartRecord(bytes) else { return false }
        guard bytes.count >= 5 else { return true }
        guard TLSRecordStream.isRecordHeader(bytes) else { return false }
        guard bytes.count >= 6 else { return true }
        guard bytes[5] == TLSHandshakeType.clientHello || bytes[5] == TLSHandshakeType.serverHello else { return false }
        return bytes.count < 10 || bytes[9] == 3
    }

    static func consume(_ chunk: StreamChunk, _ facts: TLSFacts, _ metadata: FlowMetadata,
                        _ context: DissectorContext) -> DissectorVerdict {
        if facts.midStream != nil {
            facts.midStream!.feed(chunk)
            return facts.midStream!.settled ? .done : .wantMore
        }
        let side = chunk.direction
        let i = side.rawValue
        switch facts.phase[i] {
        case .seeking:
            // A record's length is checked by the record stream: an absurd one is counted.
            if TLSRecordStream.mayStartRecord(chunk.bytes) {
                facts.phase[i] = .active
            } else if chunk.streamOffset >= preambleLimit {
                facts.finish(side)
            }
        case .active:
            // Bytes were lost: record boundaries can no longer be found.
            if chunk.afterGap { facts.finish(side) }
        case .finished:
            break
        }
        if facts.phase[i] == .active {
            let outcome = side == .originator
                ? facts.originatorRecords.feed(chunk.bytes) { facts.handle($0, from: side, metadata, context) }
                : facts.responderRecords.feed(chunk.bytes) { facts.handle($0, from: side, metadata, context) }
            switch outcome {
            case .more: break
            case .stopped: facts.finish(side)
            case .malformed:
                facts.finish(side)
                metadata.parseErrors += 1
            }
        }
        return facts.phase[0] == .finished && facts.phase[1] == .finished ? .done : .wantMore
    }
}

extension TLSFacts {
    /// Acts on one event of one direction; false once nothing more can be read from it.
    func handle(_ event: TLSRecordStream.Event, from side: Direction, _ metadata: FlowMetadata,
                _ context: DissectorContext) -> Bool {
        switch event {
        case .changeCipherSpec:
            // Encrypted from here on, except after a TLS 1.3 HelloRetryRequest: the server's
            // compatibility ChangeCipherSpec (RFC 8446 Appendix D.4) precedes its real
            // ServerHello, still in clear.
            return side == serverSide && serverHello == nil && helloRetryRequest != nil
        case .applicationData:
            return false
        case .handshake(let type, let body):
            switch type {
            case TLSHandshakeType.clientHello:
                // The second ClientHello after a HelloRetryRequest is not fingerprinted: FoxIO
                // and JA3 take the connection's first. Kept as bytes: it is read when the
                // flow is concluded, off the packet thread (`TLSFacts.conclude`).
                guard clientHelloBody == nil && clientHello == nil else { return true }
                guard TLSClientHello.framingHolds(body) else {
                    metadata.parseErrors += 1
                    return false
                }
                clientHelloBody = Array(body)
                clientSide = side
                return true
            case TLSHandshakeType.serverHello:
                guard serverHello == nil else { return true }
                guard let hello = TLSServerHello.parse(body) else {
                    metadata.parseErrors += 1
                    return false
                }
                serverSide = side
                metadata.parseErrors += UInt32(hello.malformedExtensions)
                if hello.isHelloRetryRequest {
                    if helloRetryRequest == nil { helloRetryRequest = hello }
                    return true
                }
                serverHello = hello
                // From TLS 1.3 on, the rest of the server's handshake is encrypted.
                return hello.negotiatedVersion <= 0x0303
            case TLSHandshakeType.certificate:
                keepCertificates(body, from: side, metadata)
                return true
            case TLSHandshakeType.serverHelloDone, TLSHandshakeType.clientKeyExchange:
                // The last message of the side's clear-text flight.
                return false
            default:
                return true
            }
        }
    }

    /// Keeps the side's first Certificate message as DER bytes; they are read into summaries
    /// when the flow is concluded (`TLSFacts.conclude`), off the packet thread.
    private func keepCertificates(_ body: UnsafeRawBufferPointer, from side: Direction, _ metadata: FlowMetadata) {
        let isServer = side == serverSide
        guard isServer || side == clientSide,
              (isServer ? serverCertificateDERs : clientCertificateDERs) == nil else { return }
        guard let (ders, truncated) = TLSCertificateMessage.entries(body) else {
            metadata.parseErrors += 1
            return
        }
        if truncated { metadata.parseErrors += 1 }
        if isServer { serverCertificateDERs = ders } else { clientCertificateDERs = ders }
    }
}
