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

/// What the dissectors know about one flow. Allocated only for flows a dissector claims; each
/// dissector owns one slot number (in the dissector set), and a flow stores only the facts of
/// the dissectors that kept something, so adding dissectors costs flows nothing.
public final class FlowMetadata {
    // Most flows keep one dissector's facts: that one is held inline, any others in a list,
    // so that the common flow allocates no array for them.
    private var firstSlot: UInt8 = 0
    private var firstFacts: (any FlowFacts)?
    private var otherFacts: [(slot: UInt8, facts: any FlowFacts)] = []
    /// Recognitions made from outside one dissector's facts: the signature catalogue (names,
    /// certificates, ALPN, address lists, ports) and context such as an enclosing tunnel.
    public private(set) var addedRecognitions: [Recognition] = []
    /// Malformed protocol data seen on this flow (hostile lengths, truncated records ...),
    /// counted instead of trusted.
    public var parseErrors: UInt32 = 0
    /// The name the flow's server goes by and where it was learnt: TLS/QUIC SNI, the HTTP
    /// Host header, or a DNS answer seen earlier for the server's address (the way Zeek and
    /// nDPI users expect `server_name`). Bytes from the wire, escaped on output.
    public var serverName: [UInt8]?
    public var serverNameSource: ServerNameSource = .none
    /// Fine-grained turnaround distributions per direction (see `LatencySketch`), created by
    /// the flow engine once the flow keeps exchanging data; the detection engine reads them.
    public private(set) var turnarounds: TurnaroundSketches?
    /// The tunnel this flow carries, once one opened (see InnerStream.swift).
    public internal(set) var innerStream: InnerStreamState?
    var pendingInnerPrelude: [UInt8] = []
    var pendingInnerPreludeDirection: Direction = .originator
    var pendingInnerWebSocket = false

    public init() {}

    @inline(__always)
    public func facts<T: FlowFacts>(_ slot: Int, as type: T.Type) -> T? {
        if let f = firstFacts, Int(firstSlot) == slot { return f as? T }
        for entry in otherFacts where Int(entry.slot) == slot { return entry.facts as? T }
        return nil
    }

    public func setFacts(_ slot: Int, _ facts: any FlowFacts) {
        if firstFacts == nil || Int(firstSlot) == slot {
            firstSlot = UInt8(slot)
            firstFacts = facts
        } else if let i = otherFacts.firstIndex(where: { Int($0.slot) == slot }) {
            otherFacts[i].facts = facts
        } else {
            otherFacts.append((UInt8(slot), facts))
        }
    }

    /// Calls `body` with every dissector's facts on this flow, in the order they were first
    /// kept.
    @inline(__always)
    public func forEachFacts(_ body: (any FlowFacts) -> Void) {
        guard let first = firstFacts else { return }
        body(first)
        for entry in otherFacts { body(entry.facts) }
    }

    /// The first non-nil `transform` of the flow's facts, in the order they were kept.
    public func firstOfFacts<R>(_ transform: (any FlowFacts) -> R?) -> R? {
        guard let first = firstFacts else { return nil }
        if let r = transform(first) { return r }
        for entry in otherFacts { if let r = transform(entry.facts) { return r } }
        return nil
    }

    @inline(__always)
    func noteTurnaround(_ side: Direction, _ us: UInt64, answerBytes: Int) {
        if turnarounds == nil { turnarounds = TurnaroundSketches() }
        // Unretained, as the engine's call to this (see FlowEngine.noteTurnaround).
        Unmanaged.passUnretained(turnarounds.unsafelyUnwrapped)._withUnsafeGuaranteedRef {
            $0.add(side, us, answerBytes: answerBytes)
        }
    }

    public func addRecognition(_ r: Recognition) {
        addedRecognitions.append(r)
    }

    /// Records a server name unless a more direct source already gave one (the flow's own
    /// handshake beats a DNS answer seen earlier).
    public func setServerName(_ name: [UInt8], source: ServerNameSource) {
        guard source.rawValue > serverNameSource.rawValue else { return }
        serverName = name
        serverNameSource = source
    }

    /// Every family recognised on this flow, outermost first, one entry per family (the most
    /// confident way it was recognised), port hints included.
    public var recognitions: [Recognition] {
        // Asked for several times per flow (detection, output): plain loops over the few
        // entries, one array, no closures.
        var best: [Recognition] = []
        forEachFacts { f in
            if let r = f.recognition { Self.keepStrongest(r, in: &best) }
        }
        for r in addedRecognitions { Self.keepStrongest(r, in: &best) }
        // Stable insertion sort by layer: families on one layer keep the order they were
        // found in.
        if best.count > 1 {
            for i in 1..<best.count {
                let r = best[i]
                var j = i
                while j > 0 && best[j - 1].layer > r.layer {
                    best[j] = best[j - 1]
                    j -= 1
                }
                if j != i { best[j] = r }
            }
        }
        return best
    }

    private static func keepStrongest(_ r: Recognition, in best: inout [Recognition]) {
        for i in best.indices where best[i].family == r.family {
            if stronger(r, than: best[i]) { best[i] = r }
            return
        }
        best.append(r)
    }

    /// The families for `protocols`: recognitions that rest on more than a port number.
    public var protocols: [Recognition] { recognitions.filter(\.isProtocol) }

    private static func stronger(_ a: Recognition, than b: Recognition) -> Bool {
        if a.isProtocol != b.isProtocol { return a.isProtocol }
        if a.confidence != b.confidence { return a.confidence > b.confidence }
        return a.identifiedBy == .payload && b.identifiedBy != .payload
    }

    func writeJSON(to w: JSONWriter) {
        let found = recognitions
        let families = found.filter(\.isProtocol)
        if !families.isEmpty {
            w.key("protocols"); w.beginArray()
            for r in families { w.string(r.family.rawValue) }
            w.endArray()
            w.key("app"); w.string(families[families.count - 1].family.rawValue)
        }
        if !found.isEmpty {
            w.key("recognitions"); w.beginArray()
            for r in found {
                w.beginObject()
                w.field("name", r.family.rawValue)
                w.field("identified_by", r.identifiedBy.rawValue)
                w.field("confidence", r.confidence.name)
                if let e = r.evidence { w.field("evidence", e) }
                w.endObject()
            }
            w.endArray()
        }
        if let n = serverName {
            w.key("server_name"); w.string(bytes: n)
            w.field("server_name_source", serverNameSource.name)
        }
        forEachFacts { $0.writeJSON(to: w) }
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
