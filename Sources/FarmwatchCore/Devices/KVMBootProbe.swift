/// A STUN Binding request a device sent to a public STUN server soon after it took its address
/// over DHCP: a headless appliance finding its public address at boot, before anyone could have
/// opened a call on it.
///
/// PiKVM does this by design: its `kvmd-janus` service, started with the network, first
/// "probes the network" with STUN Binding requests to `stun.l.google.com:19302` (the default
/// `janus.stun` host and port) to learn its external address and NAT type before it starts the
/// Janus WebRTC gateway, then probes again every `janus.check.interval` (10 s) — pikvm/kvmd
/// kvmd/apps/janus/runner.py (`JanusRunner.__run`, `__get_netcfg`), kvmd/apps/janus/stun.py,
/// kvmd/apps/__init__.py (`"janus": {"stun": …, "check": …}`). GL.iNet's Comet runs the same
/// runner (gl-inet/glkvm kvmd/apps/janus/runner.py). JetKVM gathers ICE candidates only when
/// a viewer opens a session (jetkvm/kvm webrtc.go `newSession`, with ICE servers the cloud
/// hands over per session), so for it the probe comes with the session, not at boot.
///
/// kvmd's probe is classic NAT-type discovery (RFC 3489 §10.1, stun.py `__get_nat_type`): a
/// Binding request without attributes, then on the same socket one that carries only a
/// CHANGE-REQUEST for the server's other address and port (flags 0x6), and more tests after
/// it depending on the answers. ICE, which every WebRTC app uses, never sends CHANGE-REQUEST
/// (RFC 5389 dropped it), so a boot probe that carries one looks like kvmd rather than a
/// call: it is then noted as such, and that piece of evidence is medium rather than low (`natTypeTest`).
///
/// Weak on its own: a laptop that starts a WebRTC app at login does the same, so it is only
/// ever low-confidence evidence (see `Device.kvm`).
public struct STUNBootProbe {
    public var server: IPAddress
    public var port: UInt16
    /// From the DHCP exchange that gave the device its address to the request.
    public var afterJoinNs: Int64
    /// The STUN flow's uid.
    public var uid: String
    /// The CHANGE-REQUEST flags of an RFC 3489 NAT-type test on the same flow, if any.
    public var natTypeTest: UInt32?
}

enum KVMBootProbe {
    /// How soon after its DHCP exchange a device's first STUN request counts as "at boot": a
    /// Raspberry Pi running PiKVM OS brings `kvmd-janus` up some tens of seconds after its
    /// lease (systemd waits for the network, then kvmd), and the runner resolves the STUN host
    /// and retries 5 s apart; two minutes covers that with room, and is shorter than the time
    /// a person takes to log in to a laptop and join a call.
    static let windowNs: Int64 = 120 * 1_000_000_000

    /// Called once per UDP flow, on its first STUN message (the packet thread, where the
    /// device table is written). Notes the device's first Binding request from a private
    /// address to a public one within `windowNs` of its DHCP exchange.
    static func note(_ m: STUNMessage, _ chunk: StreamChunk, _ flow: FlowState, _ devices: DeviceTable) {
        guard chunk.direction == .originator, m.messageClass == 0, m.method == STUNMessage.Method.binding else { return }
        let source = flow.originatorAddress, server = flow.responderAddress
        guard source.isPrivateUse, !server.isPrivateUse,
              let d = devices.existing(mac: flow.orig.mac, address: source), d.bootProbe == nil,
              let joined = d.dhcp?.joinedNs else { return }
        let after = chunk.timestampNs &- joined
        guard after >= 0, after <= windowNs else { return }
        d.bootProbe = STUNBootProbe(server: server, port: flow.responderPort, afterJoinNs: after,
                                    uid: FlowRecordWriter.uid(flow), natTypeTest: nil)
    }

    /// Called once per STUN flow that carried a CHANGE-REQUEST: marks the device's boot probe
    /// when it is this flow.
    static func noteNATTypeTest(_ flags: UInt32, _ flow: FlowState, _ devices: DeviceTable) {
        guard let d = devices.existing(mac: flow.orig.mac, address: flow.originatorAddress),
              let probe = d.bootProbe, probe.natTypeTest == nil, probe.uid == FlowRecordWriter.uid(flow) else { return }
        d.bootProbe?.natTypeTest = flags
    }
}
