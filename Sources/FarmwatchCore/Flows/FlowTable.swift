/// The bounded store of open flows: a slab of `FlowState` allocated once for `capacity` flows,
/// an open-addressing index (linear probing, backward-shift deletion) over it, and one
/// intrusive LRU list per timeout class. Lookup, insert, touch and remove are O(1); a flood
/// of new flows costs evictions, not memory. The index starts small and doubles with the
/// flows open (up to its size for `capacity`): every packet reads it at a random place, and
/// an index sized for the open flows stays in the core's cache where one sized for the
/// capacity (4 MB by default, for some ten thousand flows open) does not.
final class FlowTable {
    let capacity: Int
    /// Flow slots; slots below `initializedHighWater` that are not on the free list are live.
    let flows: UnsafeMutablePointer<FlowState>
    // Touched on every packet from one thread: no runtime exclusivity checks (see FlowEngine).
    @exclusivity(unchecked) private var initializedHighWater: Int32 = 0
    private let freeList: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var freeCount = 0
    @exclusivity(unchecked) private(set) var count = 0

    /// Index entries: (32-bit tag << 32) | (slot + 1); 0 is empty. An entry's home position
    /// is its tag masked, so the index can grow without the keys.
    @exclusivity(unchecked) private var index: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var indexMask: Int
    /// The index's final size: load factor <= 0.5 at `capacity` keeps linear-probing runs short.
    private let maxIndexSize: Int
    /// 16,384 entries (128 KB): a small site's flows, in the second-level cache.
    static let initialIndexSize = 1 << 14
    private let seed: UInt64

    private let lruHead: UnsafeMutablePointer<Int32>
    private let lruTail: UnsafeMutablePointer<Int32>
    private let classCount = TimeoutClass.allCases.count
    /// Where each slot's entry sits in the index, so removal needs no second lookup.
    private let indexPosition: UnsafeMutablePointer<Int32>

    init(capacity: Int, seed: UInt64) {
        precondition(capacity > 0 && capacity < Int(Int32.max) / 2)
        self.capacity = capacity
        self.seed = seed
        flows = .allocate(capacity: capacity)
        freeList = .allocate(capacity: capacity)
        indexPosition = .allocate(capacity: capacity)
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        maxIndexSize = size
        size = min(size, FlowTable.initialIndexSize)
        indexMask = size - 1
        index = .allocate(capacity: size)
        index.initialize(repeating: 0, count: size)
        lruHead = .allocate(capacity: TimeoutClass.allCases.count)
        lruHead.initialize(repeating: -1, count: TimeoutClass.allCases.count)
        lruTail = .allocate(capacity: TimeoutClass.allCases.count)
        lruTail.initialize(repeating: -1, count: TimeoutClass.allCases.count)
    }

    deinit {
        forEachLive { (flows + Int($0)).deinitialize(count: 1) }
        flows.deallocate()
        freeList.deallocate()
        indexPosition.deallocate()
        index.deallocate()
        lruHead.deallocate()
        lruTail.deallocate()
    }

    var isFull: Bool { count == capacity }

    @inline(__always)
    func hash(_ key: FlowKey) -> UInt64 { key.hash(seed: seed) }

    @inline(__always)
    private func tag(_ h: UInt64) -> UInt64 { h >> 32 }

    /// The slot holding `key`, or -1.
    @inline(__always)
    func find(_ key: FlowKey, hash h: UInt64) -> Int32 {
        let t = tag(h)
        var i = Int(t) & indexMask
        while true {
            let e = index[i]
            if e == 0 { return -1 }
            if e >> 32 == t {
                let slot = Int32(truncatingIfNeeded: e & 0xFFFF_FFFF) - 1
                if flows[Int(slot)].key == key { return slot }
            }
            i = (i + 1) & indexMask
        }
    }

    /// Stores a new flow, which `build` initializes in its slot (the caller has made room:
    /// `!isFull`). Built in place rather than passed in: a FlowState is over a kilobyte, with
    /// references, and a value handed over is copied and its references retained.
    @inline(__always)
    func insert(hash h: UInt64, build: (UnsafeMutablePointer<FlowState>) -> Void) -> Int32 {
        let slot: Int32
        if freeCount > 0 {
            freeCount -= 1
            slot = freeList[freeCount]
        } else {
            slot = initializedHighWater
            initializedHighWater += 1
        }
        build(flows + Int(slot))
        if (count + 1) * 2 > indexMask + 1 && indexMask + 1 < maxIndexSize { growIndex() }
        let t = tag(h)
        var i = Int(t) & indexMask
        while index[i] != 0 { i = (i + 1) & indexMask }
        index[i] = t << 32 | UInt64(slot + 1)
        indexPosition[Int(slot)] = Int32(i)
        count += 1
        linkTail(slot, flows[Int(slot)].timeoutClass)
        return slot
    }

    /// Doubles the index, moving each entry to its home position in the larger one.
    private func growIndex() {
        let oldIndex = index, oldSize = indexMask + 1
        let size = oldSize * 2
        index = .allocate(capacity: size)
        index.initialize(repeating: 0, count: size)
        indexMask = size - 1
        for j in 0..<oldSize where oldIndex[j] != 0 {
            let e = oldIndex[j]
            var i = Int(e >> 32) & indexMask
            while index[i] != 0 { i = (i + 1) & indexMask }
            index[i] = e
            indexPosition[Int(e & 0xFFFF_FFFF) - 1] = Int32(i)
        }
        oldIndex.deallocate()
    }

    /// Removes a flow, frees its slot and hands the flow back: moved out, not copied, so that
    /// its record can be written elsewhere without retaining and releasing what it holds.
    func take(_ slot: Int32) -> FlowState {
        unlink(slot)
        var hole = Int(indexPosition[Int(slot)])
        index[hole] = 0
        // Backward-shift deletion: pull later entries of the run into the hole when their
        // home position allows, so lookups never need tombstones.
        var i = (hole + 1) & indexMask
        while index[i] != 0 {
            let home = Int(index[i] >> 32) & indexMask
            let distHole = (hole - home) & indexMask
            let distHere = (i - home) & indexMask
            if distHole <= distHere {
                index[hole] = index[i]
                indexPosition[Int(index[i] & 0xFFFF_FFFF) - 1] = Int32(hole)
                index[i] = 0
                hole = i
            }
            i = (i + 1) & indexMask
        }
        let state = (flows + Int(slot)).move()
        freeList[freeCount] = slot
        freeCount += 1
        count -= 1
        return state
    }

    // MARK: LRU per timeout class

    /// Marks the flow as just seen: moves it to the tail of its class's list (or to another list).
    @inline(__always)
    func touch(_ slot: Int32, class newClass: TimeoutClass) {
        let s = Int(slot)
        if flows[s].timeoutClass == newClass && flows[s].lruNext == -1 { return }
        unlink(slot)
        linkTail(slot, newClass)
    }

    /// The stalest flow of a class, or -1.
    @inline(__always)
    func head(_ c: TimeoutClass) -> Int32 { lruHead[c.rawValue] }

    /// The stalest flow over all classes (for eviction when the table is full), or -1.
    func stalest() -> Int32 {
        var best: Int32 = -1
        var bestTs = Int64.max
        for c in 0..<classCount {
            let h = lruHead[c]
            if h >= 0 && flows[Int(h)].lastTimestampNs < bestTs {
                bestTs = flows[Int(h)].lastTimestampNs
                best = h
            }
        }
        return best
    }

    @inline(__always)
    private func linkTail(_ slot: Int32, _ c: TimeoutClass) {
        let s = Int(slot)
        flows[s].timeoutClass = c
        flows[s].lruNext = -1
        let tail = lruTail[c.rawValue]
        flows[s].lruPrev = tail
        if tail >= 0 { flows[Int(tail)].lruNext = slot } else { lruHead[c.rawValue] = slot }
        lruTail[c.rawValue] = slot
    }

    @inline(__always)
    private func unlink(_ slot: Int32) {
        let s = Int(slot)
        let c = flows[s].timeoutClass.rawValue
        let prev = flows[s].lruPrev, next = flows[s].lruNext
        if prev >= 0 { flows[Int(prev)].lruNext = next } else { lruHead[c] = next }
        if next >= 0 { flows[Int(next)].lruPrev = prev } else { lruTail[c] = prev }
        flows[s].lruPrev = -1
        flows[s].lruNext = -1
    }

    /// Calls `body` with every live slot (order unspecified).
    func forEachLive(_ body: (Int32) -> Void) {
        for c in 0..<classCount {
            var s = lruHead[c]
            while s >= 0 {
                let next = flows[Int(s)].lruNext
                body(s)
                s = next
            }
        }
    }
}
