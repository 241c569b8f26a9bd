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
        let prk = secret.withUnsafeBytes { HMACSHA256(key: $0) }
        key = SymmetricKey(data: QUICInitialKeys.expandLabel(prk, labelPrefix + "key", length: 16))
        iv = QUICInitialKeys.expandLabel(prk, labelPrefix + "iv", length: 12)
        hp = SymmetricKey(data: QUICInitialKeys.expandLabel(prk, labelPrefix + "hp", length: 16))
    }

    /// initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id): HMAC keyed with
    /// the salt (RFC 5869 §2.2).
    static func initialSecret(dcid: UnsafeRawBufferPointer, salt: [UInt8]) -> SHA256.Digest {
        salt.withUnsafeBytes { HMACSHA256(key: $0) }.authenticationCode(for: dcid)
    }

    /// client_initial_secret = HKDF-Expand-Label(initial_secret, "client in", "", 32)
    static func clientSecret(dcid: UnsafeRawBufferPointer, salt: [UInt8]) -> SymmetricKey {
        let prk = initialSecret(dcid: dcid, salt: salt).withUnsafeBytes { HMACSHA256(key: $0) }
        return SymmetricKey(data: expandLabel(prk, "client in", length: 32))
    }

    /// TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) with an empty context: the info is the
    /// HkdfLabel structure, output length, "tls13 " + label, and a zero-length context. Every
    /// length asked for here fits in one SHA-256 block of output, so HKDF-Expand (RFC 5869
    /// §2.3) is the single HMAC T(1) = HMAC(PRK, info | 0x01), cut to `length`.
    static func expandLabel(_ prk: HMACSHA256, _ label: String, length: Int) -> [UInt8] {
        precondition(length <= SHA256.byteCount, "one HKDF-Expand block")
        let fullLabel = Array("tls13 \(label)".utf8)
        var info: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(fullLabel.count)]
        info += fullLabel
        info.append(0)
        info.append(1)
        let block = info.withUnsafeBytes { prk.authenticationCode(for: $0) }
        return block.withUnsafeBytes { Array($0.prefix(length)) }
    }
}
