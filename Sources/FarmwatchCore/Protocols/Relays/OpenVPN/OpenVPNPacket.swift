/// The clear header of one OpenVPN packet (openvpn/openvpn src/openvpn/ssl_pkt.h and
/// ssl.h): the first byte holds the opcode (high 5 bits) and key id (low 3 bits); control
/// packets follow it with the sender's 8-byte session id. What comes next depends on the
/// control-channel protection (none, tls-auth HMAC + replay packet id, tls-crypt), so only
/// the opcode and session id are read here.
struct OpenVPNPacket {
    enum Opcode: UInt8 {
        case hardResetClientV1 = 1, hardResetServerV1 = 2, softResetV1 = 3, controlV1 = 4, ackV1 = 5
        case dataV1 = 6, hardResetClientV2 = 7, hardResetServerV2 = 8, dataV2 = 9
        case hardResetClientV3 = 10, controlWKCV1 = 11

        var isClientReset: Bool { self == .hardResetClientV1 || self == .hardResetClientV2 || self == .hardResetClientV3 }
        var isServerReset: Bool { self == .hardResetServerV1 || self == .hardResetServerV2 }
        var isReset: Bool { isClientReset || isServerReset }
        var isData: Bool { self == .dataV1 || self == .dataV2 }
        var name: StaticString {
            switch self {
            case .hardResetClientV1: return "hard_reset_client_v1"
            case .hardResetServerV1: return "hard_reset_server_v1"
            case .softResetV1: return "soft_reset_v1"
            case .controlV1: return "control_v1"
            case .ackV1: return "ack_v1"
            case .dataV1: return "data_v1"
            case .hardResetClientV2: return "hard_reset_client_v2"
            case .hardResetServerV2: return "hard_reset_server_v2"
            case .dataV2: return "data_v2"
            case .hardResetClientV3: return "hard_reset_client_v3"
            case .controlWKCV1: return "control_wkc_v1"
            }
        }
    }

    /// opcode + session id + (with no protection) ack count + packet id: the smallest reset.
    static let minimumReset = 14
    /// A hard reset fits one datagram: OpenVPN sends it before any fragmentation is agreed.
    static let maximumReset = 1500
    /// How far into a control packet the peer's echoed session id may sit: past the largest
    /// HMAC (64, SHA-512) and replay id (8), an ack count and up to 8 acked packet ids.
    static let echoSearchEnd = 9 + 64 + 8 + 1 + 8 * 4 + 8

    let opcode: Opcode
    let keyID: UInt8
    /// Zero for data packets (which carry no session id).
    let sessionID: UInt64

    init?(_ b: UnsafeRawBufferPointer) {
        guard let first = b.first, let op = Opcode(rawValue: first >> 3) else { return nil }
        opcode = op
        keyID = first & 7
        if op.isData {
            sessionID = 0
            return
        }
        guard b.count >= 9 else { return nil }
        sessionID = b.loadBigEndianUInt64(at: 1)
        guard sessionID != 0 else { return nil }
        if op.isReset {
            guard keyID == 0, b.count >= Self.minimumReset, b.count <= Self.maximumReset else { return nil }
        }
    }

    /// A hard reset the way a flow's first packet must look (the opening of either side).
    @inline(__always)
    static func isOpeningReset(_ b: UnsafeRawBufferPointer) -> Bool {
        guard let p = OpenVPNPacket(b) else { return false }
        return p.opcode.isReset
    }

    /// True when the packet carries `session` (the peer's id, echoed in its ack array) at a
    /// place the layouts allow: after our own id, within `echoSearchEnd`.
    static func echoes(_ session: UInt64, in b: UnsafeRawBufferPointer) -> Bool {
        let end = min(b.count, echoSearchEnd) - 8
        guard end >= 9 else { return false }
        for i in 9...end where b.loadBigEndianUInt64(at: i) == session { return true }
        return false
    }
}
