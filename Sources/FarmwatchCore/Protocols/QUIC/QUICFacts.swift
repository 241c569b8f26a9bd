/// What farmwatch learnt from a QUIC flow's handshake packets, and the state it keeps while
/// the client's ClientHello is still arriving. Field names follow Zeek's quic.log where it
/// has one (`version`, `client_initial_dcid`, `client_scid`, `server_scid`, `server_name`).
public final class QUICFacts: FlowFacts {
    /// The version of the client's Initials (after version negotiation, the one the
    /// ClientHello finally came in).
    public internal(set) var version: QUICVersion
    /// The Destination Connection ID of the client's first Initial: the Initial keys' input.
    public internal(set) var clientInitialDCID: [UInt8]?
    public internal(set) var clientSCID: [UInt8]?
    /// The Source Connection ID of the server's first Initial or Handshake packet.
    public internal(set) var serverSCID: [UInt8]?
    /// Some packet came back from the server (Initial, Handshake, Retry, Version Negotiation
    /// or 1-RTT).
    public internal(set) var serverAnswered = false
    /// At least one client Initial opened with the Initial keys.
    public internal(set) var decrypted = false

    /// QUIC once an Initial decrypted (IETF versions) or a Google QUIC header was recognised.
    public var recognition: Recognition? {
        decrypted || !version.hasIETFLongHeader ? .payload(.quic, layer: Layer.security) : nil
    }
    /// From the ClientHello, once all of it was reassembled.
    public internal(set) var serverName: [UInt8]?
    public internal(set) var alpn: [[UInt8]] = []
    /// The ClientHello; its JA4 forms are computed when the flow is concluded (`conclude`),
    /// off the packet thread, or when first asked.
    public internal(set) var clientHello: TLSClientHello?
    private var fingerprints: (ja4: String, raw: String, original: String?, originalRaw: String?)?

    public var ja4: String? { clientFingerprints?.ja4 }
    public var ja4Raw: String? { clientFingerprints?.raw }
    public var ja4Original: String? { clientFingerprints?.original }
    public var ja4OriginalRaw: String? { clientFingerprints?.originalRaw }

    private var clientFingerprints: (ja4: String, raw: String, original: String?, originalRaw: String?)? {
        if let f = fingerprints { return f }
        guard let hello = clientHello else { return nil }
        fingerprints = JA4.fingerprint(hello, transport: .quic, sortedForms: nil, originalForms: true)
        return fingerprints
    }

    /// Once the ClientHello was read: fingerprints through the context's cache (a client
    /// build sends the same hello shape every time).
    func conclude(_ context: DissectorContext) {
        guard fingerprints == nil, let hello = clientHello else { return }
        fingerprints = TLSClientFingerprints.cached(hello, transport: .quic, in: context).ja4
    }

    /// The side that sent the flow's first QUIC packet (the client, unless the capture began
    /// after it).
    var clientSide: Direction = .originator
    /// Decryption and CRYPTO reassembly, released once the ClientHello is read or given up.
    var initials: QUICClientInitials? = QUICClientInitials()
    var clientHelloRead = false
    /// Datagrams seen and Initials that failed to open: both bound the work on one flow.
    var datagrams = 0
    var failures = 0
    /// The client sent a 1-RTT packet: its Initials are over.
    var clientFinishedInitials = false
    /// Client datagrams holding Initials, kept by the packet thread until the flow is
    /// concluded (`QUICDissector.conclude`), and their size.
    var keptClientDatagrams: [[UInt8]] = []
    var keptClientBytes = 0

    init(version: QUICVersion) {
        self.version = version
    }

    public func writeJSON(to w: JSONWriter) {
        w.key("quic"); w.beginObject()
        w.field("version", version.name)
        if let c = clientInitialDCID { w.field("client_initial_dcid", Hex.string(c)) }
        if let c = clientSCID { w.field("client_scid", Hex.string(c)) }
        if let c = serverSCID { w.field("server_scid", Hex.string(c)) }
        if let n = serverName { w.key("server_name"); w.string(bytes: n) }
        if !alpn.isEmpty {
            w.key("alpn"); w.beginArray()
            for p in alpn { w.string(bytes: p) }
            w.endArray()
        }
        if let j = ja4 { w.field("ja4", j) }
        // The other forms when asked for (`--ja4-raw`).
        if let o = ja4Original, let ro = ja4OriginalRaw, let r = ja4Raw {
            w.field("ja4_r", r)
            w.field("ja4_o", o)
            w.field("ja4_ro", ro)
        }
        if version.hasIETFLongHeader { w.field("decrypted", decrypted) }
        w.field("server_answered", serverAnswered)
        w.endObject()
    }
}
