/// A set of address ranges (CIDR prefixes) answering "is this address in the set?" with one
/// binary search: the prefixes are turned into inclusive [first, last] ranges over the single
/// 128-bit ordering of IPAddress (IPv4 held IPv4-mapped), sorted, and overlapping or touching
/// ranges merged, so a list of ~100k prefixes costs ~17 comparisons per lookup and two
/// machine words per range.
public struct AddressRanges: Sendable {
    private var firsts: [IPAddress] = []
    private var lasts: [IPAddress] = []

    public init() {}

    /// Builds the set from (network, prefix length in 128-bit terms) pairs; host bits beyond
    /// the prefix are ignored.
    public init<S: Sequence>(prefixes: S) where S.Element == (IPAddress, Int) {
        var ranges = prefixes.map { AddressRanges.range(of: $0.0, length: $0.1) }
        ranges.sort { $0.first < $1.first }
        for r in ranges {
            if let last = lasts.last, r.first <= last || AddressRanges.isSuccessor(r.first, of: last) {
                if last < r.last { lasts[lasts.count - 1] = r.last }
            } else {
                firsts.append(r.first)
                lasts.append(r.last)
            }
        }
    }

    /// Merged ranges in the set (after overlaps are joined).
    public var rangeCount: Int { firsts.count }

    public func contains(_ address: IPAddress) -> Bool {
        // The last range starting at or before `address` is the only candidate.
        var low = 0, high = firsts.count
        while low < high {
            let mid = (low + high) / 2
            if address < firsts[mid] { high = mid } else { low = mid + 1 }
        }
        return low > 0 && !(lasts[low - 1] < address)
    }

    /// The first and last address of `address`/`length` (length clamped to 0...128).
    static func range(of address: IPAddress, length: Int) -> (first: IPAddress, last: IPAddress) {
        let length = min(max(length, 0), 128)
        let hiMask: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~0 << UInt64(64 - length))
        let loMask: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~0 << UInt64(128 - length))
        return (IPAddress(hi: address.hi & hiMask, lo: address.lo & loMask),
                IPAddress(hi: address.hi | ~hiMask, lo: address.lo | ~loMask))
    }

    private static func isSuccessor(_ a: IPAddress, of b: IPAddress) -> Bool {
        b.lo == .max ? (b.hi != .max && a.hi == b.hi &+ 1 && a.lo == 0) : (a.hi == b.hi && a.lo == b.lo &+ 1)
    }
}
