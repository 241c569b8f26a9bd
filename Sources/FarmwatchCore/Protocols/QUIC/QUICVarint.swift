extension ByteReader {
    /// A QUIC variable-length integer (RFC 9000 §16): the top two bits of the first byte give
    /// the encoded length (1, 2, 4 or 8 bytes), the rest is the value, at most 2^62 - 1.
    @inline(__always)
    public mutating func quicVarint() -> UInt64? {
        guard let first = peek() else { return nil }
        switch first >> 6 {
        case 0: return u8().map { UInt64($0) }
        case 1: return u16().map { UInt64($0 & 0x3FFF) }
        case 2: return u32().map { UInt64($0 & 0x3FFF_FFFF) }
        default: return u64().map { $0 & 0x3FFF_FFFF_FFFF_FFFF }
        }
    }

    /// A varint used as a length of bytes that follow: nil when it is more than what remains
    /// (so a hostile 2^62 never reaches an `Int` conversion or an allocation).
    @inline(__always)
    public mutating func quicLength() -> Int? {
        guard let v = quicVarint(), v <= UInt64(remaining) else { return nil }
        return Int(v)
    }
}
