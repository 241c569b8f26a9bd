/// Address → the name it was resolved from, learnt from DNS (and mDNS/LLMNR) answers, so that
/// a later flow to the address carries `server_name` with source `dns` (what Zeek users do by
/// joining dns.log, what nDPI does with its DNS cache). Bounded: a fixed number of entries,
/// replaced by the clock algorithm (an entry looked up since the hand last passed gets a
/// second chance; an expired one goes first), so a flood of answers cannot grow it.
/// Times are packet times, never the wall clock, so a capture gives the same result however
/// fast it is read.
public final class DNSNameCache {
    public static let defaultCapacity = 65_536
    /// A TTL longer than a day is cut to a day: the name may have moved on since.
    public static let maxTTLSeconds: Int64 = 86_400
    /// A TTL shorter than this is raised to it: an answer with TTL 0 (or 5, as CDNs and
    /// load balancers like) is still what the client connects with a moment later.
    public static let minTTLSeconds: Int64 = 60

    struct Entry {
        var address: IPAddress
        var name: [UInt8]
        var expiresNs: Int64
        var referenced: Bool
    }

    public let capacity: Int
    private var slots: [Entry] = []
    private var index: [IPAddress: Int] = [:]
    private var hand = 0
    /// Live entries pushed out to make room (a sign the cap is too small for the traffic).
    public private(set) var evictions: UInt64 = 0

    public init(capacity: Int = DNSNameCache.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    public var count: Int { slots.count }

    /// Remembers that `address` was resolved from `name` at `nowNs`, for `ttl` seconds
    /// (clamped to [minTTLSeconds, maxTTLSeconds]). A newer answer replaces an older one.
    public func insert(_ address: IPAddress, name: [UInt8], ttl: UInt32, at nowNs: Int64) {
        let seconds = min(max(Int64(ttl), DNSNameCache.minTTLSeconds), DNSNameCache.maxTTLSeconds)
        let entry = Entry(address: address, name: name, expiresNs: nowNs &+ seconds * 1_000_000_000, referenced: false)
        if let i = index[address] {
            slots[i] = entry
            return
        }
        if slots.count < capacity {
            index[address] = slots.count
            slots.append(entry)
            return
        }
        let i = victim(at: nowNs)
        index[slots[i].address] = nil
        index[address] = i
        slots[i] = entry
    }

    /// The name `address` was resolved from, when the answer has not expired at `nowNs`.
    @inline(__always)
    public func lookup(_ address: IPAddress, at nowNs: Int64) -> [UInt8]? {
        guard !slots.isEmpty, let i = index[address] else { return nil }
        guard slots[i].expiresNs > nowNs else { return nil }
        slots[i].referenced = true
        return slots[i].name
    }

    /// The slot to reuse: the first expired or unreferenced entry from the hand on, clearing
    /// reference bits on the way (two turns at most).
    private func victim(at nowNs: Int64) -> Int {
        while true {
            let i = hand
            hand = (hand + 1) % slots.count
            if slots[i].expiresNs <= nowNs { return i }
            if !slots[i].referenced {
                evictions += 1
                return i
            }
            slots[i].referenced = false
        }
    }
}
