/// What the RFB dissector learnt about one connection, written as an `"rfb"` object with Zeek
/// rfb.log names, and the handshake state it needs to learn it (RFC 6143 §7.1–7.3).
public final class RFBFacts: FlowFacts {
    enum Phase {
        case banner
        /// Server: the security types (3.7+) or the chosen type (3.3). Client: its choice.
        case security
        case failureReason
        /// VNC authentication: server's challenge, client's response (16 bytes each).
        case challenge
        case result
        /// Server: ServerInit. Client: ClientInit.
        case initialisation
        case finished
    }

    var phase: [Phase] = [.banner, .banner]
    var buffer = [MessageBuffer(limit: RFBDissector.bufferLimit), MessageBuffer(limit: RFBDissector.bufferLimit)]
    /// Set when bytes broke the handshake; the dissector counts it once it knows the flow is RFB.
    var malformed = false
    let serverSide: Direction
    var clientSide: Direction { serverSide == .originator ? .responder : .originator }

    public internal(set) var serverVersion: (major: [UInt8], minor: [UInt8])?
    public internal(set) var clientVersion: (major: [UInt8], minor: [UInt8])?
    /// Security types the server offered (3.7+), and the one in force.
    public internal(set) var offeredTypes: [UInt8] = []
    public internal(set) var securityType: UInt32?
    public internal(set) var authenticated: Bool?
    public internal(set) var failureReason: [UInt8]?
    public internal(set) var shareFlag: Bool?
    public internal(set) var width: UInt16?
    public internal(set) var height: UInt16?
    public internal(set) var desktopName: [UInt8]?

    init(serverSide: Direction) { self.serverSide = serverSide }

    /// Both banners, or the server's banner followed by a well-formed security message.
    public var recognition: Recognition? {
        serverVersion != nil && (clientVersion != nil || securityType != nil || !offeredTypes.isEmpty)
            ? .payload(.vnc) : nil
    }

    /// The version in force is the client's answer (RFC 6143 §7.1.1); minor versions other
    /// than 7 and 8 behave as 3.3, Apple's 3.889 as 3.8.
    private var minor: Int {
        guard let m = clientVersion?.minor else { return 3 }
        let n = m.reduce(0) { $0 * 10 + Int($1 &- 48) }
        return n >= 8 ? 8 : n == 7 ? 7 : 3
    }

    func releaseBuffers() {
        buffer[0].clear()
        buffer[1].clear()
    }

    /// Reads what both sides' buffers hold, as far as the handshake can go.
    func advance() {
        var progressed = true
        while progressed {
            progressed = step(serverSide) || step(clientSide)
        }
    }

    /// One message from one side, if it is all there; false when nothing moved.
    private func step(_ side: Direction) -> Bool {
        let i = side.rawValue
        let before = phase[i]
        guard before != .finished else { return false }
        var consumed = 0
        let isServer = side == serverSide
        buffer[i].withBytes { raw in
            var r = ByteReader(raw)
            consumed = isServer ? serverMessage(&r) : clientMessage(&r)
        }
        if phase[i] == .finished {
            buffer[i].clear()
            return true
        }
        buffer[i].consume(consumed)
        return consumed > 0 || phase[i] != before
    }

    private func finish(_ side: Direction, malformed bad: Bool = false) {
        phase[side.rawValue] = .finished
        if bad { malformed = true }
    }

    /// Either side opening with something else than a banner: not RFB, both sides stop.
    private func notABanner() -> Int {
        finish(.originator, malformed: true)
        finish(.responder)
        return 0
    }

    /// Reads the banner; returns (major, minor) digits or nil when not a banner.
    private static func banner(_ r: inout ByteReader) -> (major: [UInt8], minor: [UInt8])? {
        guard let b = r.take(RFBDissector.bannerLength), RFBDissector.mayBeBanner(b) else { return nil }
        return (Array(b[4..<7]), Array(b[8..<11]))
    }

    /// Bytes consumed by the server's next message (0 when it is not all there yet).
    private func serverMessage(_ r: inout ByteReader) -> Int {
        let side = serverSide
        let i = side.rawValue
        switch phase[i] {
        case .banner:
            guard r.remaining >= RFBDissector.bannerLength else { return 0 }
            guard let v = Self.banner(&r) else { return notABanner() }
            serverVersion = v
            phase[i] = .security
        case .security:
            // What the server sends depends on the version the client answered with.
            guard clientVersion != nil else { return 0 }
            if minor >= 7 {
                guard let count = r.peek(), r.remaining >= 1 + Int(count) else { return 0 }
                _ = r.u8()
                if count == 0 { phase[i] = .failureReason; break }
                offeredTypes = Array(r.take(Int(count))!)
            } else {
                guard let type = r.u32() else { return 0 }
                if type == 0 { phase[i] = .failureReason; break }
                guard type <= 255 else { finish(side, malformed: true); return 0 }
                securityType = type
            }
            phase[i] = .challenge
        case .challenge:
            // The type in force is the client's choice from 3.7 on: wait for it.
            guard let type = securityType else { return 0 }
            switch type {
            case 2:
                guard r.skip(16) else { return 0 }
                phase[i] = .result
            case 1:
                phase[i] = minor >= 8 ? .result : .initialisation
            default:
                // Tight, VeNCrypt, Apple and the rest continue with their own sub-protocols.
                finish(side)
                return 0
            }
        case .result:
            guard let result = r.u32() else { return 0 }
            authenticated = result == 0
            if result == 0 {
                phase[i] = .initialisation
            } else if minor >= 8 {
                phase[i] = .failureReason
            } else {
                finish(side)
            }
        case .failureReason:
            guard let length = r.u32() else { return 0 }
            guard Int(length) <= RFBDissector.textLimit else { finish(side, malformed: true); return 0 }
            guard let text = r.take(Int(length)) else { return 0 }
            failureReason = Array(text)
            finish(side)
        case .initialisation:
            guard r.remaining >= 24 else { return 0 }
            let w = r.u16()!, h = r.u16()!
            _ = r.skip(16)
            let length = r.u32()!
            guard Int(length) <= RFBDissector.textLimit else { finish(side, malformed: true); return 0 }
            guard let name = r.take(Int(length)) else { return 0 }
            width = w
            height = h
            desktopName = Array(name)
            finish(side)
        case .finished:
            return 0
        }
        return r.offset
    }

    /// Bytes consumed by the client's next message.
    private func clientMessage(_ r: inout ByteReader) -> Int {
        let side = clientSide
        let i = side.rawValue
        switch phase[i] {
        case .banner:
            guard r.remaining >= RFBDissector.bannerLength else { return 0 }
            guard let v = Self.banner(&r) else { return notABanner() }
            clientVersion = v
            phase[i] = .security
        case .security:
            if minor >= 7 {
                guard let chosen = r.u8() else { return 0 }
                // The choice must be one the server offered (when the offer was seen).
                if !offeredTypes.isEmpty && !offeredTypes.contains(chosen) { finish(side, malformed: true); return 0 }
                securityType = UInt32(chosen)
            } else if securityType == nil {
                return 0
            }
            switch securityType! {
            case 2: phase[i] = .challenge
            case 1: phase[i] = .initialisation
            default: finish(side)
            }
        case .challenge:
            guard r.skip(16) else { return 0 }
            phase[i] = .initialisation
        case .initialisation:
            guard let shared = r.u8() else { return 0 }
            shareFlag = shared != 0
            finish(side)
        case .result, .failureReason, .finished:
            return 0
        }
        return r.offset
    }

    /// Zeek's names for the security types (scripts/base/protocols/rfb/main.zeek).
    static func authenticationName(_ type: UInt32) -> String {
        switch type {
        case 0: return "Invalid"
        case 1: return "None"
        case 2: return "VNC"
        case 5: return "RA2"
        case 6: return "RA2ne"
        case 16: return "Tight"
        case 17: return "Ultra"
        case 18: return "TLS"
        case 19: return "VeNCrypt"
        case 20: return "GTK-VNC SASL"
        case 21: return "MD5 hash authentication"
        case 22: return "Colin Dean xvp"
        case 30: return "Apple Remote Desktop"
        default: return "unknown-\(type)"
        }
    }

    public func writeJSON(to w: JSONWriter) {
        guard recognition != nil else { return }
        w.key("rfb"); w.beginObject()
        if let v = clientVersion {
            w.key("client_major_version"); w.string(bytes: v.major)
            w.key("client_minor_version"); w.string(bytes: v.minor)
        }
        if let v = serverVersion {
            w.key("server_major_version"); w.string(bytes: v.major)
            w.key("server_minor_version"); w.string(bytes: v.minor)
        }
        if !offeredTypes.isEmpty {
            w.key("offered_authentication_methods"); w.beginArray()
            for t in offeredTypes { w.string(Self.authenticationName(UInt32(t))) }
            w.endArray()
        }
        if let t = securityType { w.field("authentication_method", Self.authenticationName(t)) }
        if let a = authenticated { w.field("auth", a) }
        if let reason = failureReason { w.key("failure_reason"); w.string(bytes: reason) }
        if let s = shareFlag { w.field("share_flag", s) }
        if let n = desktopName { w.key("desktop_name"); w.string(bytes: n) }
        if let v = width { w.field("width", v) }
        if let v = height { w.field("height", v) }
        w.endObject()
    }
}
