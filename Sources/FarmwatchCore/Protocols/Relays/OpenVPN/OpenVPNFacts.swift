/// What one OpenVPN flow showed: each side's opening reset and session id, whether the
/// session ids agreed across packets and sides, and how the control channel is protected.
public final class OpenVPNFacts: FlowFacts {
    /// Later control packets one side must send under its opening session id for the flow
    /// to be named from that side alone (a one-way capture).
    static let oneSidedAgreement: UInt32 = 2

    public let tcp: Bool
    var streams: [FramedStream]?
    var abandoned = false
    public private(set) var packets: UInt32 = 0
    public private(set) var dataPackets: UInt32 = 0
    public private(set) var controlPackets: UInt32 = 0

    /// Per side: the opening reset, its session id, and how many later control packets
    /// carried the same id.
    private var opening: [OpenVPNPacket.Opcode?] = [nil, nil]
    private var session: [UInt64] = [0, 0]
    private var agreeing: [UInt32] = [0, 0]
    /// One side's packet carried the other side's session id (the ack of its reset).
    public private(set) var echoed = false
    /// The client's reset was the 14-byte form with no HMAC or tls-crypt envelope.
    private var clientResetUnprotected: Bool?

    init(tcp: Bool) {
        self.tcp = tcp
        if tcp { streams = [FramedStream(limit: OpenVPNDissector.tcpBufferLimit), FramedStream(limit: OpenVPNDissector.tcpBufferLimit)] }
    }

    public var recognition: Recognition? {
        if abandoned { return nil }
        let clientServer = (opening[0]?.isClientReset == true && opening[1]?.isServerReset == true)
            || (opening[1]?.isClientReset == true && opening[0]?.isServerReset == true)
        if clientServer && (echoed || agreeing[0] + agreeing[1] >= 1) {
            return .payload(.openvpn, layer: Layer.relay)
        }
        if agreeing[0] >= Self.oneSidedAgreement || agreeing[1] >= Self.oneSidedAgreement {
            return .payload(.openvpn, layer: Layer.relay)
        }
        return nil
    }

    func note(_ b: UnsafeRawBufferPointer, from side: Direction) {
        packets &+= 1
        let i = side.rawValue
        guard let p = OpenVPNPacket(b) else {
            if recognition == nil { abandoned = true }
            return
        }
        if p.opcode.isData {
            dataPackets &+= 1
            return
        }
        controlPackets &+= 1
        guard let open = opening[i] else {
            // A side's first control packet must be its hard reset.
            guard p.opcode.isReset else {
                if recognition == nil { abandoned = true }
                return
            }
            opening[i] = p.opcode
            session[i] = p.sessionID
            if p.opcode.isClientReset {
                clientResetUnprotected = b.count == OpenVPNPacket.minimumReset && b[9] == 0
            }
            noteEcho(b, side)
            return
        }
        guard p.sessionID == session[i] else {
            // A new session id is a new session (a reconnect); before the flow is named it
            // means these were not OpenVPN packets after all.
            if recognition == nil { abandoned = true }
            return
        }
        if p.opcode != open { agreeing[i] &+= 1 }
        noteEcho(b, side)
    }

    private func noteEcho(_ b: UnsafeRawBufferPointer, _ side: Direction) {
        let peer = session[side.opposite.rawValue]
        if !echoed && peer != 0 && OpenVPNPacket.echoes(peer, in: b) { echoed = true }
    }

    public func writeJSON(to w: JSONWriter) {
        guard recognition != nil else { return }
        w.key("openvpn"); w.beginObject()
        w.field("transport", tcp ? "tcp" : "udp")
        if let o = opening[0] { w.field("orig_opening", o.name) }
        if let o = opening[1] { w.field("resp_opening", o.name) }
        if session[0] != 0 { w.field("orig_session_id", Hex.string(u64: session[0])) }
        if session[1] != 0 { w.field("resp_session_id", Hex.string(u64: session[1])) }
        w.field("session_echoed", echoed)
        if let u = clientResetUnprotected { w.field("control_channel", u ? "plain" : "tls_auth_or_crypt") }
        w.field("control_packets", controlPackets)
        w.field("data_packets", dataPackets)
        w.endObject()
    }
}
