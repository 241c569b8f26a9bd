/// The shape of a live screen or camera stream on one flow: one side sends a sustained,
/// steady-cadence stream of frames while the other sends back only small packets (input
/// events, RTCP receiver reports and congestion feedback, TCP acknowledgements). That is what
/// an IP-KVM's video looks like — WebRTC H.264 over SRTP/UDP (JetKVM, NanoKVM, PiKVM's Janus,
/// GLKVM), or MJPEG/H.264 over HTTP(S) or a WebSocket on TCP (PiKVM's and TinyPilot's
/// fallbacks) — and also what a screen share or a LAN camera looks like, so it is never a
/// verdict on its own (see `KVMSightings.applyVideoStreams`).
///
/// Judged when the flow ends from what the flow engine already counts on every packet (bytes,
/// data packets and inter-arrival histograms per side, first and last timestamps): nothing is
/// added to the packet path. Checked on real streams (ffmpeg H.264 over RTP, MJPEG over HTTP)
/// and near misses (a two-way call, a rate-limited download): scripts/make-kvm-stream-captures.sh.
public struct VideoStreamShape: Equatable {
    /// The side sending the stream.
    public var sender: Direction
    public var durationNs: Int64
    /// The sender's payload rate over the flow's duration, bits per second.
    public var bitsPerSecond: Double
    /// Gaps between the sender's packets long enough to separate frames, per second.
    public var framesPerSecond: Double
    /// The share of those gaps inside the two adjacent power-of-two bins that hold the most:
    /// a frame clock puts nearly all of them there.
    public var cadenceShare: Double
    /// The sender's share of the flow's payload bytes.
    public var senderShare: Double

    /// A KVM is watched for minutes; ten seconds is enough to tell a stream from a burst.
    static let minimumDurationNs: Int64 = 10 * 1_000_000_000
    /// A static desktop in H.264 at 30 frames/s still costs tens of kbit/s; a remote screen
    /// anyone is watching costs more. Below this the flow is not a video stream.
    static let minimumBitsPerSecond = 64_000.0
    /// The viewer only sends input and feedback: the sender must send at least this many
    /// times its bytes. A video call sends media both ways (ratios of 1–3).
    static let minimumAsymmetry: UInt64 = 8
    /// The viewer's packets carry at most this many payload bytes on average: keyboard and
    /// pointer events, RTCP reports and transport feedback are tens to low hundreds of bytes
    /// (the detection engine's `input_event_max_bytes` is the same figure).
    static let maximumReturnPacketBytes: UInt64 = 256
    /// Frame gaps are those in GapHistogram bins 13...17: [4.1 ms, 131 ms), from 240 frames/s
    /// down to 7.6; a frame's own packets leave closer together than 4 ms (a pacer spreads a
    /// frame over a few ms), a pause is longer than 131 ms.
    static let frameGapBins = 13...17
    /// Frames per second a KVM (and any live video) streams at: 5–120.
    static let frameRates = 5.0...120.0
    /// A frame clock puts at least this share of the frame gaps in two adjacent bins; a
    /// download paced by the network, or interactive traffic, spreads them.
    static let minimumCadenceShare = 0.6

    /// The stream one side of `flow` sends, when the flow has that shape.
    public static func measure(_ flow: FlowState) -> VideoStreamShape? {
        let durationNs = flow.lastTimestampNs &- flow.firstTimestampNs
        guard durationNs >= minimumDurationNs else { return nil }
        return measure(flow, sender: .originator, durationNs) ?? measure(flow, sender: .responder, durationNs)
    }

    private static func measure(_ flow: FlowState, sender: Direction, _ durationNs: Int64) -> VideoStreamShape? {
        let seconds = Double(durationNs) / 1e9
        let s = flow[sender], viewer = flow[sender.opposite]
        guard s.payloadBytes >= minimumAsymmetry &* viewer.payloadBytes,
              viewer.payloadBytes <= maximumReturnPacketBytes &* max(1, viewer.dataPackets) else { return nil }
        let bits = Double(s.payloadBytes) * 8 / seconds
        guard bits >= minimumBitsPerSecond else { return nil }
        var gaps: UInt64 = 0, densest: UInt64 = 0, densestBin = frameGapBins.lowerBound
        for b in frameGapBins {
            let here = UInt64(s.interArrival.bins[b])
            gaps += here
            let pair = b < frameGapBins.upperBound ? here + UInt64(s.interArrival.bins[b + 1]) : 0
            if pair > densest { densest = pair; densestBin = b }
        }
        let fps = Double(gaps) / seconds
        guard frameRates.contains(fps) else { return nil }
        let cadence = Double(densest) / Double(gaps)
        guard cadence >= minimumCadenceShare else { return nil }
        // A frame clock idles between frames: the usual gap (the densest pair's range,
        // [2^(b-1), 2^(b+1)) µs) is between half the frame period and the period. A sender
        // that is rate-limited (curl --limit-rate, a token bucket) pauses briefly and
        // regularly too, but sends most of the time: its pauses are far shorter than the
        // period their count implies (measured: 6 pauses/s of 4-16 ms in a paced download).
        let periodUs = 1e6 / fps
        let lower = Double(UInt64(1) << UInt64(densestBin - 1)), upper = Double(UInt64(1) << UInt64(densestBin + 1))
        guard lower <= periodUs, upper >= periodUs / 2 else { return nil }
        let total = s.payloadBytes + viewer.payloadBytes
        return VideoStreamShape(sender: sender, durationNs: durationNs, bitsPerSecond: bits, framesPerSecond: fps,
                                cadenceShare: cadence, senderShare: Double(s.payloadBytes) / Double(total))
    }
}
