import ArgumentParser
import FarmwatchCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Capture from an interface and analyse as packets arrive (like tcpdump).",
        discussion: """
            Trailing words are a BPF filter, as with tcpdump:  farmwatch live -i eth0 tcp port 3389
            SIGINT or SIGTERM ends the capture cleanly: open flows are written and outputs flushed.
            """
    )

    @Option(name: [.customShort("i"), .long], help: "Interface to capture on (see 'farmwatch interfaces').")
    var interface: String

    @Option(name: [.customShort("s"), .long], help: "Snapshot length in bytes.")
    var snaplen: Int32 = 262_144

    @Flag(name: [.customShort("p"), .customLong("no-promiscuous")], help: "Do not put the interface in promiscuous mode.")
    var noPromiscuous = false

    @Flag(name: .customLong("no-immediate"), help: "Let the kernel batch packets (immediate mode is on by default: timings stay exact).")
    var noImmediate = false

    @Option(name: [.customShort("B"), .customLong("buffer-size")], help: "Kernel capture buffer, KiB.")
    var bufferKiB: Int32 = 0

    @Option(name: [.customShort("c"), .long], help: "Stop after this many packets.")
    var count: UInt64 = 0

    @Option(name: .long, help: "Stop after this many seconds.")
    var duration: Double = 0

    @Option(name: [.customShort("Z"), .customLong("user")], help: "Drop root privileges to this user once the interface is open.")
    var user: String?

    @Option(name: .long, help: "Print a status line (packets, flows, drops) to stderr this often, seconds (0: never).")
    var statusInterval: Double = 60

    @OptionGroup var analysis: AnalysisOptions

    @Argument(parsing: .captureForPassthrough, help: "BPF filter expression (tcpdump syntax).")
    var expression: [String] = []

    func validate() throws {
        guard snaplen > 0 else { throw ValidationError("--snaplen must be positive") }
        guard duration >= 0, statusInterval >= 0 else { throw ValidationError("--duration and --status-interval must be >= 0") }
    }

    func run() throws {
        var opts = PcapSource.LiveOptions()
        opts.snaplen = snaplen
        opts.promiscuous = !noPromiscuous
        opts.immediate = !noImmediate
        opts.bufferSize = bufferKiB > 0 ? bufferKiB &* 1024 : 0
        let source: PcapSource
        do {
            source = try PcapSource.openLive(interface: interface, options: opts)
            if !expression.isEmpty { try source.setFilter(expression.joined(separator: " ")) }
            if let user { try dropPrivileges(to: user) }
        } catch {
            warn("\(error)")
            throw ExitCode(1)
        }
        var limits = CaptureLimits()
        limits.packetCount = count
        limits.durationSeconds = duration
        limits.statusIntervalSeconds = statusInterval
        let status = AnalysisSession.run(.live(source), settings: try analysis.settings(limits: limits, progressBytes: nil),
                                         problems: [])
        if status != 0 { throw ExitCode(status) }
    }
}

/// Gives up root for `name` (groups, gid, then uid), as tcpdump -Z does, after the capture
/// device is open.
func dropPrivileges(to name: String) throws {
    guard let pw = getpwnam(name) else { throw CaptureError("-Z \(name): no such user") }
    let uid = pw.pointee.pw_uid, gid = pw.pointee.pw_gid
    guard initgroups(name, gid) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
        throw CaptureError("-Z \(name): cannot drop privileges: \(String(cString: strerror(errno)))")
    }
    guard setuid(0) != 0 else { throw CaptureError("-Z \(name): privileges could be regained; refusing to go on") }
}
