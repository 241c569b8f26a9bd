import Foundation
import XCTest

@testable import FarmwatchCore

/// The run's pipeline: flows concluded and written on the flow-end thread, and the flows still
/// open at the end of input concluded on the packet thread with a set of their own. Whatever
/// the threads do, the records must be those one thread writes, in the same order.
final class PipelineTests: XCTestCase {
    private func records(_ path: String, threaded: Bool) throws -> [Substring] {
        let dissectors = StandardDissectors()
        let output = JSONOutput(writer: JSONWriter(stream: nil))
        let source = try PcapSource.openFile(path)
        if threaded {
            let flowEnd = FlowEndThread(next: output, conclude: { dissectors.flowEnding(&$0) }, batchSize: 4)
            let engine = FlowEngine(dissectors: dissectors, sink: flowEnd, concludesFlows: false)
            _ = CaptureLoop(engine: engine, limits: CaptureLimits(), progress: nil).run(source)
            let concluder = try XCTUnwrap(dissectors.concludingCopy())
            engine.finish(concludingWith: concluder)
            flowEnd.finish()
            dissectors.absorb(concluder)
        } else {
            let engine = FlowEngine(dissectors: dissectors, sink: output)
            _ = CaptureLoop(engine: engine, limits: CaptureLimits(), progress: nil).run(source)
            engine.finish()
        }
        let text = String(decoding: output.writer.buffer, as: UTF8.self)
        // wall-clock fields aside, a flow record depends only on the capture.
        return text.split(separator: "\n")
    }

    func testThreadedRecordsMatchOneThread() throws {
        var endOfInput = 0, total = 0
        for capture in ["lab-basic.pcap", "scenarios/rdp-far.pcap", "scenarios/ordinary-web.pcap",
                        "scenarios/turn-relay.pcap"] {
            let path = TestEnvironment.capture(capture)
            let single = try records(path, threaded: false)
            let threaded = try records(path, threaded: true)
            XCTAssertGreaterThan(single.count, 0, capture)
            total += single.count
            XCTAssertEqual(threaded.count, single.count, capture)
            for (a, b) in zip(single, threaded) where a != b {
                XCTFail("\(capture): records differ:\n\(a)\n\(b)")
                break
            }
            endOfInput += single.filter { $0.contains("\"end_reason\":\"end_of_input\"") }.count
        }
        XCTAssertGreaterThan(total, 30)
        XCTAssertGreaterThan(endOfInput, 10, "flows concluded on the packet thread at the end of input")
    }
}
