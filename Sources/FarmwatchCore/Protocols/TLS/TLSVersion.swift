/// Protocol version numbers as they appear in hellos and records.
enum TLSVersion {
    /// Zeek's ssl.log spelling ("TLSv12"), so that logs from both read alike.
    static func name(_ v: UInt16) -> String {
        switch v {
        case 0x0002: return "SSLv2"
        case 0x0300: return "SSLv3"
        case 0x0301: return "TLSv10"
        case 0x0302: return "TLSv11"
        case 0x0303: return "TLSv12"
        case 0x0304: return "TLSv13"
        case 0xFEFF: return "DTLSv10"
        case 0xFEFD: return "DTLSv12"
        case 0xFEFC: return "DTLSv13"
        default: return "unknown-\(v)"
        }
    }

    /// Version order: DTLS numbers its versions downwards (0xFEFF is 1.0, 0xFEFC is 1.3), TLS
    /// upwards.
    static func isOlder(_ a: UInt16, _ b: UInt16) -> Bool {
        let aDTLS = a >> 8 == 0xFE, bDTLS = b >> 8 == 0xFE
        if aDTLS && bDTLS { return a > b }
        return a < b
    }
}
