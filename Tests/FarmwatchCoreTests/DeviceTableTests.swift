import Foundation
import XCTest
@testable import FarmwatchCore

/// The device table: keys, caps, the OUI lookup and the records written at the end of a run.
final class DeviceTableTests: XCTestCase {
    func testOUILookupMostSpecificBlockFirst() {
        XCTAssertEqual(OUIVendors.vendor(for: 0x001B_2100_0001), "Intel")                     // MA-L
        XCTAssertEqual(OUIVendors.vendor(for: 0xD830_6256_001C), "Apple")                     // MA-L
        XCTAssertEqual(OUIVendors.vendor(for: 0x2085_93B1_2345), "IOG Products")              // MA-M 20:85:93:B
        XCTAssertEqual(OUIVendors.vendor(for: 0x70B3_D5F2_F123), "TELEPLATFORMS")             // MA-S 70:B3:D5:F2:F
        // The MA-L blocks the IEEE subdivides name no maker: an unassigned part of one is unknown.
        XCTAssertNil(OUIVendors.vendor(for: 0x70B3_D5FF_FFFF))
        XCTAssertNil(OUIVendors.vendor(for: 0xFFFF_FF00_0000))
        XCTAssertTrue(OUIVendors.source.hasPrefix("Debian ieee-data"))
    }

    func testKeysAndCaps() {
        let t = DeviceTable(capacity: 3)
        let a = t.device(mac: 0x0011_2233_4455, address: IPAddress("192.0.2.5")!, at: 10, .dhcpClient)
        XCTAssertTrue(a === t.device(mac: 0x0011_2233_4455, address: IPAddress("192.0.2.6")!, at: 20, .mdnsResponse))
        XCTAssertEqual(a?.addresses.items.map(\.description), ["192.0.2.5", "192.0.2.6"])
        XCTAssertEqual(a?.firstSeenNs, 10)
        XCTAssertEqual(a?.lastSeenNs, 20)
        // Without a MAC the address is the key; unspecified and multicast addresses key nothing.
        let b = t.device(mac: 0, address: IPAddress("2001:db8::7")!, at: 30, .ssdpNotify)
        XCTAssertNotNil(b)
        XCTAssertTrue(b === t.device(mac: 0, address: IPAddress("2001:db8::7")!, at: 31, .ssdpNotify))
        XCTAssertNil(t.device(mac: 0, address: IPAddress("0.0.0.0")!, at: 32, .dhcpClient))
        XCTAssertNil(t.device(mac: 0, address: IPAddress("224.0.0.251")!, at: 32, .mdnsQuery))
        // A flood of new MACs: the table keeps its cap and counts the rest.
        for i in 0..<10_000 { _ = t.device(mac: 0x0200_0000_0000 | UInt64(i), address: .zero, at: 40, .dhcpClient) }
        XCTAssertEqual(t.devices.count, 3)
        XCTAssertEqual(t.untracked, 9_999)
        // Each device's lists are capped too.
        for i in 0..<1000 {
            a?.hostNames.insert(Array("name\(i)".utf8))
            a?.noteAddress(IPAddress(v4: 0x0A00_0000 | UInt32(i)))
            a?.updateService(Array("svc\(i)._http._tcp.local".utf8)) { $0.port = UInt16(i) }
        }
        XCTAssertEqual(a?.hostNames.items.count, Device.maxNames)
        XCTAssertEqual(a?.addresses.items.count, Device.maxAddresses)
        XCTAssertEqual(a?.services.items.count, Device.maxServices)
        // An update reaches a service already kept.
        a?.updateService(Array("svc0._http._tcp.local".utf8)) { $0.txt = [Array("k=v".utf8)] }
        XCTAssertEqual(a?.services.items.first?.txt.first?.text, "k=v")
    }

    /// The records written at the end of a JSON run, with hostile names escaped, and the
    /// summary section.
    func testRecordsAndSummary() throws {
        let d = StandardDissectors(context: DissectorContext(devices: DeviceTable(capacity: 1)))
        let dev = try XCTUnwrap(d.context.devices.device(mac: 0x001B_210A_0B0C, address: IPAddress("192.0.2.20")!, at: 1_500_000_000, .dhcpClient))
        dev.hostNames.insert([0x1B] + Array("[31mevil\"\n".utf8) + [0xFF])
        var p = DHCPClientProfile()
        p.vendorClass = Array("MSFT 5.0".utf8)
        p.parameterList = [1, 3, 6]
        dev.dhcp = p
        dev.updateService(Array("Box._ipp._tcp.local".utf8)) { $0.port = 631; $0.txt = [Array("ty=Box".utf8)] }
        _ = d.context.devices.device(mac: 0x0200_0000_0001, address: .zero, at: 1, .dhcpClient)   // over the cap

        let w = JSONWriter(stream: nil)
        d.writeRunRecords(to: w)
        let lines = w.buffer.split(separator: 0x0A).map { try! JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] }
        XCTAssertEqual(lines.count, 2)
        let r = lines[0]
        XCTAssertEqual(r["type"] as? String, "device")
        XCTAssertEqual(r["mac"] as? String, "00:1b:21:0a:0b:0c")
        XCTAssertEqual(r["vendor"] as? String, "Intel")
        XCTAssertEqual(r["ips"] as? [String], ["192.0.2.20"])
        XCTAssertEqual(r["evidence"] as? [String], ["dhcp:client"])
        XCTAssertEqual((r["dhcp"] as? [String: Any])?["vendor_class"] as? String, "MSFT 5.0")
        XCTAssertEqual((r["mdns_services"] as? [[String: Any]])?.first?["port"] as? Int, 631)
        XCTAssertEqual((r["host_names"] as? [String])?.first?.hasPrefix("\u{1B}[31mevil\"\n"), true)
        XCTAssertFalse(w.buffer.contains(0x1B), "no raw escape byte reaches the output")
        XCTAssertEqual(lines[1]["type"] as? String, "device_table_full")
        XCTAssertEqual(lines[1]["untracked_sightings"] as? Int, 1)

        let summary = d.runSummary()
        XCTAssertTrue(summary.contains("Devices: 1"))
        XCTAssertTrue(summary.contains("00:1b:21:0a:0b:0c  Intel  192.0.2.20"))
        XCTAssertFalse(summary.unicodeScalars.contains { $0.value == 0x1B })
        XCTAssertEqual(NoDissectors().runSummary(), "")
    }

    /// Every corpus capture: the table stays within its caps, every device record is valid
    /// JSON, and a device's DHCP host names are the ones tshark read from that client's
    /// messages (its hardware address).
    func testCorpusDevicesAgreeWithTsharkDHCP() throws {
        let corpus = try TestEnvironment.requireCorpus()
        var checked = 0
        for run in try NameTruth.corpusRuns() {
            var byMAC: [String: Set<String>] = [:]
            for f in run.truth.frames where f.carries("dhcp")
                && f.first("dhcp.option.dhcp").map({ ["1", "3", "8"].contains($0) }) == true {
                guard let mac = f.first("dhcp.hw.mac_addr") else { continue }
                byMAC[mac, default: []].formUnion(f.values("dhcp.option.hostname"))
            }
            guard !byMAC.isEmpty else { continue }
            let context = DissectorContext()
            _ = try analyzeCapture(corpus.appendingPathComponent(run.path).path, dissectors: StandardDissectors(context: context))
            XCTAssertLessThanOrEqual(context.devices.devices.count, DeviceTable.defaultCapacity)
            let w = JSONWriter(stream: nil)
            DeviceRecordWriter.write(context.devices, to: w)
            for line in w.buffer.split(separator: 0x0A) { XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line))) }
            for (mac, names) in byMAC where !names.isEmpty {
                let d = context.devices.devices.first { FlowRecordWriter.macString($0.mac) == mac }
                XCTAssertEqual(d?.dhcp?.hostName.map { Set([$0.text]) }?.isSubset(of: names), true, "\(run.path) \(mac)")
                checked += 1
            }
        }
        print("devices: DHCP host names of \(checked) corpus clients checked")
        XCTAssertGreaterThan(checked, 0)
    }
}
