import XCTest

@testable import FarmwatchCore

/// CAPWAP data channel (RFC 5415 §4.3, RFC 5416 for the IEEE 802.11 binding) on frames built
/// here byte by byte: raw IPv4 / UDP to the controller's port 5247 / CAPWAP header / payload.
final class CAPWAPDecodeTests: XCTestCase {
    static let accessPoint: [UInt8] = [192, 168, 10, 10]
    static let controller: [UInt8] = [192, 168, 10, 9]

    static func ipv4UDP(src: [UInt8], dst: [UInt8], sport: UInt16, dport: UInt16, _ payload: [UInt8]) -> [UInt8] {
        let udpLength = 8 + payload.count
        let total = 20 + udpLength
        let ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0x40, 0, 64, 17, 0, 0] + src + dst
        return ip + [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF),
                     UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0] + payload
    }

    /// The client's DHCP discover, as it leaves the laptop.
    static let inner = ipv4UDP(src: [0, 0, 0, 0], dst: [255, 255, 255, 255], sport: 68, dport: 67,
                               [1, 1, 6, 0, 0xCC, 0x4E, 0xC6, 0xFE])

    /// Preamble 0, HLEN (4-byte words), RID 1, WBID 1, flags T F L W M K.
    static func header(words: UInt32 = 2, native: Bool, fragment: Bool = false, keepAlive: Bool = false) -> [UInt8] {
        var word: UInt32 = words << 19 | 1 << 14 | 1 << 9
        if native { word |= 0x100 }
        if fragment { word |= 0x80 }
        if keepAlive { word |= 0x08 }
        if words > 2 { word |= 0x20 }  // W: wireless-specific information fills the extra words
        var h: [UInt8] = [UInt8(word >> 24), UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF),
                          0, 0, 0, 0]
        if words > 2 { h += [1, 4] + [UInt8](repeating: 0, count: Int(words - 2) * 4 - 2) }
        return h
    }

    static let mac1: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]
    static let mac2: [UInt8] = [0x1C, 0xAB, 0xA7, 0xF2, 0x13, 0x9D]
    static let llcSNAPIPv4: [UInt8] = [0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00]

    /// An 802.11 data frame from the client to the distribution system (ToDS).
    static func dot11(frameControl: [UInt8], qos: [UInt8] = [], ht: [UInt8] = [], addr4: [UInt8] = []) -> [UInt8] {
        frameControl + [0x2C, 0x00] + mac1 + mac2 + mac1 + [0x10, 0x00] + addr4 + qos + ht + llcSNAPIPv4
    }

    func decode(_ frame: [UInt8], wireLength: Int? = nil) -> (DecodeResult, Packet) {
        var decoder = PacketDecoder()
        var p = Packet()
        let r = frame.withUnsafeBytes {
            decoder.decode(frame: $0, linkType: LinkType.raw, timestampNs: 1, wireLength: wireLength ?? $0.count, into: &p)
        }
        return (r, p)
    }

    func capwap(_ payload: [UInt8], sport: UInt16 = 12380, dport: UInt16 = 5247) -> [UInt8] {
        Self.ipv4UDP(src: Self.accessPoint, dst: Self.controller, sport: sport, dport: dport, payload)
    }

    /// The inner packet is the one described, the carrier is the AP's datagram to the controller.
    func assertOpened(_ frame: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let (r, p) = decode(frame)
        XCTAssertEqual(r, .ok, file: file, line: line)
        XCTAssertEqual(p.tunnel, .capwap, file: file, line: line)
        XCTAssertEqual(p.src.description, "0.0.0.0", file: file, line: line)
        XCTAssertEqual(p.dst.description, "255.255.255.255", file: file, line: line)
        XCTAssertEqual([p.srcPort, p.dstPort], [68, 67], file: file, line: line)
        XCTAssertEqual(p.payload.count, 8, file: file, line: line)
        XCTAssertEqual(p.outerSrc.description, "192.168.10.10", file: file, line: line)
        XCTAssertTrue(p.carrier.present, file: file, line: line)
        XCTAssertEqual([p.carrier.srcPort, p.carrier.dstPort], [12380, 5247], file: file, line: line)
        XCTAssertEqual(p.tunnelNotOpened, .none, file: file, line: line)
    }

    /// The packet stays the AP's plain UDP datagram to the controller.
    func assertCarrierOnly(_ frame: [UInt8], _ notOpened: TunnelNotOpened, file: StaticString = #filePath, line: UInt = #line) {
        let (r, p) = decode(frame)
        XCTAssertEqual(r, .ok, file: file, line: line)
        XCTAssertEqual(p.tunnel, .none, file: file, line: line)
        XCTAssertEqual(p.src.description, "192.168.10.10", file: file, line: line)
        XCTAssertEqual(p.dstPort, 5247, file: file, line: line)
        XCTAssertFalse(p.carrier.present, file: file, line: line)
        XCTAssertEqual(p.tunnelNotOpened, notOpened, file: file, line: line)
    }

    func testIEEE8023Payload() {
        let ethernet = Self.mac1 + Self.mac2 + [0x08, 0x00] + Self.inner
        assertOpened(capwap(Self.header(native: false) + ethernet))
        // The controller's answers come from 5247 to the AP's own port.
        let (r, p) = decode(Self.ipv4UDP(src: Self.controller, dst: Self.accessPoint, sport: 5247, dport: 12380,
                                         Self.header(native: false) + ethernet))
        XCTAssertEqual(r, .ok)
        XCTAssertEqual(p.tunnel, .capwap)
        XCTAssertEqual(p.dstPort, 67)
    }

    func testIEEE80211Payloads() {
        // Plain data, ToDS.
        assertOpened(capwap(Self.header(native: true) + Self.dot11(frameControl: [0x08, 0x01]) + Self.inner))
        // Cisco's byte-swapped frame control, behind 8 bytes of wireless-specific information.
        assertOpened(capwap(Self.header(words: 4, native: true) + Self.dot11(frameControl: [0x01, 0x08]) + Self.inner))
        // QoS data, and QoS data with the Order bit (HT control follows).
        assertOpened(capwap(Self.header(native: true) + Self.dot11(frameControl: [0x88, 0x01], qos: [0, 0]) + Self.inner))
        assertOpened(capwap(Self.header(native: true)
                            + Self.dot11(frameControl: [0x88, 0x81], qos: [0, 0], ht: [0, 0, 0, 0]) + Self.inner))
        // ToDS and FromDS: a fourth address.
        assertOpened(capwap(Self.header(native: true) + Self.dot11(frameControl: [0x08, 0x03], addr4: Self.mac2) + Self.inner))
    }

    func testIEEE80211FramesThatAreNotOpened() {
        // A probe request (management), a null-data frame, a protected body, an A-MSDU, and a
        // data frame whose body is not LLC/SNAP: all stay the carrier's, uncounted.
        let probe: [UInt8] = [0x40, 0x00, 0, 0] + Self.mac1 + Self.mac2 + Self.mac1 + [0, 0, 0, 0]
        assertCarrierOnly(capwap(Self.header(native: true) + probe), .none)
        assertCarrierOnly(capwap(Self.header(native: true) + Self.dot11(frameControl: [0x48, 0x01])), .none)
        assertCarrierOnly(capwap(Self.header(native: true) + Self.dot11(frameControl: [0x08, 0x41]) + Self.inner), .none)
        assertCarrierOnly(capwap(Self.header(native: true) + Self.dot11(frameControl: [0x88, 0x01], qos: [0x80, 0]) + Self.inner), .none)
        var notSNAP = Self.header(native: true) + Self.dot11(frameControl: [0x08, 0x01]) + Self.inner
        notSNAP[8 + 24] = 0x42
        assertCarrierOnly(capwap(notSNAP), .none)
        // ARP, bridged from 802.11 or as an 802.3 frame, is not IP: the datagram still counts
        // on the carrier's flow, as tshark counts it.
        var arp = Self.header(native: true) + Self.dot11(frameControl: [0x08, 0x01]) + [UInt8](repeating: 0, count: 28)
        arp[8 + 24 + 6] = 0x08; arp[8 + 24 + 7] = 0x06
        assertCarrierOnly(capwap(arp), .none)
        assertCarrierOnly(capwap(Self.header(native: false) + Self.mac1 + Self.mac2 + [0x08, 0x06] + [UInt8](repeating: 0, count: 28)), .none)
        // Keep-alives carry no frame.
        assertCarrierOnly(capwap(Self.header(native: false, keepAlive: true) + [0, 0x23, 0, 0x10] + [UInt8](repeating: 7, count: 16)), .none)
    }

    func testDTLSAndFragmentsAreCountedAndStayTheCarrier() {
        // §4.2 DTLS header: preamble type 1, 3 reserved bytes, then a DTLS 1.2 application-data record.
        let dtls: [UInt8] = [0x01, 0, 0, 0, 0x17, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 5, 0, 4, 1, 2, 3, 4]
        assertCarrierOnly(capwap(dtls), .encrypted)
        assertCarrierOnly(capwap(Self.header(native: false, fragment: true) + Self.mac1 + Self.mac2 + [0x08, 0x00] + Self.inner),
                          .fragmented)
        // Type 1 without a DTLS record after it is not recognised as CAPWAP at all.
        assertCarrierOnly(capwap([0x01, 0, 0, 0, 0x42, 0x42, 0, 0]), .none)

        // The flow engine counts them in its stats and keeps the carrier flow.
        let sink = CollectingSink()
        let engine = FlowEngine(configuration: FlowConfiguration(), dissectors: NoDissectors(), sink: sink)
        for frame in [capwap(dtls), capwap(dtls),
                      capwap(Self.header(native: false, fragment: true) + Self.mac1 + Self.mac2 + [0x08, 0x00] + Self.inner)] {
            var (_, p) = decode(frame)
            engine.process(decoded: &p)
        }
        engine.finish()
        XCTAssertEqual(engine.stats.tunnelsEncrypted, 2)
        XCTAssertEqual(engine.stats.tunnelFragments, 1)
        XCTAssertEqual(sink.flows.count, 1)
        XCTAssertEqual(sink.flows.first?.0.responderPort, 5247)
        XCTAssertEqual(sink.flows.first?.0.orig.packets, 3)
    }

    func testTruncatedAndLyingHeaders() {
        let whole = capwap(Self.header(words: 4, native: true) + Self.dot11(frameControl: [0x01, 0x08]) + Self.inner)
        let capwapStart = 28
        // Cut by the snap length inside the CAPWAP header, inside the 802.11 header, and inside LLC/SNAP.
        for cut in [capwapStart + 4, capwapStart + 12, capwapStart + 16 + 10, capwapStart + 16 + 26] {
            XCTAssertEqual(decode(Array(whole[0..<cut]), wireLength: whole.count).0, .error(.truncatedTunnel), "cut at \(cut)")
        }
        // A UDP payload too short to be a CAPWAP header is only UDP.
        assertCarrierOnly(capwap([0, 0x10, 0x42]), .none)
        // HLEN past the datagram, and HLEN under the fixed 8 bytes.
        XCTAssertEqual(decode(capwap(Self.header(words: 31, native: false).prefix(8) + [UInt8](repeating: 0, count: 20))).0,
                       .error(.badTunnel))
        XCTAssertEqual(decode(capwap(Self.header(words: 1, native: false).prefix(8) + Self.mac1)).0, .error(.badTunnel))
        // An 802.11 header that ends past the datagram.
        let short = capwap(Self.header(native: true) + [0x88, 0x01, 0, 0] + Self.mac1 + Self.mac2)
        XCTAssertEqual(decode(short).0, .error(.badTunnel))
    }
}
