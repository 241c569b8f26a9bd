/// The client's CRYPTO stream at the Initial encryption level (RFC 9000 §19.6), put back
/// together from frames that arrive split, reordered, repeated and spread over several
/// Initials and datagrams (Chrome cuts its ClientHello into pieces and shuffles them).
/// Bytes are stored at their stream offset; the ranges received are kept sorted and merged.
/// Bounded: nothing past `limit` is stored, and a frame that lies beyond it is refused.
struct QUICCryptoStream {
    /// A ClientHello with post-quantum key shares is about 2 KB; 64 KB leaves ample room for
    /// unusual ones and still refuses a hostile offset of 2^62.
    static let limit = 64 * 1024
    /// Distinct holes worth tracking: real clients send a handful of pieces.
    static let maxRanges = 64

    private(set) var bytes: [UInt8] = []
    /// Received byte ranges, sorted, disjoint and not adjacent.
    private(set) var ranges: [Range<Int>] = []

    /// Stores one CRYPTO frame's data; false when it reaches past `limit` or would split the
    /// stream into too many pieces (nothing is stored then).
    mutating func insert(offset: UInt64, _ data: UnsafeRawBufferPointer) -> Bool {
        guard offset <= UInt64(QUICCryptoStream.limit), UInt64(data.count) <= UInt64(QUICCryptoStream.limit) - offset else { return false }
        guard !data.isEmpty else { return true }
        let start = Int(offset), end = start + data.count
        // Merge with every range the new one overlaps or touches.
        let first = ranges.firstIndex { $0.upperBound >= start } ?? ranges.count
        var last = first
        var merged = start..<end
        while last < ranges.count && ranges[last].lowerBound <= end {
            merged = min(merged.lowerBound, ranges[last].lowerBound)..<max(merged.upperBound, ranges[last].upperBound)
            last += 1
        }
        guard ranges.count - (last - first) + 1 <= QUICCryptoStream.maxRanges else { return false }
        if bytes.count < end { bytes.append(contentsOf: repeatElement(0, count: end - bytes.count)) }
        bytes.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[start..<end]).copyMemory(from: data) }
        ranges.replaceSubrange(first..<last, with: [merged])
        return true
    }

    /// How many bytes from offset 0 are here without a hole.
    var contiguousLength: Int {
        guard let r = ranges.first, r.lowerBound == 0 else { return 0 }
        return r.upperBound
    }

    /// The first TLS handshake message on the stream (RFC 8446 §4: type, 3-byte length, body).
    enum FirstMessage: Equatable {
        /// Not all of it yet.
        case incomplete
        /// All of it: the type, and the body's range in `bytes`.
        case complete(type: UInt8, body: Range<Int>)
        /// Its length runs past what the stream may hold.
        case tooLong
    }

    var firstMessage: FirstMessage {
        let have = contiguousLength
        guard have >= 4 else { return .incomplete }
        let length = Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        guard 4 + length <= QUICCryptoStream.limit else { return .tooLong }
        guard have >= 4 + length else { return .incomplete }
        return .complete(type: bytes[0], body: 4..<(4 + length))
    }
}
