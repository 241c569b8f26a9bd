/// Radmin (Famatech), found by content on any port (4899 is its default and plays no part).
/// The rules are nDPI's (src/lib/protocols/radmin.c), checked against nDPI's radmin3.pcapng:
/// messages start with `01 00 00 00`, byte 4 is the length of what follows the 9-byte header
/// (10-, 46- and 14-byte messages there carry 1, 0x25 and 5), and a connection opens with
/// either
/// - the client's 10-byte hello (byte 4 = 1, bytes 8–9 = `08 08`) answered by the server's
///   46-byte reply (byte 4 = 0x25, bytes 7–10 = `02 12 08 02`, byte 13 = 0x0A), or
/// - two 14-byte messages (byte 4 = 5, bytes 8–9 = `27 27`), one from each side.
/// Each side's first chunk is judged; the flow is Radmin when the pair agrees.
public enum RadminDissector: Dissector {
    enum Message: Equatable { case hello, helloReply, session }

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp
    }

    /// The message that fills `b`, or nil.
    @inline(__always)
    static func message(_ b: UnsafeRawBufferPointer) -> Message? {
        guard b.count >= 10, b[0] == 1, b[1] == 0, b[2] == 0, b[3] == 0, Int(b[4]) + 9 == b.count else { return nil }
        switch b.count {
        case 10 where b[4] == 1 && b[8] == 0x08 && b[9] == 0x08:
            return .hello
        case 46 where b.loadBigEndianUInt32(at: 7) == 0x0212_0802 && b[13] == 0x0A:
            return .helloReply
        case 14 where b[8] == 0x27 && b[9] == 0x27:
            return .session
        default:
            return nil
        }
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        let claimed = flow.metadata?.facts(StandardDissectors.radminSlot, as: RadminFacts.self) != nil
        // Only each side's first chunk is judged; a claimed flow waits for the other side's.
        guard chunk.streamOffset == 0 else { return claimed ? .wantMore : .notMine }
        guard let m = message(chunk.bytes) else { return claimed ? .done : .notMine }
        let facts = flow.facts(StandardDissectors.radminSlot) { RadminFacts() }
        facts.first[chunk.direction.rawValue] = m
        guard facts.first[0] != nil && facts.first[1] != nil else { return .wantMore }
        return facts.recognition == nil ? .notMine : .done
    }
}

/// The first message of each side, written as a `"radmin"` object once they agree.
public final class RadminFacts: FlowFacts {
    var first: [RadminDissector.Message?] = [nil, nil]

    public var recognition: Recognition? {
        switch (first[0], first[1]) {
        case (.hello?, .helloReply?), (.session?, .session?): return .payload(.radmin)
        default: return nil
        }
    }

    public func writeJSON(to w: JSONWriter) {
        guard recognition != nil else { return }
        w.key("radmin"); w.beginObject()
        w.field("handshake", first[0] == .hello ? "hello" : "session")
        w.endObject()
    }
}
