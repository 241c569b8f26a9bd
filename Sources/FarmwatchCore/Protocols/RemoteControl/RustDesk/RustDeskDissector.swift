/// RustDesk's rendezvous (hbbs) and relay (hbbr) traffic, found by content on any port (its
/// servers are often self-hosted on other ports): see RustDeskRendezvous for the framing.
///
/// - TCP: the client's first frame must be a well-formed RendezvousMessage in a shortest-form
///   BytesCodec frame at the start of its first chunk; the server's first bytes, when they
///   come, must be one framed protobuf envelope too (hbbs answers with a RendezvousMessage,
///   hbbr passes on the other peer's `Message`), or the flow is let go.
/// - UDP: `datagramsNeeded` datagrams, from both sides, must each be one whole message.
public enum RustDeskDissector: Dissector {
    static let datagramsNeeded = 2
    static let messagesFollowed = 6
    /// Rendezvous messages are small; a first frame larger than this is not one.
    static let frameLimit = 16 * 1024

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp || p.l4Proto == IPProto.udp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        chunk.isDatagram ? datagram(chunk, &flow) : stream(chunk, &flow)
    }

    /// The first frame of a TCP chunk that opens a stream, whole, as its payload (nil when the
    /// chunk does not open with one).
    static func firstFrame(_ b: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let (header, payload) = RustDeskRendezvous.frameHeader(b), payload > 0, payload <= frameLimit,
              b.count >= header + payload else { return nil }
        return UnsafeRawBufferPointer(rebasing: b[header..<(header + payload)])
    }

    private static func stream(_ chunk: StreamChunk, _ flow: inout FlowState) -> DissectorVerdict {
        let existing = flow.metadata?.facts(StandardDissectors.rustDeskSlot, as: RustDeskFacts.self)
        guard chunk.streamOffset == 0 else { return existing == nil ? .notMine : .wantMore }
        switch chunk.direction {
        case .originator:
            guard existing == nil, let frame = firstFrame(chunk.bytes), let m = RustDeskRendezvous.parse(frame) else {
                return .notMine
            }
            let facts = flow.facts(StandardDissectors.rustDeskSlot) { RustDeskFacts(transport: .tcp) }
            facts.note(m, from: .originator)
            return .wantMore
        case .responder:
            guard let facts = existing else { return .notMine }
            // hbbs answers with a RendezvousMessage; hbbr passes on the other peer's first
            // Message. Either is one framed protobuf envelope; anything else refutes the client.
            let frame = firstFrame(chunk.bytes)
            if let m = frame.flatMap(RustDeskRendezvous.parse) {
                facts.note(m, from: .responder)
            } else if frame.flatMap(RustDeskRendezvous.peerMessage) != nil {
                facts.relayed = true
            } else {
                facts.contradicted = true
            }
            return .done
        }
    }

    private static func datagram(_ chunk: StreamChunk, _ flow: inout FlowState) -> DissectorVerdict {
        let message = RustDeskRendezvous.parse(chunk.bytes)
        guard let facts = flow.metadata?.facts(StandardDissectors.rustDeskSlot, as: RustDeskFacts.self) else {
            guard let m = message else { return .notMine }
            flow.facts(StandardDissectors.rustDeskSlot) { RustDeskFacts(transport: .udp) }.note(m, from: chunk.direction)
            return .wantMore
        }
        guard let m = message else {
            if facts.recognition == nil { facts.contradicted = true }
            return .done
        }
        facts.note(m, from: chunk.direction)
        return facts.messages.count >= messagesFollowed ? .done : .wantMore
    }
}

/// What the RustDesk dissector saw on one flow, written as a `"rustdesk"` object.
public final class RustDeskFacts: FlowFacts {
    public enum Transport { case tcp, udp }
    public let transport: Transport
    /// The RendezvousMessage members seen, in order.
    public private(set) var messages: [StaticString] = []
    var sides = [false, false]
    /// The other side's bytes were not RustDesk framing.
    var contradicted = false
    /// The relay passed on a framed peer message.
    public internal(set) var relayed = false
    public private(set) var id: [UInt8]?
    public private(set) var relayServer: [UInt8]?

    init(transport: Transport) { self.transport = transport }

    public var recognition: Recognition? {
        guard !contradicted else { return nil }
        switch transport {
        case .tcp: return messages.isEmpty ? nil : .payload(.rustdesk)
        case .udp:
            return messages.count >= RustDeskDissector.datagramsNeeded && sides[0] && sides[1] ? .payload(.rustdesk) : nil
        }
    }

    func note(_ m: RustDeskRendezvous.Message, from side: Direction) {
        if let name = RustDeskRendezvous.messageName(m.member) { messages.append(name) }
        sides[side.rawValue] = true
        if id == nil, let v = m.id, !v.isEmpty { id = Array(v.prefix(128)) }
        if relayServer == nil, let v = m.relayServer, !v.isEmpty { relayServer = Array(v.prefix(256)) }
    }

    public func writeJSON(to w: JSONWriter) {
        guard recognition != nil else { return }
        w.key("rustdesk"); w.beginObject()
        w.field("transport", transport == .tcp ? "tcp" : "udp")
        w.key("messages"); w.beginArray()
        for m in messages { w.string(m) }
        w.endArray()
        if let v = id { w.key("id"); w.string(bytes: v) }
        if let v = relayServer { w.key("relay_server"); w.string(bytes: v) }
        if relayed { w.field("relayed", true) }
        w.endObject()
    }
}
