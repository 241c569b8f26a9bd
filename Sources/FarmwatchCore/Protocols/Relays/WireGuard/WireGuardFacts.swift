/// What one WireGuard flow showed: the handshake's session indices, the transport packets'
/// receiver indices and counters per direction, and Tailscale disco frames with their keys.
public final class WireGuardFacts: FlowFacts {
    /// Transport packets one direction must show, with one receiver index and rising
    /// counters, before a flow without a visible handshake is named.
    static let transportAgreement: UInt32 = 3
    static let discoKeyLimit = 4

    public private(set) var initiations: UInt32 = 0
    public private(set) var responses: UInt32 = 0
    public private(set) var cookieReplies: UInt32 = 0
    public private(set) var transportPackets: UInt32 = 0
    public private(set) var discoFrames: UInt32 = 0
    var otherDatagrams: UInt32 = 0
    /// Set when the dissector gave up on the flow: nothing is claimed then.
    var abandoned = false
    /// A transport packet broke the per-direction agreement before the flow was named.
    private(set) var contradicted = false

    /// Sender index of the last initiation, and which side sent it.
    private var initiationSender: UInt32?
    private var initiationSide: Direction = .originator
    /// A response (or cookie reply) named the initiation's sender index as its receiver.
    public private(set) var handshakeMatched = false
    /// The session indices as the handshake agreed them: [originator's, responder's].
    public private(set) var sessionIndex: [UInt32?] = [nil, nil]

    /// Per direction: the receiver index its transport packets carry, the last counter, and
    /// how many consecutive packets agreed.
    private var transportReceiver: [UInt32?] = [nil, nil]
    private var lastCounter: [UInt64] = [0, 0]
    private var agreeing: [UInt32] = [0, 0]

    /// Tailscale disco public keys seen (hex), the node's discovery identity.
    public private(set) var discoKeys: [String] = []

    public init() {}

    var datagrams: UInt32 { initiations &+ responses &+ cookieReplies &+ transportPackets &+ discoFrames &+ otherDatagrams }

    public var recognition: Recognition? {
        if abandoned { return nil }
        if discoFrames > 0 { return .payload(.tailscale, layer: Layer.relay) }
        if handshakeMatched || agreeing[0] >= Self.transportAgreement || agreeing[1] >= Self.transportAgreement {
            return .payload(.wireguard, layer: Layer.relay)
        }
        return nil
    }

    func note(_ m: WireGuardMessage, from side: Direction) {
        switch m {
        case .initiation(let sender):
            initiations &+= 1
            initiationSender = sender
            initiationSide = side
        case .response(let sender, let receiver):
            responses &+= 1
            if side != initiationSide, let s = initiationSender, s == receiver {
                handshakeMatched = true
                sessionIndex[initiationSide.rawValue] = s
                sessionIndex[side.rawValue] = sender
            }
        case .cookieReply(let receiver):
            cookieReplies &+= 1
            if side != initiationSide, let s = initiationSender, s == receiver { handshakeMatched = true }
        case .transport(let receiver, let counter):
            transportPackets &+= 1
            noteTransport(receiver: receiver, counter: counter, side: side)
        }
    }

    /// A direction's transport packets name the peer's session index and count up: the
    /// per-direction agreement nDPI also looks for, plus the counter.
    private func noteTransport(receiver: UInt32, counter: UInt64, side: Direction) {
        let i = side.rawValue
        if let r = transportReceiver[i], r == receiver {
            if counter > lastCounter[i] { agreeing[i] &+= 1 }
        } else {
            // A new session (rekeying) restarts the count; before the flow is named, a
            // receiver index that changes without a handshake is not WireGuard.
            if transportReceiver[i] != nil && recognition == nil && initiations == 0 { contradicted = true }
            transportReceiver[i] = receiver
            agreeing[i] = 1
        }
        lastCounter[i] = counter
    }

    func noteDisco(_ b: UnsafeRawBufferPointer) {
        discoFrames &+= 1
        guard discoKeys.count < Self.discoKeyLimit else { return }
        let key = Hex.string(UnsafeRawBufferPointer(rebasing: b[TailscaleDisco.keyOffset..<(TailscaleDisco.keyOffset + TailscaleDisco.keyLength)]))
        if !discoKeys.contains(key) { discoKeys.append(key) }
    }

    public func writeJSON(to w: JSONWriter) {
        guard recognition != nil else { return }
        w.key("wireguard"); w.beginObject()
        w.field("handshake_initiations", initiations)
        w.field("handshake_responses", responses)
        if cookieReplies > 0 { w.field("cookie_replies", cookieReplies) }
        w.field("transport_packets", transportPackets)
        w.field("handshake_matched", handshakeMatched)
        if let o = sessionIndex[0] { w.field("orig_session_index", o) }
        if let r = sessionIndex[1] { w.field("resp_session_index", r) }
        w.endObject()
        if discoFrames > 0 {
            w.key("tailscale"); w.beginObject()
            w.field("disco_frames", discoFrames)
            w.key("disco_keys"); w.beginArray()
            for k in discoKeys { w.string(k) }
            w.endArray()
            w.endObject()
        }
    }
}
