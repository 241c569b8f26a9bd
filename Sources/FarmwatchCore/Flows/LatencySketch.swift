/// A bounded, finer-grained distribution of latency samples (microseconds) for the flows whose
/// timing matters (remote-control sessions, relays): log-linear bins, eight per power of two, so
/// any quantile read back is within about ±6 % of the true sample — fine enough to judge a
/// controller's round trip to ±15 %, which the power-of-two `GapHistogram` (±50 %) is not.
/// Fixed size, saturating counters; the exact minimum is kept beside the bins.
public struct LatencySketch {
    /// Sub-bins per power of two (2^subBits).
    static let subBits = 3
    static let subBins = 1 << subBits
    /// Values below 2^lowOctave µs (64 µs) share bin 0; values from 2^highOctave µs (~16.8 s) the last bin.
    static let lowOctave = 6
    static let highOctave = 24
    /// (highOctave − lowOctave) × subBins + 2, spelled out because InlineArray needs a literal.
    public static let binCount = 146

    public private(set) var bins = InlineArray<146, UInt16>(repeating: 0)
    public private(set) var count: UInt32 = 0
    public private(set) var minimumUs: UInt32 = .max

    public init() {}

    @inline(__always)
    static func bin(for us: UInt64) -> Int {
        if us < 1 << UInt64(lowOctave) { return 0 }
        let octave = 63 - us.leadingZeroBitCount
        if octave >= highOctave { return binCount - 1 }
        let sub = Int(us >> UInt64(octave - subBits)) & (subBins - 1)
        return 1 + (octave - lowOctave) * subBins + sub
    }

    /// The range of values bin `b` holds, [lower, upper).
    static func range(ofBin b: Int) -> (lower: Double, upper: Double) {
        if b == 0 { return (0, Double(1 << lowOctave)) }
        if b == binCount - 1 { return (Double(1 << highOctave), Double(1 << highOctave)) }
        let octave = (b - 1) / subBins + lowOctave
        let sub = (b - 1) % subBins
        let step = Double(1 << (octave - subBits))
        let lower = Double(1 << octave) + Double(sub) * step
        return (lower, lower + step)
    }

    @inline(__always)
    public mutating func add(_ us: UInt64) {
        let b = Self.bin(for: us)
        let c = bins[b]
        if c != .max { bins[b] = c + 1 }
        if count != .max { count += 1 }
        let v = UInt32(clamping: us)
        if v < minimumUs { minimumUs = v }
    }

    /// Bins hold at most 65 535 samples each; the sum of the bins is what quantiles read.
    var binnedCount: UInt64 {
        var t: UInt64 = 0
        for i in 0..<Self.binCount { t += UInt64(bins[i]) }
        return t
    }

    /// The q-quantile (0...1) in µs, interpolated inside its bin; nil when empty.
    public func quantileUs(_ q: Double) -> Double? {
        let total = binnedCount
        guard total > 0 else { return nil }
        let rank = max(0, min(1, q)) * Double(total - 1)
        var seen: UInt64 = 0
        for b in 0..<Self.binCount {
            let c = UInt64(bins[b])
            if c == 0 { continue }
            if Double(seen + c) > rank {
                let (lo, hi) = Self.range(ofBin: b)
                let inside = (rank - Double(seen) + 0.5) / Double(c)
                let value = lo + (hi - lo) * inside
                // Never below the exact minimum (the lowest bin's lower edge may be).
                return max(value, Double(minimumUs))
            }
            seen += c
        }
        return Double(minimumUs)
    }

    /// The densest stretch of the distribution: the centre of the window of `width` adjacent
    /// bins holding the most samples (ties go to the lower window). Round trips that answer
    /// something (a screen update answered by the next request) pile up at the path's delay,
    /// while input sent independently of the updates spreads thinly below and above it.
    /// Bins wholly below `fromUs` are left out (turnarounds faster than any answer can be).
    public func modeUs(windowBins width: Int = 3, fromUs floor: Double = 0) -> (us: Double, share: Double)? {
        let total = binnedCount
        guard total > 0 else { return nil }
        let w = max(1, min(width, Self.binCount))
        var best: UInt64 = 0, bestStart = 0
        var running: UInt64 = 0
        for b in 0..<Self.binCount {
            let counted = Self.range(ofBin: b).upper > floor ? UInt64(bins[b]) : 0
            running += counted
            if b >= w { running -= Self.range(ofBin: b - w).upper > floor ? UInt64(bins[b - w]) : 0 }
            if b >= w - 1 && running > best { best = running; bestStart = b - w + 1 }
        }
        guard best > 0 else { return nil }
        // The sample-weighted centre of the window.
        var sum = 0.0
        for b in bestStart..<(bestStart + w) where Self.range(ofBin: b).upper > floor {
            let (lo, hi) = Self.range(ofBin: b)
            sum += Double(bins[b]) * (lo + hi) / 2
        }
        return (max(sum / Double(best), Double(minimumUs)), Double(best) / Double(total))
    }
}

/// The two directions' sketches of one flow (the gap from the other side's data to this
/// side's next data), allocated only for flows a dissector claimed that keep exchanging data.
public final class TurnaroundSketches {
    public var originator = LatencySketch()
    public var responder = LatencySketch()
    /// The same gaps, counting only answers of at least `contentAnswerMinBytes`: protocol
    /// content (a handshake message, a request, an authentication) rather than input. A person's
    /// keystrokes leave on their own schedule, not in answer to the echoes, so in a typed
    /// session only these turnarounds measure the round trip to the far end.
    public var originatorContent = LatencySketch()
    public var responderContent = LatencySketch()

    /// Keystrokes, pointer moves, screen-update requests and acknowledgements are all under
    /// this (an SSH keystroke is one 36–100 byte packet with any cipher; RFB and RDP input
    /// events are a few bytes to a few dozen).
    public static let contentAnswerMinBytes = 128

    public init() {}

    public subscript(side: Direction) -> LatencySketch { side == .originator ? originator : responder }

    public func content(_ side: Direction) -> LatencySketch { side == .originator ? originatorContent : responderContent }

    @inline(__always)
    func add(_ side: Direction, _ us: UInt64, answerBytes: Int) {
        let content = answerBytes >= Self.contentAnswerMinBytes
        if side == .originator {
            originator.add(us)
            if content { originatorContent.add(us) }
        } else {
            responder.add(us)
            if content { responderContent.add(us) }
        }
    }
}
