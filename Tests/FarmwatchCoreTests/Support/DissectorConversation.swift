@testable import FarmwatchCore

/// Feeds one TCP conversation (or UDP, one datagram per chunk) to one dissector chunk by
/// chunk, as the flow engine does (per-direction stream offsets; nothing more once the
/// dissector stops wanting chunks).
struct DissectorConversation<D: Dissector> {
    var flow: FlowState
    private var offsets = [0, 0]
    private(set) var verdict = DissectorVerdict.wantMore
    private let context = DissectorContext()
    private let datagrams: Bool

    init(serverPort: UInt16, udp: Bool = false) {
        datagrams = udp
        var p = Packet()
        p.src = IPAddress(v4: 0xC000_020A)
        p.dst = IPAddress(v4: 0xC633_6414)
        p.srcPort = 40000
        p.dstPort = serverPort
        p.l4Proto = udp ? IPProto.udp : IPProto.tcp
        var aToB = false
        flow = FlowState(key: FlowKey(packet: p, isAToB: &aToB), originatorIsA: aToB, serial: 1, timestampNs: 1)
    }

    /// Sends bytes in one direction, split into chunks at `splits` (offsets into `bytes`).
    @discardableResult
    mutating func send(_ side: Direction, _ bytes: [UInt8], splits: [Int] = [], afterGap: Bool = false) -> DissectorVerdict {
        var start = 0
        for end in (splits.filter { $0 > 0 && $0 < bytes.count } + [bytes.count]) where end > start {
            deliver(side, Array(bytes[start..<end]), afterGap: afterGap && start == 0)
            start = end
        }
        return verdict
    }

    @discardableResult
    mutating func send(_ side: Direction, _ text: String, splits: [Int] = [], afterGap: Bool = false) -> DissectorVerdict {
        send(side, Array(text.utf8), splits: splits, afterGap: afterGap)
    }

    /// A hole of `count` bytes in one direction (lost segments), then `bytes`.
    mutating func sendAfterLoss(_ side: Direction, lost count: Int, _ text: String) {
        offsets[side.rawValue] += count
        send(side, text, afterGap: true)
    }

    private mutating func deliver(_ side: Direction, _ bytes: [UInt8], afterGap: Bool) {
        guard verdict == .wantMore else { return }
        let offset = offsets[side.rawValue]
        offsets[side.rawValue] += bytes.count
        let context = self.context
        verdict = bytes.withUnsafeBytes { raw in
            D.feed(StreamChunk(bytes: raw, direction: side, timestampNs: 1, streamOffset: offset,
                               afterGap: afterGap, isDatagram: datagrams),
                   flow: &flow, context: context)
        }
    }

    /// The flow ends: what the dissectors kept for then (certificates, fingerprints) is read,
    /// as the flow-end stage does.
    mutating func conclude() {
        StandardDissectors(context: context).flowEnding(&flow)
    }

    var parseErrors: UInt32 { flow.metadata?.parseErrors ?? 0 }
    var serverName: String? { flow.metadata?.serverName.map { String(decoding: $0, as: UTF8.self) } }
}
