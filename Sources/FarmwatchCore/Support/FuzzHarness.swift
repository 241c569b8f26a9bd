#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Entry points for the libFuzzer targets (scripts/fuzz) and for the regression tests that
/// replay the inputs they found (Tests/…/FuzzRegressionTests). One function per parser family;
/// each must survive any bytes without crashing, hanging or growing memory.
public enum FuzzHarness {
    public enum Target: String, CaseIterable {
        case packets, ssh, tls, quic, dns, dhcp, http, socks
        case rdp, rdpeudp, rfb, teamviewer, nomachine, rustdesk, radmin, gamestream
        case wireguard, openvpn, ipsec, stun, zerotier
        case websocket, rdgateway, derp
        case pcapfile

        public func run(_ data: UnsafeRawBufferPointer) {
            switch self {
            case .packets: FuzzHarness.packets(data)
            case .ssh: FuzzHarness.dissector(SSHDissector.self, data, over: .tcp(22))
            case .tls:
                // TLS alone, the STARTTLS opener alone, then the whole set, so that the TLS a
                // STARTTLS dialogue opens runs through the inner-stream hand-over.
                FuzzHarness.dissector(TLSDissector.self, data, over: .tcp(443))
                FuzzHarness.dissector(STARTTLSOpener.self, data, over: .tcp(25))
                FuzzHarness.standardSet(data)
            case .quic: FuzzHarness.dissector(QUICDissector.self, data, over: .udp(443))
            case .dns:
                // DNS over UDP, and over TCP with its length framing; mDNS shares the parser.
                FuzzHarness.dissector(DNSDissector.self, data, over: .udp(53))
                FuzzHarness.dissector(DNSDissector.self, data, over: .tcp(53))
                FuzzHarness.dissector(MDNSDissector.self, data, over: .udp(5353))
            case .dhcp: FuzzHarness.dissector(DHCPDissector.self, data, over: .udp(67))
            case .http: FuzzHarness.dissector(HTTPDissector.self, data, over: .tcp(80))
            case .rdp: FuzzHarness.dissector(RDPDissector.self, data, over: .tcp(3389))
            case .rdpeudp: FuzzHarness.dissector(RDPEUDPDissector.self, data, over: .udp(3389))
            case .rfb: FuzzHarness.dissector(RFBDissector.self, data, over: .tcp(5900))
            case .teamviewer:
                FuzzHarness.dissector(TeamViewerDissector.self, data, over: .tcp(5938))
                FuzzHarness.dissector(TeamViewerDissector.self, data, over: .udp(5938))
            case .nomachine:
                FuzzHarness.dissector(NoMachineDissector.self, data, over: .tcp(4000))
                FuzzHarness.dissector(NoMachineDissector.self, data, over: .udp(4000))
            case .rustdesk:
                FuzzHarness.dissector(RustDeskDissector.self, data, over: .tcp(21116))
                FuzzHarness.dissector(RustDeskDissector.self, data, over: .udp(21116))
            case .radmin: FuzzHarness.dissector(RadminDissector.self, data, over: .tcp(4899))
            case .gamestream:
                FuzzHarness.dissector(GameStreamDissector.self, data, over: .tcp(48010))
                FuzzHarness.dissector(GameStreamDissector.self, data, over: .udp(47998))
            case .socks:
                // The SOCKS parser alone, then the whole set, so that what a granted tunnel
                // carries runs through the inner-stream hand-over and every dissector.
                FuzzHarness.dissector(SOCKSDissector.self, data, over: .tcp(1080))
                FuzzHarness.standardSet(data)
            case .wireguard: FuzzHarness.dissector(WireGuardDissector.self, data, over: .udp(51820))
            case .openvpn:
                FuzzHarness.dissector(OpenVPNDissector.self, data, over: .udp(1194))
                FuzzHarness.dissector(OpenVPNDissector.self, data, over: .tcp(1194))
            case .ipsec:
                FuzzHarness.dissector(IPsecDissector.self, data, over: .udp(500))
                FuzzHarness.dissector(IPsecDissector.self, data, over: .ip(IPsecDissector.espProtocol))
            case .stun:
                FuzzHarness.dissector(STUNDissector.self, data, over: .udp(3478))
                FuzzHarness.dissector(STUNDissector.self, data, over: .tcp(3478))
            case .zerotier: FuzzHarness.dissector(ZeroTierDissector.self, data, over: .udp(9993))
            case .websocket:
                // An HTTP upgrade through the whole set: the WebSocket unwrapper and what runs inside.
                FuzzHarness.standardSet(data)
            case .rdgateway: FuzzHarness.dissector(RDGatewayDissector.self, data, over: .tcp(443))
            case .derp: FuzzHarness.dissector(DERPDissector.self, data, over: .tcp(443))
            case .pcapfile: FuzzHarness.pcapFile(data)
            }
        }
    }

    /// Decoder + flow engine + every standard dissector. The input is a stream of frames:
    /// [link type selector u8][time delta u8][length u16 BE][frame bytes], repeated.
    public static func packets(_ data: UnsafeRawBufferPointer) {
        let linkTypes: [Int32] = [LinkType.ethernet, LinkType.raw, LinkType.linuxSLL, LinkType.linuxSLL2,
                                  LinkType.null, LinkType.loop, LinkType.ppp, LinkType.ipv4, LinkType.ipv6]
        let engine = smallEngine()
        var decoder = PacketDecoder()
        var packet = Packet()
        var r = ByteReader(data)
        var ts: Int64 = 1_700_000_000_000_000_000
        while let sel = r.u8(), let dt = r.u8(), let len = r.u16() {
            guard let frame = r.take(min(Int(len), r.remaining)) else { break }
            ts &+= Int64(dt) &* 50_000_000
            let wire = frame.count + Int(sel >> 4)
            let result = decoder.decode(frame: frame, linkType: linkTypes[Int(sel & 0x0F) % linkTypes.count],
                                        timestampNs: ts, wireLength: wire, into: &packet)
            if result == .ok { engine.process(decoded: &packet) } else { engine.countUndecoded(result, wireLength: wire) }
        }
        engine.finish()
    }

    /// The flow engine with every standard dissector, sized small: the fuzzer builds one per
    /// input.
    private static func smallEngine() -> FlowEngine<StandardDissectors> {
        var config = FlowConfiguration()
        config.maxFlows = 64
        var reassembly = StreamReassembler.Limits()
        reassembly.arenaBytes = 64 * 1024
        return FlowEngine(configuration: config, dissectors: StandardDissectors(), reassembly: reassembly,
                          sink: DiscardingSink())
    }

    /// A classic pcap file read in place (MappedPcapFile) through the whole pipeline. The
    /// input is [variant u8][records...]: the variant's bits pick the file header written in
    /// front of the records (bits 0-1: little- or big-endian, micro- or nanoseconds; bit 2:
    /// version 2.2, whose record lengths come the other way round; bit 3: a 96-byte snapshot
    /// length).
    public static func pcapFile(_ data: UnsafeRawBufferPointer) {
        guard let variant = data.first else { return }
        let bigEndian = variant & 1 != 0
        let magic: UInt32 = variant & 2 != 0 ? 0xA1B2_3C4D : 0xA1B2_C3D4
        let minor: UInt16 = variant & 4 != 0 ? 2 : 4
        let snaplen: UInt32 = variant & 8 != 0 ? 96 : 262_144
        func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian, Array.init) }
        func u16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian, Array.init) }
        let header = u32(magic) + u16(2) + u16(minor) + u32(0) + u32(0) + u32(snaplen) + u32(1)

        var template = Array("/tmp/farmwatch-fuzz-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { return }
        let path = String(cString: template)
        defer { unlink(path) }
        let written = header.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            + write(fd, data.baseAddress! + 1, data.count - 1)
        close(fd)
        guard written == header.count + data.count - 1, let source = try? PcapSource.openFile(path) else { return }
        let engine = smallEngine()
        _ = CaptureLoop(engine: engine, limits: CaptureLimits(), progress: nil).run(source)
        engine.finish()
    }

    /// One dissector fed with the input split into chunks of both directions: each chunk is
    /// [selector u8][length u16 BE][bytes]; the selector's low bit picks the direction and its
    /// high bit flags a gap before the chunk.
    public enum Transport {
        case tcp(UInt16), udp(UInt16)
        /// A port-less IP protocol (ESP, AH): each chunk is one packet's payload.
        case ip(UInt8)
    }

    public static func dissector<D: Dissector>(_ d: D.Type, _ data: UnsafeRawBufferPointer, over transport: Transport) {
        var p = Packet()
        p.src = IPAddress(v4: 0x0A00_0001)
        p.dst = IPAddress(v4: 0x0A00_0002)
        p.srcPort = 40000
        let datagram: Bool
        switch transport {
        case .tcp(let port): p.l4Proto = IPProto.tcp; p.dstPort = port; datagram = false
        case .udp(let port): p.l4Proto = IPProto.udp; p.dstPort = port; datagram = true
        case .ip(let proto): p.l4Proto = proto; p.srcPort = 0; datagram = true
        }
        var aToB = false
        let key = FlowKey(packet: p, isAToB: &aToB)
        var flow = FlowState(key: key, originatorIsA: aToB, serial: 1, timestampNs: 1)
        guard D.wants(flow, firstPacket: p) else { return }
        var offsets = [0, 0]
        let context = DissectorContext()
        var r = ByteReader(data)
        var ts: Int64 = 1
        while let sel = r.u8(), let len = r.u16() {
            guard let bytes = r.take(min(Int(len), r.remaining)) else { break }
            let side: Direction = sel & 1 == 0 ? .originator : .responder
            ts += 1000
            let chunk = StreamChunk(bytes: bytes, direction: side, timestampNs: ts, streamOffset: offsets[side.rawValue],
                                    afterGap: sel & 0x80 != 0, isDatagram: datagram)
            offsets[side.rawValue] += bytes.count
            if D.feed(chunk, flow: &flow, context: context) != .wantMore { break }
        }
        if let m = flow.metadata {
            let w = JSONWriter(stream: nil)
            w.beginObject(); m.writeJSON(to: w); w.endObject()
        }
    }
}

extension FuzzHarness {
    /// Every standard dissector on one TCP conversation, chunked as `dissector` does, with the
    /// flow's end-of-flow conclusions and JSON.
    public static func standardSet(_ data: UnsafeRawBufferPointer) {
        var p = Packet()
        p.src = IPAddress(v4: 0x0A00_0001)
        p.dst = IPAddress(v4: 0x0A00_0002)
        p.srcPort = 40000
        p.dstPort = 1080
        p.l4Proto = IPProto.tcp
        var aToB = false
        var flow = FlowState(key: FlowKey(packet: p, isAToB: &aToB), originatorIsA: aToB, serial: 1, timestampNs: 1)
        let set = StandardDissectors()
        set.flowStarted(&flow, firstPacket: p)
        var offsets = [0, 0]
        var r = ByteReader(data)
        var ts: Int64 = 1
        while flow.dissectorMask != 0, let sel = r.u8(), let len = r.u16() {
            guard let bytes = r.take(min(Int(len), r.remaining)) else { break }
            let side: Direction = sel & 1 == 0 ? .originator : .responder
            ts += 1000
            set.feed(StreamChunk(bytes: bytes, direction: side, timestampNs: ts, streamOffset: offsets[side.rawValue],
                                 afterGap: sel & 0x80 != 0, isDatagram: false), flow: &flow)
            offsets[side.rawValue] += bytes.count
        }
        set.flowEnding(&flow)
        FlowRecordWriter.write(flow, reason: .endOfInput, to: JSONWriter(stream: nil))
    }
}

private final class DiscardingSink: FlowSink {
    let writer = JSONWriter(stream: nil)
    func flowEnded(_ flow: FlowState, reason: FlowEndReason) {
        // Write the record too: output code sees what the dissectors extracted.
        FlowRecordWriter.write(flow, reason: reason, to: writer)
        if writer.bufferedCount > 1 << 20 { writer.discard() }
    }
}
