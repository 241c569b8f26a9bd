/// What a DERP connection showed: the relay server's public key from its FrameServerKey (the
/// relay's identity, the same on every connection to it), written as `"derp"`.
public final class DERPFacts: FlowFacts {
    /// Empty when the frame's key was cut off by the end of the segment.
    public internal(set) var serverKey: [UInt8] = []

    public var recognition: Recognition? {
        Recognition(family: .tailscale, identifiedBy: .payload, confidence: .high, layer: Layer.session,
                    evidence: "derp server key frame")
    }

    public func writeJSON(to w: JSONWriter) {
        w.key("derp"); w.beginObject()
        if !serverKey.isEmpty { w.field("server_key", Hex.string(serverKey)) }
        w.endObject()
    }
}
