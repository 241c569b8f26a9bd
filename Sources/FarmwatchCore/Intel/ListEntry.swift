/// One entry of an address list file, told apart by its characters: a ':' makes it IPv6, only
/// digits and dots IPv4 (either with an optional /length), anything else a domain name.
enum ListEntry: Equatable {
    /// A network in 128-bit terms (IPv4 prefix lengths are offset by 96, as IPAddress holds
    /// IPv4 IPv4-mapped).
    case network(IPAddress, Int)
    case name([UInt8])
    case invalid(String)

    static func parse(_ text: String) -> ListEntry {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let isV6 = text.contains(":")
        let isV4 = !isV6 && parts[0].allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard isV4 || isV6 else { return name(text) }
        let family = isV6 ? "IPv6" : "IPv4"
        guard let address = IPAddress(String(parts[0])) else {
            return .invalid("not an \(family) address")
        }
        let maxLength = isV6 ? 128 : 32
        var length = maxLength
        if parts.count == 2 {
            guard let n = Int(parts[1]), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), n <= maxLength else {
                return .invalid("prefix length must be 0 to \(maxLength)")
            }
            length = n
        }
        return .network(address, isV6 ? length : length + 96)
    }

    /// RFC 1123 host names (letters, digits, hyphens; '_' too, as in service names), up to
    /// 253 characters in labels of 1 to 63.
    private static func name(_ text: String) -> ListEntry {
        if text.hasPrefix("*.") {
            return .invalid("write the name without \"*.\": a listed name already covers its subdomains")
        }
        let bytes = normalisedName(Array(text.utf8))
        guard !bytes.isEmpty, bytes.count <= 253 else { return .invalid("not an address, network or domain name") }
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...63).contains(label.count),
                  label.allSatisfy({ isNameByte($0) }),
                  label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
                return .invalid("not an address, network or domain name")
            }
        }
        return .name(bytes)
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
    }

    /// ASCII lower case without the root's trailing dot: DNS compares names case-insensitively
    /// (RFC 4343), and "example.com." is "example.com".
    static func normalisedName(_ name: [UInt8]) -> [UInt8] {
        var out = name
        if out.last == UInt8(ascii: "."), out.count > 1, out[out.count - 2] != UInt8(ascii: "\\") { out.removeLast() }
        for i in out.indices where out[i] >= UInt8(ascii: "A") && out[i] <= UInt8(ascii: "Z") { out[i] |= 0x20 }
        return out
    }
}
