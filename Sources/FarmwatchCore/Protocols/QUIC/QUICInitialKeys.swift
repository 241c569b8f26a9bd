import Crypto
import Foundation

/// The keys protecting a client's Initial packets (RFC 9001 §5.2): derived from the
/// Destination Connection ID of the client's first Initial and a salt every implementation of
/// the version knows, so any observer can compute them. AEAD_AES_128_GCM for the payload,
/// AES-128 for header protection.
struct QUICInitialKeys {
    let key: SymmetricKey
    let iv: [UInt8]
    let hp: SymmetricKey

    /// The client's keys for an Initial sent to `dcid`.
    init(clientDCID dcid: UnsafeRawBufferPointer, salt: [UInt8], labelPrefix: String) {
        let secret = QUICInitialKeys.clientSecret(dcid: dcid, salt: salt)
        self.init(secret: secret, labelPrefix: labelPrefix)
    }

    /// Packet protection keys from a traffic secret (RFC 9001 §5.1).
    init(secret: SymmetricKey, labelPrefix: String) {
        key = QUICInitialKeys.expandLabel(secret, labelPrefix + "key", length: 16)
        iv = QUICInitialKeys.expandLabel(secret, labelPrefix + "iv", length: 12).withUnsafeBytes { Array($0) }
        hp = QUICInitialKeys.expandLabel(secret, labelPrefix + "hp", length: 16)
    }

    /// initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id)
    /// (HKDF-Extract is HMAC keyed with the salt, RFC 5869 §2.2; called directly for the
    /// reason given at `expandLabel`.)
    static func initialSecret(dcid: UnsafeRawBufferPointer, salt: [UInt8]) -> HashedAuthenticationCode<SHA256> {
        HMAC<SHA256>.authenticationCode(for: dcid, using: SymmetricKey(data: salt))
    }

    /// client_initial_secret = HKDF-Expand-Label(initial_secret, "client in", "", 32)
    static func clientSecret(dcid: UnsafeRawBufferPointer, salt: [UInt8]) -> SymmetricKey {
        expandLabel(initialSecret(dcid: dcid, salt: salt), "client in", length: 32)
    }

    /// TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) with an empty context: the info is the
    /// HkdfLabel structure, output length, "tls13 " + label, and a zero-length context. Every
    /// length asked for here fits in one SHA-256 block of output, so HKDF-Expand (RFC 5869
    /// §2.3) is the single HMAC T(1) = HMAC(PRK, info | 0x01), cut to `length`: computed
    /// directly, since swift-crypto's generic `HKDF.expand` copies its inputs byte by byte
    /// (most of the cost of opening a flow's first Initial).
    static func expandLabel<Secret: ContiguousBytes>(_ secret: Secret, _ label: String, length: Int) -> SymmetricKey {
        precondition(length <= SHA256.byteCount, "one HKDF-Expand block")
        let fullLabel = Array("tls13 \(label)".utf8)
        var info: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(fullLabel.count)]
        info += fullLabel
        info.append(0)
        info.append(1)
        let prk = secret.withUnsafeBytes { SymmetricKey(data: $0) }
        let block = HMAC<SHA256>.authenticationCode(for: info, using: prk)
        return block.withUnsafeBytes { SymmetricKey(data: UnsafeRawBufferPointer(rebasing: $0.prefix(length))) }
    }
}
