/// A QUIC version number and what farmwatch needs to know about it to read a client's Initial
/// packets: whether the header is the IETF long header, the salt the Initial keys come from,
/// the HKDF label prefix, the long-header type codes, and the name written out.
///
/// Versions seen in real traffic: QUIC v1 (RFC 9000/9001), v2 (RFC 9369), the IETF drafts
/// 22–34 still spoken by old clients, Facebook's mvfst builds of drafts 22 and 27, Google's
/// T050/T051 (TLS inside IETF-style Initials) and its other versions (recognised, not
/// decrypted), and the reserved 0x?a?a?a?a versions clients send to force version
/// negotiation (RFC 9000 §15).
public struct QUICVersion: Equatable, Sendable {
    public let number: UInt32

    public init(_ number: UInt32) { self.number = number }

    enum Kind: Equatable {
        case v1, v2
        /// An IETF draft version, by draft number (0xff0000NN, and mvfst's builds of drafts).
        case draft(Int)
        /// Google QUIC with TLS in IETF-style Initials (T050, T051).
        case googleTLS
        /// Other Google QUIC versions: Q0xx carry Google's own crypto handshake, other T0xx have
        /// no published salt; recognised as QUIC, not decrypted.
        case googleOther
        /// 0x?a?a?a?a: reserved to exercise version negotiation; clients that send one still
        /// protect the Initial with the keys of the version they really speak.
        case forcingNegotiation
        case unknown
    }

    var kind: Kind {
        switch number {
        case 0x0000_0001: return .v1
        case 0x6b33_43cf: return .v2
        case 0xff00_0016...0xff00_0022: return .draft(Int(number & 0xFF))
        case 0xface_b001: return .draft(22)
        case 0xface_b002, 0xface_b00e: return .draft(27)
        case 0x5430_3530, 0x5430_3531: return .googleTLS
        default:
            if number & 0x0F0F_0F0F == 0x0A0A_0A0A { return .forcingNegotiation }
            let b0 = UInt8(truncatingIfNeeded: number >> 24), b1 = UInt8(truncatingIfNeeded: number >> 16)
            let b2 = UInt8(truncatingIfNeeded: number >> 8), b3 = UInt8(truncatingIfNeeded: number)
            if (b0 == UInt8(ascii: "Q") || b0 == UInt8(ascii: "T")) && b1 == UInt8(ascii: "0")
                && ASCII.isDigit(b2) && ASCII.isDigit(b3) {
                return .googleOther
            }
            return .unknown
        }
    }

    /// A version farmwatch claims a flow for.
    public var isKnown: Bool { kind != .unknown }

    /// The long header is read past the version field (RFC 9000 §17.2 layout: one length
    /// byte per connection ID, token, Length) only for the versions farmwatch decrypts;
    /// Google's others are named from the version alone (Q046 packs both connection ID
    /// lengths into one byte, Q043 and older have no long header at all).
    var hasIETFLongHeader: Bool {
        switch kind {
        case .v1, .v2, .draft, .googleTLS, .forcingNegotiation: return true
        case .googleOther, .unknown: return false
        }
    }

    /// The salts the client's Initial secret may be extracted with (RFC 9001 §5.2, RFC 9369
    /// §3.3.1, and the drafts' values), in the order to try them; empty when the Initials
    /// carry no TLS. A reserved version has no salt of its own: clients of the draft-29 era
    /// used draft 29's (as Wireshark assumes), later ones v1's; the AEAD tag tells which.
    var initialSalts: [[UInt8]] {
        switch kind {
        case .v1: return [QUICVersion.saltV1]
        case .v2: return [QUICVersion.saltV2]
        case .draft(let n):
            if n <= 22 { return [QUICVersion.saltDraft22] }
            if n <= 28 { return [QUICVersion.saltDraft23] }
            if n <= 32 { return [QUICVersion.saltDraft29] }
            return [QUICVersion.saltV1]
        case .googleTLS:
            return [number == 0x5430_3530 ? QUICVersion.saltT050 : QUICVersion.saltT051]
        case .forcingNegotiation: return [QUICVersion.saltDraft29, QUICVersion.saltV1]
        case .googleOther, .unknown: return []
        }
    }

    /// The frame types inside the Initials: Google's own for T050/T051.
    var frameDialect: QUICFrames.Dialect { kind == .googleTLS ? .google : .ietf }

    /// HKDF labels are "quic key", "quic iv", "quic hp" except in v2 (RFC 9369 §3.3.2).
    var labelPrefix: String { kind == .v2 ? "quicv2 " : "quic " }

    /// The packet type a long header's two type bits name (RFC 9000 §17.2; v2 renumbers them,
    /// RFC 9369 §3.2).
    func packetType(typeBits: UInt8) -> QUICPacketType {
        let bits = kind == .v2 ? (typeBits &+ 3) & 3 : typeBits & 3
        switch bits {
        case 0: return .initial
        case 1: return .zeroRTT
        case 2: return .handshake
        default: return .retry
        }
    }

    /// Zeek's quic.log names where it has one ("1", "draft-29", "mvfst (faceb001)"), v2 as "2",
    /// Google's versions by their ASCII, anything else as "unknown-<hex>".
    public var name: String {
        switch number {
        case 0xface_b001, 0xface_b002, 0xface_b00e: return "mvfst (" + String(number, radix: 16) + ")"
        default: break
        }
        switch kind {
        case .v1: return "1"
        case .v2: return "2"
        case .draft(let n): return "draft-\(n)"
        case .googleTLS, .googleOther:
            return String(decoding: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: number >> $0) }, as: UTF8.self)
        case .forcingNegotiation, .unknown: return "unknown-" + String(number, radix: 16)
        }
    }

    static let saltV1: [UInt8] = [0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                  0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a]
    static let saltV2: [UInt8] = [0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                  0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9]
    static let saltDraft22: [UInt8] = [0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a,
                                       0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a]
    static let saltDraft23: [UInt8] = [0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
                                       0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02]
    static let saltDraft29: [UInt8] = [0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
                                       0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99]
    static let saltT050: [UInt8] = [0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80,
                                    0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c, 0x60, 0x48, 0x83, 0x10]
    static let saltT051: [UInt8] = [0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50,
                                    0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d]
}

/// Long-header packet types (RFC 9000 §17.2), plus Version Negotiation (version 0, §17.2.1).
enum QUICPacketType: Equatable {
    case initial, zeroRTT, handshake, retry, versionNegotiation
}
