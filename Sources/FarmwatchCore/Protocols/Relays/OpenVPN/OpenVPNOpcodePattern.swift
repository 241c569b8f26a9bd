/// OpenVPN whose header is scrambled ("obfuscated": the XOR patches, NordVPN's and others'
/// obfuscated servers) shows no clear opcode or session id, so `OpenVPNPacket` cannot read it.
/// What survives a fixed scrambling of each byte is the *pattern* of first bytes over the
/// handshake (Xue et al., "OpenVPN is Open to VPN Fingerprinting", USENIX Security 2022, the
/// opcode fingerprint; nDPI's optional `openvpn.dpi.heuristics` is the same idea): each side
/// opens with its own hard reset, possibly repeated; then both sides use a handful of other
/// opcodes (ACK, CONTROL, and DATA once the tunnel is up), never a reset again, never the other
/// side's reset, and never more than four of them in all.
///
/// Counted here over the first `messagesNeeded` messages (datagrams, or TCP packets behind
/// their 2-byte length, followed across segments), on the high five bits of each first byte.
/// Such a pattern is weaker evidence than a clear reset with agreeing session ids, so it names
/// the flow only when no dissector recognised it from its own bytes
/// (`StandardDissectors.flowEnding`), and at medium confidence.
///
/// It watches flows that no dissector has claimed, so it keeps its tally inline in the flow
/// (16 bytes, no allocation) and gives up at the first message that breaks the pattern: for
/// almost every other protocol that is its first or second message.
public struct OpenVPNOpcodePattern {
    enum State: UInt8 { case watching, excluded, matched }

    /// Messages seen before the pattern is judged (nDPI's default).
    static let messagesNeeded: UInt8 = 10
    /// Distinct opcodes besides the two resets a handshake uses: ACK, CONTROL, CONTROL_WKC,
    /// DATA (v1 or v2).
    static let maximumOtherOpcodes = 4
    /// An OpenVPN packet is at least an opcode, a session id and a packet id (and TCP framing
    /// never carries an empty one); at most a few full-size packets ride one TCP frame.
    static let minimumMessage = 14
    static let maximumTCPMessage = 4 * 1500

    private(set) var state: State = .watching
    /// The clear-header dissector already gave up on this flow: only the pattern is left.
    var clearHeaderRejected = false
    private var messages: UInt8 = 0
    private var seen: (UInt8, UInt8) = (0, 0)
    /// First byte of each side's opening message, scrambled as it was sent.
    private(set) var resets: (UInt8, UInt8) = (0, 0)
    /// Other first bytes seen, in order; their count.
    private(set) var others: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
    private(set) var otherCount: UInt8 = 0
    /// TCP: bytes of the current message still to come, per side.
    private var pending: (UInt16, UInt16) = (0, 0)

    init() {}

    var isDecided: Bool { state != .watching }

    /// Follows one chunk of the flow. TCP chunks are walked message by message through their
    /// 2-byte lengths; only each message's first byte is read.
    mutating func feed(_ chunk: StreamChunk) {
        guard state == .watching else { return }
        let b = chunk.bytes
        if chunk.isDatagram {
            guard b.count >= Self.minimumMessage else { state = .excluded; return }
            note(b[0], from: chunk.direction)
            return
        }
        let side = chunk.direction
        // Lost bytes hide where the next message starts. Before a side's first message they
        // only mean the capture began late (no SYN seen): its first chunk is then taken as a
        // message start, which the lengths that must chain from there will confirm or refute.
        if chunk.afterGap && (side == .originator ? seen.0 : seen.1) != 0 { state = .excluded; return }
        var offset = Int(side == .originator ? pending.0 : pending.1)
        if offset >= b.count {
            setPending(side, offset - b.count)
            return
        }
        while state == .watching {
            guard offset + 3 <= b.count else {
                // A length split across segments: too rare in a handshake to follow.
                if offset < b.count { state = .excluded }
                setPending(side, 0)
                return
            }
            let length = Int(b.loadBigEndianUInt16(at: offset))
            guard length >= Self.minimumMessage, length <= Self.maximumTCPMessage else { state = .excluded; return }
            note(b[offset + 2], from: side)
            let next = offset + 2 + length
            if next > b.count {
                setPending(side, next - b.count)
                return
            }
            offset = next
        }
    }

    private mutating func setPending(_ side: Direction, _ n: Int) {
        if side == .originator { pending.0 = UInt16(n) } else { pending.1 = UInt16(n) }
    }

    /// One message's first byte against the pattern.
    private mutating func note(_ first: UInt8, from side: Direction) {
        let code = first & 0xF8
        messages &+= 1
        // Resets repeated without end never settle the question.
        guard messages <= 3 * Self.messagesNeeded else { state = .excluded; return }
        let mine = side == .originator ? seen.0 : seen.1
        let theirs = side == .originator ? seen.1 : seen.0
        let myReset = side == .originator ? resets.0 : resets.1
        let theirReset = side == .originator ? resets.1 : resets.0
        if mine == 0 {
            // This side's opening: its own hard reset, which cannot be the other side's.
            if side == .originator { seen.0 = 1; resets.0 = code } else { seen.1 = 1; resets.1 = code }
            if theirs != 0 && code == theirReset { state = .excluded }
            return
        }
        if code == myReset {
            // A retransmitted reset, allowed only before anything else was said.
            if otherCount > 0 { state = .excluded }
            return
        }
        // Neither side's reset again, and nothing but resets until both sides have opened.
        guard theirs != 0, code != theirReset else { state = .excluded; return }
        if !containsOther(code) {
            guard Int(otherCount) < Self.maximumOtherOpcodes else { state = .excluded; return }
            withUnsafeMutableBytes(of: &others) { $0[Int(otherCount)] = code }
            otherCount += 1
        }
        if messages >= Self.messagesNeeded {
            state = otherCount >= 2 ? .matched : .excluded
        }
    }

    private func containsOther(_ code: UInt8) -> Bool {
        withUnsafeBytes(of: others) { raw in
            for i in 0..<Int(otherCount) where raw[i] == code { return true }
            return false
        }
    }

    /// What a person can check in Wireshark: the first bytes (as sent, scrambled) of each
    /// side's opening and of the other messages, masked to the opcode bits.
    var evidence: String {
        let other = withUnsafeBytes(of: others) { raw in
            (0..<Int(otherCount)).map { "0x" + Hex.string([raw[$0]]) }.joined(separator: ",")
        }
        let pattern = "opcode pattern over \(messages) messages: opening 0x\(Hex.string([resets.0]))/0x\(Hex.string([resets.1])), "
            + "then {\(other)} (first byte & 0xf8)"
        // Clear resets whose packets were too short to read (a first segment of a few bytes)
        // land here too: say which case it is.
        if let c = OpenVPNPacket.Opcode(rawValue: resets.0 >> 3), let s = OpenVPNPacket.Opcode(rawValue: resets.1 >> 3),
           c.isClientReset, s.isServerReset {
            return pattern + "; openings are clear \(c.name)/\(s.name)"
        }
        return pattern + "; scrambled header (no clear OpenVPN reset)"
    }

    /// At the flow's end: names the flow OpenVPN from the pattern when nothing recognised it
    /// from its own bytes.
    static func conclude(_ flow: inout FlowState) {
        guard flow.openVPNOpcodes.state == .matched else { return }
        if let m = flow.metadata, m.recognitions.contains(where: { $0.identifiedBy == .payload }) { return }
        if flow.metadata == nil { flow.metadata = FlowMetadata() }
        flow.metadata!.addRecognition(Recognition(family: .openvpn, identifiedBy: .payload, confidence: .medium,
                                                  layer: Layer.relay, evidence: flow.openVPNOpcodes.evidence))
    }
}
