import FarmwatchCore
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target, built only by scripts/fuzz (FARMWATCH_FUZZ=1 adds this target to the
// package; -sanitize=fuzzer links libFuzzer in). One binary serves every parser family:
// FARMWATCH_FUZZ_TARGET names the target (see FuzzHarness.Target).
nonisolated(unsafe) private var selectedTarget: FuzzHarness.Target = .packets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

// SwiftPM links an executable's entry point under the name <module>_main; hand control to
// libFuzzer's driver from there (libFuzzer's own main() is then not needed).
@_cdecl("farmwatch_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let name = getenv("FARMWATCH_FUZZ_TARGET").map { String(cString: $0) } ?? "packets"
    guard let t = FuzzHarness.Target(rawValue: name) else {
        fputs("farmwatch-fuzz: unknown FARMWATCH_FUZZ_TARGET '\(name)'\n", stderr)
        return 2
    }
    selectedTarget = t
    var count = argc
    var args = argv
    return LLVMFuzzerRunDriver(&count, &args) { data, size in fuzzOneInput(data, size) }
}
