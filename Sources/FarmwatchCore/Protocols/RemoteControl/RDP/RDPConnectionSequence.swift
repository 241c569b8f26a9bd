/// The clear-text start of an RDP connection over TCP (MS-RDPBCGR §1.3.1.1): TPKT framing
/// (RFC 1006), the X.224 Connection Request and Confirm that carry the routing cookie and the
/// security negotiation (§2.2.1.1–2.2.1.2), and, when the peers keep Standard RDP Security
/// instead of TLS, the MCS Connect Initial and Response with the GCC user data blocks
/// (§2.2.1.3–2.2.1.4). Every function reads one whole TPKT in place and returns nil for bytes
/// that are not that message.
enum RDPConnectionSequence {
    /// X.224 TPDU codes (ITU-T X.224 §13): the high nibble; RDP always sends CDT = 0.
    static let connectionRequest: UInt8 = 0xE0
    static let connectionConfirm: UInt8 = 0xD0
    static let data: UInt8 = 0xF0

    /// The TPKT length in the first four bytes (version 3, reserved 0), or nil when the bytes
    /// cannot open a TPKT that holds an X.224 header.
    @inline(__always)
    static func tpktLength(_ b: UnsafeRawBufferPointer) -> Int? {
        guard b.count >= 4, b[0] == 3, b[1] == 0 else { return nil }
        let n = Int(b.loadBigEndianUInt16(at: 2))
        return n >= 7 ? n : nil
    }

    /// The first bytes of a TPKT carrying an X.224 Connection Request or Confirm, as far as
    /// the chunk shows: the cheap test that lets every other flow go on its first chunk.
    @inline(__always)
    static func mayOpenConnectionTPDU(_ b: UnsafeRawBufferPointer, code: UInt8) -> Bool {
        // A segment cut inside the TPKT header: as far as it goes.
        if b.count < 4 { return b.first == 3 && (b.count < 2 || b[1] == 0) }
        guard let n = tpktLength(b), n >= 11 else { return false }
        // The length indicator counts the X.224 header after itself; a class 0 CR/CC is 6
        // bytes plus the variable part, so it is always the TPKT length minus 5.
        guard b.count >= 6 else { return true }
        return Int(b[4]) == n - 5 && b[5] == code
    }

    struct NegotiationRequest {
        var cookie: [UInt8]?
        /// `Cookie: msts=` load-balancer routing token (§2.2.1.1), kept as sent.
        var routingToken: [UInt8]?
        var requestedProtocols: UInt32?
    }

    /// An X.224 Connection Request (§2.2.1.1): class 0, destination reference 0, then an
    /// optional cookie or routing token line and an optional RDP_NEG_REQ (and its correlation
    /// info), nothing else. ISO transport users of TPKT (S7, MMS) put TSAP parameters there.
    static func connectionRequest(_ tpdu: UnsafeRawBufferPointer) -> NegotiationRequest? {
        guard let n = tpktLength(tpdu), n == tpdu.count, n >= 11, Int(tpdu[4]) == n - 5,
              tpdu[5] == connectionRequest, tpdu[6] == 0, tpdu[7] == 0, tpdu[10] == 0 else { return nil }
        var request = NegotiationRequest()
        var r = ByteReader(tpdu, from: 11)
        if r.rest.hasPrefix("Cookie: ") {
            let line = r.rest
            guard let cr = line.firstIndex(of: 0x0D), cr + 1 < line.count, line[cr + 1] == 0x0A else { return nil }
            let value = UnsafeRawBufferPointer(rebasing: line[8..<cr])
            if value.hasPrefix("mstshash=") {
                request.cookie = Array(value.dropFirst(9).prefix(RDPFacts.textLimit))
            } else {
                request.routingToken = Array(value.prefix(RDPFacts.textLimit))
            }
            _ = r.skip(cr + 2)
        }
        if !r.isAtEnd {
            // RDP_NEG_REQ: type 1, flags, length 8 (little-endian), requestedProtocols.
            guard r.u8() == 1, let flags = r.u8(), r.u16le() == 8, let requested = r.u32le() else { return nil }
            request.requestedProtocols = requested
            // RDP_NEG_CORRELATION_INFO (type 6, length 36) follows when the flag says so.
            if flags & 0x08 != 0 {
                guard r.u8() == 6, r.u8() != nil, r.u16le() == 36, r.skip(32) else { return nil }
            }
            guard r.isAtEnd else { return nil }
        }
        return request
    }

    enum NegotiationAnswer {
        /// RDP_NEG_RSP: the protocol the server selected.
        case selected(UInt32)
        /// RDP_NEG_FAILURE with its failure code.
        case failure(UInt32)
        /// A Confirm without negotiation data: a server that only knows Standard RDP Security.
        case standardSecurityOnly

        /// RDP_NEG_RSP or RDP_NEG_FAILURE: RDP's own structure, not just an ISO Confirm.
        var carriesNegotiation: Bool {
            if case .standardSecurityOnly = self { return false }
            return true
        }
    }

    /// An X.224 Connection Confirm (§2.2.1.2) with nothing or exactly one 8-byte RDP_NEG_RSP or
    /// RDP_NEG_FAILURE after its class byte.
    static func connectionConfirm(_ tpdu: UnsafeRawBufferPointer) -> NegotiationAnswer? {
        guard let n = tpktLength(tpdu), n == tpdu.count, n >= 11, Int(tpdu[4]) == n - 5,
              tpdu[5] == connectionConfirm, tpdu[10] == 0 else { return nil }
        if n == 11 { return .standardSecurityOnly }
        var r = ByteReader(tpdu, from: 11)
        guard n == 19, let type = r.u8(), r.u8() != nil, r.u16le() == 8, let value = r.u32le() else { return nil }
        switch type {
        case 2: return .selected(value)
        case 3: return .failure(value)
        default: return nil
        }
    }

    /// The MCS PDU inside an X.224 Data TPDU (§2.2.1.3: LI 2, code 0xF0, EOT), or nil.
    static func mcsPayload(_ tpdu: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard tpdu.count > 7, tpdu[4] == 2, tpdu[5] == data, tpdu[6] == 0x80 else { return nil }
        return UnsafeRawBufferPointer(rebasing: tpdu[7...])
    }

    /// Skips a BER application tag of two bytes (0x7F 0x65 Connect-Initial, 0x7F 0x66
    /// Connect-Response) and its length, leaving the reader at the contents.
    static func enterBER(_ r: inout ByteReader, application tag: UInt8) -> Bool {
        guard r.u8() == 0x7F, r.u8() == tag, let first = r.u8() else { return false }
        if first & 0x80 != 0 {
            let count = Int(first & 0x7F)
            guard count >= 1, count <= 2, r.skip(count) else { return false }
        }
        return true
    }

    /// The GCC conference user data: the blocks after the H.221 key ("Duca" from the client,
    /// "McDn" from the server, T.124 §8.7), behind a PER length of one or two bytes.
    static func userDataBlocks(_ mcs: UnsafeRawBufferPointer, key: StaticString) -> ByteReader? {
        let k = key.utf8CodeUnitCount
        guard mcs.count > k else { return nil }
        for i in 0...(mcs.count - k) where UnsafeRawBufferPointer(rebasing: mcs[i...]).hasPrefix(key) {
            var r = ByteReader(mcs, from: i + k)
            guard let first = r.u8() else { return nil }
            var length = Int(first)
            if first & 0x80 != 0 {
                guard let second = r.u8() else { return nil }
                length = Int(first & 0x7F) << 8 | Int(second)
            }
            return r.sub(min(length, r.remaining))
        }
        return nil
    }

    /// Walks TS_UD_HEADER blocks (type and length, little-endian, length counting the header).
    static func forEachBlock(_ blocks: ByteReader, _ body: (UInt16, ByteReader) -> Void) -> Bool {
        var r = blocks
        while r.remaining >= 4 {
            guard let type = r.u16le(), let length = r.u16le(), length >= 4, let block = r.sub(Int(length) - 4) else {
                return false
            }
            body(type, block)
        }
        return true
    }
}
