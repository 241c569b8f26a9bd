/// The catalogue compiled for lookups: names by suffix through a hash index, the few
/// substring and prefix kinds by a scan of their (short) lists. Used when a flow ends and
/// when device records are written, never per packet.
public final class SignatureMatcher: @unchecked Sendable {
    public let catalogue: SignatureCatalogue
    /// Domains by a hash of their bytes (FNV-1a), so that every suffix of a name is looked up
    /// in place, without an array per suffix; candidates are compared byte for byte.
    private var domainSuffixes: [UInt64: [Int]] = [:]
    private var domainGlobs: [Int] = []
    // The scanned kinds, as signatures rather than indices, and the port ranges parsed once:
    // every flow asks for its port hints when it ends, so that lookup must neither parse text
    // nor allocate when nothing matches.
    private var byKind = [[Signature]](repeating: [], count: 10)
    private var portRanges: [(range: PortRange, signature: Signature)] = []
    private var ja4: [ByteKey: [Int]] = [:]
    private var networks: [(index: Int, ranges: AddressRanges)] = []

    public init(_ catalogue: SignatureCatalogue) {
        self.catalogue = catalogue
        for (i, s) in catalogue.signatures.enumerated() {
            switch s.kind {
            case .domain where s.bytes.contains(UInt8(ascii: "*")): domainGlobs.append(i)
            case .domain: s.bytes.withUnsafeBytes { domainSuffixes[Self.fnv1a($0), default: []].append(i) }
            case .ja4: ja4[ByteKey(s.bytes), default: []].append(i)
            case .port:
                // The catalogue validated every port line when it was read.
                if let r = PortRange(s.pattern) { portRanges.append((r, s)) }
            case .ip:
                if case .network(let address, let length) = ListEntry.parse(s.pattern) {
                    networks.append((i, AddressRanges(prefixes: [(address, length)])))
                }
            default: byKind[Self.kindIndex(s.kind)].append(s)
            }
        }
    }

    /// A dense index per kind (a switch: no hashing of the kind's text on every lookup).
    private static func kindIndex(_ kind: SignatureKind) -> Int {
        switch kind {
        case .domain: return 0
        case .cert: return 1
        case .alpn: return 2
        case .ja4: return 3
        case .port: return 4
        case .hostname: return 5
        case .mdnsService: return 6
        case .httpTitle: return 7
        case .oui: return 8
        case .ip: return 9
        }
    }

    public var isEmpty: Bool { catalogue.signatures.isEmpty }

    /// Signatures whose domain is `name` or one of its parent domains, or whose glob matches it.
    /// Asked for every flow with a name: allocates only the lowered name and what it finds.
    public func domains(_ name: [UInt8]) -> [Signature] {
        let lower = ASCII.lowercased(name.last == UInt8(ascii: ".") ? Array(name.dropLast()) : name)
        var found: [Signature] = []
        lower.withUnsafeBytes { text in
            var start = 0
            while start < text.count {
                let suffix = UnsafeRawBufferPointer(rebasing: text[start...])
                if let candidates = domainSuffixes[Self.fnv1a(suffix)] {
                    for i in candidates where catalogue.signatures[i].bytes.elementsEqual(suffix) {
                        found.append(catalogue.signatures[i])
                    }
                }
                guard let dot = suffix.firstIndex(of: UInt8(ascii: ".")) else { break }
                start += dot + 1
            }
        }
        for i in domainGlobs where Self.glob(catalogue.signatures[i].bytes, lower) { found.append(catalogue.signatures[i]) }
        return found
    }

    private static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    public func ja4(_ fingerprint: String) -> [Signature] {
        (ja4[ByteKey(Array(fingerprint.utf8))] ?? []).map { catalogue.signatures[$0] }
    }

    /// Certificate subject/issuer, HTML title: case-insensitive substring.
    public func containing(_ kind: SignatureKind, in text: [UInt8]) -> [Signature] {
        let lower = ASCII.lowercased(text)
        return signatures(kind).filter { Self.contains(lower, $0.bytes) }
    }

    public func alpn(_ protocolID: [UInt8]) -> [Signature] {
        signatures(.alpn).filter { protocolID.starts(with: $0.bytes) }
    }

    /// A device host name, without a trailing `.local` or `.`, against host-name globs.
    public func hostname(_ name: [UInt8]) -> [Signature] {
        var lower = ASCII.lowercased(name)
        if lower.last == UInt8(ascii: ".") { lower.removeLast() }
        if lower.count > 6 && lower.suffix(6).elementsEqual(".local".utf8) { lower.removeLast(6) }
        return signatures(.hostname).filter { Self.glob($0.bytes, lower) }
    }

    /// An announced service instance or type (`PiKVM._pikvm._tcp.local`) naming a catalogued type.
    public func mdnsService(_ name: [UInt8]) -> [Signature] {
        let lower = ASCII.lowercased(name)
        return signatures(.mdnsService).filter { Self.contains(lower, $0.bytes) }
    }

    public func oui(_ mac: UInt64) -> [Signature] {
        guard mac != 0 else { return [] }
        var digits: [UInt8] = []
        for shift in stride(from: 44, through: 0, by: -4) { digits.append(Hex.digits[Int((mac >> UInt64(shift)) & 0xF)]) }
        return signatures(.oui).filter { digits.starts(with: $0.bytes) }
    }

    public func networks(containing a: IPAddress) -> [Signature] {
        networks.filter { $0.ranges.contains(a) }.map { catalogue.signatures[$0.index] }
    }

    public func ports(proto: UInt8, _ port: UInt16) -> [Signature] {
        var out: [Signature] = []
        for p in portRanges where p.range.contains(proto: proto, port: port) { out.append(p.signature) }
        return out
    }

    private func signatures(_ kind: SignatureKind) -> [Signature] {
        byKind[Self.kindIndex(kind)]
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        if needle.isEmpty { return true }
        var i = 0
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }

    /// Whole-string match where `*` stands for any run of bytes (iterative, no backtracking
    /// blow-up: the last star is the only resume point needed).
    static func glob(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        var p = 0, t = 0
        var star = -1, mark = 0
        let asterisk = UInt8(ascii: "*")
        while t < text.count {
            if p < pattern.count && pattern[p] != asterisk && pattern[p] == text[t] {
                p += 1; t += 1
            } else if p < pattern.count && pattern[p] == asterisk {
                star = p; mark = t; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; t = mark
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == asterisk { p += 1 }
        return p == pattern.count
    }
}
