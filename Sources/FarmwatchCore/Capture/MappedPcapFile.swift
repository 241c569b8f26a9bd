import CPrefetch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A classic pcap file read in place through a memory map: each frame is handed over where it
/// lies in the page cache, with no copy at all. Reading the same file through libpcap costs
/// three copies per frame (kernel to stdio, stdio to libpcap, libpcap to the read-ahead
/// chunk), about a fifth of all CPU time on bench-full.pcap (perf).
///
/// libpcap still opens the file (`PcapSource.openFile`): it validates the file header and maps
/// the link type, so both paths agree on what a file is. This type only walks the records
/// after the 24-byte file header, with libpcap's own record rules (sf-pcap.c): a frame longer
/// than the largest snapshot length any link type allows is an error, one longer than the
/// file's snapshot length is cut to it, and a file that ends inside a record is truncated.
/// pcapng files, and pcap variants with other record headers, stay with libpcap.
///
/// A file that another process truncates while it is mapped makes the kernel raise SIGBUS
/// on the missing pages; capture files are appended to or rotated, not truncated in place.
final class MappedPcapFile {
    private let base: UnsafeRawPointer
    private let size: Int
    /// The file was written on a host of the other byte order.
    private let swapped: Bool
    /// Timestamps carry nanoseconds (magic a1b23c4d), not microseconds.
    private let nanoseconds: Bool
    /// Files before version 2.3 store the two lengths the other way round; 2.3 files may.
    private let lengthsSwapped: LengthOrder
    private let snapshot: Int

    private enum LengthOrder { case normal, swapped, maybeSwapped }

    /// libpcap's MAXIMUM_SNAPLEN: no link type farmwatch decodes allows a longer frame.
    static let maximumFrame = 262_144
    static let fileHeaderBytes = 24
    static let recordHeaderBytes = 16
    /// Each record asks for the bytes one page ahead, so that they are under way before the
    /// decoder reaches them: the first read of a record's header is where the packet thread
    /// waits on memory (perf annotate). Worth 2-4 % of the wall time of bench-full.pcap in
    /// interleaved A/B runs (distances of 1 to 16 KiB alike; prefetching every line, or
    /// MADV_POPULATE_READ ahead, measured no better).
    static let prefetchDistance = 4096
    /// Cache lines of the next record asked for while the current one is processed.
    static let nextRecordLines = 2
    /// Pages behind the reading position are let go in steps of this many bytes: they stay in
    /// the page cache, but no longer count as this process's memory (its resident set would
    /// otherwise grow to the size of the file).
    static let releaseStep = 8 << 20

    /// Maps `fd` (a regular file libpcap has opened) when it holds classic pcap; nil for
    /// anything else, or when the map fails, and then libpcap reads the file.
    init?(fd: Int32, snapshot: Int32) {
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
              st.st_size >= Int64(Self.fileHeaderBytes), st.st_size <= Int64(Int.max) else { return nil }
        let length = Int(st.st_size)
        guard let map = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else { return nil }
        let bytes = UnsafeRawPointer(map)
        let magic = bytes.loadUnaligned(as: UInt32.self)
        switch magic {
        case 0xA1B2_C3D4: (swapped, nanoseconds) = (false, false)
        case 0xA1B2_3C4D: (swapped, nanoseconds) = (false, true)
        case 0xD4C3_B2A1: (swapped, nanoseconds) = (true, false)
        case 0x4D3C_B2A1: (swapped, nanoseconds) = (true, true)
        default:
            munmap(map, length)
            return nil
        }
        var major = bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
        var minor = bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self)
        if swapped { (major, minor) = (major.byteSwapped, minor.byteSwapped) }
        if major < 2 || (major == 2 && minor < 3) {
            lengthsSwapped = .swapped
        } else if major == 2 && minor == 3 {
            lengthsSwapped = .maybeSwapped
        } else {
            lengthsSwapped = .normal
        }
        // Read once, front to back: the kernel reads ahead further and drops pages behind.
        _ = madvise(map, length, MADV_SEQUENTIAL)
        base = bytes
        size = length
        self.snapshot = snapshot > 0 ? Int(snapshot) : Self.maximumFrame
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }

    @inline(__always)
    private func field(_ offset: Int) -> UInt32 {
        let v = base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return swapped ? v.byteSwapped : v
    }

    /// Calls `body` with each frame, its capture time in nanoseconds, its length on the wire
    /// and how far into the file it reaches (for the progress bar), in file order, until the
    /// file ends or `body` returns true (stop). Says how the reading ended; on a damaged
    /// record, the frames before it have been handed over.
    @inline(__always)
    func forEachFrame(_ body: (UnsafeRawBufferPointer, Int64, Int, Int64) -> Bool) -> SourceEnd {
        var offset = Self.fileHeaderBytes
        var released = 0
        while offset < size {
            if offset - released >= Self.releaseStep {
                let upTo = offset & ~(Self.releaseStep - 1)
                _ = madvise(UnsafeMutableRawPointer(mutating: base + released), upTo - released, MADV_DONTNEED)
                released = upTo
            }
            guard size - offset >= Self.recordHeaderBytes else {
                return .failed("truncated dump file; tried to read \(Self.recordHeaderBytes) header bytes, only got \(size - offset)")
            }
            farmwatch_prefetch(base + min(offset &+ Self.prefetchDistance, size - 1))
            let seconds = Int64(field(offset))
            let fraction = Int64(field(offset + 4))
            var caplen = Int(field(offset + 8))
            var wire = Int(field(offset + 12))
            switch lengthsSwapped {
            case .normal: break
            case .swapped: swap(&caplen, &wire)
            case .maybeSwapped: if caplen > wire { swap(&caplen, &wire) }
            }
            guard caplen <= max(Self.maximumFrame, snapshot) else {
                return .failed("invalid packet capture length \(caplen), bigger than snaplen of \(snapshot)")
            }
            let data = offset + Self.recordHeaderBytes
            guard size - data >= caplen else {
                return .failed("truncated dump file; tried to read \(caplen) captured bytes, only got \(size - data)")
            }
            offset = data + caplen
            // The next record's header and the start of its frame (where the decoder reads the
            // link, IP and transport headers): a packet's processing ahead of their use.
            if size - offset > Self.nextRecordLines * 64 {
                for line in 0..<Self.nextRecordLines { farmwatch_prefetch(base + offset + line * 64) }
            }
            let ns = seconds &* 1_000_000_000 &+ (nanoseconds ? fraction : fraction &* 1000)
            let frame = UnsafeRawBufferPointer(start: base + data, count: min(caplen, snapshot))
            if body(frame, ns, wire, Int64(offset)) { return .stopped }
        }
        return .endOfFile
    }
}
