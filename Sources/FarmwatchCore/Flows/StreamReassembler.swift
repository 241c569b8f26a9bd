/// Per-direction reassembly state, stored inline in each flow (20 bytes). It is an owning
/// handle: while it holds out-of-order segments it names slabs of the reassembler's arena, so
/// the flow table must keep exactly one live copy and pass it to `StreamReassembler.release`
/// when the flow ends.
public struct StreamCursor: Sendable {
    /// Sequence number of the next byte to deliver (valid once synced).
    var nextSeq: UInt32 = 0
    /// Sequence number the FIN occupies (valid when `hasFin` is set).
    var finSeq: UInt32 = 0
    var delivered: UInt32 = 0
    /// First slab of the first held segment, -1 when none. Held segments form a list in
    /// sequence order, pairwise disjoint, each starting beyond `nextSeq`.
    var heldHead: Int32 = -1
    var heldCount: UInt8 = 0
    /// Segments that arrived beyond a hole since the stream last advanced (saturating).
    var pastHole: UInt8 = 0
    var flags: UInt8 = 0

    enum Flag {
        static let synced: UInt8 = 1
        static let hasFin: UInt8 = 2
        static let finished: UInt8 = 4
        /// The next delivery follows bytes that were never delivered (a skipped hole, or the
        /// start of a stream picked up without its SYN).
        static let gapPending: UInt8 = 8
    }

    public init() {}

    /// Payload bytes delivered so far (at most the budget).
    public var deliveredBytes: Int { Int(delivered) }

    /// Nothing more will be delivered: the budget is spent, the FIN was reached, or the
    /// cursor was released. Further segments are rejected on one branch.
    public var isFinished: Bool { flags & Flag.finished != 0 }
}

/// Puts each TCP direction's payload in order for the dissectors, for the first
/// `budgetPerDirection` bytes of the direction.
///
/// In-order segments are handed over straight from the packet buffer. Only segments that
/// arrive beyond a hole are copied, into one fixed arena shared by all flows and allocated in
/// `init`; nothing is allocated per segment. The arena is carved into slabs chained by Int32
/// index; a free list threads the unused ones.
///
/// Policies, chosen so that hostile or lossy traffic costs bounded memory and time:
/// - Overlaps: bytes already delivered are never delivered again; of two held segments that
///   cover the same bytes, the first received wins (later copies only fill what is still
///   missing). Same for an in-order segment that runs into held data: the held bytes win.
///   This is the "first" policy of most IDS reassemblers; what a given receiver accepted is
///   unknowable from the wire, and first-wins at least keeps injected retransmissions from
///   rewriting what was already held.
/// - Holes: a hole is waited for only while its direction holds fewer than
///   `maxHeldSegmentsPerDirection` segments, the arena has room, and no more than
///   `maxSegmentsPastHole` segments have arrived beyond it. Otherwise it is skipped: delivery
///   resumes at the earliest byte known beyond it, flagged `afterGap`.
/// - Mid-stream pickup: without a SYN the first data segment fixes the stream start, and its
///   delivery is flagged `afterGap` (earlier bytes exist but were not seen). An earlier
///   segment arriving afterwards counts as a retransmission.
/// - FIN: the first FIN not behind the delivered data fixes the stream end; bytes past it are
///   ignored.
///
/// Noncopyable because it owns the arena: a copy would share the slabs but not the free list.
public struct StreamReassembler: ~Copyable {
    public struct Limits: Sendable {
        /// Payload bytes delivered per direction; the cursor is finished after that.
        public var budgetPerDirection: Int
        /// Out-of-order segments one direction may hold before its first hole is skipped.
        public var maxHeldSegmentsPerDirection: Int
        /// Segments that may arrive beyond a hole, held or not (duplicates, data past the
        /// budget window after a capture loss), before the hole is skipped.
        public var maxSegmentsPastHole: Int
        /// Size of the shared arena for held segments.
        public var arenaBytes: Int
        /// Arena granule: one typical segment (MSS 1460) fits one slab.
        public var slabBytes: Int

        public init(budgetPerDirection: Int = 64 << 10, maxHeldSegmentsPerDirection: Int = 16,
                    maxSegmentsPastHole: Int = 32, arenaBytes: Int = 8 << 20, slabBytes: Int = 2048) {
            self.budgetPerDirection = budgetPerDirection
            self.maxHeldSegmentsPerDirection = maxHeldSegmentsPerDirection
            self.maxSegmentsPastHole = maxSegmentsPastHole
            self.arenaBytes = arenaBytes
            self.slabBytes = slabBytes
        }
    }

    /// Counters for the engine's stats record.
    public struct Stats: Sendable {
        /// Out-of-order pieces copied into the arena.
        public var segmentsHeld = 0
        /// Segments that found the arena full; their hole was skipped instead of waited for.
        public var arenaFull = 0
        public var gapsSkipped = 0
        /// Segments carrying bytes already delivered or held (retransmissions, overlaps).
        public var overlaps = 0
        public var slabsInUse = 0
        /// High-water mark of `slabsInUse`, for sizing the arena.
        public var slabsInUsePeak = 0

        public init() {}
    }

    /// A slab's links and, on a held segment's first slab, the segment header.
    private struct Slab {
        /// Next slab of the same segment, or next free slab; -1 ends the chain.
        var nextSlab: Int32 = -1
        /// First slab of the next held segment of the same cursor, -1 when last.
        var nextSegment: Int32 = -1
        var seq: UInt32 = 0
        var length: UInt32 = 0
    }

    private enum HoldResult { case held, cursorFull, arenaFull }

    public let limits: Limits
    public private(set) var stats = Stats()

    private let bytes: UnsafeMutableRawPointer
    private let slabs: UnsafeMutablePointer<Slab>
    private let slabCount: Int
    private let slabBytes: Int
    private let budget: Int
    private let maxHeld: Int
    private let maxPastHole: Int
    private var freeHead: Int32
    private var freeCount: Int

    public init(limits: Limits = .init()) {
        precondition(limits.budgetPerDirection > 0 && limits.budgetPerDirection <= 1 << 30,
                     "budgetPerDirection must be in 1...2^30 (sequence offsets stay far from 2^31)")
        precondition((0...Int(UInt8.max)).contains(limits.maxHeldSegmentsPerDirection),
                     "maxHeldSegmentsPerDirection must be in 0...255")
        precondition((0..<Int(UInt8.max)).contains(limits.maxSegmentsPastHole),
                     "maxSegmentsPastHole must be in 0...254")
        precondition(limits.slabBytes >= 64 && limits.arenaBytes >= 0, "slabBytes >= 64, arenaBytes >= 0")
        self.limits = limits
        slabBytes = limits.slabBytes
        slabCount = min(limits.arenaBytes / limits.slabBytes, Int(Int32.max))
        budget = limits.budgetPerDirection
        maxHeld = limits.maxHeldSegmentsPerDirection
        maxPastHole = limits.maxSegmentsPastHole
        bytes = .allocate(byteCount: slabCount * slabBytes, alignment: 16)
        slabs = .allocate(capacity: slabCount)
        for i in 0..<slabCount {
            (slabs + i).initialize(to: Slab(nextSlab: i + 1 < slabCount ? Int32(i + 1) : -1))
        }
        freeHead = slabCount > 0 ? 0 : -1
        freeCount = slabCount
    }

    deinit {
        slabs.deinitialize(count: slabCount)
        slabs.deallocate()
        bytes.deallocate()
    }

    /// Feeds one TCP segment of one direction. Calls `deliver(bytes, afterGap)` zero or more
    /// times, in stream order; `bytes` is valid only during the call, and `deliver` must not
    /// call back into the reassembler. `syn` sets the initial sequence (ISN+1 is the first data
    /// byte); without a SYN the cursor syncs on the first data segment seen. Data past the
    /// budget is not delivered; the cursor then reports finished.
    @inline(__always)
    public mutating func accept(seq: UInt32, syn: Bool, fin: Bool, payload: UnsafeRawBufferPointer,
                                cursor c: inout StreamCursor,
                                deliver: (UnsafeRawBufferPointer, _ afterGap: Bool) -> Void) {
        // Any flag but `synced` means there is bookkeeping to do (or nothing at all, when
        // finished), so the common case is one compare away from the in-order path below.
        guard c.flags == StreamCursor.Flag.synced else {
            if c.flags & StreamCursor.Flag.finished == 0 {
                acceptSlow(seq: seq, syn: syn, fin: fin, payload: payload, cursor: &c, deliver: deliver)
            }
            return
        }
        guard seq == c.nextSeq && c.heldHead < 0 && !syn && !fin else {
            acceptSlow(seq: seq, syn: syn, fin: fin, payload: payload, cursor: &c, deliver: deliver)
            return
        }
        // In order with nothing held: zero-copy, straight from the packet.
        let n = min(payload.count, budget &- Int(c.delivered))
        guard n > 0 else { return }
        deliver(UnsafeRawBufferPointer(start: payload.baseAddress, count: n), false)
        advance(&c, by: n)
    }

    /// Frees whatever the cursor holds in the arena and finishes it (flow ended, evicted, or
    /// no dissector wants more). Idempotent.
    public mutating func release(_ c: inout StreamCursor) {
        finish(&c)
    }

    // MARK: Slow path

    private mutating func acceptSlow(seq: UInt32, syn: Bool, fin: Bool, payload: UnsafeRawBufferPointer,
                                     cursor c: inout StreamCursor,
                                     deliver: (UnsafeRawBufferPointer, Bool) -> Void) {
        let dataSeq = syn ? seq &+ 1 : seq
        let count = payload.baseAddress == nil ? 0 : payload.count
        if c.flags & StreamCursor.Flag.synced == 0 {
            if syn {
                c.nextSeq = dataSeq
                c.flags |= StreamCursor.Flag.synced
            } else if count > 0 {
                c.nextSeq = dataSeq
                c.flags |= StreamCursor.Flag.synced | StreamCursor.Flag.gapPending
            } else {
                return
            }
        }
        if fin && c.flags & StreamCursor.Flag.hasFin == 0 {
            let finSeq = dataSeq &+ UInt32(truncatingIfNeeded: count)
            // A FIN behind the delivered bytes cannot be genuine (the data before it was
            // delivered without it), and honouring it would end the stream early.
            if offset(of: finSeq, c) >= 0 {
                c.finSeq = finSeq
                c.flags |= StreamCursor.Flag.hasFin
                finishIfDone(&c)
            }
        }
        if count > 0 && c.flags & StreamCursor.Flag.finished == 0 {
            place(dataSeq, payload.baseAddress!, count, &c, deliver)
        }
    }

    /// Delivers, holds or drops one segment's bytes. Every pass of the loop either ends it or
    /// moves the stream forward by at least one byte (delivering or skipping a hole), and
    /// the budget bounds the bytes, so hostile input cannot make it spin.
    private mutating func place(_ seq: UInt32, _ base: UnsafeRawPointer, _ count: Int,
                                _ c: inout StreamCursor, _ deliver: (UnsafeRawBufferPointer, Bool) -> Void) {
        var overlapped = offset(of: seq, c) < 0
        var arenaWasFull = false
        while c.flags & StreamCursor.Flag.finished == 0 {
            let off = offset(of: seq, c)
            let lo = max(off, 0)
            let hi = min(off + count, deliverable(c))
            if off <= 0 {
                guard hi > 0 else { break }  // every byte was delivered before
                let heldStart = c.heldHead < 0 ? Int.max : offset(of: slab(c.heldHead).pointee.seq, c)
                let n = min(hi, heldStart)
                if n < hi { overlapped = true }
                emit(base + (lo - off), n, &c, deliver)
                drainHeld(&c, deliver)
                continue
            }
            // A hole lies before this segment.
            if c.flags & StreamCursor.Flag.hasFin != 0 && off >= offset(of: c.finSeq, c) { break }
            if c.pastHole < UInt8.max { c.pastHole += 1 }
            if Int(c.pastHole) > maxPastHole {
                skipHole(to: seq, &c, deliver)
                continue
            }
            guard lo < hi else { break }  // past the budget window: counted above, nothing to hold
            switch hold(base, off, lo, hi, &c, &overlapped) {
            case .held:
                break
            case .cursorFull:
                skipHole(to: seq, &c, deliver)
                continue
            case .arenaFull:
                arenaWasFull = true
                skipHole(to: seq, &c, deliver)
                continue
            }
            break
        }
        if overlapped { stats.overlaps += 1 }
        if arenaWasFull { stats.arenaFull += 1 }
    }

    /// Gives up on the hole at `nextSeq`: resumes at the earliest byte known beyond it, the
    /// first held segment or the current segment (`segmentSeq`, beyond the hole), whichever
    /// comes first.
    private mutating func skipHole(to segmentSeq: UInt32, _ c: inout StreamCursor,
                                   _ deliver: (UnsafeRawBufferPointer, Bool) -> Void) {
        var target = segmentSeq
        if c.heldHead >= 0 {
            let heldSeq = slab(c.heldHead).pointee.seq
            if offset(of: heldSeq, c) < offset(of: segmentSeq, c) { target = heldSeq }
        }
        stats.gapsSkipped += 1
        c.nextSeq = target
        c.pastHole = 0
        c.flags |= StreamCursor.Flag.gapPending
        drainHeld(&c, deliver)
    }

    /// Copies the parts of [lo, hi) (offsets from `nextSeq`; `base` is at offset `off`) that
    /// no held segment covers yet into the arena, keeping the held list ordered. Held bytes
    /// win over the new ones (first-received policy).
    private mutating func hold(_ base: UnsafeRawPointer, _ off: Int, _ lo: Int, _ hi: Int,
                               _ c: inout StreamCursor, _ overlapped: inout Bool) -> HoldResult {
        var prev: Int32 = -1
        var node = c.heldHead
        var pos = lo
        while pos < hi {
            var nodeStart = Int.max
            var nodeEnd = Int.max
            if node >= 0 {
                let s = slab(node)
                nodeStart = offset(of: s.pointee.seq, c)
                nodeEnd = nodeStart + Int(s.pointee.length)
                if nodeEnd <= pos {
                    prev = node
                    node = s.pointee.nextSegment
                    continue
                }
            }
            if nodeStart > pos {
                let end = min(hi, nodeStart)
                guard Int(c.heldCount) < maxHeld else { return .cursorFull }
                guard let first = store(base + (pos - off), end - pos, seq: c.nextSeq &+ UInt32(truncatingIfNeeded: pos))
                else { return .arenaFull }
                slab(first).pointee.nextSegment = node
                if prev < 0 { c.heldHead = first } else { slab(prev).pointee.nextSegment = first }
                c.heldCount += 1
                stats.segmentsHeld += 1
                prev = first
                pos = end
            } else {
                overlapped = true
                pos = nodeEnd
                prev = node
                node = slab(node).pointee.nextSegment
            }
        }
        return .held
    }

    /// Delivers the held segments that the stream has reached, in order.
    private mutating func drainHeld(_ c: inout StreamCursor, _ deliver: (UnsafeRawBufferPointer, Bool) -> Void) {
        while c.heldHead >= 0 && c.flags & StreamCursor.Flag.finished == 0 {
            let first = c.heldHead
            let head = slab(first).pointee
            var skip = -offset(of: head.seq, c)
            if skip < 0 { return }
            c.heldHead = head.nextSegment
            c.heldCount -= 1
            // `skip` is 0 as deliveries stop at the first held byte; trimming anyway keeps
            // this loop exact and progressing without relying on its callers.
            var i = first
            var left = Int(head.length)
            while i >= 0 && left > 0 && c.flags & StreamCursor.Flag.finished == 0 {
                let n = min(left, slabBytes)
                if skip < n { emit(UnsafeRawPointer(slabData(i)) + skip, n - skip, &c, deliver) }
                skip = max(0, skip - n)
                left -= n
                i = slab(i).pointee.nextSlab
            }
            freeSegment(first)
        }
    }

    /// Delivers `count` bytes at the next expected sequence number (fewer when the budget
    /// or the FIN cuts them).
    @inline(__always)
    private mutating func emit(_ p: UnsafeRawPointer, _ count: Int, _ c: inout StreamCursor,
                               _ deliver: (UnsafeRawBufferPointer, Bool) -> Void) {
        let n = min(count, deliverable(c))
        guard n > 0 else { return }
        let gap = c.flags & StreamCursor.Flag.gapPending != 0
        c.flags &= ~StreamCursor.Flag.gapPending
        deliver(UnsafeRawBufferPointer(start: p, count: n), gap)
        advance(&c, by: n)
    }

    @inline(__always)
    private mutating func advance(_ c: inout StreamCursor, by n: Int) {
        c.nextSeq &+= UInt32(truncatingIfNeeded: n)
        c.delivered &+= UInt32(truncatingIfNeeded: n)
        c.pastHole = 0
        if Int(c.delivered) >= budget { finish(&c) } else if c.flags & StreamCursor.Flag.hasFin != 0 { finishIfDone(&c) }
    }

    /// Bytes from `nextSeq` on that may still be delivered: the rest of the budget, up to the FIN.
    @inline(__always)
    private func deliverable(_ c: StreamCursor) -> Int {
        let left = budget &- Int(c.delivered)
        return c.flags & StreamCursor.Flag.hasFin != 0 ? min(left, offset(of: c.finSeq, c)) : left
    }

    private mutating func finishIfDone(_ c: inout StreamCursor) {
        if Int(c.delivered) >= budget
            || (c.flags & StreamCursor.Flag.hasFin != 0 && offset(of: c.finSeq, c) <= 0) {
            finish(&c)
        }
    }

    /// Marks the cursor finished and returns its held segments (nothing held can be delivered
    /// any more).
    private mutating func finish(_ c: inout StreamCursor) {
        var node = c.heldHead
        while node >= 0 {
            let next = slab(node).pointee.nextSegment
            freeSegment(node)
            node = next
        }
        c.heldHead = -1
        c.heldCount = 0
        c.flags |= StreamCursor.Flag.finished
    }

    /// Position of `seq` relative to the next expected byte, in modulo-2^32 arithmetic:
    /// negative is behind (already delivered), positive is ahead.
    @inline(__always)
    private func offset(of seq: UInt32, _ c: StreamCursor) -> Int {
        Int(Int32(bitPattern: seq &- c.nextSeq))
    }

    // MARK: Arena

    /// Every arena access goes through this bounds check; a bad index traps rather than
    /// corrupting memory.
    @inline(__always)
    private func slab(_ i: Int32) -> UnsafeMutablePointer<Slab> {
        precondition(i >= 0 && Int(i) < slabCount, "arena slab index out of range")
        return slabs + Int(i)
    }

    @inline(__always)
    private func slabData(_ i: Int32) -> UnsafeMutableRawPointer {
        precondition(i >= 0 && Int(i) < slabCount, "arena slab index out of range")
        return bytes + Int(i) * slabBytes
    }

    /// Copies `count` (> 0) bytes into a fresh chain of slabs; nil when the arena is short.
    private mutating func store(_ src: UnsafeRawPointer, _ count: Int, seq: UInt32) -> Int32? {
        let needed = (count + slabBytes - 1) / slabBytes
        guard needed <= freeCount else { return nil }
        var first: Int32 = -1
        var last: Int32 = -1
        var copied = 0
        while copied < count {
            let i = freeHead
            freeHead = slab(i).pointee.nextSlab
            let n = min(slabBytes, count - copied)
            slabData(i).copyMemory(from: src + copied, byteCount: n)
            slab(i).pointee.nextSlab = -1
            if last < 0 { first = i } else { slab(last).pointee.nextSlab = i }
            last = i
            copied += n
        }
        freeCount -= needed
        slab(first).pointee = Slab(nextSlab: slab(first).pointee.nextSlab, nextSegment: -1,
                                   seq: seq, length: UInt32(count))
        stats.slabsInUse += needed
        if stats.slabsInUse > stats.slabsInUsePeak { stats.slabsInUsePeak = stats.slabsInUse }
        return first
    }

    /// Returns a segment's slabs to the free list.
    private mutating func freeSegment(_ first: Int32) {
        var i = first
        while i >= 0 {
            let next = slab(i).pointee.nextSlab
            slab(i).pointee = Slab(nextSlab: freeHead)
            freeHead = i
            freeCount += 1
            stats.slabsInUse -= 1
            i = next
        }
    }
}

extension StreamReassembler.Stats {
    /// The counters as fields of the run's `stats` record (inside an open object), named here
    /// so that they change together with the counters.
    public func write(to w: JSONWriter) {
        w.field("segments_held", segmentsHeld)
        w.field("arena_full", arenaFull)
        w.field("gaps_skipped", gapsSkipped)
        w.field("overlaps", overlaps)
        w.field("slabs_in_use", slabsInUse)
        w.field("slabs_in_use_peak", slabsInUsePeak)
    }
}
