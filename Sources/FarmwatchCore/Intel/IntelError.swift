/// Why a geolocation database or an address list could not be used. Each message names the
/// file (and line), so a user can fix the configuration without guessing.
public enum IntelError: Error, Equatable, CustomStringConvertible {
    case fileMissing(path: String)
    case fileUnreadable(path: String, reason: String)
    /// The file opened but is not a usable MaxMind DB (wrong format, truncated, corrupt).
    case notMaxMindDatabase(path: String, reason: String)
    case malformedListLine(path: String, line: Int, text: String, reason: String)

    public var description: String {
        switch self {
        case .fileMissing(let path):
            return "\(path): no such file"
        case .fileUnreadable(let path, let reason):
            return "\(path): cannot be read: \(reason)"
        case .notMaxMindDatabase(let path, let reason):
            return "\(path): not a usable MaxMind DB (.mmdb) file: \(reason)"
        case .malformedListLine(let path, let line, let text, let reason):
            return "\(path):\(line): \(reason): \"\(text)\""
        }
    }
}
