/// NoMachine (NX), found by content on any port (4000 is its default, and plays no part):
///
/// - TCP: the client opens with the line `NXSH-<version>\n`, the server answers
///   `NXD-<version>\n` (nDPI src/lib/protocols/nomachine.c; in nDPI's nomachine.pcapng these
///   are `NXSH-8.10.1` and `NXD-8.10.1`), then TLS follows, which the TLS dissector reads.
///   Either line, complete and with a version of digits and dots, names the flow.
/// - UDP (multimedia): a 10-byte header with 1 at bytes 2–3, the datagram's own length at
///   bytes 4–5 (both little-endian) and 0 at bytes 8–9 (nDPI's rule). nDPI accepts one such
///   datagram; here `datagramsNeeded` must agree.
public enum NoMachineDissector: Dissector {
    static let bannerLimit = 32
    static let datagramsNeeded = 3
    static let datagramsFollowed = 8

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp || p.l4Proto == IPProto.udp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        chunk.isDatagram ? datagram(chunk, &flow) : stream(chunk, &flow)
    }

    /// The version in a whole `NXSH-`/`NXD-` line that fills `b`, or nil.
    static func bannerVersion(_ b: UnsafeRawBufferPointer, client: Bool) -> UnsafeRawBufferPointer? {
        let prefix = client ? 5 : 4
        guard b.count > prefix + 1, b.count <= bannerLimit,
              client ? b.hasPrefix("NXSH-") : b.hasPrefix("NXD-") else { return nil }
        var end = b.count - 1
        guard b[end] == 0x0A else { return nil }
        if b[end - 1] == 0x0D { end -= 1 }
        let version = UnsafeRawBufferPointer(rebasing: b[prefix..<end])
        guard !version.isEmpty, version.first != UInt8(ascii: "."),
              version.allSatisfy({ $0 == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        return version
    }

    private static func stream(_ chunk: StreamChunk, _ flow: inout FlowState) -> DissectorVerdict {
        let client = chunk.direction == .originator
        let version = chunk.streamOffset == 0 ? bannerVersion(chunk.bytes, client: client) : nil
        let facts: NoMachineFacts
        if let existing = flow.metadata?.facts(StandardDissectors.noMachineSlot, as: NoMachineFacts.self) {
            facts = existing
        } else {
            guard version != nil else { return .notMine }
            facts = flow.facts(StandardDissectors.noMachineSlot) { NoMachineFacts() }
        }
        if let v = version {
            if client { facts.clientVersion = Array(v) } else { facts.serverVersion = Array(v) }
        }
        // Each side's first line is all there is to read: TLS follows.
        facts.sidesSeen[chunk.direction.rawValue] = true
        return facts.sidesSeen[0] && facts.sidesSeen[1] ? .done : .wantMore
    }

    /// nDPI's UDP header rule.
    @inline(__always)
    static func isMediaDatagram(_ d: UnsafeRawBufferPointer) -> Bool {
        d.count >= 10 && d.loadLittleEndianUInt16(at: 2) == 1 && Int(d.loadLittleEndianUInt16(at: 4)) == d.count
            && d[8] == 0 && d[9] == 0
    }

    private static func datagram(_ chunk: StreamChunk, _ flow: inout FlowState) -> DissectorVerdict {
        let matches = isMediaDatagram(chunk.bytes)
        guard let facts = flow.metadata?.facts(StandardDissectors.noMachineSlot, as: NoMachineFacts.self) else {
            guard matches else { return .notMine }
            flow.facts(StandardDissectors.noMachineSlot) { NoMachineFacts() }.mediaDatagrams = 1
            return .wantMore
        }
        guard matches else { return facts.recognition == nil ? .notMine : .done }
        facts.mediaDatagrams += 1
        return facts.mediaDatagrams >= datagramsFollowed ? .done : .wantMore
    }
}

/// What the NoMachine dissector saw, written as a `"nomachine"` object.
public final class NoMachineFacts: FlowFacts {
    public internal(set) var clientVersion: [UInt8]?
    public internal(set) var serverVersion: [UInt8]?
    public internal(set) var mediaDatagrams = 0
    var sidesSeen = [false, false]

    public var recognition: Recognition? {
        clientVersion != nil || serverVersion != nil || mediaDatagrams >= NoMachineDissector.datagramsNeeded
            ? .payload(.nomachine) : nil
    }

    public func writeJSON(to w: JSONWriter) {
        guard recognition != nil else { return }
        w.key("nomachine"); w.beginObject()
        if let v = clientVersion { w.key("client_version"); w.string(bytes: v) }
        if let v = serverVersion { w.key("server_version"); w.string(bytes: v) }
        if mediaDatagrams > 0 { w.field("media_datagrams", mediaDatagrams) }
        w.endObject()
    }
}
