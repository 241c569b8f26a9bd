/// What one STUN/TURN flow showed: the methods used, the transport addresses its attributes
/// carry (the client's public address, the relay's address and the far peer's address behind
/// it), the SOFTWARE description, whether credentials were used, and ChannelData traffic.
public final class STUNFacts: FlowFacts {
    static let addressLimit = 8
    static let softwareLimit = 128
    /// Classic (cookie-less) messages needed on a flow without a matching request/response.
    static let classicAgreement: UInt32 = 2

    public enum Framing {
        case datagram, bare, rfc4571

        /// TCP message boundaries: a STUN header's length or a ChannelData header's (padded to
        /// 4 over TCP), or the RFC 4571 2-byte prefix.
        var frameLength: FramedStream.FrameLength {
            switch self {
            case .datagram, .bare:
                return { raw in
                    guard raw.count >= 4 else { return nil }
                    let length = Int(raw.loadBigEndianUInt16(at: 2))
                    switch raw[0] & 0xC0 {
                    case 0x00: return STUNMessage.headerSize + length
                    case 0x40: return TURNChannelData.headerSize + ((length + 3) & ~3)
                    default: return -1
                    }
                }
            case .rfc4571:
                return { raw in
                    guard raw.count >= 2 else { return nil }
                    let n = Int(raw.loadBigEndianUInt16(at: 0))
                    return n == 0 ? -1 : 2 + n
                }
            }
        }
    }

    public let framing: Framing
    var streams: [FramedStream]?
    var abandoned = false
    var relayReported = false

    public private(set) var messages: UInt32 = 0
    public private(set) var classicMessages: UInt32 = 0
    public private(set) var channelDataFrames: UInt32 = 0
    private var otherDatagrams: UInt32 = 0
    var datagrams: UInt32 { messages &+ channelDataFrames &+ otherDatagrams }
    public private(set) var methods: [StaticString] = []
    public private(set) var mappedAddresses: [STUNAddress] = []
    public private(set) var peerAddresses: [STUNAddress] = []
    public private(set) var relayedAddresses: [STUNAddress] = []
    public private(set) var software: [UInt8]?
    public private(set) var usernamePresent = false
    /// The flags of the first request carrying an RFC 3489 CHANGE-REQUEST: a NAT-type test,
    /// which ICE never sends (PiKVM's kvmd-janus does, at boot: see KVMBootProbe).
    public private(set) var changeRequest: UInt32?
    /// The device table has heard of the change request (once per flow).
    var changeRequestNoted = false
    public private(set) var msTurn = false
    /// A channel was bound or a permission created: relay state exists on this flow.
    private var channelBound = false
    /// Classic STUN is confirmed by a response that echoes a request's transaction id.
    private var classicRequestID: [UInt8]?
    private var classicRequestSide: Direction = .originator
    private var classicAnswered = false

    init(framing: Framing) {
        self.framing = framing
        if framing != .datagram {
            streams = [FramedStream(limit: STUNDissector.tcpBufferLimit), FramedStream(limit: STUNDissector.tcpBufferLimit)]
        }
    }

    /// Messages with the magic cookie validate on their own; classic ones need company.
    public var recognition: Recognition? {
        let cookieMessages = messages - classicMessages
        if cookieMessages > 0 || classicAnswered || msTurn || classicMessages >= Self.classicAgreement {
            return .payload(.stun)
        }
        return nil
    }

    /// The flow carried relay state: a relayed or peer address, a channel or permission.
    var relayEvidence: Bool {
        !relayedAddresses.isEmpty || !peerAddresses.isEmpty || channelBound
    }

    func note(_ b: UnsafeRawBufferPointer, from side: Direction) {
        if let m = STUNMessage(b) {
            noteMessage(m, from: side)
        } else if TURNChannelData.channel(b) != nil && channelBound {
            channelDataFrames &+= 1
        } else {
            // DTLS, RTP and unbound ChannelData share the 5-tuple (RFC 7983): counted, never
            // parsed; a flow that never confirmed STUN is let go.
            otherDatagrams &+= 1
            if recognition == nil && otherDatagrams > STUNDissector.multiplexPatience { abandoned = true }
        }
    }

    private func noteMessage(_ m: STUNMessage, from side: Direction) {
        messages &+= 1
        if !m.hasCookie {
            classicMessages &+= 1
            if m.isResponse, let id = classicRequestID, side != classicRequestSide, id.elementsEqual(m.transactionID) {
                classicAnswered = true
            } else if !m.isResponse {
                classicRequestID = Array(m.transactionID)
                classicRequestSide = side
            }
        }
        // Microsoft's TURN numbers its methods and attributes differently (0x0012 is a plain
        // address there): only the mapped addresses are read from its messages.
        let msTurnMessage = m.carriesMSTurnCookie
        if msTurnMessage { msTurn = true }
        let name = msTurnMessage ? m.msTurnMethodName : m.methodName
        if !methods.contains(where: { $0.utf8Start == name.utf8Start }) { methods.append(name) }
        if m.hasCookie && !msTurnMessage && (m.method == STUNMessage.Method.channelBind || m.method == STUNMessage.Method.createPermission)
            && m.messageClass == 2 {
            channelBound = true
        }
        m.forEachAttribute { type, value in
            switch type {
            case STUNMessage.Attribute.mappedAddress:
                add(m.address(value, xor: false), to: &mappedAddresses)
            case STUNMessage.Attribute.xorMappedAddress, STUNMessage.Attribute.xorMappedAddressDraft:
                if m.hasCookie { add(m.address(value, xor: true), to: &mappedAddresses) }
            case STUNMessage.Attribute.xorPeerAddress:
                // MS-TURN reuses 0x0012 for a plain address: only the RFC form is XOR-decoded.
                if m.hasCookie && !msTurnMessage { add(m.address(value, xor: true), to: &peerAddresses) }
            case STUNMessage.Attribute.xorRelayedAddress:
                if m.hasCookie && !msTurnMessage { add(m.address(value, xor: true), to: &relayedAddresses) }
            case STUNMessage.Attribute.software:
                if software == nil { software = Array(value.prefix(Self.softwareLimit)) }
            case STUNMessage.Attribute.username:
                usernamePresent = true
            case STUNMessage.Attribute.changeRequest:
                if !m.isResponse, value.count == 4, changeRequest == nil {
                    changeRequest = value.loadBigEndianUInt32(at: 0) & 0x6
                }
            default:
                break
            }
        }
    }

    private func add(_ a: STUNAddress?, to list: inout [STUNAddress]) {
        guard let a, list.count < Self.addressLimit, !list.contains(a) else { return }
        list.append(a)
    }

    public func writeJSON(to w: JSONWriter) {
        guard recognition != nil else { return }
        w.key("stun"); w.beginObject()
        w.field("messages", messages)
        if classicMessages > 0 { w.field("classic_messages", classicMessages) }
        if msTurn { w.field("ms_turn", true) }
        w.key("methods"); w.beginArray()
        for n in methods { w.string(n) }
        w.endArray()
        writeAddresses("mapped_addresses", mappedAddresses, w)
        writeAddresses("peer_addresses", peerAddresses, w)
        writeAddresses("relayed_addresses", relayedAddresses, w)
        if let s = software { w.key("software"); w.string(bytes: s) }
        w.field("username_present", usernamePresent)
        if let c = changeRequest { w.field("change_request", Self.changeRequestName(c)) }
        if channelDataFrames > 0 { w.field("channel_data_frames", channelDataFrames) }
        if framing != .datagram { w.field("transport", "tcp") }
        w.endObject()
    }

    /// The flags of an RFC 3489 CHANGE-REQUEST, as `change-ip+change-port`, one of them, or
    /// `none` (a request that asks for neither, still a NAT-type test's form).
    static func changeRequestName(_ flags: UInt32) -> StaticString {
        switch flags {
        case 0x6: return "change-ip+change-port"
        case 0x4: return "change-ip"
        case 0x2: return "change-port"
        default: return "none"
        }
    }

    private func writeAddresses(_ key: StaticString, _ list: [STUNAddress], _ w: JSONWriter) {
        guard !list.isEmpty else { return }
        w.key(key); w.beginArray()
        for a in list { w.string(a.description) }
        w.endArray()
    }
}
