/// TCP bookkeeping per segment: endpoint states (for Zeek's conn_state), history letters,
/// handshake instants, the SYN/SYN-ACK option layouts, sequence-space byte counts and
/// retransmissions. Pure functions over the flow, no allocation.
enum TCPTracker {
    @inline(__always)
    static func update(_ flow: inout FlowState, _ side: Direction, _ p: Packet, _ ts: Int64) {
        let flags = p.tcpFlags
        let syn = flags & TCPFlag.syn != 0
        let ack = flags & TCPFlag.ack != 0
        let fin = flags & TCPFlag.fin != 0
        let rst = flags & TCPFlag.rst != 0
        let length = p.payloadWireLength

        flow[side].flagsSeen |= flags
        if !flow[side].hasFirstWindow {
            flow[side].hasFirstWindow = true
            flow[side].firstWindow = p.window
        }

        // History letters.
        if syn {
            flow.history.note(ack ? .synAck : .syn, side)
            if fin || rst { flow.history.note(.multiFlag, side) }
        } else if fin && rst {
            flow.history.note(.inconsistent, side)
        }
        if fin { flow.history.note(.fin, side) }
        if rst { flow.history.note(.rst, side) }
        if length > 0 { flow.history.note(.data, side) }
        if ack && !syn && !fin && !rst && length == 0 { flow.history.note(.ack, side) }
        if p.window == 0 && !syn && !rst && !fin {
            flow[side].zeroWindows &+= 1
            flow.history.noteRepeated(.zeroWindow, side, count: flow[side].zeroWindows)
        }

        // Handshake instants and the stack's option layout.
        if syn {
            if !ack && side == .originator && flow.synTimestampNs == 0 {
                flow.synTimestampNs = ts
            } else if ack && side == .responder && flow.synAckTimestampNs == 0 {
                flow.synAckTimestampNs = ts
            }
            if !flow[side].hasHandshakeOptions {
                flow[side].hasHandshakeOptions = true
                flow[side].handshakeOptions = p.tcpOptions
            }
        } else if ack && side == .originator && flow.synAckTimestampNs != 0 && flow.handshakeAckTimestampNs == 0 {
            flow.handshakeAckTimestampNs = ts
        }

        if trackSequence(&flow[side], p, syn: syn, fin: fin, length: length) {
            flow.history.noteRepeated(.retransmission, side, count: flow[side].retransmissions)
        }
        updateEndpointStates(&flow, side, syn: syn, ack: ack, fin: fin, rst: rst)
    }

    /// Sequence-space byte count (Zeek's *_bytes: gaps counted, retransmissions not) and
    /// retransmission detection, modulo 2^32. Returns true for a retransmission.
    @inline(__always)
    private static func trackSequence(_ s: inout FlowSide, _ p: Packet, syn: Bool, fin: Bool, length: Int) -> Bool {
        let start = syn ? p.seq &+ 1 : p.seq
        let end = start &+ UInt32(truncatingIfNeeded: length)
        // A FIN occupies one sequence number but carries no byte.
        let consumed = fin ? end &+ 1 : end
        guard s.seqSynced else {
            s.seqSynced = true
            s.seqHigh = consumed
            s.seqBytes &+= UInt64(length)
            return false
        }
        let advance = Int32(bitPattern: end &- s.seqHigh)
        if advance > 0 {
            s.seqBytes &+= UInt64(advance)
        } else if length > 0 {
            s.retransmissions &+= 1
        }
        if Int32(bitPattern: consumed &- s.seqHigh) > 0 { s.seqHigh = consumed }
        return advance <= 0 && length > 0
    }

    /// Zeek's endpoint state machine, reduced to what conn_state reads.
    @inline(__always)
    private static func updateEndpointStates(_ flow: inout FlowState, _ side: Direction,
                                             syn: Bool, ack: Bool, fin: Bool, rst: Bool) {
        var me = side == .originator ? flow.origState : flow.respState
        var peer = side == .originator ? flow.respState : flow.origState
        if rst {
            me = .reset
        } else if syn {
            if me == .inactive || me == .partial { me = ack ? .synAckSent : .synSent }
        } else {
            switch me {
            case .inactive:
                me = .partial
            case .synSent, .synAckSent:
                // The handshake's final ACK (or data riding on it, from either side when the
                // originator's ACK is missing from the capture) completes the connection once
                // both sides have sent their SYN.
                if ack && (peer == .synSent || peer == .synAckSent) {
                    me = .established
                    peer = .established
                }
            default:
                break
            }
            if fin && me != .reset { me = .closed }
        }
        if side == .originator { flow.origState = me; flow.respState = peer } else { flow.respState = me; flow.origState = peer }
    }
}
