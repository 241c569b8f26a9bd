import Foundation
import XCTest
@testable import FarmwatchCore

final class JSONWriterTests: XCTestCase {
    private func line(_ body: (JSONWriter) -> Void) -> String {
        let w = JSONWriter(stream: nil)
        body(w)
        return String(decoding: w.buffer, as: UTF8.self)
    }

    func testObjectsAreOneLineEachAndParse() throws {
        let out = line { w in
            w.beginObject(); w.field("type", "flow"); w.field("n", 42)
            w.key("list"); w.beginArray(); w.int(1); w.int(2); w.endArray()
            w.key("inner"); w.beginObject(); w.field("ok", true); w.endObject()
            w.endObject()
            w.beginObject(); w.field("type", "stats"); w.endObject()
        }
        let lines = out.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        XCTAssertEqual(first["type"] as? String, "flow")
        XCTAssertEqual(first["n"] as? Int, 42)
        XCTAssertEqual(first["list"] as? [Int], [1, 2])
        XCTAssertEqual((first["inner"] as? [String: Any])?["ok"] as? Bool, true)
    }

    func testFixedPointIsExact() {
        let out = line { w in
            w.beginObject()
            w.key("ts"); w.fixed(1_710_234_000_123_456_789, scale: 1_000_000_000, decimals: 6)
            w.key("neg"); w.fixed(-1_500, scale: 1000, decimals: 3)
            w.key("ms"); w.fixed(7, scale: 1_000_000, decimals: 3)
            w.endObject()
        }
        XCTAssertEqual(out, #"{"ts":1710234000.123456,"neg":-1.500,"ms":0.000}"# + "\n")
    }

    /// Count arrays (histograms) are written in one go: they must read exactly as the same
    /// numbers written one by one, at every width and between other fields.
    func testCountArraysMatchNumbersWrittenOneByOne() {
        let values: [UInt32] = [0, 9, 10, 99, 100, 4_294_967_295, 1, 0]
        for n in 0...values.count {
            let fast = line { w in
                w.beginObject(); w.field("a", 1)
                w.key("h"); w.counts(n) { values[$0] }
                w.field("b", 2); w.endObject()
            }
            let slow = line { w in
                w.beginObject(); w.field("a", 1)
                w.key("h"); w.beginArray(); for v in values.prefix(n) { w.int(v) }; w.endArray()
                w.field("b", 2); w.endObject()
            }
            XCTAssertEqual(fast, slow, "\(n) counts")
        }
        XCTAssertEqual(line { w in w.beginArray(); w.counts(2) { _ in 7 }; w.counts(0) { _ in 0 }; w.endArray() },
                       "[[7,7],[]]")
    }

    func testHostileBytesCannotBreakTheLineOrTheTerminal() throws {
        // Quotes, backslashes, newlines, ESC sequences, C1 CSI, invalid and overlong UTF-8.
        let hostile: [UInt8] = Array("a\"b\\c\nd\r\te".utf8) + [0x1B, 0x5B, 0x32, 0x4A, 0xC2, 0x9B, 0xFF, 0xC0, 0xAF, 0xE2, 0x82]
            + Array("ü✓".utf8)
        let out = line { w in w.beginObject(); w.key("s"); w.string(bytes: hostile); w.endObject() }
        XCTAssertEqual(out.filter { $0 == "\n" }.count, 1, "exactly one newline: the record separator")
        XCTAssertFalse(out.utf8.contains(0x1B), "no raw ESC reaches the output")
        XCTAssertFalse(out.contains("\u{9B}"), "no raw C1 CSI reaches the output")
        let obj = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: String]
        XCTAssertTrue(obj["s"]!.hasPrefix("a\"b\\c\nd\r\te"))
        XCTAssertTrue(obj["s"]!.hasSuffix("ü✓"), "valid UTF-8 passes through")
    }

    /// The word-at-a-time plain-text check agrees with the byte rule for every byte value at
    /// every position of a buffer (in the 8-byte words and in the tail).
    func testPlainCheckAgreesWithTheByteRuleForEveryByteAndPosition() {
        func plainByByte(_ b: UInt8) -> Bool { !(b < 0x20 || b >= 0x7F || b == 0x22 || b == 0x5C) }
        for length in [1, 7, 8, 9, 16, 19] {
            for position in 0..<length {
                for value in 0...255 {
                    var text = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    text[position] = UInt8(value)
                    let plain = text.withUnsafeBytes { JSONWriter.isPlain($0) }
                    XCTAssertEqual(plain, plainByByte(UInt8(value)), "byte \(value) at \(position) of \(length)")
                }
            }
        }
    }
}
