import CPcap
import Foundation
import XCTest

@testable import FarmwatchCore

/// Classic pcap files are read in place from a memory map, past libpcap. libpcap is the oracle:
/// every frame, timestamp and wire length must come out exactly as pcap_next_ex gives them, and
/// damaged files must end the same way, after the same frames.
final class MappedPcapFileTests: XCTestCase {
    struct Frame: Equatable {
        var bytes: [UInt8]
        var timestampNs: Int64
        var wireLength: Int
    }

    /// What libpcap reads from `path` (the filter applied when given), and how reading ended.
    private func libpcapFrames(_ path: String, filter: String? = nil) throws -> ([Frame], SourceEnd) {
        let source = try PcapSource.openFile(path)
        if let filter { try source.setFilter(filter) }
        var frames: [Frame] = []
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let rc = pcap_next_ex(source.handle, &header, &data)
            guard rc == 1, let h = header, let d = data else {
                return (frames, rc == PCAP_ERROR_BREAK ? .endOfFile : .failed(source.lastError))
            }
            frames.append(Frame(bytes: Array(UnsafeBufferPointer(start: d, count: Int(h.pointee.caplen))),
                                timestampNs: h.pointee.timestampNs, wireLength: Int(h.pointee.len)))
        }
    }

    /// What the memory map gives for `path`; nil when the file is not mapped (pcapng).
    private func mappedFrames(_ path: String, filter: String? = nil) throws -> ([Frame], SourceEnd)? {
        let source = try PcapSource.openFile(path)
        if let filter { try source.setFilter(filter) }
        guard let file = source.mapped() else { return nil }
        var frames: [Frame] = []
        let end = file.forEachFrame { frame, ts, wire, _ in
            if source.filterAccepts(frame, wireLength: wire) {
                frames.append(Frame(bytes: Array(frame), timestampNs: ts, wireLength: wire))
            }
            return false
        }
        return (frames, end)
    }

    private func assertAgree(_ path: String, filter: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let (expected, expectedEnd) = try libpcapFrames(path, filter: filter)
        let mapped = try XCTUnwrap(try mappedFrames(path, filter: filter), "\(path) is classic pcap: it should be mapped",
                                   file: file, line: line)
        XCTAssertEqual(mapped.0.count, expected.count, "\(path): frame count", file: file, line: line)
        XCTAssertTrue(mapped.0 == expected, "\(path): frames differ from libpcap's", file: file, line: line)
        XCTAssertEqual(mapped.1, expectedEnd, "\(path): how reading ended", file: file, line: line)
    }

    private func temporaryFile(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("farmwatch-mapped-\(getpid())-\(name)")
        try Data(bytes).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testEveryShippedPcapReadsAsLibpcapReadsIt() throws {
        let root = TestEnvironment.packageRoot.appendingPathComponent("captures")
        let paths = try XCTUnwrap(FileManager.default.enumerator(atPath: root.path))
            .compactMap { $0 as? String }.filter { $0.hasSuffix(".pcap") }.sorted()
        XCTAssertGreaterThan(paths.count, 30, "the shipped captures")
        for p in paths { try assertAgree(root.appendingPathComponent(p).path) }
    }

    func testEveryCorpusPcapReadsAsLibpcapReadsIt() throws {
        let corpus = try TestEnvironment.requireCorpus()
        var compared = 0
        for capture in try TestEnvironment.corpusCaptures() {
            let path = corpus.appendingPathComponent(capture.path).path
            guard try PcapSource.openFile(path).mapped() != nil else { continue }   // pcapng: libpcap reads it
            try assertAgree(path)
            compared += 1
        }
        XCTAssertGreaterThan(compared, 10, "classic pcap files in the corpus")
    }

    /// A file written on a big-endian host with microsecond timestamps: fields are swapped back
    /// and microseconds become nanoseconds, as libpcap does.
    func testBigEndianMicrosecondFile() throws {
        var bytes = Self.fileHeader(bigEndian: true, nanoseconds: false, snaplen: 65535)
        let payloads: [[UInt8]] = [Array(repeating: 0xAB, count: 60), Array(repeating: 0xCD, count: 42)]
        for (i, p) in payloads.enumerated() {
            bytes += Self.record(bigEndian: true, seconds: 1_700_000_000 + UInt32(i), fraction: 123_456,
                                 caplen: UInt32(p.count), wire: UInt32(p.count + 100)) + p
        }
        let path = try temporaryFile(bytes, "be-usec.pcap")
        try assertAgree(path)
        let (frames, _) = try XCTUnwrap(try mappedFrames(path))
        XCTAssertEqual(frames.map(\.timestampNs), [1_700_000_000_123_456_000, 1_700_000_001_123_456_000])
        XCTAssertEqual(frames.map(\.wireLength), [160, 142])
    }

    /// A file cut inside a record: the frames before the cut are all read, then the same error
    /// as libpcap's.
    func testFileCutInsideARecord() throws {
        let whole = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestEnvironment.capture("lab-basic.pcap"))))
        let (all, _) = try libpcapFrames(TestEnvironment.capture("lab-basic.pcap"))
        XCTAssertGreaterThan(all.count, 20)
        for (name, cut) in [("in-data", whole.count - 10), ("in-header", 24 + 16 + all[0].bytes.count + 7)] {
            let path = try temporaryFile(Array(whole[..<cut]), "cut-\(name).pcap")
            try assertAgree(path)
            let (frames, end) = try XCTUnwrap(try mappedFrames(path))
            XCTAssertLessThan(frames.count, all.count, name)
            guard case .failed(let message) = end else { return XCTFail("\(name): \(end)") }
            XCTAssertTrue(message.hasPrefix("truncated dump file"), message)
        }
    }

    /// A capture length no link type allows is an error, not a read past the frame.
    func testAbsurdCaptureLength() throws {
        var bytes = Self.fileHeader(bigEndian: false, nanoseconds: true, snaplen: 262_144)
        bytes += Self.record(bigEndian: false, seconds: 1, fraction: 0, caplen: 20, wire: 20) + Array(repeating: 1, count: 20)
        bytes += Self.record(bigEndian: false, seconds: 2, fraction: 0, caplen: 0x7FFF_FFF0, wire: 20) + Array(repeating: 2, count: 40)
        let path = try temporaryFile(bytes, "absurd.pcap")
        try assertAgree(path)
        let (frames, end) = try XCTUnwrap(try mappedFrames(path))
        XCTAssertEqual(frames.count, 1)
        guard case .failed(let message) = end else { return XCTFail("\(end)") }
        XCTAssertTrue(message.contains("invalid packet capture length"), message)
    }

    /// A BPF filter set on the source keeps the same frames on both paths.
    func testFilterKeepsTheSameFrames() throws {
        let path = TestEnvironment.capture("lab-basic.pcap")
        try assertAgree(path, filter: "udp")
        let (all, _) = try libpcapFrames(path)
        let (udp, _) = try XCTUnwrap(try mappedFrames(path, filter: "udp"))
        XCTAssertGreaterThan(udp.count, 0)
        XCTAssertLessThan(udp.count, all.count)
    }

    /// pcapng is left to libpcap (and its read-ahead thread).
    func testPcapngIsNotMapped() throws {
        func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
            let length = UInt32(12 + body.count)
            return Self.le(type) + Self.le(length) + body + Self.le(length)
        }
        let shb = block(0x0A0D_0D0A, Self.le(0x1A2B_3C4D) + [1, 0, 0, 0] + Array(repeating: 0xFF, count: 8))
        let idb = block(1, [1, 0, 0, 0] + Self.le(0))
        let frame: [UInt8] = Array(repeating: 0x42, count: 60)
        let epb = block(6, Self.le(0) + Self.le(0) + Self.le(1000) + Self.le(60) + Self.le(60) + frame)
        let path = try temporaryFile(shb + idb + epb, "one.pcapng")
        let (frames, end) = try libpcapFrames(path)
        XCTAssertEqual(frames.count, 1, "libpcap reads the hand-made pcapng")
        XCTAssertEqual(end, .endOfFile)
        XCTAssertNil(try mappedFrames(path))
    }

    // MARK: Building files

    private static func le(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    private static func be(_ v: UInt32) -> [UInt8] { le(v).reversed() }
    private static func u16(_ v: UInt16, bigEndian: Bool) -> [UInt8] {
        let b = [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)]
        return bigEndian ? b.reversed() : b
    }

    static func fileHeader(bigEndian: Bool, nanoseconds: Bool, snaplen: UInt32) -> [UInt8] {
        let w = bigEndian ? be : le
        return w(nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4) + u16(2, bigEndian: bigEndian) + u16(4, bigEndian: bigEndian)
            + w(0) + w(0) + w(snaplen) + w(1)
    }

    static func record(bigEndian: Bool, seconds: UInt32, fraction: UInt32, caplen: UInt32, wire: UInt32) -> [UInt8] {
        let w = bigEndian ? be : le
        return w(seconds) + w(fraction) + w(caplen) + w(wire)
    }
}
