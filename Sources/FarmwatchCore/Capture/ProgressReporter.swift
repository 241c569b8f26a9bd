#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on stderr for offline reading: bytes read of the total over all
/// files, and packets per second. Only made when stderr is a terminal.
public final class ProgressReporter {
    private let totalBytes: Int64
    private var doneBytes: Int64 = 0
    private let start = Clock.monotonicNs()
    private var lastDraw: Int64 = 0
    private var drawn = false

    /// nil when stderr is not a terminal: no bar at all then.
    public static func forTerminal(totalBytes: Int64) -> ProgressReporter? {
        isatty(STDERR_FILENO) != 0 ? ProgressReporter(totalBytes: totalBytes) : nil
    }

    init(totalBytes: Int64) { self.totalBytes = max(totalBytes, 1) }

    func begin(_ source: PcapSource) {}

    /// `bytesRead`: how far into the file the packets handed over so far reach.
    func update(_ source: PcapSource, bytesRead: Int64, packets: UInt64) {
        guard !source.isLive else { return }
        let now = Clock.monotonicNs()
        guard now - lastDraw >= 200_000_000 else { return }
        lastDraw = now
        draw(read: doneBytes + bytesRead, packets: packets, now: now)
    }

    func end(_ source: PcapSource) {
        guard !source.isLive else { return }
        doneBytes += source.totalBytes ?? source.bytesRead
    }

    /// Clears the bar (before the report is printed).
    public func finish() {
        guard drawn else { return }
        fputs("\r\u{1B}[K", stderr)
    }

    private func draw(read: Int64, packets: UInt64, now: Int64) {
        let fraction = min(1, Double(read) / Double(totalBytes))
        let width = 30
        let filled = Int(fraction * Double(width))
        let seconds = max(Double(now - start) / 1e9, 0.001)
        let rate = Double(packets) / seconds
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let line = "\r[\(bar)] \(Int(fraction * 100))% \(ProgressReporter.bytes(read)) / \(ProgressReporter.bytes(totalBytes))  "
            + "\(ProgressReporter.rate(rate)) pkt/s"
        fputs(line, stderr)
        drawn = true
    }

    static func bytes(_ b: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(b), u = 0
        while v >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(b) B" : "\((v * 10).rounded() / 10) \(units[u])"
    }

    static func rate(_ r: Double) -> String {
        if r >= 1e6 { return "\((r / 1e5).rounded() / 10) M" }
        if r >= 1e3 { return "\((r / 1e2).rounded() / 10) k" }
        return "\(Int(r))"
    }
}
