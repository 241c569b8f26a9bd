/// Writes one flow as a JSON object: Zeek conn.log field names where Zeek has one (`ts`,
/// `uid`, `id.orig_h`, ..., `history`, `orig_l2_addr`, `tunnel_parents`-like outer path),
/// then farmwatch's own fields in snake_case, then whatever the dissectors put in the flow's
/// metadata. Histogram arrays list bin counts from bin 0 and drop trailing empty bins; bin 0
/// holds 0 and bin k ≥ 1 holds [2^(k-1), 2^k) of the unit named in the field.
public enum FlowRecordWriter {
    public static func write(_ f: FlowState, reason: FlowEndReason, to w: JSONWriter) {
        w.beginObject()
        w.field("type", "flow")
        w.key("ts"); w.fixed(f.firstTimestampNs, scale: 1_000_000_000, decimals: 6)
        w.key("uid"); writeUID(f, w)
        w.key("id.orig_h"); w.ip(f.originatorAddress)
        w.field("id.orig_p", f.originatorPort)
        w.key("id.resp_h"); w.ip(f.responderAddress)
        w.field("id.resp_p", f.responderPort)
        w.key("proto"); writeProto(f.key.proto, w)
        w.key("duration"); w.fixed(f.lastTimestampNs - f.firstTimestampNs, scale: 1_000_000_000, decimals: 6)
        w.field("orig_bytes", f.orig.seqBytes)
        w.field("resp_bytes", f.resp.seqBytes)
        w.field("conn_state", f.connState)
        w.key("history"); f.history.withBytes { w.string(bytes: $0) }
        w.field("orig_pkts", f.orig.packets)
        w.field("orig_ip_bytes", f.orig.ipBytes)
        w.field("resp_pkts", f.resp.packets)
        w.field("resp_ip_bytes", f.resp.ipBytes)
        if f.orig.packets > 0 && f.orig.mac != 0 { w.key("orig_l2_addr"); w.mac(f.orig.mac) }
        if f.resp.packets > 0 && f.resp.mac != 0 { w.key("resp_l2_addr"); w.mac(f.resp.mac) }
        if f.key.vlanOuter != 0 { w.field("vlan", f.key.vlanOuter) }
        if f.key.vlanInner != 0 { w.field("inner_vlan", f.key.vlanInner) }

        // farmwatch's own fields
        w.field("end_reason", reason.name)
        if f.key.tunnel != .none {
            w.key("tunnel"); w.beginObject()
            w.field("kind", f.key.tunnel.name)
            if f.key.tunnelID != 0 { w.field("id", f.key.tunnelID) }
            w.key("outer_orig_h"); w.ip(f.outerSrc)
            w.key("outer_resp_h"); w.ip(f.outerDst)
            w.endObject()
        }
        w.field("orig_payload_bytes", f.orig.payloadBytes)
        w.field("resp_payload_bytes", f.resp.payloadBytes)
        writeTTL("orig_ttl", f.orig, w)
        writeTTL("resp_ttl", f.resp, w)
        if f.key.proto == IPProto.tcp { writeTCP(f, w) }
        writeActivity(f, w)
        w.key("orig_payload_size_hist"); histogram(f.orig.payloadSizes, w)
        w.key("resp_payload_size_hist"); histogram(f.resp.payloadSizes, w)
        w.key("orig_iat_us_hist"); histogram(f.orig.interArrival, w)
        w.key("resp_iat_us_hist"); histogram(f.resp.interArrival, w)
        if f.orig.turnaroundMinUs != .max || f.resp.turnaroundMinUs != .max {
            // orig_turnaround: the originator answering the responder's data, and vice versa.
            if f.orig.turnaroundMinUs != .max {
                w.key("orig_turnaround_min_ms"); w.fixed(Int64(f.orig.turnaroundMinUs), scale: 1000, decimals: 3)
                w.key("orig_turnaround_us_hist"); histogram(f.orig.turnaround, w)
            }
            if f.resp.turnaroundMinUs != .max {
                w.key("resp_turnaround_min_ms"); w.fixed(Int64(f.resp.turnaroundMinUs), scale: 1000, decimals: 3)
                w.key("resp_turnaround_us_hist"); histogram(f.resp.turnaround, w)
            }
        }
        f.metadata?.writeJSON(to: w)
        w.endObject()
    }

    private static func writeTTL(_ name: StaticString, _ s: FlowSide, _ w: JSONWriter) {
        guard s.packets > 0 else { return }
        w.field(name, s.ttlFirst)
    }

    private static func writeTCP(_ f: FlowState, _ w: JSONWriter) {
        for side in [Direction.originator, .responder] {
            let s = f[side]
            guard s.packets > 0 else { continue }
            let o = s.handshakeOptions
            if s.hasHandshakeOptions {
                if side == .originator {
                    w.key("orig_syn_options"); writeLayout(o, w)
                    if o.hasMSS { w.field("orig_mss", o.mss) }
                    if o.hasWindowScale { w.field("orig_wscale", o.windowScale) }
                    w.field("orig_sack_ok", o.sackPermitted)
                    w.field("orig_tcp_timestamps", o.hasTimestamps)
                } else {
                    w.key("resp_synack_options"); writeLayout(o, w)
                    if o.hasMSS { w.field("resp_mss", o.mss) }
                    if o.hasWindowScale { w.field("resp_wscale", o.windowScale) }
                    w.field("resp_sack_ok", o.sackPermitted)
                    w.field("resp_tcp_timestamps", o.hasTimestamps)
                }
            }
            if side == .originator {
                w.field("orig_window", s.firstWindow)
                w.field("orig_retransmissions", s.retransmissions)
                if s.zeroWindows > 0 { w.field("orig_zero_windows", s.zeroWindows) }
            } else {
                w.field("resp_window", s.firstWindow)
                w.field("resp_retransmissions", s.retransmissions)
                if s.zeroWindows > 0 { w.field("resp_zero_windows", s.zeroWindows) }
            }
        }
        if f.synTimestampNs != 0 && f.synAckTimestampNs >= f.synTimestampNs {
            w.key("syn_synack_ms"); w.fixed(f.synAckTimestampNs - f.synTimestampNs, scale: 1_000_000, decimals: 3)
        }
        if f.synAckTimestampNs != 0 && f.handshakeAckTimestampNs >= f.synAckTimestampNs {
            w.key("synack_ack_ms"); w.fixed(f.handshakeAckTimestampNs - f.synAckTimestampNs, scale: 1_000_000, decimals: 3)
        }
    }

    private static func writeActivity(_ f: FlowState, _ w: JSONWriter) {
        let a = f.activity
        w.key("activity"); w.beginObject()
        w.field("active_periods", a.activePeriods)
        w.key("active_s"); w.fixed(a.activeTotalNs, scale: 1_000_000_000, decimals: 3)
        w.key("active_max_s"); w.fixed(a.activeMaxNs, scale: 1_000_000_000, decimals: 3)
        w.field("idle_periods", a.idlePeriods)
        w.key("idle_s"); w.fixed(a.idleTotalNs, scale: 1_000_000_000, decimals: 3)
        w.key("idle_max_s"); w.fixed(a.idleMaxNs, scale: 1_000_000_000, decimals: 3)
        w.endObject()
    }

    private static func histogram<let n: Int>(_ h: LogHistogram<n>, _ w: JSONWriter) {
        var last = -1
        for i in 0..<n where h.bins[i] != 0 { last = i }
        w.counts(last + 1) { h.bins[$0] }
    }

    public static func protoName(_ p: UInt8) -> String {
        switch p {
        case IPProto.tcp: return "tcp"
        case IPProto.udp: return "udp"
        case IPProto.icmp, IPProto.icmpv6: return "icmp"
        case IPProto.sctp: return "sctp"
        case 47: return "gre"
        case 50: return "esp"
        case 51: return "ah"
        default: return "ip-\(p)"
        }
    }

    private static func writeProto(_ p: UInt8, _ w: JSONWriter) {
        switch p {
        case IPProto.tcp: w.string("tcp" as StaticString)
        case IPProto.udp: w.string("udp" as StaticString)
        case IPProto.icmp, IPProto.icmpv6: w.string("icmp" as StaticString)
        default: w.string(protoName(p))
        }
    }

    /// Option kinds as "2-4-8-1-3".
    private static func writeLayout(_ o: TCPOptions, _ w: JSONWriter) {
        var text = InlineArray<64, UInt8>(repeating: 0)
        var n = 0
        for i in 0..<Int(o.layoutCount) {
            if i > 0 { text[n] = UInt8(ascii: "-"); n += 1 }
            let k = o.kind(at: i)
            if k >= 100 { text[n] = UInt8(ascii: "0") + k / 100; n += 1 }
            if k >= 10 { text[n] = UInt8(ascii: "0") + (k / 10) % 10; n += 1 }
            text[n] = UInt8(ascii: "0") + k % 10; n += 1
        }
        text.span.withUnsafeBytes { w.string(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    /// "00:0c:29:95:47:5e" (for text output; JSON writes it in place with `JSONWriter.mac`).
    public static func macString(_ mac: UInt64) -> String {
        let w = JSONWriter(stream: nil)
        w.mac(mac)
        return String(decoding: w.buffer.dropFirst().dropLast(), as: UTF8.self)
    }

    private static let base62: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A Zeek-style connection uid: "C" and 17 base-62 characters. Derived from the flow's
    /// identity and start time, so the same capture always gives the same uids.
    private static func uidText(_ f: FlowState) -> InlineArray<18, UInt8> {
        var a = f.key.hash(seed: 0x6661_726D_7761_7463) ^ UInt64(bitPattern: f.firstTimestampNs)
        var b = FlowKey.mix(a ^ f.serial)
        a = FlowKey.mix(a)
        var text = InlineArray<18, UInt8>(repeating: UInt8(ascii: "C"))
        for i in 1..<18 {
            if i <= 10 { text[i] = base62[Int(a % 62)]; a /= 62 } else { text[i] = base62[Int(b % 62)]; b /= 62 }
        }
        return text
    }

    private static func writeUID(_ f: FlowState, _ w: JSONWriter) {
        uidText(f).span.withUnsafeBytes { w.string(bytes: $0) }
    }

    /// The uid as a String (for the detection engine, which keeps it with what it found): built
    /// in place, since it is asked for once per flow.
    public static func uid(_ f: FlowState) -> String {
        uidText(f).span.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}
