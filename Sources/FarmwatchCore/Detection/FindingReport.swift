/// The findings part of the readable report: findings first, highest score first, one short
/// paragraph each with the numbers; then a table of remote-control sessions and relays.
public enum FindingReport {
    public static func render(findings: [Finding], sessions: [RemoteSession], relays: [RelayUse],
                              allowedSessions: Int, minSamples: Int, sessionLimit: Int = 30) -> String {
        var out = ""
        if findings.isEmpty {
            out += "Findings: none"
            out += sessions.isEmpty ? " (no remote-control sessions seen)\n" : " above the reporting threshold\n"
        } else {
            out += "Findings: \(findings.count)\n"
            for f in findings {
                var head = "\n  [\(f.severity.name.uppercased()) \(f.score)] \(f.endpoint)"
                if !f.names.isEmpty { head += " (\(f.names.map(DeviceRecordWriter.printable).joined(separator: ", ")))" }
                head += " — \(f.verdict.replacingOccurrences(of: "_", with: " "))"
                if !f.attack.isEmpty { head += "  ATT&CK \(f.attack.joined(separator: ", "))" }
                out += head + "\n"
                out += wrap(f.summary, indent: "    ") + "\n"
                let scored = f.evidence.filter { $0.weight > 0 }
                if !scored.isEmpty {
                    out += wrap("Scored: " + scored.map { "\($0.name) \(valueText($0.value)) (+\(Scoring.num($0.weight)))" }
                        .joined(separator: "; "), indent: "    ") + "\n"
                }
                if let uids = f.evidence.first?.uids, !uids.isEmpty {
                    out += "    Flows: \(uids.prefix(4).joined(separator: ", "))\(uids.count > 4 ? " …" : "")\n"
                }
            }
        }
        if !sessions.isEmpty {
            out += "\nRemote-control sessions\n"
            out += "  " + pad("driven host", 26) + pad("tool", 14) + pad("peer", 26) + pad("relay", 14)
                + pad("transport", 10) + pad("controller", 11) + "duration\n"
            for s in sessions.prefix(sessionLimit) {
                let tool = s.tools.isEmpty ? (s.isShell ? "ssh" : "(tunnelled)") : s.tools.map(\.rawValue).joined(separator: "+")
                out += "  " + pad(s.driven.description, 26) + pad(tool, 14) + pad(s.peer.description, 26)
                    + pad(s.relay?.kind.rawValue ?? "-", 14) + pad(ms(s.latency.transportMs), 10)
                    + pad(ms(s.controllerRTTms(minSamples: minSamples)), 11) + Scoring.minutes(s.durationSeconds) + "\n"
            }
            if sessions.count > sessionLimit { out += "  … and \(sessions.count - sessionLimit) more (--format json has every flow)\n" }
        }
        if allowedSessions > 0 { out += "  Allow-listed sessions (no finding): \(allowedSessions)\n" }
        if !relays.isEmpty {
            out += "\nRelays without remote control\n"
            for r in relays.prefix(sessionLimit) {
                var line = "  " + pad(r.client.description, 26) + "→ " + r.hop.kind.rawValue + " " + r.hop.address.description
                if let far = r.hop.farSide { line += " → " + DeviceRecordWriter.printable(Array(far.utf8)) }
                out += line + "  (\(Scoring.minutes(Double(max(0, r.endNs - r.startNs)) / 1e9)))\n"
            }
            if relays.count > sessionLimit { out += "  … and \(relays.count - sessionLimit) more\n" }
        }
        return out + "\n"
    }

    private static func valueText(_ v: EvidenceItem.Value) -> String {
        switch v {
        case .number(let n): return Scoring.num(n)
        case .text(let s): return s
        }
    }

    private static func ms(_ v: Double?) -> String { v.map { "\(Scoring.num($0)) ms" } ?? "-" }

    private static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }

    /// Words wrapped at 100 columns.
    static func wrap(_ text: String, indent: String, width: Int = 100) -> String {
        var lines: [String] = []
        var line = indent
        for word in text.split(separator: " ") {
            if line.count + word.count + 1 > width && line.count > indent.count {
                lines.append(line)
                line = indent
            }
            line += (line.count > indent.count ? " " : "") + word
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
