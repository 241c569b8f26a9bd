#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where packets come from: files opened one at a time, or one live handle.
public enum PacketSources {
    case files([String], filter: String?)
    case live(PcapSource)
}

public enum OutputFormat: String, CaseIterable, Sendable {
    case summary, json
}

/// Everything one analysis run is configured with.
public struct AnalysisSettings {
    public var flows = FlowConfiguration()
    /// Flow records only: no payload dissection.
    public var flowsOnly = false
    public var format: OutputFormat = .summary
    public var limits = CaptureLimits()
    /// Total input size for the progress bar (offline), nil for none.
    public var progressBytes: Int64?
    /// The signature catalogue (built-in plus the user's files), loaded by the caller so that a
    /// bad file stops the run before it starts.
    public var signatures = SignatureMatcher(SignatureCatalogue())
    /// JA4's raw and original forms on the flow records too (`--ja4-raw`).
    public var ja4AllForms = false
    /// The detection engine's model (weights, thresholds, allow-lists, the site).
    public var detection = DetectionConfiguration()
    /// GeoIP, ASN and address lists, when the user gave any.
    public var intel: PeerIntel?
    /// Exit with `AnalysisSession.findingExitStatus` when a finding reaches this severity.
    public var failOn: Severity?
    public init() {}
}

/// One analysis run: the pipeline capture → decode → flows → dissectors → output, built here
/// for the chosen dissector set so that the whole per-packet path is specialised inside this
/// module (a generic engine instantiated from another module would run unspecialised).
public enum AnalysisSession {
    /// The exit status when `--fail-on` is given and a finding at or above it was made.
    public static let findingExitStatus: Int32 = 3

    /// Reads every source, finalises every flow (also on SIGINT/SIGTERM), writes the output to
    /// stdout and returns the exit status: 0, or 1 when an input could not be read.
    public static func run(_ sources: PacketSources, settings: AnalysisSettings, problems: [String]) -> Int32 {
        StopSignals.install()
        return settings.flowsOnly ? run(NoDissectors(), sources, settings, problems)
                                  : run(StandardDissectors(context: DissectorContext(signatures: settings.signatures,
                                                                                       ja4AllForms: settings.ja4AllForms)),
                                        sources, settings, problems)
    }

    private static func run<D: DissectorSet>(_ dissectors: D, _ sources: PacketSources,
                                             _ settings: AnalysisSettings, _ problems: [String]) -> Int32 {
        let started = Clock.monotonicNs()
        let json = settings.format == .json ? JSONOutput(writer: JSONWriter(stream: stdout)) : nil
        let summary = settings.format == .summary ? SummaryReport() : nil
        let output: FlowSink = json ?? summary!
        let detector: DetectionSink
        do {
            detector = try DetectionSink(next: output, configuration: settings.detection, intel: settings.intel,
                                         devices: (dissectors as? StandardDissectors)?.context.devices)
        } catch {
            warn("\(error)")
            return 1
        }
        let flowEnd = FlowEndThread(next: detector, conclude: { dissectors.flowEnding(&$0) })
        let engine = FlowEngine(configuration: settings.flows, dissectors: dissectors, sink: flowEnd,
                                concludesFlows: false)
        let progress = settings.progressBytes.flatMap { ProgressReporter.forTerminal(totalBytes: $0) }
        let loop = CaptureLoop(engine: engine, limits: settings.limits, progress: progress)
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
            StopSignals.liveSource = source
            inputs = 1
            if case .failed(let why) = loop.run(source) {
                failures.append("\(source.name): \(why)")
                warn("\(source.name): \(why)")
            }
            StopSignals.liveSource = nil
        }
        progress?.finish()
        // The flows still open are concluded on this thread, beside the flow-end thread, which
        // still has the last batches to work through.
        let concluder = dissectors.concludingCopy()
        engine.finish(concludingWith: concluder)
        flowEnd.finish()
        if let concluder { dissectors.absorb(concluder) }

        var stats = RunStatistics(engine: engine.stats, reassembly: engine.reassemblyStats, openFlowsAtEnd: 0)
        stats.kernelReceived = loop.kernelReceived
        stats.kernelDrops = loop.kernelDrops
        stats.interfaceDrops = loop.interfaceDrops
        stats.inputs = inputs
        stats.inputFailures = failures
        stats.wallSeconds = Double(Clock.monotonicNs() - started) / 1e9
        // Findings are drawn once every flow has ended (a live capture: when it is stopped).
        dissectors.concludeRun()
        let findings = detector.findings()
        if let json {
            dissectors.writeRunRecords(to: json.writer)
            for f in findings { FindingRecordWriter.write(f, to: json.writer) }
            json.finish(stats)
        }
        if let summary {
            let section = FindingReport.render(findings: findings, sessions: detector.sessions, relays: detector.relayUses,
                                               allowedSessions: detector.allowedSessions,
                                               minSamples: settings.detection.thresholds.minLatencySamples)
            fputs(summary.render(stats, findings: section) + dissectors.runSummary(), stdout)
            fflush(stdout)
        }
        if case .live = sources { loop.printStatus() }
        if inputs == 0 { return 1 }
        if let failOn = settings.failOn, findings.contains(where: { $0.severity >= failOn }) { return findingExitStatus }
        return failures.isEmpty ? 0 : 1
    }
}

/// One line on stderr, prefixed with the program's name.
public func warn(_ line: String) {
    fputs("farmwatch: \(line)\n", stderr)
}

/// SIGINT/SIGTERM end the capture cleanly: the loop stops, every open flow is finalised and
/// every output flushed. A second signal exits at once.
public enum StopSignals {
    /// The live handle a signal should interrupt.
    nonisolated(unsafe) static var liveSource: PcapSource?

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            if captureStopRequested != 0 { _exit(130) }
            captureStopRequested = 1
            if let s = StopSignals.liveSource { s.breakLoop() }
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
}
