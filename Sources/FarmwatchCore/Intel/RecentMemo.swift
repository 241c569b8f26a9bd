/// A bounded memo: at most `capacity` answers kept, in two generations. New answers go into the
/// young generation; when it is half the capacity, the old one is dropped and the young one
/// becomes old. An answer found in the old generation moves back to the young one, so peers
/// that keep talking stay cached and a scan over millions of addresses cannot grow memory.
struct RecentMemo<Key: Hashable, Value> {
    let capacity: Int
    private var young: [Key: Value] = [:]
    private var old: [Key: Value] = [:]

    init(capacity: Int) {
        self.capacity = max(2, capacity)
    }

    var count: Int { young.count + old.count }

    mutating func value(for key: Key, orCompute compute: () -> Value) -> Value {
        if let v = young[key] { return v }
        let v = old.removeValue(forKey: key) ?? compute()
        if young.count >= capacity / 2 {
            old = young
            young = [:]
            young.reserveCapacity(capacity / 2)
        }
        young[key] = v
        return v
    }
}
