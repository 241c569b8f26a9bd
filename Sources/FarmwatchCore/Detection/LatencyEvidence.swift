/// A robust summary of many latency samples: the minimum and low percentiles (queueing and
/// think time only ever add delay, so the low end is the path), with the sample count and the
/// spread between the first and third quartile.
public struct LatencyEstimate: Equatable {
    public var samples: Int
    public var minMs: Double
    public var p10Ms: Double
    public var p25Ms: Double
    public var medianMs: Double
    /// Interquartile range, ms.
    public var spreadMs: Double
    /// The densest stretch of the distribution (for interactive turnarounds), ms.
    public var modeMs: Double?
    /// For a few automatic exchanges (handshakes): the round trip most of the answers agree
    /// on (`answeringRoundTrip`), ms.
    public var answeringMs: Double?

    /// Samples this close together (relative to the lower, plus an absolute slack for LAN
    /// round trips of a millisecond or two) answer over the same path.
    static let agreementTolerance = 0.10
    static let agreementSlackMs = 1.0

    /// From exact samples in µs (few of them: handshakes). Samples under `floorMs` cannot be
    /// answers (nothing answers faster than the first hop's round trip): they are left out of
    /// `answeringMs`, never out of the percentiles.
    public init?(samplesUs: [UInt32], floorMs: Double = 0) {
        guard !samplesUs.isEmpty else { return nil }
        let s = samplesUs.sorted().map { Double($0) / 1000 }
        answeringMs = Self.answeringRoundTrip(s, floorMs: floorMs)
        func q(_ p: Double) -> Double {
            let rank = p * Double(s.count - 1)
            let lo = Int(rank.rounded(.down)), hi = min(s.count - 1, lo + 1)
            return s[lo] + (s[hi] - s[lo]) * (rank - Double(lo))
        }
        samples = s.count
        minMs = s[0]
        p10Ms = q(0.10)
        p25Ms = q(0.25)
        medianMs = q(0.5)
        spreadMs = q(0.75) - p25Ms
        modeMs = nil
    }

    /// The round trip of a handful of automatic exchanges. Each sample is an answer (the
    /// path's round trip plus the answering program's work: the work only ever adds) or a
    /// message sent without waiting (both sides speaking at once: anything, usually less).
    /// Answers over one path agree; the extra work of a few steps (a host key checked, a
    /// signature made, a password typed) spreads above them. So: the largest group of samples
    /// at or above the floor that lie within `agreementTolerance` of the group's lowest, the
    /// lowest group on ties, and its lower quartile: since the work only adds, the group's low
    /// end is the path (FreeRDP answering channel joins 20 ms late put a whole group's median
    /// 10 % above the injected round trip). Nil unless at least two samples and half of those
    /// above the floor agree (two stray slow steps are not a path; the caller falls back to the
    /// median).
    static func answeringRoundTrip(_ sortedMs: [Double], floorMs: Double) -> Double? {
        let s = sortedMs.filter { $0 >= floorMs }
        var best = 0..<0
        for i in s.indices {
            var j = i
            while j + 1 < s.count && s[j + 1] <= s[i] * (1 + agreementTolerance) + agreementSlackMs { j += 1 }
            if j + 1 - i > best.count { best = i..<(j + 1) }
        }
        guard best.count >= 2 && best.count * 2 >= s.count else { return nil }
        let group = s[best]
        return group[group.startIndex + (group.count - 1) / 4]
    }

    /// From a flow's latency sketch (many samples: a session's turnarounds). `floorMs` as for
    /// exact samples: it bounds the densest stretch, not the percentiles.
    public init?(sketch: LatencySketch, floorMs: Double = 0) {
        guard sketch.count > 0, let p10 = sketch.quantileUs(0.10), let p25 = sketch.quantileUs(0.25),
              let p50 = sketch.quantileUs(0.5), let p75 = sketch.quantileUs(0.75) else { return nil }
        samples = Int(sketch.count)
        minMs = Double(sketch.minimumUs) / 1000
        p10Ms = p10 / 1000
        p25Ms = p25 / 1000
        medianMs = p50 / 1000
        spreadMs = (p75 - p25) / 1000
        modeMs = sketch.modeUs(fromUs: floorMs * 1000).map { $0.us / 1000 }
        answeringMs = nil
    }
}

/// The three round trips of one session, each measured from the sensor towards the session's
/// peer (the side the controller is behind):
/// 1. transport: the TCP handshake half on the peer's side of the sensor (SYN→SYN-ACK when the
///    peer answered the handshake, SYN-ACK→ACK when it opened it) — ends at the first hop
///    that terminates TCP;
/// 2. opening: the automatic exchanges that open the application session (TLS, RDP, RFB, SSH
///    negotiation: the peer's answer to the host's data) — ends where the application is
///    terminated, across any TCP-terminating relay;
/// 3. interactive: the peer's next data after the host's data during the session (a screen
///    update answered by the next request or input) — includes the controller's whole path;
///    `contentAnswers` keeps the part of it answered with protocol content rather than input
///    (see `TurnaroundSketches.contentAnswerMinBytes`), for typed sessions.
public struct SessionLatency: Equatable {
    public var transportMs: Double?
    /// What `transportMs` timed: the TCP handshake, or (over UDP) the tunnel's or relay's own
    /// first request and answer (WireGuard/OpenVPN handshake, STUN/TURN allocation).
    public var transportIsTCPHandshake = true
    public var opening: LatencyEstimate?
    public var interactive: LatencyEstimate?
    public var contentAnswers: LatencyEstimate?

    public init(transportMs: Double? = nil, opening: LatencyEstimate? = nil, interactive: LatencyEstimate? = nil,
                contentAnswers: LatencyEstimate? = nil) {
        self.transportMs = transportMs
        self.opening = opening
        self.interactive = interactive
        self.contentAnswers = contentAnswers
    }

    /// Measures the session on `flow`, whose `peer` side leads towards the controller.
    public init(flow f: FlowState, peer: Direction) {
        interactive = f.metadata?.turnarounds.flatMap { LatencyEstimate(sketch: $0[peer]) }
        guard f.key.proto == IPProto.tcp else {
            // A tunnel or relay over UDP: its own handshake (the first request the peer
            // answers: WireGuard/OpenVPN handshake, STUN/TURN allocation) is the transport
            // round trip; the application inside it is out of sight.
            transportMs = f[peer].openingTurnaroundSamples.first.map { Double($0) / 1000 }
            transportIsTCPHandshake = false
            return
        }
        if f.synTimestampNs != 0 && f.synAckTimestampNs > f.synTimestampNs && peer == .responder {
            transportMs = Double(f.synAckTimestampNs - f.synTimestampNs) / 1e6
        } else if f.synAckTimestampNs != 0 && f.handshakeAckTimestampNs > f.synAckTimestampNs && peer == .originator {
            transportMs = Double(f.handshakeAckTimestampNs - f.synAckTimestampNs) / 1e6
        }
        // Content answers faster than the first hop are the relay's own traffic, not answers
        // from beyond it.
        let floor = (transportMs ?? 0) * Self.openingFloorShare
        contentAnswers = f.metadata?.turnarounds.flatMap { LatencyEstimate(sketch: $0.content(peer), floorMs: floor) }
        // A little under the TCP round trip: the handshake and the first answers jitter apart.
        opening = LatencyEstimate(samplesUs: f[peer].openingTurnaroundSamples,
                                  floorMs: (transportMs ?? 0) * Self.openingFloorShare)
    }

    /// Share of the transport round trip below which an opening sample is not an answer.
    static let openingFloorShare = 0.9

    /// The application-layer round trip to whoever answers the session: the round trip the
    /// opening exchanges agree on (automatic steps, no human in them; see
    /// `LatencyEstimate.answeringRoundTrip`), else their median; failing that, the interactive
    /// distribution's densest stretch.
    public func applicationRTTms(minSamples: Int) -> Double? {
        if let o = openingRTTms(minSamples: minSamples) { return o }
        if let i = interactive, i.samples >= minSamples { return i.modeMs ?? i.p25Ms }
        return nil
    }

    public func openingRTTms(minSamples: Int) -> Double? {
        guard let o = opening, o.samples >= min(minSamples, FlowSide.openingTurnarounds) else { return nil }
        return o.answeringMs ?? o.medianMs
    }

    /// Content answers needed to state a typed session's round trip: a login alone makes
    /// half a dozen (key exchange, authentication, the terminal's setup).
    static let minContentAnswers = 3

    /// The round trip of the answers that carry protocol content, from their densest stretch.
    public var contentAnswerRTTms: Double? {
        guard let c = contentAnswers, c.samples >= Self.minContentAnswers else { return nil }
        return c.modeMs
    }

    /// The controller's round trip: the application round trip when one is measured (it spans
    /// every relay), else the transport one (a direct session with nothing above TCP seen).
    public func controllerRTTms(minSamples: Int) -> Double? {
        applicationRTTms(minSamples: minSamples) ?? transportMs
    }

    /// How much longer the application round trip is than the transport one: the delay of the
    /// hop(s) the TCP handshake does not see. Nil when either is unmeasured.
    public func hiddenHopMs(minSamples: Int) -> Double? {
        guard let t = transportMs, let a = applicationRTTms(minSamples: minSamples) else { return nil }
        return max(0, a - t)
    }
}
