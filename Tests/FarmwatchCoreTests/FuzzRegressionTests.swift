import Foundation
import XCTest
@testable import FarmwatchCore

/// Replays every input the fuzzers kept (Tests/FuzzRegressions/TARGET/*) and some random
/// inputs through each fuzz target: none may crash or hang.
final class FuzzRegressionTests: XCTestCase {
    static let regressions = TestEnvironment.packageRoot.appendingPathComponent("Tests/FuzzRegressions")

    func testKeptFuzzInputsStillPass() throws {
        let fm = FileManager.default
        var replayed = 0
        for dir in try fm.contentsOfDirectory(atPath: Self.regressions.path).sorted() {
            let url = Self.regressions.appendingPathComponent(dir)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else { continue }
            let target = try XCTUnwrap(FuzzHarness.Target(rawValue: dir), "folder \(dir) names no fuzz target")
            for file in try fm.contentsOfDirectory(atPath: url.path).sorted() {
                let data = try Data(contentsOf: url.appendingPathComponent(file))
                data.withUnsafeBytes { target.run($0) }
                replayed += 1
            }
        }
        XCTAssertGreaterThan(replayed, 0)
    }

    func testRandomInputsThroughEveryTarget() {
        var rng = SplitMix(seed: 0x5EED)
        for target in FuzzHarness.Target.allCases {
            for _ in 0..<300 {
                let n = Int(rng.next() % 2048)
                let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                bytes.withUnsafeBytes { target.run($0) }
            }
        }
    }

    func testSeedScriptKnowsEveryTarget() throws {
        let python = try TestEnvironment.requireTool("python3")
        let listed = try TestEnvironment.run(python, [TestEnvironment.packageRoot.appendingPathComponent("scripts/fuzz-seeds.py").path, "--list"])
        XCTAssertEqual(Set(listed.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)),
                       Set(FuzzHarness.Target.allCases.map(\.rawValue)),
                       "scripts/fuzz-seeds.py must make seeds for every FuzzHarness target")
    }
}

/// A tiny deterministic generator for test inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return FlowKey.mix(state)
    }
}
