/// What an RD Gateway flow showed, written as `"rdp_gateway"`: how the client reached the
/// gateway, and the RDP host it asked the gateway to reach when the channel request was in
/// the clear. The flow's family is RDP (its evidence says "rd-gateway"), and its server is a
/// relay hop of kind rd-gateway whose far side is that host.
public final class RDGatewayFacts: FlowFacts, RelayTargetFacts, RelayHopFacts {
    public enum Channel: String { case `in`, out }
    public enum Transport: Equatable {
        /// RDG_IN_DATA/RDG_OUT_DATA requests (one connection per channel direction).
        case http(Channel)
        /// MS-TSGU packets inside a WebSocket.
        case webSocket
        /// MS-TSGU packets straight on the stream (inside another tunnel).
        case packets
    }

    public let transport: Transport
    public internal(set) var target: [UInt8]?
    public internal(set) var targetPort: UInt16?
    var packets = 0
    var stream = FramedStream(limit: RDGatewayDissector.bufferLimit)

    init(transport: Transport) { self.transport = transport }

    public var recognition: Recognition? {
        Recognition(family: .rdp, identifiedBy: .payload, confidence: .high, layer: Layer.session, evidence: "rd-gateway")
    }

    public var relayKind: RelayKind? { .rdGateway }

    public var relayFarSide: String? {
        guard let target else { return nil }
        let host = String(decoding: target, as: UTF8.self)
        return targetPort.map { "\(host):\($0)" } ?? host
    }

    public func writeJSON(to w: JSONWriter) {
        w.key("rdp_gateway"); w.beginObject()
        switch transport {
        case .http(let channel):
            w.field("transport", "http")
            w.field("channel", channel.rawValue)
        case .webSocket:
            w.field("transport", "websocket")
        case .packets:
            w.field("transport", "tsgu")
        }
        if let target { w.key("target"); w.string(bytes: target) }
        if let targetPort { w.field("target_port", Int(targetPort)) }
        w.endObject()
    }
}
