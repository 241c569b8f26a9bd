/// DNS over UDP and TCP (RFC 1035, RFC 7766): every message parsed into the flow's
/// transactions (`DNSFacts`), every answer's addresses into the shared name cache. Found by
/// content: on port 53 a message must have a sane header and questions; on any other port it
/// must also hold exactly one question and parse to its last byte. mDNS (5353), LLMNR (5355)
/// and NBNS (137) share the format and are left to their own dissectors.
public enum DNSDissector: Dissector {
    static let port: UInt16 = 53

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        guard p.l4Proto == IPProto.udp || p.l4Proto == IPProto.tcp else { return false }
        return !isOtherNameService(p.srcPort) && !isOtherNameService(p.dstPort)
    }

    @inline(__always)
    static func isOtherNameService(_ port: UInt16) -> Bool {
        port == MDNSDissector.mdnsPort || port == MDNSDissector.llmnrPort || port == NBNSMessage.port
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        let existing = flow.metadata?.facts(StandardDissectors.dnsSlot, as: DNSFacts.self)
        let strict = flow.key.portA != port && flow.key.portB != port
        if chunk.isDatagram {
            if existing == nil && !DNSMessageReader.isPlausible(chunk.bytes, strict: strict) { return .notMine }
            let facts = existing ?? flow.facts(StandardDissectors.dnsSlot) { DNSFacts(tcp: false) }
            handle(chunk.bytes, at: chunk.timestampNs, facts, &flow, context)
            return .wantMore
        }
        if existing == nil {
            // A capture that starts mid-connection delivers its first segment after a gap:
            // DNS segments usually start at a message, so it may still be claimed, but only
            // on a whole message that parses.
            guard chunk.streamOffset == 0,
                  streamStartIsPlausible(chunk.bytes, strict: strict, wholeMessage: strict || chunk.afterGap) else {
                return .notMine
            }
        }
        let facts = existing ?? flow.facts(StandardDissectors.dnsSlot) { DNSFacts(tcp: true) }
        guard facts.streams != nil else { return .notMine }
        let side = chunk.direction.rawValue
        if chunk.afterGap && chunk.streamOffset > 0 {
            facts.streams![side].lose()
        } else {
            // In place: a copy of the stream would copy its buffer.
            let ok = facts.streams![side].consume(chunk.bytes) { handle($0, at: chunk.timestampNs, facts, &flow, context) }
            if !ok { flow.metadata?.parseErrors += 1 }
        }
        return facts.streams![0].broken && facts.streams![1].broken ? .done : .wantMore
    }

    /// The start of a TCP stream: a length, then (when the segment holds it) a message that
    /// passes `isPlausible`. Unless `wholeMessage` is demanded (DNS away from port 53, or a
    /// stream picked up mid-way), a segment with only the length or part of the message is
    /// enough: some stacks send the length alone.
    static func streamStartIsPlausible(_ bytes: UnsafeRawBufferPointer, strict: Bool, wholeMessage: Bool) -> Bool {
        guard bytes.count >= 2 else { return !wholeMessage && !bytes.isEmpty }
        let length = Int(bytes.loadBigEndianUInt16(at: 0))
        guard length >= 12 else { return false }
        if bytes.count - 2 >= length {
            return DNSMessageReader.isPlausible(UnsafeRawBufferPointer(rebasing: bytes[2..<(2 + length)]), strict: strict)
        }
        if wholeMessage { return false }
        var r = ByteReader(bytes, from: 2)
        guard let h = DNSHeader(&r) else { return true }
        return DNSMessageReader.headerIsPlausible(h, strict: false)
    }

    /// One whole message: kept on the flow for its transactions (parsed when the flow ends,
    /// off the packet thread: `DNSFacts.conclude`), and its answers' addresses into the name
    /// cache now, where the next flow looks them up.
    static func handle(_ bytes: UnsafeRawBufferPointer, at ts: Int64, _ facts: DNSFacts,
                       _ flow: inout FlowState, _ context: DissectorContext) {
        facts.keep(bytes, at: ts, flow.metadata)
        learnAddresses(bytes, ownerNames: false, into: context.names, at: ts)
    }

    /// Puts the addresses a response gives (A, AAAA, SVCB/HTTPS hints in its answer section)
    /// into the name cache. For DNS the name kept is the question's, what the client asked
    /// for before any CNAME chain (Zeek's `query` for the `answers`); for mDNS and LLMNR
    /// (`ownerNames`) each record's own name, since their answers announce host names and may
    /// answer no question at all. Error responses give nothing.
    /// Walks the message in place: names are decoded only for a record that gives an address,
    /// and records of other types are not decoded at all (a fault in one is counted when the
    /// message is parsed whole); the walk stops at the first fault it meets.
    static func learnAddresses(_ message: UnsafeRawBufferPointer, ownerNames: Bool, into cache: DNSNameCache, at ts: Int64) {
        guard var m = DNSMessageReader(message), m.header.isResponse, m.header.rcode == 0 else { return }
        guard ownerNames || m.header.answerCount > 0 else { return }
        // The first question, decoded at the first address (it starts right after the header).
        var asked: [UInt8]?
        var askedRead = ownerNames || m.header.questionCount == 0
        var skipper = DNSNameSkipper()
        while let r = m.nextRecord(name: &skipper) {
            guard r.section == .answer || (ownerNames && r.section == .additional) else {
                if ownerNames { continue } else { return }
            }
            switch r.type {
            case DNSType.a, DNSType.aaaa, DNSType.svcb, DNSType.https: break
            default: continue
            }
            guard let data = DNSRData(type: r.type, rdata: r.rdata, message: message) else { return }
            data.addresses { address in
                if !askedRead {
                    askedRead = true
                    var offset = DNSMessageReader.headerSize
                    asked = DNSName.text(message, at: &offset)
                }
                var offset = r.nameOffset
                if let name = asked ?? DNSName.text(message, at: &offset) {
                    cache.insert(address, name: name, ttl: r.ttl, at: ts)
                }
            }
        }
    }
}
