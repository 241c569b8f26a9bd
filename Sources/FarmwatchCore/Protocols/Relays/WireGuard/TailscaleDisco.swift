/// A Tailscale discovery ("disco") frame, which Tailscale's magicsock sends on the same UDP
/// socket as its WireGuard packets to find and keep direct paths (tailscale/tailscale
/// disco/disco.go): the 6-byte magic "TS💬" (54 53 F0 9F 92 AC), the sender's 32-byte disco
/// public key, a 24-byte NaCl nonce, then a sealed box (16-byte tag over at least the 2-byte
/// message header: type and version).
enum TailscaleDisco {
    static let magic: [UInt8] = [0x54, 0x53, 0xF0, 0x9F, 0x92, 0xAC]
    static let keyOffset = 6
    static let keyLength = 32
    static let minimumSize = 6 + 32 + 24 + 16 + 2

    /// True when the datagram is a disco frame.
    @inline(__always)
    static func matches(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count >= minimumSize else { return false }
        for i in 0..<magic.count where b[i] != magic[i] { return false }
        return true
    }
}
