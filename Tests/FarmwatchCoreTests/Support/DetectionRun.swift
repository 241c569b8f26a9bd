import Foundation
@testable import FarmwatchCore

/// The detection engine over a capture as `farmwatch analyze` runs it: the standard
/// dissectors with the built-in signature catalogue, the device table handed to the engine,
/// devices classified (IP-KVMs among them) when the input ends, then the findings.
enum DetectionRun {
    static func findings(_ pcap: String, configuration: DetectionConfiguration = DetectionConfiguration(),
                         intel: PeerIntel? = nil) throws -> (sink: DetectionSink, findings: [Finding]) {
        let dissectors = StandardDissectors(context: DissectorContext(signatures: SignatureMatcher(try SignatureCatalogue.builtIn())))
        let sink = try DetectionSink(next: CollectingSink(), configuration: configuration, intel: intel,
                                     devices: dissectors.context.devices)
        let engine = FlowEngine(dissectors: dissectors, sink: sink)
        let loop = CaptureLoop(engine: engine, limits: CaptureLimits(), progress: nil)
        _ = loop.run(try PcapSource.openFile(pcap))
        engine.finish()
        dissectors.concludeRun()
        return (sink, sink.findings())
    }
}
