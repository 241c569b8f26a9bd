import Foundation

/// A user's list of addresses or names with one meaning: VPN exits, Tor exits, proxies, the
/// organisation's own admin ranges, a partner's ranges. Addresses are matched by CIDR prefix
/// (IPv4 and IPv6 in one sorted range table), names exactly or as a parent domain.
public struct AddressList: Sendable {
    /// What the user called the list; it is what PeerInfo.listTags carries.
    public let name: String
    /// What membership means, e.g. "vpn-exit", "tor-exit", "proxy", "admin", "partner".
    public let kind: String
    /// Networks and single addresses, merged into ranges.
    public let ranges: AddressRanges
    /// Domain names, lower-case, without a trailing dot.
    public let names: Set<[UInt8]>
    /// Address and network lines read (before overlapping ranges were merged).
    public let addressEntryCount: Int

    public init(name: String, kind: String, ranges: AddressRanges, names: Set<[UInt8]>, addressEntryCount: Int) {
        self.name = name
        self.kind = kind
        self.ranges = ranges
        self.names = names
        self.addressEntryCount = addressEntryCount
    }

    /// Reads a list file: one CIDR network, address or domain name per line; '#' starts a
    /// comment, blank lines are skipped. A line that is none of these fails the whole load
    /// with its file:line, since a silently skipped entry is a hole the user does not see.
    public static func load(path: String, name: String, kind: String) throws -> AddressList {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw IntelError.fileMissing(path: path)
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw IntelError.fileUnreadable(path: path, reason: isDirectory.boolValue ? "it is a directory" : "permission denied")
        }
        return try parse(Array(data), source: path, name: name, kind: kind)
    }

    /// Parses list text (the format `load` reads); `source` names it in errors.
    public static func parse(_ text: [UInt8], source: String, name: String, kind: String) throws -> AddressList {
        var prefixes: [(IPAddress, Int)] = []
        var names = Set<[UInt8]>()
        var lineNumber = 0
        for rawLine in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let content = rawLine.prefix { $0 != UInt8(ascii: "#") }
            let tokens = content.split { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
            guard let token = tokens.first else { continue }
            let text = String(decoding: token, as: UTF8.self)
            func fail(_ reason: String) -> IntelError {
                .malformedListLine(path: source, line: lineNumber, text: String(decoding: content, as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines), reason: reason)
            }
            guard tokens.count == 1 else { throw fail("more than one entry on the line") }
            switch ListEntry.parse(text) {
            case .network(let address, let length): prefixes.append((address, length))
            case .name(let bytes): names.insert(bytes)
            case .invalid(let reason): throw fail(reason)
            }
        }
        return AddressList(name: name, kind: kind, ranges: AddressRanges(prefixes: prefixes), names: names,
                           addressEntryCount: prefixes.count)
    }

    public func contains(_ address: IPAddress) -> Bool {
        ranges.contains(address)
    }

    /// True when `name` (presentation form, any case, trailing dot or not) is on the list or is
    /// a subdomain of a name on the list: listing "vpn.example" covers "eu1.vpn.example".
    public func containsName(_ name: [UInt8]) -> Bool {
        guard !names.isEmpty, !name.isEmpty else { return false }
        let candidate = ListEntry.normalisedName(name)
        if names.contains(candidate) { return true }
        // Each parent domain: the text after every label-separating dot ("\." is inside a label).
        var i = 0
        while i < candidate.count {
            if candidate[i] == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if candidate[i] == UInt8(ascii: "."), names.contains(Array(candidate[(i + 1)...])) { return true }
            i += 1
        }
        return false
    }
}
