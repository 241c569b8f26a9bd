/// One reason to think a device is an IP-KVM (PiKVM, TinyPilot, JetKVM, NanoKVM, GL.iNet
/// Comet ...): a catalogue signature its names, services, MAC, web page or certificate matched.
public struct KVMEvidence {
    public var identifiedBy: IdentifiedBy
    public var confidence: Confidence
    /// What matched, and the catalogue line it matched (`file:line`).
    public var detail: String
    public var product: String?
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
        }
    }
}

extension Device {
    /// Whether the evidence is enough to call the device a KVM, how sure, and which product.
    public var kvm: (product: String?, confidence: Confidence)? {
        let counted = kvmEvidence.filter { $0.identifiedBy != .oui || $0.confidence >= .medium }
        guard let best = counted.max(by: { $0.confidence < $1.confidence }) else { return nil }
        let named = kvmEvidence.filter { $0.product != nil }.max(by: { $0.confidence < $1.confidence })
        return (named?.product ?? best.product, best.confidence)
    }
}
