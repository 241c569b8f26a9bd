/// Tailscale's DERP relay (Designated Encrypted Relay for Packets), on any port. A client asks
/// for it with an HTTP upgrade (`Upgrade: DERP`, or a WebSocket with subprotocol "derp" for
/// browsers), and once the connection is switched the server's first frame is FrameServerKey:
/// a 1-byte type (0x01) and a 4-byte big-endian length (tailscale/tailscale derp/derp.go,
/// `frameHeaderLen = 1 + 4`), then the 8-byte magic "DERP🔑" (44 45 52 50 F0 9F 94 91) and the
/// server's 32-byte public key. With `Derp-Fast-Start: 1` the server skips the 101 and sends
/// the frame straight away (derphttp/derphttp_server.go), so the frame opens either the
/// flow's own server stream or the inner stream HTTP hands on after a 101 (or a WebSocket's
/// unframed payload): this dissector only ever looks at the start of a server stream.
///
/// The upgrade request alone is recognised by the HTTP dissector (`namesDERP`), since a DERP
/// server that refuses (or a capture that lost the answer) still shows a Tailscale client.
public enum DERPDissector: Dissector {
    /// frameServerKey's type byte (derp.go).
    static let serverKeyFrame: UInt8 = 0x01
    /// frameClientInfo's type byte: what a DERP client sends first on a switched stream.
    static let clientInfoFrame: UInt8 = 0x02
    /// "DERP🔑" as one big-endian word.
    static let magic: UInt64 = 0x4445_5250_F09F_9491
    static let keyLength = 32
    /// Type, length and magic: enough to recognise the frame.
    static let recognisableLength = 5 + 8
    /// derp.go's maxInfoLen (1 MiB): the longest ClientInfo a server reads, plus its key and nonce.
    static let maxClientInfoLength: UInt32 = 1 << 20 + 32 + 24
    /// Client bytes waited through for the server's first frame (an HTTP request head at most).
    static let clientWait = 16 * 1024

    /// Recognition from the HTTP Upgrade request (written beside the HTTP record).
    static let upgradeRecognition = Recognition(family: .tailscale, identifiedBy: .payload, confidence: .high,
                                                layer: Layer.session, evidence: "derp upgrade")

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        guard !chunk.afterGap || chunk.streamOffset == 0 else { return .notMine }
        if chunk.direction == .responder {
            // The server's first bytes decide; later ones mean its start was missed.
            guard chunk.streamOffset == 0, let key = serverKey(chunk.bytes) else { return .notMine }
            let facts = flow.facts(StandardDissectors.derpSlot) { DERPFacts() }
            facts.serverKey = key
            return .done
        }
        // The client speaks first only with an HTTP request (fast start) or, on a switched
        // stream, a ClientInfo frame; anything else is not DERP.
        guard chunk.streamOffset < clientWait else { return .notMine }
        if chunk.streamOffset == 0 && !opensDERPClient(chunk.bytes) { return .notMine }
        return .wantMore
    }

    /// The server key when `b` starts with FrameServerKey (an empty key when the chunk ends
    /// before it); nil when it does not.
    static func serverKey(_ b: UnsafeRawBufferPointer) -> [UInt8]? {
        var r = ByteReader(b)
        guard r.u8() == serverKeyFrame, let length = r.u32(), length >= 8 + UInt32(keyLength),
              length <= 8 + UInt32(keyLength) + 4096, r.u64() == magic else { return nil }
        return r.take(keyLength).map { Array($0) } ?? []
    }

    private static func opensDERPClient(_ b: UnsafeRawBufferPointer) -> Bool {
        if b.count >= 4 && b.hasPrefix("GET ") { return true }
        var r = ByteReader(b)
        guard r.u8() == clientInfoFrame, let length = r.u32() else { return false }
        return length > 32 + 24 && length <= maxClientInfoLength
    }

    /// An Upgrade header value that asks for DERP (derphttp compares it case-insensitively).
    static func namesDERP(_ value: [UInt8]) -> Bool {
        value.withUnsafeBytes { $0.equalsIgnoringCase("derp") }
    }
}
