/// An SSDP message (UPnP Device Architecture 2.0 §1, UDP 1900): HTTP-style text, one of
/// NOTIFY (a device announcing itself), M-SEARCH (a control point searching) or an HTTP 200
/// answer to a search. Only the headers that name a device or a searcher are kept, each cut
/// at `maxValue` bytes; at most `maxHeaderLines` lines are read.
public struct SSDPMessage: Equatable {
    static let port: UInt16 = 1900
    static let maxValue = 256
    static let maxHeaderLines = 64

    public enum Kind: String { case notify = "NOTIFY", search = "M-SEARCH", response = "RESPONSE" }

    public var kind: Kind
    public var server: [UInt8]?
    public var location: [UInt8]?
    public var usn: [UInt8]?
    /// NT for NOTIFY, ST for M-SEARCH and responses: the device or service type.
    public var target: [UInt8]?
    /// ssdp:alive / ssdp:byebye / ssdp:update.
    public var nts: [UInt8]?
    public var userAgent: [UInt8]?

    /// nil unless the first line is one of the three SSDP start lines.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        if bytes.hasPrefix("NOTIFY * HTTP/1.") {
            kind = .notify
        } else if bytes.hasPrefix("M-SEARCH * HTTP/1.") {
            kind = .search
        } else if bytes.hasPrefix("HTTP/1.1 200") || bytes.hasPrefix("HTTP/1.0 200") {
            kind = .response
        } else {
            return nil
        }
        var lines = 0
        var start = 0
        var first = true
        while start < bytes.count, lines < SSDPMessage.maxHeaderLines {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd])
            start = end + 1
            lines += 1
            if first { first = false; continue }
            if line.isEmpty { break }
            header(line)
        }
    }

    private mutating func header(_ line: UnsafeRawBufferPointer) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        var v = colon + 1
        while v < line.count && (line[v] == 0x20 || line[v] == 0x09) { v += 1 }
        let value = Array(line[v...].prefix(SSDPMessage.maxValue))
        let name = line[..<colon].map { $0 | 0x20 }     // ASCII lower case for the comparison
        switch String(decoding: name, as: UTF8.self) {
        case "server": server = value
        case "location": location = value
        case "usn": usn = value
        case "nt", "st": target = value
        case "nts": nts = value
        case "user-agent": userAgent = value
        default: break
        }
    }
}
