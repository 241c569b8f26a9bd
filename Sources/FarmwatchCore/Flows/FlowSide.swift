/// What one side of a flow sent: counters, TCP stack details and timing histograms.
/// Stored inline in the flow (two per flow), so it holds only fixed-size values.
public struct FlowSide {
    public var packets: UInt64 = 0
    /// IP-level bytes (Zeek's *_ip_bytes).
    public var ipBytes: UInt64 = 0
    /// Transport payload bytes as the headers state them, retransmissions included.
    public var payloadBytes: UInt64 = 0
    /// Payload bytes by TCP sequence space (Zeek's *_bytes for TCP): retransmissions excluded,
    /// gaps included. For UDP and others equal to payloadBytes.
    public var seqBytes: UInt64 = 0
    public var dataPackets: UInt64 = 0
    public var retransmissions: UInt32 = 0
    public var zeroWindows: UInt32 = 0

    /// Highest sequence number sent + 1 (TCP), valid when `seqSynced`.
    public var seqHigh: UInt32 = 0
    public var seqSynced = false

    public var ttlFirst: UInt8 = 0
    public var ttlMin: UInt8 = 255
    public var ttlMax: UInt8 = 0
    /// OR of every TCP flag byte this side sent.
    public var flagsSeen: UInt8 = 0
    public var firstWindow: UInt16 = 0
    public var hasFirstWindow = false
    /// Options of this side's SYN (originator) or SYN-ACK (responder).
    public var handshakeOptions = TCPOptions()
    public var hasHandshakeOptions = false
    public var mac: UInt64 = 0

    public var payloadSizes = SizeHistogram()
    /// Gaps between this side's consecutive packets, in microseconds.
    public var interArrival = GapHistogram()
    public var lastTimestampNs: Int64 = 0

    /// Data-exchange turnaround: the gap from the other side's last data to this side's next
    /// data, in microseconds. The raw material of latency analysis (request→response and
    /// screen-update→input), kept as a histogram and a minimum rather than per packet.
    public var turnaround = GapHistogram()
    public var turnaroundMinUs: UInt64 = .max
    /// How many turnarounds this side made, and the first few of them in µs: the exchanges
    /// that open a session (TLS, RDP, RFB, SSH negotiation steps) are automatic, so they
    /// measure the path to whoever really terminates the application protocol — across any
    /// TCP-terminating relay — without a human's think time.
    public var turnaroundCount: UInt32 = 0
    public var openingTurnaroundsUs = InlineArray<6, UInt32>(repeating: 0)
    public static let openingTurnarounds = 6   // the InlineArray size above

    /// The opening turnarounds recorded so far (at most `openingTurnarounds`).
    public var openingTurnaroundSamples: [UInt32] {
        (0..<min(Int(turnaroundCount), FlowSide.openingTurnarounds)).map { openingTurnaroundsUs[$0] }
    }

    /// In-order payload delivery to dissectors.
    public var stream = StreamCursor()

    public init() {}

    @inline(__always)
    mutating func countPacket(_ p: Packet, at ts: Int64) {
        if packets > 0 {
            let gap = ts &- lastTimestampNs
            interArrival.add(gap > 0 ? UInt64(gap / 1000) : 0)
        } else {
            ttlFirst = p.ttl
            mac = p.srcMAC
        }
        packets += 1
        ipBytes &+= UInt64(p.ipLength)
        payloadBytes &+= UInt64(p.payloadWireLength)
        lastTimestampNs = ts
        if p.ttl < ttlMin { ttlMin = p.ttl }
        if p.ttl > ttlMax { ttlMax = p.ttl }
        if p.payloadWireLength > 0 {
            dataPackets += 1
            payloadSizes.add(UInt64(p.payloadWireLength))
        }
    }
}
