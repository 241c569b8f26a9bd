import Foundation
import XCTest
@testable import FarmwatchCore

/// The relay dissectors (WireGuard/Tailscale, OpenVPN, IPsec, STUN/TURN) on the real captures
/// of the corpus, checked against nDPI's per-flow results and against bytes read off the
/// captures with tshark.
final class RelayCorpusTests: XCTestCase {
    static func flows(_ capture: String) throws -> [FlowState] {
        let corpus = try TestEnvironment.requireCorpus()
        return try analyzeCapture(corpus.appendingPathComponent(capture).path, dissectors: StandardDissectors()).flows
    }

    static func flow(_ flows: [FlowState], _ a: String, _ b: String, proto: String = "udp") -> FlowState? {
        let k = NDPIFlow.flowKey(proto, a, b)
        return flows.first { NDPIFlow.key(of: $0) == k }
    }

    /// Per flow, over every nDPI capture: each flow nDPI names WireGuard, OpenVPN, IPsec,
    /// STUN or Tailscale by DPI is named the same by farmwatch (at least 95% per family, the
    /// misses listed), and no flow nDPI names by DPI as something else gets a relay family.
    func testAgreesWithNDPIPerFlow() throws {
        var agree: [String: Int] = [:], total: [String: Int] = [:], misses: [String] = [], wrong: [String] = []
        for (path, _) in try TestEnvironment.corpusCaptures() where path.hasPrefix("pcaps/ndpi__") {
            let truth = try NDPIFlow.load(path).filter(\.byDPI)
            guard !truth.isEmpty else { continue }
            var ours: [String: Set<String>] = [:]
            for f in try Self.flows(path) { ours[NDPIFlow.key(of: f), default: []].formUnion(relayFamilies(f)) }
            for t in truth {
                let mine = ours[t.key] ?? []
                for family in t.relayFamilies {
                    total[family, default: 0] += 1
                    if mine.contains(family) { agree[family, default: 0] += 1 } else { misses.append("\(path) \(t.key) \(family)") }
                }
                // STUN carries TURN, and nDPI names some STUN flows by their application only.
                let extra = mine.subtracting(t.relayFamilies).subtracting(["turn"])
                if t.relayFamilies.isEmpty && !extra.isEmpty && !Self.nDPINamesAppOnly(t.protocolName) {
                    wrong.append("\(path) \(t.key) nDPI \(t.protocolName), farmwatch \(extra.sorted())")
                }
            }
        }
        for (family, n) in total.sorted(by: { $0.key < $1.key }) {
            let ratio = Double(agree[family] ?? 0) / Double(n)
            print("relay per-flow agreement with nDPI: \(family) \(agree[family] ?? 0)/\(n)")
            XCTAssertGreaterThanOrEqual(ratio, 0.95, "\(family): \(misses.filter { $0.hasSuffix(family) })")
        }
        XCTAssertEqual(wrong, [], "relay families on flows nDPI names as something else")
    }

    /// nDPI names some STUN/TURN flows of voice apps after the app alone (Zoom, Viber,
    /// WhatsApp, GeForce NOW's DTLS that opens with STUN); those are not contradictions.
    static func nDPINamesAppOnly(_ name: String) -> Bool {
        ["Zoom", "Viber", "WhatsApp", "DTLS", "Skype_TeamsCall"].contains { name.contains($0) }
    }

    func testWireGuardHandshakeIndicesMatchTshark() throws {
        let tshark = try TestEnvironment.requireTool("tshark")
        let corpus = try TestEnvironment.requireCorpus()
        let path = corpus.appendingPathComponent("pcaps/ndpi__wireguard.pcap").path
        let senders = try TestEnvironment.run(tshark, ["-n", "-r", path, "-Y", "wg.type == 1 || wg.type == 2", "-T", "fields",
                                                       "-e", "ip.src", "-e", "wg.sender"])
            .split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let flows = try Self.flows("pcaps/ndpi__wireguard.pcap")
        let wg = flows.compactMap { $0.metadata?.facts(StandardDissectors.wireGuardSlot, as: WireGuardFacts.self) }
        // Two conversations; the idle timeout splits one of them in two.
        XCTAssertEqual(Set(flows.map(NDPIFlow.key(of:))).count, 2)
        XCTAssertTrue(flows.allSatisfy { relayFamilies($0) == ["wireguard"] })
        let matched = wg.filter(\.handshakeMatched)
        XCTAssertFalse(matched.isEmpty)
        for facts in matched {
            let indices = Set(facts.sessionIndex.compactMap { $0 })
            XCTAssertEqual(indices.count, 2)
            for i in indices {
                XCTAssertTrue(senders.contains { $0.count == 2 && UInt32($0[1].dropFirst(2), radix: 16) == i }, "index \(i)")
            }
        }
    }

    func testMullvadWireGuardFromTransportPacketsOnly() throws {
        let flows = try Self.flows("pcaps/ndpi__mullvad_wireguard.pcap")
        let f = try XCTUnwrap(Self.flow(flows, "192.168.122.11:22595", "198.54.131.98:5060"))
        XCTAssertEqual(relayFamilies(f), ["wireguard"])
        let wg = try XCTUnwrap(f.metadata?.facts(StandardDissectors.wireGuardSlot, as: WireGuardFacts.self))
        XCTAssertEqual(wg.initiations, 0)
        XCTAssertEqual(wg.transportPackets, 10)
    }

    func testTailscaleDiscoFramesNameTheFlowAndItsKeys() throws {
        let flows = try Self.flows("pcaps/ndpi__tailscale.pcap")
        let f = try XCTUnwrap(Self.flow(flows, "192.168.88.3:41641", "18.196.71.179:41641"))
        XCTAssertEqual(relayFamilies(f), ["tailscale"])
        let wg = try XCTUnwrap(f.metadata?.facts(StandardDissectors.wireGuardSlot, as: WireGuardFacts.self))
        XCTAssertGreaterThan(wg.transportPackets, 0)
        // The first frame's sender key, bytes 6-37 of its payload.
        XCTAssertTrue(wg.discoKeys.contains("b6847dd212ae777bfae214b36d0d971152f0c7e0524e0c28b0a0105b5fa61617"))
    }

    func testOpenVPNOverTCPWithoutHMAC() throws {
        let flows = try Self.flows("pcaps/ndpi__openvpn_nohmac_tcp.pcapng")
        let f = try XCTUnwrap(Self.flow(flows, "10.181.235.122:39772", "10.251.71.30:1194", proto: "tcp"))
        XCTAssertEqual(relayFamilies(f), ["openvpn"])
        let o = try XCTUnwrap(f.metadata?.facts(StandardDissectors.openVPNSlot, as: OpenVPNFacts.self))
        XCTAssertTrue(o.tcp)
        XCTAssertTrue(o.echoed)
        let json = Self.json(f)
        XCTAssertTrue(json.contains(#""orig_session_id":"507a28a78275788d""#), json)
        XCTAssertTrue(json.contains(#""control_channel":"plain""#), json)
    }

    func testIPsecIKEAndESPIncludingInsideGTP() throws {
        let esp = try Self.flows("pcaps/ndpi__esp.pcapng")
        let ike = try XCTUnwrap(Self.flow(esp, "10.2.3.2:500", "10.3.4.4:500"))
        XCTAssertEqual(relayFamilies(ike), ["ipsec"])
        let facts = try XCTUnwrap(ike.metadata?.facts(StandardDissectors.ipsecSlot, as: IPsecFacts.self))
        XCTAssertEqual(facts.ikeMessages, 4)
        let espFlow = try XCTUnwrap(Self.flow(esp, "10.2.3.2:0", "10.3.4.4:0", proto: "esp"))
        XCTAssertEqual(relayFamilies(espFlow), ["ipsec"])
        let gtp = try Self.flows("pcaps/ndpi__ipv6_in_gtp.pcap")
        XCTAssertEqual(gtp.filter { $0.key.proto == IPsecDissector.espProtocol && relayFamilies($0) == ["ipsec"] }.count, 1)
    }

    /// Every TURN address nDPI prints (the peer behind the relay, the relayed address) is among
    /// the ones farmwatch decodes for that flow, over every capture nDPI dissects STUN in.
    /// Microsoft's TURN dialect is left out on purpose: nDPI reads its attribute 0x0012 as
    /// XOR-PEER-ADDRESS, but MS-TURN numbers its attributes differently and farmwatch does not
    /// decode addresses from it.
    func testSTUNAddressesMatchNDPI() throws {
        var checked = 0
        for (path, labels) in try TestEnvironment.corpusCaptures() where path.hasPrefix("pcaps/ndpi__") && labels.contains("stun") {
            let ours = Dictionary(try Self.flows(path).map { (NDPIFlow.key(of: $0), $0) }, uniquingKeysWith: { a, _ in a })
            for t in try NDPIFlow.load(path) where t.relayed != nil || t.peer != nil {
                guard let f = ours[t.key], let s = f.metadata?.facts(StandardDissectors.stunSlot, as: STUNFacts.self) else {
                    XCTFail("\(path) \(t.key): no STUN facts"); continue
                }
                if s.msTurn { continue }
                if let r = t.relayed { XCTAssertTrue(s.relayedAddresses.map(\.description).contains(r), "\(t.key) relayed \(r)"); checked += 1 }
                if let p = t.peer { XCTAssertTrue(s.peerAddresses.map(\.description).contains(p), "\(t.key) peer \(p)"); checked += 1 }
                XCTAssertTrue(relayFamilies(f).contains("turn"), "\(t.key)")
            }
        }
        XCTAssertGreaterThan(checked, 5)
    }

    func testSignalTURNFlowRecordCarriesAddresses() throws {
        let flows = try Self.flows("pcaps/ndpi__stun_signal.pcapng")
        let f = try XCTUnwrap(Self.flow(flows, "192.168.12.169:43068", "35.158.183.167:3478"))
        XCTAssertEqual(relayFamilies(f), ["stun", "turn"])
        XCTAssertEqual(f.metadata?.protocols.map(\.family.rawValue), ["turn", "stun"])
        let json = Self.json(f)
        XCTAssertTrue(json.contains(#""relayed_addresses":["35.158.183.167:64458"]"#), json)
        XCTAssertTrue(json.contains("18.195.131.143:61156"), json)
        XCTAssertTrue(json.contains("93.47.225.19:11910"), json)
        XCTAssertFalse(f.metadata!.protocols.contains { $0.family.isRemoteControl })
    }

    static func json(_ f: FlowState) -> String {
        let w = JSONWriter(stream: nil)
        w.beginObject(); f.metadata?.writeJSON(to: w); w.endObject()
        return String(decoding: w.buffer, as: UTF8.self)
    }
}
