import Crypto

/// Lower-case hex text for fingerprints (HASSH, JA3, JA4, certificate digests), built on bytes
/// so that no per-digit String is made.
enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends the two digits of each byte.
    static func append<S: Sequence>(_ bytes: S, to out: inout [UInt8]) where S.Element == UInt8 {
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
    }

    /// Appends a 16-bit value as exactly four digits (how JA4 writes cipher and extension codes).
    @inline(__always)
    static func append(u16 v: UInt16, to out: inout [UInt8]) {
        out.append(digits[Int(v >> 12)])
        out.append(digits[Int((v >> 8) & 0xF)])
        out.append(digits[Int((v >> 4) & 0xF)])
        out.append(digits[Int(v & 0xF)])
    }

    static func string<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func md5(_ bytes: [UInt8]) -> String { string(Insecure.MD5.hash(data: bytes)) }

    /// The first `count` hex digits of the SHA-256 of `bytes`, appended.
    static func appendSHA256Prefix(of bytes: [UInt8], digits count: Int, to out: inout [UInt8]) {
        SHA256.hash(data: bytes).withUnsafeBytes { d in
            for i in 0..<(count / 2) {
                out.append(digits[Int(d[i] >> 4)])
                out.append(digits[Int(d[i] & 0xF)])
            }
        }
    }

    static func sha256(_ bytes: [UInt8]) -> String { string(SHA256.hash(data: bytes)) }
}
