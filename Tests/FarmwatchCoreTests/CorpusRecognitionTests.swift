import XCTest
@testable import FarmwatchCore

/// Issue 4's accuracy contract on the corpus: per capture, the families farmwatch puts in
/// `protocols` (over all flows) against the capture's labels from the peers' own results; then
/// flow by flow against nDPI's expected output.
final class CorpusRecognitionTests: XCTestCase {
    /// The label vocabulary of the corpus (MANIFEST.tsv); families outside it (http, kvm,
    /// logmein ...) are farmwatch's alone and not scored here.
    static let labelled: Set<String> = [
        "rdp", "vnc", "teamviewer", "anydesk", "rustdesk", "chrome-remote-desktop", "splashtop", "screenconnect",
        "parsec", "nomachine", "ssh", "wireguard", "openvpn", "ipsec", "tor", "socks", "http-connect", "stun",
        "turn", "tailscale", "zerotier", "tls", "quic", "dns", "dhcp", "mdns",
    ]

    private func analyse(_ path: String) throws -> [FlowState] {
        let context = DissectorContext(signatures: SignatureMatcher(try SignatureCatalogue.builtIn()))
        return try analyzeCapture(path, dissectors: StandardDissectors(context: context)).flows
    }

    func testCaptureLevelPrecisionAndRecallPerFamily() throws {
        let corpus = try TestEnvironment.requireCorpus()
        var held: [String: Int] = [:], tp: [String: Int] = [:], fp: [String: Int] = [:]
        var misses: [String] = [], falses: [String] = [], labelGaps: [String] = []
        let tshark = TestEnvironment.which("tshark")
        for (path, labels) in try TestEnvironment.corpusCaptures() {
            let flows = try analyse(corpus.appendingPathComponent(path).path)
            let found = Set(flows.flatMap { $0.metadata?.protocols.map(\.family.rawValue) ?? [] })
                .intersection(Self.labelled)
            let truth = Set(labels).intersection(Self.labelled)
            for f in truth {
                held[f, default: 0] += 1
                if found.contains(f) { tp[f, default: 0] += 1 } else { misses.append("miss  \(f)  \(path)") }
            }
            for f in found.subtracting(truth) {
                // The labels list what the peer's own test reported, not everything a capture
                // holds (FoxIO's JA4 captures are labelled by their JA4 subject only): a family
                // tshark also dissects in the capture is a gap in the label, not a false positive.
                if let tshark, let filter = Self.tsharkFilter[f],
                   let frames = try? TestEnvironment.run(tshark, ["-r", corpus.appendingPathComponent(path).path,
                                                                  "-Y", filter]),
                   !frames.isEmpty {
                    labelGaps.append("label gap (tshark sees \(filter)) \(f)  \(path)")
                    continue
                }
                fp[f, default: 0] += 1
                falses.append("false \(f)  \(path)")
            }
        }
        var table = "family                  held   tp   fp precision recall\n"
        var failing: [String] = []
        for f in Self.labelled.sorted() where held[f, default: 0] + fp[f, default: 0] > 0 {
            let h = held[f, default: 0], t = tp[f, default: 0], p = fp[f, default: 0]
            let precision = t + p == 0 ? 1 : Double(t) / Double(t + p)
            let recall = h == 0 ? 1 : Double(t) / Double(h)
            table += f.padding(toLength: 22, withPad: " ", startingAt: 0)
                + String(format: "%6d %4d %4d %9.2f %6.2f\n", h, t, p, precision, recall)
            if precision < 0.95 || recall < 0.95 { failing.append(f) }
        }
        print(table + (misses + falses + labelGaps).joined(separator: "\n"))
        XCTAssertEqual(failing, Self.knownShortfalls, "families below 0.95 precision or recall:\n\(table)")
    }

    /// tshark display filters for families tshark dissects, to check a family the labels lack.
    static let tsharkFilter: [String: String] = [
        "dns": "dns", "tls": "tls.handshake", "stun": "stun", "quic": "quic", "ssh": "ssh", "dhcp": "dhcp",
        "mdns": "mdns", "rdp": "rdp", "vnc": "vnc", "socks": "socks", "openvpn": "openvpn", "wireguard": "wg",
    ]

    /// Families below the 0.95 target on this corpus (none since scrambled OpenVPN is named
    /// from its opcode pattern); a family listed here must be explained by the test's output.
    static let knownShortfalls: [String] = []

    func testFlowLevelAgreementWithNDPI() throws {
        let corpus = try TestEnvironment.requireCorpus()
        var agree: [String: Int] = [:], total: [String: Int] = [:]
        for (path, _) in try TestEnvironment.corpusCaptures() where path.hasPrefix("pcaps/ndpi__") {
            let name = (path as NSString).lastPathComponent
            let expected = corpus.appendingPathComponent("expected/\(name).out")
            guard let text = try? String(contentsOf: expected, encoding: .utf8) else { continue }
            let flows = try analyse(corpus.appendingPathComponent(path).path)
            var byKey: [String: Set<String>] = [:]
            for f in flows {
                let key = Self.key(f.key.proto, f.originatorAddress.description, f.originatorPort,
                                   f.responderAddress.description, f.responderPort)
                byKey[key, default: []].formUnion(f.metadata?.protocols.map(\.family.rawValue) ?? [])
            }
            for line in text.split(separator: "\n") {
                guard let (key, families) = Self.ndpiLine(line) else { continue }
                for family in families {
                    total[family, default: 0] += 1
                    if byKey[key]?.contains(family) == true { agree[family, default: 0] += 1 }
                }
            }
        }
        var report = "nDPI flow-level agreement (flows nDPI names with the family → farmwatch names it too)\n"
        var sumAgree = 0, sum = 0
        for f in total.keys.sorted() {
            let a = agree[f, default: 0], t = total[f, default: 0]
            sumAgree += a; sum += t
            report += f.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%5d / %5d  %.2f\n", a, t, Double(a) / Double(t))
        }
        report += String(format: "all                   %5d / %5d  %.2f\n", sumAgree, sum, Double(sumAgree) / Double(max(sum, 1)))
        print(report)
        XCTAssertGreaterThan(sum, 500, "the nDPI expected files were read")
        XCTAssertGreaterThanOrEqual(Double(sumAgree) / Double(sum), Self.flowAgreementFloor, report)
    }

    /// 0.87 when this test was written (741 of 848 flows): every remote-control and relay family
    /// agrees on every flow; the gap is TLS seen mid-connection (no handshake in the capture),
    /// which nDPI guesses from record framing. A drop below the floor is a regression.
    static let flowAgreementFloor = 0.85

    /// nDPI's names for the families of the label vocabulary, by the last components of its
    /// `proto:` field (`TLS.AnyDesk` → tls + anydesk).
    static let ndpiNames: [String: String] = [
        "TLS": "tls", "DNS": "dns", "QUIC": "quic", "STUN": "stun", "DHCP": "dhcp", "MDNS": "mdns", "SSH": "ssh",
        "RDP": "rdp", "VNC": "vnc", "TeamViewer": "teamviewer", "AnyDesk": "anydesk", "NoMachine": "nomachine",
        "WireGuard": "wireguard", "OpenVPN": "openvpn", "IPSec": "ipsec", "Tor": "tor", "SOCKS": "socks",
        "HTTP_Connect": "http-connect", "Tailscale": "tailscale",
    ]

    static func key(_ proto: UInt8, _ a: String, _ ap: UInt16, _ b: String, _ bp: UInt16) -> String {
        let x = "\(a)|\(ap)", y = "\(b)|\(bp)"
        return "\(proto)|" + (x < y ? "\(x)|\(y)" : "\(y)|\(x)")
    }

    /// `\t1\tTCP 10.0.0.1:1234 <-> 1.2.3.4:443 [proto: 91.252/TLS.AnyDesk]...` → key, families
    /// (`->` for a flow nDPI saw one way only).
    static func ndpiLine(_ line: Substring) -> (String, [String])? {
        let parts = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard parts.count >= 5, parts[2] == "<->" || parts[2] == "->", let protoEnd = line.range(of: "[proto: ") else { return nil }
        let proto: UInt8
        switch parts[0].split(separator: "\t").last {
        case "TCP": proto = IPProto.tcp
        case "UDP": proto = IPProto.udp
        default: return nil
        }
        func endpoint(_ s: Substring) -> (String, UInt16)? {
            guard let colon = s.lastIndex(of: ":"), let port = UInt16(s[s.index(after: colon)...]) else { return nil }
            var host = s[..<colon]
            if host.first == "[" { host = host.dropFirst().dropLast() }
            return (String(host), port)
        }
        guard let a = endpoint(parts[1]), let b = endpoint(parts[3]) else { return nil }
        let rest = line[protoEnd.upperBound...]
        guard let close = rest.firstIndex(of: "]"), let slash = rest[..<close].firstIndex(of: "/") else { return nil }
        let names = rest[rest.index(after: slash)..<close].split(separator: ".")
        let families = Array(Set(names.compactMap { ndpiNames[String($0)] }))
        guard !families.isEmpty else { return nil }
        return (key(proto, a.0, a.1, b.0, b.1), families)
    }
}
