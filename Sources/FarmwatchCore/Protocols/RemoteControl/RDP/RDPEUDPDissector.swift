/// RDP's UDP transport (MS-RDPEUDP), found by content on any port, in two ways:
///
/// - the handshake (§3.1.5.1.1): a SYN datagram with snSourceAck = -1, the SYN flag, both MTU
///   fields within 1132...1232 and the datagram padded to at least 1132 bytes; the SYN+ACK
///   acknowledges the SYN's initial sequence number. A SYN alone is enough (a server that
///   never answers is still an RDP client trying).
/// - mid-connection (a capture that missed the handshake): RDPUDP_FLAG_DATA datagrams whose
///   source payload header numbers a TLS or DTLS record (RDP over UDP is always secured
///   that way, §1.3.1), acknowledged by the other side's snSourceAck. Several such datagrams
///   in each direction must agree before the flow is called RDP.
public enum RDPEUDPDissector: Dissector {
    static let flagSYN: UInt16 = 0x0001
    static let flagACK: UInt16 = 0x0004
    static let flagDATA: UInt16 = 0x0008
    static let flagFEC: UInt16 = 0x0010
    static let flagAckOfAcks: UInt16 = 0x0100
    static let flagSYNLOSSY: UInt16 = 0x0200
    static let flagCorrelationID: UInt16 = 0x0800
    static let flagSYNEX: UInt16 = 0x1000
    /// Flags defined by MS-RDPEUDP §2.2.2.1; a datagram with others set is not RDPEUDP v1/v2.
    static let knownFlags: UInt16 = 0x1FFF
    static let mtuRange: ClosedRange<UInt16> = 1132...1232
    /// Datagrams looked at without a handshake before giving up.
    static let datagramLimit = 16
    /// Acknowledged data datagrams needed to call a flow RDP without its handshake.
    static let acknowledgedNeeded = 2

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.udp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        guard chunk.isDatagram else { return .notMine }
        let d = chunk.bytes
        if let facts = flow.metadata?.facts(StandardDissectors.rdpeudpSlot, as: RDPEUDPFacts.self) {
            return consume(d, chunk.direction, facts)
        }
        // Unclaimed: a SYN, or a data datagram carrying a TLS/DTLS record; nothing else.
        if let syn = Syn.parse(d), syn.sourceAck == 0xFFFF_FFFF, syn.flags & flagACK == 0 {
            let facts = flow.facts(StandardDissectors.rdpeudpSlot) { RDPEUDPFacts() }
            facts.noteSyn(syn, from: chunk.direction)
            return .wantMore
        }
        guard let data = DataHeader.parse(d) else { return .notMine }
        let facts = flow.facts(StandardDissectors.rdpeudpSlot) { RDPEUDPFacts() }
        facts.noteData(data, from: chunk.direction)
        return .wantMore
    }

    private static func consume(_ d: UnsafeRawBufferPointer, _ side: Direction, _ facts: RDPEUDPFacts) -> DissectorVerdict {
        facts.datagrams += 1
        if let syn = Syn.parse(d) {
            if syn.sourceAck == 0xFFFF_FFFF, syn.flags & flagACK == 0 {
                facts.noteSyn(syn, from: side)
            } else if syn.flags & flagACK != 0, side != facts.synSide, syn.sourceAck == facts.initialSequence {
                facts.noteSynAck(syn)
            }
        } else if let data = DataHeader.parse(d) {
            facts.noteData(data, from: side)
        }
        if facts.synAckSeen || (facts.synSide == nil && facts.acknowledged >= acknowledgedNeeded) { return .done }
        if facts.datagrams >= datagramLimit {
            return facts.recognition != nil ? .done : .notMine
        }
        return .wantMore
    }

    /// RDPUDP_FEC_HEADER + RDPUDP_SYNDATA_PAYLOAD (§2.2.2.1, §2.2.2.5), and what follows.
    struct Syn {
        var sourceAck: UInt32
        var flags: UInt16
        var initialSequence: UInt32
        var correlationId: UnsafeRawBufferPointer?
        /// uUdpVer of RDPUDP_SYNDATAEX_PAYLOAD (§2.2.2.9): 1, 2, or 0x101 for version 3.
        var version: UInt16?

        static func parse(_ d: UnsafeRawBufferPointer) -> Syn? {
            // Padded to the MTU (§3.1.5.1.1): a short datagram is not a SYN.
            guard d.count >= Int(mtuRange.lowerBound) else { return nil }
            var r = ByteReader(d)
            guard let ack = r.u32(), r.u16() != nil, let flags = r.u16(), flags & flagSYN != 0,
                  flags & ~knownFlags == 0, let isn = r.u32(), let up = r.u16(), let down = r.u16(),
                  mtuRange.contains(up), mtuRange.contains(down) else { return nil }
            var syn = Syn(sourceAck: ack, flags: flags, initialSequence: isn)
            // RDPUDP_CORRELATION_ID_PAYLOAD: 16 bytes of id, 16 reserved.
            if flags & flagCorrelationID != 0 {
                syn.correlationId = r.take(16)
                guard r.skip(16) else { return nil }
            }
            if flags & flagSYNEX != 0, let exFlags = r.u16(), exFlags & 0x0001 != 0 {
                syn.version = r.u16()
            }
            return syn
        }
    }

    /// A data datagram of RDPEUDP v1/v2 after the handshake: FEC header with the ACK and DATA
    /// flags, the ACK vector (§2.2.2.7, padded to 4 bytes), optional ack-of-acks, then the
    /// source payload header (snCoded = snSourceStart for a source packet, §2.2.2.4) and a TLS
    /// or DTLS record.
    struct DataHeader {
        var sourceAck: UInt32
        var sequence: UInt32

        static func parse(_ d: UnsafeRawBufferPointer) -> DataHeader? {
            var r = ByteReader(d)
            guard let ack = r.u32(), r.u16() != nil, let flags = r.u16(), flags & ~knownFlags == 0,
                  flags & (flagSYN | flagFEC) == 0, flags & (flagACK | flagDATA) == flagACK | flagDATA,
                  let vectorSize = r.u16(), vectorSize <= 2048 else { return nil }
            let vectorBytes = Int(vectorSize)
            guard r.skip(vectorBytes + (4 - (2 + vectorBytes) % 4) % 4) else { return nil }
            if flags & flagAckOfAcks != 0 { guard r.skip(4) else { return nil } }
            guard let coded = r.u32(), let start = r.u32(), coded == start else { return nil }
            guard isSecureRecord(r.rest) else { return nil }
            return DataHeader(sourceAck: ack, sequence: start)
        }

        /// A TLS (3.1–3.4) or DTLS (1.0, 1.2) record header whose length fits the datagram.
        static func isSecureRecord(_ b: UnsafeRawBufferPointer) -> Bool {
            guard b.count >= 5, (0x14...0x17).contains(b[0]) else { return false }
            if b[1] == 0x03, (1...4).contains(b[2]) {
                return Int(b.loadBigEndianUInt16(at: 3)) + 5 <= b.count
            }
            if b[1] == 0xFE, b[2] == 0xFF || b[2] == 0xFD, b.count >= 13 {
                return Int(b.loadBigEndianUInt16(at: 11)) + 13 <= b.count
            }
            return false
        }
    }
}

/// What the RDPEUDP dissector learnt about one UDP flow, written as an `"rdpeudp"` object.
public final class RDPEUDPFacts: FlowFacts {
    var datagrams = 0
    public internal(set) var synSide: Direction?
    var initialSequence: UInt32 = 0
    public internal(set) var synAckSeen = false
    public internal(set) var version: UInt16?
    public internal(set) var lossy = false
    public internal(set) var correlationId: [UInt8]?
    /// Highest data sequence number each side sent, and how many of them the other side acked.
    var lastSequence: [UInt32?] = [nil, nil]
    public internal(set) var acknowledged = 0

    public var recognition: Recognition? {
        synSide != nil || acknowledged >= RDPEUDPDissector.acknowledgedNeeded ? .payload(.rdp) : nil
    }

    func noteSyn(_ syn: RDPEUDPDissector.Syn, from side: Direction) {
        synSide = side
        initialSequence = syn.initialSequence
        version = syn.version ?? version
        lossy = syn.flags & RDPEUDPDissector.flagSYNLOSSY != 0
        if let id = syn.correlationId { correlationId = Array(id) }
    }

    func noteSynAck(_ syn: RDPEUDPDissector.Syn) {
        synAckSeen = true
        if let v = syn.version { version = v }
    }

    func noteData(_ data: RDPEUDPDissector.DataHeader, from side: Direction) {
        let other = side == .originator ? 1 : 0
        // The peer's latest sequence number, acknowledged within a receive window's reach.
        if let sent = lastSequence[other], sent &- data.sourceAck < 256 { acknowledged += 1 }
        if let last = lastSequence[side.rawValue], data.sequence &- last >= 0x8000_0000 { return }
        lastSequence[side.rawValue] = data.sequence
    }

    public func writeJSON(to w: JSONWriter) {
        guard recognition != nil else { return }
        w.key("rdpeudp"); w.beginObject()
        w.field("syn", synSide != nil)
        w.field("synack", synAckSeen)
        if let v = version { w.field("version", v == 0x0101 ? 3 : Int(v)) }
        if synSide != nil { w.field("lossy", lossy) }
        if let id = correlationId { w.field("correlation_id", Hex.string(id)) }
        if synSide == nil { w.field("acknowledged_data", acknowledged) }
        w.endObject()
    }
}
