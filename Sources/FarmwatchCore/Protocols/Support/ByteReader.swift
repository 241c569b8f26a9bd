/// A bounds-checked cursor over bytes from the wire. Every read returns nil instead of reading
/// past the end, so a parser written with it cannot be walked out of its buffer by a hostile
/// length; `guard let` at each step is the whole discipline.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int
    public let end: Int

    @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        let e = min(end ?? bytes.count, bytes.count)
        self.end = max(0, e)
        self.offset = min(max(0, start), self.end)
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset >= end }

    @inline(__always)
    public mutating func u8() -> UInt8? {
        guard offset < end else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always)
    public mutating func u16() -> UInt16? {
        guard end - offset >= 2 else { return nil }
        defer { offset += 2 }
        return bytes.loadBigEndianUInt16(at: offset)
    }

    @inline(__always)
    public mutating func u24() -> UInt32? {
        guard end - offset >= 3 else { return nil }
        defer { offset += 3 }
        return UInt32(bytes[offset]) << 16 | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2])
    }

    @inline(__always)
    public mutating func u32() -> UInt32? {
        guard end - offset >= 4 else { return nil }
        defer { offset += 4 }
        return bytes.loadBigEndianUInt32(at: offset)
    }

    @inline(__always)
    public mutating func u64() -> UInt64? {
        guard end - offset >= 8 else { return nil }
        defer { offset += 8 }
        return bytes.loadBigEndianUInt64(at: offset)
    }

    /// Little-endian reads, for the Microsoft and vendor protocols that use that order (RDP's
    /// negotiation and GCC blocks, TeamViewer and NoMachine framing).
    @inline(__always)
    public mutating func u16le() -> UInt16? {
        guard end - offset >= 2 else { return nil }
        defer { offset += 2 }
        return bytes.loadLittleEndianUInt16(at: offset)
    }

    @inline(__always)
    public mutating func u32le() -> UInt32? {
        guard end - offset >= 4 else { return nil }
        defer { offset += 4 }
        return bytes.loadLittleEndianUInt32(at: offset)
    }

    /// The next `count` bytes as a sub-buffer (no copy), or nil when fewer remain.
    @inline(__always)
    public mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, end - offset >= count else { return nil }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    /// A reader over the next `count` bytes (a length-prefixed structure), advancing past them.
    @inline(__always)
    public mutating func sub(_ count: Int) -> ByteReader? {
        guard count >= 0, end - offset >= count else { return nil }
        defer { offset += count }
        return ByteReader(bytes, from: offset, to: offset + count)
    }

    @inline(__always)
    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, end - offset >= count else { return false }
        offset += count
        return true
    }

    /// Peeks without moving.
    @inline(__always)
    public func peek(_ at: Int = 0) -> UInt8? {
        let i = offset + at
        guard at >= 0, i < end else { return nil }
        return bytes[i]
    }

    /// The rest as a sub-buffer.
    public var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[offset..<end]) }
}

extension UnsafeRawBufferPointer {
    // Unaligned little-endian loads; callers check bounds first.
    @inline(__always)
    public func loadLittleEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    public func loadLittleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// True when the buffer starts with the ASCII text `prefix`.
    @inline(__always)
    public func hasPrefix(_ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard count >= n else { return false }
        return prefix.withUTF8Buffer { p in
            for i in 0..<n where self[i] != p[i] { return false }
            return true
        }
    }
}
