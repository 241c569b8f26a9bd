/// The devices the name-service dissectors (DHCP, DHCPv6, mDNS, LLMNR, NBNS, SSDP) have seen,
/// keyed by MAC address, else by IP address (captures without a link layer). Bounded: past
/// `capacity` devices new ones are counted, not kept — a DHCP starvation flood of random MACs
/// cannot grow it — and each device's lists are capped (see `Device`).
public final class DeviceTable {
    public static let defaultCapacity = 8_192

    public let capacity: Int
    /// In the order first seen.
    public private(set) var devices: [Device] = []
    private var byMAC: [UInt64: Int] = [:]
    private var byAddress: [IPAddress: Int] = [:]
    /// Sightings of devices that found the table full.
    public private(set) var untracked: UInt64 = 0

    public init(capacity: Int = DeviceTable.defaultCapacity) {
        self.capacity = max(0, capacity)
    }

    /// The device with this MAC (or, when `mac` is 0, this address), created when new and
    /// there is room; the sighting is noted with its evidence and the address added.
    public func device(mac: UInt64, address: IPAddress, at ts: Int64, _ evidence: DeviceEvidence?) -> Device? {
        let keyByAddress = mac == 0
        if keyByAddress && (address.isUnspecified || address.isMulticast) { return nil }
        let found = keyByAddress ? byAddress[address] : byMAC[mac]
        let d: Device
        if let i = found {
            d = devices[i]
        } else {
            guard devices.count < capacity else {
                untracked &+= 1
                return nil
            }
            d = Device(mac: mac, at: ts)
            if keyByAddress { byAddress[address] = devices.count } else { byMAC[mac] = devices.count }
            devices.append(d)
        }
        d.seen(at: ts, evidence)
        d.noteAddress(address)
        return d
    }

    /// The device that sent `chunk` on `flow`: the sending side's MAC and address.
    public func sender(of chunk: StreamChunk, in flow: FlowState, _ evidence: DeviceEvidence) -> Device? {
        let side = chunk.direction
        let address = side == .originator ? flow.originatorAddress : flow.responderAddress
        return device(mac: flow[side].mac, address: address, at: chunk.timestampNs, evidence)
    }

    /// The device already known by this MAC, else the one that used this address; never
    /// creates one.
    func existing(mac: UInt64, address: IPAddress) -> Device? {
        if mac != 0, let i = byMAC[mac] { return devices[i] }
        if let i = byAddress[address] { return devices[i] }
        return devices.first { $0.addresses.items.contains(address) }
    }

    /// Notes KVM evidence seen on a flow served from `address`: on the device known to use
    /// that address, else on a device keyed by the address.
    func noteKVM(address: IPAddress, at ts: Int64, _ e: KVMEvidence) {
        let known = devices.first { $0.addresses.items.contains(address) }
        guard let d = known ?? device(mac: 0, address: address, at: ts, nil) else { return }
        d.noteKVM(e)
    }

    /// Set once the run-end KVM classification has run.
    var kvmClassified = false
}
