/// STARTTLS, found by content on any port: a plaintext session that asks for TLS and is told
/// yes, after which the rest of the connection is TLS. The opener reads the plaintext dialogue
/// of SMTP (and LMTP), FTP, POP3, IMAP, NNTP, ManageSieve, XMPP, LDAP and PostgreSQL only as
/// far as the request and its answer (STARTTLSMessages.swift), and on a success answer hands
/// the stream on from where the handshake starts in each direction (`.innerStream`,
/// InnerStream.swift): the TLS dissector reads it as it reads direct TLS (SNI, ALPN, JA4/JA3,
/// certificates). A refusal leaves the flow in the clear. Either way the flow's `starttls`
/// object says which protocol asked and what the server answered.
///
/// A flow is claimed only when its first bytes are a known greeting (server-first dialects) or
/// the client's XMPP stream header, LDAP StartTLS request or PostgreSQL SSLRequest, checked
/// without allocating; ports are not looked at. The request must be the last line the client
/// sent before the server's answer, so text that merely mentions STARTTLS (a capability list,
/// a mail body) opens nothing.
public enum STARTTLSOpener: Dissector {
    /// Plaintext bytes read per direction: clients ask right after the greeting and the
    /// capability exchange (a few hundred bytes; an FTP banner or XMPP's stream features a few
    /// KiB). Past it a session is not about to ask.
    static let prologueLimit = 16 * 1024

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        if let facts = flow.metadata?.facts(StandardDissectors.startTLSSlot, as: STARTTLSFacts.self) {
            return facts.consume(chunk)
        }
        // Decided by the flow's first bytes, either side's: nothing is kept for other flows.
        guard chunk.streamOffset == 0, !chunk.afterGap,
              let (dialect, fromClient) = STARTTLSMessages.opening(chunk.bytes) else { return .notMine }
        let clientSide = fromClient ? chunk.direction : chunk.direction.opposite
        let facts = flow.facts(StandardDissectors.startTLSSlot) { STARTTLSFacts(dialect: dialect, clientSide: clientSide) }
        return facts.consume(chunk)
    }
}

extension STARTTLSFacts {
    func consume(_ chunk: StreamChunk) -> DissectorVerdict {
        // Lost bytes hide where lines and messages start.
        guard !chunk.afterGap, chunk.streamOffset < STARTTLSOpener.prologueLimit else { return .done }
        let fromClient = chunk.direction == clientSide
        switch dialect {
        case .ldap: return ldap(chunk, fromClient)
        case .postgresql: return postgres(chunk, fromClient)
        case .smtpOrFTP, .nntp, .pop3, .imap, .manageSieve, .xmpp: return lines(chunk, fromClient)
        }
    }

    /// The server said yes; its answer ends at `answerEnd`, and each side's next byte is TLS.
    private func accepted(answerEnd: Int) -> DissectorVerdict {
        status = .accepted
        pending = false
        return .innerStream(clientSide == .originator
            ? InnerStreamStart(originatorOffset: requestEnd, responderOffset: answerEnd)
            : InnerStreamStart(originatorOffset: answerEnd, responderOffset: requestEnd))
    }

    /// The server said no: the session goes on in the clear, and there is nothing more to learn.
    private func refused() -> DissectorVerdict {
        status = .refused
        pending = false
        return .done
    }

    // MARK: Text dialects: lines, or XML tags for XMPP

    private func lines(_ chunk: StreamChunk, _ fromClient: Bool) -> DissectorVerdict {
        let delimiter = dialect == .xmpp ? UInt8(ascii: ">") : 0x0A
        let bytes = chunk.bytes
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: delimiter)
            let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<(end ?? bytes.count)])
            if fromClient { clientLine.take(piece) } else { serverLine.take(piece) }
            guard let end else { break }
            start = end + 1
            let lineEnd = chunk.streamOffset + start
            if fromClient {
                clientLine.withBytes { clientSaid($0, end: lineEnd) }
                clientLine.reset()
            } else {
                let verdict = serverLine.withBytes { serverSaid($0, last: serverLine.last, end: lineEnd) }
                serverLine.reset()
                if let verdict { return verdict }
            }
        }
        return .wantMore
    }

    /// One complete client line: a request for TLS, or anything else.
    private func clientSaid(_ line: UnsafeRawBufferPointer, end: Int) {
        if dialect == .xmpp {
            guard let (name, closing) = STARTTLSMessages.element(line), name.equalsIgnoringCase("starttls") else {
                notARequest()
                return
            }
            // `<starttls ...></starttls>`: the request ends with its closing tag.
            if closing {
                if pending { requestEnd = end }
                return
            }
            request(.xmpp, end: end)
            return
        }
        guard let (requested, tagRange) = STARTTLSMessages.textRequest(line, dialect) else {
            notARequest()
            return
        }
        request(requested, end: end)
        if requested == .imap { tag.keep(UnsafeRawBufferPointer(rebasing: line[tagRange])) }
    }

    /// A request the client followed with more before any answer was not one the server was
    /// to answer (a line of a mail body): it is forgotten.
    private func notARequest() {
        if pending { requested = nil }
        pending = false
    }

    private func request(_ requested: STARTTLSProtocol, end: Int) {
        self.requested = requested
        status = .unanswered
        pending = true
        requestEnd = end
        proceedOpen = false
    }

    /// One complete server line, while a request waits: the answer, or nil while it is still
    /// to come.
    private func serverSaid(_ line: UnsafeRawBufferPointer, last: UInt8, end: Int) -> DissectorVerdict? {
        guard pending, let requested else { return nil }
        if dialect == .xmpp {
            guard let (name, closing) = STARTTLSMessages.element(line) else { return nil }
            if name.equalsIgnoringCase("proceed") {
                // `<proceed .../>`, or `<proceed ...>` whose closing tag ends the answer.
                if closing { return proceedOpen ? accepted(answerEnd: end) : nil }
                if last == UInt8(ascii: "/") { return accepted(answerEnd: end) }
                proceedOpen = true
                return nil
            }
            return name.equalsIgnoringCase("failure") && !closing ? refused() : nil
        }
        switch tag.withBytes({ STARTTLSMessages.textAnswer(line, to: requested, tag: $0) }) {
        case true?: return accepted(answerEnd: end)
        case false?: return refused()
        case nil: return nil
        }
    }

    // MARK: LDAP

    /// The request is the client's first message and the answer the server's (RFC 4513 §3.1.1:
    /// no other operation may be outstanding).
    private func ldap(_ chunk: StreamChunk, _ fromClient: Bool) -> DissectorVerdict {
        if fromClient {
            guard chunk.streamOffset == 0 else { return .wantMore }
            guard let startTLS = STARTTLSMessages.ldapStartTLSRequest(chunk.bytes) else { return .done }
            request(.ldap, end: startTLS.end)
            requestID = startTLS.id
            return .wantMore
        }
        guard pending, chunk.streamOffset == 0,
              let answer = STARTTLSMessages.ldapStartTLSResponse(chunk.bytes, id: requestID) else { return .done }
        return answer.success ? accepted(answerEnd: answer.end) : refused()
    }

    // MARK: PostgreSQL

    /// An SSLRequest answered S or N; a GSSENCRequest answered N may be followed by an
    /// SSLRequest (libpq's order), answered in turn. Each request is 8 bytes, each answer one.
    private func postgres(_ chunk: StreamChunk, _ fromClient: Bool) -> DissectorVerdict {
        if fromClient {
            guard !pending, chunk.streamOffset == requestEnd,
                  let code = STARTTLSMessages.postgresRequest(chunk.bytes) else { return .done }
            requestID = code
            if code == STARTTLSMessages.sslRequestCode {
                request(.postgresql, end: requestEnd + 8)
            } else {
                pending = true
                requestEnd += 8
            }
            return .wantMore
        }
        guard pending, chunk.streamOffset == answerOffset, let answer = chunk.bytes.first else { return .done }
        pending = false
        answerOffset += 1
        if requestID == STARTTLSMessages.sslRequestCode {
            return answer == UInt8(ascii: "S") ? accepted(answerEnd: answerOffset) : refused()
        }
        // GSSENCRequest: N lets the client ask for TLS next; G is GSSAPI encryption, not TLS.
        return answer == UInt8(ascii: "N") ? .wantMore : .done
    }
}
