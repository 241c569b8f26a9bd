/// What an SSH connection was used for, judged when the flow ends from the shape of its
/// encrypted traffic (the flow's per-side payload-size and turnaround histograms):
///
/// - interactive: a person typing. Each keystroke leaves the typist's side as one small
///   packet (an SSH_MSG_CHANNEL_DATA of one byte is under 100 bytes with any cipher, and
///   OpenSSH 9.5+'s keystroke-timing chaff is as small), the echoes are as small, and the
///   typist's next packet after the other side's output waits for a person (tens of
///   milliseconds and more). The typist is usually the client; behind a reverse shell
///   (`ssh -R`) it is the server.
/// - bulk: a copy (scp, sftp, rsync): one direction carries almost all the bytes, in
///   full-sized packets, in one go (a few pauses while the session is set up, then none).
/// - tunnel: port forwarding or `ssh -D`: what crosses is not keystrokes (the busier side's
///   packets are mostly large), and it comes in bursts, each after the client paused (a
///   request made, a page read).
/// - unknown: too little after the handshake to say, or no pattern above.
///
/// The figures it rests on are written beside it (`use_basis`), so a reader can check.
public struct SSHSessionUse {
    public enum Kind: String { case interactive, bulk, tunnel, unknown }
    public enum Side: String { case client, server }

    public var kind: Kind
    /// In an interactive session, the side whose packets are the keystrokes. When both sides
    /// look like it (a sensor far from both ends sees the echoes take a long way round too),
    /// the client: reverse shells are the exception, and in one the client, the shell's
    /// host, answers each keystroke as fast as its own machine echoes it.
    public var typist: Side?
    public var clientPackets: UInt64
    public var serverPackets: UInt64
    public var clientBytes: UInt64
    public var serverBytes: UInt64
    /// Share of the client's (server's) data packets under `smallPacket` bytes.
    public var clientSmallShare: Double
    public var serverSmallShare: Double
    /// Share of the bytes of the busier direction carried in packets of `largePacket` bytes and more.
    public var largeShareOfBusierSide: Double
    /// Median of the client's turnaround (server data → client's next data), as the lower
    /// bound of its log-2 bin, in milliseconds; nil when the client never answered.
    public var clientTurnaroundMedianMs: Double?
    public var serverTurnaroundMedianMs: Double?
    /// How often the client took `pauseMs` or more to answer the server's data: a person
    /// reading or typing, or a program between requests. A copy streams without them.
    public var clientPauses: UInt64

    /// Under this, a packet carries a keystroke, an echo or a control message, not content.
    static let smallPacket: UInt64 = 128
    static let largePacket: UInt64 = 1024
    /// The key exchange and authentication take a dozen or so data packets each way: below
    /// this many in total there is no session to judge.
    static let minimumPackets: UInt64 = 40
    /// A copy: the busier side carries this many times the other's bytes, and at least
    /// `bulkMinimumBytes`.
    static let bulkRatio: UInt64 = 8
    static let bulkMinimumBytes: UInt64 = 64 * 1024
    /// Keystrokes: nearly every packet of the typist's side is small, and most of the echoes.
    static let typistSmall = 0.75
    static let echoSmall = 0.5
    /// Humans answer in tens of milliseconds at best; programs in well under that.
    static let humanTurnaroundMs = 16.0
    /// A pause: 2^16 µs (65.5 ms) and more, the lower bound of a turnaround histogram bin.
    static let pauseUs: UInt64 = 1 << 16
    /// Setting a session up (authentication, the exec or subsystem request) may pause the
    /// client this often; a copy streams after that, or moves at least `bulkBytesPerPause`
    /// per pause.
    static let setupPauses: UInt64 = 4
    static let bulkBytesPerPause: UInt64 = 256 * 1024

    /// Judges one flow's sides (client = `client`, server = `server`).
    public init(client: FlowSide, server: FlowSide) {
        clientPackets = client.dataPackets
        serverPackets = server.dataPackets
        clientBytes = client.payloadBytes
        serverBytes = server.payloadBytes
        clientSmallShare = Self.share(of: client.payloadSizes, below: Self.smallPacket)
        serverSmallShare = Self.share(of: server.payloadSizes, below: Self.smallPacket)
        let busier = clientBytes >= serverBytes ? client : server
        largeShareOfBusierSide = Self.byteShare(of: busier.payloadSizes, from: Self.largePacket)
        clientTurnaroundMedianMs = Self.medianLowerBound(client.turnaround).map { Double($0) / 1000 }
        serverTurnaroundMedianMs = Self.medianLowerBound(server.turnaround).map { Double($0) / 1000 }
        clientPauses = Self.count(client.turnaround, from: Self.pauseUs)
        kind = .unknown
        typist = nil
        kind = decide()
    }

    private mutating func decide() -> Kind {
        guard clientPackets + serverPackets >= Self.minimumPackets else { return .unknown }
        let more = max(clientBytes, serverBytes), less = min(clientBytes, serverBytes)
        if Self.typing(clientSmallShare, echoes: serverSmallShare, think: clientTurnaroundMedianMs) {
            typist = .client
            return .interactive
        }
        if Self.typing(serverSmallShare, echoes: clientSmallShare, think: serverTurnaroundMedianMs) {
            typist = .server
            return .interactive
        }
        let busierSmallShare = clientBytes >= serverBytes ? clientSmallShare : serverSmallShare
        guard largeShareOfBusierSide >= 0.5 && busierSmallShare < Self.echoSmall else { return .unknown }
        if more >= Self.bulkMinimumBytes && more >= less &* Self.bulkRatio
            && (clientPauses <= Self.setupPauses || more / (clientPauses + 1) >= Self.bulkBytesPerPause) {
            return .bulk
        }
        return clientPauses >= 2 ? .tunnel : .unknown
    }

    /// One side typing: its packets small, the other's mostly small too, and a person's pace.
    static func typing(_ small: Double, echoes: Double, think: Double?) -> Bool {
        guard let think else { return false }
        return small >= typistSmall && echoes >= echoSmall && think >= humanTurnaroundMs
    }

    /// Fraction of the histogram's values below `limit` (a power of two: whole bins).
    static func share(of h: SizeHistogram, below limit: UInt64) -> Double {
        let total = h.total
        guard total > 0 else { return 0 }
        var small: UInt64 = 0
        for b in 0..<SizeHistogram.binCountValue where SizeHistogram.lowerBound(ofBin: b) < limit {
            small += UInt64(h.bins[b])
        }
        return Double(small) / Double(total)
    }

    /// Fraction of the bytes (estimated from each bin's lower bound) in packets of `limit` and more.
    static func byteShare(of h: SizeHistogram, from limit: UInt64) -> Double {
        var large: UInt64 = 0, all: UInt64 = 0
        for b in 0..<SizeHistogram.binCountValue {
            let bytes = UInt64(h.bins[b]) &* SizeHistogram.lowerBound(ofBin: b)
            all &+= bytes
            if SizeHistogram.lowerBound(ofBin: b) >= limit { large &+= bytes }
        }
        return all == 0 ? 0 : Double(large) / Double(all)
    }

    /// Values at or above `limit` (a power of two: whole bins).
    static func count(_ h: GapHistogram, from limit: UInt64) -> UInt64 {
        var n: UInt64 = 0
        for b in 0..<GapHistogram.binCountValue where GapHistogram.lowerBound(ofBin: b) >= limit { n += UInt64(h.bins[b]) }
        return n
    }

    static func medianLowerBound(_ h: GapHistogram) -> UInt64? {
        let total = h.total
        guard total > 0 else { return nil }
        var seen: UInt64 = 0
        for b in 0..<GapHistogram.binCountValue {
            seen += UInt64(h.bins[b])
            if seen * 2 >= total { return GapHistogram.lowerBound(ofBin: b) }
        }
        return nil
    }

    /// Draws the conclusion for an SSH flow whose handshake the SSH dissector read.
    public static func conclude(_ flow: inout FlowState) {
        guard let facts = flow.metadata?.facts(StandardDissectors.sshSlot, as: SSHFacts.self),
              facts.recognition != nil else { return }
        facts.use = flow.orig.dataPackets + flow.resp.dataPackets > 0
            ? SSHSessionUse(client: flow.orig, server: flow.resp) : nil
    }

    func writeJSON(to w: JSONWriter) {
        w.field("use", kind.rawValue)
        if let typist { w.field("typist", typist.rawValue) }
        w.key("use_basis"); w.beginObject()
        w.field("client_packets", clientPackets)
        w.field("server_packets", serverPackets)
        w.field("client_bytes", clientBytes)
        w.field("server_bytes", serverBytes)
        w.key("client_small_share"); w.double(clientSmallShare)
        w.key("server_small_share"); w.double(serverSmallShare)
        w.key("large_share_of_busier_side"); w.double(largeShareOfBusierSide)
        if let t = clientTurnaroundMedianMs { w.key("client_turnaround_median_ms"); w.double(t) }
        if let t = serverTurnaroundMedianMs { w.key("server_turnaround_median_ms"); w.double(t) }
        w.field("client_pauses", clientPauses)
        w.endObject()
    }
}

extension LogHistogram {
    static var binCountValue: Int { binCount }
}
