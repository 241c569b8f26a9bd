import XCTest

@testable import FarmwatchCore

/// Hostile input must never crash the decoder or make it read outside the frame. Debug
/// builds (what `swift test` runs) check every raw-buffer load against the buffer's bounds,
/// so an unchecked offset traps here instead of silently reading past the frame.
final class DecodeHostileInputTests: XCTestCase {
    static let linkTypes: [Int32] = [
        LinkType.null, LinkType.ethernet, LinkType.ppp, LinkType.raw, LinkType.raw12, LinkType.raw14, LinkType.loop,
        LinkType.linuxSLL, LinkType.pppHDLC, LinkType.ipv4, LinkType.ipv6, LinkType.linuxSLL2,
    ]

    /// Deterministic xorshift generator, so a failure reproduces.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// Decodes `bytes` and checks what holds for every result: the payload lies inside the
    /// frame or the reassembly buffer, and is never longer than the wire said.
    func decodeChecked(_ decoder: inout PacketDecoder, _ bytes: [UInt8], linkType: Int32, wireLength: Int, timestampNs: Int64 = 0) {
        var p = Packet()
        bytes.withUnsafeBytes { frame in
            let result = decoder.decode(frame: frame, linkType: linkType, timestampNs: timestampNs, wireLength: wireLength, into: &p)
            guard result == .ok else { return }
            XCTAssertLessThanOrEqual(p.payload.count, p.payloadWireLength)
            guard p.payload.count > 0, let start = p.payload.baseAddress, let base = frame.baseAddress else { return }
            let end = start + p.payload.count
            let output = UnsafeRawPointer(decoder.fragments.buffers.output)
            let inFrame = start >= base && end <= base + frame.count
            let inReassembly = start >= output && end <= output + decoder.fragments.buffers.outputSize
            XCTAssertTrue(inFrame || inReassembly)
        }
    }

    /// Every prefix of every fixture frame, both as a complete frame and as one cut by the
    /// snap length, under its own link type and every other.
    func testEveryPrefixOfEveryFixtureFrame() throws {
        for name in DecodeFixtures.names {
            let capture = try DecodeFixtures.capture(name)
            var decoder = PacketDecoder()
            for record in capture.records {
                let full = record.data
                for cut in 0...full.count {
                    let prefix = Array(full[0..<cut])
                    decodeChecked(&decoder, prefix, linkType: capture.linkType, wireLength: cut)
                    decodeChecked(&decoder, prefix, linkType: capture.linkType, wireLength: max(record.wireLength, full.count))
                }
                for linkType in Self.linkTypes where linkType != capture.linkType {
                    decodeChecked(&decoder, full, linkType: linkType, wireLength: full.count)
                }
            }
        }
    }

    /// Every single-bit flip in the first 128 bytes of every fixture frame, then random
    /// multi-byte corruption, keeping the decoder (and its fragment table) across frames.
    func testBitFlipsAndCorruption() throws {
        var random = Random(state: 0x9E37_79B9_7F4A_7C15)
        for name in DecodeFixtures.names {
            let capture = try DecodeFixtures.capture(name)
            var decoder = PacketDecoder()
            for record in capture.records where !record.data.isEmpty {
                var bytes = record.data
                for bit in 0..<(min(bytes.count, 128) * 8) {
                    bytes[bit >> 3] ^= 1 << UInt8(bit & 7)
                    decodeChecked(&decoder, bytes, linkType: capture.linkType, wireLength: bytes.count)
                    bytes[bit >> 3] ^= 1 << UInt8(bit & 7)
                }
                for _ in 0..<200 {
                    var corrupt = record.data
                    for _ in 0..<(1 + random.below(6)) {
                        corrupt[random.below(corrupt.count)] = UInt8(truncatingIfNeeded: random.next())
                    }
                    let cut = 1 + random.below(corrupt.count)
                    decodeChecked(&decoder, Array(corrupt[0..<cut]), linkType: capture.linkType,
                                  wireLength: cut + random.below(3) * random.below(2000))
                }
            }
        }
    }

    /// Random bytes of random lengths under every link type, with random timestamps so that
    /// fragment expiry runs too.
    func testRandomFrames() {
        var random = Random(state: 42)
        var decoder = PacketDecoder(fragmentLimits: .init(maxDatagrams: 8, maxBufferedBytes: 1 << 16, timeoutNs: 1000))
        for i in 0..<30_000 {
            let count = 1 + random.below(i % 10 == 0 ? 2000 : 120)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            // Make the IP-looking shapes common enough to get deep into the layers.
            if count > 20 && random.below(2) == 0 { bytes[0] = random.below(2) == 0 ? 0x45 : 0x60 }
            let linkType = Self.linkTypes[random.below(Self.linkTypes.count)]
            decodeChecked(&decoder, bytes, linkType: linkType, wireLength: count + random.below(2) * random.below(100),
                          timestampNs: Int64(random.below(1_000_000)))
        }
        _ = decoder.takeExpiredFragmentCount()
    }
}
