/// The kinds of hop that carry someone else's session, as findings name them (`relay.kind`).
public enum RelayKind: String, Sendable {
    case socks
    case httpConnect = "http-connect"
    case turn
    /// An SSH connection that carries a forwarded session: the host's own outbound SSH with
    /// the screen updates flowing out of it (a reverse tunnel), or a local jump host.
    case sshReverse = "ssh-reverse"
    case sshJump = "ssh-jump"
    case vpn
    case tor
    /// A Microsoft RD Gateway: RDP reaches the driven host through it (MS-TSGU).
    case rdGateway = "rd-gateway"
    /// An address on a user's list of VPN exits, proxies or Tor exits.
    case listedExit = "listed-exit"
    /// A hop shown only by latency: the session's peer answers the TCP handshake far sooner
    /// than the application, so something terminates TCP in front of the controller (a proxy
    /// or tunnel whose own protocol the sensor does not see).
    case unidentified

    /// The family on a flow that makes its responder a relay of this kind.
    init?(family: Family) {
        switch family {
        case .socks: self = .socks
        case .httpConnect: self = .httpConnect
        case .turn: self = .turn
        case .tor: self = .tor
        case .wireguard, .openvpn, .ipsec, .tailscale, .zerotier, .cloudflareWarp: self = .vpn
        default: return nil
        }
    }

    /// Relays that end the application protocol themselves (tunnels and media relays): the
    /// opening handshake measures the relay, only the interactive turnaround the controller.
    var terminatesApplication: Bool {
        switch self {
        case .vpn, .tor, .turn, .sshReverse, .listedExit: return true
        case .socks, .httpConnect, .sshJump, .unidentified, .rdGateway: return false
        }
    }
}

/// Facts of a relay protocol that name the relay's far side (a SOCKS target, an HTTP CONNECT
/// authority, a TURN peer address). A dissector's facts conform to be read here.
public protocol RelayTargetFacts: FlowFacts {
    /// The far side as the protocol named it ("203.0.113.9:3389", "host.example:443").
    var relayFarSide: String? { get }
}

extension HTTPFacts: RelayTargetFacts {
    public var relayFarSide: String? {
        transactions.first(where: \.isConnect)?.connectTarget.map { String(decoding: $0, as: UTF8.self) }
    }
}

extension SOCKSFacts: RelayTargetFacts {
    /// The CONNECT or BIND request's target (the host the proxy was asked to reach).
    public var relayFarSide: String? {
        guard let target else { return nil }
        let host: String
        switch target {
        case .ipv4(let a): host = a.description
        case .ipv6(let a): host = "[\(a)]"
        case .domain(let name): host = String(decoding: name, as: UTF8.self)
        }
        return targetPort.map { "\(host):\($0)" } ?? host
    }
}

extension STUNFacts: RelayTargetFacts {
    /// The first peer the client told the TURN server to relay to or from (XOR-PEER-ADDRESS
    /// of CreatePermission, ChannelBind or Send): the far side of the relay. The relayed
    /// address is the relay's own port, not a far side.
    public var relayFarSide: String? { peerAddresses.first?.description }
}

/// Facts that make a flow's responder a relay although the flow's family is not a relay's (an
/// RD Gateway's flow is RDP, carried for a host behind it).
public protocol RelayHopFacts: FlowFacts {
    var relayKind: RelayKind? { get }
}

/// One relay a flow runs through.
public struct RelayHop: Equatable {
    public var address: IPAddress
    public var kind: RelayKind
    /// The far side, when the protocol names it.
    public var farSide: String?
    public var uid: String
}

enum RelayEvidence {
    /// The relay the flow's responder is, from the flow's recognised families (outermost first).
    static func hop(in f: FlowState, uid: String) -> RelayHop? {
        guard let m = f.metadata else { return nil }
        guard let kind = m.protocols.lazy.compactMap({ RelayKind(family: $0.family) }).first
            ?? m.firstOfFacts({ ($0 as? RelayHopFacts)?.relayKind }) else { return nil }
        let farSide = m.firstOfFacts { ($0 as? RelayTargetFacts)?.relayFarSide }
        return RelayHop(address: f.responderAddress, kind: kind, farSide: farSide, uid: uid)
    }

    /// The address part of a far side ("203.0.113.9:3389", "[2001:db8::1]:22", "203.0.113.9").
    static func farSideAddress(_ text: String) -> IPAddress? {
        if let a = IPAddress(text) { return a }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            return IPAddress(String(text[text.index(after: text.startIndex)..<close]))
        }
        if let colon = text.lastIndex(of: ":") { return IPAddress(String(text[..<colon])) }
        return nil
    }
}
