import Crypto
import _CryptoExtras
import XCTest
@testable import FarmwatchCore

/// QUIC Initial packet protection against the sample packets published in RFC 9001 Appendix A
/// (v1) and RFC 9369 Appendix A (v2), typed in from the RFCs: the peers here are the RFCs'
/// authors' implementations. Also the pieces under the dissector: header parsing, packet
/// number decoding, the frame walker and the CRYPTO stream.
final class QUICInitialTests: XCTestCase {
    // MARK: RFC 9001 Appendix A (QUIC v1)

    func testV1KeyDerivationMatchesRFC9001() {
        let dcid = QUICTestPackets.rfcDCID
        dcid.withUnsafeBytes { d in
            XCTAssertEqual(hex(QUICInitialKeys.initialSecret(dcid: d, salt: QUICVersion.saltV1)),
                           "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44")
            XCTAssertEqual(hex(QUICInitialKeys.clientSecret(dcid: d, salt: QUICVersion.saltV1)),
                           "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea")
            let keys = QUICInitialKeys(clientDCID: d, salt: QUICVersion.saltV1, labelPrefix: "quic ")
            XCTAssertEqual(hex(keys.key), "1f369613dd76d5467730efcbe3b1a22d")
            XCTAssertEqual(hex(keys.iv), "fa044b2f42a3fd3b46fb255c")
            XCTAssertEqual(hex(keys.hp), "9f50449e04a0e810283a1e9933adedd2")
        }
    }

    func testV1ClientInitialOpensToThePublishedCryptoFrame() throws {
        try assertOpensToPublishedFrames(QUICTestPackets.rfc9001ClientInitial, version: 0x0000_0001)
    }

    // MARK: RFC 9369 Appendix A (QUIC v2)

    func testV2KeyDerivationMatchesRFC9369() {
        QUICTestPackets.rfcDCID.withUnsafeBytes { d in
            XCTAssertEqual(hex(QUICInitialKeys.initialSecret(dcid: d, salt: QUICVersion.saltV2)),
                           "2062e8b3cd8d52092614b8071d0aa1fb7c2e3ac193f78b280e72d8f5751f6aba")
            XCTAssertEqual(hex(QUICInitialKeys.clientSecret(dcid: d, salt: QUICVersion.saltV2)),
                           "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b")
            let keys = QUICInitialKeys(clientDCID: d, salt: QUICVersion.saltV2, labelPrefix: "quicv2 ")
            XCTAssertEqual(hex(keys.key), "8b1a0bc121284290a29e0971b5cd045d")
            XCTAssertEqual(hex(keys.iv), "91f73e2351d8fa91660e909f")
            XCTAssertEqual(hex(keys.hp), "45b95e15235d6f45a6b19cbcb0294ba9")
        }
    }

    func testV2ClientInitialOpensToThePublishedCryptoFrame() throws {
        try assertOpensToPublishedFrames(QUICTestPackets.rfc9369ClientInitial, version: 0x6b33_43cf)
    }

    /// The published packet: header fields, header protection removed to packet number 2,
    /// a 1162-byte payload that is the published CRYPTO frame then PADDING, and a ClientHello
    /// on the reassembled stream.
    private func assertOpensToPublishedFrames(_ packet: [UInt8], version: UInt32,
                                              file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(packet.count, 1200, file: file, line: line)
        try packet.withUnsafeBytes { d in
            let h = try XCTUnwrap(QUICLongHeader.parse(d, at: 0), file: file, line: line)
            XCTAssertEqual(h.version.number, version, file: file, line: line)
            XCTAssertEqual(h.type, .initial, file: file, line: line)
            XCTAssertEqual(Array(d[h.dcid]), QUICTestPackets.rfcDCID, file: file, line: line)
            XCTAssertTrue(h.scid.isEmpty, file: file, line: line)
            XCTAssertEqual(h.packetNumberOffset, 18, file: file, line: line)
            XCTAssertEqual(h.end, 1200, file: file, line: line)
            let keys = QUICInitialKeys(clientDCID: UnsafeRawBufferPointer(rebasing: d[h.dcid]),
                                       salt: h.version.initialSalts[0], labelPrefix: h.version.labelPrefix)
            let (pn, frames) = try XCTUnwrap(QUICPacketProtection.open(d, h, keys: keys, largestPacketNumber: -1),
                                             file: file, line: line)
            XCTAssertEqual(pn, 2, file: file, line: line)
            XCTAssertEqual(frames.count, 1162, file: file, line: line)
            let crypto = QUICTestPackets.rfcCryptoFrame
            XCTAssertEqual(Array(frames.prefix(crypto.count)), crypto, file: file, line: line)
            XCTAssertTrue(frames.dropFirst(crypto.count).allSatisfy { $0 == 0 }, "the rest is PADDING", file: file, line: line)

            var initials = QUICClientInitials()
            XCTAssertEqual(initials.read(d, h), .opened, file: file, line: line)
            XCTAssertEqual(initials.crypto.firstMessage, .complete(type: 1, body: 4..<(4 + 0xed)), file: file, line: line)
        }
    }

    /// The test packet builder reproduces the RFCs' protected packets byte for byte, so the
    /// packets it builds for the other tests are protected exactly as a client would.
    func testPacketBuilderReproducesThePublishedPackets() {
        let frames = QUICTestPackets.rfcCryptoFrame + [UInt8](repeating: 0, count: 1162 - QUICTestPackets.rfcCryptoFrame.count)
        XCTAssertEqual(QUICTestPackets.initial(version: 0x0000_0001, dcid: QUICTestPackets.rfcDCID, packetNumber: 2, frames: frames),
                       QUICTestPackets.rfc9001ClientInitial)
        XCTAssertEqual(QUICTestPackets.initial(version: 0x6b33_43cf, dcid: QUICTestPackets.rfcDCID, packetNumber: 2, frames: frames),
                       QUICTestPackets.rfc9369ClientInitial)
    }

    /// The RFCs' server Initials: recognised as Initials from the server, and not opened with
    /// the client's keys (a server Initial is never mistaken for the client's).
    func testServerInitialIsNotOpenedWithClientKeys() throws {
        for (packet, version) in [(QUICTestPackets.rfc9001ServerInitial, UInt32(1)), (QUICTestPackets.rfc9369ServerInitial, 0x6b33_43cf)] {
            try packet.withUnsafeBytes { d in
                let h = try XCTUnwrap(QUICLongHeader.parse(d, at: 0))
                XCTAssertEqual(h.version.number, version)
                XCTAssertEqual(h.type, .initial)
                XCTAssertEqual(Array(d[h.scid]), QUICTestPackets.rfcServerSCID)
                let keys = QUICTestPackets.rfcDCID.withUnsafeBytes {
                    QUICInitialKeys(clientDCID: $0, salt: h.version.initialSalts[0], labelPrefix: h.version.labelPrefix)
                }
                XCTAssertNil(QUICPacketProtection.open(d, h, keys: keys, largestPacketNumber: -1))
            }
        }
    }

    // MARK: The dissector on the RFC packets

    func testDissectorReadsTheClientHelloAndNotesTheServer() throws {
        for (client, server, name) in [(QUICTestPackets.rfc9001ClientInitial, QUICTestPackets.rfc9001ServerInitial, "1"),
                                       (QUICTestPackets.rfc9369ClientInitial, QUICTestPackets.rfc9369ServerInitial, "2")] {
            var flow = QUICTestPackets.flow()
            XCTAssertEqual(QUICTestPackets.feed(client, .originator, &flow), .wantMore, "waits for the server")
            XCTAssertEqual(QUICTestPackets.feed(server, .responder, &flow), .wantMore, "waits for the client's 1-RTT")
            XCTAssertEqual(QUICTestPackets.feed(QUICTestPackets.clientShortHeader, .originator, &flow), .done)
            let facts = try XCTUnwrap(flow.metadata?.facts(StandardDissectors.quicSlot, as: QUICFacts.self))
            XCTAssertEqual(facts.version.name, name)
            XCTAssertTrue(facts.decrypted)
            XCTAssertTrue(facts.serverAnswered)
            XCTAssertEqual(facts.clientInitialDCID, QUICTestPackets.rfcDCID)
            XCTAssertEqual(facts.clientSCID, [])
            XCTAssertEqual(facts.serverSCID, QUICTestPackets.rfcServerSCID)
            XCTAssertEqual(facts.serverName, Array("example.com".utf8))
            XCTAssertEqual(facts.alpn, [Array("alpn".utf8)])
            XCTAssertEqual(flow.metadata?.serverName, Array("example.com".utf8))
            XCTAssertEqual(flow.metadata?.serverNameSource, .tls)
            XCTAssertEqual(flow.metadata?.parseErrors, 0)
            // QUIC, TLS 1.3 (supported_versions), SNI, 2 ciphers, 11 extensions, ALPN "alpn".
            XCTAssertEqual(facts.ja4.map { String($0.prefix(11)) }, "q13d0211an_")
            XCTAssertEqual(facts.ja4Raw.map { String($0.prefix(21)) }, "q13d0211an_1301,1302_")

            let w = JSONWriter(stream: nil)
            w.beginObject(); facts.writeJSON(to: w); w.endObject()
            let json = String(decoding: w.buffer, as: UTF8.self)
            XCTAssertTrue(json.hasPrefix("{\"quic\":{\"version\":\"\(name)\",\"client_initial_dcid\":\"8394c8f03e515708\",\"client_scid\":\"\",\"server_scid\":\"f067a5502a4262b5\",\"server_name\":\"example.com\",\"alpn\":[\"alpn\"],\"ja4\":\"q"), json)
            XCTAssertTrue(json.hasSuffix(",\"decrypted\":true,\"server_answered\":true}}\n"), json)
        }
    }

    // MARK: Claiming a flow

    func testClaimNeedsAKnownVersionAndSaneConnectionIDs() {
        func claim(_ bytes: [UInt8]) -> String? {
            bytes.withUnsafeBytes { QUICPacket.claimedVersion($0)?.name }
        }
        XCTAssertEqual(claim(QUICTestPackets.rfc9001ClientInitial), "1")
        XCTAssertEqual(claim(QUICTestPackets.rfc9369ClientInitial), "2")
        let tail = [UInt8](repeating: 0, count: 40)
        XCTAssertEqual(claim([0xc3, 0xff, 0x00, 0x00, 0x1d, 8] + tail), "draft-29")
        XCTAssertEqual(claim([0xc9, 0xfa, 0xce, 0xb0, 0x01, 8] + tail), "mvfst (faceb001)")
        XCTAssertEqual(claim([0xc1, 0x54, 0x30, 0x35, 0x31, 8] + tail), "T051")
        // Google QUIC Q046 long header and the older public header (flags, 8-byte CID, "Q043").
        XCTAssertEqual(claim([0xc3, 0x51, 0x30, 0x34, 0x36, 0x50] + tail), "Q046")
        XCTAssertEqual(claim([0x0d, 1, 2, 3, 4, 5, 6, 7, 8, 0x51, 0x30, 0x34, 0x33] + tail), "Q043")
        XCTAssertEqual(claim([0xc0, 0x0a, 0x1a, 0x2a, 0x3a, 8] + tail), "unknown-a1a2a3a")
        // Not QUIC, or not a flow's first client packet.
        XCTAssertNil(claim([0xc0, 0x00, 0x00, 0x00, 0x00, 8] + tail), "Version Negotiation comes from the server")
        XCTAssertNil(claim([0xc0, 0x12, 0x34, 0x56, 0x78, 8] + tail), "unknown version")
        XCTAssertNil(claim([0xc0, 0x00, 0x00, 0x00, 0x01, 21] + tail), "DCID over 20 bytes")
        XCTAssertNil(claim([0xc0, 0x00, 0x00, 0x00, 0x01, 8, 1, 2, 3, 4, 5, 6, 7, 8, 21] + tail), "SCID over 20 bytes")
        XCTAssertNil(claim([0x80, 0x00, 0x00, 0x00, 0x01, 8] + tail), "fixed bit clear")
        XCTAssertNil(claim([0x16, 0xfe, 0xfd, 0x00, 0x00, 0x00] + tail), "DTLS")
        XCTAssertNil(claim([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42] + tail), "STUN")
        XCTAssertNil(claim([0x41, 0x01, 0x02]), "short header, and too short")
    }

    // MARK: Pieces

    /// RFC 9000 Appendix A.3's example, and the edges of the window.
    func testPacketNumberDecoding() {
        XCTAssertEqual(QUICPacketProtection.decodePacketNumber(largest: 0xa82f30ea, truncated: 0x9b32, bits: 16), 0xa82f9b32)
        XCTAssertEqual(QUICPacketProtection.decodePacketNumber(largest: -1, truncated: 2, bits: 32), 2)
        XCTAssertEqual(QUICPacketProtection.decodePacketNumber(largest: 255, truncated: 0, bits: 8), 256)
        XCTAssertEqual(QUICPacketProtection.decodePacketNumber(largest: 300, truncated: 0xff, bits: 8), 255)
    }

    func testFramesWalkSkipsEveryInitialFrameType() {
        var frames: [UInt8] = [0x00, 0x00, 0x01]                                  // PADDING, PING
        frames += [0x02, 0x05, 0x40, 0x10, 0x01, 0x02, 0x01, 0x01]                // ACK, 1 extra range
        frames += [0x03, 0x05, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03]                // ACK with ECN counts
        frames += QUICTestPackets.cryptoFrame(offset: 3, Array("def".utf8))
        frames += [0x1c, 0x0a, 0x06, 0x02, 0x68, 0x69]                            // CONNECTION_CLOSE
        frames += [0x1d, 0x0a, 0x00]                                              // application close
        frames += QUICTestPackets.cryptoFrame(offset: 0, Array("abc".utf8))
        frames += [UInt8](repeating: 0, count: 20)
        var pieces: [(UInt64, [UInt8])] = []
        let outcome = frames.withUnsafeBytes { QUICFrames.walk($0) { pieces.append(($0, Array($1))) } }
        XCTAssertEqual(outcome, .complete)
        XCTAssertEqual(pieces.map { $0.0 }, [3, 0])
        XCTAssertEqual(pieces.map { $0.1 }, [Array("def".utf8), Array("abc".utf8)])
    }

    /// T050/T051: Google's frame types (CRYPTO 0x08, PING 0x07, PADDING 0x00); its ACK (0x40)
    /// is not read, so the walk ends there.
    func testGoogleFramesWalk() {
        let frames: [UInt8] = [0x07] + [0x08, 0x00, 0x03] + Array("abc".utf8) + [0x00, 0x00, 0x40, 0x01, 0x02]
        var pieces: [(UInt64, [UInt8])] = []
        let outcome = frames.withUnsafeBytes { QUICFrames.walk($0, dialect: .google) { pieces.append(($0, Array($1))) } }
        XCTAssertEqual(outcome, .unexpectedFrame(0x40))
        XCTAssertEqual(pieces.map { $0.0 }, [0])
        XCTAssertEqual(pieces.map { $0.1 }, [Array("abc".utf8)])
        XCTAssertEqual(QUICVersion(0x5430_3531).frameDialect, .google)
        XCTAssertEqual(QUICVersion(0x0000_0001).frameDialect, .ietf)
    }

    func testFramesWalkStopsAtWhatAnInitialCannotCarry() {
        func walk(_ frames: [UInt8]) -> QUICFrames.Outcome {
            frames.withUnsafeBytes { QUICFrames.walk($0) { _, _ in } }
        }
        XCTAssertEqual(walk([0x01, 0x08, 0x00]), .unexpectedFrame(0x08), "STREAM")
        XCTAssertEqual(walk([0x06, 0x00, 0x05, 0x61]), .malformed, "CRYPTO longer than the packet")
        XCTAssertEqual(walk([0x06, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), .malformed, "CRYPTO length 2^62-1")
        XCTAssertEqual(walk([0x02, 0x00, 0x00, 0xbf, 0xff, 0xff, 0xff, 0x00]), .malformed, "ACK range count past the packet")
        XCTAssertEqual(walk([0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02]), .malformed, "ECN counts cut short")
        XCTAssertEqual(walk([0x1c, 0x00, 0x00, 0x10, 0x61]), .malformed, "close reason past the packet")
        XCTAssertEqual(walk([0x40]), .malformed, "frame type varint cut short")
    }

    func testCryptoStreamReassemblesPiecesInAnyOrder() {
        let message: [UInt8] = [0x01, 0x00, 0x00, 0x0c] + Array("hello, world".utf8) + [0x02, 0x00]
        var rng = QUICTestRandom(seed: 7)
        for _ in 0..<200 {
            // Random cut points, random order, some pieces twice and some overlapping.
            var cuts = Set([0, message.count])
            for _ in 0..<Int.random(in: 0...6, using: &rng) { cuts.insert(Int.random(in: 0...message.count, using: &rng)) }
            let sorted = cuts.sorted()
            var pieces = zip(sorted, sorted.dropFirst()).map { $0.0..<$0.1 }
            pieces += pieces.filter { _ in Bool.random(using: &rng) }
            pieces.append(0..<min(3, message.count))
            pieces.shuffle(using: &rng)
            var stream = QUICCryptoStream()
            for (i, piece) in pieces.enumerated() {
                XCTAssertTrue(Array(message[piece]).withUnsafeBytes { stream.insert(offset: UInt64(piece.lowerBound), $0) })
                if i < pieces.count - 1 && stream.contiguousLength < 16 { XCTAssertEqual(stream.firstMessage, .incomplete) }
            }
            XCTAssertEqual(stream.firstMessage, .complete(type: 1, body: 4..<16))
            XCTAssertEqual(Array(stream.bytes.prefix(message.count)), message)
            XCTAssertEqual(stream.ranges, [0..<message.count])
        }
    }

    func testCryptoStreamRefusesWhatItCannotHold() {
        var stream = QUICCryptoStream()
        let one: [UInt8] = [1]
        one.withUnsafeBytes { b in
            XCTAssertFalse(stream.insert(offset: 1 << 62 - 1, b), "offset 2^62-1")
            XCTAssertFalse(stream.insert(offset: UInt64(QUICCryptoStream.limit), b), "one past the limit")
            XCTAssertTrue(stream.insert(offset: UInt64(QUICCryptoStream.limit - 1), b), "the last byte it holds")
            // Every other byte: the number of holes is bounded too.
            var refused = false
            for i in 0..<QUICCryptoStream.maxRanges * 2 where !stream.insert(offset: UInt64(2 * i + 1), b) { refused = true }
            XCTAssertTrue(refused)
            XCTAssertLessThanOrEqual(stream.ranges.count, QUICCryptoStream.maxRanges)
        }
        XCTAssertEqual(stream.bytes.count, QUICCryptoStream.limit)

        var huge = QUICCryptoStream()
        let header: [UInt8] = [0x01, 0xff, 0xff, 0xff]
        _ = header.withUnsafeBytes { huge.insert(offset: 0, $0) }
        XCTAssertEqual(huge.firstMessage, .tooLong, "a 16 MB ClientHello is not waited for")
    }

    private func hex<B: ContiguousBytes>(_ bytes: B) -> String {
        bytes.withUnsafeBytes { Hex.string(Array($0)) }
    }
}

/// Builds protected client Initials the way a client does (RFC 9001 §5), for tests that need
/// packets the RFCs do not publish: split ClientHellos, hostile frames.
enum QUICTestPackets {
    static let rfcDCID: [UInt8] = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08]
    static let rfcServerSCID: [UInt8] = [0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5]

    /// A protected Initial with a 4-byte packet number, sent to `dcid`, with keys from
    /// `keyDCID` (the first Initial's DCID; `dcid` by default) and the version's `salt`-th salt.
    static func initial(version: UInt32, dcid: [UInt8], keyDCID: [UInt8]? = nil, salt: Int = 0, scid: [UInt8] = [],
                        token: [UInt8] = [], packetNumber: UInt32, frames: [UInt8]) -> [UInt8] {
        let v = QUICVersion(version)
        let typeBits: UInt8 = v.kind == .v2 ? 1 : 0
        var header: [UInt8] = [0xC0 | typeBits << 4 | 0x03]
        header += withUnsafeBytes(of: version.bigEndian, Array.init)
        header += [UInt8(dcid.count)] + dcid + [UInt8(scid.count)] + scid
        header += varint(UInt64(token.count)) + token
        let length = 4 + frames.count + 16
        header += [0x40 | UInt8(length >> 8), UInt8(length & 0xFF)]
        let pnOffset = header.count
        header += withUnsafeBytes(of: packetNumber.bigEndian, Array.init)
        let keys = (keyDCID ?? dcid).withUnsafeBytes {
            QUICInitialKeys(clientDCID: $0, salt: v.initialSalts[salt], labelPrefix: v.labelPrefix)
        }
        var nonce = keys.iv
        for i in 0..<4 { nonce[11 - i] ^= UInt8(truncatingIfNeeded: packetNumber >> (8 * UInt32(i))) }
        let sealed = try! AES.GCM.seal(frames, using: keys.key, nonce: AES.GCM.Nonce(data: nonce), authenticating: header)
        var packet = header + Array(sealed.ciphertext) + Array(sealed.tag)
        var mask = Array(packet[(pnOffset + 4)..<(pnOffset + 20)])
        try! AES.permute(&mask, key: keys.hp)
        packet[0] ^= mask[0] & 0x0F
        for i in 0..<4 { packet[pnOffset + i] ^= mask[1 + i] }
        return packet
    }

    static func cryptoFrame(offset: UInt64, _ data: [UInt8]) -> [UInt8] {
        [0x06] + varint(offset) + varint(UInt64(data.count)) + data
    }

    /// Shortest encoding (RFC 9000 §16).
    static func varint(_ v: UInt64) -> [UInt8] {
        switch v {
        case 0..<64: return [UInt8(v)]
        case 0..<16384: return [0x40 | UInt8(v >> 8), UInt8(v & 0xFF)]
        case 0..<(1 << 30): return withUnsafeBytes(of: (UInt32(v) | 0x8000_0000).bigEndian, Array.init)
        default: return withUnsafeBytes(of: (v | 0xC000_0000_0000_0000).bigEndian, Array.init)
        }
    }

    static func flow() -> FlowState {
        var p = Packet()
        p.src = IPAddress(v4: 0x0A00_0001)
        p.dst = IPAddress(v4: 0x0A00_0002)
        p.srcPort = 50000
        p.dstPort = 443
        p.l4Proto = IPProto.udp
        var aToB = false
        return FlowState(key: FlowKey(packet: p, isAToB: &aToB), originatorIsA: aToB, serial: 1, timestampNs: 1)
    }

    /// Feeds a datagram as the packet thread does, then opens the client Initials it kept, as
    /// the flow's end would, so that each step's facts can be checked.
    static func feed(_ datagram: [UInt8], _ side: Direction, _ flow: inout FlowState) -> DissectorVerdict {
        let context = DissectorContext()
        let verdict = datagram.withUnsafeBytes {
            QUICDissector.feed(StreamChunk(bytes: $0, direction: side, timestampNs: 1, streamOffset: 0,
                                           afterGap: false, isDatagram: true),
                               flow: &flow, context: context)
        }
        if let facts = flow.metadata?.facts(StandardDissectors.quicSlot, as: QUICFacts.self) {
            QUICDissector.readKept(facts, flow.metadata, context)
        }
        return verdict
    }

    /// A client 1-RTT datagram (short header, fixed bit set): the client's Initials are over.
    static let clientShortHeader: [UInt8] = [0x40] + Array(repeating: 0x5A, count: 40)

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8).filter { $0 != 0x20 && $0 != 0x0A }
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }

    /// RFC 9001 A.2 and RFC 9369 A.2: the CRYPTO frame both client Initials carry.
    static let rfcCryptoFrame = bytes("""
        060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868
        04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578
        616d706c652e636f6dff01000100000a00080006001d00170018001000070005
        04616c706e000500050100000000003300260024001d00209370b2c9caa47fba
        baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400
        0d0010000e0403050306030203080408050806002d00020101001c0002400100
        3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000
        75300901100f088394c8f03e51570806048000ffff
        """)

    /// RFC 9001 A.2: the protected client Initial.
    static let rfc9001ClientInitial = bytes("""
        c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11
        d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399
        1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c
        8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212
        30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5
        457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208
        4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec
        4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3
        485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db
        059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c
        7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8
        9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556
        be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74
        68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a
        c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00
        f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632
        291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964
        25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd
        14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff
        ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198
        e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd
        c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73
        203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f
        cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e
        fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade
        a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047
        90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2
        162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4
        40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0
        6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e
        8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0
        be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400
        54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab
        760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9
        f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4
        056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064
        7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241
        e221af44860018ab0856972e194cd934
        """)

    /// RFC 9369 A.2: the protected client Initial.
    static let rfc9369ClientInitial = bytes("""
        d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485
        dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04
        9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d
        250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a
        12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500
        cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68
        18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33
        12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3
        d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd
        6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520
        bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045
        636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f
        ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12
        16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5
        4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4
        fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b
        8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7
        14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9
        9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91
        abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd
        80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db
        848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18
        d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15
        c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc
        7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61
        f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710
        10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b
        3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e
        06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce
        8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1
        34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1
        e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd
        5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3
        8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89
        d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53
        6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19
        9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b
        a18b2faa745b6fe189cf772a9f84cbfc
        """)

    /// RFC 9001 A.3: the protected server Initial.
    static let rfc9001ServerInitial = bytes("""
        cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a
        5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3
        dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
        022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4
        2158407dd074ee
        """)

    /// RFC 9369 A.3: the protected server Initial.
    static let rfc9369ServerInitial = bytes("""
        dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698
        baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17
        f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2
        c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8
        4bed8521e2e140
        """)
}

/// A seeded generator, so a failing random case can be replayed.
struct QUICTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
