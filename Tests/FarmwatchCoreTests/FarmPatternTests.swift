import Foundation
import XCTest
@testable import FarmwatchCore

/// Gives each flow, by its client port, the families and the TLS or DHCP facts the real
/// dissectors would have left on it: the engine under test reads facts, not bytes.
struct FactsByClientPort: DissectorSet {
    struct Spec {
        var families: [Family] = []
        var tls: (() -> TLSFacts)?
        var dhcp: (() -> DHCPFacts)?
    }

    var specs: [UInt16: Spec]

    func flowStarted(_ flow: inout FlowState, firstPacket p: Packet) {
        guard let spec = specs[p.srcPort] else { return }
        let m = flow.ensureMetadata()
        for f in spec.families { m.addRecognition(.payload(f, layer: f.isRelay ? Layer.relay : Layer.session)) }
        if let tls = spec.tls { m.setFacts(StandardDissectors.tlsSlot, tls()) }
        if let dhcp = spec.dhcp { m.setFacts(StandardDissectors.dhcpSlot, dhcp()) }
    }

    func feed(_ chunk: StreamChunk, flow: inout FlowState) {}
}

final class FarmPatternTests: XCTestCase {
    /// Runs packets through the engine and the detection sink; `specs` says what each client
    /// port's flow carries.
    private func detect(_ packets: [Packet], _ specs: [UInt16: FactsByClientPort.Spec],
                        configuration: DetectionConfiguration = DetectionConfiguration(),
                        intel: PeerIntel? = nil) throws -> (DetectionSink, [Finding]) {
        let sink = try DetectionSink(next: CollectingSink(), configuration: configuration, intel: intel)
        let engine = FlowEngine(dissectors: FactsByClientPort(specs: specs), sink: sink)
        for p in packets.sorted(by: { $0.timestampNs < $1.timestampNs }) { engine.process(p) }
        engine.finish()
        return (sink, sink.findings())
    }

    private func asnIntel(lists: [AddressList] = []) throws -> PeerIntel {
        PeerIntel(city: nil, asn: try MaxMindDatabaseTests.database("test-asn.mmdb"), lists: lists)
    }

    private var nextPort: UInt16 = 40_000

    /// An RDP session driving `driven` from `controller` 180 ms away, on its own client port.
    private func rdp(_ driven: String, from controller: String, start: Double = 1000,
                     _ specs: inout [UInt16: FactsByClientPort.Spec]) -> [Packet] {
        var s = SessionBuilder(driven: driven, peer: controller, peerRTT: 0.180, controllerRTT: 0.180)
        nextPort += 1
        s.b.clientPort = nextPort
        specs[nextPort] = .init(families: [.rdp])
        return s.packets(start: start)
    }

    /// A short TLS connection from `client` carrying `facts`.
    private func tls(from client: String, start: Double, _ facts: @escaping () -> TLSFacts,
                     _ specs: inout [UInt16: FactsByClientPort.Spec]) -> [Packet] {
        var b = PacketBuilder()
        b.client = IPAddress(client)!
        b.server = IPAddress("192.0.2.200")!
        nextPort += 1
        b.clientPort = nextPort
        specs[nextPort] = .init(tls: facts)
        let S = TCPFlag.syn, A = TCPFlag.ack, P = TCPFlag.psh, F = TCPFlag.fin
        return [b.tcp(true, S, seq: 100, at: start), b.tcp(false, S | A, seq: 900, ack: 101, at: start + 0.01),
                b.tcp(true, A, seq: 101, ack: 901, at: start + 0.02),
                b.tcp(true, P | A, seq: 101, ack: 901, len: 300, at: start + 0.03),
                b.tcp(false, P | A, seq: 901, ack: 401, len: 1200, at: start + 0.04),
                b.tcp(true, F | A, seq: 401, ack: 2101, at: start + 0.05),
                b.tcp(false, F | A, seq: 2101, ack: 402, at: start + 0.06)]
    }

    /// TLS facts of a client with this certificate subject (TLS 1.2 sends it in the clear)
    /// and/or this hello (its JA4).
    private static func facts(subject: String? = nil, hello: TLSClientHello? = nil) -> () -> TLSFacts {
        {
            let f = TLSFacts()
            f.clientSide = .originator
            f.clientHello = hello
            if let subject {
                var c = TLSCertificateSummary()
                c.subject = subject
                f.clientCertificates = [c]
            }
            return f
        }
    }

    /// A distinct client build per `n`: the spec's hello with a different cipher list.
    private static func hello(_ n: Int) -> TLSClientHello {
        var h = TLSJA4Tests.specHello()
        h.ciphers = Array(h.ciphers.prefix(4 + n % 11))
        if n >= 11 { h.alpn = [] }
        return h
    }

    private func item(_ f: Finding?, _ name: String) -> EvidenceItem? {
        f?.evidence.first { $0.name == name }
    }

    // MARK: One autonomous system

    func testControllersInOneSmallASAreSharedAS() throws {
        var specs: [UInt16: FactsByClientPort.Spec] = [:]
        // Three laptops, three controllers, one hosting AS (AS64499, 203.0.113.0/24).
        var packets: [Packet] = []
        for (i, ctl) in ["203.0.113.10", "203.0.113.20", "203.0.113.30"].enumerated() {
            packets += rdp("10.0.0.\(i + 1)", from: ctl, start: 1000 + Double(i) * 100, &specs)
        }
        let (_, findings) = try detect(packets, specs, intel: try asnIntel())
        XCTAssertEqual(findings.count, 3)
        for f in findings {
            let shared = try XCTUnwrap(item(f, "shared_as"), "\(f.endpoint)")
            XCTAssertEqual(shared.weight, DetectionConfiguration().weights.sharedAs)
            XCTAssertEqual(shared.value, .text("AS64499 Example Hosting GmbH: 3 driven hosts"))
            XCTAssertEqual(shared.uids.count, 3)
            XCTAssertNil(item(f, "shared_controller"))
        }
    }

    func testTwoLaptopsInABroadCloudASAreNotASharedAS() throws {
        var specs: [UInt16: FactsByClientPort.Spec] = [:]
        var packets: [Packet] = []
        for (i, ctl) in ["203.0.113.10", "203.0.113.20", "203.0.113.30"].enumerated() {
            packets += rdp("10.0.0.\(i + 1)", from: ctl, start: 1000 + Double(i) * 100, &specs)
        }
        // The same AS marked as a broad cloud: reported, never scored.
        var c = DetectionConfiguration()
        c.farm.broadAsns = [64499]
        let (_, broad) = try detect(packets, specs, configuration: c, intel: try asnIntel())
        for f in broad { XCTAssertEqual(try XCTUnwrap(item(f, "shared_as")).weight, 0) }
        // Two laptops only, in an ordinary AS: below shared_as_hosts.
        nextPort = 41_000
        var two: [UInt16: FactsByClientPort.Spec] = [:]
        let pair = rdp("10.0.0.1", from: "203.0.113.10", &two) + rdp("10.0.0.2", from: "203.0.113.20", start: 1100, &two)
        let (_, few) = try detect(pair, two, intel: try asnIntel())
        XCTAssertEqual(few.count, 2)
        XCTAssertTrue(few.allSatisfy { item($0, "shared_as") == nil })
        // No ASN database: no AS pattern at all, and the scores are what they were.
        let (_, none) = try detect(packets, specs)
        XCTAssertTrue(none.allSatisfy { item($0, "shared_as") == nil })
    }

    func testOneSharedControllerIsNotCountedAgainAsItsAS() throws {
        var specs: [UInt16: FactsByClientPort.Spec] = [:]
        var packets: [Packet] = []
        for i in 0..<3 { packets += rdp("10.0.0.\(i + 1)", from: "203.0.113.10", start: 1000 + Double(i) * 100, &specs) }
        let (_, findings) = try detect(packets, specs, intel: try asnIntel())
        for f in findings {
            XCTAssertEqual(try XCTUnwrap(item(f, "shared_controller")).weight, DetectionConfiguration().weights.sharedInfrastructure)
            XCTAssertEqual(try XCTUnwrap(item(f, "shared_as")).weight, 0)
        }
    }

    func testFarmSectionIsConfigurable() throws {
        let c = try DetectionConfiguration.parse("""
            farm:
              vpn_asns: [64501]
              broad_asns: []
            weights:
              shared_as: 12
            thresholds:
              alternation_min_ja4: 2
            """, source: "test.yaml")
        XCTAssertEqual(c.farm.vpnAsns, [64501])
        XCTAssertEqual(c.farm.broadAsns, [])
        XCTAssertEqual(c.farm.vpnListKinds, DetectionConfiguration().farm.vpnListKinds)
        XCTAssertEqual(c.weights.sharedAs, 12)
        XCTAssertEqual(c.thresholds.alternationMinJa4, 2)
        XCTAssertThrowsError(try DetectionConfiguration.parse("farm:\n  vpn_asn: [1]\n", source: "typo.yaml"))
    }

    // MARK: Identities behind one address

    func testSeveralClientCertificatesBehindOneAddress() throws {
        var specs: [UInt16: FactsByClientPort.Spec] = [:]
        var packets = rdp("192.0.2.20", from: "203.0.113.10", &specs)
        for (i, cn) in ["CN=laptop-anna", "CN=laptop-ben", "CN=laptop-cho"].enumerated() {
            packets += tls(from: "192.0.2.20", start: 2000 + Double(i), Self.facts(subject: cn), &specs)
        }
        let (sink, findings) = try detect(packets, specs)
        let certs = try XCTUnwrap(item(findings.first, "client_certificates"))
        XCTAssertEqual(certs.weight, DetectionConfiguration().weights.manyClientCertificates)
        XCTAssertEqual(certs.value, .text("3: CN=laptop-anna; CN=laptop-ben; CN=laptop-cho"))
        XCTAssertEqual(certs.uids.count, 3)
        XCTAssertEqual(sink.identitiesNotKept, 0)
    }

    func testOneMachinesTwoCertificatesAndTwoBrowsersAreNoFarm() throws {
        var specs: [UInt16: FactsByClientPort.Spec] = [:]
        var packets = rdp("192.0.2.20", from: "203.0.113.10", &specs)
        // A machine certificate and a user certificate; two browsers (each with and without
        // ALPN), repeated over many connections.
        for i in 0..<40 {
            let subject = i % 2 == 0 ? "CN=WS-0042.corp.example" : "CN=anna@corp.example"
            packets += tls(from: "192.0.2.20", start: 2000 + Double(i), Self.facts(subject: subject, hello: Self.hello([0, 1, 11, 12][i % 4])), &specs)
        }
        let (_, findings) = try detect(packets, specs)
        let f = try XCTUnwrap(findings.first)
        XCTAssertNil(item(f, "client_certificates"))
        XCTAssertNil(item(f, "ja4_fingerprints"))
    }

    func testManyClientBuildsBehindOneAddress() throws {
        var specs: [UInt16: FactsByClientPort.Spec] = [:]
        var packets = rdp("192.0.2.20", from: "203.0.113.10", &specs)
        for i in 0..<14 { packets += tls(from: "192.0.2.20", start: 2000 + Double(i), Self.facts(hello: Self.hello(i)), &specs) }
        let (_, findings) = try detect(packets, specs)
        let ja4 = try XCTUnwrap(item(findings.first, "ja4_fingerprints"))
        XCTAssertEqual(ja4.weight, DetectionConfiguration().weights.manyJa4)
        guard case .text(let text) = ja4.value else { return XCTFail("\(ja4.value)") }
        XCTAssertTrue(text.hasPrefix("14: t13d"), text)
    }

    func testSeveralDHCPHostNamesOnOneAddress() throws {
        var specs: [UInt16: FactsByClientPort.Spec] = [:]
        var packets = rdp("10.0.0.5", from: "203.0.113.10", &specs)
        // A DHCP server's ACKs giving 10.0.0.5 to three machines, and one machine renewing often.
        func acks(_ names: [String]) -> () -> DHCPFacts {
            {
                let f = DHCPFacts(version: 4)
                for (i, n) in names.enumerated() {
                    f.add(DHCPv4Message(DHCPTestBytes.ack(xid: UInt32(i + 1), mac: UInt64(0x0200_0000_0001 + i),
                                                          yourAddress: [10, 0, 0, 5], hostName: n))!, at: 0)
                }
                return f
            }
        }
        var b = PacketBuilder()
        b.client = IPAddress("10.0.0.1")!
        b.server = IPAddress("10.0.0.255")!
        b.clientPort = 67
        specs[67] = .init(dhcp: acks(["DESKTOP-A1", "DESKTOP-B2", "DESKTOP-C3"]))
        packets.append(b.udp(true, len: 300, at: 1500))
        let (_, findings) = try detect(packets, specs)
        let names = try XCTUnwrap(item(findings.first, "dhcp_host_names"))
        XCTAssertEqual(names.weight, DetectionConfiguration().weights.manyHostNames)
        XCTAssertEqual(names.value, .text("3: DESKTOP-A1; DESKTOP-B2; DESKTOP-C3"))

        specs[67] = .init(dhcp: acks(Array(repeating: "DESKTOP-A1", count: 6)))
        let (_, renewing) = try detect(packets, specs)
        XCTAssertNil(item(renewing.first, "dhcp_host_names"))
    }

    func testIdentityTableIsBoundedAndCounts() throws {
        var c = DetectionConfiguration()
        c.limits.maxAddressesWithIdentities = 2
        c.limits.maxIdentitiesPerAddress = 4
        c.thresholds.identitiesPerAddress = 4
        c.thresholds.hostNamesPerAddress = 3
        c.thresholds.clientCertificatesPerAddress = 3
        c.thresholds.ja4PerAddress = 4
        var specs: [UInt16: FactsByClientPort.Spec] = [:]
        var packets: [Packet] = []
        for i in 0..<10 { packets += tls(from: "192.0.2.20", start: 2000 + Double(i), Self.facts(subject: "CN=m\(i)"), &specs) }
        for i in 0..<3 { packets += tls(from: "192.0.2.\(30 + i)", start: 3000 + Double(i), Self.facts(subject: "CN=x"), &specs) }
        let (sink, _) = try detect(packets, specs, configuration: c)
        // 6 certificates past the cap at .20; .31 and .32 (a stack and a certificate each)
        // found the table full.
        XCTAssertEqual(sink.identitiesNotKept, 6 + 4)
        c.thresholds.ja4PerAddress = 5
        XCTAssertThrowsError(try DetectionSink(next: CollectingSink(), configuration: c))
    }

    /// Real handshakes: the mutual-TLS fixture's client certificate and JA4 (as its sidecar,
    /// from tshark and openssl, has them), and the DHCP fixture's host name at its leased address.
    func testIdentitiesFromRealHandshakes() throws {
        var table = IdentityTable(maxAddresses: 64, maxPerAddress: 16)
        for name in ["tls/tls12-mutual", "names/dhcp"] {
            for f in try analyzeCapture(TestEnvironment.capture("fixtures/\(name).pcap"), dissectors: StandardDissectors()).flows {
                table.note(f) { FlowRecordWriter.uid(f) }
            }
        }
        let tls = try XCTUnwrap(table.entry(IPAddress("127.0.0.1")!))
        XCTAssertEqual(tls.kept[IdentityKind.clientCertificate.rawValue].map(\.value), ["CN=client.lab.example,O=Farmwatch Lab,C=NL"])
        XCTAssertEqual(tls.kept[IdentityKind.ja4.rawValue].map(\.value), ["t12d2808h2_d943125447b4_e7e480e5a997"])

        let truth = try NameTruth.sidecar(TestEnvironment.capture("fixtures/names/dhcp.pcap"))
        let ack = try XCTUnwrap(truth.frames.first { $0.first("dhcp.option.dhcp") == "5" })
        let discover = try XCTUnwrap(truth.frames.first { $0.first("dhcp.option.dhcp") == "1" })
        let leased = try XCTUnwrap(table.entry(IPAddress(ack.first("dhcp.ip.your")!)!))
        XCTAssertEqual(leased.kept[IdentityKind.dhcpHostName.rawValue].map(\.value), [discover.first("dhcp.option.hostname")])
    }

    // MARK: Alternating between a residential line and a VPN exit

    private func vpnList() throws -> AddressList {
        try AddressList.parse(Array("198.18.1.0/24\n".utf8), source: "test", name: "astrill", kind: "vpn-exit")
    }

    func testCertificateSeenFromHomeAndFromAVPNExitAlternates() throws {
        var specs: [UInt16: FactsByClientPort.Spec] = [:]
        var packets = rdp("192.0.2.20", from: "203.0.113.10", &specs)
        packets += tls(from: "192.0.2.20", start: 2000, Self.facts(subject: "CN=laptop-anna"), &specs)
        packets += tls(from: "198.18.1.7", start: 3000, Self.facts(subject: "CN=laptop-anna"), &specs)
        let (_, findings) = try detect(packets, specs, intel: try asnIntel(lists: [try vpnList()]))
        let alt = try XCTUnwrap(item(findings.first, "alternating_identity"))
        XCTAssertEqual(alt.weight, DetectionConfiguration().weights.alternatingIdentity)
        XCTAssertEqual(alt.value, .text("client certificate CN=laptop-anna from 192.0.2.20 and from 198.18.1.7;"
                                        + " 198.18.1.7 is a VPN exit (list astrill (vpn-exit))"))
        XCTAssertEqual(alt.uids.count, 2)
    }

    func testVPNMarkedASAndJA4SetAlternate() throws {
        var specs: [UInt16: FactsByClientPort.Spec] = [:]
        var packets = rdp("192.0.2.20", from: "203.0.113.10", &specs)
        // The same three uncommon builds from home and from an address in a marked VPN AS.
        for i in 0..<3 {
            packets += tls(from: "192.0.2.20", start: 2000 + Double(i), Self.facts(hello: Self.hello(i + 3)), &specs)
            packets += tls(from: "198.18.1.7", start: 3000 + Double(i), Self.facts(hello: Self.hello(i + 3)), &specs)
        }
        var c = DetectionConfiguration()
        c.farm.vpnAsns = [64501]
        let (_, findings) = try detect(packets, specs, configuration: c, intel: try asnIntel())
        let alt = try XCTUnwrap(item(findings.first, "alternating_ja4_set"))
        XCTAssertEqual(alt.weight, c.weights.alternatingJa4Set)
        guard case .text(let text) = alt.value else { return XCTFail() }
        XCTAssertTrue(text.contains("3 uncommon JA4s") && text.contains("AS64501"), text)
        // Without the mark the AS is just another network: nothing alternates.
        let (_, unmarked) = try detect(packets, specs, intel: try asnIntel())
        XCTAssertNil(item(unmarked.first, "alternating_ja4_set"))
    }

    func testIdentityAtTwoOrdinaryAddressesOrPopularBuildsDoNotAlternate() throws {
        var specs: [UInt16: FactsByClientPort.Spec] = [:]
        var packets = rdp("192.0.2.20", from: "203.0.113.10", &specs)
        // Home and office: the same certificate from two addresses, neither a VPN exit.
        packets += tls(from: "192.0.2.20", start: 2000, Self.facts(subject: "CN=laptop-anna"), &specs)
        packets += tls(from: "192.0.2.140", start: 2001, Self.facts(subject: "CN=laptop-anna"), &specs)
        // A popular browser build: seen from home, the VPN exit and many other addresses.
        var c = DetectionConfiguration()
        c.thresholds.ja4CommonAddresses = 4
        for (i, a) in ["192.0.2.20", "198.18.1.7", "192.0.2.50", "192.0.2.51", "192.0.2.52"].enumerated() {
            for k in 0..<3 { packets += tls(from: a, start: 3000 + Double(i * 3 + k), Self.facts(hello: Self.hello(k)), &specs) }
        }
        let (_, findings) = try detect(packets, specs, configuration: c, intel: try asnIntel(lists: [try vpnList()]))
        let f = try XCTUnwrap(findings.first)
        XCTAssertNil(item(f, "alternating_identity"))
        XCTAssertNil(item(f, "alternating_ja4_set"))
    }
}

/// DHCPv4 messages as RFC 2131 lays them out (fixed 236-byte header, magic cookie 99.130.83.99,
/// options from RFC 2132: 53 message type, 12 host name, 255 end).
enum DHCPTestBytes {
    static func ack(xid: UInt32, mac: UInt64, yourAddress: [UInt8], hostName: String) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 236)
        b[0] = 2; b[1] = 1; b[2] = 6                      // op BOOTREPLY, htype Ethernet, hlen 6
        for i in 0..<4 { b[4 + i] = UInt8(truncatingIfNeeded: xid >> (24 - 8 * UInt32(i))) }
        for i in 0..<4 { b[16 + i] = yourAddress[i] }    // yiaddr
        for i in 0..<6 { b[28 + i] = UInt8(truncatingIfNeeded: mac >> (40 - 8 * UInt64(i))) }   // chaddr
        b += [99, 130, 83, 99, 53, 1, 5, 12, UInt8(hostName.utf8.count)] + Array(hostName.utf8) + [255]
        return b
    }
}

extension DHCPv4Message {
    init?(_ bytes: [UInt8]) {
        guard let m = bytes.withUnsafeBytes({ DHCPv4Message($0) }) else { return nil }
        self = m
    }
}
