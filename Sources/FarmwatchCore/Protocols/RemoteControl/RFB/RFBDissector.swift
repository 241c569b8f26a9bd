/// VNC's Remote Framebuffer protocol (RFC 6143, and the 3.3/3.7 variants it describes in its
/// appendix), found by content on any port: the 12-byte ProtocolVersion banner
/// `RFB xxx.yyy\n` each side sends first, then the security handshake (types offered and
/// chosen, the VNC authentication result), the client's share flag and the server's
/// framebuffer size and desktop name. The server speaks first; in a reverse connection
/// (a server dialling a listening viewer) the originator is the server, so roles follow the
/// first banner rather than the connection's direction.
public enum RFBDissector: Dissector {
    static let bannerLength = 12
    /// Desktop names and failure reasons are short; anything longer is not read.
    static let textLimit = 1024
    static let bufferLimit = 4096

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        let facts: RFBFacts
        if let existing = flow.metadata?.facts(StandardDissectors.rfbSlot, as: RFBFacts.self) {
            facts = existing
        } else {
            // Claimed only by a stream whose first bytes can be a banner (as many as arrived).
            guard chunk.streamOffset == 0, mayBeBanner(chunk.bytes) else { return .notMine }
            facts = flow.facts(StandardDissectors.rfbSlot) { RFBFacts(serverSide: chunk.direction) }
        }
        let i = chunk.direction.rawValue
        if facts.phase[i] != .finished {
            if chunk.afterGap || !facts.buffer[i].append(chunk.bytes) {
                facts.phase[i] = .finished
            } else {
                facts.advance()
            }
            if facts.malformed {
                facts.malformed = false
                if facts.recognition != nil { flow.metadata!.parseErrors += 1 }
            }
        }
        let finished = facts.phase[0] == .finished && facts.phase[1] == .finished
        if finished {
            facts.releaseBuffers()
            return facts.recognition == nil ? .notMine : .done
        }
        return .wantMore
    }

    /// "RFB ddd.ddd\n" as far as `b` goes.
    @inline(__always)
    static func mayBeBanner(_ b: UnsafeRawBufferPointer) -> Bool {
        let pattern: StaticString = "RFB 000.000\n"
        return pattern.withUTF8Buffer { p in
            for i in 0..<min(b.count, bannerLength) {
                let want = p[i]
                if want == UInt8(ascii: "0") {
                    guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) else { return false }
                } else if b[i] != want {
                    return false
                }
            }
            return true
        }
    }
}
