/// The IP-KVMs the device table knows, once the run's end has classified it: the product by
/// address and by MAC, and the KVMs on the site. Built when findings are drawn; as bounded as
/// the device table it reads.
struct KVMDirectory {
    private var byAddress: [IPAddress: String] = [:]
    private var byMAC: [UInt64: String] = [:]
    /// Every KVM device with an address on the site, in the order the table first saw them.
    private(set) var atSite: [(address: IPAddress, product: String)] = []

    /// A device called a KVM on its traffic shape alone (STUN at boot, a video stream: a
    /// laptop with a WebRTC app shows both) is left out.
    init(_ devices: [Device], site: NetworkSet) {
        for d in devices where !d.kvmRestsOnTrafficShapeOnly {
            guard let k = d.kvm else { continue }
            let product = k.product ?? "IP-KVM"
            if d.mac != 0 { byMAC[d.mac] = product }
            for a in d.addresses.items { byAddress[a] = product }
            if let a = d.addresses.items.first(where: site.contains) { atSite.append((a, product)) }
        }
    }

    /// The product of the KVM at this address (or with this MAC; 0 for none), nil when the
    /// device there is not a KVM.
    func product(address: IPAddress, mac: UInt64) -> String? {
        byAddress[address] ?? (mac != 0 ? byMAC[mac] : nil)
    }
}
