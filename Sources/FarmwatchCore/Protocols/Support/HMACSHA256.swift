import Crypto

/// HMAC-SHA256 (RFC 2104) with the key's padded inner and outer blocks hashed once, so that
/// several messages under one key (TLS 1.3's HKDF-Expand-Label of one secret into key, iv and
/// hp) each cost two short hashes. Built on swift-crypto's SHA256, whose copies share state
/// copy-on-write: its own HMAC and HKDF go through generic byte-by-byte conversions that cost
/// several times the hashing.
struct HMACSHA256 {
    private static let blockSize = 64
    private var inner = SHA256()
    private var outer = SHA256()

    /// Keys longer than a block are hashed first (RFC 2104 §2).
    init(key: UnsafeRawBufferPointer) {
        if key.count > Self.blockSize {
            let digest = SHA256.hash(data: key)
            self = digest.withUnsafeBytes { HMACSHA256(key: $0) }
            return
        }
        var innerPad = InlineArray<64, UInt8>(repeating: 0x36)
        var outerPad = InlineArray<64, UInt8>(repeating: 0x5C)
        for i in 0..<key.count {
            innerPad[i] ^= key[i]
            outerPad[i] ^= key[i]
        }
        innerPad.span.withUnsafeBytes { inner.update(bufferPointer: $0) }
        outerPad.span.withUnsafeBytes { outer.update(bufferPointer: $0) }
    }

    func authenticationCode(for message: UnsafeRawBufferPointer) -> SHA256.Digest {
        var i = inner
        i.update(bufferPointer: message)
        let innerDigest = i.finalize()
        var o = outer
        innerDigest.withUnsafeBytes { o.update(bufferPointer: $0) }
        return o.finalize()
    }
}
