/// Flows are kept on one LRU list per timeout class, so that the stalest flow of each list is
/// always at its head and expiry is a look at a few heads, never a scan.
public enum TimeoutClass: Int, CaseIterable {
    /// TCP with a SYN but no established connection yet (scans, floods, unanswered attempts).
    case tcpOpening = 0
    case tcpEstablished
    /// TCP after FIN from both sides or a RST: kept a little to absorb the last ACKs.
    case tcpClosed
    case udp
    case other
}

/// Timeouts and bounds of the flow engine. Times are in packet time (the capture's clock).
public struct FlowConfiguration: Sendable {
    public var tcpOpeningTimeout: Double = 30
    public var tcpIdleTimeout: Double = 300
    public var tcpClosedTimeout: Double = 5
    public var udpIdleTimeout: Double = 60
    public var otherIdleTimeout: Double = 60
    /// A flow longer than this is written out and continues as a new flow; 0 disables.
    public var activeTimeout: Double = 3600
    /// Gap that separates two activity periods in the idle/active profile.
    public var activityIdleGap: Double = 2
    /// Hard cap on flows tracked at once; the stalest is evicted to make room. Memory is
    /// about `maxFlows × MemoryLayout<FlowState>.stride` plus the index, whatever the input.
    public var maxFlows: Int = 262_144

    public init() {}

    func timeoutNs(_ c: TimeoutClass) -> Int64 {
        let s: Double
        switch c {
        case .tcpOpening: s = tcpOpeningTimeout
        case .tcpEstablished: s = tcpIdleTimeout
        case .tcpClosed: s = tcpClosedTimeout
        case .udp: s = udpIdleTimeout
        case .other: s = otherIdleTimeout
        }
        return Int64(s * 1e9)
    }
}
