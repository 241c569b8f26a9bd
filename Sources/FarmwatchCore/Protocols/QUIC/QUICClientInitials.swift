/// The client's Initial packets of one connection: opened with the Initial keys and their
/// CRYPTO frames put back together.
///
/// Keys come from the Destination Connection ID of the client's first Initial (RFC 9001 §5.2)
/// and stay in use when later Initials go to the connection ID the server chose. A client
/// re-derives them after a Retry (from the Retry's connection ID, §5.2) or when it starts over
/// in another version after version negotiation; an Initial that does not open with the keys
/// in hand is therefore tried with keys from its own DCID and version before it counts as a
/// failure. The AEAD tag makes each try self-checking. New keys mean the client started over
/// (after a Retry or version negotiation it sends its whole ClientHello again), so the
/// stream starts over with them.
struct QUICClientInitials {
    private struct Keys {
        var version: UInt32
        var dcid: [UInt8]
        var salt: Int
        var keys: QUICInitialKeys
    }

    private var current: Keys?
    /// Largest packet number opened so far in the Initial space (-1: none).
    private var largestPacketNumber: Int64 = -1
    private(set) var crypto = QUICCryptoStream()

    enum Outcome: Equatable {
        /// Opened, and every CRYPTO frame was stored.
        case opened
        /// No key authenticates the packet (damaged, truncated, not a client Initial).
        case undecryptable
        /// Opened, but a frame was malformed or not allowed in an Initial (what came before it
        /// was kept).
        case badFrames
        /// Opened, but a CRYPTO frame lay past what the stream may hold.
        case cryptoOverflow
    }

    /// Opens one Initial packet of the datagram `d` and adds its CRYPTO data to the stream.
    mutating func read(_ d: UnsafeRawBufferPointer, _ h: QUICLongHeader) -> Outcome {
        guard let (pn, frames) = open(d, h) else { return .undecryptable }
        largestPacketNumber = max(largestPacketNumber, pn)
        var overflow = false
        let dialect = h.version.frameDialect
        let walked = frames.withUnsafeBytes { payload in
            QUICFrames.walk(payload, dialect: dialect) { offset, data in
                if !crypto.insert(offset: offset, data) { overflow = true }
            }
        }
        if overflow { return .cryptoOverflow }
        switch walked {
        case .complete: return .opened
        // Google frames other than CRYPTO are valid, just not read: the walk ends quietly.
        case .unexpectedFrame where dialect == .google: return .opened
        case .malformed, .unexpectedFrame: return .badFrames
        }
    }

    /// Tries the keys in hand, then keys derived from this packet's own DCID with each salt
    /// its version may use; keeps whichever opens it.
    private mutating func open(_ d: UnsafeRawBufferPointer, _ h: QUICLongHeader) -> (Int64, [UInt8])? {
        let dcid = UnsafeRawBufferPointer(rebasing: d[h.dcid])
        if let k = current, k.version == h.version.number,
           let opened = QUICPacketProtection.open(d, h, keys: k.keys, largestPacketNumber: largestPacketNumber) {
            return opened
        }
        for (i, salt) in h.version.initialSalts.enumerated() {
            if let k = current, k.version == h.version.number, k.salt == i, k.dcid.elementsEqual(dcid) { continue }
            let keys = QUICInitialKeys(clientDCID: dcid, salt: salt, labelPrefix: h.version.labelPrefix)
            if let opened = QUICPacketProtection.open(d, h, keys: keys, largestPacketNumber: -1) {
                if current != nil {
                    crypto = QUICCryptoStream()
                    largestPacketNumber = -1
                }
                current = Keys(version: h.version.number, dcid: Array(dcid), salt: i, keys: keys)
                return opened
            }
        }
        return nil
    }
}
