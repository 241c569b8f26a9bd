import ArgumentParser
import FarmwatchCore

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse capture files (pcap, pcapng), directories of them, or standard input.",
        discussion: """
            Several files and directories are read as one stream, ordered by their first packet's
            time (rotated captures). '-' reads a capture from standard input.
            """
    )

    @Argument(help: "Capture files, directories of captures, or '-' for standard input.")
    var inputs: [String]

    @Option(name: [.customShort("f"), .long], help: "BPF filter (tcpdump syntax) applied while reading.")
    var filter: String?

    @Option(name: [.customShort("c"), .long], help: "Stop after this many packets.")
    var count: UInt64 = 0

    @OptionGroup var analysis: AnalysisOptions

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one capture file or directory ('-' for standard input)") }
        if inputs.contains("-") && inputs.count > 1 { throw ValidationError("'-' (standard input) cannot be combined with other inputs") }
    }

    func run() throws {
        let resolved = CaptureInputs.resolve(inputs)
        for p in resolved.problems { warn(p) }
        var limits = CaptureLimits()
        limits.packetCount = count
        let settings = try analysis.settings(limits: limits, progressBytes: resolved.totalBytes > 0 ? resolved.totalBytes : nil)
        let status = AnalysisSession.run(.files(resolved.paths, filter: filter), settings: settings, problems: resolved.problems)
        if status != 0 { throw ExitCode(status) }
    }
}
