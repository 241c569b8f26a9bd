import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A capture error with a one-line message meant for a person.
public struct CaptureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

/// One libpcap handle, offline (pcap or pcapng file, or standard input) or live. Timestamps
/// are always nanoseconds: libpcap scales microsecond files up.
public final class PcapSource {
    public let handle: OpaquePointer
    public let name: String
    public let isLive: Bool
    public private(set) var linkType: Int32
    /// Size of the file in bytes when known (not for stdin or live).
    public let totalBytes: Int64?
    /// A regular file (not standard input, a pipe or a FIFO): mapped when it is classic pcap
    /// (MappedPcapFile), otherwise read ahead on a thread of its own (FramePrefetcher); waiting
    /// for more bytes never delays a packet of a regular file.
    public let isRegularFile: Bool

    /// The stdio buffer under an offline handle's FILE (see `openFile`), freed after the handle.
    private let fileBuffer: UnsafeMutableRawPointer?
    /// The compiled filter, kept to apply to frames read past libpcap (`MappedPcapFile`).
    private var filter: bpf_program?

    private init(handle: OpaquePointer, name: String, isLive: Bool, totalBytes: Int64?,
                 isRegularFile: Bool = false, fileBuffer: UnsafeMutableRawPointer? = nil) {
        self.handle = handle
        self.name = name
        self.isLive = isLive
        self.totalBytes = totalBytes
        self.isRegularFile = isRegularFile
        self.fileBuffer = fileBuffer
        linkType = pcap_datalink(handle)
    }

    deinit {
        if var program = filter { pcap_freecode(&program) }
        pcap_close(handle)
        fileBuffer?.deallocate()
    }

    /// libpcap reads a file through stdio, whose default buffer is one 4 KiB page: a system
    /// call per few packets. 64 KiB makes that 16 times fewer while the buffer stays in the
    /// core's cache between the kernel's copy into it and libpcap's copy out of it (1 MiB
    /// buffers cost the reader thread ~7 % more CPU on bench-full.pcap, perf).
    static let fileBufferBytes = 1 << 16

    /// Opens a capture file, or standard input for "-".
    public static func openFile(_ path: String) throws -> PcapSource {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var size: Int64? = nil
        var regular = false
        if path != "-" {
            var st = stat()
            guard stat(path, &st) == 0 else {
                throw CaptureError("\(path): \(String(cString: strerror(errno)))")
            }
            if (st.st_mode & S_IFMT) == S_IFDIR { throw CaptureError("\(path): is a directory") }
            size = Int64(st.st_size)
            regular = (st.st_mode & S_IFMT) == S_IFREG
        }
        if path == "-" {
            guard let h = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) else {
                throw CaptureError("standard input: \(String(cString: errbuf))")
            }
            return PcapSource(handle: h, name: "standard input", isLive: false, totalBytes: nil)
        }
        guard let file = fopen(path, "rb") else {
            throw CaptureError("\(path): \(String(cString: strerror(errno)))")
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: fileBufferBytes, alignment: 16)
        setvbuf(file, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, fileBufferBytes)
        guard let h = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) else {
            fclose(file)
            buffer.deallocate()
            throw CaptureError("\(path): \(String(cString: errbuf))")
        }
        return PcapSource(handle: h, name: path, isLive: false, totalBytes: size, isRegularFile: regular,
                          fileBuffer: buffer)
    }

    public struct LiveOptions {
        public var snaplen: Int32 = 262_144
        public var promiscuous = true
        public var immediate = true
        /// Kernel buffer in bytes; 0 keeps libpcap's default.
        public var bufferSize: Int32 = 0
        /// Read timeout so that a quiet link still lets the loop check for signals and expire flows.
        public var timeoutMs: Int32 = 200
        public init() {}
    }

    /// Opens and activates a live capture; errors are turned into one clear line.
    public static func openLive(interface: String, options: LiveOptions) throws -> PcapSource {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let h = pcap_create(interface, &errbuf) else {
            throw CaptureError("\(interface): \(String(cString: errbuf))")
        }
        pcap_set_snaplen(h, options.snaplen)
        pcap_set_promisc(h, options.promiscuous ? 1 : 0)
        pcap_set_immediate_mode(h, options.immediate ? 1 : 0)
        pcap_set_timeout(h, options.timeoutMs)
        if options.bufferSize > 0 { pcap_set_buffer_size(h, options.bufferSize) }
        _ = pcap_set_tstamp_precision(h, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let rc = pcap_activate(h)
        if rc < 0 {
            let detail = String(cString: pcap_geterr(h))
            pcap_close(h)
            switch rc {
            case PCAP_ERROR_NO_SUCH_DEVICE:
                throw CaptureError("\(interface): no such interface (see 'farmwatch interfaces')")
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
                throw CaptureError("\(interface): permission denied: run as root or grant CAP_NET_RAW and CAP_NET_ADMIN (\(detail))")
            case PCAP_ERROR_IFACE_NOT_UP:
                throw CaptureError("\(interface): interface is down")
            default:
                throw CaptureError("\(interface): \(detail.isEmpty ? String(cString: pcap_statustostr(rc)) : detail)")
            }
        }
        return PcapSource(handle: h, name: interface, isLive: true, totalBytes: nil)
    }

    /// Compiles and installs a BPF filter (tcpdump syntax).
    public func setFilter(_ expression: String) throws {
        var program = bpf_program()
        let netmask: bpf_u_int32 = 0xFFFF_FFFF  // PCAP_NETMASK_UNKNOWN: only broadcast tests need it
        guard pcap_compile(handle, &program, expression, 1, netmask) == 0 else {
            throw CaptureError("bad filter '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
        guard pcap_setfilter(handle, &program) == 0 else {
            pcap_freecode(&program)
            throw CaptureError("cannot set filter: \(String(cString: pcap_geterr(handle)))")
        }
        if var previous = filter { pcap_freecode(&previous) }
        filter = program
    }

    /// Whether the filter (if any) keeps a frame that was read past libpcap. libpcap runs the
    /// same program over the frames it reads itself.
    @inline(__always)
    func filterAccepts(_ frame: UnsafeRawBufferPointer, wireLength: Int) -> Bool {
        guard filter != nil, let data = frame.baseAddress else { return true }
        var header = pcap_pkthdr()
        header.caplen = UInt32(frame.count)
        header.len = UInt32(clamping: wireLength)
        return pcap_offline_filter(&filter!, &header, data.assumingMemoryBound(to: UInt8.self)) != 0
    }

    /// The file mapped for reading in place, when it is a regular classic pcap file.
    func mapped() -> MappedPcapFile? {
        guard isRegularFile, let file = pcap_file(handle) else { return nil }
        return MappedPcapFile(fd: fileno(file), snapshot: snaplen)
    }

    /// Bytes consumed so far (offline files), for the progress bar.
    public var bytesRead: Int64 {
        guard !isLive, let f = pcap_file(handle) else { return 0 }
        return Int64(ftell(f))
    }

    public var snaplen: Int32 { pcap_snapshot(handle) }

    /// Kernel counters of a live capture: received, dropped by the kernel, dropped by the interface.
    public func statistics() -> (received: UInt64, dropped: UInt64, interfaceDropped: UInt64)? {
        guard isLive else { return nil }
        var s = pcap_stat()
        guard pcap_stats(handle, &s) == 0 else { return nil }
        return (UInt64(s.ps_recv), UInt64(s.ps_drop), UInt64(s.ps_ifdrop))
    }

    public func breakLoop() { pcap_breakloop(handle) }

    public var lastError: String { String(cString: pcap_geterr(handle)) }

    /// The timestamp of the first packet, for ordering rotated files. Opens the file anew.
    public static func firstTimestampNs(of path: String) -> Int64? {
        guard let src = try? openFile(path) else { return nil }
        var hdr: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        guard pcap_next_ex(src.handle, &hdr, &data) == 1, let h = hdr else { return nil }
        return h.pointee.timestampNs
    }

    /// Lists capture interfaces as (name, description).
    public static func interfaces() throws -> [(name: String, description: String, flags: UInt32)] {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&list, &errbuf) == 0 else { throw CaptureError(String(cString: errbuf)) }
        defer { pcap_freealldevs(list) }
        var out: [(String, String, UInt32)] = []
        var p = list
        while let d = p {
            out.append((String(cString: d.pointee.name),
                        d.pointee.description.map { String(cString: $0) } ?? "",
                        d.pointee.flags))
            p = d.pointee.next
        }
        return out
    }
}

extension pcap_pkthdr {
    /// The capture time in nanoseconds: handles are opened with nanosecond precision, so
    /// tv_usec carries nanoseconds.
    @inline(__always)
    var timestampNs: Int64 { Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_usec) }
}
