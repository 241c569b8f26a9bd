/// TCP options (RFC 9293 §3.1) parsed in place into `TCPOptions`. Kinds are recorded in wire
/// order for stack fingerprints, the way tshark's `tcp.option_kind` lists them (which JA4T is
/// defined on): end-of-list is a one-byte option, so the zero padding after it shows as
/// further end-of-list kinds, and an option whose length is under 2 or runs past the header
/// is not recorded. Such a length, or one that does not fit its kind, marks the options
/// malformed and ends parsing; the segment itself still decodes, as a receiver delivers it.
enum TCPOptionsParser {
    /// Parses `b[start..<end]`; the caller has checked that `end <= b.count`.
    static func parse(_ b: UnsafeRawBufferPointer, from start: Int, to end: Int, into o: inout TCPOptions) {
        var i = start
        while i < end {
            let kind = b[i]
            if kind <= 1 {  // End of option list, no-operation
                o.appendKind(kind)
                i += 1
                continue
            }
            guard end - i >= 2 else { o.malformed = true; return }
            let length = Int(b[i + 1])
            guard length >= 2, length <= end - i else { o.malformed = true; return }
            o.appendKind(kind)
            switch kind {
            case 2:  // Maximum segment size
                guard length == 4 else { o.malformed = true; return }
                o.mss = b.loadBigEndianUInt16(at: i + 2)
                o.hasMSS = true
            case 3:  // Window scale (RFC 7323 §2)
                guard length == 3 else { o.malformed = true; return }
                o.windowScale = b[i + 2]
                o.hasWindowScale = true
            case 4:  // SACK permitted (RFC 2018)
                guard length == 2 else { o.malformed = true; return }
                o.sackPermitted = true
            case 5:  // SACK blocks (RFC 2018): 1 to 4 left/right edge pairs
                guard length >= 10, (length - 2) & 7 == 0 else { o.malformed = true; return }
            case 8:  // Timestamps (RFC 7323 §3)
                guard length == 10 else { o.malformed = true; return }
                o.tsVal = b.loadBigEndianUInt32(at: i + 2)
                o.tsEcr = b.loadBigEndianUInt32(at: i + 6)
                o.hasTimestamps = true
            default:  // Other kinds are skipped by their length.
                break
            }
            i += length
        }
    }
}
