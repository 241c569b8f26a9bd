/// Puts IPv4 (RFC 791) and IPv6 (RFC 8200 §4.5) fragments back together, within fixed
/// bounds and without allocating per fragment.
///
/// Datagrams are keyed by (source, destination, identification, protocol, IP version).
/// Fragment data is copied into fixed-size chunks of one arena allocated up front; a
/// datagram takes chunks as its fragments arrive and gives them back when it completes,
/// times out or is abandoned. The completing fragment gets the whole datagram (the bytes
/// after the IP header, or after the IPv6 fragment header) in a buffer that stays valid
/// until the next fragment is inserted.
///
/// Policy:
/// - An exact duplicate of a held fragment (same offset and length) is ignored.
/// - Any other overlap, or fragments disagreeing about where the datagram ends, abandons the
///   whole datagram (`.fragmentOverlap`), as RFC 5722 requires for IPv6 and as we choose
///   for IPv4 too: overlapping fragments are how IDS evasion works (each OS keeps different
///   bytes), so no single reassembly is trustworthy. An abandoned datagram stays in the
///   table until its timeout so its later fragments are refused with the same error rather
///   than starting a new datagram.
/// - A datagram longer than `maxDatagramSize` is abandoned with `.fragmentTooLarge`; one
///   needing more than `maxFragmentsPerDatagram` pieces or more arena than is free is
///   abandoned with `.fragmentTableFull`.
/// - A fragment of a new datagram when `maxDatagrams` are in progress is refused with
///   `.fragmentTableFull` (like Suricata's defrag memcap) rather than evicting a datagram
///   that may yet complete.
/// - A datagram is dropped `timeoutNs` of packet time after its first fragment (RFC 791's
///   reassembly timer); the fragments it held are counted in `takeExpiredCount()`, as are
///   those of a datagram abandoned after they were held.
public struct FragmentReassembler {
    public struct Limits: Sendable {
        /// Datagrams in progress at once.
        public var maxDatagrams: Int
        /// Reassembled bytes after the IP header (IPv6: after the fragment header).
        public var maxDatagramSize: Int
        /// Fragment data held at once, across all datagrams.
        public var maxBufferedBytes: Int
        /// Distinct fragments held for one datagram.
        public var maxFragmentsPerDatagram: Int
        /// Packet time from a datagram's first fragment to its expiry.
        public var timeoutNs: Int64

        public init(
            maxDatagrams: Int = 1024, maxDatagramSize: Int = 65_535, maxBufferedBytes: Int = 8 << 20,
            maxFragmentsPerDatagram: Int = 64, timeoutNs: Int64 = 30_000_000_000
        ) {
            self.maxDatagrams = maxDatagrams
            self.maxDatagramSize = maxDatagramSize
            self.maxBufferedBytes = maxBufferedBytes
            self.maxFragmentsPerDatagram = maxFragmentsPerDatagram
            self.timeoutNs = timeoutNs
        }
    }

    struct Key: Equatable {
        var src: IPAddress
        var dst: IPAddress
        var id: UInt32
        var proto: UInt8
        var version: UInt8

        var hash: Int {
            var h = src.hi ^ (src.lo &* 0x9E37_79B9_7F4A_7C15) ^ (dst.hi &* 0xC2B2_AE3D_27D4_EB4F)
            h ^= dst.lo &* 0x1656_67B1_9E37_79F9
            h ^= (UInt64(id) << 16 | UInt64(proto) << 8 | UInt64(version)) &* 0x27D4_EB2F_1656_67C5
            return Int(truncatingIfNeeded: h ^ (h >> 29))
        }
    }

    enum Outcome {
        case held
        case failed(DecodeError)
        /// The reassembled datagram, and the length of the IP header(s) before it as given by
        /// the first fragment (so the IP datagram was `headerLength + datagram.count` long).
        case complete(UnsafeRawBufferPointer, headerLength: Int)
    }

    struct Slot {
        var key = Key(src: .zero, dst: .zero, id: 0, proto: 0, version: 0)
        /// Set when the datagram was abandoned: its later fragments get this error.
        var abandoned: DecodeError?
        var expiresNs: Int64 = 0
        /// End of the datagram, known once the last fragment arrived; -1 before.
        var dataEnd = -1
        var received = 0
        var pieceCount = 0
        var headerLength = 0
        /// Neighbours in first-fragment order, for expiry (-1 at the ends).
        var older: Int32 = -1
        var newer: Int32 = -1
    }

    struct Piece {
        var start: Int32
        var end: Int32
    }

    /// Owns the arena and the output buffer. Copied on write, so `FragmentReassembler` (and
    /// `PacketDecoder`) keep value semantics.
    final class Buffers {
        let arena: UnsafeMutableRawPointer
        let arenaSize: Int
        let output: UnsafeMutableRawPointer
        let outputSize: Int

        init(arenaSize: Int, outputSize: Int) {
            self.arenaSize = arenaSize
            self.outputSize = outputSize
            arena = .allocate(byteCount: arenaSize, alignment: 16)
            output = .allocate(byteCount: outputSize, alignment: 16)
        }

        /// A copy of the held fragment data; the output buffer only lives until the next
        /// insert, so it is not copied.
        convenience init(copying other: Buffers) {
            self.init(arenaSize: other.arenaSize, outputSize: other.outputSize)
            arena.copyMemory(from: other.arena, byteCount: arenaSize)
        }

        deinit {
            arena.deallocate()
            output.deallocate()
        }
    }

    public let limits: Limits
    static let chunkShift = 11
    static let chunkSize = 1 << chunkShift
    let chunksPerDatagram: Int

    var slots: [Slot]
    var pieces: [Piece]
    /// Arena chunk of each chunk-sized stretch of each slot's datagram; -1 when none yet.
    var chunkMap: [Int32]
    var freeSlots: [Int32]
    var freeChunks: [Int32]
    /// Open-addressing hash index from key to slot, -1 when empty.
    var index: [Int32]
    var oldest: Int32 = -1
    var newest: Int32 = -1
    /// The earliest expiry of any datagram, so that the per-packet check is one comparison.
    var nextExpiryNs = Int64.max
    var expiredCount = 0
    var buffers: Buffers

    public init(limits: Limits = .init()) {
        var l = limits
        l.maxDatagrams = max(1, l.maxDatagrams)
        l.maxDatagramSize = max(8, l.maxDatagramSize)
        l.maxFragmentsPerDatagram = max(2, l.maxFragmentsPerDatagram)
        l.timeoutNs = max(0, l.timeoutNs)
        chunksPerDatagram = (l.maxDatagramSize + Self.chunkSize - 1) >> Self.chunkShift
        // The arena holds at least one datagram of the largest size.
        let chunkCount = max(chunksPerDatagram, l.maxBufferedBytes >> Self.chunkShift)
        l.maxBufferedBytes = chunkCount << Self.chunkShift
        self.limits = l

        slots = Array(repeating: Slot(), count: l.maxDatagrams)
        pieces = Array(repeating: Piece(start: 0, end: 0), count: l.maxDatagrams * l.maxFragmentsPerDatagram)
        chunkMap = Array(repeating: -1, count: l.maxDatagrams * chunksPerDatagram)
        freeSlots = Array((0..<Int32(l.maxDatagrams)).reversed())
        freeChunks = Array((0..<Int32(chunkCount)).reversed())
        var indexSize = 1
        while indexSize < 2 * l.maxDatagrams { indexSize <<= 1 }
        index = Array(repeating: -1, count: indexSize)
        buffers = Buffers(arenaSize: chunkCount << Self.chunkShift, outputSize: chunksPerDatagram << Self.chunkShift)
    }

    /// Datagrams waiting for more fragments (abandoned ones included until they expire).
    public var inProgress: Int { limits.maxDatagrams - freeSlots.count }

    /// Held fragments dropped since the last call (timeouts and abandoned datagrams).
    public mutating func takeExpiredCount() -> Int {
        defer { expiredCount = 0 }
        return expiredCount
    }

    /// Drops the datagrams whose timeout has passed at packet time `now`.
    @inline(__always)
    mutating func expire(now: Int64) {
        if now >= nextExpiryNs { expireSlow(now: now) }
    }

    mutating func expireSlow(now: Int64) {
        while oldest >= 0, slots[Int(oldest)].expiresNs <= now {
            let s = Int(oldest)
            expiredCount += slots[s].pieceCount
            release(s)
        }
    }

    /// Adds one fragment: `data` starts `offset` bytes into the datagram; `headerLength` is
    /// the IP header length (IPv6: up to the fragment header), kept from the first fragment.
    mutating func insert(
        _ key: Key, offset: Int, data: UnsafeRawBufferPointer, isLast: Bool, headerLength: Int, now: Int64
    ) -> Outcome {
        let start = offset
        let end = offset + data.count  // both under 2^17: no overflow
        let hash = key.hash
        var s = find(key, hash: hash)
        if s < 0 {
            guard let free = freeSlots.popLast() else { return .failed(.fragmentTableFull) }
            s = Int(free)
            add(s, key: key, hash: hash, now: now)
        }
        if let error = slots[s].abandoned { return .failed(error) }
        guard end <= limits.maxDatagramSize else { return abandon(s, .fragmentTooLarge) }

        let dataEnd = slots[s].dataEnd
        // A last fragment fixes the end; nothing may lie past it, and it may not move.
        if dataEnd >= 0 && (end > dataEnd || (isLast && end != dataEnd)) { return abandon(s, .fragmentOverlap) }
        let first = s * limits.maxFragmentsPerDatagram
        let count = slots[s].pieceCount
        for i in first..<(first + count) {
            let piece = pieces[i]
            if Int(piece.start) == start && Int(piece.end) == end { return .held }  // exact duplicate
            if start < Int(piece.end) && Int(piece.start) < end { return abandon(s, .fragmentOverlap) }
            if isLast && Int(piece.end) > end { return abandon(s, .fragmentOverlap) }
        }
        guard count < limits.maxFragmentsPerDatagram else { return abandon(s, .fragmentTableFull) }
        guard store(data, at: start, slot: s) else { return abandon(s, .fragmentTableFull) }

        pieces[first + count] = Piece(start: Int32(start), end: Int32(end))
        slots[s].pieceCount = count + 1
        slots[s].received += data.count
        if isLast { slots[s].dataEnd = end }
        if start == 0 { slots[s].headerLength = headerLength }
        // No piece overlaps another or passes the end, so receiving `dataEnd` bytes means
        // every hole, the first fragment's included, is filled.
        guard slots[s].dataEnd >= 0 && slots[s].received == slots[s].dataEnd else { return .held }
        let datagramHeaderLength = slots[s].headerLength
        return .complete(assemble(s), headerLength: datagramHeaderLength)
    }

    // MARK: Slots

    func find(_ key: Key, hash: Int) -> Int {
        let mask = index.count - 1
        var i = hash & mask
        while true {
            let s = index[i]
            if s < 0 { return -1 }
            if slots[Int(s)].key == key { return Int(s) }
            i = (i + 1) & mask
        }
    }

    mutating func add(_ s: Int, key: Key, hash: Int, now: Int64) {
        let mask = index.count - 1
        var i = hash & mask
        while index[i] >= 0 { i = (i + 1) & mask }
        index[i] = Int32(s)
        let (expires, overflow) = now.addingReportingOverflow(limits.timeoutNs)
        slots[s] = Slot(key: key, expiresNs: overflow ? .max : expires, older: newest)
        if newest >= 0 { slots[Int(newest)].newer = Int32(s) } else { oldest = Int32(s) }
        newest = Int32(s)
        nextExpiryNs = slots[Int(oldest)].expiresNs
    }

    /// Frees the slot's chunks and the slot itself.
    mutating func release(_ s: Int) {
        releaseChunks(s)
        removeFromIndex(slots[s].key)
        let older = slots[s].older, newer = slots[s].newer
        if older >= 0 { slots[Int(older)].newer = newer } else { oldest = newer }
        if newer >= 0 { slots[Int(newer)].older = older } else { newest = older }
        slots[s] = Slot()
        freeSlots.append(Int32(s))
        nextExpiryNs = oldest >= 0 ? slots[Int(oldest)].expiresNs : .max
    }

    /// Linear-probing removal with backward shift, so lookups never need tombstones.
    mutating func removeFromIndex(_ key: Key) {
        let mask = index.count - 1
        var hole = key.hash & mask
        while slots[Int(index[hole])].key != key { hole = (hole + 1) & mask }
        var i = hole
        while true {
            i = (i + 1) & mask
            let s = index[i]
            if s < 0 { break }
            let home = slots[Int(s)].key.hash & mask
            // Move the entry back unless its home lies cyclically in (hole, i].
            let stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !stays {
                index[hole] = s
                hole = i
            }
        }
        index[hole] = -1
    }

    /// Gives up on a datagram: its held fragments count as expired, its chunks are freed,
    /// and it stays in the table to refuse its remaining fragments until it times out.
    mutating func abandon(_ s: Int, _ error: DecodeError) -> Outcome {
        expiredCount += slots[s].pieceCount
        releaseChunks(s)
        slots[s].pieceCount = 0
        slots[s].abandoned = error
        return .failed(error)
    }

    // MARK: Data

    mutating func releaseChunks(_ s: Int) {
        let base = s * chunksPerDatagram
        for i in base..<(base + chunksPerDatagram) where chunkMap[i] >= 0 {
            freeChunks.append(chunkMap[i])
            chunkMap[i] = -1
        }
    }

    /// Copies fragment data into the slot's chunks, taking free chunks as needed. False
    /// when the arena is exhausted.
    mutating func store(_ data: UnsafeRawBufferPointer, at offset: Int, slot s: Int) -> Bool {
        guard let source = data.baseAddress else { return true }
        if !isKnownUniquelyReferenced(&buffers) { buffers = Buffers(copying: buffers) }
        let arena = buffers.arena
        var position = offset
        var copied = 0
        while copied < data.count {
            let mapIndex = s * chunksPerDatagram + position >> Self.chunkShift
            if chunkMap[mapIndex] < 0 {
                guard let chunk = freeChunks.popLast() else { return false }
                chunkMap[mapIndex] = chunk
            }
            let within = position & (Self.chunkSize - 1)
            let n = min(Self.chunkSize - within, data.count - copied)
            (arena + (Int(chunkMap[mapIndex]) << Self.chunkShift + within)).copyMemory(from: source + copied, byteCount: n)
            position += n
            copied += n
        }
        return true
    }

    /// Copies the complete datagram into the output buffer and frees its slot.
    mutating func assemble(_ s: Int) -> UnsafeRawBufferPointer {
        if !isKnownUniquelyReferenced(&buffers) { buffers = Buffers(copying: buffers) }
        let length = slots[s].dataEnd
        let output = buffers.output
        var position = 0
        while position < length {
            let chunk = Int(chunkMap[s * chunksPerDatagram + position >> Self.chunkShift])
            let n = min(Self.chunkSize, length - position)
            output.advanced(by: position).copyMemory(from: buffers.arena + chunk << Self.chunkShift, byteCount: n)
            position += n
        }
        release(s)
        return UnsafeRawBufferPointer(start: output, count: length)
    }
}
