/// RDP over TCP, found by content on any port: the X.224 Connection Request that opens the
/// client's stream (routing cookie, requested security protocols) and the server's Confirm
/// (selected protocol or failure); with Standard RDP Security also the MCS Connect Initial and
/// Response (client name, keyboard layout, build, desktop size, channels; encryption level
/// and server certificate type). When TLS or CredSSP is selected the TLS handshake follows in
/// the same stream, where the TLS dissector finds it: the flow then carries `rdp, tls`.
public enum RDPDissector: Dissector {
    /// An MCS Connect Response with an X.509 chain can reach a few kilobytes.
    static let bufferLimit = 16 * 1024

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        let facts: RDPFacts
        if let existing = flow.metadata?.facts(StandardDissectors.rdpSlot, as: RDPFacts.self) {
            facts = existing
        } else {
            // Claimed only by a stream that opens with a Connection Request from the client,
            // or (a capture that missed it) a Confirm from the server: a few byte compares.
            guard chunk.streamOffset == 0 else { return .notMine }
            let code = chunk.direction == .originator ? RDPConnectionSequence.connectionRequest
                : RDPConnectionSequence.connectionConfirm
            guard RDPConnectionSequence.mayOpenConnectionTPDU(chunk.bytes, code: code) else { return .notMine }
            // The whole TPDU is almost always in the first segment: judge it before keeping
            // anything, so that other ISO transport users (S7, MMS) cost no allocation.
            if let n = RDPConnectionSequence.tpktLength(chunk.bytes), chunk.bytes.count >= n {
                let tpdu = UnsafeRawBufferPointer(rebasing: chunk.bytes[..<n])
                let valid = chunk.direction == .originator
                    ? RDPConnectionSequence.connectionRequest(tpdu) != nil
                    : RDPConnectionSequence.connectionConfirm(tpdu)?.carriesNegotiation == true
                guard valid else { return .notMine }
            }
            facts = flow.facts(StandardDissectors.rdpSlot) { RDPFacts() }
        }
        let metadata = flow.metadata!
        let side = chunk.direction
        let i = side.rawValue
        if facts.phase[i] != .finished {
            if chunk.afterGap || !facts.buffer[i].append(chunk.bytes) {
                facts.finish(side)
            } else if !advance(facts, side) {
                // Malformed RDP is counted; bytes that never were RDP are not.
                if facts.recognition != nil { metadata.parseErrors += 1 }
                facts.finish(side)
            }
        }
        if facts.recognition == nil && facts.phase[0] == .finished && facts.phase[1] == .finished {
            return .notMine
        }
        return facts.phase[0] == .finished && facts.phase[1] == .finished ? .done : .wantMore
    }

    /// Reads the whole TPKTs the side's buffer holds; false on bytes that break the sequence.
    static func advance(_ facts: RDPFacts, _ side: Direction) -> Bool {
        let i = side.rawValue
        var consumed = 0
        let ok: Bool = facts.buffer[i].withBytes { raw in
            while facts.phase[i] != .finished {
                let rest = UnsafeRawBufferPointer(rebasing: raw[consumed...])
                guard rest.count >= 4 else { return true }
                // Anything but a TPKT here is the TLS handshake (or CredSSP) after the
                // negotiation, or a stream that never was RDP: this side is done either way.
                guard let n = RDPConnectionSequence.tpktLength(rest) else {
                    facts.phase[i] = .finished
                    return true
                }
                guard rest.count >= n else { return true }
                guard read(UnsafeRawBufferPointer(rebasing: rest[..<n]), facts, side) else { return false }
                consumed += n
            }
            return true
        }
        // Buffers are trimmed only here, outside the closure that reads them.
        for d in [Direction.originator, .responder] where facts.phase[d.rawValue] == .finished {
            facts.buffer[d.rawValue].clear()
        }
        if facts.phase[i] != .finished { facts.buffer[i].consume(consumed) }
        return ok
    }

    /// One whole TPKT from one side.
    private static func read(_ tpdu: UnsafeRawBufferPointer, _ facts: RDPFacts, _ side: Direction) -> Bool {
        let i = side.rawValue
        switch (side, facts.phase[i]) {
        case (.originator, .negotiation):
            guard let request = RDPConnectionSequence.connectionRequest(tpdu) else { return false }
            facts.sawRequest = true
            facts.cookie = request.cookie
            facts.routingToken = request.routingToken
            facts.requestedProtocols = request.requestedProtocols
            facts.phase[i] = .mcs
        case (.responder, .negotiation):
            guard let answer = RDPConnectionSequence.connectionConfirm(tpdu) else { return false }
            facts.answer = answer
            // Only Standard RDP Security keeps the MCS exchange in clear text.
            facts.phase[i] = facts.selectedProtocol == 0 ? .mcs : .finished
            // TLS or CredSSP from here on: the client's next bytes are a ClientHello.
            if facts.selectedProtocol != 0 { facts.phase[Direction.originator.rawValue] = .finished }
        case (.originator, .mcs):
            // Clients resend the Request after a failure on a new connection, not this one; a
            // Data TPDU that is not a Connect Initial ends what clear text can tell.
            if let mcs = RDPConnectionSequence.mcsPayload(tpdu), let client = RDPClientData.parse(mcs) {
                facts.client = client
            }
            facts.phase[i] = .finished
        case (.responder, .mcs):
            if let mcs = RDPConnectionSequence.mcsPayload(tpdu), let server = RDPServerData.parse(mcs) {
                facts.server = server
            }
            facts.phase[i] = .finished
        case (_, .finished):
            break
        }
        return true
    }
}
