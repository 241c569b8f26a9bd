/// State the dissectors share across flows: what one flow learns that names the peers of
/// others. Both parts are bounded, whatever the traffic.
public final class DissectorContext {
    /// Address → name, from DNS, mDNS and LLMNR answers; read when each flow starts.
    public let names: DNSNameCache
    /// Devices named by DHCP, DHCPv6, mDNS, LLMNR, NBNS and SSDP; written when the run ends.
    public let devices: DeviceTable
    /// KVM evidence seen on flows, noted when each flow ends (on the flow-end thread) and
    /// applied to `devices` when the run ends.
    public let kvmSightings = KVMSightings()
    /// The signature catalogue, matched against each flow's names, certificates and ALPN
    /// when it ends, and against the devices when the run ends.
    public let signatures: SignatureMatcher
    // The caches below are used only when flows are concluded (`flowEnding`: on the flow-end
    // thread in a run), never while packets are dissected.

    /// Certificates already summarised, by their DER bytes: a server sends the same chain to
    /// every client, and parsing one costs far more than finding it.
    let certificates = BoundedCache<ByteKey, TLSCertificateSummary?>(capacity: 512)
    /// JA4 and JA3 by ClientHello shape (`TLSClientFingerprints.shape`): a client build sends
    /// the same shape on every connection.
    let clientFingerprints = BoundedCache<ByteKey, TLSClientFingerprints>(capacity: 1024)
    /// JA4 by the hello's shape with its extensions sorted (`TLSClientFingerprints.cached`).
    let clientJA4 = BoundedCache<ByteKey, TLSClientFingerprints.JA4Forms>(capacity: 1024)
    /// JA4's sorted forms by their raw text: the part of a shuffling client's fingerprint
    /// that repeats (see `JA4.fingerprint`).
    let ja4SortedForms = BoundedCache<ByteKey, (ja4: String, raw: String)>(capacity: 1024)
    /// Catalogue signatures by name (`SignatureMatcher.domains`): server names, DNS questions
    /// and Host headers repeat from flow to flow, and matching one walks its suffixes and the
    /// catalogue's globs.
    let domainSignatures = BoundedCache<ByteKey, [Signature]>(capacity: 4096)
    /// Catalogue signatures by certificate subject or issuer (`SignatureMatcher.containing`):
    /// a server sends the same certificate to every client.
    let certificateSignatures = BoundedCache<ByteKey, [Signature]>(capacity: 1024)
    /// JA3S by ServerHello shape (`JA3.serverShape`): a server answers every client alike.
    let serverFingerprints = BoundedCache<ByteKey, (ja3sString: String, ja3s: String)>(capacity: 1024)

    /// Whether flows carry JA4's `ja4_r`, `ja4_o` and `ja4_ro` besides `ja4` (`--ja4-raw`):
    /// the wire-order forms change on every connection of a client that shuffles its
    /// extensions, so they cost two hashes per hello.
    public let ja4AllForms: Bool

    /// A context for concluding flows on another thread: the same names, devices, catalogue
    /// and options (read there, never written), with caches and KVM sightings of its own.
    func sibling() -> DissectorContext {
        DissectorContext(names: names, devices: devices, signatures: signatures, ja4AllForms: ja4AllForms)
    }

    public init(names: DNSNameCache = DNSNameCache(), devices: DeviceTable = DeviceTable(),
                signatures: SignatureMatcher = SignatureMatcher(SignatureCatalogue()), ja4AllForms: Bool = false) {
        self.names = names
        self.devices = devices
        self.signatures = signatures
        self.ja4AllForms = ja4AllForms
    }
}
