import XCTest

@testable import FarmwatchCore

/// Decoder behaviour the fixtures do not pin down: link-type aliases, capture lengths, field
/// resets between packets, and the small limits.
final class DecodeEdgeCaseTests: XCTestCase {
    func decode(_ decoder: inout PacketDecoder, _ frame: [UInt8], linkType: Int32, wireLength: Int? = nil, into p: inout Packet) -> DecodeResult {
        frame.withUnsafeBytes {
            decoder.decode(frame: $0, linkType: linkType, timestampNs: 7, wireLength: wireLength ?? $0.count, into: &p)
        }
    }

    func record(_ fixture: String, _ frame: Int) throws -> [UInt8] {
        try DecodeFixtures.capture(fixture).records[frame - 1].data
    }

    func testRawIPLinkTypeAliases() throws {
        let v4 = try record("raw", 1), v6 = try record("raw", 2)
        var decoder = PacketDecoder()
        var p = Packet()
        for linkType in [LinkType.raw, LinkType.raw12, LinkType.raw14] {
            XCTAssertEqual(decode(&decoder, v4, linkType: linkType, into: &p), .ok)
            XCTAssertEqual(p.ipVersion, 4)
            XCTAssertEqual(decode(&decoder, v6, linkType: linkType, into: &p), .ok)
            XCTAssertEqual(p.ipVersion, 6)
        }
        XCTAssertEqual(decode(&decoder, v4, linkType: LinkType.ipv4, into: &p), .ok)
        XCTAssertEqual(decode(&decoder, v6, linkType: LinkType.ipv6, into: &p), .ok)
        XCTAssertEqual(decode(&decoder, v6, linkType: LinkType.ipv4, into: &p), .error(.badIPv4Header))
        XCTAssertEqual(decode(&decoder, v4, linkType: LinkType.ipv6, into: &p), .error(.badIPv6Header))
        XCTAssertEqual(decode(&decoder, v4, linkType: 147, into: &p), .error(.unsupportedLinkType))
    }

    func testCaptureLengths() throws {
        let frame = try record("ethernet", 1)
        var decoder = PacketDecoder()
        var p = Packet()
        XCTAssertEqual(decode(&decoder, frame, linkType: LinkType.ethernet, wireLength: frame.count - 1, into: &p), .error(.captureLengthInvalid))
        XCTAssertEqual(decode(&decoder, [], linkType: LinkType.ethernet, into: &p), .error(.captureLengthInvalid))
        XCTAssertEqual(decode(&decoder, frame, linkType: LinkType.ethernet, wireLength: 0, into: &p), .ok, "wire length unknown")
        XCTAssertEqual(p.captureLength, frame.count)
        XCTAssertEqual(p.wireLength, 0)
        XCTAssertEqual(p.timestampNs, 7)
        XCTAssertEqual(decode(&decoder, frame, linkType: LinkType.ethernet, wireLength: 9000, into: &p), .ok, "snapped frame")
        XCTAssertEqual(p.wireLength, 9000)
        XCTAssertEqual(p.payloadWireLength, 18, "the IP header bounds the payload, not the wire length")
    }

    /// Fields set by one packet must not leak into the next.
    func testEveryFieldIsResetBetweenPackets() throws {
        var decoder = PacketDecoder()
        var p = Packet()
        XCTAssertEqual(decode(&decoder, try record("tunnel-nesting", 1), linkType: LinkType.ethernet, into: &p), .ok)
        XCTAssertEqual(p.tunnel, .gre)
        XCTAssertTrue(p.tcpOptions.hasMSS)
        XCTAssertEqual(decode(&decoder, try record("icmp", 1), linkType: LinkType.ethernet, into: &p), .ok)
        XCTAssertEqual(decode(&decoder, try record("raw", 1), linkType: LinkType.raw, into: &p), .ok)
        XCTAssertFalse(p.hasMAC)
        XCTAssertEqual(p.srcMAC, 0)
        XCTAssertEqual(p.tunnel, .none)
        XCTAssertEqual(p.tunnelID, 0)
        XCTAssertEqual(p.outerSrc, .zero)
        XCTAssertEqual(p.icmpType, 0)
        XCTAssertEqual(p.tcpFlags, 0)
        XCTAssertEqual(p.seq, 0)
        XCTAssertEqual(p.tcpOptions.layoutCount, 0)
        XCTAssertFalse(p.tcpOptions.hasMSS)
        XCTAssertEqual(p.l4Proto, 17)
    }

    /// A raw IPv4/TCP frame from 192.0.2.1:40000 to 198.51.100.2:443 with these flags and
    /// payload (checksums are not checked by the decoder).
    static func tcpFrame(flags: UInt8, payload: [UInt8]) -> [UInt8] {
        let total = 40 + payload.count
        var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0x40, 0, 64, 6, 0, 0,
                           192, 0, 2, 1, 198, 51, 100, 2]
        ip += [0x9C, 0x40, 0x01, 0xBB, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        return ip + payload
    }

    /// Bare ACKs whose IP length takes in a few bytes of zero padding carry no data (the
    /// corpus's ndpi__heuristic_tcp_ack_payload has 113: its TLS hellos are read only with
    /// this rule); everything else that comes close keeps its payload.
    func testZeroPaddingOnBareACKsIsNotData() {
        var decoder = PacketDecoder()
        var p = Packet()
        let cases: [(UInt8, [UInt8], Bool, String)] = [
            (TCPFlag.ack, [0, 0], true, "2 zero bytes on a bare ACK"),
            (TCPFlag.ack, [0, 0, 0, 0, 0, 0], true, "6 zero bytes on a bare ACK"),
            (TCPFlag.ack, [0], false, "a keep-alive probe's byte"),
            (TCPFlag.ack, [UInt8](repeating: 0, count: 8), false, "8 zero bytes: data"),
            (TCPFlag.ack, [0, 1], false, "a non-zero byte"),
            (TCPFlag.ack | TCPFlag.psh, [0, 0], false, "pushed: data"),
            (TCPFlag.ack | TCPFlag.fin, [0, 0], false, "with FIN"),
        ]
        for (flags, payload, padding, what) in cases {
            XCTAssertEqual(decode(&decoder, Self.tcpFrame(flags: flags, payload: payload), linkType: LinkType.raw, into: &p), .ok, what)
            XCTAssertEqual(p.tcpZeroPaddingIgnored, padding, what)
            XCTAssertEqual(p.payloadWireLength, padding ? 0 : payload.count, what)
            XCTAssertEqual(p.payload.count, padding ? 0 : payload.count, what)
        }
    }

    func testVLANTagLimit() {
        func frame(tags: Int) -> [UInt8] {
            var f: [UInt8] = [2, 0, 0, 0, 0, 0xB, 2, 0, 0, 0, 0, 0xA]
            for i in 0..<tags { f += [0x81, 0x00, 0x00, UInt8(i + 1)] }
            return f + [0x08, 0x06] + [UInt8](repeating: 0, count: 28)
        }
        var decoder = PacketDecoder()
        var p = Packet()
        XCTAssertEqual(decode(&decoder, frame(tags: LinkLayer.maxVLANTags), linkType: LinkType.ethernet, into: &p), .notIP)
        XCTAssertEqual(p.vlanOuter, 1)
        XCTAssertEqual(p.vlanInner, 2)
        // One tag too many: not followed to its payload. The frame still ends in ARP here, so
        // make the payload IPv4 to show the limit is what stops it.
        var deep = frame(tags: LinkLayer.maxVLANTags + 1)
        deep[12 + 4 * (LinkLayer.maxVLANTags + 1)] = 0x08
        deep[13 + 4 * (LinkLayer.maxVLANTags + 1)] = 0x00
        XCTAssertEqual(decode(&decoder, deep, linkType: LinkType.ethernet, into: &p), .notIP)
    }

    func testMPLSLabelLimit() throws {
        let ip = Array(try record("raw", 1))
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 0xB, 2, 0, 0, 0, 0, 0xA, 0x88, 0x47]
        func labels(_ n: Int) -> [UInt8] { (0..<n).flatMap { i in [0, 0x10, i == n - 1 ? 0x01 : 0x00, 64] } }
        var decoder = PacketDecoder()
        var p = Packet()
        XCTAssertEqual(decode(&decoder, ethernet + labels(LinkLayer.maxMPLSLabels) + ip, linkType: LinkType.ethernet, into: &p), .ok)
        XCTAssertEqual(decode(&decoder, ethernet + labels(LinkLayer.maxMPLSLabels + 1) + ip, linkType: LinkType.ethernet, into: &p), .notIP)
    }

    func testOptionLayoutKeepsTheFirstSixteenKinds() {
        var options = TCPOptions()
        let bytes: [UInt8] = [2, 4, 5, 0xB4] + [UInt8](repeating: 1, count: 20)
        bytes.withUnsafeBytes { TCPOptionsParser.parse($0, from: 0, to: $0.count, into: &options) }
        XCTAssertEqual(options.layoutCount, 16)
        XCTAssertEqual(options.kind(at: 0), 2)
        XCTAssertEqual(options.kind(at: 15), 1)
        XCTAssertEqual(options.mss, 1460)
        XCTAssertFalse(options.malformed)
    }

    func testTCPOptionLengthsThatDoNotFitTheirKind() {
        for bytes: [UInt8] in [[2, 5, 5, 0xB4, 0], [3, 2], [4, 3, 0], [5, 6, 0, 0, 0, 0], [8, 8, 0, 0, 0, 0, 0, 0], [2]] {
            var options = TCPOptions()
            bytes.withUnsafeBytes { TCPOptionsParser.parse($0, from: 0, to: $0.count, into: &options) }
            XCTAssertTrue(options.malformed, "\(bytes)")
        }
    }

    /// UDP to a tunnel port that does not parse as the tunnel stays UDP; one that parses but
    /// is cut by the snap length is a truncated tunnel.
    func testTunnelHeadersCutBySnapLength() throws {
        let vxlan = try record("vxlan", 1)
        var decoder = PacketDecoder()
        var p = Packet()
        let outerHeaders = 14 + 20 + 8
        XCTAssertEqual(decode(&decoder, Array(vxlan[0..<(outerHeaders + 4)]), linkType: LinkType.ethernet, wireLength: vxlan.count, into: &p),
                       .error(.truncatedTunnel))
        XCTAssertEqual(decode(&decoder, Array(vxlan[0..<(outerHeaders + 8)]), linkType: LinkType.ethernet, wireLength: vxlan.count, into: &p),
                       .error(.truncatedLink), "the header is all there; the inner frame is cut")
    }
}
