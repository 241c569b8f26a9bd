/// Tor's link connections (client to guard, relay to relay, tor-spec.txt §2) are TLS, and Tor
/// dresses them up with names it makes up at random (src/lib/tls/tortls*.c,
/// crypto_random_hostname: "www." + 4–25 or 8–20 base32 letters + ".com" or ".net"):
///
/// - the relay's link certificate has a subject of just CN=www.<8–20 base32>.net, issued by
///   just CN=www.<8–20 base32>.com (its identity certificate; .net with
///   DISABLE_V3_LINKPROTO_SERVERSIDE). Visible when the handshake is TLS 1.2 or earlier.
/// - the client's SNI is www.<4–25 base32>.com, and unlike a browser it offers no ALPN.
///
/// The certificate is decisive: no public CA issues to such names, and a relay's chain is
/// nothing else. The SNI alone is weaker (a real site may be called www.<letters>.com), so it
/// counts only when the name looks random (a base32 digit, or no vowel for six letters), no
/// ALPN was offered, and no certificate seen says otherwise. Cells are never in clear: the
/// VERSIONS cell and everything after it travel inside the TLS session.
public enum TorLinkRecognizer {
    /// Draws the conclusion for a TLS flow when it ends.
    public static func conclude(_ flow: inout FlowState) {
        guard let m = flow.metadata, let tls = m.facts(StandardDissectors.tlsSlot, as: TLSFacts.self),
              let r = recognize(tls) else { return }
        m.addRecognition(r)
    }

    static func recognize(_ tls: TLSFacts) -> Recognition? {
        if let leaf = tls.serverCertificates.first {
            guard isLinkCertificate(leaf) else { return nil }
            return Recognition(family: .tor, identifiedBy: .tlsCert, confidence: .high, layer: Layer.relay,
                               evidence: "cert \(leaf.subject) issued by \(leaf.issuer)")
        }
        guard let hello = tls.clientHello, hello.alpn.isEmpty, let sni = hello.serverName,
              isRandomName(sni, suffix: ".com", lengths: 4...25, demandRandomLook: true) else { return nil }
        return Recognition(family: .tor, identifiedBy: .sni, confidence: .medium, layer: Layer.relay,
                           evidence: "sni \(String(decoding: sni, as: UTF8.self)) without ALPN")
    }

    /// Subject CN=www.<random>.net and issuer CN=www.<random>.com (or .net), nothing else in
    /// either name, and not the same name.
    static func isLinkCertificate(_ c: TLSCertificateSummary) -> Bool {
        guard c.organization == nil, c.organizationalUnit == nil, c.country == nil,
              let cn = c.commonName, c.subject == "CN=" + String(decoding: cn, as: UTF8.self),
              isRandomName(cn, suffix: ".net", lengths: 8...20, demandRandomLook: false),
              c.issuer.hasPrefix("CN="), c.issuer != c.subject else { return false }
        let issuer = Array(c.issuer.utf8.dropFirst(3))
        return isRandomName(issuer, suffix: ".com", lengths: 8...20, demandRandomLook: false)
            || isRandomName(issuer, suffix: ".net", lengths: 8...20, demandRandomLook: false)
    }

    /// "www." + base32 letters (a–z, 2–7) of a length in `lengths` + `suffix`. With
    /// `demandRandomLook`, the letters must also look random rather than like a word.
    static func isRandomName(_ name: [UInt8], suffix: StaticString, lengths: ClosedRange<Int>,
                             demandRandomLook: Bool) -> Bool {
        let suffixBytes = suffix.withUTF8Buffer { Array($0) }
        guard name.count > 4 + suffixBytes.count, name.starts(with: Array("www.".utf8)),
              name.suffix(suffixBytes.count).elementsEqual(suffixBytes) else { return false }
        let label = name[4..<(name.count - suffixBytes.count)]
        guard lengths.contains(label.count),
              label.allSatisfy({ (0x61...0x7A).contains($0) || (0x32...0x37).contains($0) }) else { return false }
        return !demandRandomLook || looksRandom(label)
    }

    /// A base32 digit somewhere, or six letters in a row without a vowel: rare in names people
    /// choose, common in random base32 (P(no digit in 12 letters) ≈ 8%).
    static func looksRandom(_ label: ArraySlice<UInt8>) -> Bool {
        var run = 0
        for c in label {
            if (0x32...0x37).contains(c) { return true }
            if "aeiouy".utf8.contains(c) { run = 0 } else { run += 1 }
            if run >= 6 { return true }
        }
        return false
    }
}
