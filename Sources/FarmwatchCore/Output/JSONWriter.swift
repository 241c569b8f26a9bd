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
    public private(set) var buffer: [UInt8] = []
    private let stream: UnsafeMutablePointer<FILE>?
    private var needsComma: [Bool] = []
    private let flushThreshold = 1 << 16

    /// `stream` nil keeps everything in `buffer` (tests).
    public init(stream: UnsafeMutablePointer<FILE>?) {
        self.stream = stream
        buffer.reserveCapacity(flushThreshold * 2)
    }

    deinit { flush() }

    public func flush() {
        guard let stream, !buffer.isEmpty else { return }
        buffer.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stream) }
        fflush(stream)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Drops what is buffered without writing it (a writer used only to exercise output code).
    public func discard() { buffer.removeAll(keepingCapacity: true) }

    // MARK: Structure

    public func beginObject() {
        separator()
        buffer.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public func endObject() {
        buffer.append(UInt8(ascii: "}"))
        needsComma.removeLast()
        if needsComma.isEmpty { endLine() }
    }

    public func beginArray() {
        separator()
        buffer.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    public func endArray() {
        buffer.append(UInt8(ascii: "]"))
        needsComma.removeLast()
    }

    private func endLine() {
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= flushThreshold { flush() }
    }

    /// Writes `"name":`; the value call that follows writes no separator.
    public func key(_ name: StaticString) {
        separator()
        buffer.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = false }
    }

    /// Writes a key that is not a literal (e.g. a decode-error kind).
    public func key(dynamic name: String) {
        separator()
        writeEscaped(Array(name.utf8))
        buffer.append(UInt8(ascii: ":"))
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = false }
    }

    @inline(__always)
    private func separator() {
        guard let last = needsComma.last else { return }
        if last { buffer.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    // MARK: Values

    public func string(_ s: String) {
        separator()
        var s = s
        s.withUTF8 { writeEscaped($0) }
    }

    /// A string from the wire: bytes, possibly not UTF-8.
    public func string<C: Collection>(bytes: C) where C.Element == UInt8 {
        separator()
        writeEscaped(bytes)
    }

    public func int<T: BinaryInteger>(_ v: T) {
        separator()
        appendDecimal(v)
    }

    public func bool(_ v: Bool) {
        separator()
        buffer.append(contentsOf: v ? Array("true".utf8) : Array("false".utf8))
    }

    public func null() {
        separator()
        buffer.append(contentsOf: Array("null".utf8))
    }

    /// A fixed-point number: `value / 10^decimals` written with exactly `decimals` places
    /// (e.g. nanoseconds as seconds with 6 places). Exact, no floating point.
    public func fixed(_ value: Int64, scale: Int64, decimals: Int) {
        separator()
        var v = value
        if v < 0 { buffer.append(UInt8(ascii: "-")); v = v == .min ? .max : -v }
        let whole = v / scale
        let frac = v % scale
        appendDecimal(whole)
        guard decimals > 0 else { return }
        buffer.append(UInt8(ascii: "."))
        // Scale the fraction to `decimals` digits.
        var digitsScale: Int64 = 1
        for _ in 0..<decimals { digitsScale *= 10 }
        let scaled = frac * digitsScale / scale
        var divisor = digitsScale / 10
        while divisor > 0 {
            buffer.append(UInt8(ascii: "0") + UInt8((scaled / divisor) % 10))
            divisor /= 10
        }
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
    public func field<T: BinaryInteger>(_ name: StaticString, _ v: T) { key(name); int(v) }
    public func field(_ name: StaticString, _ v: Bool) { key(name); bool(v) }

    // MARK: Encoding

    private func appendDecimal<T: BinaryInteger>(_ value: T) {
        if value == 0 { buffer.append(UInt8(ascii: "0")); return }
        var digits = InlineArray<40, UInt8>(repeating: 0)
        var n = 0
        var v = value.magnitude
        while v > 0 {
            digits[n] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10)
            v /= 10
            n += 1
        }
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        while n > 0 { n -= 1; buffer.append(digits[n]) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private func writeEscaped<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(UInt8(ascii: "\""))
        var it = bytes.makeIterator()
        var pending: [UInt8] = []
        while let b = pending.isEmpty ? it.next() : pending.removeFirst() {
            switch b {
            case UInt8(ascii: "\""): buffer.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: buffer.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: buffer.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: buffer.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x20..<0x7F: buffer.append(b)
            case 0x00..<0x20, 0x7F: escapeByte(b)
            default:
                // Multi-byte UTF-8: copy a valid sequence, escape each byte of an invalid one.
                let need = b >= 0xF0 && b <= 0xF4 ? 3 : (b >= 0xE0 ? 2 : (b >= 0xC2 && b < 0xE0 ? 1 : -1))
                if need < 0 { escapeByte(b); continue }
                var seq: [UInt8] = [b]
                while seq.count <= need, let c = it.next() {
                    if c & 0xC0 != 0x80 { pending.append(c); break }
                    seq.append(c)
                }
                if seq.count == 2 && b == 0xC2 && seq[1] < 0xA0 {
                    // C1 controls (U+0080–U+009F) are valid UTF-8 but steer terminals: escape.
                    escapeByte(seq[1])
                } else if seq.count == need + 1, String(validating: seq, as: UTF8.self) != nil {
                    buffer.append(contentsOf: seq)
                } else {
                    for x in seq { escapeByte(x) }
                }
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    private func escapeByte(_ b: UInt8) {
        buffer.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                   JSONWriter.hex[Int(b >> 4)], JSONWriter.hex[Int(b & 0xF)]])
    }
}
