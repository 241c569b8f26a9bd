/// The fixed 12-byte header of a DNS message (RFC 1035 §4.1.1). mDNS, LLMNR and NBNS use the
/// same header.
public struct DNSHeader {
    public var id: UInt16
    public var flags: UInt16
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16

    init?(_ r: inout ByteReader) {
        guard let id = r.u16(), let flags = r.u16(), let qd = r.u16(), let an = r.u16(),
              let ns = r.u16(), let ar = r.u16() else { return nil }
        self.id = id; self.flags = flags
        questionCount = qd; answerCount = an; authorityCount = ns; additionalCount = ar
    }

    public var isResponse: Bool { flags & 0x8000 != 0 }
    public var opcode: UInt8 { UInt8((flags >> 11) & 0xF) }
    public var authoritative: Bool { flags & 0x0400 != 0 }
    public var truncated: Bool { flags & 0x0200 != 0 }
    public var recursionDesired: Bool { flags & 0x0100 != 0 }
    public var recursionAvailable: Bool { flags & 0x0080 != 0 }
    /// The header's 4-bit RCODE (the EDNS extension bits are not folded in).
    public var rcode: UInt8 { UInt8(flags & 0xF) }
}

public enum DNSSection: UInt8 {
    case answer, authority, additional
}

/// One resource record's fixed part; its RDATA stays in the message, as a reader bounded to
/// exactly RDLENGTH bytes (names in it may point anywhere earlier in the message).
struct DNSRecordHeader {
    var section: DNSSection
    /// Where the owner name starts in the message (to decode it only when it is needed).
    var nameOffset: Int
    var type: UInt16
    var rrClass: UInt16
    var ttl: UInt32
    var rdata: ByteReader
}

/// Walks one message question by question and record by record without allocating: the
/// detection path validates with it, the parsers build on it. Every read is bounds-checked;
/// a count larger than the message can hold ends the walk as malformed, not as a long loop.
struct DNSMessageReader {
    /// More records than any answer a client acts on; a message claiming more (a zone
    /// transfer, or a hostile count) is read this far and no further.
    static let maxRecords = 512
    /// The fixed header; the first question starts right after it.
    static let headerSize = 12

    let message: UnsafeRawBufferPointer
    let header: DNSHeader
    private var reader: ByteReader
    private var questionsLeft: Int
    private var recordsRead = 0
    /// A field ran past the message or was invalid; the walk stopped there.
    private(set) var malformed = false

    init?(_ message: UnsafeRawBufferPointer) {
        var r = ByteReader(message)
        guard let h = DNSHeader(&r) else { return nil }
        self.message = message
        header = h
        reader = r
        questionsLeft = Int(h.questionCount)
    }

    private var recordCount: Int {
        Int(header.answerCount) + Int(header.authorityCount) + Int(header.additionalCount)
    }

    /// Every section was read to its count and nothing was left over.
    var isComplete: Bool { !malformed && questionsLeft == 0 && recordsRead == recordCount && reader.isAtEnd }

    /// The next question's name (into `name`), type and class; nil when none is left or it is
    /// malformed (then `malformed` is set).
    mutating func nextQuestion<S: DNSNameSink>(name: inout S) -> (type: UInt16, qclass: UInt16)? {
        guard questionsLeft > 0, !malformed else { return nil }
        var offset = reader.offset
        guard DNSName.read(message, at: &offset, into: &name) else { malformed = true; return nil }
        reader = ByteReader(message, from: offset)
        guard let type = reader.u16(), let qclass = reader.u16() else { malformed = true; return nil }
        questionsLeft -= 1
        return (type, qclass)
    }

    /// Skips the questions not read yet.
    mutating func skipQuestions() {
        var skipper = DNSNameSkipper()
        while nextQuestion(name: &skipper) != nil {}
    }

    /// The next resource record (answers, then authority, then additional), its owner name
    /// into `name`; nil when none is left or it is malformed (then `malformed` is set).
    mutating func nextRecord<S: DNSNameSink>(name: inout S) -> DNSRecordHeader? {
        skipQuestions()
        guard !malformed, recordsRead < recordCount, recordsRead < DNSMessageReader.maxRecords else { return nil }
        let nameOffset = reader.offset
        var offset = nameOffset
        guard DNSName.read(message, at: &offset, into: &name) else { malformed = true; return nil }
        reader = ByteReader(message, from: offset)
        guard let type = reader.u16(), let rrClass = reader.u16(), let ttl = reader.u32(),
              let length = reader.u16(), let rdata = reader.sub(Int(length)) else {
            malformed = true
            return nil
        }
        let section: DNSSection
        if recordsRead < Int(header.answerCount) {
            section = .answer
        } else if recordsRead < Int(header.answerCount) + Int(header.authorityCount) {
            section = .authority
        } else {
            section = .additional
        }
        recordsRead += 1
        return DNSRecordHeader(section: section, nameOffset: nameOffset, type: type, rrClass: rrClass, ttl: ttl,
                               rdata: rdata)
    }

    /// A known opcode (QUERY, IQUERY, STATUS, NOTIFY, UPDATE), no error code on a query, and
    /// one question (`strict`) or at most four (a response may have none, and so may an
    /// inverse query, which asks with exactly one answer record instead: RFC 1035 §6.4.1).
    static func headerIsPlausible(_ h: DNSHeader, strict: Bool) -> Bool {
        switch h.opcode {
        case 0, 1, 2, 4, 5: break
        default: return false
        }
        if !h.isResponse && h.rcode != 0 { return false }
        if strict { return h.questionCount == 1 }
        let inverseQuery = h.opcode == 1 && h.questionCount == 0 && h.answerCount == 1
        return h.questionCount <= 4 && (h.questionCount > 0 || h.isResponse || inverseQuery)
    }

    /// Content check before a dissector claims a flow: a header with a known opcode and few
    /// questions, and questions that parse with a known class. `strict` (DNS away from its
    /// port) also demands exactly one question and every record read to the message's end, so
    /// that other UDP and TCP payloads are not taken for DNS. Allocates nothing.
    static func isPlausible(_ message: UnsafeRawBufferPointer, strict: Bool) -> Bool {
        guard var m = DNSMessageReader(message), headerIsPlausible(m.header, strict: strict) else { return false }
        var skipper = DNSNameSkipper()
        while let q = m.nextQuestion(name: &skipper) {
            guard q.type != 0, DNSClass.isKnown(q.qclass & 0x7FFF) else { return false }
        }
        guard !m.malformed else { return false }
        guard strict else { return true }
        while m.nextRecord(name: &skipper) != nil {}
        return m.isComplete
    }
}

/// One question, as text.
public struct DNSQuestion {
    public var name: [UInt8]
    public var type: UInt16
    public var qclass: UInt16
}

/// One resource record with its data decoded.
public struct DNSRecord {
    public var section: DNSSection
    public var name: [UInt8]
    public var type: UInt16
    public var rrClass: UInt16
    public var ttl: UInt32
    public var data: DNSRData
}

/// A whole message, decoded (the extraction path, for flows already known to carry DNS).
/// Parsing stops at the first malformed field and keeps what came before it.
public struct DNSMessage {
    public var header: DNSHeader
    public var questions: [DNSQuestion] = []
    public var records: [DNSRecord] = []
    /// Something ran past the message or was invalid (counted as a parse error on the flow).
    public var malformed = false

    /// nil when the bytes do not even hold a header. Without `recordNames` every record's
    /// name is left empty (still validated): DNS transactions report the question's name and
    /// the answers' data, and a name decoded for nothing costs an allocation per record.
    public init?(_ bytes: UnsafeRawBufferPointer, recordNames: Bool = true) {
        guard var m = DNSMessageReader(bytes) else { return nil }
        header = m.header
        // One allocation per list, sized from the header (bounded: a count can lie).
        questions.reserveCapacity(min(Int(header.questionCount), 4))
        records.reserveCapacity(min(Int(header.answerCount) + Int(header.authorityCount) + Int(header.additionalCount), 16))
        var name = DNSNameText()
        while let q = m.nextQuestion(name: &name) {
            questions.append(DNSQuestion(name: name.bytes, type: q.type, qclass: q.qclass))
            name = DNSNameText()
        }
        if recordNames {
            readRecords(&m, bytes, into: &name) { sink in
                defer { sink = DNSNameText() }
                return sink.bytes
            }
        } else {
            var skipper = DNSNameSkipper()
            readRecords(&m, bytes, into: &skipper) { _ in [] }
        }
        // Bytes after the last record are tolerated (padding), a short message is not.
        malformed = malformed || m.malformed
    }

    private mutating func readRecords<S: DNSNameSink>(_ m: inout DNSMessageReader, _ bytes: UnsafeRawBufferPointer,
                                                      into sink: inout S, takeName: (inout S) -> [UInt8]) {
        while let r = m.nextRecord(name: &sink) {
            guard let data = DNSRData(type: r.type, rdata: r.rdata, message: bytes) else {
                malformed = true
                break
            }
            records.append(DNSRecord(section: r.section, name: takeName(&sink), type: r.type,
                                     rrClass: r.rrClass, ttl: r.ttl, data: data))
        }
    }
}
