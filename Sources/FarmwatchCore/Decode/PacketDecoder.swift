/// Turns one captured frame into a `Packet`: link layer, IP (with fragment reassembly),
/// transport, and the tunnels between them, opened so that `Packet` describes the innermost
/// flow.
///
/// The per-frame path allocates nothing, builds no strings and calls no protocol
/// requirements: every layer is a static function that reads the frame through a
/// `DecodeCursor` and returns the next `DecodeStep`. Every length read from the wire is
/// checked against the cursor before the bytes it covers are loaded, because
/// `loadUnaligned` is not bounds-checked in release builds.
public struct PacketDecoder {
    /// Tunnels opened around one packet before it is rejected with `.tunnelTooDeep`.
    public static let maxTunnelDepth = 4

    var fragments: FragmentReassembler

    public init(fragmentLimits: FragmentReassembler.Limits = .init()) {
        fragments = FragmentReassembler(limits: fragmentLimits)
    }

    /// Decodes one captured frame in place. No heap allocation on this path, no String
    /// building, no existentials. `payload` in `p` points into `frame`, or into the fragment
    /// reassembler's buffer when the datagram (or a tunnel packet around it) was reassembled;
    /// it is valid until the next call.
    public mutating func decode(
        frame: UnsafeRawBufferPointer, linkType: Int32, timestampNs: Int64, wireLength: Int,
        into p: inout Packet
    ) -> DecodeResult {
        // A whole-value reset cannot miss a field added to Packet later; copying a stored
        // blank Packet instead measured no faster (the layers' own work dominates).
        p = Packet()
        p.timestampNs = timestampNs
        p.wireLength = wireLength
        p.captureLength = frame.count
        // Fragment timeouts run on packet time, so a capture replayed at any speed expires
        // the same datagrams.
        fragments.expire(now: timestampNs)
        guard frame.count > 0, wireLength <= 0 || frame.count <= wireLength else {
            return .error(.captureLengthInvalid)
        }
        var c = DecodeCursor(frame: frame, wireLength: wireLength > 0 ? wireLength : frame.count)
        var step = LinkLayer.start(linkType, &c)
        while true {
            switch step {
            case .ethernet: step = LinkLayer.ethernet(&c, &p)
            case .etherType(let type): step = LinkLayer.etherType(type, &c, &p)
            case .ppp: step = LinkLayer.ppp(&c)
            case .ip: step = NetworkLayer.sniffVersion(&c)
            case .ipv4: step = NetworkLayer.ipv4(&c, &p, &fragments)
            case .ipv6: step = NetworkLayer.ipv6(&c, &p, &fragments)
            case .transport(let proto): step = TransportLayer.decode(proto, &c, &p)
            case .done(let result): return result
            }
        }
    }

    /// Fragments dropped because they timed out, or because their datagram was abandoned
    /// (overlap, size, table limits) after they had been held, since the last call. The
    /// fragment that triggers an abandonment is reported by its own `.error` result instead.
    public mutating func takeExpiredFragmentCount() -> Int {
        fragments.takeExpiredCount()
    }

    /// Datagrams currently waiting for more fragments.
    public var fragmentsInProgress: Int { fragments.inProgress }
}

/// What to decode next at the cursor. Layers return one of these instead of calling each
/// other, so that tunnels nest without recursion and the nesting depth is one counter.
enum DecodeStep {
    case ethernet
    case etherType(UInt16)
    /// PPP, with or without the 0xFF03 address/control prefix.
    case ppp
    /// IPv4 or IPv6 by the version nibble (raw-IP link types, MPLS).
    case ip
    case ipv4
    case ipv6
    case transport(UInt8)
    case done(DecodeResult)
}

/// The bytes of the layer being decoded. Invariants: 0 <= offset <= end <= bytes.count and
/// end <= wireEnd. `end` is where the captured bytes of the current layer stop; `wireEnd`
/// is where the layer stops on the wire (the enclosing length fields, or the frame's wire
/// length), which is further than `end` when the snap length cut the frame.
struct DecodeCursor {
    /// The frame, or the reassembler's buffer once a datagram has been reassembled.
    var bytes: UnsafeRawBufferPointer
    var offset = 0
    var end: Int
    var wireEnd: Int
    var tunnelDepth = 0

    @inline(__always)
    init(frame: UnsafeRawBufferPointer, wireLength: Int) {
        bytes = frame
        end = frame.count
        wireEnd = wireLength
    }

    /// Bytes of the current layer present in the capture from `offset`.
    @inline(__always) var captured: Int { end - offset }
    /// Bytes of the current layer on the wire from `offset`.
    @inline(__always) var onWire: Int { wireEnd - offset }

    /// nil when `count` bytes from `offset` are captured; otherwise `beyondWire` when even the
    /// wire did not carry them (a lying or short header), or `truncated` when only the snap
    /// length cut them.
    @inline(__always)
    func lacks<Outcome>(_ count: Int, truncated: Outcome, beyondWire: Outcome) -> Outcome? {
        if count <= end - offset { return nil }
        return count <= wireEnd - offset ? truncated : beyondWire
    }

    /// Ends the current layer `length` bytes after `offset`, as a length field from the wire
    /// says (Ethernet padding and trailers fall outside). False when the field claims more
    /// than the enclosing layer carried.
    @inline(__always)
    mutating func limit(toLength length: Int) -> Bool {
        guard length <= wireEnd - offset else { return false }
        wireEnd = offset + length
        if end > wireEnd { end = wireEnd }
        return true
    }

    /// Moves decoding into a reassembled datagram.
    @inline(__always)
    mutating func switchTo(_ buffer: UnsafeRawBufferPointer) {
        bytes = buffer
        offset = 0
        end = buffer.count
        wireEnd = buffer.count
    }

    /// The captured bytes from `offset` to the end of the layer.
    @inline(__always) var rest: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: bytes.baseAddress.map { $0 + offset }, count: end - offset)
    }
}
