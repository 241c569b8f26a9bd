/// One request and its final response, as far as each was seen. Strings are bytes from the
/// wire (escaped on output). Field names follow Zeek's http.log where it has them.
public struct HTTPTransaction: Equatable {
    public var method: [UInt8]?
    /// The Host header as sent (with its port, as Zeek and tshark show it).
    public var host: [UInt8]?
    public var uri: [UInt8]?
    public var userAgent: [UInt8]?
    public var statusCode: Int?
    public var statusMessage: [UInt8]?
    public var server: [UInt8]?
    public var contentType: [UInt8]?
    public var title: [UInt8]?
    /// The protocol asked for in the request's Upgrade header, or the one the 101 names.
    public var upgrade: [UInt8]?
    /// The server switched the connection to WebSocket (101 with Upgrade: websocket).
    public var websocket = false
    /// A CONNECT request's authority (host:port of the tunnel it asks for).
    public var connectTarget: [UInt8]?

    public init() {}

    init(request h: HTTPHead) {
        method = h.method
        host = h.host
        uri = h.target
        userAgent = h.userAgent
        upgrade = h.upgrade
        if h.method.elementsEqual("CONNECT".utf8) { connectTarget = h.target }
    }

    mutating func record(response h: HTTPHead) {
        statusCode = h.statusCode
        statusMessage = h.reason
        server = h.server
        contentType = h.contentType
        if let u = h.upgrade { upgrade = u }
        websocket = h.statusCode == 101 && upgrade.map(Self.namesWebSocket) == true
    }

    /// An Upgrade value naming WebSocket (a comma-separated protocol list, RFC 9110 §7.8).
    static func namesWebSocket(_ value: [UInt8]) -> Bool {
        value.withUnsafeBytes { $0.firstIndexIgnoringCase(of: "websocket") != nil }
    }

    var isConnect: Bool { connectTarget != nil }
}

/// What the HTTP dissector knows about one flow: the first transactions, and the state of
/// both directions' readers while it is still reading.
public final class HTTPFacts: FlowFacts {
    /// Which flow direction carries the requests (the originator, unless the capture shows
    /// the server's side first).
    public let clientSide: Direction
    public internal(set) var transactions: [HTTPTransaction] = []

    /// A CONNECT makes the flow a relay hop ("http-connect", outermost); otherwise HTTP.
    public var recognition: Recognition? {
        if transactions.contains(where: { $0.isConnect }) { return .payload(.httpConnect, layer: Layer.relay) }
        return transactions.isEmpty ? nil : .payload(.http)
    }
    /// Final responses read so far: the next one answers `transactions[responses]`.
    var responses = 0
    var client = HTTPStreamReader()
    var server = HTTPStreamReader()
    /// Where the last CONNECT or Upgrade request ended in the client's stream: a granted tunnel
    /// (or switched protocol) starts there.
    var tunnelRequestEnd: Int?
    /// The title being looked for in the current response's body, if any.
    var titleCapture: HTTPTitleCapture?

    init(clientSide: Direction) { self.clientSide = clientSide }

    public func writeJSON(to w: JSONWriter) {
        guard !transactions.isEmpty else { return }
        w.key("http"); w.beginArray()
        for t in transactions {
            w.beginObject()
            if let v = t.method { w.key("method"); w.string(bytes: v) }
            if let v = t.host { w.key("host"); w.string(bytes: v) }
            if let v = t.uri { w.key("uri"); w.string(bytes: v) }
            if let v = t.userAgent { w.key("user_agent"); w.string(bytes: v) }
            if let v = t.statusCode { w.field("status_code", v) }
            if let v = t.statusMessage { w.key("status_msg"); w.string(bytes: v) }
            if let v = t.server { w.key("server"); w.string(bytes: v) }
            if let v = t.contentType { w.key("content_type"); w.string(bytes: v) }
            if let v = t.title { w.key("title"); w.string(bytes: v) }
            if let v = t.upgrade {
                // Written with the upgrade it answers: false is an upgrade asked for and refused.
                w.key("upgrade"); w.string(bytes: v)
                w.field("websocket", t.websocket)
            }
            if let v = t.connectTarget { w.key("connect_target"); w.string(bytes: v) }
            w.endObject()
        }
        w.endArray()
    }
}
