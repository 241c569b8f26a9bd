/// The application protocols whose STARTTLS farmwatch follows, as the `starttls.protocol`
/// field names them (Suricata's app-layer names where it has one, as its EVE `app_proto_orig`
/// says what a flow spoke before it turned into TLS).
public enum STARTTLSProtocol: UInt8, Sendable {
    case smtp, ftp, nntp, pop3, imap, manageSieve, xmpp, ldap, postgresql

    public var name: StaticString {
        switch self {
        case .smtp: return "smtp"
        case .ftp: return "ftp"
        case .nntp: return "nntp"
        case .pop3: return "pop3"
        case .imap: return "imap"
        case .manageSieve: return "managesieve"
        case .xmpp: return "xmpp"
        case .ldap: return "ldap"
        case .postgresql: return "postgresql"
        }
    }
}

/// What the STARTTLS opener learnt about one flow (which protocol asked for TLS, and what the
/// server answered), and the small fixed-size state it reads the plaintext dialogue with.
/// Written as a `"starttls"` object once the client has asked.
public final class STARTTLSFacts: FlowFacts {
    public enum Status: UInt8 {
        /// Asked, no answer seen (yet).
        case unanswered
        /// The server said yes: TLS follows, dissected as the flow's inner stream.
        case accepted
        /// The server said no: the session goes on in the clear.
        case refused

        public var name: StaticString {
            switch self {
            case .unanswered: return "unanswered"
            case .accepted: return "accepted"
            case .refused: return "refused"
            }
        }
    }

    let dialect: STARTTLSMessages.Dialect
    public let clientSide: Direction
    /// The protocol of the client's (last) request for TLS; nil until it asks.
    public internal(set) var requested: STARTTLSProtocol?
    public internal(set) var status = Status.unanswered

    /// The client's request is the last thing it sent and awaits the server's answer.
    var pending = false
    /// Where the client's request ends: its next byte is the TLS handshake's first.
    var requestEnd = 0
    /// XMPP: the answer came as an open tag (`<proceed ...>`), and ends with its closing tag.
    var proceedOpen = false
    /// The line (or XML tag) each direction is in the middle of.
    var clientLine = LineHead()
    var serverLine = LineHead()
    /// IMAP: the tag of the STARTTLS command, which its answer repeats.
    var tag = LineHead()
    /// LDAP: the messageID of the StartTLS request. PostgreSQL: the code of the pending request.
    var requestID: UInt32 = 0
    /// PostgreSQL: where the server's next one-byte answer lies.
    var answerOffset = 0

    init(dialect: STARTTLSMessages.Dialect, clientSide: Direction) {
        self.dialect = dialect
        self.clientSide = clientSide
    }

    public func writeJSON(to w: JSONWriter) {
        guard let requested else { return }
        w.key("starttls"); w.beginObject()
        w.field("protocol", requested.name)
        w.field("status", status.name)
        w.endObject()
    }
}

/// The first bytes of one line (or XML tag) of one direction, gathered across chunks: all the
/// opener needs of a line to tell a request or an answer. Fixed size, kept inline in the facts.
struct LineHead {
    static let capacity = 64
    private var storage = InlineArray<64, UInt8>(repeating: 0)
    private(set) var count = 0
    /// The line's last byte (for XML, `/` when the tag is an empty element's).
    private(set) var last: UInt8 = 0

    /// Adds the next piece of the line. White space before its first byte is skipped: XML
    /// puts it between tags.
    mutating func take(_ piece: UnsafeRawBufferPointer) {
        for b in piece {
            if count == 0 && STARTTLSMessages.isSpace(b) { continue }
            if count < Self.capacity { storage[count] = b }
            count = min(count + 1, Self.capacity)
            last = b
        }
    }

    /// Holds `line` in place of what was held (an IMAP tag).
    mutating func keep(_ line: UnsafeRawBufferPointer) {
        reset()
        take(line)
    }

    mutating func reset() {
        count = 0
        last = 0
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        storage.span.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }
}
