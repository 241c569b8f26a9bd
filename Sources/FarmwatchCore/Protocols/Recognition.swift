/// The families farmwatch names in a flow's `protocols` list. The vocabulary is a contract
/// with evaluation scripts and SIEM rules: names are only ever added, never renamed.
public enum Family: String, CaseIterable, Sendable {
    case rdp, vnc, teamviewer, anydesk, rustdesk
    case chromeRemoteDesktop = "chrome-remote-desktop"
    case splashtop, screenconnect, parsec, nomachine, radmin
    case zohoAssist = "zoho-assist"
    case logmein
    case quickAssist = "quick-assist"
    case meshcentral, todesk, sunlogin, ultraviewer, moonlight, ssh
    case wireguard, openvpn, ipsec, tor, socks
    case httpConnect = "http-connect"
    case stun, turn, tailscale, zerotier
    case cloudflareWarp = "cloudflare-warp"
    case kvm, tls, quic, dns, dhcp, mdns, http

    /// Tools that let someone drive a desktop (ATT&CK T1219 remote access software and
    /// T1219.003 hardware), as opposed to the transports and relays that carry them.
    public var isRemoteControl: Bool {
        switch self {
        case .rdp, .vnc, .teamviewer, .anydesk, .rustdesk, .chromeRemoteDesktop, .splashtop, .screenconnect,
             .parsec, .nomachine, .radmin, .zohoAssist, .logmein, .quickAssist, .meshcentral, .todesk,
             .sunlogin, .ultraviewer, .moonlight, .kvm:
            return true
        default:
            return false
        }
    }

    /// Hops that carry someone else's traffic: VPNs, proxies, overlay networks and media relays.
    public var isRelay: Bool {
        switch self {
        case .wireguard, .openvpn, .ipsec, .tor, .socks, .httpConnect, .turn, .tailscale, .zerotier,
             .cloudflareWarp:
            return true
        default:
            return false
        }
    }
}

/// How a recognition was made (`identified_by`), strongest evidence first.
public enum IdentifiedBy: String, Sendable {
    /// The protocol's own bytes, parsed and validated by its dissector.
    case payload
    case tlsALPN = "tls-alpn"
    case tlsCert = "tls-cert"
    case sni
    /// A name in the flow's own cleartext: a DNS question or an HTTP Host header.
    case dnsQuery = "dns-query"
    case httpHost = "http-host"
    case httpTitle = "http-title"
    /// The server address was resolved from a catalogued name earlier in the capture.
    case dnsCache = "dns-cache"
    case mdns, dhcp, oui
    case ja4
    case ipList = "ip-list"
    /// A well-known port and nothing else: reported, never enough for `protocols`.
    case portHint = "port-hint"
    /// What a device's traffic did rather than what it is called (STUN at boot, a video stream
    /// out): supporting evidence on `device` records' `kvm`, never on a flow's `protocols`.
    case trafficShape = "traffic-shape"
}

public enum Confidence: UInt8, Comparable, Sendable {
    case low = 1, medium, high

    public var name: StaticString {
        switch self {
        case .low: return "low"
        case .medium: return "medium"
        case .high: return "high"
        }
    }

    public static func < (a: Confidence, b: Confidence) -> Bool { a.rawValue < b.rawValue }
}

/// Where a family sits in a flow's stack: `protocols` lists a flow's families outermost
/// first, e.g. `socks, rdp, tls` or `tls, anydesk`.
public enum Layer {
    /// A hop that carries another protocol inside it (SOCKS, HTTP CONNECT, a VPN).
    public static let relay: UInt8 = 10
    /// A session protocol found by its own framing (RDP's X.224, RFB, SSH, DNS ...).
    public static let session: UInt8 = 20
    /// Transport security inside or instead of the session protocol (TLS, QUIC).
    public static let security: UInt8 = 30
    /// The application named by what the flow carries (SNI, certificates, ALPN, names).
    public static let application: UInt8 = 40
}

/// One family recognised on a flow: how it was recognised, how sure that is and, for
/// catalogue matches, what matched (e.g. `sni relay-1a2b3c4d.net.anydesk.com`).
public struct Recognition {
    public var family: Family
    public var identifiedBy: IdentifiedBy
    public var confidence: Confidence
    public var layer: UInt8
    public var evidence: String?

    public init(family: Family, identifiedBy: IdentifiedBy, confidence: Confidence, layer: UInt8,
                evidence: String? = nil) {
        self.family = family
        self.identifiedBy = identifiedBy
        self.confidence = confidence
        self.layer = layer
        self.evidence = evidence
    }

    /// Recognised from the protocol's own bytes, parsed and validated by its dissector.
    public static func payload(_ family: Family, layer: UInt8 = Layer.session) -> Recognition {
        Recognition(family: family, identifiedBy: .payload, confidence: .high, layer: layer)
    }

    /// Enough to enter `protocols`: anything but a bare port.
    public var isProtocol: Bool { identifiedBy != .portHint }
}
