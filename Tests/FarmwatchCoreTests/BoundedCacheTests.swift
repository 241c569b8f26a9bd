import XCTest
@testable import FarmwatchCore

/// The bounded LRU behind the certificate and fingerprint caches: it keeps at most its
/// capacity, evicts the least recently used entry, and computes again after an eviction.
final class BoundedCacheTests: XCTestCase {
    func testEvictsTheLeastRecentlyUsedEntry() {
        let cache = BoundedCache<ByteKey, Int>(capacity: 2)
        var computed: [UInt8] = []
        func value(_ k: UInt8) -> Int {
            cache.value(for: ByteKey([k])) { computed.append(k); return Int(k) * 10 }
        }
        XCTAssertEqual(value(1), 10)
        XCTAssertEqual(value(2), 20)
        XCTAssertEqual(value(1), 10, "a hit")
        XCTAssertEqual(value(3), 30, "evicts 2, the least recently used")
        XCTAssertEqual(cache.count, 2)
        XCTAssertEqual(value(1), 10, "1 was kept")
        XCTAssertEqual(value(2), 20, "2 is computed again")
        XCTAssertEqual(computed, [1, 2, 3, 2])
        XCTAssertEqual(cache.hits, 2)
        XCTAssertEqual(cache.misses, 4)
    }

    func testByteKeysCompareByContent() {
        XCTAssertEqual(ByteKey([1, 2, 3]), ByteKey([1, 2, 3]))
        XCTAssertNotEqual(ByteKey([1, 2, 3]), ByteKey([1, 2, 4]))
        XCTAssertNotEqual(ByteKey([1, 2]), ByteKey([1, 2, 0]))
        XCTAssertEqual(ByteKey([]), ByteKey([]))
        XCTAssertEqual(Set([ByteKey([9, 9]), ByteKey([9, 9]), ByteKey([])]).count, 2)
    }
}
