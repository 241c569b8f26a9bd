import Foundation
import XCTest
@testable import FarmwatchCore

/// Where the tests find the project, the shipped captures, the third-party corpus and the peers.
enum TestEnvironment {
    /// The package root, from this file's path (Tests/FarmwatchCoreTests/Support/X.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func capture(_ relative: String) -> String { packageRoot.appendingPathComponent("captures/" + relative).path }

    /// ../shared/corpus beside the checkout, when present (CI has it; a user's clone does not).
    static var corpusDirectory: URL? {
        let dir = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")
        return FileManager.default.fileExists(atPath: dir.appendingPathComponent("MANIFEST.tsv").path) ? dir : nil
    }

    static func requireCorpus() throws -> URL {
        guard let dir = corpusDirectory else {
            throw XCTSkip("../shared/corpus is not present beside this checkout: corpus cross-checks skipped")
        }
        return dir
    }

    /// The corpus captures listed in MANIFEST.tsv, as (relative path, labels).
    static func corpusCaptures() throws -> [(path: String, labels: [String])] {
        let dir = try requireCorpus()
        let text = try String(contentsOf: dir.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard cols.count >= 8 else { return nil }
            return (String(cols[0]), cols[7].split(separator: ",").map(String.init))
        }
    }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func requireTool(_ tool: String) throws -> String {
        guard let p = which(tool) else { throw XCTSkip("\(tool) is not installed (scripts/setup --test installs it)") }
        return p
    }

    /// Runs a program and returns its standard output.
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Collects every flow as it ends.
final class CollectingSink: FlowSink {
    var flows: [(FlowState, FlowEndReason)] = []
    func flowEnded(_ flow: FlowState, reason: FlowEndReason) { flows.append((flow, reason)) }
}

/// Runs the whole pipeline (libpcap → decoder → flow engine) over one capture in-process.
func analyzeCapture<D: DissectorSet>(_ path: String, dissectors: D, configuration: FlowConfiguration = .init())
    throws -> (flows: [FlowState], stats: EngineStats) {
    let sink = CollectingSink()
    let engine = FlowEngine(configuration: configuration, dissectors: dissectors, sink: sink)
    let loop = CaptureLoop(engine: engine, limits: CaptureLimits(), progress: nil)
    let source = try PcapSource.openFile(path)
    _ = loop.run(source)
    engine.finish()
    return (sink.flows.map { $0.0 }, engine.stats)
}
