/// Facts one dissector extracted from one flow (its results and the small state it needs to
/// get them). Each dissector defines its own final class and writes its own JSON fields.
public protocol FlowFacts: AnyObject {
    func writeJSON(to w: JSONWriter)
    /// The protocol family these facts show the flow carries (a name from the `protocols`
    /// vocabulary), once the dissector has seen enough to say so; nil otherwise.
    var recognition: Recognition? { get }
}

extension FlowFacts {
    public var recognition: Recognition? { nil }
}

/// One protocol recognised on a flow: its family name, how it was recognised and how sure
/// that is. `layer` orders a flow's families outermost first (a CONNECT before the TLS it
/// carries).
public struct Recognition {
    public var family: StaticString
    public var identifiedBy: StaticString
    public var confidence: StaticString
    public var layer: UInt8

    /// Recognised from the protocol's own bytes, parsed and validated by its dissector.
    public static func payload(_ family: StaticString, layer: UInt8 = 1) -> Recognition {
        Recognition(family: family, identifiedBy: "payload", confidence: "high", layer: layer)
    }
}

/// What the dissectors know about one flow. Allocated only for flows a dissector claims; each
/// dissector owns one slot (its `slot` number in the dissector set), so later work adds
/// dissectors without changing this core.
public final class FlowMetadata {
    public static let slotCount = 16
    private var slots = [(any FlowFacts)?](repeating: nil, count: FlowMetadata.slotCount)
    /// Malformed protocol data seen on this flow (hostile lengths, truncated records ...),
    /// counted instead of trusted.
    public var parseErrors: UInt32 = 0
    /// The name the flow's server goes by and where it was learnt: TLS/QUIC SNI, the HTTP
    /// Host header, or a DNS answer seen earlier for the server's address (the way Zeek and
    /// nDPI users expect `server_name`). Bytes from the wire, escaped on output.
    public var serverName: [UInt8]?
    public var serverNameSource: ServerNameSource = .none

    public init() {}

    @inline(__always)
    public func facts<T: FlowFacts>(_ slot: Int, as type: T.Type) -> T? {
        guard let f = slots[slot] else { return nil }
        return f as? T
    }

    public func setFacts(_ slot: Int, _ facts: any FlowFacts) {
        slots[slot] = facts
    }

    /// Records a server name unless a more direct source already gave one (the flow's own
    /// handshake beats a DNS answer seen earlier).
    public func setServerName(_ name: [UInt8], source: ServerNameSource) {
        guard source.rawValue > serverNameSource.rawValue else { return }
        serverName = name
        serverNameSource = source
    }

    /// The families recognised on this flow, outermost first.
    public var recognitions: [Recognition] {
        slots.compactMap { $0?.recognition }.sorted { $0.layer < $1.layer }
    }

    func writeJSON(to w: JSONWriter) {
        let found = recognitions
        if !found.isEmpty {
            w.key("protocols"); w.beginArray()
            for r in found { w.string(r.family) }
            w.endArray()
            w.key("app"); w.string(found[found.count - 1].family)
            w.key("recognitions"); w.beginArray()
            for r in found {
                w.beginObject()
                w.field("name", r.family)
                w.field("identified_by", r.identifiedBy)
                w.field("confidence", r.confidence)
                w.endObject()
            }
            w.endArray()
        }
        if let n = serverName {
            w.key("server_name"); w.string(bytes: n)
            w.field("server_name_source", serverNameSource.name)
        }
        for case let f? in slots { f.writeJSON(to: w) }
        if parseErrors > 0 { w.field("parse_errors", parseErrors) }
    }
}

extension FlowState {
    /// The flow's metadata, created on first use (by a dissector that has something to keep).
    @inline(__always)
    public mutating func ensureMetadata() -> FlowMetadata {
        if let m = metadata { return m }
        let m = FlowMetadata()
        metadata = m
        return m
    }

    /// A dissector's facts on this flow, created on first use.
    @inline(__always)
    public mutating func facts<T: FlowFacts>(_ slot: Int, orMake make: () -> T) -> T {
        let m = ensureMetadata()
        if let f = m.facts(slot, as: T.self) { return f }
        let f = make()
        m.setFacts(slot, f)
        return f
    }
}

/// Where a flow's server name came from, weakest first.
public enum ServerNameSource: UInt8 {
    case none = 0, dns, http, tls

    public var name: String {
        switch self {
        case .none: return "none"
        case .dns: return "dns"
        case .http: return "http"
        case .tls: return "tls"
        }
    }
}
