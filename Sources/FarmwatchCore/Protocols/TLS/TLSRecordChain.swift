/// TLS met in the middle: a capture that began after the handshake (a sensor started on a busy
/// link, a file cut by rotation) shows no hello, only records. A long-lived remote-control
/// session is exactly such a connection, so it is still named `tls` when its records chain:
/// each direction whose first captured bytes open a record header (an application-data,
/// alert or handshake record of version 3.x) is walked header to header through the record
/// lengths, and `recordsNeeded` headers in all, with no header out of place, name it (nDPI
/// names such flows from their application-data records the same way). A flow that ends
/// sooner (a last alert, a push notification's one record) is named when every direction
/// walked ended exactly where its last record did: the lengths accounted for every byte.
///
/// Looked for only where the reassembler says bytes were missed before the chunk (no SYN
/// seen): a connection captured from its start opens with a hello or is not TLS. A direction
/// whose first bytes fall inside a record is left alone; a later gap, or a header split across
/// segments, ends that direction's walk without judging it.
struct TLSRecordChain {
    static let recordsNeeded = 3

    private var pending = InlineArray<2, Int>(repeating: 0)
    private var walking = InlineArray<2, Bool>(repeating: false)
    /// A direction's walk is over: its first bytes were not a record's (never walked), or a
    /// header split across segments or a gap cut the walk short.
    private var done = InlineArray<2, Bool>(repeating: false)
    /// Headers found in place, both directions together.
    private(set) var records = 0
    /// A header was not where the previous record's length put it: not TLS.
    private(set) var broken = false

    /// The first captured bytes of a direction open a record that a connection past its
    /// handshake sends (application data, an alert, a post-handshake message).
    @inline(__always)
    static func opensRecord(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count >= 5, TLSRecordStream.isRecordHeader(b) else { return false }
        return b[0] == TLSRecordStream.contentApplicationData || b[0] == TLSRecordStream.contentAlert
            || b[0] == TLSRecordStream.contentHandshake
    }

    /// Every direction walked stopped exactly at a record's end, and no walk was cut short (a
    /// header split across segments, a gap).
    private var endsOnRecords: Bool {
        for i in 0..<2 where walking[i] && (pending[i] != 0 || done[i]) { return false }
        return true
    }

    var matched: Bool { !broken && (records >= Self.recordsNeeded || (records > 0 && endsOnRecords)) }
    /// Nothing more to learn: named, refuted, or both directions at an end.
    var settled: Bool { broken || records >= Self.recordsNeeded || (done[0] && done[1]) }

    mutating func feed(_ chunk: StreamChunk) {
        let i = chunk.direction.rawValue
        guard !broken, !done[i] else { return }
        let b = chunk.bytes
        if !walking[i] {
            guard Self.opensRecord(b) else { done[i] = true; return }
            walking[i] = true
        } else if chunk.afterGap {
            done[i] = true
            return
        }
        var offset = pending[i]
        while offset < b.count {
            guard offset + 5 <= b.count else { done[i] = true; return }
            guard TLSRecordStream.isRecordHeader(UnsafeRawBufferPointer(rebasing: b[offset..<(offset + 5)])) else {
                broken = true
                return
            }
            records += 1
            offset += 5 + (Int(b[offset + 3]) << 8 | Int(b[offset + 4]))
        }
        pending[i] = offset - b.count
    }
}
