/// A DHCPv4 message (RFC 2131 §2; options RFC 2132, RFC 4702 for the client FQDN): the fixed
/// BOOTP fields and the options that say who the client is. Recognised by content alone: the
/// BOOTP op code and the magic cookie 99.130.83.99 after the 236-byte fixed part.
public struct DHCPv4Message {
    static let cookie: UInt32 = 0x6382_5363
    static let fixedLength = 236

    public var op: UInt8
    public var xid: UInt32
    /// chaddr when it is an Ethernet address (htype 1, hlen 6), else 0.
    public var clientMAC: UInt64 = 0
    public var clientAddress: IPAddress   // ciaddr
    public var yourAddress: IPAddress     // yiaddr
    public var relayed: Bool              // giaddr set
    public var messageType: UInt8 = 0     // option 53; 0 for plain BOOTP
    public var hostName: [UInt8]?
    public var vendorClass: [UInt8]?
    public var parameterList: [UInt8]?
    public var clientID: [UInt8]?
    public var fqdn: [UInt8]?
    public var requestedAddress: IPAddress?
    public var serverID: IPAddress?
    public var leaseSeconds: UInt32?
    /// An option ran past the message or had an impossible length.
    public var malformed = false

    public var isFromClient: Bool { op == 1 }

    /// A DISCOVER, REQUEST or ACK with no ciaddr (RFC 2131 §4.3.2, table 5: SELECTING and
    /// INIT-REBOOT leave it 0; RENEWING and REBINDING carry the address held): a client
    /// booting or joining the network rather than renewing.
    var takesAddressFromScratch: Bool {
        (messageType == 1 || messageType == 3 || messageType == 5) && clientAddress.isUnspecified
    }

    /// The content check: op BOOTREQUEST or BOOTREPLY and the cookie in place.
    static func looksLikeDHCP(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= fixedLength + 4, bytes[0] == 1 || bytes[0] == 2 else { return false }
        return bytes.loadBigEndianUInt32(at: fixedLength) == cookie
    }

    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard DHCPv4Message.looksLikeDHCP(bytes) else { return nil }
        var r = ByteReader(bytes)
        op = r.u8()!
        let htype = r.u8()!, hlen = r.u8()!
        _ = r.skip(1)
        xid = r.u32()!
        _ = r.skip(4)                                    // secs, flags
        clientAddress = IPAddress(v4: r.u32()!)
        yourAddress = IPAddress(v4: r.u32()!)
        _ = r.skip(4)                                    // siaddr
        relayed = r.u32()! != 0
        if htype == 1 && hlen == 6 {
            clientMAC = r.bytes.loadBigEndianUInt64(at: r.offset) >> 16
        }
        _ = r.skip(16 + 64 + 128 + 4)                    // chaddr, sname, file, cookie
        parseOptions(&r)
    }

    /// Options to the end option (or the end of the datagram: some clients omit it). Option
    /// overload (52) is not followed: the names farmwatch wants are never moved there.
    private mutating func parseOptions(_ r: inout ByteReader) {
        while let code = r.u8() {
            if code == 0 { continue }
            if code == 255 { return }
            guard let length = r.u8(), let value = r.take(Int(length)) else {
                malformed = true
                return
            }
            var v = ByteReader(value)
            switch code {
            case 53: messageType = v.u8() ?? 0
            case 12: hostName = Array(value)
            case 60: vendorClass = Array(value)
            case 55: parameterList = Array(value)
            case 61: clientID = Array(value)
            case 50: requestedAddress = v.u32().map { IPAddress(v4: $0) }
            case 54: serverID = v.u32().map { IPAddress(v4: $0) }
            case 51: leaseSeconds = v.u32()
            case 81:
                // flags, two obsolete rcodes, then the name: uncompressed DNS labels when the
                // E flag (0x04) is set, which may stop without the root label (a partial
                // name, RFC 4702 §2.3.1); ASCII otherwise.
                guard let flags = v.u8(), v.skip(2) else { malformed = true; continue }
                if flags & 0x04 == 0 {
                    fqdn = Array(v.rest)
                    continue
                }
                var name = DNSNameText()
                while let n = v.u8(), n != 0 {
                    guard n < 64, let label = v.take(Int(n)) else { malformed = true; break }
                    name.label(label)
                }
                fqdn = name.bytes
            default:
                break
            }
        }
    }

    public static func typeName(_ t: UInt8) -> String {
        switch t {
        case 1: return "DISCOVER"
        case 2: return "OFFER"
        case 3: return "REQUEST"
        case 4: return "DECLINE"
        case 5: return "ACK"
        case 6: return "NAK"
        case 7: return "RELEASE"
        case 8: return "INFORM"
        case 9: return "FORCERENEW"
        case 10: return "LEASEQUERY"
        case 11: return "LEASEUNASSIGNED"
        case 12: return "LEASEUNKNOWN"
        case 13: return "LEASEACTIVE"
        case 0: return "BOOTP"
        default: return "TYPE\(t)"
        }
    }
}
