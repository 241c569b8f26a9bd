/// KVM evidence seen on flows (a KVM's web interface, its certificate) and video streams sent
/// from the LAN, held until the run ends and then noted on the device table. Flows are
/// concluded on the flow-end thread while the packet thread is still filling the device table
/// from DHCP, mDNS and the rest, so the two meet only when the run ends, where devices are
/// classified anyway. Bounded; a sighting repeated on many flows (every visit to the same web
/// console, every reconnect of the same viewer) is kept once.
public final class KVMSightings {
    public static let defaultCapacity = 4_096
    public let capacity: Int
    private var sightings: [(address: IPAddress, timestampNs: Int64, evidence: KVMEvidence)] = []
    private var seen: Set<String> = []
    /// Video streams sent from private addresses, by sender and viewer: the strongest kept.
    private var streams: [StreamPair: VideoStreamSighting] = [:]
    /// Distinct sightings that found the list full.
    public private(set) var dropped = 0

    struct StreamPair: Hashable {
        var sender: IPAddress
        var viewer: IPAddress
    }

    /// A flow that had the shape of a video stream, sent from `sender` (its MAC when the
    /// capture has one) to `viewer`.
    struct VideoStreamSighting {
        var sender: IPAddress
        var senderMAC: UInt64
        var viewer: IPAddress
        var viewerPort: UInt16
        var proto: UInt8
        var shape: VideoStreamShape
        var uid: String
        var timestampNs: Int64
    }

    public init(capacity: Int = defaultCapacity) {
        self.capacity = capacity
    }

    func note(address: IPAddress, at ts: Int64, _ e: KVMEvidence) {
        guard seen.insert("\(address) \(e.detail)").inserted else { return }
        guard sightings.count < capacity else {
            dropped += 1
            return
        }
        sightings.append((address, ts, e))
    }

    /// Keeps the flow's video stream when it has that shape and its sender is on the LAN (a
    /// stream from the Internet to a LAN viewer is a download, not a device's screen).
    func noteVideoStream(of flow: FlowState) {
        guard let shape = VideoStreamShape.measure(flow) else { return }
        let fromOriginator = shape.sender == .originator
        let sender = fromOriginator ? flow.originatorAddress : flow.responderAddress
        guard sender.isPrivateUse else { return }
        let s = VideoStreamSighting(sender: sender, senderMAC: flow[shape.sender].mac,
                                    viewer: fromOriginator ? flow.responderAddress : flow.originatorAddress,
                                    viewerPort: fromOriginator ? flow.responderPort : flow.originatorPort,
                                    proto: flow.key.proto, shape: shape, uid: FlowRecordWriter.uid(flow),
                                    timestampNs: flow.firstTimestampNs)
        keep(s)
    }

    private func keep(_ s: VideoStreamSighting) {
        let pair = StreamPair(sender: s.sender, viewer: s.viewer)
        if let old = streams[pair] {
            if s.shape.bitsPerSecond * Double(s.shape.durationNs) > old.shape.bitsPerSecond * Double(old.shape.durationNs) {
                streams[pair] = s
            }
            return
        }
        guard streams.count < capacity else {
            dropped += 1
            return
        }
        streams[pair] = s
    }

    /// Takes another list's sightings after this one's (they were seen later), and empties it.
    func absorb(_ other: KVMSightings) {
        for s in other.sightings { note(address: s.address, at: s.timestampNs, s.evidence) }
        for s in other.streams.values.sorted(by: { $0.timestampNs < $1.timestampNs }) { keep(s) }
        dropped += other.dropped
        other.sightings.removeAll()
        other.seen.removeAll()
        other.streams.removeAll()
    }

    /// Notes every sighting on the device table, in the order they were seen, and forgets them.
    func apply(to devices: DeviceTable) {
        for s in sightings { devices.noteKVM(address: s.address, at: s.timestampNs, s.evidence) }
        sightings.removeAll()
        seen.removeAll()
    }

    /// Once the devices are classified: a device that already carries KVM evidence of any
    /// kind and sent a video stream gets the stream as low-confidence evidence, with its
    /// measurements. A stream from a device with no other evidence says nothing: screen
    /// shares, LAN cameras and media servers send the same shape.
    func applyVideoStreams(to devices: DeviceTable) {
        for s in streams.values.sorted(by: { ($0.timestampNs, $0.uid) < ($1.timestampNs, $1.uid) }) {
            guard let d = devices.existing(mac: s.senderMAC, address: s.sender), !d.kvmEvidence.isEmpty else { continue }
            let viewer = s.viewer.isV4 ? "\(s.viewer):\(s.viewerPort)" : "[\(s.viewer)]:\(s.viewerPort)"
            d.noteKVM(KVMEvidence(identifiedBy: .trafficShape, confidence: .low,
                                  detail: "video stream to \(viewer) (\(FlowRecordWriter.protoName(s.proto)))",
                                  product: nil, uid: s.uid, videoStream: s.shape))
        }
        streams.removeAll()
    }
}
