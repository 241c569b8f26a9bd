/// Zeek's conn.log `history`: one letter per event in the order first seen, uppercase for the
/// originator, lowercase for the responder (S syn, H syn-ack, A pure ack, D data, F fin, R rst,
/// G content gap, T retransmission, W zero window, I inconsistent flags, Q multi-flag, ^ the
/// roles were flipped). Repeated events are logged again at 10, 100, 1000... occurrences for
/// T, W and G as Zeek does. Stored in a fixed 32-byte buffer: no allocation per flow.
public struct ConnectionHistory {
    private var letters = InlineArray<32, UInt8>(repeating: 0)
    public private(set) var count: UInt8 = 0
    /// Bit per (letter, side) already logged once.
    private var seen: UInt64 = 0

    public init() {}

    public enum Event: UInt8 {
        case syn = 0x53 /* S */, synAck = 0x48 /* H */, ack = 0x41 /* A */, data = 0x44 /* D */
        case fin = 0x46 /* F */, rst = 0x52 /* R */, gap = 0x47 /* G */, retransmission = 0x54 /* T */
        case zeroWindow = 0x57 /* W */, inconsistent = 0x49 /* I */, multiFlag = 0x51 /* Q */

        @inline(__always) var bit: UInt64 { UInt64(1) << UInt64(rawValue - 0x41) }
    }

    /// Logs `event` for `side` the first time it happens.
    @inline(__always)
    public mutating func note(_ event: Event, _ side: Direction) {
        let bit = side == .originator ? event.bit : event.bit << 32
        if seen & bit != 0 { return }
        seen |= bit
        append(side == .originator ? event.rawValue : event.rawValue | 0x20)
    }

    /// Logs a repeatable event (T, W, G) when its running count reaches 1, 10, 100, ...
    @inline(__always)
    public mutating func noteRepeated(_ event: Event, _ side: Direction, count n: UInt32) {
        if n == 1 || n == 10 || n == 100 || n == 1000 || n == 10000 || n == 100000 {
            append(side == .originator ? event.rawValue : event.rawValue | 0x20)
        }
    }

    /// Marks that originator and responder were swapped after the first packet.
    public mutating func noteFlipped() {
        // Zeek puts '^' first; the roles are decided on the first packet, so the history is
        // still empty or holds that packet's letters (which are swapped case-wise).
        var swapped = InlineArray<32, UInt8>(repeating: 0)
        swapped[0] = 0x5E // ^
        var n = 1
        for i in 0..<Int(count) where n < 32 {
            let c = letters[i]
            swapped[n] = (c >= 0x41 && c <= 0x5A) ? c | 0x20 : ((c >= 0x61 && c <= 0x7A) ? c & ~0x20 : c)
            n += 1
        }
        letters = swapped
        count = UInt8(n)
        seen = (seen >> 32) | (seen << 32)
    }

    @inline(__always)
    private mutating func append(_ c: UInt8) {
        guard count < 32 else { return }
        letters[Int(count)] = c
        count += 1
    }

    public var string: String {
        var s = ""
        s.reserveCapacity(Int(count))
        for i in 0..<Int(count) { s.unicodeScalars.append(Unicode.Scalar(letters[i])) }
        return s
    }

    /// The letters as bytes, without building a String (output path).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        letters.span.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(count)])) }
    }
}
