import XCTest
import FarmwatchCore

final class StreamReassemblerTests: XCTestCase {
    // MARK: In order

    func testInOrderSegmentsAreDeliveredZeroCopy() {
        var r = StreamReassembler()
        var c = StreamCursor()
        var out = Output()
        let isn: UInt32 = 1000
        r.accept(seq: isn, syn: true, fin: false, payload: .init(start: nil, count: 0), cursor: &c) { _, _ in
            XCTFail("a bare SYN delivers nothing")
        }
        let stream = Self.randomBytes(3000, seed: 1)
        var seq = isn &+ 1
        for range in [0..<1000, 1000..<1460, 1460..<3000] {
            let segment = Array(stream[range])
            segment.withUnsafeBytes { payload in
                var calls = 0
                r.accept(seq: seq, syn: false, fin: false, payload: payload, cursor: &c) { bytes, gap in
                    calls += 1
                    XCTAssertEqual(bytes.baseAddress, payload.baseAddress, "in-order bytes come straight from the packet")
                    XCTAssertEqual(bytes.count, payload.count)
                    XCTAssertFalse(gap)
                    out.append(bytes, gap)
                }
                XCTAssertEqual(calls, 1)
            }
            seq &+= UInt32(range.count)
        }
        XCTAssertEqual(out.bytes, stream)
        XCTAssertEqual(c.deliveredBytes, 3000)
        XCTAssertFalse(c.isFinished)
        XCTAssertEqual(r.stats.segmentsHeld, 0)
        XCTAssertEqual(r.stats.slabsInUse, 0)
    }

    func testSegmentCarryingDataOnTheSYNStartsAtISNPlusOne() {
        var r = StreamReassembler()
        var c = StreamCursor()
        var out = Output()
        Self.feed(&r, &c, &out, seq: 99, syn: true, Array("hello".utf8))
        Self.feed(&r, &c, &out, seq: 105, Array(" world".utf8))
        XCTAssertEqual(String(decoding: out.bytes, as: UTF8.self), "hello world")
        XCTAssertEqual(out.gaps, [])
    }

    // MARK: Reordering, retransmission, overlap

    /// Random segmentations of a random stream, with random retransmissions of random ranges,
    /// fed in random order (FIN on the last segment, wherever it lands): with limits that are
    /// never reached, the output is the stream, exactly.
    func testShuffledSegmentationsReassembleExactly() {
        var rng = SplitMix64(seed: 42)
        var r = StreamReassembler(limits: .init(maxHeldSegmentsPerDirection: 255, maxSegmentsPastHole: 254,
                                                arenaBytes: 1 << 20))
        for trial in 0..<300 {
            let length = Int.random(in: 1...20_000, using: &rng)
            let stream = Self.randomBytes(length, seed: UInt64(trial))
            // Every fourth trial starts just below the wrap of the sequence space.
            let isn = trial % 4 == 0 ? UInt32.max &- UInt32.random(in: 0...3000, using: &rng)
                                     : UInt32.random(in: 0...UInt32.max, using: &rng)
            var segments = Self.segmentation(length, maxSegment: 1500, using: &rng)
            for _ in 0..<Int.random(in: 0...10, using: &rng) {
                let start = Int.random(in: 0..<length, using: &rng)
                segments.append(start..<min(length, start + Int.random(in: 1...3000, using: &rng)))
            }
            segments.shuffle(using: &rng)
            var c = StreamCursor()
            var out = Output()
            Self.feed(&r, &c, &out, seq: isn, syn: true, [])
            for s in segments {
                Self.feed(&r, &c, &out, seq: isn &+ 1 &+ UInt32(s.lowerBound), fin: s.upperBound == length,
                          Array(stream[s]))
            }
            XCTAssertEqual(out.bytes, stream, "trial \(trial)")
            XCTAssertEqual(out.gaps, [], "trial \(trial)")
            XCTAssertTrue(c.isFinished, "FIN reached, trial \(trial)")
            XCTAssertEqual(r.stats.slabsInUse, 0, "trial \(trial)")
            r.release(&c)
        }
        XCTAssertGreaterThan(r.stats.segmentsHeld, 1000)
        XCTAssertEqual(r.stats.gapsSkipped, 0)
    }

    /// With tight limits, heavy reordering, overlapping retransmissions and lost segments, holes
    /// get skipped; whatever comes out is still the stream's bytes in order, never one twice:
    /// each run between gaps is a piece of the stream beyond the previous run.
    func testBoundedReorderingWithLossDeliversOrderedPiecesOfTheStream() {
        var rng = SplitMix64(seed: 7)
        var r = StreamReassembler(limits: .init(maxHeldSegmentsPerDirection: 4, maxSegmentsPastHole: 6,
                                                arenaBytes: 64 << 10))
        for trial in 0..<200 {
            let length = Int.random(in: 1000...30_000, using: &rng)
            let stream = Self.randomBytes(length, seed: 1000 + UInt64(trial))
            let isn = UInt32.random(in: 0...UInt32.max, using: &rng)
            var segments = Self.segmentation(length, maxSegment: 1460, using: &rng)
            segments.removeAll { _ in Int.random(in: 0..<10, using: &rng) == 0 }
            for _ in 0..<Int.random(in: 0...10, using: &rng) {
                let start = Int.random(in: 0..<length, using: &rng)
                segments.append(start..<min(length, start + Int.random(in: 1...3000, using: &rng)))
            }
            segments.shuffle(using: &rng)
            var c = StreamCursor()
            var out = Output()
            Self.feed(&r, &c, &out, seq: isn, syn: true, [])
            for s in segments {
                Self.feed(&r, &c, &out, seq: isn &+ 1 &+ UInt32(s.lowerBound), Array(stream[s]))
            }
            XCTAssertTrue(Self.isOrderedPieces(out, of: stream), "trial \(trial)")
            XCTAssertLessThanOrEqual(c.deliveredBytes, length)
            r.release(&c)
            XCTAssertEqual(r.stats.slabsInUse, 0, "trial \(trial)")
        }
        XCTAssertGreaterThan(r.stats.gapsSkipped, 0)
    }

    func testRetransmissionsDeliverOnlyNewBytes() {
        var r = StreamReassembler()
        var c = StreamCursor()
        var out = Output()
        let stream = Self.randomBytes(300, seed: 3)
        Self.feed(&r, &c, &out, seq: 0, syn: true, [])
        Self.feed(&r, &c, &out, seq: 1, Array(stream[0..<100]))
        Self.feed(&r, &c, &out, seq: 1, Array(stream[0..<100]))
        XCTAssertEqual(out.bytes.count, 100, "a full retransmission delivers nothing")
        XCTAssertEqual(r.stats.overlaps, 1)

        // A partial overlap delivers its new tail, still from the packet buffer.
        let segment = Array(stream[50..<150])
        segment.withUnsafeBytes { payload in
            r.accept(seq: 51, syn: false, fin: false, payload: payload, cursor: &c) { bytes, gap in
                XCTAssertEqual(bytes.baseAddress, payload.baseAddress! + 50)
                out.append(bytes, gap)
            }
        }
        XCTAssertEqual(out.bytes, Array(stream[0..<150]))
        XCTAssertEqual(r.stats.overlaps, 2)
        XCTAssertEqual(out.gaps, [])
    }

    func testFirstReceivedHeldBytesWin() {
        var r = StreamReassembler()
        var c = StreamCursor()
        var out = Output()
        let x = [UInt8](repeating: 0x58, count: 100)  // "X", held first
        let y = [UInt8](repeating: 0x59, count: 100)  // "Y", a conflicting later copy
        let z = [UInt8](repeating: 0x5A, count: 100)  // "Z", fills the hole and runs into X
        Self.feed(&r, &c, &out, seq: 0, syn: true, [])
        Self.feed(&r, &c, &out, seq: 1 + 200, x)          // holds [200, 300)
        Self.feed(&r, &c, &out, seq: 1 + 200, y)          // same range: nothing new
        Self.feed(&r, &c, &out, seq: 1 + 350, x)          // holds [350, 450)
        Self.feed(&r, &c, &out, seq: 1 + 250, y + y)      // [250, 450): only [300, 350) is new
        XCTAssertEqual(out.bytes, [])
        XCTAssertEqual(r.stats.segmentsHeld, 3)
        Self.feed(&r, &c, &out, seq: 1, z + z + z)        // [0, 300): fills the hole
        XCTAssertEqual(out.bytes, z + z + x + Array(y[0..<50]) + x)
        XCTAssertEqual(out.gaps, [])
        XCTAssertEqual(r.stats.overlaps, 3)
        XCTAssertEqual(r.stats.slabsInUse, 0)
    }

    // MARK: Sequence space

    func testSequenceWrapInOrderAndOutOfOrder() {
        let stream = Self.randomBytes(400, seed: 5)
        for isn: UInt32 in [0xFFFF_FFFF, 0xFFFF_FF00, 0xFFFF_FFF0, 0x7FFF_FFF0] {
            var r = StreamReassembler()
            var c = StreamCursor()
            var out = Output()
            let first = isn &+ 1
            Self.feed(&r, &c, &out, seq: isn, syn: true, [])
            Self.feed(&r, &c, &out, seq: first &+ 200, Array(stream[200..<400]))
            Self.feed(&r, &c, &out, seq: first &+ 100, Array(stream[100..<200]))
            XCTAssertEqual(out.bytes, [])
            Self.feed(&r, &c, &out, seq: first, Array(stream[0..<100]))
            XCTAssertEqual(out.bytes, stream, "isn \(isn)")
            XCTAssertEqual(c.deliveredBytes, 400)
        }
    }

    func testMidStreamPickupSyncsOnFirstDataAndFlagsIt() {
        var r = StreamReassembler()
        var c = StreamCursor()
        var out = Output()
        let stream = Self.randomBytes(300, seed: 6)
        Self.feed(&r, &c, &out, seq: 0xFFFF_FF80, [])                       // pure ACK: no sync
        Self.feed(&r, &c, &out, seq: 0xFFFF_FFC0, Array(stream[100..<200])) // syncs here
        Self.feed(&r, &c, &out, seq: 0xFFFF_FFC0 &+ 100, Array(stream[200..<300]))
        Self.feed(&r, &c, &out, seq: 0xFFFF_FFC0 &- 100, Array(stream[0..<100]))  // before the pickup
        XCTAssertEqual(out.bytes, Array(stream[100..<300]))
        XCTAssertEqual(out.gaps, [0], "earlier bytes were never seen")
        XCTAssertEqual(r.stats.overlaps, 1)
    }

    // MARK: Giving up on holes

    func testHoleThatNeverFillsIsSkippedWhenTooManySegmentsAreHeld() {
        var r = StreamReassembler(limits: .init(maxHeldSegmentsPerDirection: 4))
        var c = StreamCursor()
        var out = Output()
        let stream = Self.randomBytes(2000, seed: 8)
        Self.feed(&r, &c, &out, seq: 0, syn: true, [])
        Self.feed(&r, &c, &out, seq: 1, Array(stream[0..<100]))
        // [100, 200) is lost; four segments beyond it are held.
        for start in stride(from: 200, to: 600, by: 100) {
            Self.feed(&r, &c, &out, seq: 1 + UInt32(start), Array(stream[start..<start + 100]))
        }
        XCTAssertEqual(out.bytes.count, 100)
        XCTAssertEqual(r.stats.slabsInUse, 4)
        // The fifth has no room: the hole is given up and everything held comes out.
        Self.feed(&r, &c, &out, seq: 601, Array(stream[600..<700]))
        XCTAssertEqual(out.bytes, Array(stream[0..<100]) + Array(stream[200..<700]))
        XCTAssertEqual(out.gaps, [100])
        XCTAssertEqual(r.stats.gapsSkipped, 1)
        XCTAssertEqual(r.stats.slabsInUse, 0)
        // Later segments flow in order, zero-copy; the lost segment turning up is old news.
        Self.feed(&r, &c, &out, seq: 701, Array(stream[700..<2000]))
        Self.feed(&r, &c, &out, seq: 101, Array(stream[100..<200]))
        XCTAssertEqual(out.bytes, Array(stream[0..<100]) + Array(stream[200..<2000]))
        XCTAssertEqual(out.gaps, [100])
    }

    func testHoleIsSkippedAfterTooManySegmentsPastIt() {
        // A capture that lost a megabyte: what follows lies beyond the budget window and cannot
        // be held, but the stream must not wait for the lost bytes forever.
        var r = StreamReassembler(limits: .init(maxSegmentsPastHole: 3))
        var c = StreamCursor()
        var out = Output()
        let stream = Self.randomBytes(1000, seed: 9)
        Self.feed(&r, &c, &out, seq: 0, syn: true, [])
        Self.feed(&r, &c, &out, seq: 1, Array(stream[0..<100]))
        let resume: UInt32 = 1 + 1_000_000
        for i in 0..<3 {
            Self.feed(&r, &c, &out, seq: resume + UInt32(i * 100), Array(stream[100 + i * 100..<200 + i * 100]))
        }
        XCTAssertEqual(out.bytes.count, 100)
        XCTAssertEqual(r.stats.segmentsHeld, 0)
        Self.feed(&r, &c, &out, seq: resume + 300, Array(stream[400..<500]))
        XCTAssertEqual(out.bytes, Array(stream[0..<100]) + Array(stream[400..<500]))
        XCTAssertEqual(out.gaps, [100])
        Self.feed(&r, &c, &out, seq: resume + 400, Array(stream[500..<1000]))
        XCTAssertEqual(out.bytes, Array(stream[0..<100]) + Array(stream[400..<1000]))
    }

    // MARK: Budget and FIN

    func testBudgetCutsDeliveryAndFinishes() {
        var r = StreamReassembler(limits: .init(budgetPerDirection: 1000))
        var c = StreamCursor()
        var out = Output()
        let stream = Self.randomBytes(3000, seed: 10)
        Self.feed(&r, &c, &out, seq: 0, syn: true, [])
        Self.feed(&r, &c, &out, seq: 1 + 800, Array(stream[800..<1200]))  // held, straddles the budget
        XCTAssertEqual(r.stats.slabsInUse, 1)
        Self.feed(&r, &c, &out, seq: 1, Array(stream[0..<400]))
        Self.feed(&r, &c, &out, seq: 1 + 400, Array(stream[400..<800]))
        XCTAssertEqual(out.bytes, Array(stream[0..<1000]))
        XCTAssertEqual(c.deliveredBytes, 1000)
        XCTAssertTrue(c.isFinished)
        XCTAssertEqual(r.stats.slabsInUse, 0, "a finished cursor holds nothing")
        Self.feed(&r, &c, &out, seq: 1 + 1200, Array(stream[1200..<3000]))
        XCTAssertEqual(out.bytes.count, 1000)
    }

    func testFinFinishesOnceEverythingBeforeItIsDelivered() {
        var r = StreamReassembler()
        var c = StreamCursor()
        var out = Output()
        let stream = Self.randomBytes(300, seed: 11)
        Self.feed(&r, &c, &out, seq: 0, syn: true, [])
        Self.feed(&r, &c, &out, seq: 1, Array(stream[0..<100]))
        Self.feed(&r, &c, &out, seq: 1 + 50, fin: true, [])             // behind delivered data: bogus
        XCTAssertFalse(c.isFinished)
        Self.feed(&r, &c, &out, seq: 1 + 200, fin: true, Array(stream[200..<300]))  // FIN out of order
        XCTAssertFalse(c.isFinished)
        Self.feed(&r, &c, &out, seq: 1 + 300, Array(stream[0..<50]))    // past the FIN: ignored
        Self.feed(&r, &c, &out, seq: 1 + 100, Array(stream[100..<200]))
        XCTAssertEqual(out.bytes, stream)
        XCTAssertTrue(c.isFinished)
        XCTAssertEqual(r.stats.slabsInUse, 0)

        var c2 = StreamCursor()
        Self.feed(&r, &c2, &out, seq: 5, syn: true, [])
        Self.feed(&r, &c2, &out, seq: 6, fin: true, [])
        XCTAssertTrue(c2.isFinished, "an empty stream ends at its FIN")
    }

    // MARK: Arena

    func testArenaExhaustionSkipsTheHoleAndReleaseReturnsSlabs() {
        // Four 64-byte slabs for everybody.
        var r = StreamReassembler(limits: .init(arenaBytes: 256, slabBytes: 64))
        let stream = Self.randomBytes(1000, seed: 12)
        var a = StreamCursor()
        var out = Output()
        Self.feed(&r, &a, &out, seq: 0, syn: true, [])
        Self.feed(&r, &a, &out, seq: 1 + 100, Array(stream[100..<356]))  // spans all four slabs
        XCTAssertEqual(r.stats.slabsInUse, 4)

        var b = StreamCursor()
        var outB = Output()
        Self.feed(&r, &b, &outB, seq: 0, syn: true, [])
        Self.feed(&r, &b, &outB, seq: 1 + 100, Array(stream[100..<200]))
        XCTAssertEqual(r.stats.arenaFull, 1)
        XCTAssertEqual(outB.bytes, Array(stream[100..<200]), "the hole is skipped, the segment kept")
        XCTAssertEqual(outB.gaps, [0])

        r.release(&a)
        r.release(&a)
        XCTAssertTrue(a.isFinished)
        XCTAssertEqual(r.stats.slabsInUse, 0)

        var d = StreamCursor()
        var outD = Output()
        Self.feed(&r, &d, &outD, seq: 0, syn: true, [])
        Self.feed(&r, &d, &outD, seq: 1 + 100, Array(stream[100..<356]))
        XCTAssertEqual(r.stats.slabsInUse, 4, "released slabs are usable again")
        Self.feed(&r, &d, &outD, seq: 1, Array(stream[0..<100]))
        XCTAssertEqual(outD.bytes, Array(stream[0..<356]))
        XCTAssertEqual(r.stats.slabsInUse, 0)
        XCTAssertEqual(r.stats.slabsInUsePeak, 4)
    }

    // MARK: Hostile input

    /// Random sequence numbers (near the stream and anywhere), flags and lengths over a few
    /// cursors sharing a small arena: nothing traps or hangs, budgets hold, and every slab
    /// comes back.
    func testHostileSequenceNumbersNeverBreakAnything() {
        var rng = SplitMix64(seed: 13)
        var r = StreamReassembler(limits: .init(budgetPerDirection: 16 << 10, maxHeldSegmentsPerDirection: 8,
                                                maxSegmentsPastHole: 12, arenaBytes: 16 << 10, slabBytes: 512))
        let junk = Self.randomBytes(70_000, seed: 14)
        var cursors = [StreamCursor](repeating: StreamCursor(), count: 8)
        var anchors = [UInt32](repeating: 0, count: 8)
        for i in anchors.indices { anchors[i] = UInt32.random(in: 0...UInt32.max, using: &rng) }
        var delivered = [Int](repeating: 0, count: 8)
        junk.withUnsafeBytes { buffer in
            for _ in 0..<40_000 {
                let k = Int.random(in: 0..<8, using: &rng)
                let seq: UInt32
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: seq = UInt32.random(in: 0...UInt32.max, using: &rng)
                case 1: seq = anchors[k] &+ UInt32(bitPattern: Int32.random(in: .min ... .max, using: &rng))
                default: seq = anchors[k] &+ UInt32(bitPattern: Int32.random(in: -3000...40_000, using: &rng))
                }
                let length = Int.random(in: 0...4, using: &rng) == 0 ? Int.random(in: 0...66_000, using: &rng)
                                                                     : Int.random(in: 0...1500, using: &rng)
                let payload = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
                let syn = Int.random(in: 0..<50, using: &rng) == 0
                let fin = Int.random(in: 0..<200, using: &rng) == 0
                r.accept(seq: seq, syn: syn, fin: fin, payload: payload, cursor: &cursors[k]) { bytes, _ in
                    delivered[k] += bytes.count
                }
                XCTAssertLessThanOrEqual(cursors[k].deliveredBytes, 16 << 10)
                XCTAssertEqual(cursors[k].deliveredBytes, delivered[k])
                if cursors[k].isFinished || Int.random(in: 0..<2000, using: &rng) == 0 {
                    r.release(&cursors[k])
                    cursors[k] = StreamCursor()
                    delivered[k] = 0
                    anchors[k] = UInt32.random(in: 0...UInt32.max, using: &rng)
                }
            }
        }
        for k in cursors.indices { r.release(&cursors[k]) }
        XCTAssertEqual(r.stats.slabsInUse, 0)
        XCTAssertGreaterThan(r.stats.segmentsHeld, 100)
        XCTAssertGreaterThan(r.stats.arenaFull, 0)
    }

    func testCursorStaysSmall() {
        XCTAssertLessThanOrEqual(MemoryLayout<StreamCursor>.stride, 24)
    }

    // MARK: Helpers

    /// What the reassembler delivered: the bytes, and the byte positions where a chunk flagged
    /// `afterGap` began.
    fileprivate struct Output {
        var bytes: [UInt8] = []
        var gaps: [Int] = []

        mutating func append(_ chunk: UnsafeRawBufferPointer, _ afterGap: Bool) {
            if afterGap { gaps.append(bytes.count) }
            bytes.append(contentsOf: chunk)
        }
    }

    private static func feed(_ r: inout StreamReassembler, _ c: inout StreamCursor, _ out: inout Output,
                     seq: UInt32, syn: Bool = false, fin: Bool = false, _ data: [UInt8]) {
        data.withUnsafeBytes { payload in
            r.accept(seq: seq, syn: syn, fin: fin, payload: payload, cursor: &c) { out.append($0, $1) }
        }
    }

    private static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            for i in 0..<count { buffer[i] = UInt8(truncatingIfNeeded: rng.next() >> 32) }
        }
        return bytes
    }

    /// Consecutive ranges of 1...maxSegment bytes covering 0..<length.
    private static func segmentation(_ length: Int, maxSegment: Int, using rng: inout SplitMix64) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        while start < length {
            let end = min(length, start + Int.random(in: 1...maxSegment, using: &rng))
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    /// True when the output, cut at its gaps, is a sequence of pieces of `stream` each lying
    /// after the previous one (searched greedily, which finds a placement when one exists).
    private static func isOrderedPieces(_ out: Output, of stream: [UInt8]) -> Bool {
        let cuts = out.gaps + [out.bytes.count]
        var from = 0
        var position = 0
        for cut in cuts where cut > from {
            let piece = out.bytes[from..<cut]
            guard piece.count <= stream.count - position,
                  let at = (position...stream.count - piece.count).first(where: {
                      stream[$0] == piece.first! && stream[$0..<$0 + piece.count].elementsEqual(piece)
                  }) else { return false }
            position = at + piece.count
            from = cut
        }
        return true
    }
}

/// A small seeded generator, so that failures reproduce.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
