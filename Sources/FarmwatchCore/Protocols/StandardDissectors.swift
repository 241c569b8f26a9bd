/// The dissectors farmwatch runs by default, in the order they see each chunk. Adding a
/// dissector: give it a bit and a metadata slot here, add it to `flowStarted` and `feed`.
/// Everything else about it lives in its own file.
public struct StandardDissectors: DissectorSet {
    // Metadata slots (see FlowMetadata), one per dissector that keeps facts.
    public static let sshSlot = 0
    public static let tlsSlot = 1
    public static let quicSlot = 2
    public static let dnsSlot = 3
    public static let dhcpSlot = 4
    public static let mdnsSlot = 5
    public static let nameServiceSlot = 6
    public static let httpSlot = 7
    // Remote-control families (Protocols/RemoteControl/).
    public static let rdpSlot = 8
    public static let rdpeudpSlot = 9
    public static let rfbSlot = 10
    public static let teamViewerSlot = 11
    public static let noMachineSlot = 12
    public static let rustDeskSlot = 13
    public static let radminSlot = 14
    public static let rdGatewaySlot = 15
    public static let gameStreamSlot = 16
    // Proxies (Protocols/Proxies/).
    public static let socksSlot = 32
    // TLS opened inside a plaintext protocol (Protocols/STARTTLS/).
    public static let startTLSSlot = 33
    // Relays and tunnels (slots and bits 20-31).
    public static let wireGuardSlot = 20
    public static let openVPNSlot = 21
    public static let ipsecSlot = 22
    public static let stunSlot = 23
    public static let zeroTierSlot = 24
    public static let derpSlot = 25

    // Mask bits.
    static let sshBit: UInt64 = 1 << 0
    static let tlsBit: UInt64 = 1 << 1
    static let quicBit: UInt64 = 1 << 2
    static let dnsBit: UInt64 = 1 << 3
    static let dhcpBit: UInt64 = 1 << 4
    static let mdnsBit: UInt64 = 1 << 5
    static let nameServiceBit: UInt64 = 1 << 6
    static let httpBit: UInt64 = 1 << 7
    static let rdpBit: UInt64 = 1 << 8
    static let rdpeudpBit: UInt64 = 1 << 9
    static let rfbBit: UInt64 = 1 << 10
    static let teamViewerBit: UInt64 = 1 << 11
    static let noMachineBit: UInt64 = 1 << 12
    static let rustDeskBit: UInt64 = 1 << 13
    static let radminBit: UInt64 = 1 << 14
    static let rdGatewayBit: UInt64 = 1 << 15
    static let gameStreamBit: UInt64 = 1 << 16
    static let socksBit: UInt64 = 1 << 32
    static let startTLSBit: UInt64 = 1 << 33
    // Bit 39 is the set's own (innerStreamOpeningBit, InnerStream.swift).
    static let wireGuardBit: UInt64 = 1 << 20
    static let openVPNBit: UInt64 = 1 << 21
    static let ipsecBit: UInt64 = 1 << 22
    static let stunBit: UInt64 = 1 << 23
    static let zeroTierBit: UInt64 = 1 << 24
    static let derpBit: UInt64 = 1 << 25

    public let context: DissectorContext

    public init(context: DissectorContext = DissectorContext()) {
        self.context = context
    }

    @inline(__always)
    public func flowStarted(_ flow: inout FlowState, firstPacket p: Packet) {
        flow.dissectorMask = payloadMask(flow, p)
        // The name the server's address was resolved from (metadata only on a hit).
        if let name = context.names.lookup(flow.responderAddress, at: flow.firstTimestampNs) {
            flow.ensureMetadata().setServerName(name, source: .dns)
        }
    }

    /// The dissectors that want a stream, asked when the flow starts and again when a tunnel
    /// opens inside it.
    @inline(__always)
    func payloadMask(_ flow: FlowState, _ p: Packet) -> UInt64 {
        wantsBit(SSHDissector.self, bit: Self.sshBit, flow, p)
            | wantsBit(TLSDissector.self, bit: Self.tlsBit, flow, p)
            | wantsBit(QUICDissector.self, bit: Self.quicBit, flow, p)
            | wantsBit(DNSDissector.self, bit: Self.dnsBit, flow, p)
            | wantsBit(DHCPDissector.self, bit: Self.dhcpBit, flow, p)
            | wantsBit(MDNSDissector.self, bit: Self.mdnsBit, flow, p)
            | wantsBit(NameServiceDissector.self, bit: Self.nameServiceBit, flow, p)
            | wantsBit(HTTPDissector.self, bit: Self.httpBit, flow, p)
            | wantsBit(RDPDissector.self, bit: Self.rdpBit, flow, p)
            | wantsBit(RDPEUDPDissector.self, bit: Self.rdpeudpBit, flow, p)
            | wantsBit(RFBDissector.self, bit: Self.rfbBit, flow, p)
            | wantsBit(TeamViewerDissector.self, bit: Self.teamViewerBit, flow, p)
            | wantsBit(NoMachineDissector.self, bit: Self.noMachineBit, flow, p)
            | wantsBit(RustDeskDissector.self, bit: Self.rustDeskBit, flow, p)
            | wantsBit(RadminDissector.self, bit: Self.radminBit, flow, p)
            | wantsBit(RDGatewayDissector.self, bit: Self.rdGatewayBit, flow, p)
            | wantsBit(GameStreamDissector.self, bit: Self.gameStreamBit, flow, p)
            | wantsBit(SOCKSDissector.self, bit: Self.socksBit, flow, p)
            | wantsBit(STARTTLSOpener.self, bit: Self.startTLSBit, flow, p)
            | wantsBit(WireGuardDissector.self, bit: Self.wireGuardBit, flow, p)
            | wantsBit(OpenVPNDissector.self, bit: Self.openVPNBit, flow, p)
            | wantsBit(IPsecDissector.self, bit: Self.ipsecBit, flow, p)
            | wantsBit(STUNDissector.self, bit: Self.stunBit, flow, p)
            | wantsBit(ZeroTierDissector.self, bit: Self.zeroTierBit, flow, p)
            | wantsBit(DERPDissector.self, bit: Self.derpBit, flow, p)
    }

    /// A tunnel's inner stream: the flow's protocol and endpoints, as its first packet.
    public func innerStreamMask(_ flow: FlowState) -> UInt64 {
        var p = Packet()
        p.l4Proto = flow.key.proto
        p.src = flow.originatorAddress
        p.dst = flow.responderAddress
        p.srcPort = flow.originatorPort
        p.dstPort = flow.responderPort
        return payloadMask(flow, p)
    }

    @inline(__always)
    public func feed(_ chunk: StreamChunk, flow: inout FlowState) {
        feedLayered(chunk, &flow) { c, f in dissect(c, &f) }
    }

    /// Every dissector in order, on one chunk of the stream they read.
    @inline(__always)
    func dissect(_ chunk: StreamChunk, _ flow: inout FlowState) {
        run(SSHDissector.self, bit: Self.sshBit, chunk, &flow, context)
        run(TLSDissector.self, bit: Self.tlsBit, chunk, &flow, context)
        run(QUICDissector.self, bit: Self.quicBit, chunk, &flow, context)
        run(DNSDissector.self, bit: Self.dnsBit, chunk, &flow, context)
        run(DHCPDissector.self, bit: Self.dhcpBit, chunk, &flow, context)
        run(MDNSDissector.self, bit: Self.mdnsBit, chunk, &flow, context)
        run(NameServiceDissector.self, bit: Self.nameServiceBit, chunk, &flow, context)
        run(HTTPDissector.self, bit: Self.httpBit, chunk, &flow, context)
        run(RDPDissector.self, bit: Self.rdpBit, chunk, &flow, context)
        run(RDPEUDPDissector.self, bit: Self.rdpeudpBit, chunk, &flow, context)
        run(RFBDissector.self, bit: Self.rfbBit, chunk, &flow, context)
        run(TeamViewerDissector.self, bit: Self.teamViewerBit, chunk, &flow, context)
        run(NoMachineDissector.self, bit: Self.noMachineBit, chunk, &flow, context)
        run(RustDeskDissector.self, bit: Self.rustDeskBit, chunk, &flow, context)
        run(RadminDissector.self, bit: Self.radminBit, chunk, &flow, context)
        run(RDGatewayDissector.self, bit: Self.rdGatewayBit, chunk, &flow, context)
        run(GameStreamDissector.self, bit: Self.gameStreamBit, chunk, &flow, context)
        run(SOCKSDissector.self, bit: Self.socksBit, chunk, &flow, context)
        run(STARTTLSOpener.self, bit: Self.startTLSBit, chunk, &flow, context)
        run(WireGuardDissector.self, bit: Self.wireGuardBit, chunk, &flow, context)
        run(OpenVPNDissector.self, bit: Self.openVPNBit, chunk, &flow, context)
        run(IPsecDissector.self, bit: Self.ipsecBit, chunk, &flow, context)
        run(STUNDissector.self, bit: Self.stunBit, chunk, &flow, context)
        run(ZeroTierDissector.self, bit: Self.zeroTierBit, chunk, &flow, context)
        run(DERPDissector.self, bit: Self.derpBit, chunk, &flow, context)
    }

    /// Whole-flow conclusions, off the packet thread in a run: DNS messages, TLS hellos and
    /// certificates, QUIC Initials, and TLS/QUIC fingerprints from what the dissectors kept, SSH's use from
    /// its shape, Tor from its link certificates, GameStream from its HTTP requests, then the catalogue's names, certificates,
    /// ALPN and port hints, and whether the flow is a video stream sent from the LAN (weighed
    /// as KVM evidence when the run ends).
    public func flowEnding(_ flow: inout FlowState) {
        if let m = flow.metadata {
            m.facts(Self.dnsSlot, as: DNSFacts.self)?.conclude(m)
            m.facts(Self.tlsSlot, as: TLSFacts.self)?.conclude(m, context)
            if let quic = m.facts(Self.quicSlot, as: QUICFacts.self) { QUICDissector.conclude(quic, m, context) }
        }
        SSHSessionUse.conclude(&flow)
        TorLinkRecognizer.conclude(&flow)
        GameStreamHTTP.conclude(&flow)
        // Last of the payload conclusions: it names only flows nothing else recognised.
        OpenVPNOpcodePattern.conclude(&flow)
        FlowSignatureClassifier.classify(&flow, context)
        context.kvmSightings.noteVideoStream(of: flow)
    }

    /// The same dissectors over a sibling context (caches and KVM sightings of its own).
    public func concludingCopy() -> StandardDissectors? {
        StandardDissectors(context: context.sibling())
    }

    public func absorb(_ copy: StandardDissectors) {
        context.kvmSightings.absorb(copy.context.kvmSightings)
    }

    /// The device table, once every flow has ended.
    public func writeRunRecords(to w: JSONWriter) {
        concludeRun()
        DeviceRecordWriter.write(context.devices, to: w)
    }

    public func runSummary() -> String {
        concludeRun()
        return DeviceRecordWriter.summary(context.devices)
    }

    /// Classifies the devices as IP-KVMs or not, once: the KVM sightings from flows meet the
    /// device table, then the catalogue's names, services, titles and OUIs are matched and
    /// STUN at boot noted, and last the video streams of devices that carry any of that.
    public func concludeRun() {
        guard !context.devices.kvmClassified else { return }
        context.devices.kvmClassified = true
        context.kvmSightings.apply(to: context.devices)
        KVMClassifier.classify(context.devices, context.signatures)
        context.kvmSightings.applyVideoStreams(to: context.devices)
    }
}
