/// State the dissectors share across flows: what one flow learns that names the peers of
/// others. Both parts are bounded, whatever the traffic.
public final class DissectorContext {
    /// Address → name, from DNS, mDNS and LLMNR answers; read when each flow starts.
    public let names: DNSNameCache
    /// Devices named by DHCP, DHCPv6, mDNS, LLMNR, NBNS and SSDP; written when the run ends.
    public let devices: DeviceTable

    public init(names: DNSNameCache = DNSNameCache(), devices: DeviceTable = DeviceTable()) {
        self.names = names
        self.devices = devices
    }
}
