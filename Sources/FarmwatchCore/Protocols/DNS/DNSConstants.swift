/// Resource record types (IANA "DNS Parameters") and their mnemonics as Zeek's dns.log and
/// tshark write them.
public enum DNSType {
    public static let a: UInt16 = 1
    public static let ns: UInt16 = 2
    public static let cname: UInt16 = 5
    public static let soa: UInt16 = 6
    public static let ptr: UInt16 = 12
    public static let mx: UInt16 = 15
    public static let txt: UInt16 = 16
    public static let aaaa: UInt16 = 28
    public static let srv: UInt16 = 33
    public static let dname: UInt16 = 39
    public static let opt: UInt16 = 41
    public static let svcb: UInt16 = 64
    public static let https: UInt16 = 65

    public static func name(_ type: UInt16) -> String {
        switch type {
        case 1: return "A"
        case 2: return "NS"
        case 3: return "MD"
        case 4: return "MF"
        case 5: return "CNAME"
        case 6: return "SOA"
        case 7: return "MB"
        case 8: return "MG"
        case 9: return "MR"
        case 10: return "NULL"
        case 11: return "WKS"
        case 12: return "PTR"
        case 13: return "HINFO"
        case 14: return "MINFO"
        case 15: return "MX"
        case 16: return "TXT"
        case 17: return "RP"
        case 18: return "AFSDB"
        case 24: return "SIG"
        case 25: return "KEY"
        case 28: return "AAAA"
        case 29: return "LOC"
        case 33: return "SRV"
        case 35: return "NAPTR"
        case 37: return "CERT"
        case 38: return "A6"
        case 39: return "DNAME"
        case 41: return "OPT"
        case 43: return "DS"
        case 44: return "SSHFP"
        case 46: return "RRSIG"
        case 47: return "NSEC"
        case 48: return "DNSKEY"
        case 50: return "NSEC3"
        case 51: return "NSEC3PARAM"
        case 52: return "TLSA"
        case 59: return "CDS"
        case 60: return "CDNSKEY"
        case 64: return "SVCB"
        case 65: return "HTTPS"
        case 99: return "SPF"
        case 249: return "TKEY"
        case 250: return "TSIG"
        case 251: return "IXFR"
        case 252: return "AXFR"
        case 255: return "*"
        case 256: return "URI"
        case 257: return "CAA"
        default: return "TYPE\(type)"
        }
    }
}

/// Query classes, named as Zeek names them.
public enum DNSClass {
    /// IN, CH, HS, NONE and ANY: the classes a real query carries.
    @inline(__always)
    static func isKnown(_ c: UInt16) -> Bool {
        c == 1 || c == 3 || c == 4 || c == 254 || c == 255
    }

    public static func name(_ c: UInt16) -> String {
        switch c {
        case 1: return "C_INTERNET"
        case 3: return "C_CHAOS"
        case 4: return "C_HESIOD"
        case 254: return "C_NONE"
        case 255: return "C_ANY"
        default: return "C_\(c)"
        }
    }
}

/// Response codes (RFC 1035, RFC 2136), named as Zeek names them.
public enum DNSRcode {
    public static func name(_ rcode: UInt8) -> String {
        switch rcode {
        case 0: return "NOERROR"
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 3: return "NXDOMAIN"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        case 6: return "YXDOMAIN"
        case 7: return "YXRRSET"
        case 8: return "NXRRSET"
        case 9: return "NOTAUTH"
        case 10: return "NOTZONE"
        default: return "unknown-\(rcode)"
        }
    }
}
