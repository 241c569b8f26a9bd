/// What one IPsec flow showed: its IKE exchanges (version, exchange types, the SA's SPIs,
/// NAT traversal) and its ESP/AH packets (SPIs per direction).
public final class IPsecFacts: FlowFacts {
    static let spiLimit = 8

    public private(set) var ikeMessages: UInt32 = 0
    public private(set) var ikeVersion: UInt8 = 0
    /// Exchange types seen, one bit per type number (all are below 64).
    private var exchanges: UInt64 = 0
    private var exchangeNames: [StaticString] = []
    public private(set) var initiatorSPI: UInt64 = 0
    public private(set) var responderSPI: UInt64 = 0
    public private(set) var natTraversal = false
    public private(set) var espPackets: UInt32 = 0
    public private(set) var espInUDP = false
    public private(set) var ahPackets: UInt32 = 0
    public private(set) var spis: [UInt32] = []
    var keepalives: UInt32 = 0

    public init() {}

    var datagrams: UInt32 { ikeMessages &+ espPackets &+ ahPackets &+ keepalives }

    public var recognition: Recognition? {
        ikeMessages + espPackets + ahPackets > 0 ? .payload(.ipsec, layer: Layer.relay) : nil
    }

    func noteIKE(_ h: IKEHeader, natTraversal marked: Bool) {
        ikeMessages &+= 1
        ikeVersion = h.majorVersion
        if marked { natTraversal = true }
        if initiatorSPI == 0 { initiatorSPI = h.initiatorSPI }
        if responderSPI == 0 && h.initiatorSPI == initiatorSPI { responderSPI = h.responderSPI }
        let bit: UInt64 = 1 << UInt64(h.exchangeType & 63)
        if exchanges & bit == 0 {
            exchanges |= bit
            exchangeNames.append(h.exchangeName)
        }
    }

    func noteESP(_ h: ESPHeader, inUDP: Bool) {
        espPackets &+= 1
        if inUDP { espInUDP = true }
        noteSPI(h.spi)
    }

    func noteAH(_ h: AHHeader) {
        ahPackets &+= 1
        noteSPI(h.spi)
    }

    private func noteSPI(_ spi: UInt32) {
        if spis.count < Self.spiLimit && !spis.contains(spi) { spis.append(spi) }
    }

    public func writeJSON(to w: JSONWriter) {
        guard recognition != nil else { return }
        w.key("ipsec"); w.beginObject()
        if ikeMessages > 0 {
            w.field("ike_version", ikeVersion)
            w.field("ike_messages", ikeMessages)
            w.key("ike_exchanges"); w.beginArray()
            for n in exchangeNames { w.string(n) }
            w.endArray()
            w.field("initiator_spi", Hex.string(u64: initiatorSPI))
            if responderSPI != 0 { w.field("responder_spi", Hex.string(u64: responderSPI)) }
            w.field("nat_traversal", natTraversal)
        }
        if espPackets > 0 {
            w.field("esp_packets", espPackets)
            w.field("esp_encapsulation", espInUDP ? "udp" : "ip")
        }
        if ahPackets > 0 { w.field("ah_packets", ahPackets) }
        if !spis.isEmpty {
            w.key("spis"); w.beginArray()
            for s in spis { w.string(Hex.string(u32: s)) }
            w.endArray()
        }
        w.endObject()
    }
}
