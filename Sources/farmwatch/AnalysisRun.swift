import FarmwatchCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where packets come from: files opened one at a time, or one live handle.
enum PacketSources {
    case files([String], filter: String?)
    case live(PcapSource)
}

/// One analysis run: builds the engine for the chosen dissector set, reads every source,
/// finalises every flow (also on SIGINT/SIGTERM) and writes the output. Returns the exit status.
struct AnalysisRun {
    let options: AnalysisOptions
    let limits: CaptureLimits
    let progressBytes: Int64?
    var problems: [String]

    func execute(_ sources: PacketSources) -> Int32 {
        installStopHandlers()
        return options.flowsOnly ? runWith(NoDissectors(), sources) : runWith(StandardDissectors(), sources)
    }

    private func runWith<D: DissectorSet>(_ dissectors: D, _ sources: PacketSources) -> Int32 {
        let started = Clock.monotonicNs()
        let stdoutWriter = JSONWriter(stream: stdout)
        let json = options.format == .json ? JSONOutput(writer: stdoutWriter) : nil
        let summary = options.format == .summary ? SummaryReport() : nil
        let sink: FlowSink = json ?? summary!
        let engine = FlowEngine(configuration: options.flowConfiguration, dissectors: dissectors, sink: sink)
        let progress = progressBytes.flatMap { ProgressReporter.forTerminal(totalBytes: $0) }
        let loop = CaptureLoop(engine: engine, limits: limits, progress: progress)
        var failures = problems
        var inputs = 0

        switch sources {
        case .files(let paths, let filter):
            for path in paths {
                if captureStopRequested != 0 { break }
                let source: PcapSource
                do {
                    source = try PcapSource.openFile(path)
                    if let filter { try source.setFilter(filter) }
                } catch {
                    failures.append("\(error)")
                    warn("\(error)")
                    continue
                }
                inputs += 1
                let end = loop.run(source)
                if case .failed(let why) = end {
                    let line = "\(source.name): \(why) (packets before this point were analysed)"
                    failures.append(line)
                    warn(line)
                }
                if end == .stopped { break }
            }
        case .live(let source):
            activeLiveSource = source
            inputs = 1
            if case .failed(let why) = loop.run(source) {
                failures.append("\(source.name): \(why)")
                warn("\(source.name): \(why)")
            }
            activeLiveSource = nil
        }
        progress?.finish()
        engine.finish()

        var stats = RunStatistics(engine: engine.stats, reassembly: engine.reassemblyStats, openFlowsAtEnd: 0)
        stats.kernelReceived = loop.kernelReceived
        stats.kernelDrops = loop.kernelDrops
        stats.interfaceDrops = loop.interfaceDrops
        stats.inputs = inputs
        stats.inputFailures = failures
        stats.wallSeconds = Double(Clock.monotonicNs() - started) / 1e9
        if let json { json.finish(stats) }
        if let summary { fputs(summary.render(stats), stdout); fflush(stdout) }
        if case .live = sources { loop.printStatus() }
        if inputs == 0 { return 1 }
        return failures.isEmpty ? 0 : 1
    }
}

func warn(_ line: String) {
    fputs("farmwatch: \(line)\n", stderr)
}

/// The live handle a signal should interrupt.
nonisolated(unsafe) var activeLiveSource: PcapSource?

/// SIGINT/SIGTERM end the capture cleanly: the loop stops, every open flow is finalised and
/// every output flushed. A second signal exits at once.
func installStopHandlers() {
    let handler: @convention(c) (Int32) -> Void = { _ in
        if captureStopRequested != 0 { _exit(130) }
        captureStopRequested = 1
        if let s = activeLiveSource { s.breakLoop() }
    }
    var action = sigaction()
    #if canImport(Glibc)
    action.__sigaction_handler.sa_handler = handler
    #else
    action.__sigaction_u.__sa_handler = handler
    #endif
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
    sigaction(SIGTERM, &action, nil)
}
