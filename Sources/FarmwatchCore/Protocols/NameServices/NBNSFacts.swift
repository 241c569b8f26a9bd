/// The NetBIOS names one NBNS flow asked for, registered or answered, each (operation, name,
/// suffix) once. Bounded: the first `maxNames`, the rest counted.
public final class NBNSFacts: FlowFacts {
    public static let maxNames = 16

    public struct Entry: Equatable {
        public var opcode: UInt8
        public var isResponse: Bool
        public var name: NBNSMessage.Name
    }

    public private(set) var entries = BoundedList<Entry>(limit: NBNSFacts.maxNames)
    public private(set) var messages: UInt32 = 0

    func add(_ m: NBNSMessage) {
        messages &+= 1
        for n in m.names { entries.insert(Entry(opcode: m.opcode, isResponse: m.isResponse, name: n)) }
    }

    public func writeJSON(to w: JSONWriter) {
        w.key("nbns"); w.beginObject()
        w.field("messages", messages)
        w.key("names"); w.beginArray()
        for e in entries.items {
            w.beginObject()
            w.field("op", NBNSMessage.opcodeName(e.opcode))
            w.field("response", e.isResponse)
            w.key("name"); w.string(bytes: e.name.name)
            w.field("suffix", e.name.suffix)
            if e.name.group { w.field("group", true) }
            if let a = e.name.address { w.field("address", a.description) }
            w.endObject()
        }
        w.endArray()
        if entries.dropped > 0 { w.field("names_not_recorded", entries.dropped) }
        w.endObject()
    }
}
