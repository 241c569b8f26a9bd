/// JA3 and JA3S (Salesforce, BSD-3-Clause): MD5 of the hello's fields in decimal, lists joined
/// by "-", fields by ",", GREASE left out.
///
///     JA3:  SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats
///     JA3S: SSLVersion,Cipher,Extensions
enum JA3 {
    static func string(_ hello: TLSClientHello) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(6 * (hello.ciphers.count + hello.extensions.count + hello.supportedGroups.count) + 16)
        appendDecimal(hello.version, to: &out)
        out.append(UInt8(ascii: ","))
        appendDecimalList(hello.ciphers, to: &out)
        out.append(UInt8(ascii: ","))
        appendDecimalList(hello.extensions, to: &out)
        out.append(UInt8(ascii: ","))
        appendDecimalList(hello.supportedGroups, to: &out)
        out.append(UInt8(ascii: ","))
        for (i, f) in hello.ecPointFormats.enumerated() {
            if i > 0 { out.append(UInt8(ascii: "-")) }
            appendDecimal(UInt16(f), to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func string(_ hello: TLSServerHello) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(6 * hello.extensions.count + 16)
        appendDecimal(hello.version, to: &out)
        out.append(UInt8(ascii: ","))
        appendDecimal(hello.cipher, to: &out)
        out.append(UInt8(ascii: ","))
        appendDecimalList(hello.extensions, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func hash(_ string: String) -> String { Hex.md5(Array(string.utf8)) }

    /// JA3S and its input string, from what they are computed of (version, cipher, extension
    /// types but GREASE) as one byte string: a server answers every client alike, so the
    /// context keeps them by this shape.
    static func serverShape(_ hello: TLSServerHello) -> [UInt8] {
        var out: [UInt8] = [UInt8(hello.version >> 8), UInt8(hello.version & 0xFF),
                            UInt8(hello.cipher >> 8), UInt8(hello.cipher & 0xFF)]
        out.reserveCapacity(4 + 2 * hello.extensions.count)
        for e in hello.extensions where !TLSGrease.isGrease(e) {
            out.append(UInt8(e >> 8))
            out.append(UInt8(e & 0xFF))
        }
        return out
    }

    static func serverFingerprint(_ hello: TLSServerHello) -> (ja3sString: String, ja3s: String) {
        let text = string(hello)
        return (text, hash(text))
    }

    /// The values other than GREASE in decimal, joined by "-" (numbers written straight into
    /// the buffer: this runs for every hello).
    private static func appendDecimalList(_ values: [UInt16], to out: inout [UInt8]) {
        var first = true
        for v in values where !TLSGrease.isGrease(v) {
            if !first { out.append(UInt8(ascii: "-")) }
            first = false
            appendDecimal(v, to: &out)
        }
    }

    /// Appends a value in decimal without a String per number.
    private static func appendDecimal(_ v: UInt16, to out: inout [UInt8]) {
        if v >= 10_000 { out.append(UInt8(ascii: "0") + UInt8(v / 10_000)) }
        if v >= 1_000 { out.append(UInt8(ascii: "0") + UInt8(v / 1_000 % 10)) }
        if v >= 100 { out.append(UInt8(ascii: "0") + UInt8(v / 100 % 10)) }
        if v >= 10 { out.append(UInt8(ascii: "0") + UInt8(v / 10 % 10)) }
        out.append(UInt8(ascii: "0") + UInt8(v % 10))
    }
}
