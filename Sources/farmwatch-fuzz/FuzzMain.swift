import FarmwatchCore
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer entry point, built only by scripts/fuzz (FARMWATCH_FUZZ=1 adds this target to the
// package; -sanitize=fuzzer makes libFuzzer supply main()). One binary serves every parser
// family: FARMWATCH_FUZZ_TARGET names the target (see FuzzHarness.Target).
nonisolated(unsafe) private var selectedTarget: FuzzHarness.Target? = nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if selectedTarget == nil {
        let name = getenv("FARMWATCH_FUZZ_TARGET").map { String(cString: $0) } ?? "packets"
        guard let t = FuzzHarness.Target(rawValue: name) else {
            fputs("farmwatch-fuzz: unknown FARMWATCH_FUZZ_TARGET '\(name)'\n", stderr)
            exit(2)
        }
        selectedTarget = t
    }
    selectedTarget!.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
