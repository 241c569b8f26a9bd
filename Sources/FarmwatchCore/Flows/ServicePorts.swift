/// Port knowledge used only to decide who originated a flow whose first packet is not a SYN
/// (Zeek's likely-server-ports heuristic). Never used to name a protocol.
enum ServicePorts {
    /// Ports below 1024 and the registered ports of common services a client talks to.
    @inline(__always)
    static func looksLikeService(_ port: UInt16) -> Bool {
        if port < 1024 { return true }
        switch port {
        case 1080, 1194, 1433, 1521, 1723, 1883, 2049, 3128, 3306, 3389, 3478, 4500, 5060, 5061,
             5222, 5349, 5353, 5432, 5900...5910, 5938, 6379, 7070, 8000, 8008, 8080, 8443, 8888,
             9001, 9418, 19302, 27017, 41641, 51820:
            return true
        default:
            return false
        }
    }
}
