/// One line of the signature catalogue: a fact that names a family (a domain, a certificate
/// name, an ALPN prefix, a JA4, a port, a device host name, an mDNS service, an HTTP title, a
/// MAC prefix).
public struct Signature: Sendable {
    public var family: Family
    public var kind: SignatureKind
    /// As written, for listing; matching uses `bytes` (lowercased unless the kind is exact).
    public var pattern: String
    public var bytes: [UInt8]
    /// A product name for device matches (e.g. "PiKVM"), else nil.
    public var product: String?
    public var confidence: Confidence
    /// `file:line`, so a user can find the line behind any recognition.
    public var origin: String

    /// The evidence line a match reports: what matched, this pattern and where it is written
    /// (`sni relay-1.net.anydesk.com matches anydesk.com (signatures.catalogue:36)`). Wire
    /// bytes are shown printable only.
    func match(_ what: String, _ value: [UInt8]) -> String {
        "\(what) \(DeviceRecordWriter.printable(value)) matches \(pattern) (\(origin))"
    }
}

/// What a signature matches, and the `identified_by` a match reports.
public enum SignatureKind: String, CaseIterable, Sendable {
    /// A DNS name and its subdomains (`anydesk.com` matches `relay-1.net.anydesk.com`), or a
    /// glob with `*` matched against the whole name (`derp*.tailscale.com`). Matched against
    /// TLS/QUIC SNI, DNS questions, HTTP Host headers and names from the DNS cache.
    case domain
    /// A case-insensitive substring of a certificate's subject or issuer as farmwatch writes
    /// it (`CN=AnyDesk Client`, `O=philandro Software GmbH`).
    case cert
    /// A prefix of a ClientHello ALPN protocol (`anydesk/`), byte for byte.
    case alpn
    /// A whole JA4 TLS client fingerprint.
    case ja4
    /// `tcp/3389`, `udp/47998-48000`: a hint only, never enough for `protocols`.
    case port
    /// A device host name from DHCP, mDNS, LLMNR or NBNS, as a case-insensitive glob over the
    /// whole name without `.local` (`pikvm`, `jetkvm-*`).
    case hostname
    /// An mDNS/DNS-SD service type a device announces (`_pikvm._tcp`).
    case mdnsService = "mdns-service"
    /// A case-insensitive substring of an HTML `<title>` served by the flow's server.
    case httpTitle = "http-title"
    /// A MAC address prefix in hex digits (`30:52:53`, or `04:C9:8B:1` for a 28-bit block).
    case oui
    /// The server's address in a network (`37.252.224.0/19`, `2606:4700:100::/48`, or one
    /// address): a vendor's own ranges.
    case ip

    /// Whether matching ignores ASCII case (ALPN and JA4 are compared byte for byte).
    var caseInsensitive: Bool { self != .alpn && self != .ja4 }

    /// How sure a match of this kind is, unless the line says otherwise.
    var defaultConfidence: Confidence {
        switch self {
        case .domain, .cert, .alpn, .mdnsService, .httpTitle: return .high
        case .ja4, .hostname, .ip: return .medium
        case .port, .oui: return .low
        }
    }
}
