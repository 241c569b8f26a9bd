import XCTest

@testable import FarmwatchCore

/// The corpus's two CAPWAP captures (wireless clients seen at the controller, inside the
/// access points' data channel) against tshark, which opens CAPWAP itself: the clients'
/// DHCP host names and TLS server names, on the inner endpoints, inside the same outer ones.
final class CAPWAPCorpusTests: XCTestCase {
    struct Seen: Hashable, CustomStringConvertible {
        let name: String, innerSrc: String, innerDst: String, innerDstPort: String, outerSrc: String, outerDst: String
        var description: String { "\(name) \(innerSrc)→\(innerDst):\(innerDstPort) in \(outerSrc)→\(outerDst)" }
    }

    /// tshark's values for the frames `filter` selects: `name`, then the innermost addresses
    /// and destination port, then the outermost addresses.
    func tsharks(_ tshark: String, _ path: String, filter: String, name: String, port: String) throws -> Set<Seen> {
        let inner = try TestEnvironment.run(tshark, ["-n", "-r", path, "-Y", filter, "-T", "fields", "-E", "occurrence=l",
                                                      "-e", name, "-e", "ip.src", "-e", "ip.dst", "-e", port])
        let outer = try TestEnvironment.run(tshark, ["-n", "-r", path, "-Y", filter, "-T", "fields", "-E", "occurrence=f",
                                                      "-e", "ip.src", "-e", "ip.dst"])
        var out: Set<Seen> = []
        for (i, o) in zip(inner.split(separator: "\n"), outer.split(separator: "\n")) {
            let a = i.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let b = o.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard a.count == 4, b.count == 2 else { continue }
            out.insert(Seen(name: a[0], innerSrc: a[1], innerDst: a[2], innerDstPort: a[3], outerSrc: b[0], outerDst: b[1]))
        }
        return out
    }

    func seen(_ f: FlowState, _ name: String) -> Seen {
        XCTAssertEqual(f.key.tunnel, .capwap)
        return Seen(name: name, innerSrc: f.originatorAddress.description, innerDst: f.responderAddress.description,
                    innerDstPort: String(f.responderPort), outerSrc: f.outerSrc.description, outerDst: f.outerDst.description)
    }

    func capture(_ name: String) throws -> (path: String, tshark: String) {
        let corpus = try TestEnvironment.requireCorpus()
        let tshark = try TestEnvironment.requireTool("tshark")
        let path = corpus.appendingPathComponent("pcaps/" + name).path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(name) is not in the corpus") }
        return (path, tshark)
    }

    func testDHCPHostNamesInsideCAPWAPAgreeWithTshark() throws {
        let (path, tshark) = try capture("ndpi__capwap.pcap")
        let theirs = try tsharks(tshark, path, filter: "dhcp && capwap.data", name: "dhcp.option.hostname", port: "udp.dstport")
        let run = try analyzeCapture(path, dissectors: StandardDissectors(context: DissectorContext()))
        var ours: Set<Seen> = []
        for f in run.flows {
            guard let facts = f.metadata?.facts(StandardDissectors.dhcpSlot, as: DHCPFacts.self) else { continue }
            for t in facts.transactions { if let h = t.hostName { ours.insert(seen(f, h.text)) } }
        }
        XCTAssertFalse(theirs.isEmpty)
        XCTAssertEqual(ours, theirs)
        XCTAssertEqual(run.stats.decodeErrorTotal, 0)
    }

    func testTLSServerNamesInsideCAPWAPAgreeWithTshark() throws {
        let (path, tshark) = try capture("ndpi__capwap_data.pcapng")
        let theirs = try tsharks(tshark, path, filter: "tls.handshake.type == 1 && capwap.data",
                                 name: "tls.handshake.extensions_server_name", port: "tcp.dstport")
        let run = try analyzeCapture(path, dissectors: StandardDissectors(context: DissectorContext()))
        var ours: Set<Seen> = []
        for f in run.flows {
            guard let name = f.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self)?.clientHello?.serverName
            else { continue }
            ours.insert(seen(f, String(decoding: name, as: UTF8.self)))
        }
        XCTAssertFalse(theirs.isEmpty)
        XCTAssertEqual(ours, theirs)
        XCTAssertEqual(run.stats.decodeErrorTotal, 0)
    }
}
