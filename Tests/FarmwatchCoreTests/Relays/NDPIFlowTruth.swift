import Foundation
@testable import FarmwatchCore

/// nDPI's own per-flow results for a corpus capture (expected/<capture>.out, the file its
/// regression test checks): each flow's endpoints, the protocol names it reports at DPI
/// confidence, and the STUN/TURN addresses it prints. Used to compare farmwatch per flow.
struct NDPIFlow {
    let key: String
    /// "Master.App" as nDPI prints it, e.g. "STUN.SignalVoip", "GTP:79/IPSec" reduced to "IPSec".
    let protocolName: String
    let byDPI: Bool
    let mapped: String?
    let peer: String?
    let relayed: String?

    /// The farmwatch families nDPI's name stands for, among those relays dissect.
    var relayFamilies: Set<String> {
        var out: Set<String> = []
        for part in protocolName.split(separator: ".") {
            switch part {
            case "WireGuard": out.insert("wireguard")
            case "OpenVPN": out.insert("openvpn")
            case "IPSec": out.insert("ipsec")
            case "STUN": out.insert("stun")
            case "Tailscale": out.insert("tailscale")
            default: break
            }
        }
        return out
    }

    static func load(_ capture: String) throws -> [NDPIFlow] {
        let corpus = try TestEnvironment.requireCorpus()
        let name = (capture as NSString).lastPathComponent
        let text = try String(contentsOf: corpus.appendingPathComponent("expected/\(name).out"), encoding: .utf8)
        let line = try NSRegularExpression(pattern: #"^\s+\d+\s+(\S+)\s+(\S+)\s+<?->\s+(\S+)\s+(?:\[VLAN: \d+\])?\[proto: (?:[^\]:]+:)?[\d.]+/([^\]]+)\].*?\[Confidence: ([^\]]+)\]"#,
                                             options: [.anchorsMatchLines])
        var out: [NDPIFlow] = []
        for l in text.split(separator: "\n").map(String.init) {
            let ns = l as NSString
            guard let m = line.firstMatch(in: l, range: NSRange(location: 0, length: ns.length)) else { continue }
            let g = { (i: Int) in ns.substring(with: m.range(at: i)) }
            out.append(NDPIFlow(key: flowKey(g(1).lowercased(), g(2), g(3)), protocolName: g(4),
                                byDPI: g(5).hasPrefix("DPI"),
                                mapped: field("Mapped IP/Port", in: l), peer: field("Peer IP/Port", in: l),
                                relayed: field("Relayed IP/Port", in: l)))
        }
        return out
    }

    private static func field(_ name: String, in line: String) -> String? {
        guard let r = line.range(of: "[\(name): ") else { return nil }
        let rest = line[r.upperBound...]
        return rest.firstIndex(of: "]").map { String(rest[..<$0]) }
    }

    /// A conversation key independent of direction: "proto a:port b:port", endpoints sorted.
    static func flowKey(_ proto: String, _ x: String, _ y: String) -> String {
        let (a, b) = x <= y ? (x, y) : (y, x)
        return "\(proto) \(a) \(b)"
    }

    static func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
        address.isV4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }

    static func key(of f: FlowState) -> String {
        let proto: String
        switch f.key.proto {
        case IPProto.tcp: proto = "tcp"
        case IPProto.udp: proto = "udp"
        case IPsecDissector.espProtocol: proto = "esp"
        case IPsecDissector.ahProtocol: proto = "ah"
        default: proto = "\(f.key.proto)"
        }
        return flowKey(proto, endpoint(f.originatorAddress, f.originatorPort), endpoint(f.responderAddress, f.responderPort))
    }
}

/// The relay families farmwatch recognised on one flow (from `protocols`).
func relayFamilies(_ f: FlowState) -> Set<String> {
    let names: Set<String> = ["wireguard", "openvpn", "ipsec", "stun", "turn", "tailscale", "zerotier"]
    return Set((f.metadata?.protocols ?? []).map(\.family.rawValue)).intersection(names)
}
