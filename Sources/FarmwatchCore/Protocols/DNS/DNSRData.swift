/// One SVCB/HTTPS parameter (RFC 9460 §2.2): its key and value bytes, the value cut at
/// `DNSRData.maxValueBytes` (an ECH config list is kept only as its presence).
public struct DNSServiceParam: Equatable {
    public var key: UInt16
    public var value: [UInt8]
}

/// The RDATA of the record types farmwatch reports, decoded; other types keep their length.
/// Bounded whatever the message says: TXT keeps at most `maxStrings` strings, SVCB at most
/// `maxParams` parameters of at most `maxValueBytes` bytes.
public enum DNSRData: Equatable {
    /// A, AAAA.
    case address(IPAddress)
    /// CNAME, PTR, NS, DNAME.
    case name([UInt8])
    case mailExchange(preference: UInt16, exchange: [UInt8])
    case service(priority: UInt16, weight: UInt16, port: UInt16, target: [UInt8])
    case text([[UInt8]])
    /// SVCB, HTTPS.
    case serviceBinding(priority: UInt16, target: [UInt8], params: [DNSServiceParam])
    case startOfAuthority(primary: [UInt8], mailbox: [UInt8], serial: UInt32, minimum: UInt32)
    case opaque(length: Int)

    static let maxStrings = 16
    static let maxParams = 16
    static let maxValueBytes = 256

    /// Decodes `rdata` (bounded to the record) of a record of `type`; names in it may be
    /// compressed against `message`. nil when it is malformed.
    init?(type: UInt16, rdata: ByteReader, message: UnsafeRawBufferPointer) {
        var r = rdata
        /// A name that must lie within the RDATA (its pointers may lead anywhere before).
        func name() -> [UInt8]? {
            var offset = r.offset
            guard let n = DNSName.text(message, at: &offset), offset <= r.end else { return nil }
            r = ByteReader(message, from: offset, to: r.end)
            return n
        }
        switch type {
        case DNSType.a:
            guard r.remaining == 4 else { return nil }
            self = .address(IPAddress(v4At: r.offset, in: message))
        case DNSType.aaaa:
            guard r.remaining == 16 else { return nil }
            self = .address(IPAddress(v6At: r.offset, in: message))
        case DNSType.cname, DNSType.ptr, DNSType.ns, DNSType.dname:
            guard let n = name(), r.isAtEnd else { return nil }
            self = .name(n)
        case DNSType.mx:
            guard let preference = r.u16(), let n = name(), r.isAtEnd else { return nil }
            self = .mailExchange(preference: preference, exchange: n)
        case DNSType.srv:
            // RFC 2782 forbids compressing the target, but mDNS responders do it.
            guard let priority = r.u16(), let weight = r.u16(), let port = r.u16(),
                  let target = name(), r.isAtEnd else { return nil }
            self = .service(priority: priority, weight: weight, port: port, target: target)
        case DNSType.txt:
            var strings: [[UInt8]] = []
            while !r.isAtEnd {
                guard let n = r.u8(), let s = r.take(Int(n)) else { return nil }
                if strings.count < DNSRData.maxStrings { strings.append(Array(s)) }
            }
            self = .text(strings)
        case DNSType.svcb, DNSType.https:
            guard let priority = r.u16(), let target = name() else { return nil }
            var params: [DNSServiceParam] = []
            while !r.isAtEnd {
                guard let key = r.u16(), let length = r.u16(), let value = r.take(Int(length)) else { return nil }
                if params.count < DNSRData.maxParams {
                    params.append(DNSServiceParam(key: key, value: Array(value.prefix(DNSRData.maxValueBytes))))
                }
            }
            self = .serviceBinding(priority: priority, target: target, params: params)
        case DNSType.soa:
            guard let primary = name(), let mailbox = name(), let serial = r.u32(),
                  r.skip(12), let minimum = r.u32(), r.isAtEnd else { return nil }
            self = .startOfAuthority(primary: primary, mailbox: mailbox, serial: serial, minimum: minimum)
        default:
            self = .opaque(length: r.remaining)
        }
    }

    /// The addresses a record gives for its owner: an A/AAAA address, or an SVCB/HTTPS
    /// record's ipv4hint/ipv6hint (clients connect to those without another lookup).
    func addresses(_ body: (IPAddress) -> Void) {
        switch self {
        case .address(let a):
            body(a)
        case .serviceBinding(_, _, let params):
            for p in params where p.key == DNSServiceParam.ipv4Hint || p.key == DNSServiceParam.ipv6Hint {
                let size = p.key == DNSServiceParam.ipv4Hint ? 4 : 16
                p.value.withUnsafeBytes { raw in
                    var i = 0
                    while i + size <= raw.count {
                        body(size == 4 ? IPAddress(v4At: i, in: raw) : IPAddress(v6At: i, in: raw))
                        i += size
                    }
                }
            }
        default:
            break
        }
    }

    /// Presentation text in the style of dig: an address, a name ("." for the root), "10
    /// mail.example." style fields for MX, SRV and SOA, quoted strings for TXT, key=value
    /// parameters for SVCB/HTTPS, "\# n" (RFC 3597) for types not decoded.
    var presentation: [UInt8] {
        var out: [UInt8] = []
        func text(_ s: String) { out += Array(s.utf8) }
        func name(_ n: [UInt8]) { out += n.isEmpty ? [UInt8(ascii: ".")] : n }
        switch self {
        case .address(let a):
            a.withText { out.append(contentsOf: $0) }
        case .name(let n):
            name(n)
        case .mailExchange(let preference, let exchange):
            text("\(preference) "); name(exchange)
        case .service(let priority, let weight, let port, let target):
            text("\(priority) \(weight) \(port) "); name(target)
        case .text(let strings):
            for (i, s) in strings.enumerated() {
                if i > 0 { out.append(UInt8(ascii: " ")) }
                out.append(UInt8(ascii: "\""))
                for b in s {
                    if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                    out.append(b)
                }
                out.append(UInt8(ascii: "\""))
            }
        case .serviceBinding(let priority, let target, let params):
            text("\(priority) "); name(target)
            for p in params {
                out.append(UInt8(ascii: " "))
                out += p.presentation
            }
        case .startOfAuthority(let primary, let mailbox, let serial, let minimum):
            name(primary); text(" "); name(mailbox); text(" \(serial) \(minimum)")
        case .opaque(let length):
            text("\\# \(length)")
        }
        return out
    }
}

extension DNSServiceParam {
    static let mandatory: UInt16 = 0, alpn: UInt16 = 1, noDefaultALPN: UInt16 = 2, port: UInt16 = 3
    static let ipv4Hint: UInt16 = 4, ech: UInt16 = 5, ipv6Hint: UInt16 = 6

    /// "alpn=h3,h2", "port=8443", "ipv4hint=192.0.2.1,192.0.2.2", "ech" (its value is a key
    /// blob), "keyN" for keys without a decoder here.
    var presentation: [UInt8] {
        var out: [UInt8] = []
        func text(_ s: String) { out += Array(s.utf8) }
        value.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            switch key {
            case DNSServiceParam.alpn:
                text("alpn=")
                var first = true
                while let n = r.u8(), let id = r.take(Int(n)) {
                    if !first { out.append(UInt8(ascii: ",")) }
                    out += id
                    first = false
                }
            case DNSServiceParam.port:
                text("port=\(r.u16().map(String.init) ?? "?")")
            case DNSServiceParam.noDefaultALPN:
                text("no-default-alpn")
            case DNSServiceParam.ech:
                text("ech")
            case DNSServiceParam.ipv4Hint, DNSServiceParam.ipv6Hint:
                text(key == DNSServiceParam.ipv4Hint ? "ipv4hint=" : "ipv6hint=")
                var addresses: [String] = []
                DNSRData.serviceBinding(priority: 0, target: [], params: [self]).addresses { addresses.append($0.description) }
                text(addresses.joined(separator: ","))
            case DNSServiceParam.mandatory:
                var keys: [String] = []
                while let k = r.u16() { keys.append("key\(k)") }
                text("mandatory=" + keys.joined(separator: ","))
            default:
                text("key\(key)")
            }
        }
        return out
    }
}
