/// Writes one finding as a `type: "finding"` JSON record. Every field of the contract is
/// always present (null or empty when unknown), so consumers need no presence checks.
public enum FindingRecordWriter {
    public static func write(_ f: Finding, to w: JSONWriter) {
        w.beginObject()
        w.field("type", "finding")
        w.key("endpoint"); w.beginObject()
        w.key("address"); w.ip(f.endpoint)
        w.key("names"); w.beginArray()
        for n in f.names { w.string(bytes: n) }
        w.endArray()
        w.key("mac"); if f.mac != 0 { w.mac(f.mac) } else { w.null() }
        w.endObject()
        w.field("verdict", f.verdict)
        w.field("severity", f.severity.name)
        w.field("score", f.score)
        w.field("summary", f.summary)
        w.key("tools"); w.beginArray()
        for t in f.tools { w.string(t) }
        w.endArray()
        w.key("relay")
        if let r = f.relay {
            w.beginObject()
            w.key("address"); w.ip(r.address)
            w.field("kind", r.kind.rawValue)
            w.key("far_side"); if let far = r.farSide { w.string(bytes: Array(far.utf8)) } else { w.null() }
            w.endObject()
        } else {
            w.null()
        }
        w.key("controller"); if let c = f.controller { w.ip(c) } else { w.null() }
        milliseconds("transport_rtt_ms", f.transportRTTms, w)
        milliseconds("controller_rtt_ms", f.controllerRTTms, w)
        milliseconds("hidden_hop_ms", f.hiddenHopMs, w)
        w.key("attack"); w.beginArray()
        for a in f.attack { w.string(a) }
        w.endArray()
        w.key("evidence"); w.beginArray()
        for e in f.evidence {
            w.beginObject()
            w.field("name", e.name)
            w.key("value")
            switch e.value {
            case .number(let v): w.double(v, decimals: 3)
            case .text(let s): w.string(s)
            }
            w.key("threshold"); if let t = e.threshold { w.string(t) } else { w.null() }
            w.key("weight"); w.double(e.weight, decimals: 1)
            w.key("uids"); w.beginArray()
            for u in e.uids { w.string(u) }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    private static func milliseconds(_ name: StaticString, _ v: Double?, _ w: JSONWriter) {
        w.key(name)
        if let v { w.double(v, decimals: 3) } else { w.null() }
    }
}
