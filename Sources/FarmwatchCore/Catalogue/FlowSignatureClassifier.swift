/// Names the application a flow carries from what its dissectors extracted, through the
/// signature catalogue: SNI, ALPN, certificates and JA4 (TLS and QUIC), Host headers and
/// HTML titles (HTTP), DNS questions, the name the server's address was resolved from, and —
/// as a hint only — the server's port. Runs once per flow, when it ends.
enum FlowSignatureClassifier {
    static func classify(_ flow: inout FlowState, _ context: DissectorContext) {
        let matcher = context.signatures
        guard !matcher.isEmpty else { return }
        // Names and certificates repeat across flows: matched once, then found.
        func domains(_ name: [UInt8]) -> [Signature] {
            context.domainSignatures.value(for: ByteKey(name)) { matcher.domains(name) }
        }
        func certificate(_ text: [UInt8]) -> [Signature] {
            context.certificateSignatures.value(for: ByteKey(text)) { matcher.containing(.cert, in: text) }
        }
        var found: [Recognition] = []
        var kvm: [KVMEvidence] = []
        func add(_ hits: [Signature], _ by: IdentifiedBy, _ what: String, _ value: [UInt8],
                 cap: Confidence = .high) {
            for s in hits {
                let r = Recognition(family: s.family, identifiedBy: by, confidence: min(s.confidence, cap),
                                    layer: Layer.application,
                                    evidence: s.match(what, value))
                found.append(r)
                if s.family == .kvm {
                    kvm.append(KVMEvidence(identifiedBy: by, confidence: r.confidence, detail: r.evidence ?? "",
                                           product: s.product))
                }
            }
        }
        if let m = flow.metadata {
            if let tls = m.facts(StandardDissectors.tlsSlot, as: TLSFacts.self) {
                if let c = tls.clientHello {
                    if let sni = c.serverName { add(domains(sni), .sni, "sni", sni) }
                    for p in c.alpn { add(matcher.alpn(p), .tlsALPN, "alpn", p) }
                    if let j = tls.ja4?.ja4 { add(matcher.ja4(j), .ja4, "ja4", Array(j.utf8)) }
                }
                for chain in [tls.serverCertificates, tls.clientCertificates] {
                    for cert in chain {
                        let subject = Array(cert.subject.utf8), issuer = Array(cert.issuer.utf8)
                        add(certificate(subject), .tlsCert, "certificate subject", subject)
                        add(certificate(issuer), .tlsCert, "certificate issuer", issuer)
                    }
                }
            }
            if let quic = m.facts(StandardDissectors.quicSlot, as: QUICFacts.self) {
                if let sni = quic.serverName { add(domains(sni), .sni, "sni", sni) }
                for p in quic.alpn { add(matcher.alpn(p), .tlsALPN, "alpn", p) }
            }
            if let http = m.facts(StandardDissectors.httpSlot, as: HTTPFacts.self) {
                for t in http.transactions {
                    if let h = t.connectTarget ?? t.host { add(domains(hostPart(h)), .httpHost, "host", h) }
                    if let title = t.title { add(matcher.containing(.httpTitle, in: title), .httpTitle, "title", title) }
                }
            }
            if let dns = m.facts(StandardDissectors.dnsSlot, as: DNSFacts.self) {
                for t in dns.transactions {
                    if let q = t.query { add(domains(q), .dnsQuery, "query", q) }
                }
            }
            // A name learnt from an earlier DNS answer, not from this flow: at most medium.
            if m.serverNameSource == .dns, let name = m.serverName {
                add(domains(name), .dnsCache, "resolved from", name, cap: .medium)
            }
        }
        let server = flow.responderAddress
        let listed = matcher.networks(containing: server)
        if !listed.isEmpty { add(listed, .ipList, "server address", Array(server.description.utf8)) }
        let port = flow.responderPort
        for s in matcher.ports(proto: flow.key.proto, port) {
            found.append(Recognition(family: s.family, identifiedBy: .portHint, confidence: .low,
                                     layer: Layer.application,
                                     evidence: "server port \(FlowRecordWriter.protoName(flow.key.proto))/\(port) (\(s.origin))"))
        }
        guard !found.isEmpty else { return }
        let m = flow.ensureMetadata()
        for r in found { m.addRecognition(r) }
        // A KVM's web interface or certificate seen on a flow also describes the device that
        // served it, found by its address when the run ends.
        for e in kvm { context.kvmSightings.note(address: flow.responderAddress, at: flow.firstTimestampNs, e) }
    }

    /// `host:port` → `host` (also `[v6]:port`).
    static func hostPart(_ h: [UInt8]) -> [UInt8] {
        if h.first == UInt8(ascii: "["), let close = h.firstIndex(of: UInt8(ascii: "]")) { return Array(h[1..<close]) }
        if let colon = h.firstIndex(of: UInt8(ascii: ":")), h.lastIndex(of: UInt8(ascii: ":")) == colon {
            return Array(h[..<colon])
        }
        return h
    }
}
