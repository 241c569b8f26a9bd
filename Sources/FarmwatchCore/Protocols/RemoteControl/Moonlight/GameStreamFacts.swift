/// What the GameStream dissector saw on one flow, written as a `"moonlight"` object: the RTSP
/// request and answer of a session setup connection, or the client's pings on a media port.
public final class GameStreamFacts: FlowFacts {
    // RTSP (TCP): one request and its answer per connection (RtspConnection.c
    // transactRtspMessageTcp connects, sends one message and reads until the host closes).
    public internal(set) var method: [UInt8]?
    public internal(set) var target: [UInt8]?
    public internal(set) var clientVersion: [UInt8]?
    public internal(set) var status: Int?
    public internal(set) var sunshineExtension = false
    /// Each direction's head as it arrives, when it spans segments.
    var heads = [MessageBuffer(limit: GameStreamRTSP.headLimit), MessageBuffer(limit: GameStreamRTSP.headLimit)]
    var headDone = [false, false]

    // Pings (UDP).
    public internal(set) var pingPayload: [UInt8]?
    public internal(set) var pings = 0
    var pingSide = Direction.originator
    var lastPingSequence: UInt32 = 0
    /// Datagrams that were not the pinging side's pings (the host's video or audio), counted
    /// to give up on a flow whose pings stopped.
    var otherDatagrams = 0

    public var recognition: Recognition? {
        clientVersion != nil || sunshineExtension || pings >= GameStreamDissector.pingsNeeded
            ? .payload(.moonlight) : nil
    }

    public func writeJSON(to w: JSONWriter) {
        guard recognition != nil else { return }
        w.key("moonlight"); w.beginObject()
        if let v = method { w.key("rtsp_method"); w.string(bytes: v) }
        if let v = target { w.key("rtsp_target"); w.string(bytes: v) }
        if let v = clientVersion { w.key("client_version"); w.string(bytes: v) }
        if let v = status { w.field("rtsp_status", v) }
        if sunshineExtension { w.field("sunshine", true) }
        if pings > 0, let p = pingPayload {
            w.key("ping_payload"); w.string(bytes: p)
            w.field("pings", pings)
        }
        w.endObject()
    }
}
