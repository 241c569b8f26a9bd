/// Everything the final `stats` record reports about a run.
public struct RunStatistics {
    public var engine: EngineStats
    public var reassembly: StreamReassembler.Stats
    public var openFlowsAtEnd: Int
    public var kernelReceived: UInt64 = 0
    public var kernelDrops: UInt64 = 0
    public var interfaceDrops: UInt64 = 0
    public var inputs: Int = 0
    public var inputFailures: [String] = []
    public var wallSeconds: Double = 0

    public init(engine: EngineStats, reassembly: StreamReassembler.Stats, openFlowsAtEnd: Int) {
        self.engine = engine
        self.reassembly = reassembly
        self.openFlowsAtEnd = openFlowsAtEnd
    }

    /// The `stats` JSON record.
    public func write(to w: JSONWriter) {
        let e = engine
        w.beginObject()
        w.field("type", "stats")
        w.field("packets", e.packets)
        w.field("bytes", e.bytes)
        w.field("flow_packets", e.flowPackets)
        w.field("flows", e.flowsCreated)
        w.field("flows_max_open", e.maxConcurrentFlows)
        w.field("evictions", e.evictions)
        w.field("active_timeouts", e.activeTimeouts)
        w.field("port_reuses", e.portReuses)
        w.field("not_ip", e.notIP)
        w.field("fragments_held", e.fragmentsHeld)
        w.field("timestamps_backwards", e.timestampsBackwards)
        w.key("tunnels_not_opened"); w.beginObject()
        w.field("encrypted", e.tunnelsEncrypted)
        w.field("fragmented", e.tunnelFragments)
        w.endObject()
        w.field("tcp_ack_padding_ignored", e.tcpZeroPaddingIgnored)
        w.key("drops"); w.beginObject()
        w.field("kernel", kernelDrops)
        w.field("interface", interfaceDrops)
        w.field("received", kernelReceived)
        w.endObject()
        w.field("decode_errors_total", e.decodeErrorTotal)
        w.key("decode_errors"); w.beginObject()
        for kind in DecodeError.allCases where e.decodeErrors[kind.rawValue] > 0 {
            w.key(dynamic: kind.name); w.int(e.decodeErrors[kind.rawValue])
        }
        w.endObject()
        w.key("reassembly"); w.beginObject()
        reassembly.write(to: w)
        w.endObject()
        w.field("inputs", inputs)
        w.key("input_errors"); w.beginArray()
        for f in inputFailures { w.string(f) }
        w.endArray()
        if e.firstTimestampNs != 0 {
            w.key("first_ts"); w.fixed(e.firstTimestampNs, scale: 1_000_000_000, decimals: 6)
            w.key("last_ts"); w.fixed(e.lastTimestampNs, scale: 1_000_000_000, decimals: 6)
        }
        w.key("wall_s"); w.double(wallSeconds, decimals: 3)
        w.endObject()
    }
}
