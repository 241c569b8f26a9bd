import CPcap
import Foundation

/// Reads a capture file that cannot be mapped (pcapng; see MappedPcapFile) on a thread of its
/// own and hands its frames over in chunks. A live capture gets this from the kernel, whose
/// ring buffer fills while farmwatch works; a file otherwise costs the packet thread every
/// read system call and every libpcap copy, about a sixth of its time (perf, bench-full.pcap).
/// Not for pipes: a chunk waits until it is full.
///
/// Bounded: `chunkCount` chunks of about `chunkBytes` each circulate between the two threads
/// (a frame larger than a chunk gets a chunk grown to fit). Order is kept: chunks are taken
/// in the order they were filled.
final class FramePrefetcher {
    /// Frames copied out of libpcap's buffer, each as a `FrameHeader` followed by its bytes,
    /// padded to 8 bytes.
    final class Chunk {
        fileprivate(set) var buffer: UnsafeMutableRawPointer
        fileprivate(set) var capacity: Int
        fileprivate(set) var frames = 0
        /// The file position once this chunk was filled (for the progress bar).
        fileprivate(set) var endPosition: Int64 = 0

        init(capacity: Int) {
            self.capacity = capacity
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        }

        deinit { buffer.deallocate() }

        fileprivate func ensureCapacity(_ bytes: Int) {
            guard bytes > capacity else { return }
            buffer.deallocate()
            capacity = bytes
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        }

        /// Calls `body` with each frame in order. Reads the chunk's fields once: the reader
        /// thread is writing other chunks, and their fields may share a cache line.
        @inline(__always)
        func forEachFrame(_ body: (UnsafeRawBufferPointer, Int64, Int) -> Void) {
            let base = buffer
            var offset = 0
            for _ in 0..<frames {
                let header = (base + offset).load(as: FrameHeader.self)
                let caplen = Int(header.caplen)
                body(UnsafeRawBufferPointer(start: base + offset + FrameHeader.size, count: caplen),
                     header.timestampNs, Int(header.wireLength))
                offset += FrameHeader.recordSize(caplen)
            }
        }
    }

    /// The chunk being filled, as plain values on the reader's stack: nothing shared is
    /// written per frame.
    private struct Filling {
        let chunk: Chunk
        let buffer: UnsafeMutableRawPointer
        let capacity: Int
        var used = 0
        var frames = 0

        init(_ chunk: Chunk) {
            self.chunk = chunk
            buffer = chunk.buffer
            capacity = chunk.capacity
        }

        @inline(__always)
        func fits(_ bytes: Int) -> Bool { used + bytes <= capacity }

        @inline(__always)
        mutating func append(_ data: UnsafePointer<UInt8>, caplen: Int, wireLength: Int, timestampNs: Int64) {
            let header = FrameHeader(timestampNs: timestampNs, caplen: UInt32(caplen), wireLength: UInt32(clamping: wireLength))
            (buffer + used).storeBytes(of: header, as: FrameHeader.self)
            (buffer + used + FrameHeader.size).copyMemory(from: data, byteCount: caplen)
            used += FrameHeader.recordSize(caplen)
            frames += 1
        }

        /// Writes the frame count back to the chunk, to hand it over.
        func close() -> Chunk {
            chunk.frames = frames
            return chunk
        }
    }

    struct FrameHeader {
        var timestampNs: Int64
        var caplen: UInt32
        var wireLength: UInt32

        static let size = 16
        static func recordSize(_ caplen: Int) -> Int { size + (caplen + 7) & ~7 }
    }

    static let defaultChunkBytes = 1 << 20
    static let defaultChunkCount = 8

    private let source: PcapSource
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var free: [Chunk]
    private var filled: [Chunk] = []
    private var readerDone = false
    private var cancelled = false
    /// How reading ended, once the reader is done.
    private var outcome: SourceEnd = .endOfFile
    private let exited = DispatchSemaphore(value: 0)

    init(_ source: PcapSource, chunkBytes: Int = defaultChunkBytes, chunkCount: Int = defaultChunkCount) {
        self.source = source
        free = (0..<max(2, chunkCount)).map { _ in Chunk(capacity: max(chunkBytes, 4096)) }
        let thread = Thread { [self] in read() }
        thread.name = "farmwatch reader"
        thread.start()
    }

    // MARK: Reader thread

    private func read() {
        let handle = source.handle
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var end: SourceEnd = .endOfFile
        if let first = takeFree(minimumCapacity: 0) {
            var filling = Filling(first)
            var holding = true
            while true {
                let rc = pcap_next_ex(handle, &header, &data)
                guard rc == 1, let h = header, let d = data else {
                    // Offline handles return PCAP_ERROR_BREAK at the end of the file; anything
                    // else is a read error, reported after the frames that came before it.
                    if rc != PCAP_ERROR_BREAK { end = .failed(source.lastError) }
                    break
                }
                let caplen = Int(h.pointee.caplen)
                let ts = h.pointee.timestampNs
                let need = FrameHeader.recordSize(caplen)
                if !filling.fits(need) {
                    handOver(filling.close())
                    guard let next = takeFree(minimumCapacity: need) else {
                        holding = false  // cancelled: the consumer wants no more
                        break
                    }
                    filling = Filling(next)
                }
                filling.append(d, caplen: caplen, wireLength: Int(h.pointee.len), timestampNs: ts)
            }
            if holding && filling.frames > 0 { handOver(filling.close()) }
        }
        condition.lock()
        readerDone = true
        outcome = end
        condition.broadcast()
        condition.unlock()
        exited.signal()
    }

    /// An empty chunk of at least `minimumCapacity` bytes, or nil when the consumer cancelled.
    private func takeFree(minimumCapacity: Int) -> Chunk? {
        condition.lock()
        while free.isEmpty && !cancelled { condition.wait() }
        let c = cancelled ? nil : free.removeLast()
        condition.unlock()
        c?.ensureCapacity(minimumCapacity)
        return c
    }

    private func handOver(_ chunk: Chunk) {
        chunk.endPosition = source.bytesRead
        condition.lock()
        filled.append(chunk)
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Packet thread

    /// The next filled chunk in order, waiting for the reader; nil once the source is done
    /// (then `end` says how).
    func next() -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while filled.isEmpty && !readerDone { condition.wait() }
        return filled.isEmpty ? nil : filled.removeFirst()
    }

    /// Gives a chunk whose frames have all been processed back to the reader.
    func recycle(_ chunk: Chunk) {
        condition.lock()
        free.append(chunk)
        condition.broadcast()
        condition.unlock()
    }

    /// How reading ended; valid once `next()` returned nil.
    var end: SourceEnd {
        condition.lock()
        defer { condition.unlock() }
        return outcome
    }

    /// Waits for the reader thread to exit (it has, or is about to, once `next()` returned nil).
    func join() {
        exited.wait()
    }

    /// Stops the reader early (a packet limit or a signal) and waits for it to exit.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
        exited.wait()
    }
}
