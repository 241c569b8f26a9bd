// The handshake messages farmwatch reads (RFC 8446 §4, RFC 5246 §7.4): both hellos and the
// TLS 1.2 Certificate list, each parsed from a message body, the bytes after the 4-byte header
// (msg_type, uint24 length). Independent of the transport, so that TLS over TCP and QUIC's
// CRYPTO frames share the ClientHello parser. Values are kept as sent, GREASE included; the
// fingerprints drop GREASE themselves.

/// Handshake message types the TLS dissector acts on.
enum TLSHandshakeType {
    static let clientHello: UInt8 = 1
    static let serverHello: UInt8 = 2
    static let certificate: UInt8 = 11
    static let serverHelloDone: UInt8 = 14
    static let clientKeyExchange: UInt8 = 16
}

/// GREASE (RFC 8701): reserved code points 0x0A0A, 0x1A1A … 0xFAFA, sent by clients so that
/// servers learn to ignore unknown values. Fingerprints must ignore them, since they change
/// from one connection to the next.
public enum TLSGrease {
    @inline(__always)
    public static func isGrease(_ value: UInt16) -> Bool {
        value & 0x0F0F == 0x0A0A && value >> 8 == value & 0xFF
    }
}

/// Extension code points this parser reads (IANA "TLS ExtensionType Values").
enum TLSExtension {
    static let serverName: UInt16 = 0x0000
    static let supportedGroups: UInt16 = 0x000A
    static let ecPointFormats: UInt16 = 0x000B
    static let signatureAlgorithms: UInt16 = 0x000D
    static let alpn: UInt16 = 0x0010
    static let supportedVersions: UInt16 = 0x002B
}

public struct TLSClientHello: Equatable, Sendable {
    /// legacy_version (0x0303 for TLS 1.2 and 1.3; TLS 1.3 offers itself in supported_versions).
    public var version: UInt16 = 0
    /// cipher_suites in wire order.
    public var ciphers: [UInt16] = []
    /// Extension types in wire order.
    public var extensions: [UInt16] = []
    /// The first host_name of server_name (RFC 6066 §3), as sent.
    public var serverName: [UInt8]?
    /// The protocols offered in application_layer_protocol_negotiation (RFC 7301), in order.
    public var alpn: [[UInt8]] = []
    public var supportedVersions: [UInt16] = []
    /// supported_groups (called elliptic_curves before RFC 8422).
    public var supportedGroups: [UInt16] = []
    public var signatureAlgorithms: [UInt16] = []
    public var ecPointFormats: [UInt8] = []
    /// Extensions whose contents did not parse although the hello around them did (their
    /// types still count for the fingerprints).
    public var malformedExtensions = 0

    public init() {}

    /// The highest version offered: the largest non-GREASE supported_versions value when the
    /// extension lists one, legacy_version otherwise.
    public var highestVersion: UInt16 {
        supportedVersions.filter { !TLSGrease.isGrease($0) }.max(by: TLSVersion.isOlder) ?? version
    }

    /// Parses a ClientHello body; nil when its framing is broken (a length that runs past the
    /// end, an odd cipher list, a session id over 32 bytes).
    public static func parse(_ body: UnsafeRawBufferPointer) -> TLSClientHello? {
        var r = ByteReader(body)
        var hello = TLSClientHello()
        guard let (version, ciphers) = readFixedPart(&r) else { return nil }
        var cipherReader = ciphers
        hello.version = version
        hello.ciphers = cipherReader.u16List()
        guard r.isAtEnd || hello.readExtensions(&r) else { return nil }
        return hello
    }

    /// Whether `parse` will accept the body, checked without keeping anything: the packet
    /// thread's test before it keeps a body to be parsed when the flow is concluded.
    static func framingHolds(_ body: UnsafeRawBufferPointer) -> Bool {
        var r = ByteReader(body)
        guard readFixedPart(&r) != nil else { return false }
        return r.isAtEnd || TLSHelloExtensions.forEach(&r, { _, _ in true }) != nil
    }

    /// legacy_version, random, session id, cipher suites and compression methods; the cipher
    /// suites are returned unread. nil when a length runs past the end, the cipher list is
    /// odd or the session id is over 32 bytes.
    private static func readFixedPart(_ r: inout ByteReader) -> (version: UInt16, ciphers: ByteReader)? {
        guard let version = r.u16(), r.skip(32),                              // random
              let sessionLength = r.u8(), sessionLength <= 32, r.skip(Int(sessionLength)),
              let cipherLength = r.u16(), cipherLength % 2 == 0,
              let cipherReader = r.sub(Int(cipherLength)),
              let compressionLength = r.u8(), r.skip(Int(compressionLength))
        else { return nil }
        return (version, cipherReader)
    }

    /// Reads the contents of one extension this type keeps; false when they are malformed.
    /// Only the first occurrence of a repeated extension is kept.
    mutating func readExtension(_ type: UInt16, _ data: ByteReader) -> Bool {
        var d = data
        switch type {
        case TLSExtension.serverName:
            guard serverName == nil else { return true }
            guard let listLength = d.u16(), var list = d.sub(Int(listLength)), d.isAtEnd else { return false }
            while !list.isAtEnd {
                guard let nameType = list.u8(), let length = list.u16(), let name = list.take(Int(length)) else {
                    return false
                }
                if nameType == 0 { serverName = Array(name); break }
            }
            return true
        case TLSExtension.alpn:
            guard alpn.isEmpty else { return true }
            guard let listLength = d.u16(), var list = d.sub(Int(listLength)), d.isAtEnd else { return false }
            var protocols: [[UInt8]] = []
            while !list.isAtEnd {
                guard let length = list.u8(), let name = list.take(Int(length)) else { return false }
                protocols.append(Array(name))
            }
            alpn = protocols
            return true
        case TLSExtension.supportedVersions:
            guard supportedVersions.isEmpty else { return true }
            guard let length = d.u8(), length % 2 == 0, var list = d.sub(Int(length)), d.isAtEnd else { return false }
            supportedVersions = list.u16List()
            return true
        case TLSExtension.supportedGroups, TLSExtension.signatureAlgorithms:
            guard let length = d.u16(), length % 2 == 0, var list = d.sub(Int(length)), d.isAtEnd else { return false }
            if type == TLSExtension.supportedGroups {
                if supportedGroups.isEmpty { supportedGroups = list.u16List() }
            } else if signatureAlgorithms.isEmpty {
                signatureAlgorithms = list.u16List()
            }
            return true
        case TLSExtension.ecPointFormats:
            guard ecPointFormats.isEmpty else { return true }
            guard let length = d.u8(), let list = d.take(Int(length)), d.isAtEnd else { return false }
            ecPointFormats = Array(list)
            return true
        default:
            return true
        }
    }
}

public struct TLSServerHello: Equatable, Sendable {
    /// legacy_version (0x0303 when TLS 1.3 was chosen; the choice is in supported_versions).
    public var version: UInt16 = 0
    public var cipher: UInt16 = 0
    public var compressionMethod: UInt8 = 0
    /// Extension types in wire order.
    public var extensions: [UInt16] = []
    /// The version chosen in supported_versions (TLS 1.3 and later).
    public var selectedVersion: UInt16?
    /// The protocol chosen from the client's ALPN list.
    public var alpn: [UInt8]?
    /// A HelloRetryRequest (RFC 8446 §4.1.3): a ServerHello whose random is the fixed value,
    /// asking the client for a second ClientHello.
    public var isHelloRetryRequest = false
    public var malformedExtensions = 0

    public init() {}

    /// The version the connection uses.
    public var negotiatedVersion: UInt16 { selectedVersion ?? version }

    /// SHA-256 of "HelloRetryRequest", the random of every HelloRetryRequest.
    static let helloRetryRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    /// Parses a ServerHello body; nil when its framing is broken.
    public static func parse(_ body: UnsafeRawBufferPointer) -> TLSServerHello? {
        var r = ByteReader(body)
        var hello = TLSServerHello()
        guard let version = r.u16(), let random = r.take(32),
              let sessionLength = r.u8(), sessionLength <= 32, r.skip(Int(sessionLength)),
              let cipher = r.u16(), let compression = r.u8()
        else { return nil }
        hello.version = version
        hello.cipher = cipher
        hello.compressionMethod = compression
        hello.isHelloRetryRequest = random.elementsEqual(helloRetryRandom)
        guard r.isAtEnd || hello.readExtensions(&r) else { return nil }
        return hello
    }

    mutating func readExtension(_ type: UInt16, _ data: ByteReader) -> Bool {
        var d = data
        switch type {
        case TLSExtension.supportedVersions:
            guard let v = d.u16(), d.isAtEnd else { return false }
            if selectedVersion == nil { selectedVersion = v }
            return true
        case TLSExtension.alpn:
            // The same list syntax as the client's, holding exactly one name (RFC 7301 §3.1).
            guard let listLength = d.u16(), var list = d.sub(Int(listLength)), d.isAtEnd,
                  let length = list.u8(), length > 0, let name = list.take(Int(length)), list.isAtEnd
            else { return false }
            if alpn == nil { alpn = Array(name) }
            return true
        default:
            return true
        }
    }
}

/// A hello that ends with an extensions block: it lists every extension's type and reads the
/// contents of those it keeps.
protocol TLSHelloWithExtensions {
    var extensions: [UInt16] { get set }
    var malformedExtensions: Int { get set }
    /// Reads one extension's contents; false when they are malformed.
    mutating func readExtension(_ type: UInt16, _ data: ByteReader) -> Bool
}

extension TLSHelloWithExtensions {
    /// Reads the extensions block (optional before TLS 1.2, RFC 5246 §7.4.1.2: callers skip it
    /// when nothing is left); false when the block's own framing is broken.
    mutating func readExtensions(_ r: inout ByteReader) -> Bool {
        let parsed = TLSHelloExtensions.forEach(&r) { type, data in
            extensions.append(type)
            return readExtension(type, data)
        }
        guard let malformed = parsed else { return false }
        malformedExtensions = malformed
        return true
    }
}

extension TLSClientHello: TLSHelloWithExtensions {}
extension TLSServerHello: TLSHelloWithExtensions {}

/// The extensions block both hellos end with.
enum TLSHelloExtensions {
    /// Calls `body` with each extension's type and contents; `body` says whether the contents
    /// made sense. Returns how many did not, or nil when the block's own framing is broken.
    static func forEach(_ r: inout ByteReader, _ body: (UInt16, ByteReader) -> Bool) -> Int? {
        guard let total = r.u16(), var block = r.sub(Int(total)) else { return nil }
        var malformed = 0
        while !block.isAtEnd {
            guard let type = block.u16(), let length = block.u16(), let data = block.sub(Int(length)) else {
                return nil
            }
            if !body(type, data) { malformed += 1 }
        }
        return malformed
    }
}

extension ByteReader {
    /// The rest as big-endian 16-bit values (callers check the length is even).
    mutating func u16List() -> [UInt16] {
        var out: [UInt16] = []
        out.reserveCapacity(remaining / 2)
        while let v = u16() { out.append(v) }
        return out
    }
}

/// The Certificate handshake message of TLS 1.2 and earlier (RFC 5246 §7.4.2): a uint24-long
/// list of uint24-long DER certificates. (TLS 1.3's form is encrypted, so never seen here.)
enum TLSCertificateMessage {
    /// Certificates beyond this many are not looked at (real chains have two to four).
    static let maxChain = 16

    /// The DER certificates, and whether the list was cut at `maxChain`; nil when the
    /// message's lengths do not add up.
    static func entries(_ body: UnsafeRawBufferPointer) -> (certificates: [[UInt8]], truncated: Bool)? {
        var r = ByteReader(body)
        guard let total = r.u24(), var list = r.sub(Int(total)), r.isAtEnd else { return nil }
        var out: [[UInt8]] = []
        while !list.isAtEnd {
            guard let length = list.u24(), let der = list.take(Int(length)) else { return nil }
            guard out.count < maxChain else { return (out, true) }
            out.append(Array(der))
        }
        return (out, false)
    }
}
