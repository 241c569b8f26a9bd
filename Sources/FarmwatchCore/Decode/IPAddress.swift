/// An IPv4 or IPv6 address held in two machine words, so that flow keys hash and compare
/// without touching the heap. IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d), which
/// keeps the two families in one ordering; `isV4` tells them apart for output.
public struct IPAddress: Hashable, Comparable, Sendable {
    public var hi: UInt64
    public var lo: UInt64

    public static let zero = IPAddress(hi: 0, lo: 0)

    @inline(__always)
    public init(hi: UInt64, lo: UInt64) {
        self.hi = hi
        self.lo = lo
    }

    /// An IPv4 address from its 32-bit big-endian value (as read off the wire).
    @inline(__always)
    public init(v4 value: UInt32) {
        hi = 0
        lo = 0x0000_FFFF_0000_0000 | UInt64(value)
    }

    /// Reads 4 (IPv4) or 16 (IPv6) bytes at `offset`; the caller has checked the bounds.
    @inline(__always)
    public init(v4At offset: Int, in bytes: UnsafeRawBufferPointer) {
        self.init(v4: bytes.loadBigEndianUInt32(at: offset))
    }

    @inline(__always)
    public init(v6At offset: Int, in bytes: UnsafeRawBufferPointer) {
        hi = bytes.loadBigEndianUInt64(at: offset)
        lo = bytes.loadBigEndianUInt64(at: offset + 8)
    }

    public var isV4: Bool { hi == 0 && (lo >> 32) == 0x0000_FFFF }
    public var isZero: Bool { hi == 0 && lo == 0 }
    public var v4Value: UInt32 { UInt32(truncatingIfNeeded: lo) }

    @inline(__always)
    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` and an embedded IPv4 tail).
    public init?(_ text: String) {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var v: UInt32 = 0
            for p in parts {
                guard !p.isEmpty, p.count <= 3, let n = UInt32(p), n <= 255 else { return nil }
                v = v << 8 | n
            }
            self.init(v4: v)
            return
        }
        var groups: [UInt16] = []
        var tailGroups: [UInt16] = []
        var sawGap = false
        // Split at "::" (at most one) without Foundation.
        var halves: [String] = []
        let u = Array(text.utf8)
        var cut = -1
        var i = 0
        while i + 1 < u.count {
            if u[i] == 0x3A && u[i + 1] == 0x3A {
                guard cut < 0 else { return nil }
                cut = i
                i += 2
                continue
            }
            i += 1
        }
        if cut < 0 {
            halves = [text]
        } else {
            halves = [String(decoding: u[..<cut], as: UTF8.self), String(decoding: u[(cut + 2)...], as: UTF8.self)]
        }
        func parse(_ s: String, into out: inout [UInt16]) -> Bool {
            if s.isEmpty { return true }
            let items = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, item) in items.enumerated() {
                if i == items.count - 1, item.contains("."), let v4 = IPAddress(String(item)), v4.isV4 {
                    out.append(UInt16(v4.v4Value >> 16))
                    out.append(UInt16(v4.v4Value & 0xFFFF))
                } else {
                    guard !item.isEmpty, item.count <= 4, let g = UInt16(item, radix: 16) else { return false }
                    out.append(g)
                }
            }
            return true
        }
        guard parse(halves[0], into: &groups) else { return nil }
        if halves.count == 2 {
            sawGap = true
            guard parse(halves[1], into: &tailGroups) else { return nil }
        }
        let total = groups.count + tailGroups.count
        if sawGap { guard total <= 7 else { return nil } } else { guard total == 8 else { return nil } }
        let all = groups + Array(repeating: 0, count: 8 - total) + tailGroups
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(all[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(all[i]) }
        self.init(hi: h, lo: l)
    }
}

extension IPAddress: CustomStringConvertible {
    /// Text form: dotted quad for IPv4, RFC 5952 canonical form for IPv6. Output-only: never on
    /// the per-packet path.
    public var description: String {
        withText { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the text form, built on the stack (the output writes it in place:
    /// one per address field of every flow, DNS answer and device).
    public func withText<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        // The longest text: eight groups of four digits and seven colons.
        var text = InlineArray<40, UInt8>(repeating: 0)
        var n = 0
        func put(_ b: UInt8) { text[n] = b; n += 1 }
        func decimal(_ v: UInt32) {
            if v >= 100 { put(UInt8(ascii: "0") + UInt8(v / 100)) }
            if v >= 10 { put(UInt8(ascii: "0") + UInt8(v / 10 % 10)) }
            put(UInt8(ascii: "0") + UInt8(v % 10))
        }
        if isV4 {
            let v = v4Value
            decimal(v >> 24); put(UInt8(ascii: "."))
            decimal((v >> 16) & 0xFF); put(UInt8(ascii: "."))
            decimal((v >> 8) & 0xFF); put(UInt8(ascii: "."))
            decimal(v & 0xFF)
        } else {
            var g = InlineArray<8, UInt16>(repeating: 0)
            for i in 0..<4 {
                g[i] = UInt16(truncatingIfNeeded: hi >> (48 - 16 * UInt64(i)))
                g[4 + i] = UInt16(truncatingIfNeeded: lo >> (48 - 16 * UInt64(i)))
            }
            // RFC 5952: compress the longest run (length >= 2) of zero groups, the first if tied.
            var bestStart = -1, bestLen = 0, i = 0
            while i < 8 {
                if g[i] == 0 {
                    var j = i
                    while j < 8 && g[j] == 0 { j += 1 }
                    if j - i > bestLen && j - i >= 2 { bestStart = i; bestLen = j - i }
                    i = j
                } else { i += 1 }
            }
            var k = 0
            while k < 8 {
                if k == bestStart {
                    put(UInt8(ascii: ":")); put(UInt8(ascii: ":"))
                    k += bestLen
                    continue
                }
                if n > 0 && text[n - 1] != UInt8(ascii: ":") { put(UInt8(ascii: ":")) }
                // Lower-case hex without leading zeros.
                let v = g[k]
                var shift = 12
                while shift > 0 && (v >> UInt16(shift)) & 0xF == 0 { shift -= 4 }
                while shift >= 0 {
                    put(Hex.digits[Int((v >> UInt16(shift)) & 0xF)])
                    shift -= 4
                }
                k += 1
            }
        }
        return text.span.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
}

extension UnsafeRawBufferPointer {
    // Unaligned big-endian loads; callers check bounds first (every length comes from the wire).
    @inline(__always)
    public func loadBigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    public func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    public func loadBigEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
