/// TeamViewer's own framing, found by content on any port (5938 is its usual port but plays
/// no part in the decision). nDPI (src/lib/protocols/teamviewer.c) keys on the magic bytes
/// alone; here every frame's length must also lead exactly to the next one, and several
/// frames must agree before the flow is called TeamViewer.
///
/// TCP (as seen in nDPI's teamviewer.pcap, checked frame by frame):
/// - `17 24 cmd len16le body[len]`: the first frames of a connection;
/// - `11 30 cmd flags len32le` + 16 more header bytes, then `body[len]`: later frames.
///
/// UDP (same capture): a 16-byte header whose bytes 11–12 are `17 24` and whose bytes 14–15
/// (little-endian) give the body length, which fills the rest of the datagram exactly.
public enum TeamViewerDissector: Dissector {
    /// Frames that must chain before the flow is TeamViewer (nDPI waits for four packets).
    static let framesNeeded = 4
    /// Frames read before the dissector stops following the stream.
    static let framesFollowed = 16
    /// A frame body larger than this is not believed.
    static let bodyLimit = 1 << 20
    static let udpHeaderLength = 16

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp || p.l4Proto == IPProto.udp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        chunk.isDatagram ? datagram(chunk, &flow) : stream(chunk, &flow)
    }

    // MARK: TCP

    /// The header length of a frame opening `b` (5 or 24), or nil when `b` does not open one.
    @inline(__always)
    static func tcpHeaderLength(_ b: UnsafeRawBufferPointer) -> Int? {
        guard b.count >= 2 else { return nil }
        if b[0] == 0x17 && b[1] == 0x24 { return 5 }
        if b[0] == 0x11 && b[1] == 0x30 { return 24 }
        return nil
    }

    /// The chunk opens a frame as far as it goes (a one-byte segment included).
    @inline(__always)
    static func mayOpenFrame(_ b: UnsafeRawBufferPointer) -> Bool {
        b.count == 1 ? b[0] == 0x17 || b[0] == 0x11 : tcpHeaderLength(b) != nil
    }

    /// Body length of the whole header `h`.
    static func tcpBodyLength(_ h: UnsafeRawBufferPointer) -> Int {
        h.count == 5 ? Int(h.loadLittleEndianUInt16(at: 3)) : Int(h.loadLittleEndianUInt32(at: 4))
    }

    private static func stream(_ chunk: StreamChunk, _ flow: inout FlowState) -> DissectorVerdict {
        let facts: TeamViewerFacts
        if let existing = flow.metadata?.facts(StandardDissectors.teamViewerSlot, as: TeamViewerFacts.self) {
            facts = existing
        } else {
            // Each direction's first bytes must open a frame: one or two byte compares.
            guard chunk.streamOffset == 0, mayOpenFrame(chunk.bytes) else { return .notMine }
            facts = flow.facts(StandardDissectors.teamViewerSlot) { TeamViewerFacts(transport: .tcp) }
        }
        let side = chunk.direction
        if !facts.broken[side.rawValue] {
            if chunk.afterGap || !facts.walk(chunk.bytes, side) { facts.broken[side.rawValue] = true }
        }
        if facts.recognition == nil {
            if facts.broken[side.rawValue] { return .notMine }
            return .wantMore
        }
        return facts.frames >= framesFollowed || (facts.broken[0] && facts.broken[1]) ? .done : .wantMore
    }

    // MARK: UDP

    /// The datagram is one TeamViewer UDP frame.
    @inline(__always)
    static func isUDPFrame(_ d: UnsafeRawBufferPointer) -> Bool {
        guard d.count >= udpHeaderLength, d[11] == 0x17, d[12] == 0x24 else { return false }
        return udpHeaderLength + Int(d.loadLittleEndianUInt16(at: 14)) == d.count
    }

    private static func datagram(_ chunk: StreamChunk, _ flow: inout FlowState) -> DissectorVerdict {
        let isFrame = isUDPFrame(chunk.bytes)
        guard let facts = flow.metadata?.facts(StandardDissectors.teamViewerSlot, as: TeamViewerFacts.self) else {
            guard isFrame else { return .notMine }
            let facts = flow.facts(StandardDissectors.teamViewerSlot) { TeamViewerFacts(transport: .udp) }
            facts.count(chunk.direction)
            return .wantMore
        }
        guard isFrame else { return facts.recognition == nil ? .notMine : .done }
        facts.count(chunk.direction)
        return facts.frames >= framesFollowed ? .done : .wantMore
    }
}

/// What the TeamViewer dissector saw on one flow, written as a `"teamviewer"` object.
public final class TeamViewerFacts: FlowFacts {
    public enum Transport { case tcp, udp }
    public let transport: Transport
    /// Frames whose framing checked out, per direction.
    public private(set) var framesBySide = [0, 0]
    var frames: Int { framesBySide[0] + framesBySide[1] }
    /// Per direction: bytes of the current frame's body still to come, and a header cut by a
    /// segment boundary.
    var bodyLeft = [0, 0]
    var partialHeader: [[UInt8]] = [[], []]
    var broken = [false, false]
    /// Frame kinds seen (TCP): `17 24` and `11 30` headers.
    public private(set) var shortHeaders = 0
    public private(set) var longHeaders = 0

    init(transport: Transport) { self.transport = transport }

    public var recognition: Recognition? {
        frames >= TeamViewerDissector.framesNeeded ? .payload(.teamviewer) : nil
    }

    func count(_ side: Direction) { framesBySide[side.rawValue] += 1 }

    /// Follows one direction's frames through a chunk; false when a frame header is not where
    /// the previous frame's length said it would be.
    func walk(_ bytes: UnsafeRawBufferPointer, _ side: Direction) -> Bool {
        let i = side.rawValue
        var at = 0
        while at < bytes.count {
            if bodyLeft[i] > 0 {
                let n = min(bodyLeft[i], bytes.count - at)
                bodyLeft[i] -= n
                at += n
                continue
            }
            // A header, gathered across segment boundaries when one cuts it.
            var header = partialHeader[i]
            let full = header.count < 1 ? 2 : header[0] == 0x17 ? 5 : 24
            let take = min(max(full, 2) - header.count, bytes.count - at)
            header += bytes[at..<(at + take)]
            at += take
            partialHeader[i] = header
            guard header[0] == 0x17 || header[0] == 0x11 else { return false }
            if header.count < 2 { continue }
            guard header[0] == 0x17 && header[1] == 0x24 || header[0] == 0x11 && header[1] == 0x30 else { return false }
            let length = header[0] == 0x17 ? 5 : 24
            if header.count < length { continue }
            let body = partialHeader[i].withUnsafeBytes { TeamViewerDissector.tcpBodyLength($0) }
            guard body <= TeamViewerDissector.bodyLimit else { return false }
            if length == 5 { shortHeaders += 1 } else { longHeaders += 1 }
            partialHeader[i].removeAll(keepingCapacity: true)
            bodyLeft[i] = body
            framesBySide[i] += 1
        }
        return true
    }

    public func writeJSON(to w: JSONWriter) {
        guard recognition != nil else { return }
        w.key("teamviewer"); w.beginObject()
        w.field("transport", transport == .tcp ? "tcp" : "udp")
        w.field("orig_frames", framesBySide[0])
        w.field("resp_frames", framesBySide[1])
        if transport == .tcp {
            w.field("short_headers", shortHeaders)
            w.field("long_headers", longHeaders)
        }
        w.endObject()
    }
}
