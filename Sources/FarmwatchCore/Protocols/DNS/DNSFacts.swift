/// What one DNS flow carried: its transactions (a query and the response with the same id and
/// question, or either alone when the other was not seen), in Zeek's dns.log vocabulary.
/// Bounded: the first `maxTransactions` are kept, later messages only counted (they still
/// feed the name cache); each keeps at most `maxAnswers` answers.
/// The packet thread only copies each message (`keep`); they are parsed into transactions
/// when the flow ends (`conclude`), on the thread that writes the record.
public final class DNSFacts: FlowFacts {
    public static let maxTransactions = 32
    public static let maxAnswers = 32
    /// Bytes of messages held unparsed. One query and its answer fit many times over; when a
    /// message would overflow it, the held ones are parsed there and then (on the packet
    /// thread, as all were before), so that a busy flow costs memory only up to this.
    static let maxPendingBytes = 4_096
    /// Each held message is preceded by its timestamp and its length.
    private static let pendingHeaderSize = MemoryLayout<Int64>.size + MemoryLayout<UInt32>.size

    public struct Answer {
        public var type: UInt16
        public var ttl: UInt32
        public var data: DNSRData
    }

    public struct Transaction {
        public var id: UInt16
        public var opcode: UInt8
        /// The first question (nil when the message had none).
        public var query: [UInt8]?
        public var qtype: UInt16 = 0
        public var qclass: UInt16 = 0
        public var queryTimestampNs: Int64?
        public var responseTimestampNs: Int64?
        public var recursionDesired = false
        /// Response fields, valid once `responseTimestampNs` is set.
        public var rcode: UInt8 = 0
        public var authoritative = false
        public var truncated = false
        public var recursionAvailable = false
        public var answers: [Answer] = []

        init(_ m: DNSMessage) {
            id = m.header.id
            opcode = m.header.opcode
            if let q = m.questions.first {
                query = q.name; qtype = q.type; qclass = q.qclass
            }
            recursionDesired = m.header.recursionDesired
        }

        var timestampNs: Int64 { queryTimestampNs ?? responseTimestampNs ?? 0 }

        mutating func setResponse(_ m: DNSMessage, at ts: Int64) {
            responseTimestampNs = ts
            rcode = m.header.rcode
            authoritative = m.header.authoritative
            truncated = m.header.truncated
            recursionAvailable = m.header.recursionAvailable
            answers.reserveCapacity(min(Int(m.header.answerCount), DNSFacts.maxAnswers))
            for r in m.records where r.section == .answer && answers.count < DNSFacts.maxAnswers {
                answers.append(Answer(type: r.type, ttl: r.ttl, data: r.data))
            }
        }
    }

    public private(set) var transactions: [Transaction] = []

    public var recognition: Recognition? { transactions.isEmpty ? nil : .payload(.dns) }
    /// Messages past `maxTransactions` (parsed for the name cache, not kept).
    public private(set) var messagesNotRecorded: UInt32 = 0
    /// DNS over TCP: each direction's partial message (RFC 1035 §4.2.2 length framing), and
    /// whether the direction's framing was lost. Allocated only for TCP flows.
    var streams: [DNSStream]?

    init(tcp: Bool) {
        if tcp { streams = [DNSStream(), DNSStream()] }
    }

    var isFull: Bool { transactions.count >= DNSFacts.maxTransactions }

    /// Messages not parsed yet, in the order they came: timestamp, length, bytes.
    private var pending: [UInt8] = []

    /// Holds one message for `conclude`; parses the held ones first when it would not fit,
    /// and a message larger than the whole budget at once.
    func keep(_ message: UnsafeRawBufferPointer, at ts: Int64, _ metadata: FlowMetadata?) {
        let size = DNSFacts.pendingHeaderSize + message.count
        if pending.count + size > DNSFacts.maxPendingBytes {
            conclude(metadata)
            if size > DNSFacts.maxPendingBytes {
                parse(message, at: ts, metadata)
                return
            }
        }
        if pending.isEmpty { pending.reserveCapacity(max(512, size)) }
        withUnsafeBytes(of: ts.littleEndian) { pending.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(message.count).littleEndian) { pending.append(contentsOf: $0) }
        pending.append(contentsOf: message)
    }

    /// Parses the held messages into transactions, in the order they came, counting the
    /// malformed ones on the flow.
    func conclude(_ metadata: FlowMetadata?) {
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { held in
            var offset = 0
            while offset < held.count {
                let ts = Int64(littleEndian: held.loadUnaligned(fromByteOffset: offset, as: Int64.self))
                let length = Int(UInt32(littleEndian: held.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)))
                let start = offset + DNSFacts.pendingHeaderSize
                parse(UnsafeRawBufferPointer(rebasing: held[start..<(start + length)]), at: ts, metadata)
                offset = start + length
            }
        }
        pending = []
    }

    /// One message into the transactions. Past the transaction cap a query is only counted,
    /// without being parsed: only a response can still complete a transaction.
    private func parse(_ bytes: UnsafeRawBufferPointer, at ts: Int64, _ metadata: FlowMetadata?) {
        if isFull && bytes.count > 2 && bytes[2] & 0x80 == 0 {
            countUnrecorded()
            return
        }
        guard let m = DNSMessage(bytes, recordNames: false) else {
            metadata?.parseErrors += 1
            return
        }
        if m.malformed { metadata?.parseErrors += 1 }
        record(m, at: ts)
    }

    private func countUnrecorded() { messagesNotRecorded += 1 }

    /// Adds a message: a response completes the latest open query with its id and question.
    func record(_ m: DNSMessage, at ts: Int64) {
        let question = m.questions.first?.name
        if m.header.isResponse, let i = transactions.lastIndex(where: {
            $0.id == m.header.id && $0.responseTimestampNs == nil && $0.query == question
        }) {
            transactions[i].setResponse(m, at: ts)
            return
        }
        guard !isFull else {
            countUnrecorded()
            return
        }
        var t = Transaction(m)
        if m.header.isResponse { t.setResponse(m, at: ts) } else { t.queryTimestampNs = ts }
        transactions.append(t)
    }

    public func writeJSON(to w: JSONWriter) {
        w.key("dns"); w.beginObject()
        w.key("transactions"); w.beginArray()
        for t in transactions { write(t, w) }
        w.endArray()
        if messagesNotRecorded > 0 { w.field("messages_not_recorded", messagesNotRecorded) }
        w.endObject()
    }

    private func write(_ t: Transaction, _ w: JSONWriter) {
        w.beginObject()
        w.key("ts"); w.fixed(t.timestampNs, scale: 1_000_000_000, decimals: 6)
        w.field("trans_id", t.id)
        if let q = t.queryTimestampNs, let r = t.responseTimestampNs {
            w.key("rtt"); w.fixed(max(0, r - q), scale: 1_000_000_000, decimals: 6)
        }
        if t.opcode != 0 { w.field("opcode", t.opcode) }
        if let q = t.query {
            w.key("query"); w.string(bytes: q.isEmpty ? [UInt8(ascii: ".")] : q)
            w.field("qclass", t.qclass)
            w.field("qclass_name", DNSClass.name(t.qclass))
            w.field("qtype", t.qtype)
            w.field("qtype_name", DNSType.name(t.qtype))
        }
        w.field("RD", t.recursionDesired)
        if t.responseTimestampNs != nil {
            w.field("rcode", t.rcode)
            w.field("rcode_name", DNSRcode.name(t.rcode))
            w.field("AA", t.authoritative)
            w.field("TC", t.truncated)
            w.field("RA", t.recursionAvailable)
            w.key("answers"); w.beginArray()
            for a in t.answers {
                // An address (most answers) written as addresses are, without an array for it.
                if case .address(let address) = a.data {
                    w.ip(address)
                } else {
                    w.string(bytes: a.data.presentation)
                }
            }
            w.endArray()
            w.key("TTLs"); w.beginArray()
            for a in t.answers { w.int(a.ttl) }
            w.endArray()
        }
        w.endObject()
    }
}
