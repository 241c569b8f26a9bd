import Foundation
import XCTest
@testable import FarmwatchCore

/// tshark's dissection of the name-service frames of one capture: read from a fixture's
/// .truth.json sidecar (scripts/names/truth.py) or made by running the same tshark command
/// on a corpus capture, so fixture and corpus tests share one comparison.
struct NameTruth {
    /// Keep in step with FIELDS in scripts/names/truth.py.
    static let fields = [
        "frame.number", "frame.protocols", "_ws.malformed",
        "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
        "dns.id", "dns.flags.response", "dns.flags.rcode", "dns.count.answers", "dns.count.auth_rr", "dns.count.add_rr",
        "dns.qry.name", "dns.qry.type",
        "dns.a", "dns.aaaa", "dns.cname", "dns.ptr.domain_name", "dns.srv.target", "dns.srv.port", "dns.txt",
        "dns.resp.name", "dns.resp.type", "dns.resp.ttl", "dns.svcb.svcparam.alpn", "dns.svcb.svcparam.ipv4hint.ip",
        "dhcp.hw.mac_addr", "dhcp.option.dhcp", "dhcp.option.hostname", "dhcp.option.vendor_class_id",
        "dhcp.option.request_list_item", "dhcp.fqdn.name", "dhcp.option.requested_ip_address", "dhcp.ip.your",
        "dhcpv6.msgtype", "dhcpv6.client_domain",
        "nbns.name", "ssdp", "http.server", "http.location",
    ]

    struct Frame {
        let fields: [String: [String]]

        func values(_ name: String) -> [String] { fields[name] ?? [] }
        func first(_ name: String) -> String? { fields[name]?.first }
        var number: Int { Int(first("frame.number") ?? "") ?? 0 }
        var protocols: [Substring] { (first("frame.protocols") ?? "").split(separator: ":") }
        func carries(_ proto: String) -> Bool { protocols.contains(Substring(proto)) }
        var malformed: Bool { fields["_ws.malformed"] != nil }

        /// The innermost addresses and ports (tunnelled frames list the outer ones first).
        var pair: PairKey? {
            let src = values("ipv6.src").last ?? values("ip.src").last
            let dst = values("ipv6.dst").last ?? values("ip.dst").last
            let udp = fields["udp.srcport"] != nil && !carries("tcp")
            let sp = (udp ? values("udp.srcport") : values("tcp.srcport")).last.flatMap { Int($0) }
            let dp = (udp ? values("udp.dstport") : values("tcp.dstport")).last.flatMap { Int($0) }
            guard let src, let dst, let sp, let dp else { return nil }
            return PairKey(proto: udp ? "udp" : "tcp", src, sp, dst, dp)
        }
    }

    let frames: [Frame]

    static func sidecar(_ pcapPath: String) throws -> NameTruth {
        let url = URL(fileURLWithPath: String(pcapPath.dropLast(".pcap".count)) + ".truth.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return NameTruth(frames: (json["frames"] as! [[String: [String]]]).map(Frame.init))
    }

    static let protocols = ["dns", "mdns", "llmnr", "nbns", "dhcp", "dhcpv6", "ssdp"]

    /// Runs tshark like truth.py does.
    static func tshark(_ tshark: String, _ capture: String) throws -> NameTruth {
        var args = ["-n", "-r", capture, "-T", "json", "-Y", protocols.joined(separator: " || ")]
        for f in fields { args += ["-e", f] }
        let text = try TestEnvironment.run(tshark, args)
        guard let packets = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            return NameTruth(frames: [])
        }
        var frames: [Frame] = []
        for p in packets {
            guard let layers = (p["_source"] as? [String: Any])?["layers"] as? [String: [String]] else { continue }
            frames.append(Frame(fields: layers))
        }
        return NameTruth(frames: frames)
    }

    struct CorpusRun {
        let path: String
        let truth: NameTruth
        /// The flows any dissector kept something about.
        let flows: [FlowState]
    }

    nonisolated(unsafe) private static var corpusCache: [CorpusRun]?

    /// Every corpus capture with tshark's name-service frames and farmwatch's flows, made
    /// once per test process: tshark over the whole corpus takes minutes, and the DNS, DHCP,
    /// mDNS and device tests all compare against the same runs.
    static func corpusRuns() throws -> [CorpusRun] {
        if let c = corpusCache { return c }
        let corpus = try TestEnvironment.requireCorpus()
        let tsharkPath = try TestEnvironment.requireTool("tshark")
        var runs: [CorpusRun] = []
        for (path, _) in try TestEnvironment.corpusCaptures() {
            let full = corpus.appendingPathComponent(path).path
            let flows = try analyzeCapture(full, dissectors: StandardDissectors()).flows.filter { $0.metadata != nil }
            runs.append(CorpusRun(path: path, truth: try tshark(tsharkPath, full), flows: flows))
        }
        corpusCache = runs
        return runs
    }
}

/// A conversation regardless of direction: (proto, lower endpoint, higher endpoint).
struct PairKey: Hashable, CustomStringConvertible {
    let proto: String
    let a: String, aPort: Int, b: String, bPort: Int

    init(proto: String, _ x: String, _ xp: Int, _ y: String, _ yp: Int) {
        self.proto = proto
        if (x, xp) <= (y, yp) { a = x; aPort = xp; b = y; bPort = yp } else { a = y; aPort = yp; b = x; bPort = xp }
    }

    init(_ f: FlowState) {
        self.init(proto: f.key.proto == IPProto.tcp ? "tcp" : "udp", f.originatorAddress.description, Int(f.originatorPort),
                  f.responderAddress.description, Int(f.responderPort))
    }

    var description: String { "\(proto) \(a):\(aPort) ↔ \(b):\(bPort)" }
}

/// The facts of every flow of a capture that a dissector kept, merged per conversation
/// (timeouts may split one into several flows).
func factsByPair<T: FlowFacts>(_ flows: [FlowState], slot: Int, as type: T.Type) -> [PairKey: [T]] {
    var out: [PairKey: [T]] = [:]
    for f in flows {
        guard let facts = f.metadata?.facts(slot, as: type) else { continue }
        out[PairKey(f), default: []].append(facts)
    }
    return out
}

/// Parse errors counted per conversation.
func parseErrorsByPair(_ flows: [FlowState]) -> [PairKey: UInt32] {
    var out: [PairKey: UInt32] = [:]
    for f in flows { out[PairKey(f), default: 0] += f.metadata?.parseErrors ?? 0 }
    return out
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
