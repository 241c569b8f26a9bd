/// One flow of someone driving a host: who is driven, which way the controller is, what
/// carries it, and the measurements the scoring reads. Small and fixed: the engine keeps a
/// bounded number of these per endpoint, never the flows.
public struct RemoteSession {
    public var uid: String
    public var startNs: Int64
    public var endNs: Int64
    /// Remote-control families recognised on the flow (empty: inferred from the traffic's
    /// shape inside a tunnel).
    public var tools: [Family]
    public var driven: IPAddress
    public var drivenMAC: UInt64
    /// The flow's other end: the controller itself, or the relay in front of it.
    public var peer: IPAddress
    public var relay: RelayHop?
    /// The controlling address, when the traffic shows it.
    public var controller: IPAddress?
    public var latency: SessionLatency
    public var bytesFromDriven: UInt64
    public var bytesToDriven: UInt64
    /// Small data packets towards the driven host (keystrokes, pointer moves, acknowledgements).
    public var inputEvents: UInt64
    /// An interactive SSH login rather than a desktop.
    public var isShell: Bool

    public var durationSeconds: Double { Double(max(0, endNs - startNs)) / 1e9 }

    /// The controller's round trip, per the relay's kind: behind a relay that ends the
    /// application protocol only the interactive turnaround reaches the controller.
    public func controllerRTTms(minSamples: Int) -> Double? {
        if isShell { return shellRTTms(minSamples: minSamples) }
        if measuresControllerInteractively, let i = latency.interactive, i.samples >= minSamples {
            return i.modeMs ?? i.p25Ms
        }
        return latency.controllerRTTms(minSamples: minSamples)
    }

    /// A typed session's keystrokes leave on the typist's schedule, not in answer to the
    /// echoes: its interactive turnaround is think time, never the round trip. The automatic
    /// exchanges carry it: the opening, when it reaches the controller (behind a reverse
    /// tunnel it is the tunnel's own handshake with the relay), else the answers that carry
    /// protocol content (a login's key exchange and authentication inside the tunnel).
    private func shellRTTms(minSamples: Int) -> Double? {
        if !measuresControllerInteractively, let o = latency.openingRTTms(minSamples: minSamples) { return o }
        if let c = latency.contentAnswerRTTms { return c }
        return measuresControllerInteractively ? nil : latency.transportMs
    }

    /// How many samples the controller's round trip rests on (0 for the TCP handshake alone).
    public func controllerRTTSamples(minSamples: Int) -> Int {
        if isShell {
            if !measuresControllerInteractively, latency.openingRTTms(minSamples: minSamples) != nil {
                return latency.opening?.samples ?? 0
            }
            return latency.contentAnswerRTTms != nil ? latency.contentAnswers?.samples ?? 0 : 0
        }
        if measuresControllerInteractively, let i = latency.interactive, i.samples >= minSamples { return i.samples }
        if latency.openingRTTms(minSamples: minSamples) != nil { return latency.opening?.samples ?? 0 }
        if let i = latency.interactive, i.samples >= minSamples { return i.samples }
        return 0
    }

    /// Whether only the interactive turnaround reaches the controller: behind a relay that ends
    /// the application protocol, inside a tunnel, and for relay-brokered tools (the broker
    /// answers the opening handshake; the controller only the screen updates).
    public var measuresControllerInteractively: Bool {
        relay?.kind.terminatesApplication == true || tools.isEmpty && !isShell
            || !tools.isEmpty && !tools.contains(where: SessionExtraction.servesDesktop)
    }

    public func hiddenHopMs(minSamples: Int) -> Double? {
        guard let t = latency.transportMs, let c = controllerRTTms(minSamples: minSamples) else { return nil }
        return max(0, c - t)
    }
}

/// A flow through a relay that shows no remote control (a VPN user, a video call's TURN relay).
public struct RelayUse {
    public var uid: String
    public var startNs: Int64
    public var endNs: Int64
    public var client: IPAddress
    public var hop: RelayHop
}

/// What a finished flow says to the detection engine.
enum SessionObservation {
    case session(RemoteSession)
    /// A relay use; `ifKVM` is the session it is when its client turns out to be an IP-KVM
    /// (a KVM's tunnel or media relay to whoever drives it), nil when the flow carried no
    /// data both ways or its client is not on the site.
    case relay(RelayUse, ifKVM: RemoteSession?)
    /// A web console or WebRTC session served by a site device: remote control when the
    /// device turns out to be an IP-KVM. Devices are classified only when the run ends, so
    /// the engine holds these (bounded) until then.
    case servedIfKVM(RemoteSession)
}

enum SessionExtraction {
    /// Families whose server is the driven host (the client is the controller). A GameStream
    /// host serves every flow of a session, its video included (the client pings it first).
    static func servesDesktop(_ f: Family) -> Bool { f == .rdp || f == .vnc || f == .moonlight }

    /// Reads one ended flow; nil for flows with nothing to say about remote control or relays.
    /// `site` holds the site's own networks, where an IP-KVM would be plugged in.
    static func observe(_ f: FlowState, thresholds t: DetectionConfiguration.Thresholds,
                        site: NetworkSet) -> SessionObservation? {
        guard let m = f.metadata else { return nil }
        let families = m.protocols.map(\.family)
        let tools = families.filter(\.isRemoteControl)
        let hasData = f.orig.payloadBytes > 0 && f.resp.payloadBytes > 0
        // Most flows carry neither remote control, SSH nor a relay: they are let go before
        // their uid is made, unless a site device serves a console-like session on them.
        guard !tools.isEmpty || families.contains(.ssh) || families.contains(where: { RelayKind(family: $0) != nil })
        else {
            guard hasData, let s = servedSession(f, families: families, site: site, t) else { return nil }
            return .servedIfKVM(s)
        }
        let uid = FlowRecordWriter.uid(f)
        let relay = RelayEvidence.hop(in: f, uid: uid)

        if !tools.isEmpty && hasData {
            return .session(inferHiddenRelay(desktopSession(f, tools: tools, relay: relay, uid: uid, t), t))
        }
        if families.contains(.ssh) && hasData {
            if let s = sshSession(f, uid: uid, t) { return .session(inferHiddenRelay(s, t)) }
            return nil
        }
        if let relay {
            // Remote control inside a tunnel: the host behind the relay's client side sends
            // screen-sized data and receives a person's small inputs for a while.
            if hasData, let s = tunnelledSession(f, relay: relay, uid: uid, t) { return .session(s) }
            // An IP-KVM has no other use for a tunnel or media relay than being reached
            // through it: whatever it carries is the KVM being driven.
            var ifKVM: RemoteSession?
            if hasData && site.contains(f.originatorAddress) {
                var s = session(f, drivenSide: .originator, tools: [.kvm], uid: uid, t)
                s.relay = relay
                s.controller = relay.farSide.flatMap(RelayEvidence.farSideAddress)
                ifKVM = s
            }
            return .relay(RelayUse(uid: uid, startNs: f.firstTimestampNs, endNs: f.lastTimestampNs,
                                   client: f.originatorAddress, hop: relay), ifKVM: ifKVM)
        }
        return nil
    }

    /// Families that carry an IP-KVM's console: its web interface (HTTP, HTTPS, WebSocket
    /// inside them) and its WebRTC video and input (STUN connectivity checks, QUIC).
    private static func carriesConsole(_ f: Family) -> Bool { f == .http || f == .tls || f == .stun || f == .quic }

    /// A console-like session a site device serves: the TCP server, or over UDP the side that
    /// sends the most (the video), is on the site; the other side is whoever would drive it.
    /// Remote control only if the device is an IP-KVM, which is known when the run ends.
    private static func servedSession(_ f: FlowState, families: [Family], site: NetworkSet,
                                      _ t: DetectionConfiguration.Thresholds) -> RemoteSession? {
        guard families.contains(where: carriesConsole) else { return nil }
        let served: Direction = f.key.proto == IPProto.tcp || f.resp.seqBytes >= f.orig.seqBytes ? .responder : .originator
        guard site.contains(served == .responder ? f.responderAddress : f.originatorAddress) else { return nil }
        var s = session(f, drivenSide: served, tools: [.kvm], uid: FlowRecordWriter.uid(f), t)
        s.controller = s.peer
        return inferHiddenRelay(s, t)
    }

    /// A session whose peer answers TCP far sooner than the application has a hop in front of
    /// the controller: the peer is that relay, and the controller is out of sight.
    private static func inferHiddenRelay(_ s: RemoteSession, _ t: DetectionConfiguration.Thresholds) -> RemoteSession {
        guard s.relay == nil, let tr = s.latency.transportMs, let hidden = s.hiddenHopMs(minSamples: t.minLatencySamples),
              hidden >= t.hiddenHopMs, tr + hidden >= t.hiddenHopRatio * tr else { return s }
        var out = s
        out.relay = RelayHop(address: s.peer, kind: .unidentified, farSide: nil, uid: s.uid)
        if out.controller == s.peer { out.controller = nil }
        return out
    }

    /// RDP, VNC and relay-brokered tools. The driven side is the desktop protocol's server, or
    /// for brokered tools the side sending the screen updates (the most bytes).
    private static func desktopSession(_ f: FlowState, tools: [Family], relay: RelayHop?, uid: String,
                                       _ t: DetectionConfiguration.Thresholds) -> RemoteSession {
        var drivenSide: Direction
        let servingKVM = servedByKVM(f)
        if tools.contains(where: servesDesktop) || servingKVM {
            drivenSide = .responder
        } else {
            drivenSide = f.orig.seqBytes >= f.resp.seqBytes ? .originator : .responder
        }
        var s = session(f, drivenSide: drivenSide, tools: tools, uid: uid, t)
        s.relay = relay
        if let relay, drivenSide == .responder {
            // Through a proxy the desktop server is the proxy's far side; the client drives it.
            s.driven = relay.farSide.flatMap(RelayEvidence.farSideAddress) ?? s.driven
            s.drivenMAC = 0
            s.controller = f.originatorAddress
        } else if relay == nil && (tools.contains(where: servesDesktop) || servingKVM) {
            s.controller = f.originatorAddress
        }
        return s
    }

    /// Whether the flow's server showed itself to be an IP-KVM (its certificate, its web
    /// page's title): the server is the driven KVM and the client drives it, whichever side
    /// sends more (a disk image uploaded to the KVM's virtual drive goes towards it).
    private static func servedByKVM(_ f: FlowState) -> Bool {
        f.metadata?.protocols.contains { $0.family == .kvm && ($0.identifiedBy == .tlsCert || $0.identifiedBy == .httpTitle) }
            ?? false
    }

    /// SSH: an interactive login drives the server (person-sized input towards it). A host's
    /// own outbound SSH drives the host itself through the SSH server (a reverse tunnel,
    /// `ssh -R`) when the keystrokes come from the server's side (SSHSessionUse's typist: a
    /// reverse shell), or when the host sends far more than it receives (a forwarded desktop
    /// or other session's output leaving it).
    private static func sshSession(_ f: FlowState, uid: String, _ t: DetectionConfiguration.Thresholds) -> RemoteSession? {
        let use = f.metadata?.facts(StandardDissectors.sshSlot, as: SSHFacts.self)?.use
        if let use, use.kind == .interactive, use.typist == .server {
            var s = session(f, drivenSide: .originator, tools: [], uid: uid, t)
            s.isShell = true
            s.relay = RelayHop(address: f.responderAddress, kind: .sshReverse, farSide: nil, uid: uid)
            return s
        }
        let out = Double(f.orig.seqBytes), back = Double(f.resp.seqBytes)
        if out >= t.screenUpdateRatio * back && smallPackets(f.resp, t) >= UInt64(t.humanInputMinEvents) {
            var s = session(f, drivenSide: .originator, tools: [], uid: uid, t)
            s.relay = RelayHop(address: f.responderAddress, kind: .sshReverse, farSide: nil, uid: uid)
            return s
        }
        guard smallPackets(f.orig, t) >= UInt64(t.humanInputMinEvents) else { return nil }
        var s = session(f, drivenSide: .responder, tools: [], uid: uid, t)
        s.isShell = true
        s.controller = f.originatorAddress
        return s
    }

    private static func tunnelledSession(_ f: FlowState, relay: RelayHop, uid: String,
                                         _ t: DetectionConfiguration.Thresholds) -> RemoteSession? {
        let out = Double(f.orig.payloadBytes), back = Double(f.resp.payloadBytes)
        guard out >= t.screenUpdateRatio * back, smallPackets(f.resp, t) >= UInt64(t.humanInputMinEvents) else { return nil }
        var s = session(f, drivenSide: .originator, tools: [], uid: uid, t)
        s.relay = relay
        // The host is the relay's client: the far side it named (a TURN peer, a SOCKS
        // target) is whoever sends the inputs, the controller.
        s.controller = relay.farSide.flatMap(RelayEvidence.farSideAddress)
        return s
    }

    private static func session(_ f: FlowState, drivenSide: Direction, tools: [Family], uid: String,
                                _ t: DetectionConfiguration.Thresholds) -> RemoteSession {
        let peerSide: Direction = drivenSide == .originator ? .responder : .originator
        return RemoteSession(
            uid: uid, startNs: f.firstTimestampNs, endNs: f.lastTimestampNs, tools: tools,
            driven: drivenSide == .originator ? f.originatorAddress : f.responderAddress,
            drivenMAC: f[drivenSide].mac,
            peer: peerSide == .originator ? f.originatorAddress : f.responderAddress,
            relay: nil, controller: nil,
            latency: SessionLatency(flow: f, peer: peerSide),
            bytesFromDriven: f[drivenSide].payloadBytes, bytesToDriven: f[peerSide].payloadBytes,
            inputEvents: smallPackets(f[peerSide], t), isShell: false)
    }

    /// Data packets smaller than `input_event_max_bytes` a side sent (from its size histogram,
    /// whose bin k holds [2^(k-1), 2^k) bytes: whole bins below the limit).
    static func smallPackets(_ s: FlowSide, _ t: DetectionConfiguration.Thresholds) -> UInt64 {
        var n: UInt64 = 0
        var b = 1
        while b < 16 && SizeHistogram.lowerBound(ofBin: b) * 2 <= UInt64(max(0, t.inputEventMaxBytes)) {
            n += UInt64(s.payloadSizes.bins[b])
            b += 1
        }
        return n
    }
}
