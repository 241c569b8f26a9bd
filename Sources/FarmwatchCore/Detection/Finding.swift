/// How bad a finding is, from its score and the configured bands.
public enum Severity: Int, Comparable, CaseIterable, Sendable {
    case low = 1, medium, high

    public var name: String {
        switch self {
        case .low: return "low"
        case .medium: return "medium"
        case .high: return "high"
        }
    }

    public init?(name: String) {
        guard let s = Severity.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = s
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
}

/// One measurement or observation behind a finding: what it was, the threshold it was judged
/// against, the points it added, and the flows it came from.
public struct EvidenceItem: Equatable {
    public enum Value: Equatable {
        case number(Double)
        case text(String)
    }

    public var name: String
    public var value: Value
    /// What the value was compared with ("≥ 100 ms"); nil for context that is not scored.
    public var threshold: String?
    public var weight: Double
    public var uids: [String]

    public init(_ name: String, _ value: Value, threshold: String?, weight: Double, uids: [String]) {
        self.name = name
        self.value = value
        self.threshold = threshold
        self.weight = weight
        self.uids = uids
    }
}

/// One suspect endpoint: the `finding` record.
public struct Finding {
    public var endpoint: IPAddress
    /// Host names the device gave itself (DHCP, mDNS, NBNS): wire bytes.
    public var names: [[UInt8]]
    /// 0 when unknown.
    public var mac: UInt64
    public var verdict: String
    public var severity: Severity
    public var score: Int
    public var summary: String
    public var tools: [String]
    public var relay: RelayHop?
    public var controller: IPAddress?
    public var transportRTTms: Double?
    public var controllerRTTms: Double?
    public var hiddenHopMs: Double?
    public var attack: [String]
    public var evidence: [EvidenceItem]
}
