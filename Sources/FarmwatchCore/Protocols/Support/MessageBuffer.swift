/// Collects one direction's bytes for a dissector whose messages may span TCP segments (a TLS
/// handshake, an SSH KEXINIT, HTTP headers). Bounded: past `limit` bytes it refuses, and the
/// dissector gives up rather than grow. Allocated only for flows the dissector has claimed.
public struct MessageBuffer {
    public private(set) var bytes: [UInt8] = []
    public let limit: Int

    public init(limit: Int) { self.limit = limit }

    /// Appends a chunk; false when the limit would be passed (nothing is appended then).
    public mutating func append(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count + chunk.count <= limit else { return false }
        bytes.append(contentsOf: chunk)
        return true
    }

    /// Drops the first `n` bytes (a message consumed).
    public mutating func consume(_ n: Int) {
        bytes.removeFirst(min(n, bytes.count))
    }

    public mutating func clear() { bytes.removeAll() }

    public var isEmpty: Bool { bytes.isEmpty }

    /// Runs `body` over the collected bytes.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }
}
