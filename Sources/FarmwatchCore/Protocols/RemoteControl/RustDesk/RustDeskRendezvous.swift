/// RustDesk's rendezvous messages as they cross the wire (rustdesk/rustdesk-server and
/// rustdesk/rustdesk `libs/hbb_common`):
///
/// - every message is a protobuf `RendezvousMessage` (`protos/rendezvous.proto`), a oneof whose
///   members are fields 6 (register_peer) to 26 (hc), each an embedded message;
/// - over TCP (hbbs 21116, hbbr relay 21117) each message is framed by `BytesCodec`
///   (`src/bytes_codec.rs`): the low two bits of the first byte give the header length minus
///   one (1–4 bytes, little-endian), the header value shifted right by two is the payload
///   length, and the encoder always uses the shortest header that fits;
/// - over UDP (hbbs 21116) a datagram is one bare message (`src/udp.rs` frames UDP with
///   tokio's pass-through codec).
enum RustDeskRendezvous {
    /// RendezvousMessage's oneof fields, by number (rendezvous.proto).
    static func messageName(_ field: UInt64) -> StaticString? {
        switch field {
        case 6: return "register_peer"
        case 7: return "register_peer_response"
        case 8: return "punch_hole_request"
        case 9: return "punch_hole"
        case 10: return "punch_hole_sent"
        case 11: return "punch_hole_response"
        case 12: return "fetch_local_addr"
        case 13: return "local_addr"
        case 14: return "configure_update"
        case 15: return "register_pk"
        case 16: return "register_pk_response"
        case 17: return "software_update"
        case 18: return "request_relay"
        case 19: return "relay_response"
        case 20: return "test_nat_request"
        case 21: return "test_nat_response"
        case 22: return "peer_discovery"
        case 23: return "online_request"
        case 24: return "online_response"
        case 25: return "key_exchange"
        case 26: return "hc"
        default: return nil
        }
    }

    /// Messages whose field 1 is a RustDesk ID (RegisterPeer, PunchHoleRequest, RegisterPk,
    /// RequestRelay, OnlineRequest), and the field naming the relay server, by member.
    static func idField(_ member: UInt64) -> Bool { [6, 8, 15, 18, 23].contains(member) }
    static func relayServerField(_ member: UInt64) -> UInt64? {
        switch member {
        case 9, 12: return 2       // PunchHole, FetchLocalAddr
        case 10, 13, 19: return 3  // PunchHoleSent, LocalAddr, RelayResponse
        case 11, 18: return 4      // PunchHoleResponse, RequestRelay
        default: return nil
        }
    }

    struct Message {
        var member: UInt64
        var id: UnsafeRawBufferPointer?
        var relayServer: UnsafeRawBufferPointer?
    }

    /// A base-128 varint (protobuf encoding), at most 10 bytes.
    static func varint(_ r: inout ByteReader) -> UInt64? {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard let b = r.u8() else { return nil }
            value |= UInt64(b & 0x7F) << UInt64(shift)
            if b & 0x80 == 0 { return value }
        }
        return nil
    }

    /// A whole RendezvousMessage filling `bytes`: one oneof member whose embedded message is
    /// itself well-formed protobuf (every field with a valid wire type, every length inside).
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Message? {
        envelope(bytes) { messageName($0) != nil }
    }

    /// Any oneof envelope of the same shape: what a relay passes on from the other peer is a
    /// `Message` (message.proto: signed_id = 3, public_key = 4 ...), not a RendezvousMessage.
    static func peerMessage(_ bytes: UnsafeRawBufferPointer) -> Message? {
        envelope(bytes) { (1...128).contains($0) }
    }

    private static func envelope(_ bytes: UnsafeRawBufferPointer, member accepted: (UInt64) -> Bool) -> Message? {
        var r = ByteReader(bytes)
        guard let key = varint(&r), key & 7 == 2, accepted(key >> 3),
              let length = varint(&r), length == UInt64(r.remaining) else { return nil }
        var message = Message(member: key >> 3)
        var body = r
        let relayField = relayServerField(message.member)
        while !body.isAtEnd {
            guard let fieldKey = varint(&body), fieldKey >> 3 >= 1, fieldKey >> 3 <= 64 else { return nil }
            switch fieldKey & 7 {
            case 0:
                guard varint(&body) != nil else { return nil }
            case 1:
                guard body.skip(8) else { return nil }
            case 5:
                guard body.skip(4) else { return nil }
            case 2:
                guard let n = varint(&body), n <= UInt64(body.remaining), let value = body.take(Int(n)) else { return nil }
                if fieldKey >> 3 == 1 && idField(message.member) { message.id = value }
                if fieldKey >> 3 == relayField { message.relayServer = value }
            default:
                return nil
            }
        }
        return message
    }

    /// The BytesCodec frame opening `b`: header length and payload length, when the header is
    /// whole and in the encoder's shortest form.
    @inline(__always)
    static func frameHeader(_ b: UnsafeRawBufferPointer) -> (header: Int, payload: Int)? {
        guard let first = b.first else { return nil }
        let header = Int(first & 3) + 1
        guard b.count >= header else { return nil }
        var value = 0
        for i in 0..<header { value |= Int(b[i]) << (8 * i) }
        let payload = value >> 2
        let shortest = payload <= 0x3F ? 1 : payload <= 0x3FFF ? 2 : payload <= 0x3F_FFFF ? 3 : 4
        return shortest == header ? (header, payload) : nil
    }
}
