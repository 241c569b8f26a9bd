extension Hex {
    /// Sixteen hex digits of a big-endian 64-bit identifier (session ids, SPIs, cookies).
    static func string(u64 v: UInt64) -> String {
        string((0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) })
    }

    /// Eight hex digits of a big-endian 32-bit identifier (ESP/AH SPIs).
    static func string(u32 v: UInt32) -> String {
        string((0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) })
    }
}
