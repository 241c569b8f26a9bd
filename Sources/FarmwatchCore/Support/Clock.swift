#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock readings for rates, progress and live-capture ageing (never for packet timing,
/// which always comes from the capture).
public enum Clock {
    public static func monotonicNs() -> Int64 { read(CLOCK_MONOTONIC) }
    public static func realtimeNs() -> Int64 { read(CLOCK_REALTIME) }

    private static func read(_ id: clockid_t) -> Int64 {
        var t = timespec()
        clock_gettime(id, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }
}
