/// Zeek's TCP endpoint states, from which `conn_state` is derived when the flow ends.
public enum EndpointState: UInt8 {
    case inactive, synSent, synAckSent, partial, established, closed, reset
}

/// Why a flow record was written.
public enum FlowEndReason: UInt8 {
    case idle, activeTimeout, tcpClosed, evicted, endOfInput

    public var name: String {
        switch self {
        case .idle: return "idle"
        case .activeTimeout: return "active_timeout"
        case .tcpClosed: return "tcp_closed"
        case .evicted: return "evicted"
        case .endOfInput: return "end_of_input"
        }
    }
}

/// Everything farmwatch keeps about one bidirectional flow while it is open. Fixed-size and
/// stored inline in the flow table's slab; `metadata` is the one reference, allocated only for
/// flows a dissector claims, where later work (protocol names, fingerprints, certificates)
/// hangs what it extracts without changing this core (one small tally excepted:
/// `openVPNOpcodes`).
public struct FlowState {
    public var key: FlowKey
    /// True when the originator is the key's A side.
    public var originatorIsA: Bool
    /// Flow number in order of creation, for stable ordering and the uid.
    public var serial: UInt64
    public var firstTimestampNs: Int64
    public var lastTimestampNs: Int64

    public var orig = FlowSide()
    public var resp = FlowSide()

    public var origState: EndpointState = .inactive
    public var respState: EndpointState = .inactive
    public var history = ConnectionHistory()
    public var roleFlipped = false

    /// Handshake instants (0 when not seen): first SYN, first SYN-ACK, first ACK after it.
    public var synTimestampNs: Int64 = 0
    public var synAckTimestampNs: Int64 = 0
    public var handshakeAckTimestampNs: Int64 = 0

    /// Activity profile: periods of packets separated by gaps longer than the idle threshold.
    public var activity = ActivityProfile()

    /// Which side sent the last data-carrying packet and when (drives `turnaround`).
    public var lastDataSide: Direction = .originator
    public var lastDataTimestampNs: Int64 = 0

    /// Outer tunnel endpoints of the first packet (the path the inner flow rides on).
    public var outerSrc: IPAddress = .zero
    public var outerDst: IPAddress = .zero

    /// Dissectors still interested in this flow (bit per dissector of the engine's set).
    public var dissectorMask: UInt64 = 0
    /// The dissectors' whole-flow conclusions were already drawn (`DissectorSet.flowEnding`),
    /// by the packet thread at the end of input (`FlowEngine.finish(concludingWith:)`).
    public var concluded = false
    public var metadata: FlowMetadata?
    /// The one dissector tally kept inline rather than in `metadata`: the scrambled-OpenVPN
    /// opcode pattern must watch the first messages of flows no dissector has claimed, and
    /// allocating metadata for all of them would cost every flow (16 bytes, see
    /// OpenVPNOpcodePattern).
    public var openVPNOpcodes = OpenVPNOpcodePattern()

    /// Intrusive LRU links (slot indices, -1 = none) and the timeout class list the flow is on.
    var lruPrev: Int32 = -1
    var lruNext: Int32 = -1
    var timeoutClass: TimeoutClass = .other
    /// When the flow was last moved to its list's tail.
    var lruTouchNs: Int64 = 0

    init(key: FlowKey, originatorIsA: Bool, serial: UInt64, timestampNs: Int64) {
        self.key = key
        self.originatorIsA = originatorIsA
        self.serial = serial
        self.firstTimestampNs = timestampNs
        self.lastTimestampNs = timestampNs
        self.lruTouchNs = timestampNs
    }

    // MARK: Derived views (output time only)

    public var originatorAddress: IPAddress { originatorIsA ? key.addrA : key.addrB }
    public var responderAddress: IPAddress { originatorIsA ? key.addrB : key.addrA }
    public var originatorPort: UInt16 { originatorIsA ? key.portA : key.portB }
    public var responderPort: UInt16 { originatorIsA ? key.portB : key.portA }

    @inline(__always)
    public subscript(side: Direction) -> FlowSide {
        get { side == .originator ? orig : resp }
        _modify {
            if side == .originator { yield &orig } else { yield &resp }
        }
    }

    /// Zeek's conn_state vocabulary, derived from the endpoint states and history.
    public var connState: String {
        switch key.proto {
        case IPProto.tcp: return tcpConnState
        case IPProto.udp:
            if orig.packets > 0 { return resp.packets > 0 ? "SF" : "S0" }
            return resp.packets > 0 ? "SHR" : "OTH"
        default: return "OTH"
        }
    }

    private var tcpConnState: String {
        let os = origState, rs = respState
        let oInactive = os == .inactive || os == .partial
        let rInactive = rs == .inactive || rs == .partial
        if rs == .reset {
            if os == .synSent || os == .synAckSent || (os == .reset && orig.seqBytes == 0 && resp.seqBytes == 0) {
                return "REJ"
            }
            return oInactive ? "RSTRH" : "RSTR"
        }
        if os == .reset {
            if rInactive {
                return historyIsSynThenReset ? "RSTOS0" : "OTH"
            }
            return "RSTO"
        }
        if rs == .closed && os == .closed { return "SF" }
        if os == .closed { return rInactive ? "SH" : "S2" }
        if rs == .closed { return oInactive ? "SHR" : "S3" }
        if os == .synSent && rs == .inactive { return "S0" }
        if os == .established && rs == .established { return "S1" }
        return "OTH"
    }

    /// Zeek's /^\^?S[^HAFGIQ]*R.*/ test on the history.
    private var historyIsSynThenReset: Bool {
        var chars = Array(history.string.utf8)
        if chars.first == UInt8(ascii: "^") { chars.removeFirst() }
        guard chars.first == UInt8(ascii: "S") else { return false }
        for c in chars.dropFirst() {
            if c == UInt8(ascii: "R") { return true }
            if "HAFGIQ".utf8.contains(c) { return false }
        }
        return false
    }
}

/// The idle/active profile of a flow: how its packets cluster into bursts of activity.
public struct ActivityProfile {
    public var activeStartNs: Int64 = 0
    public var activePeriods: UInt32 = 0
    public var activeTotalNs: Int64 = 0
    public var activeMaxNs: Int64 = 0
    public var idlePeriods: UInt32 = 0
    public var idleTotalNs: Int64 = 0
    public var idleMaxNs: Int64 = 0

    public init() {}

    /// `previousNs` is the flow's last packet before this one.
    @inline(__always)
    mutating func note(timestampNs ts: Int64, previousNs: Int64, idleThresholdNs: Int64) {
        if activePeriods == 0 {
            activePeriods = 1
            activeStartNs = ts
            return
        }
        let gap = ts &- previousNs
        if gap > idleThresholdNs {
            closeActive(at: previousNs)
            idlePeriods += 1
            idleTotalNs &+= gap
            if gap > idleMaxNs { idleMaxNs = gap }
            activePeriods += 1
            activeStartNs = ts
        }
    }

    /// Folds the running active period into the totals (when the flow ends or goes idle).
    mutating func closeActive(at endNs: Int64) {
        let span = max(0, endNs &- activeStartNs)
        activeTotalNs &+= span
        if span > activeMaxNs { activeMaxNs = span }
    }
}
