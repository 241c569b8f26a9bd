/// KVM evidence seen on flows (a KVM's web interface, its certificate), held until the run
/// ends and then noted on the device table. Flows are concluded on the flow-end thread while
/// the packet thread is still filling the device table from DHCP, mDNS and the rest, so the
/// two meet only when the run ends, where devices are classified anyway. Bounded; a sighting
/// repeated on many flows (every visit to the same web console) is kept once.
public final class KVMSightings {
    public static let defaultCapacity = 4_096
    public let capacity: Int
    private var sightings: [(address: IPAddress, timestampNs: Int64, evidence: KVMEvidence)] = []
    private var seen: Set<String> = []
    /// Distinct sightings that found the list full.
    public private(set) var dropped = 0

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

    /// Takes another list's sightings after this one's (they were seen later), and empties it.
    func absorb(_ other: KVMSightings) {
        for s in other.sightings { note(address: s.address, at: s.timestampNs, s.evidence) }
        dropped += other.dropped
        other.sightings.removeAll()
        other.seen.removeAll()
    }

    /// Notes every sighting on the device table, in the order they were seen, and forgets them.
    func apply(to devices: DeviceTable) {
        for s in sightings { devices.noteKVM(address: s.address, at: s.timestampNs, s.evidence) }
        sightings.removeAll()
        seen.removeAll()
    }
}
