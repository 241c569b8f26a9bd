/// The `<title>` of an HTML response, looked for in the first KiB of its (de-chunked,
/// uncompressed) body: enough for any page that puts its head first, and a fixed cost per
/// response. A title not closed within that KiB is not reported (a cut title would read as
/// the page's real one).
struct HTTPTitleCapture {
    static let limit = 1024

    enum Outcome {
        case looking
        case found([UInt8])
        /// The KiB is full and holds no complete title.
        case notFound
    }

    private var bytes: [UInt8] = []

    /// Whether a response's title is worth looking for: an HTML body with no content coding
    /// (a compressed body would have to be inflated first; not worth it for a title).
    static func wanted(contentType: [UInt8]?, contentEncoding: [UInt8]?) -> Bool {
        guard let type = contentType, type.count >= 9 else { return false }
        let isHTML = type.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[..<9]).equalsIgnoringCase("text/html") }
        guard isHTML else { return false }
        guard let coding = contentEncoding, !coding.isEmpty else { return true }
        return coding.withUnsafeBytes { $0.equalsIgnoringCase("identity") }
    }

    /// Adds body bytes (only the first KiB of the body is kept).
    mutating func add(_ body: UnsafeRawBufferPointer) -> Outcome {
        let room = Self.limit - bytes.count
        bytes.append(contentsOf: body.prefix(room))
        if let title = bytes.withUnsafeBytes(Self.title) { return .found(title) }
        return bytes.count >= Self.limit ? .notFound : .looking
    }

    /// The text between `<title ...>` and `</title`, ASCII letters in any case, trimmed of
    /// whitespace; nil when the element is absent, unclosed or empty.
    static func title(in html: UnsafeRawBufferPointer) -> [UInt8]? {
        var from = 0
        while let open = html.firstIndexIgnoringCase(of: "<title", from: from) {
            from = open + 6
            // `<title>` or `<title attr=...>`, not `<titlefoo>`.
            guard from < html.count, html[from] == UInt8(ascii: ">") || isSpace(html[from]) else { continue }
            guard let close = html[from...].firstIndex(of: UInt8(ascii: ">")),
                  let end = html.firstIndexIgnoringCase(of: "</title", from: close + 1) else { return nil }
            var lo = close + 1, hi = end
            while lo < hi && isSpace(html[lo]) { lo += 1 }
            while hi > lo && isSpace(html[hi - 1]) { hi -= 1 }
            return lo < hi ? Array(html[lo..<hi]) : nil
        }
        return nil
    }

    /// HTML whitespace (space, tab, LF, FF, CR).
    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D }
}
