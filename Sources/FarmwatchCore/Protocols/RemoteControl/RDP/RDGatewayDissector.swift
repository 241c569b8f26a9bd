/// Microsoft Remote Desktop Gateway ([MS-TSGU]): RDP carried through an HTTP(S) server that
/// relays it to a host behind it, so the flow is RDP for someone else and its server is a
/// relay hop. Recognised by content, on any port, in two shapes:
/// - the legacy HTTP transport's requests: the custom methods RDG_OUT_DATA and RDG_IN_DATA on
///   /remoteDesktopGateway/ ([MS-TSGU] §3.3.5.1; one connection per direction);
/// - the packets themselves, a stream opening with the client's HTTP_HANDSHAKE_REQUEST_PACKET:
///   the WebSocket transport of newer clients (the HTTP dissector hands the unframed payload
///   on as an inner stream), or the same packets inside a CONNECT or SOCKS tunnel.
/// On a packet stream the client's next packets are read up to the first data packet, for the
/// HTTP_CHANNEL_PACKET that names the RDP host the gateway is asked to reach (the hop's far
/// side). Over TLS, which is how gateways normally run on 443, none of this is visible.
public enum RDGatewayDissector: Dissector {
    static let bufferLimit = 1024
    /// Client packets read at most before the channel's data starts.
    static let packetBudget = 8

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        if let facts = flow.metadata?.facts(StandardDissectors.rdGatewaySlot, as: RDGatewayFacts.self) {
            guard chunk.direction == .originator else { return .wantMore }
            return readClientPackets(chunk, facts, flow.metadata)
        }
        // The client speaks first: its opening bytes decide (a 14-byte handshake is one write,
        // never split by TCP in practice; a WebSocket hands it on as one frame).
        guard chunk.direction == .originator, chunk.streamOffset == 0 else { return .notMine }
        if let channel = legacyChannel(chunk.bytes) {
            _ = flow.facts(StandardDissectors.rdGatewaySlot) { RDGatewayFacts(transport: .http(channel)) }
            return .done
        }
        guard TSGUPacket.isHandshakeRequest(chunk.bytes) else { return .notMine }
        let overWebSocket = flow.metadata?.innerStream?.webSocket != nil
        let facts = flow.facts(StandardDissectors.rdGatewaySlot) {
            RDGatewayFacts(transport: overWebSocket ? .webSocket : .packets)
        }
        return readClientPackets(chunk, facts, flow.metadata)
    }

    private static func readClientPackets(_ chunk: StreamChunk, _ f: RDGatewayFacts, _ m: FlowMetadata?) -> DissectorVerdict {
        var finished = false
        let intact = f.stream.consume(chunk.bytes, afterGap: chunk.afterGap, frameLength: TSGUPacket.length) { packet in
            guard !finished else { return }
            f.packets += 1
            let type = packet.count >= 2 ? UInt16(packet[0]) | UInt16(packet[1]) << 8 : 0
            if type == TSGUPacket.channelCreate, let target = TSGUPacket.channelTarget(packet) {
                f.target = target.host
                f.targetPort = target.port
            }
            if type == TSGUPacket.data || f.target != nil || f.packets >= packetBudget { finished = true }
        }
        if !intact && !chunk.afterGap { m?.parseErrors += 1 }
        return finished || !intact ? .done : .wantMore
    }

    /// "RDG_OUT_DATA" or "RDG_IN_DATA" with a target under /remoteDesktopGateway/ (any host
    /// prefix, any case, as clients send an absolute URI to a proxy): which channel it opens.
    static func legacyChannel(_ b: UnsafeRawBufferPointer) -> RDGatewayFacts.Channel? {
        let channel: RDGatewayFacts.Channel
        let methodLength: Int
        if b.hasPrefix("RDG_OUT_DATA ") {
            channel = .out
            methodLength = 13
        } else if b.hasPrefix("RDG_IN_DATA ") {
            channel = .in
            methodLength = 12
        } else {
            return nil
        }
        let line = UnsafeRawBufferPointer(rebasing: b[methodLength..<min(b.count, methodLength + HTTPMessageParser.maxTargetBytes)])
        let targetEnd = line.firstIndex(of: 0x20) ?? line.count
        let target = UnsafeRawBufferPointer(rebasing: line[..<targetEnd])
        return target.firstIndexIgnoringCase(of: "/remotedesktopgateway/") != nil ? channel : nil
    }
}
