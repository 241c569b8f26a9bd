import ArgumentParser
import FarmwatchCore

extension OutputFormat: ExpressibleByArgument {}

/// Options shared by offline and live analysis: output and the flow engine's bounds.
struct AnalysisOptions: ParsableArguments {
    @Option(name: .long, help: "Output: 'summary' (a readable report) or 'json' (one JSON object per line).")
    var format: OutputFormat = .summary

    @Flag(name: .long, help: "Flow records only: no payload dissection (fastest).")
    var flowsOnly = false

    @Flag(name: .customLong("ja4-raw"), help: "Also write JA4's ja4_r, ja4_o and ja4_ro forms (FoxIO's raw and original forms).")
    var ja4Raw = false

    @Option(name: .long, help: ArgumentHelp("A signature file to load after the built-in catalogue (repeatable).",
                                            valueName: "file"))
    var signatures: [String] = []

    @Option(name: .long, help: "Maximum flows tracked at once; the stalest is evicted beyond it.")
    var maxFlows: Int = FlowConfiguration().maxFlows

    @Option(name: .long, help: "Idle timeout of established TCP flows, seconds.")
    var tcpTimeout: Double = FlowConfiguration().tcpIdleTimeout

    @Option(name: .long, help: "Idle timeout of TCP flows that never got established (SYN only), seconds.")
    var tcpOpeningTimeout: Double = FlowConfiguration().tcpOpeningTimeout

    @Option(name: .long, help: "How long a closed TCP flow (FINs or RST) is kept for its last packets, seconds.")
    var tcpCloseTimeout: Double = FlowConfiguration().tcpClosedTimeout

    @Option(name: .long, help: "Idle timeout of UDP flows, seconds.")
    var udpTimeout: Double = FlowConfiguration().udpIdleTimeout

    @Option(name: .long, help: "Idle timeout of ICMP and other flows, seconds.")
    var otherTimeout: Double = FlowConfiguration().otherIdleTimeout

    @Option(name: .long, help: "Write out and restart flows longer than this, seconds (0: never).")
    var activeTimeout: Double = FlowConfiguration().activeTimeout

    @Option(name: .long, help: "Gap that ends an activity period in the flow's idle/active profile, seconds.")
    var activityGap: Double = FlowConfiguration().activityIdleGap

    @OptionGroup(title: "Detection") var detection: DetectionOptions

    func validate() throws {
        guard maxFlows >= 1 && maxFlows <= 50_000_000 else { throw ValidationError("--max-flows must be between 1 and 50000000") }
        for (name, v) in [("--tcp-timeout", tcpTimeout), ("--tcp-opening-timeout", tcpOpeningTimeout),
                          ("--tcp-close-timeout", tcpCloseTimeout), ("--udp-timeout", udpTimeout),
                          ("--other-timeout", otherTimeout), ("--activity-gap", activityGap)] where !(v > 0) {
            throw ValidationError("\(name) must be a positive number of seconds")
        }
        guard activeTimeout >= 0 else { throw ValidationError("--active-timeout must be >= 0") }
    }

    /// The run's settings; a signature file that cannot be read or parsed, or a detection
    /// configuration that cannot be used, stops here with the file named on stderr.
    func settings(limits: CaptureLimits, progressBytes: Int64?) throws -> AnalysisSettings {
        var s = AnalysisSettings()
        if !flowsOnly { s.signatures = SignatureMatcher(try loadCatalogue(extraFiles: signatures)) }
        s.detection = try detection.configuration()
        s.intel = detection.intel()
        s.failOn = detection.failOn
        s.flows = flowConfiguration
        s.flowsOnly = flowsOnly
        s.ja4AllForms = ja4Raw
        s.format = format
        s.limits = limits
        s.progressBytes = progressBytes
        return s
    }

    var flowConfiguration: FlowConfiguration {
        var c = FlowConfiguration()
        c.maxFlows = maxFlows
        c.tcpIdleTimeout = tcpTimeout
        c.tcpOpeningTimeout = tcpOpeningTimeout
        c.tcpClosedTimeout = tcpCloseTimeout
        c.udpIdleTimeout = udpTimeout
        c.otherIdleTimeout = otherTimeout
        c.activeTimeout = activeTimeout
        c.activityIdleGap = activityGap
        return c
    }
}

/// The built-in catalogue followed by the user's files; a problem is reported on stderr and
/// ends the command with status 2.
func loadCatalogue(extraFiles: [String], builtIn: Bool = true) throws -> SignatureCatalogue {
    do {
        var catalogue = builtIn ? try SignatureCatalogue.builtIn() : SignatureCatalogue()
        for path in extraFiles { catalogue.add(try SignatureCatalogue.load(path: path)) }
        return catalogue
    } catch {
        warn("signatures: \(error)")
        throw ExitCode(2)
    }
}
