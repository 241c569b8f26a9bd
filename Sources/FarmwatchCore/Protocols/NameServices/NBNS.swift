/// The NetBIOS Name Service (RFC 1001/1002, UDP 137): a DNS-format message whose names are
/// one 32-byte "first-level encoded" label (each nibble of a 16-byte NetBIOS name as a
/// letter 'A'…'P'), and whose NB records carry (flags, IPv4 address) pairs. Read with the
/// DNS message walker; only what names hosts is kept.
public struct NBNSMessage {
    static let port: UInt16 = 137
    static let nbType: UInt16 = 0x20

    public struct Name: Equatable {
        /// Up to 15 bytes, trailing spaces removed.
        public var name: [UInt8]
        /// The 16th byte: 0x00 workstation, 0x20 file server, 0x1D master browser …
        public var suffix: UInt8
        /// NB flags' G bit: a group name, shared by many hosts.
        public var group = false
        /// The first address an NB record gives for it.
        public var address: IPAddress?
    }

    public var opcode: UInt8
    public var isResponse: Bool
    public var rcode: UInt8
    /// The question's name, then each NB record's, in message order.
    public var names: [Name] = []
    public var malformed = false

    /// nil when the bytes are not an NBNS message: a known opcode and a first name that
    /// decodes.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard var m = DNSMessageReader(bytes) else { return nil }
        opcode = m.header.opcode
        isResponse = m.header.isResponse
        rcode = m.header.rcode
        switch opcode {
        case 0, 5, 6, 7, 8, 9, 15: break   // query, registration, release, WACK, refresh ×2, multi-homed
        default: return nil
        }
        var sink = FirstLabel()
        while m.nextQuestion(name: &sink) != nil {
            if let n = NBNSMessage.decode(sink.first) { names.append(n) } else { malformed = true }
            sink = FirstLabel()
        }
        while let r = m.nextRecord(name: &sink) {
            if var n = NBNSMessage.decode(sink.first), r.type == NBNSMessage.nbType {
                var rdata = r.rdata
                if let flags = rdata.u16(), let a = rdata.u32() {
                    n.group = flags & 0x8000 != 0
                    n.address = IPAddress(v4: a)
                }
                names.append(n)
            }
            sink = FirstLabel()
        }
        malformed = malformed || m.malformed
        guard !names.isEmpty else { return nil }
    }

    /// The 32-byte first label back into name and suffix; nil when it is not in that form.
    static func decode(_ label: [UInt8]?) -> Name? {
        guard let label, label.count == 32 else { return nil }
        var raw: [UInt8] = []
        raw.reserveCapacity(16)
        for i in stride(from: 0, to: 32, by: 2) {
            let hi = label[i] &- UInt8(ascii: "A"), lo = label[i + 1] &- UInt8(ascii: "A")
            guard hi < 16, lo < 16 else { return nil }
            raw.append(hi << 4 | lo)
        }
        let suffix = raw.removeLast()
        while raw.last == UInt8(ascii: " ") { raw.removeLast() }
        return Name(name: raw, suffix: suffix)
    }

    public static func opcodeName(_ op: UInt8) -> String {
        switch op {
        case 0: return "query"
        case 5: return "registration"
        case 6: return "release"
        case 7: return "wack"
        case 8, 9: return "refresh"
        case 15: return "multihomed_registration"
        default: return "opcode\(op)"
        }
    }

    /// Keeps only the first label of a name (the encoded NetBIOS name; the rest is scope).
    struct FirstLabel: DNSNameSink {
        var first: [UInt8]?
        mutating func label(_ bytes: UnsafeRawBufferPointer) {
            if first == nil { first = Array(bytes) }
        }
    }
}
