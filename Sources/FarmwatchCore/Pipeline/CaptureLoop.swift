import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set from a signal handler (SIGINT/SIGTERM) to end the capture cleanly.
nonisolated(unsafe) public var captureStopRequested: sig_atomic_t = 0

/// Limits and periodic work of one run.
public struct CaptureLimits {
    /// Stop after this many packets (all sources together); 0 = no limit.
    public var packetCount: UInt64 = 0
    /// Stop after this much wall-clock time; 0 = no limit.
    public var durationSeconds: Double = 0
    /// Live captures: print a status line to stderr this often; 0 = never.
    public var statusIntervalSeconds: Double = 0
    public init() {}
}

/// How reading one source ended.
public enum SourceEnd: Equatable {
    case endOfFile
    case stopped           // signal, packet count or duration
    case failed(String)    // e.g. a truncated file: what came before it was processed
}

/// Reads packets from libpcap sources, decodes them in place and feeds the flow engine.
/// This is the per-packet loop: no allocation, no String, no dynamic dispatch in it.
public final class CaptureLoop<D: DissectorSet> {
    public let engine: FlowEngine<D>
    // Per-packet state of the loop's one thread: no runtime exclusivity checks (see FlowEngine).
    @exclusivity(unchecked) private var decoder = PacketDecoder()
    private let limits: CaptureLimits
    private let progress: ProgressReporter?
    private let startWall = Clock.monotonicNs()
    private var lastStatusWall: Int64
    /// Kernel and interface drops of live sources, for the stats record.
    public private(set) var kernelDrops: UInt64 = 0
    public private(set) var interfaceDrops: UInt64 = 0
    public private(set) var kernelReceived: UInt64 = 0

    public init(engine: FlowEngine<D>, limits: CaptureLimits, progress: ProgressReporter?) {
        self.engine = engine
        self.limits = limits
        self.progress = progress
        lastStatusWall = startWall
    }


    private var reachedLimit: Bool {
        if captureStopRequested != 0 { return true }
        if limits.packetCount > 0 && engine.stats.packets >= limits.packetCount { return true }
        if limits.durationSeconds > 0 && Double(Clock.monotonicNs() - startWall) / 1e9 >= limits.durationSeconds { return true }
        return false
    }

    /// Reads one source to its end (or until a limit or signal).
    public func run(_ source: PcapSource) -> SourceEnd {
        progress?.begin(source)
        defer {
            collectFragmentExpiries()
            progress?.end(source)
            if source.isLive { updateDrops(source) }
        }
        if let file = source.mapped() { return runMapped(file, source) }
        return source.isRegularFile ? runPrefetched(source) : runDirect(source)
    }

    /// A classic pcap file, read in place from its memory map.
    private func runMapped(_ file: MappedPcapFile, _ source: PcapSource) -> SourceEnd {
        let linkType = source.linkType
        var packet = Packet()
        var sinceCheck = 0
        return file.forEachFrame { frame, ts, wire, position in
            guard source.filterAccepts(frame, wireLength: wire) else { return false }
            return process(frame, linkType, ts, wire, &packet, &sinceCheck, source, bytesRead: position)
        }
    }

    /// Any other regular file (pcapng), read ahead on the prefetcher's thread.
    private func runPrefetched(_ source: PcapSource) -> SourceEnd {
        let linkType = source.linkType
        let prefetcher = FramePrefetcher(source)
        // A local, so that handing it to the engine borrows it instead of copying it.
        var packet = Packet()
        var sinceCheck = 0
        var stopped = false
        while let chunk = prefetcher.next() {
            chunk.forEachFrame { frame, ts, wire in
                guard !stopped else { return }
                stopped = process(frame, linkType, ts, wire, &packet, &sinceCheck, source, bytesRead: chunk.endPosition)
            }
            prefetcher.recycle(chunk)
            if stopped {
                prefetcher.cancel()
                return .stopped
            }
        }
        prefetcher.join()
        return prefetcher.end
    }

    /// A live capture (the kernel's ring reads ahead), or standard input and pipes, where
    /// reading ahead would hold packets back until a chunk filled.
    private func runDirect(_ source: PcapSource) -> SourceEnd {
        let handle = source.handle
        let linkType = source.linkType
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var sinceCheck = 0
        var packet = Packet()
        while true {
            let rc = pcap_next_ex(handle, &header, &data)
            if rc == 1, let h = header, let d = data {
                let frame = UnsafeRawBufferPointer(start: d, count: Int(h.pointee.caplen))
                if process(frame, linkType, h.pointee.timestampNs, Int(h.pointee.len), &packet, &sinceCheck, source,
                           bytesRead: source.isLive ? 0 : source.bytesRead) {
                    return .stopped
                }
            } else if rc == 0 {
                // Live read timeout: a quiet link. Let flows age on the wall clock.
                engine.advanceClock(toNs: Clock.realtimeNs())
                periodic(source, bytesRead: 0)
                if reachedLimit { return .stopped }
            } else if rc == PCAP_ERROR_BREAK {
                return captureStopRequested != 0 ? .stopped : .endOfFile
            } else {
                return .failed(source.lastError)
            }
        }
    }

    /// One frame: decoded in place and accounted to its flow; then, every 4096 frames (every
    /// frame under a packet limit), the periodic work. True when a limit or a signal says stop.
    @inline(__always)
    private func process(_ frame: UnsafeRawBufferPointer, _ linkType: Int32, _ ts: Int64, _ wire: Int,
                         _ packet: inout Packet, _ sinceCheck: inout Int, _ source: PcapSource,
                         bytesRead: @autoclosure () -> Int64) -> Bool {
        let r = decoder.decode(frame: frame, linkType: linkType, timestampNs: ts, wireLength: wire, into: &packet)
        if r == .ok { engine.process(decoded: &packet) } else { engine.countUndecoded(r, wireLength: wire) }
        sinceCheck &+= 1
        guard sinceCheck >= 4096 || limits.packetCount > 0 else { return false }
        sinceCheck = 0
        periodic(source, bytesRead: bytesRead())
        return reachedLimit
    }

    private func periodic(_ source: PcapSource, bytesRead: Int64) {
        collectFragmentExpiries()
        progress?.update(source, bytesRead: bytesRead, packets: engine.stats.packets)
        if source.isLive && limits.statusIntervalSeconds > 0 {
            let now = Clock.monotonicNs()
            if Double(now - lastStatusWall) / 1e9 >= limits.statusIntervalSeconds {
                lastStatusWall = now
                updateDrops(source)
                printStatus()
            }
        }
    }

    private func collectFragmentExpiries() {
        let n = decoder.takeExpiredFragmentCount()
        if n > 0 { engine.countDecodeErrors(.fragmentTimeout, n) }
    }

    private func updateDrops(_ source: PcapSource) {
        guard let s = source.statistics() else { return }
        kernelReceived = s.received
        kernelDrops = s.dropped
        interfaceDrops = s.interfaceDropped
    }

    public func printStatus() {
        let s = engine.stats
        let line = "farmwatch: \(s.packets) packets, \(engine.openFlows) flows open, \(s.flowsEnded) ended, "
            + "\(kernelDrops) dropped by kernel, \(interfaceDrops) by interface\n"
        fputs(line, stderr)
    }

}
