/// The messages of SOCKS 4 (Ying-Da Lee, "SOCKS: A protocol for TCP proxy across firewalls"),
/// SOCKS 4a (Ying-Da Lee, "SOCKS 4A: A Simple Extension to SOCKS 4 Protocol"), SOCKS 5
/// (RFC 1928) and its username/password sub-negotiation (RFC 1929), parsed in place. Each parse
/// says whether the bytes hold a whole valid message (and its length), need more, or cannot be
/// one: SOCKS has no magic, so every field is checked against what the specifications allow.
public enum SOCKSMessage {
    enum Parse<T> {
        case needMore
        case invalid
        case message(T, length: Int)
    }

    static let commandConnect: UInt8 = 1
    static let commandBind: UInt8 = 2
    static let commandUDPAssociate: UInt8 = 3

    static let methodNone: UInt8 = 0
    static let methodGSSAPI: UInt8 = 1
    static let methodUsernamePassword: UInt8 = 2
    static let methodNoAcceptable: UInt8 = 0xFF

    /// A request's or reply's address: SOCKS 5 ATYP 1, 3 and 4, or SOCKS 4's IPv4 and 4a's name.
    public enum Address: Equatable {
        case ipv4(IPAddress)
        case ipv6(IPAddress)
        case domain([UInt8])
    }

    struct Request {
        var command: UInt8
        var address: Address
        var port: UInt16
        /// SOCKS 4's USERID field (never a password: SOCKS 4 has none).
        var userID: [UInt8]?
    }

    struct Reply {
        var code: UInt8
        var address: Address
        var port: UInt16
    }

    /// A client's first bytes, judged without allocating: a whole SOCKS 5 greeting or SOCKS 4
    /// request. Returns the version, or nil.
    static func openingVersion(_ bytes: UnsafeRawBufferPointer) -> UInt8? {
        guard let first = bytes.first else { return nil }
        switch first {
        case 5:
            guard case .message(_, let length)? = greetingLength(bytes) else { return nil }
            // Clients wait for the method selection; one that does not sends a sub-negotiation
            // (version 1) or a request (version 5) next, nothing else.
            return length == bytes.count || bytes[length] == 1 || bytes[length] == 5 ? 5 : nil
        case 4:
            guard case .message(let r, let length) = socks4Request(bytes), r.userID != nil else { return nil }
            return length == bytes.count ? 4 : nil
        default:
            return nil
        }
    }

    // MARK: SOCKS 5

    /// The greeting's length when `bytes` open with a whole one: VER 5, NMETHODS ≥ 1, and methods
    /// that are assigned (0–9) or private (0x80–0xFE).
    private static func greetingLength(_ bytes: UnsafeRawBufferPointer) -> Parse<Void>? {
        guard bytes.count >= 2 else { return bytes.first == 5 ? .needMore : nil }
        let n = Int(bytes[1])
        guard bytes[0] == 5, n >= 1 else { return nil }
        guard bytes.count >= 2 + n else { return .needMore }
        for i in 2..<(2 + n) {
            let m = bytes[i]
            guard m <= 9 || (0x80...0xFE).contains(m) else { return nil }
        }
        return .message((), length: 2 + n)
    }

    /// VER 5, NMETHODS, METHODS: the methods offered.
    static func greeting(_ bytes: UnsafeRawBufferPointer) -> Parse<[UInt8]> {
        switch greetingLength(bytes) {
        case .needMore?: return .needMore
        case .message(_, let length)?: return .message(Array(bytes[2..<length]), length: length)
        case .invalid?, nil: return .invalid
        }
    }

    /// VER 5, METHOD: the server's choice.
    static func methodSelection(_ bytes: UnsafeRawBufferPointer) -> Parse<UInt8> {
        guard bytes.count >= 2 else { return bytes.isEmpty || bytes[0] == 5 ? .needMore : .invalid }
        return bytes[0] == 5 ? .message(bytes[1], length: 2) : .invalid
    }

    /// RFC 1929: VER 1, ULEN, UNAME, PLEN, PASSWD. The user name is kept; of the password only
    /// that one was sent.
    static func usernamePassword(_ bytes: UnsafeRawBufferPointer) -> Parse<[UInt8]> {
        var r = ByteReader(bytes)
        guard let version = r.u8() else { return .needMore }
        guard version == 1 else { return .invalid }
        guard let ulen = r.u8() else { return .needMore }
        guard ulen >= 1 else { return .invalid }
        guard let user = r.take(Int(ulen)) else { return .needMore }
        guard let plen = r.u8() else { return .needMore }
        guard r.skip(Int(plen)) else { return .needMore }
        return .message(Array(user), length: r.offset)
    }

    /// RFC 1929's answer: VER 1, STATUS (0 = success). Some servers echo version 5.
    static func usernamePasswordStatus(_ bytes: UnsafeRawBufferPointer) -> Parse<UInt8> {
        guard bytes.count >= 2 else { return bytes.isEmpty || bytes[0] == 1 || bytes[0] == 5 ? .needMore : .invalid }
        return bytes[0] == 1 || bytes[0] == 5 ? .message(bytes[1], length: 2) : .invalid
    }

    /// VER 5, CMD, RSV 0, ATYP, DST.ADDR, DST.PORT.
    static func request(_ bytes: UnsafeRawBufferPointer) -> Parse<Request> {
        var r = ByteReader(bytes)
        guard let version = r.u8() else { return .needMore }
        guard version == 5 else { return .invalid }
        guard let command = r.u8() else { return .needMore }
        guard (commandConnect...commandUDPAssociate).contains(command) else { return .invalid }
        switch addressAndPort(&r) {
        case .needMore: return .needMore
        case .invalid: return .invalid
        case .message(let (address, port), _):
            return .message(Request(command: command, address: address, port: port), length: r.offset)
        }
    }

    /// VER 5, REP, RSV 0, ATYP, BND.ADDR, BND.PORT.
    static func reply(_ bytes: UnsafeRawBufferPointer) -> Parse<Reply> {
        var r = ByteReader(bytes)
        guard let version = r.u8() else { return .needMore }
        guard version == 5 else { return .invalid }
        guard let code = r.u8() else { return .needMore }
        switch addressAndPort(&r) {
        case .needMore: return .needMore
        case .invalid: return .invalid
        case .message(let (address, port), _):
            return .message(Reply(code: code, address: address, port: port), length: r.offset)
        }
    }

    /// RSV, ATYP, address, port (the common tail of requests and replies).
    private static func addressAndPort(_ r: inout ByteReader) -> Parse<(Address, UInt16)> {
        guard let reserved = r.u8() else { return .needMore }
        guard reserved == 0 else { return .invalid }
        guard let type = r.u8() else { return .needMore }
        let address: Address
        switch type {
        case 1:
            guard let a = r.take(4) else { return .needMore }
            address = .ipv4(IPAddress(v4At: 0, in: a))
        case 4:
            guard let a = r.take(16) else { return .needMore }
            address = .ipv6(IPAddress(v6At: 0, in: a))
        case 3:
            guard let n = r.u8() else { return .needMore }
            guard n >= 1 else { return .invalid }
            guard let name = r.take(Int(n)) else { return .needMore }
            guard name.allSatisfy(isHostNameByte) else { return .invalid }
            address = .domain(Array(name))
        default:
            return .invalid
        }
        guard let port = r.u16() else { return .needMore }
        return .message((address, port), length: r.offset)
    }

    // MARK: SOCKS 4 and 4a

    /// VN 4, CD (1 CONNECT, 2 BIND), DSTPORT, DSTIP, USERID, NUL; for 4a (DSTIP 0.0.0.x, x ≠ 0)
    /// the host name and a NUL follow.
    static func socks4Request(_ bytes: UnsafeRawBufferPointer) -> Parse<Request> {
        var r = ByteReader(bytes)
        guard let version = r.u8() else { return .needMore }
        guard version == 4 else { return .invalid }
        guard let command = r.u8() else { return .needMore }
        guard command == commandConnect || command == commandBind else { return .invalid }
        guard let port = r.u16(), let ip = r.u32() else { return .needMore }
        let user: [UInt8]
        switch nulTerminated(&r, allowed: isPrintable) {
        case .needMore: return .needMore
        case .invalid: return .invalid
        case .message(let u, _): user = u
        }
        var address = Address.ipv4(IPAddress(v4: ip))
        if ip != 0 && ip <= 0xFF {
            switch nulTerminated(&r, allowed: isHostNameByte) {
            case .needMore: return .needMore
            case .invalid: return .invalid
            case .message(let name, _):
                guard !name.isEmpty else { return .invalid }
                address = .domain(name)
            }
        }
        return .message(Request(command: command, address: address, port: port, userID: user), length: r.offset)
    }

    /// VN 0, CD 90–93, DSTPORT, DSTIP. VN 4 is tolerated: some servers echo the version.
    static func socks4Reply(_ bytes: UnsafeRawBufferPointer) -> Parse<Reply> {
        guard bytes.count >= 8 else {
            if let v = bytes.first, v != 0 && v != 4 { return .invalid }
            if bytes.count >= 2 && !(90...93).contains(bytes[1]) { return .invalid }
            return .needMore
        }
        guard bytes[0] == 0 || bytes[0] == 4, (90...93).contains(bytes[1]) else { return .invalid }
        return .message(Reply(code: bytes[1], address: .ipv4(IPAddress(v4At: 4, in: bytes)),
                              port: bytes.loadBigEndianUInt16(at: 2)), length: 8)
    }

    /// A field ended by NUL, of at most 255 bytes that `allowed` accepts.
    private static func nulTerminated(_ r: inout ByteReader, allowed: (UInt8) -> Bool) -> Parse<[UInt8]> {
        let start = r.offset
        while let b = r.u8() {
            if b == 0 { return .message(Array(r.bytes[start..<(r.offset - 1)]), length: r.offset - start) }
            guard allowed(b), r.offset - start <= 255 else { return .invalid }
        }
        return .needMore
    }

    @inline(__always)
    static func isPrintable(_ b: UInt8) -> Bool { b >= 0x20 && b < 0x7F }

    /// Letters, digits and the punctuation of host names and address literals.
    @inline(__always)
    static func isHostNameByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
             UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }
}
