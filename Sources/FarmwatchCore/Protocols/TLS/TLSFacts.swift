/// What the TLS dissector learnt about one flow, and the little state it needs to learn it.
/// Written as a nested `"tls"` object with Zeek ssl.log names where Zeek has one.
public final class TLSFacts: FlowFacts {
    /// Where each direction is: looking for its first record, reading records, or done.
    enum Phase { case seeking, active, finished }
    var phase = InlineArray<2, Phase>(repeating: .seeking)
    // One record stream per direction, as two stored properties rather than an array: while
    // one is being fed, its handler updates the other properties of these facts, which Swift's
    // exclusivity rules allow for distinct stored properties only.
    var originatorRecords = TLSRecordStream()
    var responderRecords = TLSRecordStream()

    /// The first ClientHello (read from `clientHelloBody` when the flow is concluded), and the
    /// ServerHello that settled the handshake.
    public internal(set) var clientHello: TLSClientHello?
    /// The first ClientHello's body as the packet thread kept it, until the flow is concluded.
    var clientHelloBody: [UInt8]?
    public internal(set) var serverHello: TLSServerHello?
    /// A HelloRetryRequest that came before it (TLS 1.3), if any.
    public internal(set) var helloRetryRequest: TLSServerHello?
    /// Which direction sent the ClientHello (normally the originator; not when the capture
    /// began mid-connection and the roles were guessed).
    public internal(set) var clientSide: Direction?
    public internal(set) var serverSide: Direction?
    /// Certificate chains as sent, leaf first (visible up to TLS 1.2 only), read when the
    /// flow is concluded.
    public internal(set) var serverCertificates: [TLSCertificateSummary] = []
    public internal(set) var clientCertificates: [TLSCertificateSummary] = []
    /// Each side's first Certificate message as DER certificates, kept on the packet thread
    /// until the flow is concluded.
    var serverCertificateDERs: [[UInt8]]?
    var clientCertificateDERs: [[UInt8]]?

    /// Set when the flow was claimed in the middle of a connection (no hello to read): its
    /// records' chain, which alone names the flow.
    var midStream: TLSRecordChain?

    public init() {}

    /// Nothing more is read from this direction: its half-gathered message (if any) is let go,
    /// since the facts live as long as the flow.
    func finish(_ side: Direction) {
        phase[side.rawValue] = .finished
        if side == .originator { originatorRecords = TLSRecordStream() } else { responderRecords = TLSRecordStream() }
    }

    /// Computed once, when first asked (by the signature catalogue or the output) after the
    /// ClientHello is final: the catalogue and the output both read them.
    public var ja4: (ja4: String, raw: String, original: String?, originalRaw: String?)? {
        clientFingerprints?.ja4
    }
    public var ja3String: String? { clientFingerprints?.ja3String }
    public var ja3: String? { clientFingerprints?.ja3 }
    public var ja3sString: String? { serverFingerprints?.ja3sString }
    public var ja3s: String? { serverFingerprints?.ja3s }

    /// Set when the flow is concluded (through the context's caches), else computed when asked.
    private var clientMemo: TLSClientFingerprints?
    private var serverMemo: (ja3sString: String, ja3s: String)?

    /// The flow has ended: reads what the packet thread only kept, through the context's
    /// caches (a server sends the same chain to every client; a client build the same hello
    /// shape): the ClientHello (its server name, its malformed extensions), the certificate
    /// chains, counting the ones that do not parse, and the fingerprints. Runs once, off the
    /// packet thread, before the catalogue or the output read these facts
    /// (StandardDissectors.flowEnding).
    func conclude(_ metadata: FlowMetadata, _ context: DissectorContext) {
        if let body = clientHelloBody {
            clientHelloBody = nil
            // The packet thread kept it only once its framing held (`framingHolds`).
            if let hello = body.withUnsafeBytes({ TLSClientHello.parse($0) }) {
                clientHello = hello
                metadata.parseErrors += UInt32(hello.malformedExtensions)
                if let name = hello.serverName, !name.isEmpty { metadata.setServerName(name, source: .tls) }
            }
        }
        if let ders = serverCertificateDERs {
            serverCertificates = Self.summaries(ders, metadata, context)
            serverCertificateDERs = nil
        }
        if let ders = clientCertificateDERs {
            clientCertificates = Self.summaries(ders, metadata, context)
            clientCertificateDERs = nil
        }
        if clientMemo == nil, let hello = clientHello {
            clientMemo = TLSClientFingerprints.cached(hello, transport: .tcp, in: context)
        }
        if serverMemo == nil, let hello = serverHello {
            serverMemo = context.serverFingerprints.value(for: ByteKey(JA3.serverShape(hello))) {
                JA3.serverFingerprint(hello)
            }
        }
    }

    private static func summaries(_ ders: [[UInt8]], _ metadata: FlowMetadata,
                                  _ context: DissectorContext) -> [TLSCertificateSummary] {
        var chain: [TLSCertificateSummary] = []
        for der in ders {
            guard let summary = context.certificates.value(for: ByteKey(der), orMake: { TLSCertificateSummary.parse(der) }) else {
                metadata.parseErrors += 1
                continue
            }
            if summary.incomplete { metadata.parseErrors += 1 }
            chain.append(summary)
        }
        return chain
    }

    private var clientFingerprints: TLSClientFingerprints? {
        if let memo = clientMemo { return memo }
        guard let hello = clientHello else { return nil }
        let value = TLSClientFingerprints(hello, transport: .tcp)
        clientMemo = value
        return value
    }

    private var serverFingerprints: (ja3sString: String, ja3s: String)? {
        if let memo = serverMemo { return memo }
        guard let hello = serverHello else { return nil }
        let value = JA3.serverFingerprint(hello)
        serverMemo = value
        return value
    }

    public var recognition: Recognition? {
        if let chain = midStream {
            return chain.matched
                ? Recognition(family: .tls, identifiedBy: .payload, confidence: .medium, layer: Layer.security,
                              evidence: "\(chain.records) TLS record\(chain.records == 1 ? "" : "s") chained, no handshake captured")
                : nil
        }
        return clientHello != nil || clientHelloBody != nil || serverHello != nil ? .payload(.tls, layer: Layer.security) : nil
    }

    /// Both hellos seen: the peers agreed on a version and a cipher.
    public var established: Bool { clientHello != nil && serverHello != nil }

    public func writeJSON(to w: JSONWriter) {
        if let chain = midStream {
            // Nothing of the handshake to report: only that the records chained.
            guard chain.matched else { return }
            w.key("tls"); w.beginObject()
            w.field("mid_stream_records", chain.records)
            w.endObject()
            return
        }
        w.key("tls"); w.beginObject()
        if let s = serverHello {
            w.field("version", TLSVersion.name(s.negotiatedVersion))
            w.field("cipher", TLSCipherSuiteNames.name(s.cipher))
        }
        if let c = clientHello {
            if let name = c.serverName { w.key("server_name"); w.string(bytes: name) }
            if !c.alpn.isEmpty {
                w.key("alpn"); w.beginArray()
                for p in c.alpn { w.string(bytes: p) }
                w.endArray()
            }
        }
        if let p = serverHello?.alpn { w.key("alpn_selected"); w.string(bytes: p) }
        if let c = clientHello {
            let versions = c.supportedVersions.filter { !TLSGrease.isGrease($0) }
            if !versions.isEmpty {
                w.key("client_supported_versions"); w.beginArray()
                for v in versions { w.string(TLSVersion.name(v)) }
                w.endArray()
            }
        }
        if let f = clientFingerprints?.ja4 {
            w.field("ja4", f.ja4)
            // The other forms when asked for (`--ja4-raw`), as FoxIO's tools print them.
            if let o = f.original, let ro = f.originalRaw {
                w.field("ja4_r", f.raw)
                w.field("ja4_o", o)
                w.field("ja4_ro", ro)
            }
        }
        if let f = clientFingerprints { w.field("ja3", f.ja3); w.field("ja3_string", f.ja3String) }
        if let f = serverFingerprints { w.field("ja3s", f.ja3s); w.field("ja3s_string", f.ja3sString) }
        if !serverCertificates.isEmpty { w.key("cert_chain"); Self.write(serverCertificates, to: w) }
        if !clientCertificates.isEmpty { w.key("client_cert_chain"); Self.write(clientCertificates, to: w) }
        if helloRetryRequest != nil { w.field("hello_retry_request", true) }
        w.field("established", established)
        w.endObject()
    }

    private static func write(_ chain: [TLSCertificateSummary], to w: JSONWriter) {
        w.beginArray()
        for c in chain {
            w.beginObject()
            w.field("subject", c.subject)
            w.field("issuer", c.issuer)
            if let v = c.commonName { w.key("cn"); w.string(bytes: v) }
            if let v = c.organization { w.key("o"); w.string(bytes: v) }
            if let v = c.organizationalUnit { w.key("ou"); w.string(bytes: v) }
            if let v = c.country { w.key("c"); w.string(bytes: v) }
            if !c.sanDNS.isEmpty {
                w.key("san_dns"); w.beginArray()
                for n in c.sanDNS { w.string(bytes: n) }
                w.endArray()
            }
            if !c.sanIP.isEmpty {
                w.key("san_ip"); w.beginArray()
                for a in c.sanIP { w.string(a) }
                w.endArray()
            }
            if let t = c.notBefore { w.field("not_before", t) }
            if let t = c.notAfter { w.field("not_after", t) }
            w.field("serial", c.serial)
            w.field("self_signed", c.selfSigned)
            w.field("key_type", c.keyType)
            if let b = c.keyBits { w.field("key_bits", b) }
            w.field("sha256", c.sha256)
            w.endObject()
        }
        w.endArray()
    }
}
