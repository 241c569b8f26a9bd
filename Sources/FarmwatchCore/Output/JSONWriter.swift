#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes JSON lines straight into a byte buffer and flushes it to a C stream in large
/// blocks. Strings are escaped per RFC 8259; bytes from the wire that are not valid UTF-8 are
/// written as \u00XX escapes of each byte, so nothing from a packet can break a line, the JSON
/// or a terminal reading it.
public final class JSONWriter {
    // A plain byte buffer written from one thread: no uniqueness or exclusivity checks on
    // every appended byte (they were most of the output cost).
    @exclusivity(unchecked) private var storage: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var count = 0
    private let stream: UnsafeMutablePointer<FILE>?
    /// One bit per open object/array level: set once the level holds a value (a comma is due).
    @exclusivity(unchecked) private var commaDue: UInt64 = 0
    @exclusivity(unchecked) private var depth = 0
    private let flushThreshold = 1 << 16

    /// `stream` nil keeps everything in `buffer` (tests).
    public init(stream: UnsafeMutablePointer<FILE>?) {
        self.stream = stream
        capacity = flushThreshold * 2
        storage = .allocate(capacity: capacity)
    }

    deinit {
        flush()
        storage.deallocate()
    }

    /// What is buffered and not yet flushed (tests read the output here).
    public var buffer: [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }
    public var bufferedCount: Int { count }

    public func flush() {
        guard let stream, count > 0 else { return }
        _ = fwrite(storage, 1, count, stream)
        fflush(stream)
        count = 0
    }

    /// Drops what is buffered without writing it (a writer used only to exercise output code).
    public func discard() { count = 0 }

    @inline(__always)
    private func put(_ b: UInt8) {
        if count == capacity { grow(1) }
        storage[count] = b
        count += 1
    }

    @inline(__always)
    private func put(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if capacity - count < bytes.count { grow(bytes.count) }
        (storage + count).update(from: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        count += bytes.count
    }

    private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity - count < needed { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: storage, count: count)
        storage.deallocate()
        storage = bigger
        capacity = newCapacity
    }

    // MARK: Structure (nesting up to 64 levels)

    public func beginObject() {
        separator()
        put(UInt8(ascii: "{"))
        push()
    }

    public func endObject() {
        put(UInt8(ascii: "}"))
        pop()
        if depth == 0 { endLine() }
    }

    public func beginArray() {
        separator()
        put(UInt8(ascii: "["))
        push()
    }

    public func endArray() {
        put(UInt8(ascii: "]"))
        pop()
    }

    @inline(__always) private func push() {
        precondition(depth < 64, "JSON nesting deeper than 64 levels")
        depth += 1
        commaDue &= ~(1 << UInt64(depth - 1))
    }

    @inline(__always) private func pop() {
        depth -= 1
    }

    private func endLine() {
        put(UInt8(ascii: "\n"))
        if count >= flushThreshold { flush() }
    }

    /// Writes `"name":`; the value call that follows writes no separator.
    public func key(_ name: StaticString) {
        separator()
        // `"name":` under one capacity check: some sixty keys per flow record.
        let n = name.utf8CodeUnitCount
        if capacity - count < n + 3 { grow(n + 3) }
        let p = storage + count
        p[0] = UInt8(ascii: "\"")
        Self.copyShort(name.utf8Start, count: n, to: p + 1)
        p[n + 1] = UInt8(ascii: "\"")
        p[n + 2] = UInt8(ascii: ":")
        count += n + 3
        valueFollows()
    }

    /// Copies the few bytes of a key with two overlapping word moves instead of a call to
    /// memmove: keys are 2 to 30 bytes, and a flow record has about a hundred of them.
    @inline(__always)
    private static func copyShort(_ source: UnsafePointer<UInt8>, count n: Int, to target: UnsafeMutablePointer<UInt8>) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        switch n {
        case 8...16:
            to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
            (to + n - 8).storeBytes(of: (from + n - 8).loadUnaligned(as: UInt64.self), as: UInt64.self)
        case 4..<8:
            to.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
            (to + n - 4).storeBytes(of: (from + n - 4).loadUnaligned(as: UInt32.self), as: UInt32.self)
        case 0..<4:
            for i in 0..<n { target[i] = source[i] }
        default:
            target.update(from: source, count: n)
        }
    }

    /// Writes a key that is not a literal (e.g. a decode-error kind).
    public func key(dynamic name: String) {
        separator()
        var name = name
        name.withUTF8 { writeEscaped(UnsafeRawBufferPointer($0)) }
        put(UInt8(ascii: ":"))
        valueFollows()
    }

    @inline(__always)
    private func separator() {
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if commaDue & bit != 0 { put(UInt8(ascii: ",")) }
        commaDue |= bit
    }

    /// After a key: the value must not be preceded by a comma.
    @inline(__always)
    private func valueFollows() {
        commaDue &= ~(1 << UInt64(depth - 1))
    }

    @inline(__always)
    private func ascii(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        if capacity - count < n { grow(n) }
        (storage + count).update(from: s.utf8Start, count: n)
        count += n
    }

    // MARK: Values

    public func string(_ s: String) {
        separator()
        var s = s
        s.withUTF8 { writeEscaped(UnsafeRawBufferPointer($0)) }
    }

    /// A string literal known to need no escaping.
    public func string(_ s: StaticString) {
        separator()
        put(UInt8(ascii: "\""))
        ascii(s)
        put(UInt8(ascii: "\""))
    }

    /// A string from the wire: bytes, possibly not UTF-8.
    public func string(bytes: UnsafeRawBufferPointer) {
        separator()
        writeEscaped(bytes)
    }

    public func string(bytes: [UInt8]) {
        separator()
        bytes.withUnsafeBytes { writeEscaped($0) }
    }

    public func string<C: Collection>(bytes: C) where C.Element == UInt8 {
        string(bytes: Array(bytes))
    }

    /// An IP address in its text form (dotted quad, RFC 5952 IPv6), written in place.
    public func ip(_ a: IPAddress) {
        separator()
        put(UInt8(ascii: "\""))
        if a.isV4 {
            let v = a.v4Value
            appendDecimal(v >> 24); put(UInt8(ascii: "."))
            appendDecimal((v >> 16) & 0xFF); put(UInt8(ascii: "."))
            appendDecimal((v >> 8) & 0xFF); put(UInt8(ascii: "."))
            appendDecimal(v & 0xFF)
        } else {
            a.withText { put($0) }
        }
        put(UInt8(ascii: "\""))
    }

    /// A 48-bit MAC address as "00:0c:29:95:47:5e".
    public func mac(_ m: UInt64) {
        separator()
        put(UInt8(ascii: "\""))
        for i in (0..<6).reversed() {
            let b = Int((m >> (UInt64(i) * 8)) & 0xFF)
            put(Hex.digits[b >> 4])
            put(Hex.digits[b & 0xF])
            if i > 0 { put(UInt8(ascii: ":")) }
        }
        put(UInt8(ascii: "\""))
    }

    public func int<T: BinaryInteger>(_ v: T) {
        separator()
        appendDecimal(v)
    }

    public func bool(_ v: Bool) {
        separator()
        if v { ascii("true") } else { ascii("false") }
    }

    public func null() {
        separator()
        ascii("null")
    }

    /// A fixed-point number: `value / 10^decimals` written with exactly `decimals` places
    /// (e.g. nanoseconds as seconds with 6 places). Exact, no floating point.
    public func fixed(_ value: Int64, scale: Int64, decimals: Int) {
        separator()
        var v = value
        if v < 0 { put(UInt8(ascii: "-")); v = v == .min ? .max : -v }
        let whole = v / scale
        let frac = v % scale
        appendDecimal(whole)
        guard decimals > 0 else { return }
        put(UInt8(ascii: "."))
        // Scale the fraction to `decimals` digits.
        var digitsScale: Int64 = 1
        for _ in 0..<decimals { digitsScale *= 10 }
        let scaled = frac * digitsScale / scale
        appendDigits(UInt64(scaled), minimumDigits: decimals)
    }

    /// A floating-point value rounded to `decimals` places.
    public func double(_ v: Double, decimals: Int = 3) {
        guard v.isFinite else { null(); return }
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        fixed(Int64((v * Double(scale)).rounded()), scale: scale, decimals: decimals)
    }

    // MARK: Convenience pairs

    public func field(_ name: StaticString, _ v: String) { key(name); string(v) }
    public func field(_ name: StaticString, _ v: StaticString) { key(name); string(v) }
    public func field<T: BinaryInteger>(_ name: StaticString, _ v: T) { key(name); int(v) }
    public func field(_ name: StaticString, _ v: Bool) { key(name); bool(v) }

    // MARK: Encoding

    @inline(__always)
    private func appendDecimal<T: BinaryInteger>(_ value: T) {
        if value < 0 {
            put(UInt8(ascii: "-"))
            appendDigits(UInt64(truncatingIfNeeded: value.magnitude), minimumDigits: 1)
        } else {
            appendDigits(UInt64(truncatingIfNeeded: value), minimumDigits: 1)
        }
    }

    /// The decimal digits of `v`, zero-padded to `minimumDigits`, written backwards into the
    /// buffer under one capacity check (some hundred numbers per flow record).
    private func appendDigits(_ v: UInt64, minimumDigits: Int) {
        // Most numbers in a record are single digits (histogram bins, flags, counts).
        if v < 10 && minimumDigits <= 1 {
            put(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v))
            return
        }
        let room = max(20, minimumDigits)
        if capacity - count < room { grow(room) }
        count += Self.writeDigits(v, minimumDigits: minimumDigits, at: storage + count)
    }

    /// Writes the digits of `v` at `target` (room for 20 bytes, or `minimumDigits`), returns
    /// how many.
    @inline(__always)
    private static func writeDigits(_ v: UInt64, minimumDigits: Int, at target: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 1
        var t = v
        while t >= 10 { t /= 10; n += 1 }
        n = max(n, minimumDigits)
        var p = target + n
        var x = v
        for _ in 0..<n {
            p -= 1
            p.pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: x % 10)
            x /= 10
        }
        return n
    }

    /// An array of `n` counts, `[3,0,12]`, under one capacity check: a flow record holds
    /// several histograms of mostly one-digit bins.
    public func counts(_ n: Int, _ value: (Int) -> UInt32) {
        separator()
        let room = 2 + n * 11
        if capacity - count < room { grow(room) }
        var p = storage + count
        p.pointee = UInt8(ascii: "[")
        p += 1
        for i in 0..<n {
            if i > 0 {
                p.pointee = UInt8(ascii: ",")
                p += 1
            }
            let v = value(i)
            if v < 10 {
                p.pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v)
                p += 1
            } else {
                p += Self.writeDigits(UInt64(v), minimumDigits: 1, at: p)
            }
        }
        p.pointee = UInt8(ascii: "]")
        count = p + 1 - storage
    }

    /// Writes bytes as a JSON string. Plain printable ASCII (the common case) is copied in one
    /// go; anything else goes through the careful path.
    private func writeEscaped(_ bytes: UnsafeRawBufferPointer) {
        put(UInt8(ascii: "\""))
        if Self.isPlain(bytes) {
            put(bytes)
        } else {
            writeEscapedSlow(bytes)
        }
        put(UInt8(ascii: "\""))
    }

    /// No byte needs escaping: printable ASCII other than `"` and `\\`. Eight bytes per step
    /// (SWAR, "Bit Twiddling Hacks": a word holds a byte below n when
    /// (x - n·0x01…) & ~x & 0x80… is not zero): fingerprints, names and certificate fields make
    /// up most of the output.
    @inline(__always)
    static func isPlain(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasByteBelow(_ x: UInt64, _ n: UInt64) -> Bool { (x &- ones &* n) & ~x & high != 0 }
        @inline(__always) func hasByte(_ x: UInt64, _ b: UInt64) -> Bool { hasByteBelow(x ^ (ones &* b), 1) }
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let x = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if x & high != 0 || hasByteBelow(x, 0x20) || hasByte(x, 0x22) || hasByte(x, 0x5C) || hasByte(x, 0x7F) {
                return false
            }
            i += 8
        }
        while i < n {
            let b = bytes[i]
            if b < 0x20 || b >= 0x7F || b == 0x22 || b == 0x5C { return false }
            i += 1
        }
        return true
    }

    private func writeEscapedSlow(_ bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            i += 1
            switch b {
            case UInt8(ascii: "\""): put(0x5C); put(0x22)
            case UInt8(ascii: "\\"): put(0x5C); put(0x5C)
            case 0x0A: put(0x5C); put(UInt8(ascii: "n"))
            case 0x0D: put(0x5C); put(UInt8(ascii: "r"))
            case 0x09: put(0x5C); put(UInt8(ascii: "t"))
            case 0x20..<0x7F: put(b)
            case 0x00..<0x20, 0x7F: escapeByte(b)
            default:
                // Multi-byte UTF-8: copy a valid sequence, escape each byte of an invalid one.
                let need = b >= 0xF0 && b <= 0xF4 ? 3 : (b >= 0xE0 && b < 0xF0 ? 2 : (b >= 0xC2 && b < 0xE0 ? 1 : -1))
                guard need > 0 else { escapeByte(b); continue }
                var end = i
                while end < n && end - i < need && bytes[end] & 0xC0 == 0x80 { end += 1 }
                let seq = UnsafeRawBufferPointer(rebasing: bytes[(i - 1)..<end])
                if end - i == need && b == 0xC2 && bytes[i] < 0xA0 {
                    // C1 controls (U+0080–U+009F) are valid UTF-8 but steer terminals: escape.
                    escapeByte(bytes[i])
                } else if end - i == need, String(validating: seq, as: UTF8.self) != nil {
                    put(seq)
                } else {
                    for x in seq { escapeByte(x) }
                }
                i = end
            }
        }
    }

    @inline(__always)
    private func escapeByte(_ b: UInt8) {
        put(0x5C); put(UInt8(ascii: "u")); put(UInt8(ascii: "0")); put(UInt8(ascii: "0"))
        put(Hex.digits[Int(b >> 4)]); put(Hex.digits[Int(b & 0xF)])
    }
}
