#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the command line's files, directories and "-" into the list of captures to read,
/// in time order: files are ordered by their first packet's timestamp so that rotated
/// captures (and a directory of them) read as one continuous stream.
public enum CaptureInputs {
    public struct Resolved {
        public var paths: [String]
        /// Inputs that could not be used, with a one-line reason each.
        public var problems: [String]
        public var totalBytes: Int64
    }

    static let captureSuffixes = [".pcap", ".pcapng", ".cap", ".dmp"]

    public static func resolve(_ arguments: [String]) -> Resolved {
        var files: [String] = []
        var problems: [String] = []
        for arg in arguments {
            if arg == "-" { files.append(arg); continue }
            var st = stat()
            guard stat(arg, &st) == 0 else {
                problems.append("\(arg): \(String(cString: strerror(errno)))")
                continue
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                let found = filesBelow(arg)
                if found.isEmpty { problems.append("\(arg): no capture files in this directory") }
                files += found
            } else {
                files.append(arg)
            }
        }
        // Order by first packet time; files whose first packet cannot be read keep their
        // place at the end (reading them reports why).
        let stamped = files.enumerated().map { (i, f) -> (Int64, Int, String) in
            (f == "-" ? Int64.min : (PcapSource.firstTimestampNs(of: f) ?? Int64.max), i, f)
        }
        let ordered = stamped.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { $0.2 }
        var total: Int64 = 0
        for f in ordered where f != "-" {
            var st = stat()
            if stat(f, &st) == 0 { total += Int64(st.st_size) }
        }
        return Resolved(paths: ordered, problems: problems, totalBytes: total)
    }

    /// Capture files below a directory (recursively), by name suffix.
    static func filesBelow(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name.hasPrefix(".") { continue }
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            var st = stat()
            guard stat(path, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                out += filesBelow(path)
            } else if captureSuffixes.contains(where: { name.lowercased().hasSuffix($0) }) || isRotatedName(name) {
                out.append(path)
            }
        }
        return out.sorted()
    }

    /// tcpdump -C/-W and -G rotation names: "capture.pcap0", "dump.pcap.12", "trace-0001.pcap".
    static func isRotatedName(_ name: String) -> Bool {
        let lower = name.lowercased()
        for suffix in [".pcap", ".pcapng", ".cap"] {
            guard let end = lower.lastRange(of: suffix) else { continue }
            let rest = lower[end...].drop(while: { $0 == "." })
            if !rest.isEmpty && rest.allSatisfy(\.isNumber) { return true }
        }
        return false
    }
}

private extension String {
    /// End index of the last occurrence of `needle`.
    func lastRange(of needle: String) -> String.Index? {
        var found: String.Index?
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { found = index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return found
    }
}
