/// The SSDP messages one flow carried, each distinct message once (devices repeat their
/// NOTIFYs for every service type, every few minutes). Bounded: the first `maxMessages`
/// distinct ones, the rest counted.
public final class SSDPFacts: FlowFacts {
    public static let maxMessages = 16

    public private(set) var distinct = BoundedList<SSDPMessage>(limit: SSDPFacts.maxMessages)
    public private(set) var messages: UInt32 = 0

    func add(_ m: SSDPMessage) {
        messages &+= 1
        distinct.insert(m)
    }

    public func writeJSON(to w: JSONWriter) {
        w.key("ssdp"); w.beginObject()
        w.field("messages", messages)
        w.key("distinct"); w.beginArray()
        for m in distinct.items {
            w.beginObject()
            w.field("method", m.kind.rawValue)
            if let v = m.server { w.key("server"); w.string(bytes: v) }
            if let v = m.location { w.key("location"); w.string(bytes: v) }
            if let v = m.usn { w.key("usn"); w.string(bytes: v) }
            if let v = m.target { w.key(m.kind == .notify ? "nt" : "st"); w.string(bytes: v) }
            if let v = m.nts { w.key("nts"); w.string(bytes: v) }
            if let v = m.userAgent { w.key("user_agent"); w.string(bytes: v) }
            w.endObject()
        }
        w.endArray()
        if distinct.dropped > 0 { w.field("distinct_not_recorded", distinct.dropped) }
        w.endObject()
    }
}
