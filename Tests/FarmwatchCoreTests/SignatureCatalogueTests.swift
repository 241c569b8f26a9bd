import XCTest
@testable import FarmwatchCore

/// The catalogue's format, its errors, and what each kind of signature matches.
final class SignatureCatalogueTests: XCTestCase {
    func testBuiltInCatalogueLoadsAndCoversTheVocabulary() throws {
        let c = try SignatureCatalogue.builtIn()
        XCTAssertGreaterThan(c.signatures.count, 100)
        let families = Set(c.signatures.map(\.family))
        // Families whose recognition rests on names only must have some.
        for f: Family in [.anydesk, .teamviewer, .rustdesk, .chromeRemoteDesktop, .splashtop, .screenconnect,
                          .parsec, .zohoAssist, .logmein, .quickAssist, .todesk, .sunlogin, .ultraviewer, .kvm] {
            XCTAssertTrue(families.contains(f), "no signature for \(f.rawValue)")
        }
        XCTAssertTrue(c.signatures.allSatisfy { $0.origin.hasPrefix("signatures.catalogue:") })
    }

    func testMalformedLinesNameFileAndLine() {
        let cases: [(String, String)] = [
            ("anydesk domain ok.example\nfoo domain x\n", "f:2: unknown family 'foo'"),
            ("anydesk website x\n", "f:1: unknown kind 'website'"),
            ("anydesk domain\n", "f:1: expected `family kind pattern"),
            ("rdp port tcp/99999\n", "f:1: a port is"),
            ("rdp port 3389\n", "f:1: a port is"),
            ("kvm oui zz:zz:zz\n", "f:1: an OUI is"),
            ("anydesk ja4 t13d\n", "f:1: a JA4 looks like"),
            ("teamviewer ip 37.252.224.0/33\n", "f:1: an ip is"),
            ("teamviewer ip teamviewer.com\n", "f:1: an ip is"),
            ("kvm http-title \"PiKVM\n", "f:1: unterminated quote"),
            ("kvm http-title PiKVM confidence=sure\n", "f:1: confidence must be"),
            ("kvm http-title PiKVM colour=red\n", "f:1: unknown key 'colour'"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try SignatureCatalogue.parse(text, file: "f")) { e in
                XCTAssertTrue("\(e)".hasPrefix(expected), "\(e) should start with \(expected)")
            }
        }
    }

    func testCommentsQuotesAndOptions() throws {
        let c = try SignatureCatalogue.parse("""
            # a comment line

            kvm  cert  "O=PiKVM"  product="PiKVM v4"   # trailing comment
            anydesk domain *.anydesk.com confidence=low
            """, file: "mine")
        XCTAssertEqual(c.signatures.count, 2)
        XCTAssertEqual(c.signatures[0].pattern, "O=PiKVM")
        XCTAssertEqual(c.signatures[0].product, "PiKVM v4")
        XCTAssertEqual(c.signatures[0].origin, "mine:3")
        XCTAssertEqual(c.signatures[1].confidence, .low)
        XCTAssertEqual(String(decoding: c.signatures[1].bytes, as: UTF8.self), "anydesk.com")
    }

    func testDomainsMatchAtLabelBoundariesAndGlobs() throws {
        let m = SignatureMatcher(try SignatureCatalogue.parse("""
            anydesk domain anydesk.com
            tailscale domain derp*.tailscale.com
            """, file: "t"))
        XCTAssertEqual(m.domains(Array("relay-1a2b3c4d.net.AnyDesk.com.".utf8)).map(\.family), [.anydesk])
        XCTAssertEqual(m.domains(Array("anydesk.com".utf8)).map(\.family), [.anydesk])
        XCTAssertTrue(m.domains(Array("notanydesk.com".utf8)).isEmpty)
        XCTAssertTrue(m.domains(Array("anydesk.com.evil.example".utf8)).isEmpty)
        XCTAssertEqual(m.domains(Array("derp12.tailscale.com".utf8)).map(\.family), [.tailscale])
        XCTAssertTrue(m.domains(Array("login.tailscale.com".utf8)).isEmpty)
    }

    func testOtherKinds() throws {
        let m = SignatureMatcher(try SignatureCatalogue.parse("""
            anydesk alpn anydesk/
            anydesk cert "CN=AnyDesk Client"
            kvm hostname jetkvm-*
            kvm mdns-service _pikvm._tcp
            kvm oui 04:C9:8B:1
            kvm http-title PiKVM
            rdp port tcp/3389
            moonlight port udp/47998-48000
            teamviewer ip 37.252.224.0/19
            cloudflare-warp ip 2606:4700:100::/48
            """, file: "t"))
        XCTAssertEqual(m.networks(containing: IPAddress("37.252.230.7")!).map(\.family), [.teamviewer])
        XCTAssertTrue(m.networks(containing: IPAddress("37.253.0.1")!).isEmpty)
        XCTAssertEqual(m.networks(containing: IPAddress("2606:4700:100::1")!).map(\.family), [.cloudflareWarp])
        XCTAssertEqual(m.alpn(Array("anydesk/6.2.0/linux".utf8)).count, 1)
        XCTAssertTrue(m.alpn(Array("AnyDesk/6".utf8)).isEmpty, "ALPN is compared byte for byte")
        XCTAssertEqual(m.containing(.cert, in: Array("C=DE, CN=anydesk client".utf8)).count, 1)
        XCTAssertEqual(m.hostname(Array("JetKVM-a1b2c3.local.".utf8)).count, 1)
        XCTAssertTrue(m.hostname(Array("jetkvm".utf8)).isEmpty)
        XCTAssertEqual(m.mdnsService(Array("pikvm-123._pikvm._tcp.local".utf8)).count, 1)
        XCTAssertEqual(m.oui(0x04C9_8B1A_BCDE).count, 1)
        XCTAssertTrue(m.oui(0x04C9_8B2A_BCDE).isEmpty, "28-bit block: the 7th digit counts")
        XCTAssertEqual(m.containing(.httpTitle, in: Array("pikvm login".utf8)).count, 1)
        XCTAssertEqual(m.ports(proto: IPProto.tcp, 3389).count, 1)
        XCTAssertTrue(m.ports(proto: IPProto.udp, 3389).isEmpty)
        XCTAssertEqual(m.ports(proto: IPProto.udp, 47999).count, 1)
    }

    func testGlobHasNoPathologicalBacktracking() {
        let pattern = Array(String(repeating: "a*", count: 30).utf8) + [UInt8(ascii: "b")]
        XCTAssertFalse(SignatureMatcher.glob(pattern, Array(repeating: UInt8(ascii: "a"), count: 5_000)))
    }

    /// A device named like a PiKVM with a Raspberry Pi MAC is a KVM; a Raspberry Pi MAC alone
    /// is only evidence, never a verdict.
    func testDevicesBecomeKVMsOnNamesNotOnARaspberryPiOUIAlone() throws {
        let m = SignatureMatcher(try SignatureCatalogue.builtIn())
        let table = DeviceTable()
        let pikvm = table.device(mac: 0xDCA6_3201_0203, address: IPAddress(v4: 0xC000_020A), at: 1, .dhcpClient)!
        pikvm.hostNames.insert(Array("pikvm".utf8))
        pikvm.dhcp = DHCPClientProfile(hostName: Array("pikvm".utf8))
        let pi = table.device(mac: 0xDCA6_3201_0204, address: IPAddress(v4: 0xC000_020B), at: 1, .dhcpClient)!
        pi.hostNames.insert(Array("raspberrypi".utf8))
        KVMClassifier.classify(table, m)
        XCTAssertEqual(pikvm.kvm?.product, "PiKVM")
        XCTAssertEqual(pikvm.kvm?.confidence, .medium)
        XCTAssertEqual(Set(pikvm.kvmEvidence.map(\.identifiedBy)), [.dhcp, .oui])
        XCTAssertNil(pi.kvm)
        XCTAssertEqual(pi.kvmEvidence.map(\.identifiedBy), [.oui])
    }
}

/// The catalogue at work on whole captures.
final class FlowSignatureClassifierTests: XCTestCase {
    private func standard() throws -> StandardDissectors {
        StandardDissectors(context: DissectorContext(signatures: SignatureMatcher(try SignatureCatalogue.builtIn())))
    }

    /// nDPI's AnyDesk capture: AnyDesk's TLS carries `anydesk/…` ALPN and philandro
    /// certificates, on ports nobody would guess; its DNS lookups name AnyDesk's relays.
    func testAnyDeskIsNamedByALPNCertificatesAndDNS() throws {
        let corpus = try TestEnvironment.requireCorpus()
        let path = corpus.appendingPathComponent("pcaps/ndpi__anydesk.pcapng").path
        let flows = try analyzeCapture(path, dissectors: try standard()).flows
        let stacks = flows.compactMap { $0.metadata?.protocols.map(\.family) }
        XCTAssertTrue(stacks.contains([.tls, .anydesk]), "\(stacks)")
        XCTAssertTrue(stacks.contains([.dns, .anydesk]), "\(stacks)")
        let ways = Set(flows.flatMap { $0.metadata?.recognitions.filter { $0.family == .anydesk }.map(\.identifiedBy) ?? [] })
        XCTAssertTrue(ways.isSuperset(of: [.tlsALPN, .tlsCert, .dnsQuery]), "\(ways)")
        for f in flows {
            for r in f.metadata?.recognitions ?? [] where r.identifiedBy != .payload {
                XCTAssertNotNil(r.evidence, "a catalogue match says what matched")
            }
        }
    }

    /// A port is a hint: it shows in `recognitions`, never in `protocols`; a flow whose own
    /// bytes prove the family keeps one entry, recognised by payload.
    func testPortAloneNeverMakesAProtocol() throws {
        let catalogue = try SignatureCatalogue.parse("tls port tcp/443\nssh port tcp/22\n", file: "t")
        let dissectors = StandardDissectors(context: DissectorContext(signatures: SignatureMatcher(catalogue)))
        let flows = try analyzeCapture(TestEnvironment.capture("lab-basic.pcap"), dissectors: dissectors).flows
        // The lab's refused connection to port 443 carries no payload.
        let refused = try XCTUnwrap(flows.first { $0.responderPort == 443 })
        XCTAssertEqual(refused.connState, "REJ")
        XCTAssertEqual(refused.metadata?.recognitions.map(\.identifiedBy), [.portHint])
        XCTAssertEqual(refused.metadata?.protocols.count, 0)
        let ssh = flows.filter { $0.responderPort == 22 }
        XCTAssertEqual(ssh.count, 2)
        for f in ssh {
            XCTAssertEqual(f.metadata?.recognitions.map(\.family), [.ssh])
            XCTAssertEqual(f.metadata?.recognitions.map(\.identifiedBy), [.payload])
        }
    }
}

/// The catalogue fixtures (scripts/make-catalogue-fixtures.sh): families no public corpus
/// has a capture of, each with near misses that only look alike.
final class CatalogueFixtureTests: XCTestCase {
    private struct NamesTruth: Decodable {
        struct Entry: Decodable { var name: String; var family: String? }
        var names: [Entry]
    }
    private struct DeviceTruth: Decodable {
        struct D: Decodable { var mac: String; var kvm: String? }
        var device: D
    }

    private func run(_ name: String) throws -> (flows: [FlowState], devices: DeviceTable) {
        let context = DissectorContext(signatures: SignatureMatcher(try SignatureCatalogue.builtIn()))
        let dissectors = StandardDissectors(context: context)
        let flows = try analyzeCapture(TestEnvironment.capture("fixtures/catalogue/\(name).pcap"), dissectors: dissectors).flows
        _ = dissectors.runSummary()  // runs the end-of-run device classification
        return (flows, context.devices)
    }

    private func truth<T: Decodable>(_ name: String, _ type: T.Type) throws -> T {
        let url = URL(fileURLWithPath: TestEnvironment.capture("fixtures/catalogue/\(name).truth.json"))
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    func testRemoteToolNamesInSNIAndDNSQuestions() throws {
        let (flows, _) = try run("remote-tool-names")
        let t = try truth("remote-tool-names", NamesTruth.self)
        for entry in t.names {
            let expected = entry.family.map { Family(rawValue: $0)! }
            let tls = flows.filter {
                $0.metadata?.facts(StandardDissectors.tlsSlot, as: TLSFacts.self)?.clientHello?.serverName
                    == Array(entry.name.utf8)
            }
            let dns = flows.filter {
                $0.metadata?.facts(StandardDissectors.dnsSlot, as: DNSFacts.self)?.transactions
                    .contains { $0.query == Array(entry.name.utf8) } == true
            }
            XCTAssertEqual(tls.count, 1, entry.name)
            XCTAssertEqual(dns.count, 1, entry.name)
            for (f, outer, by) in [(tls.first, Family.tls, IdentifiedBy.sni), (dns.first, .dns, .dnsQuery)] {
                let m = try XCTUnwrap(f?.metadata, entry.name)
                if let expected {
                    XCTAssertEqual(m.protocols.map(\.family), [outer, expected], entry.name)
                    XCTAssertEqual(m.protocols.last?.identifiedBy, by, entry.name)
                } else {
                    XCTAssertEqual(m.protocols.map(\.family), [outer], "near miss \(entry.name)")
                }
            }
        }
    }

    func testKVMDeviceAndNearMiss() throws {
        for name in ["kvm-pikvm", "kvm-near-miss"] {
            let (flows, devices) = try run(name)
            let t = try truth(name, DeviceTruth.self).device
            let d = try XCTUnwrap(devices.devices.first { FlowRecordWriter.macString($0.mac) == t.mac }, name)
            XCTAssertEqual(d.kvm?.product, t.kvm, name)
            let web = flows.filter { $0.responderPort == 80 || $0.responderPort == 443 }
            XCTAssertEqual(web.count, 2, name)
            for f in web {
                XCTAssertEqual(f.metadata?.protocols.contains { $0.family == .kvm }, t.kvm != nil, name)
            }
            if t.kvm != nil {
                XCTAssertEqual(Set(d.kvmEvidence.map(\.identifiedBy)), [.dhcp, .mdns, .httpTitle, .tlsCert, .oui])
            } else {
                XCTAssertEqual(d.kvmEvidence.map(\.identifiedBy), [.oui], "the Raspberry Pi OUI is noted, not a verdict")
            }
        }
    }
}
