/// State the dissectors share across flows: what one flow learns that names the peers of
/// others. Both parts are bounded, whatever the traffic.
public final class DissectorContext {
    /// Address → name, from DNS, mDNS and LLMNR answers; read when each flow starts.
    public let names: DNSNameCache
    /// Devices named by DHCP, DHCPv6, mDNS, LLMNR, NBNS and SSDP; written when the run ends.
    public let devices: DeviceTable
    /// The signature catalogue, matched against each flow's names, certificates and ALPN
    /// when it ends, and against the devices when the run ends.
    public let signatures: SignatureMatcher

    public init(names: DNSNameCache = DNSNameCache(), devices: DeviceTable = DeviceTable(),
                signatures: SignatureMatcher = SignatureMatcher(SignatureCatalogue())) {
        self.names = names
        self.devices = devices
        self.signatures = signatures
    }
}
