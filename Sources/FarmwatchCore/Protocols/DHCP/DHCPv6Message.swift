/// A DHCPv6 message (RFC 8415), the basics that name a client: message type, transaction id,
/// client DUID, FQDN (RFC 4704), vendor class, option request list and the addresses a
/// server assigns (IA_NA/IAADDR). Relay messages are unwrapped to the message they carry.
/// DHCPv6 has no magic number: a message counts only when its type is known and its options
/// parse exactly to its end.
public struct DHCPv6Message {
    /// Relay-in-relay nesting followed; deeper is treated as malformed.
    static let maxRelayDepth = 4
    static let maxAddresses = 8

    public var messageType: UInt8 = 0
    public var transactionID: UInt32 = 0
    public var relayed = false
    public var clientDUID: [UInt8]?
    public var fqdn: [UInt8]?
    public var vendorEnterprise: UInt32?
    /// The first vendor-class-data string.
    public var vendorClass: [UInt8]?
    public var optionRequests: [UInt16]?
    public var addresses: [IPAddress] = []

    public var isFromClient: Bool {
        switch messageType {
        case 1, 3, 4, 5, 6, 8, 9, 11: return true   // SOLICIT REQUEST CONFIRM RENEW REBIND RELEASE DECLINE INFORMATION-REQUEST
        default: return false
        }
    }

    /// nil when the bytes are not a well-formed DHCPv6 message.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        var r = ByteReader(bytes)
        var depth = 0
        while true {
            guard let type = r.u8(), (1...13).contains(type) else { return nil }
            if type == 12 || type == 13 {
                // RELAY-FORW/RELAY-REPL: hop count, link and peer addresses, then options
                // whose Relay Message option (9) holds the next message.
                depth += 1
                guard depth <= DHCPv6Message.maxRelayDepth, r.skip(33) else { return nil }
                relayed = true
                var inner: ByteReader?
                guard DHCPv6Message.walkOptions(r, { code, value in if code == 9 { inner = value } }), let next = inner else {
                    return nil
                }
                r = next
                continue
            }
            guard let xid = r.u24() else { return nil }
            messageType = type
            transactionID = xid
            break
        }
        var ok = true
        let valid = DHCPv6Message.walkOptions(r) { code, value in
            if !self.option(code, value) { ok = false }
        }
        guard valid, ok else { return nil }
    }

    /// Calls `body` with each option (code, value) and says whether they tiled the reader
    /// exactly.
    static func walkOptions(_ reader: ByteReader, _ body: (UInt16, ByteReader) -> Void) -> Bool {
        var r = reader
        while !r.isAtEnd {
            guard let code = r.u16(), let length = r.u16(), let value = r.sub(Int(length)) else { return false }
            body(code, value)
        }
        return true
    }

    /// One top-level option; false when its content is malformed.
    private mutating func option(_ code: UInt16, _ value: ByteReader) -> Bool {
        var v = value
        switch code {
        case 1:
            clientDUID = Array(v.rest)
        case 39:
            // flags, then the name in uncompressed DNS labels, possibly partial (RFC 4704 §4.2).
            guard v.u8() != nil else { return false }
            var name = DNSNameText()
            while let n = v.u8(), n != 0 {
                guard n < 64, let label = v.take(Int(n)) else { return false }
                name.label(label)
            }
            fqdn = name.bytes
        case 16:
            guard let enterprise = v.u32() else { return false }
            vendorEnterprise = enterprise
            if let n = v.u16(), let data = v.take(Int(n)) { vendorClass = Array(data) }
        case 6:
            var codes: [UInt16] = []
            while let c = v.u16() { codes.append(c) }
            optionRequests = codes
        case 3:
            // IA_NA: IAID, T1, T2, then options; IAADDR (5) carries an address.
            guard v.skip(12) else { return false }
            return DHCPv6Message.walkOptions(v) { code, inner in
                var a = inner
                if code == 5, a.remaining >= 24, self.addresses.count < DHCPv6Message.maxAddresses {
                    self.addresses.append(IPAddress(v6At: a.offset, in: a.bytes))
                    _ = a.skip(16)
                }
            }
        default:
            break
        }
        return true
    }

    /// The client's MAC when its DUID embeds one: DUID-LLT (type 1) or DUID-LL (type 3) with
    /// hardware type 1 (Ethernet) and a 6-byte address (RFC 8415 §11.2, §11.4).
    public var duidMAC: UInt64 {
        guard let d = clientDUID, d.count >= 4, d[2] == 0, d[3] == 1 else { return 0 }
        let start: Int
        switch (d[0], d[1]) {
        case (0, 1): start = 8
        case (0, 3): start = 4
        default: return 0
        }
        guard d.count == start + 6 else { return 0 }
        return d[start...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    public static func typeName(_ t: UInt8) -> String {
        switch t {
        case 1: return "SOLICIT"
        case 2: return "ADVERTISE"
        case 3: return "REQUEST"
        case 4: return "CONFIRM"
        case 5: return "RENEW"
        case 6: return "REBIND"
        case 7: return "REPLY"
        case 8: return "RELEASE"
        case 9: return "DECLINE"
        case 10: return "RECONFIGURE"
        case 11: return "INFORMATION-REQUEST"
        case 12: return "RELAY-FORW"
        case 13: return "RELAY-REPL"
        default: return "TYPE\(t)"
        }
    }
}
