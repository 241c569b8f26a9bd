import Crypto
import _CryptoExtras
import Foundation

/// Removes the protection of one long-header packet: header protection (RFC 9001 §5.4), then
/// AEAD_AES_128_GCM with the header as associated data (§5.3). Works on a copy of the header;
/// the datagram is read, never written.
enum QUICPacketProtection {
    /// AES-GCM's tag, and the header-protection sample size.
    static let tagLength = 16
    static let sampleLength = 16

    /// The packet number and plaintext frames of the packet, or nil when it is too short to
    /// carry a sample and a tag or does not authenticate with these keys (other keys, or a
    /// damaged packet). `largestPacketNumber` is the largest already opened in this packet
    /// number space (-1 for none), for reconstructing the full number.
    static func open(_ d: UnsafeRawBufferPointer, _ h: QUICLongHeader, keys: QUICInitialKeys,
                     largestPacketNumber: Int64) -> (packetNumber: Int64, frames: [UInt8])? {
        // The sample starts 4 bytes after the packet number offset, whatever the packet number
        // length turns out to be (§5.4.2).
        let sampleStart = h.packetNumberOffset + 4
        guard h.end <= d.count, sampleStart + sampleLength <= h.end else { return nil }
        var mask = Array(UnsafeRawBufferPointer(rebasing: d[sampleStart..<(sampleStart + sampleLength)]))
        do { try AES.permute(&mask, key: keys.hp) } catch { return nil }

        // Long headers protect the low 4 bits of the first byte (reserved bits and packet
        // number length) and the packet number bytes.
        let first = d[h.start] ^ (mask[0] & 0x0F)
        let pnLength = Int(first & 0x03) + 1
        let payloadStart = h.packetNumberOffset + pnLength
        guard payloadStart + tagLength <= h.end else { return nil }
        var header = Array(UnsafeRawBufferPointer(rebasing: d[h.start..<payloadStart]))
        header[0] = first
        var truncated: UInt64 = 0
        let pnIndex = h.packetNumberOffset - h.start
        for i in 0..<pnLength {
            header[pnIndex + i] ^= mask[1 + i]
            truncated = truncated << 8 | UInt64(header[pnIndex + i])
        }
        let pn = decodePacketNumber(largest: largestPacketNumber, truncated: truncated, bits: pnLength * 8)

        // The nonce is the IV with the packet number XORed into its low bytes (§5.3).
        var nonce = keys.iv
        for i in 0..<8 { nonce[11 - i] ^= UInt8(truncatingIfNeeded: UInt64(pn) >> (8 * UInt64(i))) }
        let ciphertext = UnsafeRawBufferPointer(rebasing: d[payloadStart..<(h.end - tagLength)])
        let tag = UnsafeRawBufferPointer(rebasing: d[(h.end - tagLength)..<h.end])
        guard let box = try? AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce), ciphertext: ciphertext, tag: tag),
              let plain = try? AES.GCM.open(box, using: keys.key, authenticating: header) else { return nil }
        return (pn, [UInt8](plain))
    }

    /// The full packet number closest to the next expected one (RFC 9000 §17.1, Appendix A.3).
    static func decodePacketNumber(largest: Int64, truncated: UInt64, bits: Int) -> Int64 {
        let expected = largest + 1
        let window = Int64(1) << bits
        let half = window / 2
        let candidate = (expected & ~(window - 1)) | Int64(truncated)
        if candidate <= expected - half && candidate < (Int64(1) << 62) - window {
            return candidate + window
        }
        if candidate > expected + half && candidate >= window {
            return candidate - window
        }
        return candidate
    }
}
