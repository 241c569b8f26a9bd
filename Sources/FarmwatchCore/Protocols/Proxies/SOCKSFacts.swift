/// What the SOCKS dissector learnt about one proxied connection, and the small state it reads
/// it with. Field names follow Zeek's socks.log where it has them.
public final class SOCKSFacts: FlowFacts {
    enum ClientPhase { case greeting, authenticationOrRequest, held, finished }
    enum ServerPhase { case methodSelection, authenticationStatus, reply, secondReply, finished }

    /// 4 (4a included) or 5.
    public let version: UInt8
    /// Which flow direction is the SOCKS client.
    public let clientSide: Direction
    /// SOCKS 5 methods the client offered, and the one the server chose (0xFF: none acceptable).
    public internal(set) var offeredMethods: [UInt8] = []
    public internal(set) var authMethod: UInt8?
    /// RFC 1929's UNAME or SOCKS 4's USERID. The password is never kept: only that one was sent.
    public internal(set) var user: [UInt8]?
    public internal(set) var passwordSent = false
    /// RFC 1929 STATUS (0 = success).
    public internal(set) var authStatus: UInt8?
    public internal(set) var command: UInt8?
    public internal(set) var target: SOCKSMessage.Address?
    public internal(set) var targetPort: UInt16?
    /// REP (SOCKS 5) or CD (SOCKS 4) of the last reply.
    public internal(set) var replyCode: UInt8?
    public internal(set) var bound: SOCKSMessage.Address?
    public internal(set) var boundPort: UInt16?
    /// The server answered in SOCKS at least once.
    public internal(set) var serverAnswered = false
    /// The request was granted and the rest of the connection is the tunnel's.
    public internal(set) var tunnelOpened = false

    var clientPhase = ClientPhase.greeting
    var serverPhase: ServerPhase
    var clientBuffer = MessageBuffer(limit: SOCKSFacts.bufferLimit)
    var serverBuffer = MessageBuffer(limit: SOCKSFacts.bufferLimit)
    /// Stream offsets of each buffer's first byte.
    var clientBufferOffset = 0
    var serverBufferOffset = 0
    /// Where the client's request ended (the tunnel's first client byte).
    var requestEnd: Int?
    var clientHoldOverflowed = false

    init(version: UInt8, clientSide: Direction) {
        self.version = version
        self.clientSide = clientSide
        serverPhase = version == 5 ? .methodSelection : .reply
    }

    public var recognition: Recognition? {
        serverAnswered || (version == 5 && command != nil) ? .payload(.socks, layer: Layer.relay) : nil
    }

    public var isSOCKS4a: Bool {
        if version == 4, case .domain? = target { return true }
        return false
    }

    static func commandName(_ c: UInt8) -> StaticString {
        switch c {
        case SOCKSMessage.commandConnect: return "connect"
        case SOCKSMessage.commandBind: return "bind"
        default: return "udp_associate"
        }
    }

    /// RFC 1928 §6 and SOCKS 4's CD values, as words.
    static func statusName(_ code: UInt8, version: UInt8) -> String {
        if version == 4 {
            switch code {
            case 90: return "granted"
            case 91: return "rejected"
            case 92: return "identd_unreachable"
            default: return "identd_mismatch"
            }
        }
        switch code {
        case 0: return "succeeded"
        case 1: return "general_failure"
        case 2: return "not_allowed"
        case 3: return "network_unreachable"
        case 4: return "host_unreachable"
        case 5: return "connection_refused"
        case 6: return "ttl_expired"
        case 7: return "command_not_supported"
        case 8: return "address_type_not_supported"
        default: return "code_\(code)"
        }
    }

    /// RFC 1928 §3 method numbers (IANA "SOCKS Methods" registry), as words.
    static func methodName(_ m: UInt8) -> String {
        switch m {
        case 0: return "none"
        case 1: return "gssapi"
        case 2: return "username_password"
        case 0xFF: return "no_acceptable"
        case 0x80...0xFE: return "private_\(m)"
        default: return "iana_\(m)"
        }
    }

    private static func write(_ address: SOCKSMessage.Address, to w: JSONWriter) {
        switch address {
        case .ipv4(let a), .ipv6(let a): w.string(a.description)
        case .domain(let name): w.string(bytes: name)
        }
    }

    public func writeJSON(to w: JSONWriter) {
        w.key("socks"); w.beginObject()
        w.field("version", version == 4 && isSOCKS4a ? "4a" : version == 4 ? "4" : "5")
        if let c = command { w.field("request", Self.commandName(c)) }
        if let t = target { w.key("target_host"); Self.write(t, to: w) }
        if let p = targetPort { w.field("target_port", p) }
        if let code = replyCode {
            w.field("status", Self.statusName(code, version: version))
            w.field("status_code", code)
        }
        if let m = authMethod { w.field("auth_method", Self.methodName(m)) }
        if !offeredMethods.isEmpty {
            w.key("offered_methods"); w.beginArray()
            for m in offeredMethods { w.string(Self.methodName(m)) }
            w.endArray()
        }
        if let u = user { w.key("user"); w.string(bytes: u) }
        if passwordSent { w.field("password_sent", true) }
        if let s = authStatus { w.field("auth_status", s == 0 ? "success" : "failure") }
        if let b = bound { w.key("bound_host"); Self.write(b, to: w) }
        if let p = boundPort { w.field("bound_port", p) }
        w.field("tunnel", tunnelOpened)
        w.endObject()
    }
}
