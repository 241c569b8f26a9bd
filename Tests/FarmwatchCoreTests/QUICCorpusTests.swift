import Foundation
import XCTest
@testable import FarmwatchCore

/// The QUIC dissector on every corpus capture labelled `quic`: the server names it reads from
/// decrypted client Initials against tshark's (`tls.handshake.extensions_server_name`, from
/// Wireshark's own Initial decryption) per UDP address/port pair, every real Initial opened,
/// and FoxIO's `q` JA4 values (Rust snapshots) all produced for their streams.
final class QUICCorpusTests: XCTestCase {
    /// A UDP address/port pair, ordered by (address text, port).
    struct Pair: Hashable, Comparable, CustomStringConvertible {
        var a: String, aPort: Int, b: String, bPort: Int

        init(_ x: String, _ xPort: Int, _ y: String, _ yPort: Int) {
            if (y, yPort) < (x, xPort) { (a, aPort, b, bPort) = (y, yPort, x, xPort) } else { (a, aPort, b, bPort) = (x, xPort, y, yPort) }
        }

        static func < (l: Pair, r: Pair) -> Bool { l.description < r.description }
        var description: String { "\(a):\(aPort) <-> \(b):\(bPort)" }
    }

    static func quicCaptures() throws -> [(path: String, relative: String)] {
        let corpus = try TestEnvironment.requireCorpus()
        return try TestEnvironment.corpusCaptures().filter { $0.labels.contains("quic") }
            .map { (corpus.appendingPathComponent($0.path).path, $0.path) }
    }

    /// Our QUIC facts per pair (flows of one pair summed: port reuse splits them).
    static func ours(_ path: String) throws -> [Pair: [QUICFacts]] {
        var out: [Pair: [QUICFacts]] = [:]
        for f in try analyzeCapture(path, dissectors: StandardDissectors()).flows where f.key.proto == IPProto.udp {
            guard let q = f.metadata?.facts(StandardDissectors.quicSlot, as: QUICFacts.self) else { continue }
            out[Pair(f.originatorAddress.description, Int(f.originatorPort), f.responderAddress.description, Int(f.responderPort)),
                default: []].append(q)
        }
        return out
    }

    /// The server names in the QUIC ClientHellos tshark decrypts, per pair. The last value of
    /// a repeated address field is the innermost header's.
    static func tsharks(_ tshark: String, _ path: String) throws -> [Pair: Set<String>] {
        let text = try TestEnvironment.run(tshark, ["-n", "-r", path, "-Y", "quic && tls.handshake.type == 1", "-T", "fields",
                                                    "-E", "separator=/t", "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport",
                                                    "-e", "ip.dst", "-e", "ipv6.dst", "-e", "udp.dstport",
                                                    "-e", "tls.handshake.extensions_server_name"])
        var out: [Pair: Set<String>] = [:]
        for line in text.split(separator: "\n") {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map { String($0.split(separator: ",").last ?? "") }
            guard c.count >= 7, let sp = Int(c[2]), let dp = Int(c[5]) else { continue }
            let pair = Pair(c[0].isEmpty ? c[1] : c[0], sp, c[3].isEmpty ? c[4] : c[3], dp)
            let names = line.split(separator: "\t", omittingEmptySubsequences: false)[6].split(separator: ",").map(String.init)
            out[pair, default: []].formUnion(names)
        }
        return out
    }

    func testServerNamesAgreeWithTshark() throws {
        let tshark = try TestEnvironment.requireTool("tshark")
        var pairs = 0
        var differences: [String] = []
        for (path, rel) in try Self.quicCaptures() {
            let mine = try Self.ours(path).mapValues { Set($0.compactMap { $0.serverName.map { String(decoding: $0, as: UTF8.self) } }) }
                .filter { !$0.value.isEmpty }
            let theirs = try Self.tsharks(tshark, path).filter { !$0.value.isEmpty }
            for pair in Set(mine.keys).union(theirs.keys).sorted() {
                pairs += 1
                let m = mine[pair] ?? [], t = theirs[pair] ?? []
                if m != t { differences.append("\(rel): \(pair) farmwatch \(m.sorted()) tshark \(t.sorted())") }
            }
        }
        print("QUIC server names vs tshark: \(pairs - differences.count)/\(pairs) UDP pairs agree")
        for d in differences { print("  DIFFERENT: \(d)") }
        XCTAssertEqual(differences, [])
        XCTAssertGreaterThan(pairs, 100)
    }

    /// Real clients' Initials all open: on these captures every QUIC flow whose version has
    /// TLS in its Initials was decrypted, and none counts a parse error (an error here would
    /// be farmwatch misreading real traffic, not hostile input).
    func testEveryRealClientInitialOpens() throws {
        var versions: [String: Int] = [:]
        var problems: [String] = []
        for (path, rel) in try Self.quicCaptures() {
            for f in try analyzeCapture(path, dissectors: StandardDissectors()).flows {
                guard let q = f.metadata?.facts(StandardDissectors.quicSlot, as: QUICFacts.self) else { continue }
                versions[q.version.name, default: 0] += 1
                let errors = f.metadata?.parseErrors ?? 0
                if errors > 0 || (!q.version.initialSalts.isEmpty && !q.decrypted) {
                    problems.append("\(rel): \(f.originatorAddress):\(f.originatorPort) → \(f.responderAddress):\(f.responderPort) "
                                    + "version \(q.version.name) decrypted \(q.decrypted) parse errors \(errors)")
                }
            }
        }
        print("QUIC flows by version: " + versions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        for p in problems { print("  PROBLEM: \(p)") }
        XCTAssertEqual(problems, [])
        XCTAssertGreaterThan(versions.values.reduce(0, +), 100)
    }

    /// FoxIO's Rust snapshots: every `q` JA4 is produced for its stream's UDP pair.
    func testQUICJA4MatchesFoxIOSnapshots() throws {
        let corpus = try TestEnvironment.requireCorpus()
        var expected = 0, matched = 0
        var missing: [String] = []
        for (path, rel) in try Self.quicCaptures() where rel.hasPrefix("ja4/") {
            let name = (rel as NSString).lastPathComponent
            let snap = corpus.appendingPathComponent("ja4/expected/\(name).rust-insta.snap")
            guard let text = try? String(contentsOf: snap, encoding: .utf8) else { continue }
            let mine = try Self.ours(path).mapValues { Set($0.compactMap(\.ja4)) }
            for stream in Self.snapshotStreams(text) {
                guard let ja4 = stream["ja4"], ja4.hasPrefix("q"), let src = stream["src"], let dst = stream["dst"],
                      let sp = stream["src_port"].flatMap(Int.init), let dp = stream["dst_port"].flatMap(Int.init) else { continue }
                expected += 1
                let pair = Pair(src, sp, dst, dp)
                if mine[pair]?.contains(ja4) == true {
                    matched += 1
                } else {
                    missing.append("\(rel): \(pair) expected \(ja4), farmwatch \(mine[pair].map { $0.sorted() } ?? [])")
                }
            }
        }
        print("QUIC JA4 vs FoxIO snapshots: \(matched)/\(expected)")
        for m in missing { print("  MISSING: \(m)") }
        XCTAssertEqual(missing, [])
        XCTAssertGreaterThan(expected, 0)
    }

    /// The `- stream:` entries of an insta YAML snapshot as flat key/value maps.
    static func snapshotStreams(_ text: String) -> [[String: String]] {
        var streams: [[String: String]] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("- stream:") { streams.append([:]) }
            guard !streams.isEmpty, let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "- "))
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            streams[streams.count - 1][key] = value
        }
        return streams
    }
}
