/// A fixed-size histogram with power-of-two bins: bin 0 holds the value 0, bin k (k >= 1)
/// holds values in [2^(k-1), 2^k), and the last bin holds everything larger. Counting is one
/// leading-zero count and an add; it never allocates, so it can live inline in every flow.
public struct LogHistogram<let binCount: Int>: Sendable {
    public var bins = InlineArray<binCount, UInt32>(repeating: 0)

    public init() {}

    @inline(__always)
    public static func bin(for value: UInt64) -> Int {
        let b = value == 0 ? 0 : 64 - value.leadingZeroBitCount
        return b < binCount ? b : binCount - 1
    }

    @inline(__always)
    public mutating func add(_ value: UInt64) {
        let b = Self.bin(for: value)
        let c = bins[b]
        bins[b] = c == .max ? c : c + 1
    }

    /// Lower bound of bin `b` (inclusive), for labelling output.
    public static func lowerBound(ofBin b: Int) -> UInt64 { b == 0 ? 0 : 1 << UInt64(b - 1) }

    public var total: UInt64 {
        var t: UInt64 = 0
        for i in 0..<binCount { t += UInt64(bins[i]) }
        return t
    }
}

/// Payload sizes in bytes: bins up to [16384, ∞).
public typealias SizeHistogram = LogHistogram<16>
/// Inter-arrival times in microseconds: bins up to [2^22 µs ≈ 4.2 s, ∞).
public typealias GapHistogram = LogHistogram<24>
