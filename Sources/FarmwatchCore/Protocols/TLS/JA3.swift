/// JA3 and JA3S (Salesforce, BSD-3-Clause): MD5 of the hello's fields in decimal, lists joined
/// by "-", fields by ",", GREASE left out.
///
///     JA3:  SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats
///     JA3S: SSLVersion,Cipher,Extensions
enum JA3 {
    static func string(_ hello: TLSClientHello) -> String {
        [String(hello.version),
         decimalList(hello.ciphers),
         decimalList(hello.extensions),
         decimalList(hello.supportedGroups),
         hello.ecPointFormats.map(String.init).joined(separator: "-")].joined(separator: ",")
    }

    static func string(_ hello: TLSServerHello) -> String {
        [String(hello.version), String(hello.cipher), decimalList(hello.extensions)].joined(separator: ",")
    }

    static func hash(_ string: String) -> String { Hex.md5(Array(string.utf8)) }

    private static func decimalList(_ values: [UInt16]) -> String {
        values.filter { !TLSGrease.isGrease($0) }.map(String.init).joined(separator: "-")
    }
}
