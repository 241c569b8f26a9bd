/// One STUN message (RFC 8489 §5; TURN methods from RFC 8656 §17): a 2-byte type whose top two
/// bits are zero, a 2-byte attribute length (a multiple of 4), the magic cookie 0x2112A442
/// and a 96-bit transaction id, then TLV attributes padded to 4 bytes. Classic STUN (RFC 3489)
/// has no cookie: the id is 128 bits and only the RFC 3489 message types exist. Validated in
/// place: the length must match the bytes and the attributes must end exactly there. Two
/// deployed dialects leave attributes unpadded (WhatsApp's last attribute, Microsoft's TURN
/// throughout), so a message whose attributes end exactly without padding is accepted too.
struct STUNMessage {
    static let headerSize = 20
    static let magicCookie: UInt32 = 0x2112_A442
    /// Microsoft's TURN (MS-TURN §2.2.2.1) marks its cookie-less messages with this attribute.
    static let msTurnCookieAttribute: UInt16 = 0x000F
    static let msTurnCookie: UInt32 = 0x72C6_4BC6

    enum Attribute {
        static let mappedAddress: UInt16 = 0x0001
        /// RFC 3489 §11.2.4 (classic NAT-type discovery; gone from RFC 5389): ask the server
        /// to answer from its other address (0x4) and/or port (0x2).
        static let changeRequest: UInt16 = 0x0003
        static let username: UInt16 = 0x0006
        static let xorPeerAddress: UInt16 = 0x0012
        static let xorRelayedAddress: UInt16 = 0x0016
        static let xorMappedAddress: UInt16 = 0x0020
        /// The pre-RFC 5389 draft number some stacks still send for XOR-MAPPED-ADDRESS.
        static let xorMappedAddressDraft: UInt16 = 0x8020
        static let software: UInt16 = 0x8022
    }

    enum Method {
        static let binding: UInt16 = 0x001
        static let allocate: UInt16 = 0x003
        static let refresh: UInt16 = 0x004
        static let send: UInt16 = 0x006
        static let data: UInt16 = 0x007
        static let createPermission: UInt16 = 0x008
        static let channelBind: UInt16 = 0x009
        static let connect: UInt16 = 0x00A
        static let connectionBind: UInt16 = 0x00B
        static let connectionAttempt: UInt16 = 0x00C
    }

    let type: UInt16
    let hasCookie: Bool
    /// Attributes are padded to 4 bytes (the RFC form) rather than packed.
    let padded: Bool
    /// The whole message (header and attributes), valid while the caller's buffer is.
    let bytes: UnsafeRawBufferPointer

    /// The method (12 bits spread around the two class bits, RFC 8489 §5).
    var method: UInt16 { (type & 0x000F) | (type & 0x00E0) >> 1 | (type & 0x3E00) >> 2 }
    /// 0 request, 1 indication, 2 success response, 3 error response.
    var messageClass: UInt8 { UInt8((type & 0x0100) >> 7 | (type & 0x0010) >> 4) }
    var isResponse: Bool { messageClass >= 2 }
    var hasAttributes: Bool { bytes.count > Self.headerSize }

    /// The transaction id: 12 bytes after the cookie, or the 16 bytes of a classic message.
    var transactionID: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[(hasCookie ? 8 : 4)..<20]) }

    /// Parses a message that fills `b` exactly; nil when `b` is not one.
    init?(_ b: UnsafeRawBufferPointer) {
        guard b.count >= Self.headerSize, b[0] & 0xC0 == 0 else { return nil }
        let length = Int(b.loadBigEndianUInt16(at: 2))
        guard Self.headerSize + length == b.count else { return nil }
        type = b.loadBigEndianUInt16(at: 0)
        hasCookie = b.loadBigEndianUInt32(at: 4) == Self.magicCookie
        bytes = b
        if length & 3 == 0 && Self.attributesEndExactly(b, padded: true) {
            padded = true
        } else if Self.attributesEndExactly(b, padded: false) {
            padded = false
        } else {
            return nil
        }
        if !hasCookie && !Self.isClassicType(type) && !carriesMSTurnCookie { return nil }
    }

    /// RFC 3489 §11.1: Binding and Shared Secret requests, responses and error responses.
    static func isClassicType(_ t: UInt16) -> Bool {
        t == 0x0001 || t == 0x0101 || t == 0x0111 || t == 0x0002 || t == 0x0102 || t == 0x0112
    }

    /// The cookie-less Microsoft TURN form: its MAGIC-COOKIE attribute holds 0x72C64BC6.
    var carriesMSTurnCookie: Bool {
        var found = false
        forEachAttribute { type, value in
            if type == Self.msTurnCookieAttribute && value.count == 4 && value.loadBigEndianUInt32(at: 0) == Self.msTurnCookie {
                found = true
            }
        }
        return found
    }

    private static func attributesEndExactly(_ b: UnsafeRawBufferPointer, padded: Bool) -> Bool {
        var r = ByteReader(b, from: headerSize)
        while !r.isAtEnd {
            guard r.skip(2), let length = r.u16(), r.skip(padded ? (Int(length) + 3) & ~3 : Int(length)) else { return false }
        }
        return true
    }

    /// Calls `body` with each attribute's type and value (padding excluded).
    func forEachAttribute(_ body: (UInt16, UnsafeRawBufferPointer) -> Void) {
        var r = ByteReader(bytes, from: Self.headerSize)
        while let type = r.u16(), let length = r.u16(), let value = r.take(Int(length)) {
            body(type, value)
            if padded { guard r.skip(min((4 - Int(length) & 3) & 3, r.remaining)) else { return } }
        }
    }

    /// A (XOR-)address attribute's transport address (RFC 8489 §14.1-14.2): reserved byte,
    /// family (1 IPv4, 2 IPv6), port, address; the XOR forms mask the port with the cookie's
    /// high half and the address with the cookie (IPv4) or cookie and transaction id (IPv6).
    func address(_ value: UnsafeRawBufferPointer, xor: Bool) -> STUNAddress? {
        guard value.count >= 8 else { return nil }
        var port = value.loadBigEndianUInt16(at: 2)
        if xor { port ^= UInt16(Self.magicCookie >> 16) }
        switch value[1] {
        case 1:
            guard value.count == 8 else { return nil }
            var a = value.loadBigEndianUInt32(at: 4)
            if xor { a ^= Self.magicCookie }
            return STUNAddress(address: IPAddress(v4: a), port: port)
        case 2:
            guard value.count == 20 else { return nil }
            var hi = value.loadBigEndianUInt64(at: 4)
            var lo = value.loadBigEndianUInt64(at: 12)
            if xor {
                // The mask is the 16 bytes from the cookie on: cookie and transaction id.
                hi ^= bytes.loadBigEndianUInt64(at: 4)
                lo ^= bytes.loadBigEndianUInt64(at: 12)
            }
            return STUNAddress(address: IPAddress(hi: hi, lo: lo), port: port)
        default:
            return nil
        }
    }

    /// MS-TURN §2.2.1 method numbers: Allocate 3, Send 4, Data Indication 5 (sent as 0x0115),
    /// Set Active Destination 6.
    var msTurnMethodName: StaticString {
        switch method {
        case Method.binding: return "binding"
        case Method.allocate: return "allocate"
        case 0x004: return "send"
        case 0x005: return "data"
        case 0x006: return "set_active_destination"
        default: return "other"
        }
    }

    var methodName: StaticString {
        switch method {
        case Method.binding: return "binding"
        case 0x002: return "shared_secret"
        case Method.allocate: return "allocate"
        case Method.refresh: return "refresh"
        case Method.send: return "send"
        case Method.data: return "data"
        case Method.createPermission: return "create_permission"
        case Method.channelBind: return "channel_bind"
        case Method.connect: return "connect"
        case Method.connectionBind: return "connection_bind"
        case Method.connectionAttempt: return "connection_attempt"
        default: return "other"
        }
    }
}

/// A transport address from a STUN attribute.
public struct STUNAddress: Equatable {
    public var address: IPAddress
    public var port: UInt16

    /// "192.0.2.1:3478" or "[2001:db8::1]:3478".
    public var description: String {
        address.isV4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }
}

/// A TURN ChannelData message (RFC 8656 §12.4): a channel number in 0x4000-0x4FFF, the
/// length of the application data, the data, and (over TCP) padding to 4 bytes.
enum TURNChannelData {
    static let headerSize = 4

    /// The channel number when `b` is one ChannelData message (over UDP the padding is optional).
    static func channel(_ b: UnsafeRawBufferPointer) -> UInt16? {
        guard b.count >= headerSize else { return nil }
        let channel = b.loadBigEndianUInt16(at: 0)
        let length = Int(b.loadBigEndianUInt16(at: 2))
        guard channel >= 0x4000, channel <= 0x4FFF else { return nil }
        let padded = headerSize + ((length + 3) & ~3)
        guard b.count == headerSize + length || b.count == padded else { return nil }
        return channel
    }
}
