/// STUN (RFC 8489, classic RFC 3489) and TURN (RFC 8656) over UDP and TCP, on any port. A UDP
/// flow is claimed on a datagram that is a whole, valid STUN message. WebRTC multiplexes
/// STUN with DTLS, RTP/RTCP and TURN ChannelData on one 5-tuple and tells them apart by the
/// first byte (RFC 7983 §7), so a flow whose first datagram falls in one of those ranges is
/// watched for a few more datagrams (without allocating) before it is let go; any other first
/// byte is rejected at once. Over TCP the stream must open with a STUN message, bare or with
/// the RFC 4571 2-byte framing.
public enum STUNDissector: Dissector {
    /// Datagrams a multiplexed flow may show before its first STUN message.
    static let multiplexPatience: UInt64 = 8
    /// Messages looked at on a claimed flow; addresses and methods appear early.
    static let messageBudget: UInt32 = 256
    /// Datagrams of any kind on a claimed flow: a call's media (DTLS, RTP) shares the 5-tuple
    /// with its STUN consent checks, and past this the flow stops paying for the look.
    static let datagramBudget: UInt32 = 4096
    static let tcpBufferLimit = 2048

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.udp || p.l4Proto == IPProto.tcp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        let existing = flow.metadata?.facts(StandardDissectors.stunSlot, as: STUNFacts.self)
        let facts: STUNFacts
        if chunk.isDatagram {
            if let f = existing {
                facts = f
            } else {
                guard let first = STUNMessage(chunk.bytes) else {
                    let seen = flow.orig.packets &+ flow.resp.packets
                    return isMultiplexed(chunk.bytes) && seen < multiplexPatience ? .wantMore : .notMine
                }
                facts = flow.facts(StandardDissectors.stunSlot) { STUNFacts(framing: .datagram) }
                KVMBootProbe.note(first, chunk, flow, context.devices)
            }
            facts.note(chunk.bytes, from: chunk.direction)
            if let flags = facts.changeRequest, !facts.changeRequestNoted {
                facts.changeRequestNoted = true
                KVMBootProbe.noteNATTypeTest(flags, flow, context.devices)
            }
        } else {
            if let f = existing {
                facts = f
            } else {
                guard chunk.streamOffset == 0, !chunk.afterGap, let framing = tcpFraming(chunk.bytes) else { return .notMine }
                facts = flow.facts(StandardDissectors.stunSlot) { STUNFacts(framing: framing) }
            }
            let side = chunk.direction
            let strip = facts.framing == .rfc4571 ? 2 : 0
            let ok = facts.streams![side.rawValue].consume(chunk.bytes, afterGap: chunk.afterGap,
                                                          frameLength: facts.framing.frameLength) {
                facts.note(UnsafeRawBufferPointer(rebasing: $0[strip...]), from: side)
            }
            if !ok { flow.metadata?.parseErrors += 1 }
        }
        if facts.relayEvidence && !facts.relayReported {
            // A TURN flow speaks STUN inside a relay allocation: both families are true, the
            // relay on the outer layer.
            facts.relayReported = true
            flow.ensureMetadata().addRecognition(.payload(.turn, layer: Layer.relay))
        }
        if facts.abandoned { return .notMine }
        return facts.messages >= messageBudget || facts.datagrams >= datagramBudget ? .done : .wantMore
    }

    /// RFC 7983 §7 first-byte ranges that share a 5-tuple with STUN: DTLS 20-63, TURN
    /// ChannelData 64-79, RTP/RTCP 128-191.
    @inline(__always)
    static func isMultiplexed(_ b: UnsafeRawBufferPointer) -> Bool {
        guard let first = b.first else { return false }
        return (20...79).contains(first) || (128...191).contains(first)
    }

    /// How a TCP stream that opens with a STUN message frames it.
    static func tcpFraming(_ b: UnsafeRawBufferPointer) -> STUNFacts.Framing? {
        if b.count >= 8, b[0] & 0xC0 == 0, b.loadBigEndianUInt32(at: 4) == STUNMessage.magicCookie { return .bare }
        if b.count >= 10, b[2] & 0xC0 == 0, b.loadBigEndianUInt32(at: 6) == STUNMessage.magicCookie,
           Int(b.loadBigEndianUInt16(at: 0)) == STUNMessage.headerSize + Int(b.loadBigEndianUInt16(at: 4)) {
            return .rfc4571
        }
        return nil
    }
}
