import Foundation
import XCTest

@testable import FarmwatchCore

/// One record of a classic pcap file.
struct PcapRecord {
    var timestampNs: Int64
    var wireLength: Int
    var data: [UInt8]
}

/// A classic (libpcap) capture read whole: enough for the fixtures, in either byte order,
/// with microsecond or nanosecond timestamps.
struct PcapFile {
    var linkType: Int32
    var records: [PcapRecord]

    init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count >= 24 else { throw CocoaError(.fileReadCorruptFile) }
        func u32(_ at: Int, _ swapped: Bool) -> UInt32 {
            let v = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            return swapped ? v.byteSwapped : v
        }
        let magic = u32(0, false)
        let swapped: Bool
        let nanoseconds: Bool
        switch magic {
        case 0xA1B2_C3D4: (swapped, nanoseconds) = (false, false)
        case 0xA1B2_3C4D: (swapped, nanoseconds) = (false, true)
        case 0xD4C3_B2A1: (swapped, nanoseconds) = (true, false)
        case 0x4D3C_B2A1: (swapped, nanoseconds) = (true, true)
        default: throw CocoaError(.fileReadCorruptFile)
        }
        linkType = Int32(bitPattern: u32(20, swapped) & 0x0FFF_FFFF)
        records = []
        var at = 24
        while at + 16 <= bytes.count {
            let seconds = Int64(u32(at, swapped))
            let fraction = Int64(u32(at + 4, swapped))
            let captured = Int(u32(at + 8, swapped))
            let wire = Int(u32(at + 12, swapped))
            at += 16
            guard at + captured <= bytes.count else { throw CocoaError(.fileReadCorruptFile) }
            records.append(PcapRecord(
                timestampNs: seconds * 1_000_000_000 + (nanoseconds ? fraction : fraction * 1000),
                wireLength: wire, data: Array(bytes[at..<(at + captured)])))
            at += captured
        }
    }
}

enum DecodeFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("captures/fixtures/decode").path

    static func path(_ name: String) -> String { directory + "/" + name }

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".pcap") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func capture(_ name: String) throws -> PcapFile { try PcapFile(path: path(name + ".pcap")) }
}

extension DecodeResult {
    /// The spelling the truth files use: ok, notIP, fragmentHeld, error:<kind>.
    var truthName: String {
        switch self {
        case .ok: return "ok"
        case .notIP: return "notIP"
        case .fragmentHeld: return "fragmentHeld"
        case .error(let e): return "error:\(e)"
        }
    }
}

extension PacketDecoder {
    /// Decodes a record held in an array (the payload pointer is only valid inside `body`).
    mutating func decode(_ r: PcapRecord, linkType: Int32, into p: inout Packet, _ body: (DecodeResult, inout Packet) -> Void = { _, _ in }) -> DecodeResult {
        r.data.withUnsafeBytes { frame in
            let result = decode(frame: frame, linkType: linkType, timestampNs: r.timestampNs, wireLength: r.wireLength, into: &p)
            body(result, &p)
            return result
        }
    }
}

/// Every fixture capture decoded frame by frame and compared with its ground truth, whose
/// field values come from tshark's dissection (see scripts/make-decode-fixtures.py).
final class DecodeFixtureTests: XCTestCase {
    func testEthernet() throws { try check("ethernet") }
    func testVLANAndQinQ() throws { try check("vlan-qinq") }
    func testMPLSAndPPPoE() throws { try check("mpls-pppoe") }
    func testLinuxCookedV1() throws { try check("sll") }
    func testLinuxCookedV2() throws { try check("sll2") }
    func testBSDNullLoopback() throws { try check("null-loopback") }
    func testOpenBSDLoop() throws { try check("loop") }
    func testPPP() throws { try check("ppp") }
    func testPPPInHDLCFraming() throws { try check("ppp-hdlc") }
    func testRawIP() throws { try check("raw") }
    func testTCPOptions() throws { try check("tcp-options") }
    func testICMP() throws { try check("icmp") }
    func testGRE() throws { try check("gre") }
    func testERSPAN() throws { try check("gre-erspan") }
    func testVXLAN() throws { try check("vxlan") }
    func testGeneve() throws { try check("geneve") }
    func testGTPU() throws { try check("gtpu") }
    func testCAPWAP() throws { try check("capwap") }
    func testIPInIPAnd6in4() throws { try check("ipip-6in4") }
    func testTunnelNesting() throws { try check("tunnel-nesting") }
    func testIPv6ExtensionHeadersAndFragments() throws { try check("ipv6-fragments-ext") }
    func testMalformed() throws { try check("malformed") }

    func testIPv4Fragments() throws {
        var decoder = try check("ipv4-fragments")
        // The lone first fragment of datagram 0x4444 expired when the last frame came 31 s later.
        XCTAssertEqual(decoder.takeExpiredFragmentCount(), 1)
        XCTAssertEqual(decoder.takeExpiredFragmentCount(), 0)
        XCTAssertEqual(decoder.fragmentsInProgress, 0)
    }

    func testReassembledPayloadIsTheOriginalData() throws {
        // Datagram 0x1111 carries bytes 0...255 repeated 12 times after its UDP header.
        let capture = try DecodeFixtures.capture("ipv4-fragments")
        var decoder = PacketDecoder()
        var p = Packet()
        for r in capture.records.prefix(3) {
            _ = decoder.decode(r, linkType: capture.linkType, into: &p) { result, p in
                guard result == .ok else { return }
                XCTAssertTrue(p.reassembled)
                XCTAssertEqual(Array(p.payload), (0..<12).flatMap { _ in (0...255).map { UInt8($0) } })
            }
        }
    }

    func testEveryFixtureHasATest() {
        let tested: Set = [
            "ethernet", "vlan-qinq", "mpls-pppoe", "sll", "sll2", "null-loopback", "loop", "ppp", "ppp-hdlc", "raw",
            "tcp-options", "icmp", "gre", "gre-erspan", "vxlan", "geneve", "gtpu", "capwap", "ipip-6in4", "tunnel-nesting",
            "ipv4-fragments", "ipv6-fragments-ext", "malformed",
        ]
        XCTAssertFalse(DecodeFixtures.names.isEmpty, "no fixtures in \(DecodeFixtures.directory)")
        XCTAssertEqual(Set(DecodeFixtures.names), tested)
    }

    /// Decodes every frame of fixture `name` in order with one decoder and compares the
    /// result and the fields with the truth file. Returns the decoder for further checks.
    @discardableResult
    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> PacketDecoder {
        let capture = try DecodeFixtures.capture(name)
        let truthData = try Data(contentsOf: URL(fileURLWithPath: DecodeFixtures.path(name + ".truth.json")))
        let truth = try XCTUnwrap(JSONSerialization.jsonObject(with: truthData) as? [String: Any])
        let packets = try XCTUnwrap(truth["packets"] as? [[String: Any]])
        XCTAssertEqual(Int32(truth["linkType"] as? Int ?? -1), capture.linkType, file: file, line: line)
        XCTAssertEqual(packets.count, capture.records.count, "\(name): frames in truth vs pcap", file: file, line: line)
        var decoder = PacketDecoder()
        var p = Packet()
        for (i, record) in capture.records.enumerated() where i < packets.count {
            let entry = packets[i]
            let context = "\(name) frame \(i + 1) (\(entry["what"] as? String ?? ""))"
            _ = decoder.decode(record, linkType: capture.linkType, into: &p) { result, p in
                XCTAssertEqual(result.truthName, entry["result"] as? String, context, file: file, line: line)
                guard let expect = entry["expect"] as? [String: Any] else { return }
                for (key, value) in expect.sorted(by: { $0.key < $1.key }) {
                    compare(key, value, p, "\(context) \(key)", file: file, line: line)
                }
            }
        }
        return decoder
    }

    func compare(_ key: String, _ value: Any, _ p: Packet, _ context: String, file: StaticString, line: UInt) {
        func int(_ actual: some BinaryInteger) {
            XCTAssertEqual(Int(actual), (value as? NSNumber)?.intValue, context, file: file, line: line)
        }
        func bool(_ actual: Bool) {
            XCTAssertEqual(actual, (value as? NSNumber)?.boolValue, context, file: file, line: line)
        }
        func address(_ actual: IPAddress) {
            XCTAssertEqual(actual, IPAddress(value as? String ?? ""), context, file: file, line: line)
        }
        func mac(_ actual: UInt64) {
            let text = (value as? String ?? "").replacingOccurrences(of: ":", with: "")
            XCTAssertEqual(actual, UInt64(text, radix: 16), context, file: file, line: line)
        }
        switch key {
        case "captureLength": int(p.captureLength)
        case "wireLength": int(p.wireLength)
        case "hasMAC": bool(p.hasMAC)
        case "srcMAC": mac(p.srcMAC)
        case "dstMAC": mac(p.dstMAC)
        case "vlanOuter": int(p.vlanOuter)
        case "vlanInner": int(p.vlanInner)
        case "ipVersion": int(p.ipVersion)
        case "src": address(p.src)
        case "dst": address(p.dst)
        case "ttl": int(p.ttl)
        case "ipID": int(p.ipID)
        case "ipLength": int(p.ipLength)
        case "reassembled": bool(p.reassembled)
        case "l4Proto": int(p.l4Proto)
        case "srcPort": int(p.srcPort)
        case "dstPort": int(p.dstPort)
        case "seq": int(p.seq)
        case "ack": int(p.ack)
        case "tcpFlags": int(p.tcpFlags)
        case "window": int(p.window)
        case "mss": int(p.tcpOptions.mss)
        case "windowScale": int(p.tcpOptions.windowScale)
        case "sackPermitted": bool(p.tcpOptions.sackPermitted)
        case "tsVal": int(p.tcpOptions.tsVal)
        case "tsEcr": int(p.tcpOptions.tsEcr)
        case "optionsMalformed": bool(p.tcpOptions.malformed)
        case "optionKinds":
            let kinds = (0..<Int(p.tcpOptions.layoutCount)).map { Int(p.tcpOptions.kind(at: $0)) }
            XCTAssertEqual(kinds, (value as? [NSNumber])?.map(\.intValue), context, file: file, line: line)
        case "icmpType": int(p.icmpType)
        case "icmpCode": int(p.icmpCode)
        case "payloadLength": int(p.payload.count)
        case "payloadWireLength": int(p.payloadWireLength)
        case "tunnel": XCTAssertEqual(p.tunnel.name, value as? String, context, file: file, line: line)
        case "tunnelID": int(p.tunnelID)
        case "outerSrc": address(p.outerSrc)
        case "outerDst": address(p.outerDst)
        default: XCTFail("\(context): unknown truth key", file: file, line: line)
        }
    }
}
