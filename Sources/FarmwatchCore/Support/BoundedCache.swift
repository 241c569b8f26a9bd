#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A least-recently-used map holding at most `capacity` entries: for results that are costly
/// to compute and recur across flows (the same server sends the same certificate chain to
/// every client; a client build sends the same ClientHello shape every time). Memory stays
/// bounded whatever the traffic; a miss just computes again.
final class BoundedCache<Key: Hashable, Value> {
    private struct Entry {
        var key: Key
        var value: Value
        var newer: Int32
        var older: Int32
    }

    let capacity: Int
    private var slots: [Key: Int32] = [:]
    private var entries: [Entry] = []
    /// Most and least recently used entries (-1 when empty).
    private var newest: Int32 = -1
    private var oldest: Int32 = -1
    private(set) var hits = 0
    private(set) var misses = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        slots.reserveCapacity(capacity)
    }

    var count: Int { entries.count }

    /// The value kept for `key`, or the one `make` computes (then kept, the least recently
    /// used entry making room for it).
    func value(for key: Key, orMake make: () -> Value) -> Value {
        if let known = value(for: key) { return known }
        let value = make()
        insert(key, value)
        return value
    }

    /// The value kept for `key`, if any (counted as a hit or a miss).
    func value(for key: Key) -> Value? {
        guard let i = slots[key] else {
            misses += 1
            return nil
        }
        hits += 1
        touch(i)
        return entries[Int(i)].value
    }

    /// Keeps `value` for `key` (not already kept), the least recently used entry making room.
    func insert(_ key: Key, _ value: Value) {
        let i: Int32
        if entries.count < capacity {
            i = Int32(entries.count)
            entries.append(Entry(key: key, value: value, newer: -1, older: -1))
        } else {
            i = oldest
            unlink(i)
            slots[entries[Int(i)].key] = nil
            entries[Int(i)].key = key
            entries[Int(i)].value = value
        }
        slots[key] = i
        pushNewest(i)
    }

    private func touch(_ i: Int32) {
        guard i != newest else { return }
        unlink(i)
        pushNewest(i)
    }

    private func unlink(_ i: Int32) {
        let e = entries[Int(i)]
        if e.newer >= 0 { entries[Int(e.newer)].older = e.older } else { newest = e.older }
        if e.older >= 0 { entries[Int(e.older)].newer = e.newer } else { oldest = e.newer }
    }

    private func pushNewest(_ i: Int32) {
        entries[Int(i)].newer = -1
        entries[Int(i)].older = newest
        if newest >= 0 { entries[Int(newest)].newer = i }
        newest = i
        if oldest < 0 { oldest = i }
    }
}

/// A byte string as a cache key, hashed in one pass over its bytes: `[UInt8]`'s own hashing
/// feeds the hasher one byte at a time, several times slower on a certificate's kilobyte or two.
struct ByteKey: Hashable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: ByteKey, b: ByteKey) -> Bool {
        guard a.bytes.count == b.bytes.count else { return false }
        guard !a.bytes.isEmpty else { return true }
        return a.bytes.withUnsafeBytes { x in
            b.bytes.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
        }
    }
}
