import XCTest

@testable import FarmwatchCore

/// The fragment reassembler's limits and policy, on hand-built raw IPv4 fragments
/// (LINKTYPE_IPV4) whose header fields are all that matters here.
final class DecodeFragmentTests: XCTestCase {
    static let second: Int64 = 1_000_000_000

    /// An IPv4 fragment from 192.0.2.1 to 192.0.2.2; `data` starts `offset` bytes into the
    /// datagram.
    func fragment(id: UInt16, offset: Int, more: Bool, _ data: [UInt8], proto: UInt8 = 17, src: UInt8 = 1) -> [UInt8] {
        let total = 20 + data.count
        let flagsOffset = UInt16(offset / 8) | (more ? 0x2000 : 0)
        return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), UInt8(id >> 8), UInt8(id & 0xFF),
                UInt8(flagsOffset >> 8), UInt8(flagsOffset & 0xFF), 64, proto, 0, 0, 192, 0, 2, src, 192, 0, 2, 2] + data
    }

    /// A UDP datagram (header + payload) of `count` bytes whose payload bytes count up.
    func udpDatagram(_ count: Int) -> [UInt8] {
        [0x10, 0x00, 0x20, 0x00, UInt8(count >> 8), UInt8(count & 0xFF), 0, 0] + (0..<(count - 8)).map { UInt8($0 & 0xFF) }
    }

    func decode(_ decoder: inout PacketDecoder, _ frame: [UInt8], at ns: Int64 = 0, _ body: (Packet) -> Void = { _ in }) -> DecodeResult {
        var p = Packet()
        return frame.withUnsafeBytes { f in
            let r = decoder.decode(frame: f, linkType: LinkType.ipv4, timestampNs: ns, wireLength: f.count, into: &p)
            body(p)
            return r
        }
    }

    func testOutOfOrderFragmentsReassemble() {
        var decoder = PacketDecoder()
        let d = udpDatagram(64)
        XCTAssertEqual(decode(&decoder, fragment(id: 1, offset: 48, more: false, Array(d[48...]))), .fragmentHeld)
        XCTAssertEqual(decode(&decoder, fragment(id: 1, offset: 0, more: true, Array(d[0..<16]))), .fragmentHeld)
        XCTAssertEqual(decode(&decoder, fragment(id: 1, offset: 16, more: true, Array(d[16..<48]))) { p in
            XCTAssertTrue(p.reassembled)
            XCTAssertEqual(p.ipLength, 20 + 64)
            XCTAssertEqual(p.srcPort, 0x1000)
            XCTAssertEqual(p.dstPort, 0x2000)
            XCTAssertEqual(Array(p.payload), Array(d[8...]))
            XCTAssertEqual(p.payloadWireLength, 56)
        }, .ok)
        XCTAssertEqual(decoder.fragmentsInProgress, 0)
        XCTAssertEqual(decoder.takeExpiredFragmentCount(), 0)
    }

    func testOverlapAbandonsTheDatagram() {
        var decoder = PacketDecoder()
        let d = udpDatagram(64)
        XCTAssertEqual(decode(&decoder, fragment(id: 2, offset: 0, more: true, Array(d[0..<32]))), .fragmentHeld)
        XCTAssertEqual(decode(&decoder, fragment(id: 2, offset: 0, more: true, Array(d[0..<32]))), .fragmentHeld, "exact duplicate")
        XCTAssertEqual(decode(&decoder, fragment(id: 2, offset: 24, more: false, Array(d[24...]))), .error(.fragmentOverlap))
        XCTAssertEqual(decoder.takeExpiredFragmentCount(), 1, "the held first fragment was dropped")
        // The abandoned datagram refuses its remaining fragments until it times out...
        XCTAssertEqual(decode(&decoder, fragment(id: 2, offset: 32, more: false, Array(d[32...]))), .error(.fragmentOverlap))
        // ...after which the same key starts afresh.
        XCTAssertEqual(decode(&decoder, fragment(id: 2, offset: 0, more: true, Array(d[0..<32])), at: 31 * Self.second), .fragmentHeld)
        XCTAssertEqual(decode(&decoder, fragment(id: 2, offset: 32, more: false, Array(d[32...])), at: 31 * Self.second), .ok)
    }

    func testConflictingEndsAreOverlaps() {
        var decoder = PacketDecoder()
        XCTAssertEqual(decode(&decoder, fragment(id: 3, offset: 16, more: false, [UInt8](repeating: 1, count: 16))), .fragmentHeld)
        XCTAssertEqual(decode(&decoder, fragment(id: 3, offset: 40, more: true, [UInt8](repeating: 1, count: 8))), .error(.fragmentOverlap),
                       "data past the end fixed by the last fragment")
        XCTAssertEqual(decode(&decoder, fragment(id: 4, offset: 16, more: true, [UInt8](repeating: 1, count: 16))), .fragmentHeld)
        XCTAssertEqual(decode(&decoder, fragment(id: 4, offset: 8, more: false, [UInt8](repeating: 1, count: 8))), .error(.fragmentOverlap),
                       "a last fragment ending before data already held")
    }

    func testTimeoutRunsOnPacketTime() {
        var decoder = PacketDecoder(fragmentLimits: .init(timeoutNs: 10 * Self.second))
        let d = udpDatagram(32)
        XCTAssertEqual(decode(&decoder, fragment(id: 5, offset: 0, more: true, Array(d[0..<8])), at: 100 * Self.second), .fragmentHeld)
        XCTAssertEqual(decode(&decoder, fragment(id: 5, offset: 8, more: true, Array(d[8..<16])), at: 105 * Self.second), .fragmentHeld)
        XCTAssertEqual(decode(&decoder, fragment(id: 6, offset: 0, more: true, Array(d[0..<16])), at: 109 * Self.second), .fragmentHeld)
        XCTAssertEqual(decoder.fragmentsInProgress, 2)
        // Datagram 5 expires at 110 s (first fragment + 10 s); 6 lives on until 119 s.
        let unrelated: [UInt8] = [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
        XCTAssertEqual(decode(&decoder, unrelated, at: 110 * Self.second), .error(.truncatedTCP))
        XCTAssertEqual(decoder.takeExpiredFragmentCount(), 2)
        XCTAssertEqual(decoder.fragmentsInProgress, 1)
        XCTAssertEqual(decode(&decoder, fragment(id: 6, offset: 16, more: false, Array(d[16...])), at: 118 * Self.second), .ok)
        XCTAssertEqual(decode(&decoder, fragment(id: 5, offset: 16, more: false, Array(d[16...])), at: 118 * Self.second), .fragmentHeld,
                       "datagram 5 starts afresh")
    }

    func testTableFullRefusesNewDatagrams() {
        var decoder = PacketDecoder(fragmentLimits: .init(maxDatagrams: 2))
        let d = udpDatagram(16)
        XCTAssertEqual(decode(&decoder, fragment(id: 7, offset: 0, more: true, Array(d[0..<8]))), .fragmentHeld)
        XCTAssertEqual(decode(&decoder, fragment(id: 8, offset: 0, more: true, Array(d[0..<8]))), .fragmentHeld)
        XCTAssertEqual(decode(&decoder, fragment(id: 9, offset: 0, more: true, Array(d[0..<8]))), .error(.fragmentTableFull))
        // The datagrams in progress still complete, and free their slots.
        XCTAssertEqual(decode(&decoder, fragment(id: 7, offset: 8, more: false, Array(d[8...]))), .ok)
        XCTAssertEqual(decode(&decoder, fragment(id: 9, offset: 0, more: true, Array(d[0..<8]))), .fragmentHeld)
    }

    func testSizeAndMemoryLimits() {
        var decoder = PacketDecoder()
        XCTAssertEqual(decode(&decoder, fragment(id: 10, offset: 65_528, more: false, [UInt8](repeating: 0, count: 16))), .error(.fragmentTooLarge))

        // Two 2 KB chunks of arena: a datagram needing three is abandoned.
        var small = PacketDecoder(fragmentLimits: .init(maxDatagramSize: 4096, maxBufferedBytes: 4096))
        XCTAssertEqual(decode(&small, fragment(id: 11, offset: 0, more: true, [UInt8](repeating: 0, count: 8))), .fragmentHeld)
        XCTAssertEqual(decode(&small, fragment(id: 12, offset: 2048, more: true, [UInt8](repeating: 0, count: 8))), .fragmentHeld)
        XCTAssertEqual(decode(&small, fragment(id: 12, offset: 0, more: true, [UInt8](repeating: 0, count: 8))), .error(.fragmentTableFull))
        XCTAssertEqual(small.takeExpiredFragmentCount(), 1)
        // Its chunk went back: datagram 11 can still grow into two chunks.
        XCTAssertEqual(decode(&small, fragment(id: 11, offset: 2048, more: false, [UInt8](repeating: 0, count: 8))), .fragmentHeld)

        var fewPieces = PacketDecoder(fragmentLimits: .init(maxFragmentsPerDatagram: 2))
        XCTAssertEqual(decode(&fewPieces, fragment(id: 13, offset: 0, more: true, [UInt8](repeating: 0, count: 8))), .fragmentHeld)
        XCTAssertEqual(decode(&fewPieces, fragment(id: 13, offset: 8, more: true, [UInt8](repeating: 0, count: 8))), .fragmentHeld)
        XCTAssertEqual(decode(&fewPieces, fragment(id: 13, offset: 16, more: false, [UInt8](repeating: 0, count: 8))), .error(.fragmentTableFull))
    }

    func testBadFragmentLengths() {
        var decoder = PacketDecoder()
        XCTAssertEqual(decode(&decoder, fragment(id: 14, offset: 0, more: true, [UInt8](repeating: 0, count: 12))), .error(.badIPv4Header),
                       "a non-last fragment must carry a multiple of 8 bytes")
        XCTAssertEqual(decode(&decoder, fragment(id: 14, offset: 0, more: true, [])), .error(.badIPv4Header))
        // A fragment cut by the snap length cannot be reassembled.
        var p = Packet()
        let cut = fragment(id: 15, offset: 0, more: true, [UInt8](repeating: 0, count: 64))
        let result = cut.withUnsafeBytes { f in
            decoder.decode(frame: UnsafeRawBufferPointer(rebasing: f[0..<40]), linkType: LinkType.ipv4, timestampNs: 0, wireLength: f.count, into: &p)
        }
        XCTAssertEqual(result, .error(.truncatedIPv4))
    }

    func testKeyIncludesAddressesAndProtocol() {
        var decoder = PacketDecoder()
        let d = udpDatagram(16)
        XCTAssertEqual(decode(&decoder, fragment(id: 16, offset: 0, more: true, Array(d[0..<8]))), .fragmentHeld)
        XCTAssertEqual(decode(&decoder, fragment(id: 16, offset: 8, more: false, Array(d[8...]), src: 9)), .fragmentHeld, "another source")
        XCTAssertEqual(decode(&decoder, fragment(id: 16, offset: 8, more: false, Array(d[8...]), proto: 6)), .fragmentHeld, "another protocol")
        XCTAssertEqual(decode(&decoder, fragment(id: 16, offset: 8, more: false, Array(d[8...]))), .ok)
    }

    func testCopiesOfADecoderReassembleIndependently() {
        var a = PacketDecoder()
        let d = udpDatagram(32)
        XCTAssertEqual(decode(&a, fragment(id: 17, offset: 0, more: true, Array(d[0..<16]))), .fragmentHeld)
        var b = a
        var other = d
        other[20] = 0xEE
        XCTAssertEqual(decode(&b, fragment(id: 17, offset: 16, more: false, Array(other[16...]))) { p in
            XCTAssertEqual(p.payload[20 - 8], 0xEE)
        }, .ok)
        XCTAssertEqual(decode(&a, fragment(id: 17, offset: 16, more: false, Array(d[16...]))) { p in
            XCTAssertEqual(Array(p.payload), Array(d[8...]))
        }, .ok)
    }

    /// Many datagrams interleaved, completed in a scrambled order, to exercise the hash
    /// index's removals and the chunk free list.
    func testManyInterleavedDatagrams() {
        var decoder = PacketDecoder(fragmentLimits: .init(maxDatagrams: 64))
        let d = udpDatagram(40)
        for id in 0..<60 {
            XCTAssertEqual(decode(&decoder, fragment(id: UInt16(id), offset: 0, more: true, Array(d[0..<24]))), .fragmentHeld)
        }
        for k in 0..<60 {
            let id = (k * 37) % 60
            XCTAssertEqual(decode(&decoder, fragment(id: UInt16(id), offset: 24, more: false, Array(d[24...]))) { p in
                XCTAssertEqual(Array(p.payload), Array(d[8...]))
            }, .ok, "datagram \(id)")
        }
        XCTAssertEqual(decoder.fragmentsInProgress, 0)
    }
}
