/// SSH (RFC 4253): both identification banners, both KEXINIT algorithm lists, and the HASSH
/// and HASSHServer fingerprints (Salesforce's definition: MD5 of "kex;enc;mac;cmp" of the
/// client-to-server lists for the client, server-to-client lists for the server). Found by
/// content: a stream that opens with "SSH-", whatever the port.
public enum SSHDissector: Dissector {
    /// Banners are at most 255 bytes (RFC 4253 §4.2); a KEXINIT is rarely over 2 KB. Servers may
    /// send other lines before their banner: allow a few.
    static let bufferLimit = 16 * 1024

    public static func wants(_ flow: FlowState, firstPacket p: Packet) -> Bool {
        p.l4Proto == IPProto.tcp
    }

    public static func feed(_ chunk: StreamChunk, flow: inout FlowState, context: DissectorContext) -> DissectorVerdict {
        let side = chunk.direction
        let existing = flow.metadata?.facts(StandardDissectors.sshSlot, as: SSHFacts.self)
        if existing == nil {
            // Claim the flow only on a stream that begins with an SSH banner (a capture that
            // starts mid-connection may still start at the banner: content decides).
            guard chunk.streamOffset == 0 else { return .notMine }
            if !chunk.bytes.hasPrefix("SSH-") {
                // A server may print other lines first; a client may not (RFC 4253 §4.2).
                return side == .originator ? .notMine : .wantMore
            }
        }
        let facts = existing ?? flow.facts(StandardDissectors.sshSlot) { SSHFacts() }
        if chunk.afterGap && chunk.streamOffset > 0 {
            facts.phase[side.rawValue] = .finished
        } else if facts.phase[side.rawValue] != .finished {
            if !facts.buffer[side.rawValue].append(chunk.bytes) {
                facts.phase[side.rawValue] = .finished
                flow.metadata?.parseErrors += 1
            } else if !facts.advance(side) {
                flow.metadata?.parseErrors += 1
            }
        }
        return facts.phase[0] == .finished && facts.phase[1] == .finished ? .done : .wantMore
    }
}

/// The KEXINIT name-lists that matter for fingerprints and for judging the client.
public struct SSHKexInit {
    public var kex: [UInt8] = []
    public var hostKey: [UInt8] = []
    public var encryptionC2S: [UInt8] = []
    public var encryptionS2C: [UInt8] = []
    public var macC2S: [UInt8] = []
    public var macS2C: [UInt8] = []
    public var compressionC2S: [UInt8] = []
    public var compressionS2C: [UInt8] = []

    /// Parses a KEXINIT payload (after the message number): cookie, then ten name-lists.
    init?(_ r: inout ByteReader) {
        guard r.skip(16) else { return nil }
        var lists: [[UInt8]] = []
        for _ in 0..<10 {
            guard let n = r.u32(), n <= 8192, let bytes = r.take(Int(n)) else { return nil }
            lists.append(Array(bytes))
        }
        kex = lists[0]; hostKey = lists[1]
        encryptionC2S = lists[2]; encryptionS2C = lists[3]
        macC2S = lists[4]; macS2C = lists[5]
        compressionC2S = lists[6]; compressionS2C = lists[7]
    }

    /// The HASSH input string for the client (c2s lists) or the server (s2c lists).
    func hasshInput(client: Bool) -> [UInt8] {
        var s = kex
        s.append(UInt8(ascii: ";")); s += client ? encryptionC2S : encryptionS2C
        s.append(UInt8(ascii: ";")); s += client ? macC2S : macS2C
        s.append(UInt8(ascii: ";")); s += client ? compressionC2S : compressionS2C
        return s
    }
}

public final class SSHFacts: FlowFacts {
    enum Phase { case banner, kexinit, finished }
    var phase: [Phase] = [.banner, .banner]
    var buffer = [MessageBuffer(limit: SSHDissector.bufferLimit), MessageBuffer(limit: SSHDissector.bufferLimit)]
    /// Identification strings without CR LF, per side (originator = client).
    public private(set) var banner: [[UInt8]?] = [nil, nil]
    public private(set) var kexInit: [SSHKexInit?] = [nil, nil]
    /// What the session was used for, judged when the flow ends (SSHSessionUse).
    public internal(set) var use: SSHSessionUse?

    public var clientBanner: [UInt8]? { banner[0] }
    public var serverBanner: [UInt8]? { banner[1] }

    public var recognition: Recognition? {
        banner[0] != nil || banner[1] != nil ? .payload(.ssh) : nil
    }

    public var hassh: String? { kexInit[0].map { Hex.md5($0.hasshInput(client: true)) } }
    public var hasshServer: String? { kexInit[1].map { Hex.md5($0.hasshInput(client: false)) } }

    /// Consumes what the side's buffer holds; false on malformed input (the side stops).
    func advance(_ side: Direction) -> Bool {
        let i = side.rawValue
        while phase[i] != .finished {
            switch phase[i] {
            case .banner:
                guard let line = takeLine(i) else { return true }
                if line.starts(with: Array("SSH-".utf8)) {
                    banner[i] = Array(line.prefix(255))
                    phase[i] = .kexinit
                } else if side == .originator || line.count > 1024 {
                    phase[i] = .finished
                    return false
                }
            case .kexinit:
                // Binary packet: uint32 packet_length, byte padding_length, payload, padding.
                let result: Bool? = buffer[i].withBytes { raw in
                    var r = ByteReader(raw)
                    guard let length = r.u32() else { return nil }
                    guard length >= 5, length <= 35_000 else { return false }
                    guard r.remaining >= Int(length) else { return nil }
                    guard let padding = r.u8(), Int(padding) < Int(length) else { return false }
                    var body = r.sub(Int(length) - 1 - Int(padding))!
                    guard let type = body.u8() else { return false }
                    if type == 20 {
                        guard let k = SSHKexInit(&body) else { return false }
                        kexInit[i] = k
                    }
                    return true
                }
                switch result {
                case nil: return true                 // wait for more bytes
                case false?: phase[i] = .finished; return false
                case true?: phase[i] = .finished      // KEXINIT is the first packet either way
                }
            case .finished:
                break
            }
        }
        buffer[i].clear()
        return true
    }

    /// Takes one CR LF (or LF) terminated line off the side's buffer.
    private func takeLine(_ i: Int) -> [UInt8]? {
        let bytes = buffer[i].bytes
        guard let nl = bytes.firstIndex(of: 0x0A) else { return nil }
        var line = Array(bytes[..<nl])
        if line.last == 0x0D { line.removeLast() }
        buffer[i].consume(nl + 1)
        return line
    }

    public func writeJSON(to w: JSONWriter) {
        w.key("ssh"); w.beginObject()
        if let b = banner[0] { w.key("client"); w.string(bytes: b) }
        if let b = banner[1] { w.key("server"); w.string(bytes: b) }
        if let h = hassh { w.field("hassh", h) }
        if let h = hasshServer { w.field("hassh_server", h) }
        if let k = kexInit[0] {
            w.key("hassh_algorithms"); w.string(bytes: k.hasshInput(client: true))
        }
        if let k = kexInit[1] {
            w.key("hassh_server_algorithms"); w.string(bytes: k.hasshInput(client: false))
            w.key("host_key_algorithms"); w.string(bytes: k.hostKey)
        }
        use?.writeJSON(to: w)
        w.endObject()
    }
}
