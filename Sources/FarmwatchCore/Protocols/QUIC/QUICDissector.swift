/// QUIC (RFC 9000, RFC 9369 v2, IETF drafts 22–34, Google's T050/T051): decrypts the client's
/// Initial packets, reassembles the CRYPTO stream they carry and reads the TLS ClientHello in
/// it, for the server name, the ALPN list and the JA4 fingerprint with the `q` prefix. Other
/// Google QUIC versions are recognised and named, not decrypted. Found by content, whatever
/// the port: the flow's first datagram must be a QUIC long header with a known version (or
/// Google QUIC's older public header with its version).
public enum QUICDissector: Dissector {
    /// Datagrams looked at per flow: a ClientHello spans one to three Initials, and the server
    /// answers within the next few datagrams.
    static let datagramLimit = 24
    /// Initials that fail to open before the flow is given up.
    static let failureLimit = 6
    /// Client datagrams with long headers kept for the flow's end, and their bytes at most.
    static let keptDatagramLimit = 8
    static let keptByteLimit = 16 * 1024

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.udp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        guard chunk.isDatagram else { return .notMine }
        let facts: QUICFacts
        if let existing = flow.metadata?.facts(StandardDissectors.quicSlot, as: QUICFacts.self) {
            facts = existing
        } else {
            guard let version = QUICPacket.claimedVersion(chunk.bytes) else { return .notMine }
            facts = flow.facts(StandardDissectors.quicSlot) { QUICFacts(version: version) }
            facts.clientSide = chunk.direction
            // Google's versions without TLS in their Initials: named, nothing more to read.
            if version.initialSalts.isEmpty {
                facts.initials = nil
                return .done
            }
        }
        facts.datagrams += 1
        if chunk.direction == facts.clientSide {
            keepClient(chunk.bytes, facts)
        } else {
            readServer(chunk.bytes, facts)
        }
        // Done once the client sends 1-RTT packets (its Initials are over) to a server that
        // answered, or after enough datagrams.
        let finished = facts.datagrams >= datagramLimit || (facts.clientFinishedInitials && facts.serverAnswered)
        return finished ? .done : .wantMore
    }

    /// Keeps a client datagram that starts with a long header, for its Initials to be opened
    /// when the flow is concluded, off the packet thread (decryption was a tenth of the packet
    /// thread's time on bench-full.pcap). A short header first marks the end of the Initials.
    private static func keepClient(_ d: UnsafeRawBufferPointer, _ facts: QUICFacts) {
        guard let first = d.first else { return }
        guard first & 0x80 != 0 else {
            facts.clientFinishedInitials = true
            return
        }
        guard !facts.clientFinishedInitials, facts.keptClientDatagrams.count < keptDatagramLimit,
              facts.keptClientBytes + d.count <= keptByteLimit else { return }
        facts.keptClientDatagrams.append(Array(d))
        facts.keptClientBytes += d.count
    }

    /// Opens the kept client datagrams' Initials in order, until the ClientHello is read or
    /// too many failed.
    static func readKept(_ facts: QUICFacts, _ metadata: FlowMetadata?, _ context: DissectorContext) {
        let kept = facts.keptClientDatagrams
        facts.keptClientDatagrams = []
        facts.keptClientBytes = 0
        for d in kept where !facts.clientHelloRead && facts.failures < failureLimit {
            d.withUnsafeBytes { readClient($0, facts, metadata, context) }
        }
    }

    /// The flow has ended: its client Initials are read, then fingerprinted.
    static func conclude(_ facts: QUICFacts, _ metadata: FlowMetadata, _ context: DissectorContext) {
        readKept(facts, metadata, context)
        facts.initials = nil
        facts.conclude(context)
    }

    /// Walks the packets coalesced in one client datagram (RFC 9000 §12.2) and reads the
    /// Initials among them.
    private static func readClient(_ d: UnsafeRawBufferPointer, _ facts: QUICFacts, _ metadata: FlowMetadata?,
                                   _ context: DissectorContext) {
        var offset = 0
        var datagramVersion: UInt32?
        while offset < d.count {
            guard d[offset] & 0x80 != 0 else {
                // A short header at the start is a 1-RTT packet; later, it is the last packet
                // of the datagram or zero padding after the long ones.
                if offset == 0 { facts.clientFinishedInitials = true }
                return
            }
            guard let h = QUICLongHeader.parse(d, at: offset), datagramVersion.map({ $0 == h.version.number }) ?? true else {
                // Bytes after the packets that are not a packet of this connection (some
                // clients pad datagrams with random bytes) are ignored; a damaged packet is not.
                if offset == 0 || sameVersion(d, at: offset, as: datagramVersion) { metadata?.parseErrors += 1 }
                return
            }
            datagramVersion = h.version.number
            if h.type == .initial { readInitial(d, h, facts, metadata, context) }
            offset = h.end
        }
    }

    /// Whether the bytes at `offset` carry the datagram's version: a damaged packet of the
    /// connection rather than padding after its packets.
    private static func sameVersion(_ d: UnsafeRawBufferPointer, at offset: Int, as version: UInt32?) -> Bool {
        guard let version, offset + 5 <= d.count else { return false }
        return d.loadBigEndianUInt32(at: offset + 1) == version
    }

    private static func readInitial(_ d: UnsafeRawBufferPointer, _ h: QUICLongHeader, _ facts: QUICFacts,
                                    _ metadata: FlowMetadata?, _ context: DissectorContext) {
        if facts.clientInitialDCID == nil {
            facts.clientInitialDCID = Array(UnsafeRawBufferPointer(rebasing: d[h.dcid]))
            facts.clientSCID = Array(UnsafeRawBufferPointer(rebasing: d[h.scid]))
        }
        guard !facts.clientHelloRead, facts.initials != nil else { return }
        facts.version = h.version
        switch facts.initials!.read(d, h) {
        case .opened:
            facts.decrypted = true
        case .undecryptable:
            facts.failures += 1
            metadata?.parseErrors += 1
            return
        case .badFrames, .cryptoOverflow:
            facts.decrypted = true
            metadata?.parseErrors += 1
        }
        guard let stream = facts.initials?.crypto else { return }
        switch stream.firstMessage {
        case .incomplete:
            return
        case .complete(let type, let body) where type == 1:
            let hello = stream.bytes.withUnsafeBytes { TLSClientHello.parse(UnsafeRawBufferPointer(rebasing: $0[body])) }
            if let hello {
                record(hello, facts, metadata)
            } else {
                metadata?.parseErrors += 1
            }
        case .complete, .tooLong:
            // The client's first handshake message must be a ClientHello (RFC 8446 §4.1.2).
            metadata?.parseErrors += 1
        }
        facts.clientHelloRead = true
        facts.initials = nil
    }

    private static func record(_ hello: TLSClientHello, _ facts: QUICFacts, _ metadata: FlowMetadata?) {
        facts.serverName = hello.serverName
        facts.alpn = hello.alpn
        facts.clientHello = hello
        if let name = hello.serverName { metadata?.setServerName(name, source: .tls) }
    }

    /// Notes that the server answered, and its connection ID from its first Initial or
    /// Handshake packet.
    private static func readServer(_ d: UnsafeRawBufferPointer, _ facts: QUICFacts) {
        guard !facts.serverAnswered, let first = d.first else { return }
        if first & 0x80 == 0 {
            // A short header needs the fixed bit (RFC 9000 §17.3) to count as QUIC.
            if first & 0x40 != 0 { facts.serverAnswered = true }
            return
        }
        guard let h = QUICLongHeader.parse(d, at: 0) else { return }
        facts.serverAnswered = true
        if h.type == .initial || h.type == .handshake {
            facts.serverSCID = Array(UnsafeRawBufferPointer(rebasing: d[h.scid]))
        }
    }
}
