/// What one mDNS (RFC 6762) or LLMNR (RFC 4795) flow carried: the names asked for and the
/// records announced or answered, each once (responders repeat themselves). Bounded: at
/// most `maxQueries` questions and `maxRecords` records, the rest counted.
public final class MDNSFacts: FlowFacts {
    public static let maxQueries = 32
    public static let maxRecords = 64

    public struct Query: Equatable {
        public var name: [UInt8]
        public var type: UInt16
    }

    public struct Record: Equatable {
        public var name: [UInt8]
        public var type: UInt16
        public var ttl: UInt32
        public var data: DNSRData

        /// Repeats differ only in TTL (a goodbye has 0); they are one record.
        static func sameRecord(_ a: Record, _ b: Record) -> Bool {
            a.type == b.type && a.name == b.name && a.data == b.data
        }
    }

    public let isLLMNR: Bool
    public private(set) var queries = BoundedList<Query>(limit: MDNSFacts.maxQueries)
    public private(set) var records: [Record] = []
    public private(set) var recordsNotRecorded: UInt32 = 0
    public private(set) var messages: UInt32 = 0

    init(llmnr: Bool) { isLLMNR = llmnr }

    /// mDNS is a family of its own; LLMNR is not in the vocabulary (peers call it "other").
    public var recognition: Recognition? { isLLMNR ? nil : .payload(.mdns) }

    func add(_ m: DNSMessage) {
        messages &+= 1
        for q in m.questions { queries.insert(Query(name: q.name, type: q.type)) }
        for r in m.records where r.type != DNSType.opt {
            let record = Record(name: r.name, type: r.type, ttl: r.ttl, data: r.data)
            if records.contains(where: { Record.sameRecord($0, record) }) { continue }
            guard records.count < MDNSFacts.maxRecords else {
                recordsNotRecorded &+= 1
                continue
            }
            records.append(record)
        }
    }

    public func writeJSON(to w: JSONWriter) {
        w.key(isLLMNR ? "llmnr" : "mdns"); w.beginObject()
        w.field("messages", messages)
        w.key("queries"); w.beginArray()
        for q in queries.items {
            w.beginObject()
            w.key("name"); w.string(bytes: q.name)
            w.field("qtype_name", DNSType.name(q.type))
            w.endObject()
        }
        w.endArray()
        if queries.dropped > 0 { w.field("queries_not_recorded", queries.dropped) }
        w.key("records"); w.beginArray()
        for r in records {
            w.beginObject()
            w.key("name"); w.string(bytes: r.name)
            w.field("type", DNSType.name(r.type))
            w.field("ttl", r.ttl)
            w.key("data"); w.string(bytes: r.data.presentation)
            w.endObject()
        }
        w.endArray()
        if recordsNotRecorded > 0 { w.field("records_not_recorded", recordsNotRecorded) }
        w.endObject()
    }
}
