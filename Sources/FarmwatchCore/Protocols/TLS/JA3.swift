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
