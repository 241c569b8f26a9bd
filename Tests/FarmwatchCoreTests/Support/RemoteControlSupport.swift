import Foundation
import XCTest
@testable import FarmwatchCore

/// Shared by the remote-control dissector tests: flows of a capture with their JSON objects,
/// and the peers' per-flow results (Zeek logs, nDPI's ndpiReader lines) to compare with.
enum RemoteControlSupport {
    /// The flows of one corpus capture (skips when the corpus is absent).
    static func corpusFlows(_ name: String) throws -> [FlowState] {
        let corpus = try TestEnvironment.requireCorpus()
        return try analyzeCapture(corpus.appendingPathComponent("pcaps/" + name).path, dissectors: StandardDissectors()).flows
    }

    /// `catalogue`: with the built-in signature catalogue, as farmwatch runs (certificates and
    /// port hints); without, the dissectors' own recognitions only.
    static func fixtureFlows(_ name: String, catalogue: Bool = false) throws -> [FlowState] {
        let context = catalogue ? DissectorContext(signatures: SignatureMatcher(try SignatureCatalogue.builtIn())) : DissectorContext()
        return try analyzeCapture(TestEnvironment.capture("fixtures/remote-control/" + name),
                                  dissectors: StandardDissectors(context: context)).flows
    }

    /// The families in a flow's `protocols`, outermost first.
    static func protocols(_ f: FlowState) -> [String] {
        f.metadata?.protocols.map(\.family.rawValue) ?? []
    }

    /// The dissectors' part of the flow record, parsed back from the JSON farmwatch writes.
    static func record(_ f: FlowState) -> [String: Any] {
        guard let m = f.metadata else { return [:] }
        let w = JSONWriter(stream: nil)
        w.beginObject(); m.writeJSON(to: w); w.endObject()
        return (try? JSONSerialization.jsonObject(with: Data(w.buffer))) as? [String: Any] ?? [:]
    }

    static func object(_ f: FlowState, _ key: String) -> [String: Any]? { record(f)[key] as? [String: Any] }

    /// The flow whose originator or responder uses `port` (TCP or UDP as asked).
    static func flow(_ flows: [FlowState], port: Int, udp: Bool = false) -> FlowState? {
        flows.first { ($0.key.proto == IPProto.udp) == udp && (Int($0.originatorPort) == port || Int($0.responderPort) == port) }
    }

    /// The rows of a Zeek log from the corpus's expected results, as field → value.
    static func zeekLog(_ capture: String, _ log: String) throws -> [[String: String]] {
        let dir = try TestEnvironment.requireCorpus().appendingPathComponent("expected/" + capture)
        let found = FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String }
            .first { $0.hasSuffix("/" + log) }
        guard let relative = found else { return [] }
        let text = try String(contentsOf: dir.appendingPathComponent(relative), encoding: .utf8)
        var fields: [String] = []
        var rows: [[String: String]] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#fields") {
                fields = line.split(separator: "\t").dropFirst().map(String.init)
            } else if !line.hasPrefix("#") {
                let values = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                rows.append(Dictionary(uniqueKeysWithValues: zip(fields, values)))
            }
        }
        return rows
    }

    /// One flow line of an ndpiReader result: protocol, endpoints and the protocol name.
    struct NDPIFlow: CustomStringConvertible {
        var udp: Bool
        var a: String, aPort: Int, b: String, bPort: Int
        /// "RDP", "TLS.RDP", "TeamViewer" ...
        var proto: String
        var byDPI: Bool
        var description: String { "\(udp ? "UDP" : "TCP") \(a):\(aPort) <-> \(b):\(bPort) \(proto)" }

        func matches(_ f: FlowState) -> Bool {
            guard (f.key.proto == IPProto.udp) == udp else { return false }
            let o = (f.originatorAddress.description, Int(f.originatorPort))
            let r = (f.responderAddress.description, Int(f.responderPort))
            return (o == (a, aPort) && r == (b, bPort)) || (o == (b, bPort) && r == (a, aPort))
        }
    }

    static func ndpiFlows(_ capture: String) throws -> [NDPIFlow] {
        let url = try TestEnvironment.requireCorpus().appendingPathComponent("expected/\(capture).out")
        let text = try String(contentsOf: url, encoding: .utf8)
        var out: [NDPIFlow] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count > 4, parts[1] == "TCP" || parts[1] == "UDP", parts[3] == "<->",
                  let protoRange = line.range(of: "[proto: ") else { continue }
            func endpoint(_ s: Substring) -> (String, Int)? {
                guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]) else { return nil }
                return (String(s[..<colon]), port)
            }
            guard let a = endpoint(parts[2]), let b = endpoint(parts[4]) else { continue }
            let afterProto = line[protoRange.upperBound...]
            guard let end = afterProto.firstIndex(of: "]"), let slash = afterProto[..<end].firstIndex(of: "/") else { continue }
            let name = String(afterProto[afterProto.index(after: slash)..<end])
            out.append(NDPIFlow(udp: parts[1] == "UDP", a: a.0, aPort: a.1, b: b.0, bPort: b.1, proto: name,
                                byDPI: line.contains("[Confidence: DPI")))
        }
        return out
    }
}

/// Bytes written as hex in the tests (copied from tshark's `tcp.payload` of a capture).
func fromHex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2)
        out.append(UInt8(s[i..<j], radix: 16)!)
        i = j
    }
    return out
}
