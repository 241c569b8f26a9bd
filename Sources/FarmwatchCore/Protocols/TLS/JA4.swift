/// Which transport carried the hello: JA4's first character.
public enum JA4Transport: Sendable {
    case tcp, quic, dtls

    var marker: UInt8 {
        switch self {
        case .tcp: return UInt8(ascii: "t")
        case .quic: return UInt8(ascii: "q")
        case .dtls: return UInt8(ascii: "d")
        }
    }
}

/// JA4, FoxIO's TLS client fingerprint (BSD-3-Clause; FoxIO-LLC/ja4, technical_details/JA4.md),
/// in its four forms: `ja4` (sorted lists, hashed), `raw` (`ja4_r`, sorted lists in clear),
/// `original` (`ja4_o`, wire order, hashed) and `originalRaw` (`ja4_ro`).
///
///     a: transport, version, d/i (SNI present or not), cipher count, extension count, ALPN
///     b: SHA-256 (first 12 hex digits) of the cipher list
///     c: SHA-256 of the extension list, then "_" and the signature algorithms in wire order
///
/// GREASE is left out everywhere. The sorted forms also leave SNI and ALPN out of the
/// extension list (part a already says whether they are there); the original forms keep them.
public enum JA4 {
    /// All four forms.
    public static func fingerprint(_ hello: TLSClientHello, transport: JA4Transport)
        -> (ja4: String, raw: String, original: String, originalRaw: String) {
        let f = fingerprint(hello, transport: transport, sortedForms: nil, originalForms: true)
        return (f.ja4, f.raw, f.original ?? "", f.originalRaw ?? "")
    }

    /// `sortedForms`, when given, keeps the sorted forms by their raw text: clients that
    /// shuffle their extension order (Chrome, Firefox) change the original forms on every
    /// connection but keep the sorted ones, whose two hashes are then computed once. The
    /// original forms (wire order) are computed only when asked for (`--ja4-raw`).
    static func fingerprint(_ hello: TLSClientHello, transport: JA4Transport,
                            sortedForms: BoundedCache<ByteKey, (ja4: String, raw: String)>?,
                            originalForms: Bool)
        -> (ja4: String, raw: String, original: String?, originalRaw: String?) {
        // Built on byte buffers, each list written once per form: this runs for every
        // ClientHello, so no String per value and no array per digit.
        var ciphers = hello.ciphers
        ciphers.removeAll(where: TLSGrease.isGrease)
        var extensions = hello.extensions
        extensions.removeAll(where: TLSGrease.isGrease)
        var signatures = hello.signatureAlgorithms
        signatures.removeAll(where: TLSGrease.isGrease)

        var a: [UInt8] = []
        a.reserveCapacity(11)
        a.append(transport.marker)
        a += versionCode(hello.highestVersion)
        a.append(UInt8(ascii: extensions.contains(TLSExtension.serverName) ? "d" : "i"))
        appendCount(ciphers.count, to: &a)
        appendCount(extensions.count, to: &a)
        a += alpnCode(hello.alpn.first)

        let originalCiphers = originalForms ? hexList(ciphers) : []
        let originalExtensions = originalForms ? hexList(extensions, then: signatures) : []
        ciphers.sort()
        extensions.removeAll { $0 == TLSExtension.serverName || $0 == TLSExtension.alpn }
        extensions.sort()
        let sortedCiphers = hexList(ciphers)
        let sortedExtensions = hexList(extensions, then: signatures)

        func form(_ b: [UInt8], _ c: [UInt8], hashed: Bool) -> String {
            var out = a
            out.reserveCapacity(a.count + 2 + (hashed ? 24 : b.count + c.count))
            out.append(UInt8(ascii: "_"))
            if hashed { appendHash12(b, to: &out) } else { out += b }
            out.append(UInt8(ascii: "_"))
            if hashed { appendHash12(c, to: &out) } else { out += c }
            return String(decoding: out, as: UTF8.self)
        }
        func sorted() -> (ja4: String, raw: String) {
            (form(sortedCiphers, sortedExtensions, hashed: true), form(sortedCiphers, sortedExtensions, hashed: false))
        }
        var sortedRaw = a
        sortedRaw.append(UInt8(ascii: "_"))
        sortedRaw += sortedCiphers
        sortedRaw.append(UInt8(ascii: "_"))
        sortedRaw += sortedExtensions
        let s = sortedForms?.value(for: ByteKey(sortedRaw), orMake: sorted) ?? sorted()
        guard originalForms else { return (s.ja4, s.raw, nil, nil) }
        return (s.ja4, s.raw,
                form(originalCiphers, originalExtensions, hashed: true),
                form(originalCiphers, originalExtensions, hashed: false))
    }

    /// Two characters for the version (JA4.md "TLS and DTLS Version"); "00" when unknown.
    static func versionCode(_ v: UInt16) -> [UInt8] {
        let code: String
        switch v {
        case 0x0304: code = "13"
        case 0x0303: code = "12"
        case 0x0302: code = "11"
        case 0x0301: code = "10"
        case 0x0300: code = "s3"
        case 0x0002: code = "s2"
        case 0xFEFF: code = "d1"
        case 0xFEFD: code = "d2"
        case 0xFEFC: code = "d3"
        default: code = "00"
        }
        return Array(code.utf8)
    }

    /// Two decimal digits, capped at 99.
    static func appendCount(_ n: Int, to out: inout [UInt8]) {
        let c = min(n, 99)
        out.append(UInt8(ascii: "0") + UInt8(c / 10))
        out.append(UInt8(ascii: "0") + UInt8(c % 10))
    }

    /// The first and last characters of the first ALPN value, "00" when there is none or it is
    /// empty. When either end is not an ASCII letter or digit, the first and last digits of the
    /// value's hex form instead (so that the fingerprint stays printable and unambiguous).
    static func alpnCode(_ first: [UInt8]?) -> [UInt8] {
        guard let v = first, let f = v.first, let l = v.last else { return Array("00".utf8) }
        func alphanumeric(_ b: UInt8) -> Bool {
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
        }
        if alphanumeric(f) && alphanumeric(l) { return [f, l] }
        return [Hex.digits[Int(f >> 4)], Hex.digits[Int(l & 0xF)]]
    }

    /// "xxxx,yyyy" (four lower-case hex digits each), then "_" and the second list if it has any.
    static func hexList(_ values: [UInt16], then second: [UInt16] = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(5 * (values.count + second.count))
        for (i, v) in values.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            Hex.append(u16: v, to: &out)
        }
        for (i, v) in second.enumerated() {
            out.append(UInt8(ascii: i == 0 ? "_" : ","))
            Hex.append(u16: v, to: &out)
        }
        return out
    }

    /// The first 12 hex digits of the SHA-256 of `text`; twelve zeros for an empty list, so
    /// that "nothing there" reads as such rather than as the hash of nothing.
    static func appendHash12(_ text: [UInt8], to out: inout [UInt8]) {
        if text.isEmpty {
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 12))
        } else {
            Hex.appendSHA256Prefix(of: text, digits: 12, to: &out)
        }
    }
}
