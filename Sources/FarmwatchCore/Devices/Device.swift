/// What named a device, and how: one bit per kind of message seen from it (or, for DHCP and
/// DHCPv6 server answers, about it).
public enum DeviceEvidence: Int, CaseIterable {
    case dhcpClient, dhcpAck, dhcpv6Client, dhcpv6Reply
    case mdnsQuery, mdnsResponse, llmnrQuery, llmnrResponse
    case nbnsQuery, nbnsRegistration, nbnsResponse
    case ssdpSearch, ssdpNotify, ssdpResponse

    public var name: String {
        switch self {
        case .dhcpClient: return "dhcp:client"
        case .dhcpAck: return "dhcp:ack"
        case .dhcpv6Client: return "dhcpv6:client"
        case .dhcpv6Reply: return "dhcpv6:reply"
        case .mdnsQuery: return "mdns:query"
        case .mdnsResponse: return "mdns:response"
        case .llmnrQuery: return "llmnr:query"
        case .llmnrResponse: return "llmnr:response"
        case .nbnsQuery: return "nbns:query"
        case .nbnsRegistration: return "nbns:registration"
        case .nbnsResponse: return "nbns:response"
        case .ssdpSearch: return "ssdp:search"
        case .ssdpNotify: return "ssdp:notify"
        case .ssdpResponse: return "ssdp:response"
        }
    }
}

/// A service a device announced over mDNS/DNS-SD (RFC 6763): the instance name from a PTR
/// record, and the port, target host and TXT strings from its SRV and TXT records.
public struct AnnouncedService: Equatable {
    public var instance: [UInt8]
    public var port: UInt16?
    public var target: [UInt8]?
    public var txt: [[UInt8]] = []
}

/// What the DHCPv4 client said about itself, last message wins (RFC 2132 option numbers).
public struct DHCPClientProfile {
    public var hostName: [UInt8]?          // 12
    public var vendorClass: [UInt8]?       // 60
    public var parameterList: [UInt8]?     // 55
    public var clientID: [UInt8]?          // 61
    public var fqdn: [UInt8]?              // 81
    public var requestedAddress: IPAddress? // 50
    /// The address a server's ACK gave it (yiaddr).
    public var assignedAddress: IPAddress?
    /// When the client last took an address from scratch (RFC 2131 §4.4: a DISCOVER, or a
    /// REQUEST or ACK with no current address in ciaddr — booting or joining the network, not
    /// renewing a lease it holds): what "soon after boot" is measured from.
    public var joinedNs: Int64?
}

/// What the DHCPv6 client said about itself (RFC 8415 option numbers).
public struct DHCPv6ClientProfile {
    public var duid: [UInt8]?              // 1
    public var fqdn: [UInt8]?              // 39
    public var vendorEnterprise: UInt32?   // 16
    public var vendorClass: [UInt8]?
    public var optionRequests: [UInt16]?   // 6
}

/// One device on the local network, keyed by MAC address (or by IP address when the capture
/// has no link layer), named by what its own name-service messages say. Every list is
/// bounded; strings are wire bytes, escaped when written.
public final class Device {
    public static let maxAddresses = 16
    public static let maxNames = 8
    public static let maxServices = 32
    public static let maxLocations = 4

    /// 0 when the device is keyed by address.
    public let mac: UInt64
    public private(set) var firstSeenNs: Int64
    public private(set) var lastSeenNs: Int64
    public var addresses = BoundedList<IPAddress>(limit: Device.maxAddresses)
    public var hostNames = BoundedList<[UInt8]>(limit: Device.maxNames)
    public var netbiosNames = BoundedList<[UInt8]>(limit: Device.maxNames)
    public var services = BoundedList<AnnouncedService>(limit: Device.maxServices)
    public var dhcp: DHCPClientProfile?
    public var dhcpv6: DHCPv6ClientProfile?
    public var ssdpServer: [UInt8]?
    public var ssdpLocations = BoundedList<[UInt8]>(limit: Device.maxLocations)
    public private(set) var evidence: UInt64 = 0
    /// Why the device might be an IP-KVM (see KVMClassifier), bounded.
    public private(set) var kvmEvidence: [KVMEvidence] = []
    public static let maxKVMEvidence = 8
    /// The first STUN Binding request it sent to a public server soon after joining the
    /// network (see KVMBootProbe), noted on the packet thread, weighed when the run ends.
    public internal(set) var bootProbe: STUNBootProbe?

    init(mac: UInt64, at ts: Int64) {
        self.mac = mac
        firstSeenNs = ts
        lastSeenNs = ts
    }

    func seen(at ts: Int64, _ e: DeviceEvidence?) {
        if ts < firstSeenNs { firstSeenNs = ts }
        if ts > lastSeenNs { lastSeenNs = ts }
        if let e { evidence |= 1 << UInt64(e.rawValue) }
    }

    public func has(_ e: DeviceEvidence) -> Bool { evidence & (1 << UInt64(e.rawValue)) != 0 }

    /// Adds an address the device uses; unspecified and multicast addresses say nothing.
    public func noteAddress(_ a: IPAddress) {
        if a.isUnspecified || a.isMulticast { return }
        addresses.insert(a)
    }

    /// Updates (or adds, within the cap) the announced service with this instance name.
    public func updateService(_ instance: [UInt8], _ change: (inout AnnouncedService) -> Void) {
        if services.update(where: { $0.instance == instance }, change) { return }
        var s = AnnouncedService(instance: instance)
        change(&s)
        services.insert(s)
    }

    func noteKVM(_ e: KVMEvidence) {
        guard kvmEvidence.count < Device.maxKVMEvidence, !kvmEvidence.contains(where: { $0.detail == e.detail }) else { return }
        kvmEvidence.append(e)
    }

    /// The locally administered bit (IEEE 802): a randomised or assigned address, not a
    /// vendor's, so the OUI says nothing.
    public var macIsLocal: Bool { mac & (0x02 << 40) != 0 }
}

extension IPAddress {
    /// :: or 0.0.0.0 (a DHCP client before it has an address).
    var isUnspecified: Bool { isZero || self == IPAddress(v4: 0) }

    /// Addresses that are nobody's on the Internet, so a LAN's own: private (RFC 1918), shared
    /// (RFC 6598), link-local, loopback and unique-local (RFC 4193).
    var isPrivateUse: Bool {
        if isV4 {
            let a = v4Value
            return a >> 24 == 10 || a >> 20 == 0xAC1 || a >> 16 == 0xC0A8 || a >> 22 == 0x191
                || a >> 16 == 0xA9FE || a >> 24 == 127
        }
        let top = hi >> 48
        return top & 0xFE00 == 0xFC00 || top & 0xFFC0 == 0xFE80 || (hi == 0 && lo == 1)
    }

    /// 224.0.0.0/4 or ff00::/8, and the IPv4 limited broadcast.
    var isMulticast: Bool {
        if isV4 { return v4Value >> 28 == 0xE || v4Value == 0xFFFF_FFFF }
        return hi >> 56 == 0xFF
    }
}
