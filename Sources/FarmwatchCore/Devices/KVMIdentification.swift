/// One reason to think a device is an IP-KVM (PiKVM, TinyPilot, JetKVM, NanoKVM, GL.iNet
/// Comet ...): a catalogue signature its names, services, MAC, web page or certificate matched,
/// or (`traffic-shape`) what its traffic did: STUN at boot, a video stream out.
public struct KVMEvidence {
    public var identifiedBy: IdentifiedBy
    public var confidence: Confidence
    /// What matched, and the catalogue line it matched (`file:line`); for traffic shapes, what
    /// was seen.
    public var detail: String
    public var product: String?
    /// The flow the evidence was seen on, for traffic shapes.
    public var uid: String?
    /// The measurements, for a video stream.
    public var videoStream: VideoStreamShape?

    /// Behaviour rather than identity: what any WebRTC app or camera could also do.
    public var isTrafficShape: Bool { identifiedBy == .trafficShape }
}

/// Decides, once the run has seen everything, which devices look like IP-KVMs.
enum KVMClassifier {
    /// A MAC prefix alone (a Raspberry Pi is usually just a Raspberry Pi) takes a product-
    /// specific OUI (medium or better) to count; any other signature counts on its own.
    static func classify(_ table: DeviceTable, _ matcher: SignatureMatcher) {
        for d in table.devices {
            func note(_ hits: [Signature], _ by: IdentifiedBy, _ what: String, _ value: [UInt8]) {
                for s in hits where s.family == .kvm {
                    d.noteKVM(KVMEvidence(identifiedBy: by, confidence: s.confidence,
                                          detail: s.match(what, value),
                                          product: s.product))
                }
            }
            let dhcpName = d.dhcp?.hostName
            for n in d.hostNames.items {
                note(matcher.hostname(n), n == dhcpName ? .dhcp : .mdns, "host name", n)
            }
            for s in d.services.items {
                note(matcher.mdnsService(s.instance), .mdns, "mDNS service", s.instance)
                for t in s.txt { note(matcher.mdnsService(t), .mdns, "mDNS TXT", t) }
            }
            if d.mac != 0 && !d.macIsLocal {
                note(matcher.oui(d.mac), .oui, "MAC", Array(FlowRecordWriter.macString(d.mac).utf8))
            }
            if let p = d.bootProbe { d.noteKVM(bootProbeEvidence(p)) }
        }
    }

    static func bootProbeEvidence(_ p: STUNBootProbe) -> KVMEvidence {
        let server = p.server.isV4 ? "\(p.server):\(p.port)" : "[\(p.server)]:\(p.port)"
        let seconds = Double(p.afterJoinNs / 1_000_000) / 1000
        var detail = "STUN binding request to \(server) \(seconds) s after its DHCP exchange (at boot)"
        if let flags = p.natTypeTest {
            detail += ", then an RFC 3489 NAT-type test (CHANGE-REQUEST \(STUNFacts.changeRequestName(flags))), "
                + "as PiKVM's kvmd-janus probes"
        }
        return KVMEvidence(identifiedBy: .trafficShape, confidence: p.natTypeTest == nil ? .low : .medium,
                           detail: detail, product: nil, uid: p.uid)
    }
}

extension Device {
    /// Whether the evidence is enough to call the device a KVM, how sure, and which product.
    /// Identity (a catalogue name, service, title, certificate or product-specific OUI) decides,
    /// at the best signature's confidence, raised one step when the device's traffic agrees
    /// (STUN at boot, a video stream out). Traffic shapes beside only a generic MAC prefix (a
    /// Raspberry Pi probing STUN at boot and streaming video) make a low verdict; traffic
    /// shapes alone make none: a laptop with a WebRTC app can show both.
    public var kvm: (product: String?, confidence: Confidence)? {
        let identity = kvmEvidence.filter { !$0.isTrafficShape && ($0.identifiedBy != .oui || $0.confidence >= .medium) }
        let behaviour = kvmEvidence.contains { $0.isTrafficShape }
        let named = kvmEvidence.filter { $0.product != nil }.max(by: { $0.confidence < $1.confidence })
        guard let best = identity.max(by: { $0.confidence < $1.confidence }) else {
            let genericOUI = kvmEvidence.contains { $0.identifiedBy == .oui }
            return behaviour && genericOUI ? (named?.product, .low) : nil
        }
        let raised = behaviour ? Confidence(rawValue: min(best.confidence.rawValue + 1, Confidence.high.rawValue))! : best.confidence
        return (named?.product ?? best.product, raised)
    }

    /// The device is called a KVM only on what its traffic did beside a generic MAC prefix:
    /// reported, never scored.
    public var kvmRestsOnTrafficShapeOnly: Bool {
        kvm != nil && !kvmEvidence.contains { !$0.isTrafficShape && ($0.identifiedBy != .oui || $0.confidence >= .medium) }
    }
}
