/// The fixed ISAKMP/IKE header (RFC 2408 §3.1 for IKEv1, RFC 7296 §3.1 for IKEv2): two 8-byte
/// SPIs, next payload, version, exchange type, flags, message id and a length that covers the
/// whole message. Validated the way a responder would before reading further: a version it
/// knows, an exchange type and first payload from the registry, only defined flags, a length
/// equal to the datagram, and (when the payloads are in the clear) a payload chain that ends
/// exactly at that length.
struct IKEHeader {
    static let size = 28

    let initiatorSPI: UInt64
    let responderSPI: UInt64
    let majorVersion: UInt8
    let exchangeType: UInt8

    init?(_ b: UnsafeRawBufferPointer) {
        guard b.count >= Self.size else { return nil }
        let nextPayload = b[16], version = b[17], exchangeType = b[18], flags = b[19]
        guard b.loadBigEndianUInt64(at: 0) != 0, version & 0x0F == 0,
              Int(b.loadBigEndianUInt32(at: 24)) == b.count else { return nil }
        switch version >> 4 {
        case 1:
            // Exchange types 1-5 (RFC 2408 §3.1), 32 Quick Mode and 33 New Group (RFC 2409);
            // flags E, C, A; payload types 1-13, NAT-D/NAT-OA 20-21 (RFC 3947) and the draft
            // NAT-T numbers 130-131 some stacks still send.
            guard (1...5).contains(exchangeType) || exchangeType == 32 || exchangeType == 33,
                  flags & ~0x07 == 0,
                  (1...13).contains(nextPayload) || nextPayload == 20 || nextPayload == 21 || nextPayload == 130 || nextPayload == 131
            else { return nil }
            // Encrypted (E flag): the payload chain is not readable.
            if flags & 0x01 == 0 && !Self.payloadChainEnds(b, first: nextPayload) { return nil }
        case 2:
            // RFC 7296 exchange types 34-37, resumption 38 (RFC 5723), 43-44 (RFC 9242/9370);
            // flags I, V, R; payload types 33-54 (IANA "IKEv2 Payload Types").
            guard (34...38).contains(exchangeType) || exchangeType == 43 || exchangeType == 44,
                  flags & ~0x38 == 0,
                  (33...54).contains(nextPayload) || nextPayload == 0,
                  Self.payloadChainEnds(b, first: nextPayload)
            else { return nil }
        default:
            return nil
        }
        initiatorSPI = b.loadBigEndianUInt64(at: 0)
        responderSPI = b.loadBigEndianUInt64(at: 8)
        majorVersion = version >> 4
        self.exchangeType = exchangeType
    }

    /// Walks the generic payload headers (next payload, reserved/critical, 2-byte length of
    /// at least 4); true when the last one ends exactly at the message's end. IKEv2's
    /// Encrypted (46) and Encrypted Fragment (53) payloads come last, span the ciphertext, and
    /// their next-payload field names the first payload inside it, so the walk stops there.
    private static func payloadChainEnds(_ b: UnsafeRawBufferPointer, first: UInt8) -> Bool {
        var current = first
        var r = ByteReader(b, from: size)
        while current != 0 {
            guard let n = r.u8(), r.skip(1), let length = r.u16(), length >= 4, r.skip(Int(length) - 4) else { return false }
            current = current == 46 || current == 53 ? 0 : n
        }
        return r.isAtEnd
    }

    var exchangeName: StaticString {
        switch (majorVersion, exchangeType) {
        case (1, 1): return "base"
        case (1, 2): return "main"
        case (1, 3): return "auth_only"
        case (1, 4): return "aggressive"
        case (1, 5): return "informational"
        case (1, 32): return "quick"
        case (1, 33): return "new_group"
        case (2, 34): return "ike_sa_init"
        case (2, 35): return "ike_auth"
        case (2, 36): return "create_child_sa"
        case (2, 37): return "informational"
        case (2, 38): return "ike_session_resume"
        case (2, 43): return "ike_intermediate"
        case (2, 44): return "ike_followup_ke"
        default: return "other"
        }
    }
}

/// The start of an ESP packet (RFC 4303 §2): SPI and sequence number. SPIs 1-255 are
/// reserved by IANA and 0 is never sent; the sequence number starts at 1.
struct ESPHeader {
    static let minimumSize = 16

    let spi: UInt32
    let sequence: UInt32

    init?(_ b: UnsafeRawBufferPointer) {
        guard b.count >= Self.minimumSize else { return nil }
        spi = b.loadBigEndianUInt32(at: 0)
        sequence = b.loadBigEndianUInt32(at: 4)
        guard spi >= 256 else { return nil }
    }
}

/// The start of an AH packet (RFC 4302 §2): next header, payload length in 32-bit words
/// minus 2, two reserved zero bytes, SPI, sequence number.
struct AHHeader {
    let spi: UInt32

    init?(_ b: UnsafeRawBufferPointer) {
        guard b.count >= 12, b[2] == 0, b[3] == 0 else { return nil }
        let length = (Int(b[1]) + 2) * 4
        spi = b.loadBigEndianUInt32(at: 4)
        guard length >= 12, length <= b.count, spi >= 256 else { return nil }
    }
}
