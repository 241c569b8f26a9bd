/// One direction of a TLS connection over a byte stream, cut into what the dissector acts on:
/// record headers are read as bytes arrive (a header may be split between chunks), the
/// payload of handshake records is gathered in a bounded buffer, and each complete handshake
/// message is handed out, however records and TCP segments cut it (RFC 8446 §5.1 lets a
/// message span records and a record hold several messages).
struct TLSRecordStream {
    enum Event {
        /// A complete handshake message: its type and body (valid only during the call).
        case handshake(type: UInt8, body: UnsafeRawBufferPointer)
        case changeCipherSpec
        case applicationData
    }

    enum Outcome {
        /// Everything given was consumed; more is welcome.
        case more
        /// The handler asked to stop.
        case stopped
        /// Not TLS (any more): an impossible record header or handshake length.
        case malformed
    }

    static let contentChangeCipherSpec: UInt8 = 20
    static let contentAlert: UInt8 = 21
    static let contentHandshake: UInt8 = 22
    static let contentApplicationData: UInt8 = 23
    static let contentHeartbeat: UInt8 = 24

    /// The largest record a peer may send (TLSCiphertext, RFC 5246 §6.2.3).
    static let maxRecordLength = 16_384 + 2_048
    /// Handshake bytes held for one message: a certificate chain fits with room to spare.
    static let handshakeLimit = 64 * 1024

    private var header: UInt64 = 0
    private var headerFill = 0
    private var recordType: UInt8 = 0
    private var recordRemaining = 0
    private var handshake = MessageBuffer(limit: TLSRecordStream.handshakeLimit)

    /// True when `bytes` open with a plausible record header: a known content type, version
    /// 3.x, a length a peer may send. Cheap and allocation-free (it runs before a flow is
    /// claimed).
    @inline(__always)
    static func isRecordHeader(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 5 else { return false }
        return isValidHeader(type: bytes[0], major: bytes[1], minor: bytes[2],
                             length: Int(bytes[3]) << 8 | Int(bytes[4]))
    }

    /// True when `bytes` may open a record: the content type and version bytes present are
    /// possible. A chunk of a byte or two (a peer may send its records that way) cannot say
    /// more; the length is checked once the header is complete.
    @inline(__always)
    static func mayStartRecord(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let type = bytes.first, (contentChangeCipherSpec...contentHeartbeat).contains(type) else { return false }
        return (bytes.count < 2 || bytes[1] == 3) && (bytes.count < 3 || bytes[2] <= 4)
    }

    @inline(__always)
    private static func isValidHeader(type: UInt8, major: UInt8, minor: UInt8, length: Int) -> Bool {
        major == 3 && minor <= 4 && (contentChangeCipherSpec...contentHeartbeat).contains(type)
            && length <= maxRecordLength && (length > 0 || type == contentApplicationData)
    }

    /// Consumes `bytes`, calling `handle` with each event in stream order until it returns
    /// false.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handle: (Event) -> Bool) -> Outcome {
        var offset = 0
        while offset < bytes.count {
            if headerFill < 5 {
                header = header << 8 | UInt64(bytes[offset])
                headerFill += 1
                offset += 1
                guard headerFill == 5 else { continue }
                recordType = UInt8(truncatingIfNeeded: header >> 32)
                recordRemaining = Int(header & 0xFFFF)
                guard Self.isValidHeader(type: recordType, major: UInt8(truncatingIfNeeded: header >> 24),
                                         minor: UInt8(truncatingIfNeeded: header >> 16), length: recordRemaining)
                else { return .malformed }
                // Alerts and heartbeats are skipped: a warning (e.g. unrecognized_name before
                // the ServerHello) changes nothing, and nothing follows a fatal one.
                switch recordType {
                case Self.contentChangeCipherSpec:
                    if !handle(.changeCipherSpec) { return .stopped }
                case Self.contentApplicationData:
                    if !handle(.applicationData) { return .stopped }
                default:
                    break
                }
            } else {
                let n = min(recordRemaining, bytes.count - offset)
                if recordType == Self.contentHandshake {
                    guard handshake.append(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])) else {
                        return .malformed
                    }
                }
                offset += n
                recordRemaining -= n
                if recordType == Self.contentHandshake {
                    switch drainMessages(handle) {
                    case .more: break
                    case let other: return other
                    }
                }
            }
            if headerFill == 5 && recordRemaining == 0 {
                headerFill = 0
                header = 0
            }
        }
        return .more
    }

    /// Hands out every complete handshake message in the buffer.
    private mutating func drainMessages(_ handle: (Event) -> Bool) -> Outcome {
        while true {
            let step: (consumed: Int, outcome: Outcome) = handshake.withBytes { raw in
                var r = ByteReader(raw)
                guard let type = r.u8(), let length = r.u24() else { return (0, .more) }
                guard Int(length) <= Self.handshakeLimit - 4 else { return (0, .malformed) }
                guard let body = r.take(Int(length)) else { return (0, .more) }
                return (4 + Int(length), handle(.handshake(type: type, body: body)) ? .more : .stopped)
            }
            handshake.consume(step.consumed)
            if step.consumed == 0 || step.outcome != .more { return step.outcome }
        }
    }
}
