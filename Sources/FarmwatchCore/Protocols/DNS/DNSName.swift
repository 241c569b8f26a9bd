/// Receives the labels of a domain name as it is read, so that one walk serves both the
/// detection path (validate, allocate nothing) and the extraction path (collect the text).
protocol DNSNameSink {
    mutating func label(_ bytes: UnsafeRawBufferPointer)
}

/// Validates a name without keeping it.
struct DNSNameSkipper: DNSNameSink {
    @inline(__always) mutating func label(_ bytes: UnsafeRawBufferPointer) {}
}

/// Collects a name in presentation form (RFC 1035 §5.1): labels joined by ".", with a "." or
/// "\" inside a label escaped by "\" so that label boundaries stay unambiguous. Other bytes
/// are kept as they came; the JSON writer escapes them on output. The root name is empty.
struct DNSNameText: DNSNameSink {
    var bytes: [UInt8] = []

    mutating func label(_ label: UnsafeRawBufferPointer) {
        // Room for most names at once, instead of growing the array label by label.
        if bytes.isEmpty { bytes.reserveCapacity(64) } else { bytes.append(UInt8(ascii: ".")) }
        for b in label {
            if b == UInt8(ascii: ".") || b == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
            bytes.append(b)
        }
    }
}

/// Domain names in wire form (RFC 1035 §3.1, §4.1.4), with message compression.
enum DNSName {
    /// RFC 1035 §2.3.4: 255 octets on the wire, length bytes and the root byte included.
    static let maxWireLength = 255
    /// Compression pointers followed in one name. Real resolvers meet at most a handful (Go's
    /// resolver stops at 10); the cap is what ends a pointer loop that adds no labels, and with
    /// the length cap it bounds the work a hostile name can cause.
    static let maxPointers = 32

    /// Reads the name at `offset` of `message` into `sink`. On success `offset` is just past
    /// the name as it stands in the message (past its first pointer when it is compressed).
    /// Fails on a label or pointer that runs past the message, an obsolete label type
    /// (0x40/0x80 prefixes), a name longer than 255 octets or too many pointers.
    @inline(__always)
    static func read<S: DNSNameSink>(_ message: UnsafeRawBufferPointer, at offset: inout Int, into sink: inout S) -> Bool {
        var position = offset
        var resumeAt = -1          // where the caller continues once a pointer was followed
        var wireLength = 1         // the root byte
        var pointers = 0
        while true {
            guard position >= 0, position < message.count else { return false }
            let length = Int(message[position])
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    offset = resumeAt >= 0 ? resumeAt : position + 1
                    return true
                }
                wireLength += length + 1
                guard wireLength <= maxWireLength, message.count - position - 1 >= length else { return false }
                sink.label(UnsafeRawBufferPointer(rebasing: message[(position + 1)..<(position + 1 + length)]))
                position += length + 1
            case 0xC0:
                guard position + 1 < message.count else { return false }
                pointers += 1
                guard pointers <= maxPointers else { return false }
                if resumeAt < 0 { resumeAt = position + 2 }
                position = (length & 0x3F) << 8 | Int(message[position + 1])
            default:
                return false
            }
        }
    }

    /// The name as presentation text, or nil when it is malformed.
    static func text(_ message: UnsafeRawBufferPointer, at offset: inout Int) -> [UInt8]? {
        var sink = DNSNameText()
        return read(message, at: &offset, into: &sink) ? sink.bytes : nil
    }
}
