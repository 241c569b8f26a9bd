/// ASCII case folding for protocol text (header names, DNS names, certificate names): only
/// A–Z change, so UTF-8 and binary bytes pass through untouched.
enum ASCII {
    @inline(__always)
    static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }

    static func lowercased(_ bytes: [UInt8]) -> [UInt8] { bytes.map(lower) }

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}
