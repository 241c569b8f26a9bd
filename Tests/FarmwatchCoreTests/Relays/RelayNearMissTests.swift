import XCTest
@testable import FarmwatchCore

/// Feeds datagrams to one dissector the way the flow engine does for UDP (or a port-less IP
/// protocol): one chunk per datagram, per-direction offsets.
struct DatagramConversation<D: Dissector> {
    var flow: FlowState
    private var offsets = [0, 0]
    private(set) var verdict = DissectorVerdict.wantMore
    private let context = DissectorContext()

    init(serverPort: UInt16, proto: UInt8 = IPProto.udp) {
        var p = Packet()
        p.src = IPAddress(v4: 0xC000_020A)
        p.dst = IPAddress(v4: 0xC633_6414)
        p.srcPort = proto == IPProto.udp ? 40000 : 0
        p.dstPort = proto == IPProto.udp ? serverPort : 0
        p.l4Proto = proto
        var aToB = false
        flow = FlowState(key: FlowKey(packet: p, isAToB: &aToB), originatorIsA: aToB, serial: 1, timestampNs: 1)
    }

    @discardableResult
    mutating func send(_ side: Direction, _ bytes: [UInt8]) -> DissectorVerdict {
        guard verdict == .wantMore else { return verdict }
        let offset = offsets[side.rawValue]
        offsets[side.rawValue] += bytes.count
        let context = self.context
        verdict = bytes.withUnsafeBytes { raw in
            D.feed(StreamChunk(bytes: raw, direction: side, timestampNs: 1, streamOffset: offset, afterGap: false, isDatagram: true),
                   flow: &flow, context: context)
        }
        return verdict
    }
}

/// Ordinary traffic that resembles a relay protocol in some byte must be let go on its first
/// datagram, with nothing allocated, and never named.
final class RelayNearMissTests: XCTestCase {
    /// A DNS query for example.com.
    static let dnsQuery: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                    7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 1, 0, 1]
    /// A QUIC v1 Initial's first bytes, padded to the 1200 bytes clients send.
    static let quicInitial: [UInt8] = [0xC3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x44, 0xD0]
        + [UInt8](repeating: 0x5A, count: 1182)
    /// A game-style datagram: small header with a type byte of 1 and zero bytes after it, the
    /// wrong size for a WireGuard initiation.
    static let gameDatagram: [UInt8] = [1, 0, 0, 0, 0x10, 0x27, 0, 0] + [UInt8](repeating: 7, count: 56)
    /// RTP (version 2, payload type 111) as a voice call sends it.
    static let rtp: [UInt8] = [0x80, 0x6F, 0x12, 0x34, 0, 0, 0x10, 0, 0xDE, 0xAD, 0xBE, 0xEF] + [UInt8](repeating: 0x33, count: 80)

    func rejectsAtOnce<D: Dissector>(_ d: D.Type, _ bytes: [UInt8], port: UInt16, file: StaticString = #filePath, line: UInt = #line) {
        var c = DatagramConversation<D>(serverPort: port)
        XCTAssertEqual(c.send(.originator, bytes), .notMine, file: file, line: line)
        XCTAssertNil(c.flow.metadata, "nothing may be allocated", file: file, line: line)
    }

    /// OpenVPN also follows the first bytes of scrambled headers (OpenVPNOpcodePattern), which
    /// a first datagram cannot refute: it lets the flow go at the answer, when both sides open
    /// alike, still with nothing allocated.
    func rejectsOnTheAnswer<D: Dissector>(_ d: D.Type, _ bytes: [UInt8], port: UInt16, file: StaticString = #filePath, line: UInt = #line) {
        var c = DatagramConversation<D>(serverPort: port)
        XCTAssertEqual(c.send(.originator, bytes), .wantMore, file: file, line: line)
        XCTAssertEqual(c.send(.responder, bytes), .notMine, file: file, line: line)
        XCTAssertNil(c.flow.metadata, "nothing may be allocated", file: file, line: line)
    }

    func testDNSAndQUICAndGameTrafficAreRejectedOnTheFirstDatagram() {
        for (bytes, port) in [(Self.dnsQuery, UInt16(51820)), (Self.quicInitial, 1194), (Self.gameDatagram, 27015)] {
            rejectsAtOnce(WireGuardDissector.self, bytes, port: port)
            rejectsOnTheAnswer(OpenVPNDissector.self, bytes, port: port)
            rejectsAtOnce(IPsecDissector.self, bytes, port: port)
            rejectsAtOnce(STUNDissector.self, bytes, port: port)
            rejectsAtOnce(ZeroTierDissector.self, bytes, port: port)
        }
    }

    func testWireGuardNeedsExactSizesAndZeroReservedBytes() {
        var initiation = [UInt8](repeating: 0xAB, count: 148)
        initiation[0] = 1; initiation[1] = 0; initiation[2] = 0; initiation[3] = 0
        var wrongSize = initiation; wrongSize.append(0)
        rejectsAtOnce(WireGuardDissector.self, wrongSize, port: 51820)
        var reserved = initiation; reserved[2] = 1
        rejectsAtOnce(WireGuardDissector.self, reserved, port: 51820)
        // A lone initiation is kept, but names nothing until a response answers it.
        var c = DatagramConversation<WireGuardDissector>(serverPort: 51820)
        XCTAssertEqual(c.send(.originator, initiation), .wantMore)
        XCTAssertNil(c.flow.metadata?.protocols.first)
        var response = [UInt8](repeating: 0xCD, count: 92)
        response[0] = 2; response[1] = 0; response[2] = 0; response[3] = 0
        response[8] = 0xAB; response[9] = 0xAB; response[10] = 0xAB; response[11] = 0xAB
        c.send(.responder, response)
        XCTAssertEqual(c.flow.metadata?.protocols.map(\.family), [.wireguard])
    }

    /// Transport-shaped datagrams whose receiver index changes every time are not WireGuard.
    func testWireGuardTransportWithoutAgreementIsLetGo() {
        var c = DatagramConversation<WireGuardDissector>(serverPort: 4444)
        for i in 0..<6 {
            var d = [UInt8](repeating: UInt8(i), count: 64)
            d[0] = 4; d[1] = 0; d[2] = 0; d[3] = 0; d[4] = UInt8(i + 1)
            c.send(.originator, d)
        }
        XCTAssertEqual(c.verdict, .notMine)
        XCTAssertNil(c.flow.metadata?.protocols.first)
    }

    /// RTP is watched for a few datagrams (it shares WebRTC's 5-tuple with STUN), then let go
    /// without allocating.
    func testRTPWithoutSTUNIsLetGoUnallocated() {
        var c = DatagramConversation<STUNDissector>(serverPort: 5004)
        for _ in 0..<20 where c.verdict == .wantMore {
            c.flow.orig.packets += 1
            c.send(.originator, Self.rtp)
        }
        XCTAssertEqual(c.verdict, .notMine)
        XCTAssertNil(c.flow.metadata)
    }

    /// A cookie-less Binding request alone is too little to name classic STUN; its answer
    /// with the same transaction id is enough.
    func testClassicSTUNNeedsItsAnswer() {
        let id: [UInt8] = (1...16).map { UInt8($0) }
        let request: [UInt8] = [0x00, 0x01, 0x00, 0x00] + id
        let response: [UInt8] = [0x01, 0x01, 0x00, 0x0C] + id + [0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x0D, 0x96, 192, 0, 2, 1]
        var c = DatagramConversation<STUNDissector>(serverPort: 3478)
        c.send(.originator, request)
        XCTAssertNil(c.flow.metadata?.protocols.first)
        c.send(.responder, response)
        XCTAssertEqual(c.flow.metadata?.protocols.map(\.family), [.stun])
        let s = c.flow.metadata?.facts(StandardDissectors.stunSlot, as: STUNFacts.self)
        XCTAssertEqual(s?.mappedAddresses.map(\.description), ["192.0.2.1:3478"])
    }

    /// XOR-MAPPED-ADDRESS for IPv6 is masked with the cookie and the transaction id (RFC 8489
    /// §14.2); the example is RFC 5769 §2.3's test vector.
    func testXORMappedIPv6FromRFC5769Vector() {
        let hex = "01010048" + "2112a442" + "b7e7a701bc34d686fa87dfae" + "8022000b" + "74657374207665" + "63746f7220"
            + "00200014" + "0002a147" + "0113a9faa5d3f179bc25f4b5bed2b9d9"
            + "00080014" + "a382954e4be67bf11784c97c8292c275bfe3ed41" + "80280004" + "c8fb0b4c"
        let digits = Array(hex)
        let bytes = stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0..<($0 + 2)]), radix: 16)! }
        var c = DatagramConversation<STUNDissector>(serverPort: 3478)
        c.send(.responder, bytes)
        let s = c.flow.metadata?.facts(StandardDissectors.stunSlot, as: STUNFacts.self)
        XCTAssertEqual(s?.mappedAddresses.map(\.description), ["[2001:db8:1234:5678:11:2233:4455:6677]:32853"])
        XCTAssertEqual(s?.software.map { String(decoding: $0, as: UTF8.self) }, "test vector")
    }

    func testESPNeedsAValidSPI() {
        var c = DatagramConversation<IPsecDissector>(serverPort: 0, proto: IPsecDissector.espProtocol)
        XCTAssertEqual(c.send(.originator, [0, 0, 0, 7, 0, 0, 0, 1] + [UInt8](repeating: 9, count: 40)), .notMine)
        XCTAssertNil(c.flow.metadata)
        var ok = DatagramConversation<IPsecDissector>(serverPort: 0, proto: IPsecDissector.espProtocol)
        ok.send(.originator, [0x2C, 0x58, 0x2F, 0xBA, 0, 0, 0, 1] + [UInt8](repeating: 9, count: 40))
        XCTAssertEqual(ok.flow.metadata?.protocols.map(\.family), [.ipsec])
    }
}
