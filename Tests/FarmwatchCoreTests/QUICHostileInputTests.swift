import XCTest
@testable import FarmwatchCore

/// The QUIC dissector on what real clients do to the Initial keys and the CRYPTO stream
/// (split and shuffled ClientHellos, Retry, version negotiation) and on hostile input
/// (truncated and garbled Initials, absurd varints, offsets and token lengths): never a crash,
/// every malformed packet counted, and the flow goes on.
final class QUICHostileInputTests: XCTestCase {
    let v1: UInt32 = 0x0000_0001
    let dcid: [UInt8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]
    let serverCID: [UInt8] = Array(0x40..<0x54)
    /// The RFCs' ClientHello (for "example.com"), without its CRYPTO frame header.
    let clientHello = Array(QUICTestPackets.rfcCryptoFrame.dropFirst(4))

    private func facts(_ flow: FlowState) -> QUICFacts? {
        flow.metadata?.facts(StandardDissectors.quicSlot, as: QUICFacts.self)
    }

    private func padded(_ frames: [UInt8], to size: Int = 1100) -> [UInt8] {
        frames + [UInt8](repeating: 0, count: max(0, size - frames.count))
    }

    /// Chrome's way: the ClientHello cut into pieces, shuffled over three Initials, two of
    /// them coalesced in one datagram followed by random bytes, the third sent later to the
    /// connection ID the server chose (still under the first DCID's keys).
    func testClientHelloSplitShuffledAcrossInitialsAndDatagrams() throws {
        var rng = QUICTestRandom(seed: 3)
        for _ in 0..<50 {
            var cuts = Set([0, clientHello.count])
            while cuts.count < 7 { cuts.insert(Int.random(in: 1..<clientHello.count, using: &rng)) }
            let bounds = cuts.sorted()
            var pieces = zip(bounds, bounds.dropFirst()).map { $0.0..<$0.1 }
            pieces.shuffle(using: &rng)
            func frames(_ ps: ArraySlice<Range<Int>>) -> [UInt8] {
                ps.reduce([0x01]) { $0 + QUICTestPackets.cryptoFrame(offset: UInt64($1.lowerBound), Array(clientHello[$1])) }
            }
            let first = QUICTestPackets.initial(version: v1, dcid: dcid, packetNumber: 0, frames: frames(pieces[0..<2]))
            let second = QUICTestPackets.initial(version: v1, dcid: dcid, packetNumber: 1, frames: padded(frames(pieces[2..<4]), to: 600))
            let noise = (0..<40).map { _ in UInt8.random(in: 0...255, using: &rng) | 0x80 }
            let third = QUICTestPackets.initial(version: v1, dcid: serverCID, keyDCID: dcid, packetNumber: 2,
                                                frames: padded(frames(pieces[4...])))
            var flow = QUICTestPackets.flow()
            XCTAssertEqual(QUICTestPackets.feed(first + second + noise, .originator, &flow), .wantMore)
            XCTAssertNil(facts(flow)?.serverName)
            XCTAssertEqual(QUICTestPackets.feed(third, .originator, &flow), .wantMore)
            XCTAssertEqual(facts(flow)?.serverName, Array("example.com".utf8))
            XCTAssertEqual(facts(flow)?.clientInitialDCID, dcid)
            XCTAssertEqual(flow.metadata?.parseErrors, 0)
        }
    }

    /// After a Retry the client re-derives its keys from the Retry's connection ID (RFC 9001
    /// §5.2) and sends its ClientHello again from offset 0.
    func testKeysAreRederivedAfterRetry() throws {
        var flow = QUICTestPackets.flow()
        let half = clientHello.count / 2
        let before = QUICTestPackets.initial(version: v1, dcid: dcid, packetNumber: 0,
                                             frames: padded(QUICTestPackets.cryptoFrame(offset: 0, Array(clientHello[..<half]))))
        XCTAssertEqual(QUICTestPackets.feed(before, .originator, &flow), .wantMore)
        let after = QUICTestPackets.initial(version: v1, dcid: serverCID, token: Array("retry token".utf8), packetNumber: 1,
                                            frames: padded(QUICTestPackets.cryptoFrame(offset: 0, clientHello)))
        XCTAssertEqual(QUICTestPackets.feed(after, .originator, &flow), .wantMore)
        XCTAssertEqual(facts(flow)?.serverName, Array("example.com".utf8))
        XCTAssertEqual(facts(flow)?.clientInitialDCID, dcid, "the first Initial's DCID is the one logged")
        XCTAssertEqual(flow.metadata?.parseErrors, 0)
    }

    /// A client that forces version negotiation with a reserved version protects that Initial
    /// with the keys of a version it speaks (here v1's salt), then starts over in v1.
    func testReservedVersionThenVersionNegotiation() throws {
        var flow = QUICTestPackets.flow()
        let forcing = QUICTestPackets.initial(version: 0x1a2a_3a4a, dcid: dcid, salt: 1, packetNumber: 0,
                                              frames: padded(QUICTestPackets.cryptoFrame(offset: 0, Array(clientHello[..<100]))))
        XCTAssertEqual(QUICTestPackets.feed(forcing, .originator, &flow), .wantMore)
        XCTAssertEqual(facts(flow)?.decrypted, true)
        let negotiation: [UInt8] = [0x80, 0, 0, 0, 0, 0, 8] + dcid + [0, 0, 0, 1]
        XCTAssertEqual(QUICTestPackets.feed(negotiation, .responder, &flow), .wantMore)
        XCTAssertEqual(facts(flow)?.serverAnswered, true)
        let restart = QUICTestPackets.initial(version: v1, dcid: serverCID, packetNumber: 0,
                                              frames: padded(QUICTestPackets.cryptoFrame(offset: 0, clientHello)))
        XCTAssertEqual(QUICTestPackets.feed(restart, .originator, &flow), .wantMore, "waits for the client's 1-RTT")
        XCTAssertEqual(facts(flow)?.version.name, "1")
        XCTAssertEqual(facts(flow)?.serverName, Array("example.com".utf8))
        XCTAssertEqual(flow.metadata?.parseErrors, 0)
    }

    /// CRYPTO frames at offset 2^62-1 and past the stream's limit, in an Initial that opens:
    /// counted, not stored, and a later Initial still delivers the ClientHello.
    func testAbsurdCryptoOffsetsAreCounted() throws {
        var flow = QUICTestPackets.flow()
        let hostile = QUICTestPackets.initial(version: v1, dcid: dcid, packetNumber: 0, frames: padded(
            QUICTestPackets.cryptoFrame(offset: (1 << 62) - 1, [0x41])
            + QUICTestPackets.cryptoFrame(offset: UInt64(QUICCryptoStream.limit), [0x41])))
        XCTAssertEqual(QUICTestPackets.feed(hostile, .originator, &flow), .wantMore)
        XCTAssertEqual(flow.metadata?.parseErrors, 1)
        let good = QUICTestPackets.initial(version: v1, dcid: dcid, packetNumber: 1,
                                           frames: padded(QUICTestPackets.cryptoFrame(offset: 0, clientHello)))
        XCTAssertEqual(QUICTestPackets.feed(good, .originator, &flow), .wantMore)
        XCTAssertEqual(facts(flow)?.serverName, Array("example.com".utf8))
        XCTAssertEqual(flow.metadata?.parseErrors, 1)
    }

    /// An ACK whose range count is 2^62-1 ends the packet's frames (counted); the CRYPTO frame
    /// before it is kept.
    func testAbsurdAckRangeCountIsCounted() throws {
        var flow = QUICTestPackets.flow()
        let frames = QUICTestPackets.cryptoFrame(offset: 0, clientHello)
            + [0x02, 0x00, 0x00] + QUICTestPackets.varint((1 << 62) - 1) + [0x00]
        let packet = QUICTestPackets.initial(version: v1, dcid: dcid, packetNumber: 0, frames: padded(frames))
        _ = QUICTestPackets.feed(packet, .originator, &flow)
        XCTAssertEqual(flow.metadata?.parseErrors, 1)
        XCTAssertEqual(facts(flow)?.serverName, Array("example.com".utf8))
    }

    /// A token length of 2^62-1, and Length fields that run past the datagram (a truncated
    /// capture, a hostile length): the header is refused and counted, nothing is read past.
    func testHostileLengthsInTheHeaderAreCounted() throws {
        let good = QUICTestPackets.rfc9001ClientInitial
        // Byte 15 is the token length (after the first byte, version and both connection IDs).
        let hugeToken = Array(good[0..<15]) + QUICTestPackets.varint((1 << 62) - 1) + Array(good[16...])
        for datagram in [hugeToken, Array(good.prefix(600)), Array(good.prefix(19)), Array(good.prefix(16))] {
            var flow = QUICTestPackets.flow()
            XCTAssertEqual(QUICTestPackets.feed(datagram, .originator, &flow), .wantMore)
            XCTAssertEqual(flow.metadata?.parseErrors, 1)
            XCTAssertNil(facts(flow)?.serverName)
        }
    }

    /// Initials that do not authenticate are counted, and no more are tried after a few; the
    /// packet thread looks at a bounded number of datagrams.
    func testGarbledInitialsAreCountedThenGivenUp() throws {
        var flow = QUICTestPackets.flow()
        var garbled = QUICTestPackets.rfc9001ClientInitial
        garbled[500] ^= 0x01
        var verdicts: [DissectorVerdict] = []
        for _ in 0..<QUICDissector.datagramLimit { verdicts.append(QUICTestPackets.feed(garbled, .originator, &flow)) }
        XCTAssertEqual(verdicts.last, .done)
        XCTAssertEqual(verdicts.dropLast().filter { $0 == .wantMore }.count, QUICDissector.datagramLimit - 1)
        XCTAssertEqual(flow.metadata?.parseErrors, UInt32(QUICDissector.failureLimit))
        XCTAssertEqual(facts(flow)?.decrypted, false)
    }

    /// A ClientHello that is not one (another handshake type first, or a body the TLS parser
    /// refuses): counted once, and the flow stops waiting for it.
    func testWrongHandshakeMessageIsCounted() throws {
        for stream in [[0x02, 0x00, 0x00, 0x02, 0x03, 0x03], [0x01, 0x00, 0x00, 0x02, 0x03, 0x03]] as [[UInt8]] {
            var flow = QUICTestPackets.flow()
            let packet = QUICTestPackets.initial(version: v1, dcid: dcid, packetNumber: 0,
                                                 frames: padded(QUICTestPackets.cryptoFrame(offset: 0, stream)))
            _ = QUICTestPackets.feed(packet, .originator, &flow)
            XCTAssertEqual(flow.metadata?.parseErrors, 1)
            XCTAssertEqual(facts(flow)?.clientHelloRead, true)
            XCTAssertNil(facts(flow)?.serverName)
        }
    }

    /// Random damage to the RFC packets, random frames sealed in valid Initials, random bytes
    /// behind a QUIC-looking first byte, fed from both sides: nothing crashes, and each flow
    /// stops within the datagram limit.
    func testRandomInputNeverCrashes() {
        var rng = QUICTestRandom(seed: 11)
        let seeds = [QUICTestPackets.rfc9001ClientInitial, QUICTestPackets.rfc9369ClientInitial,
                     QUICTestPackets.rfc9001ServerInitial, QUICTestPackets.rfc9369ServerInitial]
        let frameTypes: [UInt8] = [0x00, 0x01, 0x02, 0x03, 0x06, 0x06, 0x06, 0x1c, 0x1d, 0x08, 0x40]
        for trial in 0..<900 {
            var flow = QUICTestPackets.flow()
            var verdict = DissectorVerdict.wantMore
            for _ in 0..<Int.random(in: 1...QUICDissector.datagramLimit + 2, using: &rng) where verdict == .wantMore {
                var datagram: [UInt8]
                switch trial % 3 {
                case 0:
                    datagram = seeds.randomElement(using: &rng)!
                    for _ in 0..<Int.random(in: 1...8, using: &rng) {
                        datagram[Int.random(in: 0..<datagram.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    }
                    datagram = Array(datagram.prefix(Int.random(in: 0...datagram.count, using: &rng)))
                case 1:
                    var frames: [UInt8] = []
                    for _ in 0..<Int.random(in: 1...12, using: &rng) {
                        frames.append(frameTypes.randomElement(using: &rng)!)
                        for _ in 0..<Int.random(in: 0...4, using: &rng) {
                            frames += QUICTestPackets.varint(UInt64.random(in: 0...(1 << 62) - 1, using: &rng) >> UInt64.random(in: 0...62, using: &rng))
                        }
                        if Bool.random(using: &rng) { frames += clientHello.prefix(Int.random(in: 0...clientHello.count, using: &rng)) }
                    }
                    datagram = QUICTestPackets.initial(version: Bool.random(using: &rng) ? v1 : 0x6b33_43cf, dcid: dcid,
                                                       packetNumber: UInt32.random(in: 0...5, using: &rng), frames: padded(frames))
                default:
                    datagram = [0xc0 | UInt8.random(in: 0...0x3f, using: &rng), 0, 0, 0, 1, UInt8.random(in: 0...24, using: &rng)]
                        + (0..<Int.random(in: 0...1300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                }
                verdict = QUICTestPackets.feed(datagram, Bool.random(using: &rng) ? .originator : .responder, &flow)
                if let f = facts(flow) {
                    XCTAssertLessThanOrEqual(f.datagrams, QUICDissector.datagramLimit)
                    let w = JSONWriter(stream: nil)
                    w.beginObject(); f.writeJSON(to: w); w.endObject()
                }
            }
        }
    }
}

extension QUICHostileInputTests {
    /// The packet thread keeps a bounded number of client datagrams for the flow's end,
    /// whatever the client sends: a flood of Initials costs no more than the limits.
    func testKeptDatagramsAreBounded() throws {
        var flow = QUICTestPackets.flow()
        let initial = QUICTestPackets.rfc9001ClientInitial
        for _ in 0..<QUICDissector.datagramLimit - 1 {
            _ = initial.withUnsafeBytes {
                QUICDissector.feed(StreamChunk(bytes: $0, direction: .originator, timestampNs: 1, streamOffset: 0,
                                               afterGap: false, isDatagram: true),
                                   flow: &flow, context: DissectorContext())
            }
        }
        let facts = try XCTUnwrap(facts(flow))
        XCTAssertEqual(facts.keptClientDatagrams.count, min(QUICDissector.keptDatagramLimit,
                                                            QUICDissector.keptByteLimit / initial.count))
        XCTAssertLessThanOrEqual(facts.keptClientBytes, QUICDissector.keptByteLimit)
        XCTAssertNil(facts.serverName, "nothing is decrypted on the packet thread")
        QUICDissector.conclude(facts, try XCTUnwrap(flow.metadata), DissectorContext())
        XCTAssertEqual(facts.serverName, Array("example.com".utf8), "the flow's end reads the kept Initials")
        XCTAssertTrue(facts.keptClientDatagrams.isEmpty)
    }
}
