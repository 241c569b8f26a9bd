import Foundation

/// A malformed catalogue line, named by file and line.
public struct CatalogueError: Error, CustomStringConvertible {
    public var origin: String
    public var message: String
    public var description: String { "\(origin): \(message)" }
}

/// The signature catalogue: the data that names remote-control tools, relays and KVMs by what
/// their traffic shows. farmwatch ships one (`signatures.catalogue`, documented at its top)
/// and users add their own files with `--signatures FILE`; all are loaded at start.
///
/// Format, one signature per line: `family kind pattern [key=value ...]`, fields separated by
/// spaces or tabs, a pattern with spaces in double quotes, `#` starts a comment. Keys:
/// `confidence=low|medium|high`, `product=NAME` (quoted when it has spaces).
public struct SignatureCatalogue: Sendable {
    public private(set) var signatures: [Signature] = []

    public init(signatures: [Signature] = []) { self.signatures = signatures }

    /// The catalogue shipped with farmwatch.
    public static func builtIn() throws -> SignatureCatalogue {
        guard let url = Bundle.module.url(forResource: "signatures", withExtension: "catalogue") else {
            throw CatalogueError(origin: "signatures.catalogue", message: "not found beside the farmwatch binary")
        }
        return try load(path: url.path, displayName: "signatures.catalogue")
    }

    public static func load(path: String, displayName: String? = nil) throws -> SignatureCatalogue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CatalogueError(origin: path, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CatalogueError(origin: path, message: "not UTF-8 text")
        }
        return try parse(text, file: displayName ?? path)
    }

    public static func parse(_ text: String, file: String) throws -> SignatureCatalogue {
        var catalogue = SignatureCatalogue()
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let origin = "\(file):\(lineNumber)"
            let fields = try tokens(line, origin)
            if fields.isEmpty { continue }
            catalogue.signatures.append(try signature(fields, origin))
        }
        return catalogue
    }

    public mutating func add(_ other: SignatureCatalogue) {
        signatures += other.signatures
    }

    private static func signature(_ f: [String], _ origin: String) throws -> Signature {
        guard f.count >= 3 else {
            throw CatalogueError(origin: origin, message: "expected `family kind pattern [key=value ...]`")
        }
        guard let family = Family(rawValue: f[0]) else {
            throw CatalogueError(origin: origin, message: "unknown family '\(f[0])' (known: "
                + Family.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        guard let kind = SignatureKind(rawValue: f[1]) else {
            throw CatalogueError(origin: origin, message: "unknown kind '\(f[1])' (known: "
                + SignatureKind.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        let pattern = f[2]
        var s = Signature(family: family, kind: kind, pattern: pattern,
                          bytes: Array((kind.caseInsensitive ? pattern.lowercased() : pattern).utf8),
                          product: nil, confidence: kind.defaultConfidence, origin: origin)
        try validate(&s)
        for option in f.dropFirst(3) {
            guard let eq = option.firstIndex(of: "="), eq != option.startIndex else {
                throw CatalogueError(origin: origin, message: "expected key=value, found '\(option)'")
            }
            let key = option[..<eq], value = String(option[option.index(after: eq)...])
            switch key {
            case "confidence":
                switch value {
                case "low": s.confidence = .low
                case "medium": s.confidence = .medium
                case "high": s.confidence = .high
                default: throw CatalogueError(origin: origin, message: "confidence must be low, medium or high")
                }
            case "product":
                guard !value.isEmpty else { throw CatalogueError(origin: origin, message: "empty product") }
                s.product = value
            default:
                throw CatalogueError(origin: origin, message: "unknown key '\(key)' (known: confidence, product)")
            }
        }
        return s
    }

    /// Checks a pattern's shape for its kind and normalises it where the kind allows.
    private static func validate(_ s: inout Signature) throws {
        func fail(_ why: String) -> CatalogueError { CatalogueError(origin: s.origin, message: why) }
        guard !s.bytes.isEmpty else { throw fail("empty pattern") }
        switch s.kind {
        case .domain:
            if s.bytes.starts(with: Array("*.".utf8)) && !s.bytes.dropFirst(2).contains(UInt8(ascii: "*")) {
                s.bytes.removeFirst(2)  // `*.example.com` means what `example.com` means
            }
            guard s.bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { throw fail("a domain is printable ASCII") }
        case .port:
            guard PortRange(s.pattern) != nil else {
                throw fail("a port is tcp/N, udp/N or tcp/N-M with N ≤ M ≤ 65535")
            }
        case .oui:
            let digits = s.bytes.filter { $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: "-") }
            guard (6...11).contains(digits.count), digits.allSatisfy(Hex.digits.contains) else {
                throw fail("an OUI is 6 to 11 hex digits (e.g. 30:52:53 or 04:C9:8B:1)")
            }
            s.bytes = digits
        case .ja4:
            guard s.bytes.count == 36, s.bytes[10] == UInt8(ascii: "_"), s.bytes[23] == UInt8(ascii: "_") else {
                throw fail("a JA4 looks like t13d1516h2_8daaf6152771_02713d6af862")
            }
        case .ip:
            guard case .network = ListEntry.parse(s.pattern) else {
                throw fail("an ip is an IPv4 or IPv6 address or network (192.0.2.0/24, 2001:db8::/32)")
            }
        case .cert, .alpn, .hostname, .mdnsService, .httpTitle:
            break
        }
    }

    /// Splits a line into fields: whitespace separated, double quotes group, `#` ends the line.
    private static func tokens(_ line: Substring, _ origin: String) throws -> [String] {
        var fields: [String] = []
        var current = ""
        var inQuotes = false, hasField = false
        for ch in line {
            if inQuotes {
                if ch == "\"" { inQuotes = false } else { current.append(ch) }
            } else if ch == "\"" {
                inQuotes = true; hasField = true
            } else if ch == "#" {
                break
            } else if ch == " " || ch == "\t" || ch == "\r" {
                if hasField { fields.append(current); current = ""; hasField = false }
            } else {
                current.append(ch); hasField = true
            }
        }
        if inQuotes { throw CatalogueError(origin: origin, message: "unterminated quote") }
        if hasField { fields.append(current) }
        return fields
    }
}

/// `tcp/3389` or `udp/47998-48000`.
struct PortRange: Equatable {
    var proto: UInt8
    var low: UInt16
    var high: UInt16

    init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "tcp": proto = IPProto.tcp
        case "udp": proto = IPProto.udp
        default: return nil
        }
        let bounds = parts[1].split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(bounds.count), let lo = UInt16(bounds[0]), let hi = UInt16(bounds[bounds.count - 1]),
              lo <= hi else { return nil }
        low = lo
        high = hi
    }

    func contains(proto p: UInt8, port: UInt16) -> Bool { p == proto && port >= low && port <= high }
}
