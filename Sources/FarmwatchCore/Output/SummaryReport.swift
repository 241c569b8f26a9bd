/// The default output: a readable report for a person, printed when the run ends. Keeps
/// bounded aggregates while flows end (counts by protocol and state, the largest
/// conversations), never the flows themselves.
public final class SummaryReport: FlowSink {
    struct Conversation {
        var bytes: UInt64
        var packets: UInt64
        var line: String
    }

    private var byProto: [String: UInt64] = [:]
    private var tcpStates: [String: UInt64] = [:]
    private var tunnels: [String: UInt64] = [:]
    private var largest: [Conversation] = []
    private let topCount: Int

    public init(topCount: Int = 10) { self.topCount = topCount }

    public func flowEnded(_ f: FlowState, reason: FlowEndReason) {
        let proto = FlowRecordWriter.protoName(f.key.proto)
        byProto[proto, default: 0] += 1
        if f.key.proto == IPProto.tcp { tcpStates[f.connState, default: 0] += 1 }
        if f.key.tunnel != .none { tunnels[f.key.tunnel.name, default: 0] += 1 }
        let bytes = f.orig.ipBytes + f.resp.ipBytes
        if largest.count < topCount || bytes > largest[largest.count - 1].bytes {
            let line = conversationLine(f, bytes: bytes)
            largest.append(Conversation(bytes: bytes, packets: f.orig.packets + f.resp.packets, line: line))
            largest.sort { $0.bytes > $1.bytes }
            if largest.count > topCount { largest.removeLast() }
        }
    }

    private func conversationLine(_ f: FlowState, bytes: UInt64) -> String {
        let o = endpoint(f.originatorAddress, f.originatorPort, f.key.proto)
        let r = endpoint(f.responderAddress, f.responderPort, f.key.proto)
        let dur = Double(f.lastTimestampNs - f.firstTimestampNs) / 1e9
        let state = f.key.proto == IPProto.tcp ? f.connState : ""
        let app = f.metadata?.protocols.last?.family.rawValue ?? ""
        return pad(SummaryReport.humanBytes(bytes), 10) + pad(String(f.orig.packets + f.resp.packets), 9)
            + pad(FlowRecordWriter.protoName(f.key.proto), 6) + pad(app, 13) + pad("\(o) → \(r)", 52)
            + pad(state, 7) + SummaryReport.seconds(dur)
    }

    private func endpoint(_ a: IPAddress, _ port: UInt16, _ proto: UInt8) -> String {
        guard proto == IPProto.tcp || proto == IPProto.udp else { return a.description }
        return a.isV4 ? "\(a):\(port)" : "[\(a)]:\(port)"
    }

    /// `findings` (the detection engine's section) is printed first, after the one-line header.
    public func render(_ s: RunStatistics, findings: String = "") -> String {
        let e = s.engine
        var out = "farmwatch: \(s.inputs) input\(s.inputs == 1 ? "" : "s"), \(group(e.packets)) packets, "
            + "\(SummaryReport.humanBytes(e.bytes))"
        if e.firstTimestampNs != 0 {
            out += ", \(SummaryReport.utc(e.firstTimestampNs)) → \(SummaryReport.utc(e.lastTimestampNs)) UTC"
                + " (\(SummaryReport.seconds(Double(e.lastTimestampNs - e.firstTimestampNs) / 1e9)))"
        }
        out += "\n\n" + findings
        out += "Flows: \(group(e.flowsCreated))"
        if !byProto.isEmpty { out += " (" + sorted(byProto).map { "\($0.0) \(group($0.1))" }.joined(separator: " · ") + ")" }
        out += "; at most \(group(UInt64(e.maxConcurrentFlows))) open at once\n"
        if !tcpStates.isEmpty {
            out += "  TCP connection states: " + sorted(tcpStates).map { "\($0.0) \(group($0.1))" }.joined(separator: " · ") + "\n"
        }
        if !tunnels.isEmpty {
            out += "  Carried in tunnels: " + sorted(tunnels).map { "\($0.0) \(group($0.1))" }.joined(separator: " · ") + "\n"
        }
        if e.evictions > 0 { out += "  Evicted to stay within the flow cap: \(group(e.evictions))\n" }
        if !largest.isEmpty {
            out += "\nLargest conversations\n"
            out += "  " + pad("bytes", 10) + pad("packets", 9) + pad("proto", 6) + pad("app", 13) + pad("originator → responder", 52)
                + pad("state", 7) + "duration\n"
            for c in largest { out += "  " + c.line + "\n" }
        }
        var problems: [String] = []
        for k in DecodeError.allCases where e.decodeErrors[k.rawValue] > 0 {
            problems.append("\(k.name) \(group(e.decodeErrors[k.rawValue]))")
        }
        out += "\nPackets not in flows: \(group(e.notIP)) not IP, \(group(e.fragmentsHeld)) fragments held for reassembly"
        out += problems.isEmpty ? ", no decode errors\n" : ", decode errors: " + problems.joined(separator: ", ") + "\n"
        if s.kernelReceived > 0 || s.kernelDrops > 0 || s.interfaceDrops > 0 {
            out += "Capture drops: \(group(s.kernelDrops)) by the kernel, \(group(s.interfaceDrops)) by the interface\n"
        }
        for f in s.inputFailures { out += "Input problem: \(f)\n" }
        return out
    }

    private func sorted(_ d: [String: UInt64]) -> [(String, UInt64)] {
        d.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }

    private func group(_ v: UInt64) -> String {
        let s = String(v)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    static func humanBytes(_ b: UInt64) -> String { ProgressReporter.bytes(Int64(clamping: b)) }

    static func seconds(_ s: Double) -> String {
        s < 10 ? "\((s * 1000).rounded() / 1000) s" : "\((s * 10).rounded() / 10) s"
    }

    /// "2024-03-12 09:00:00" from nanoseconds since the epoch (proleptic Gregorian, UTC).
    static func utc(_ ns: Int64) -> String {
        let secs = ns / 1_000_000_000
        var days = secs / 86400
        var rem = secs % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d)) \(two(rem / 3600)):\(two(rem % 3600 / 60)):\(two(rem % 60))"
    }
}
