/// What the RDP dissector learnt about one TCP connection, written as an `"rdp"` object with
/// Zeek rdp.log names where Zeek has one. The client core data (name, keyboard layout, build,
/// desktop size) is only in clear text when the peers keep Standard RDP Security; with TLS or
/// CredSSP the negotiation is all there is, and the TLS dissector reads the handshake after it.
public final class RDPFacts: FlowFacts {
    /// Longest cookie, name or product id kept (Windows truncates the cookie to 9 characters;
    /// other clients send whatever they like).
    static let textLimit = 128

    enum Phase { case negotiation, mcs, finished }
    var phase: [Phase] = [.negotiation, .negotiation]
    var buffer = [MessageBuffer(limit: RDPDissector.bufferLimit), MessageBuffer(limit: RDPDissector.bufferLimit)]

    public internal(set) var sawRequest = false
    public internal(set) var cookie: [UInt8]?
    public internal(set) var routingToken: [UInt8]?
    public internal(set) var requestedProtocols: UInt32?
    var answer: RDPConnectionSequence.NegotiationAnswer?
    public internal(set) var client: RDPClientData?
    public internal(set) var server: RDPServerData?

    public var recognition: Recognition? {
        // A bare Connection Request (no cookie, no negotiation) or a bare Confirm could be any
        // ISO transport user; the pair, or either with RDP's own negotiation data, is RDP.
        let requestIsRDP = sawRequest && (cookie != nil || routingToken != nil || requestedProtocols != nil)
        let answerIsRDP: Bool
        switch answer {
        case .selected?, .failure?: answerIsRDP = true
        case .standardSecurityOnly?: answerIsRDP = sawRequest
        case nil: answerIsRDP = false
        }
        return requestIsRDP || answerIsRDP || client != nil ? .payload(.rdp) : nil
    }

    /// The security protocol the server chose: Standard RDP Security when it answered
    /// without negotiation data.
    var selectedProtocol: UInt32? {
        switch answer {
        case .selected(let p)?: return p
        case .standardSecurityOnly?: return 0
        default: return nil
        }
    }

    func finish(_ side: Direction) {
        phase[side.rawValue] = .finished
        buffer[side.rawValue].clear()
    }

    public func writeJSON(to w: JSONWriter) {
        // A flow that opened like RDP and turned out not to be says nothing.
        guard recognition != nil else { return }
        w.key("rdp"); w.beginObject()
        if let c = cookie { w.key("cookie"); w.string(bytes: c) }
        if let t = routingToken { w.key("routing_token"); w.string(bytes: t) }
        if let p = requestedProtocols {
            w.key("requested_protocols"); w.beginArray()
            if p == 0 { w.string("RDP") }
            for (bit, name) in RDPNames.securityProtocols where bit != 0 && p & bit != 0 { w.string(name) }
            w.endArray()
        }
        switch answer {
        case .failure(let code)?:
            w.field("result", RDPNames.failure(code))
        case .selected?, .standardSecurityOnly?:
            if let p = selectedProtocol { w.field("security_protocol", RDPNames.securityProtocol(p)) }
            if let s = server { w.field("result", RDPNames.mcsResult(s.result)) }
        case nil:
            break
        }
        if let c = client {
            if !c.channels.isEmpty {
                w.key("client_channels"); w.beginArray()
                for name in c.channels { w.string(bytes: name) }
                w.endArray()
            }
            w.field("keyboard_layout_id", c.keyboardLayout)
            w.field("client_build_number", c.build)
            w.key("client_name"); w.string(bytes: c.name)
            if let id = c.digProductId { w.key("client_dig_product_id"); w.string(bytes: id) }
            w.field("desktop_width", c.desktopWidth)
            w.field("desktop_height", c.desktopHeight)
            if let depth = c.requestedColorDepth { w.field("requested_color_depth", depth) }
        }
        if let s = server {
            if let t = s.certificateType {
                w.field("cert_type", t == 1 ? "RSA" : t == 2 ? "X.509" : "unknown")
                w.field("cert_count", s.certificateCount)
                w.field("cert_permanent", s.certificatePermanent)
            }
            if let level = s.encryptionLevel { w.field("encryption_level", RDPNames.encryptionLevel(level)) }
            if let method = s.encryptionMethod { w.field("encryption_method", RDPNames.encryptionMethod(method)) }
        }
        w.endObject()
    }
}

/// The client's GCC blocks (MS-RDPBCGR §2.2.1.3.2 TS_UD_CS_CORE, §2.2.1.3.4 TS_UD_CS_NET).
public struct RDPClientData {
    public var desktopWidth: UInt16 = 0
    public var desktopHeight: UInt16 = 0
    public var keyboardLayout: UInt32 = 0
    public var build: UInt32 = 0
    /// The client computer's name (UTF-16 on the wire, here UTF-8).
    public var name: [UInt8] = []
    public var digProductId: [UInt8]?
    public var requestedColorDepth: StaticString?
    public var channels: [[UInt8]] = []

    static func parse(_ mcs: UnsafeRawBufferPointer) -> RDPClientData? {
        var r = ByteReader(mcs)
        guard RDPConnectionSequence.enterBER(&r, application: 0x65),
              let blocks = RDPConnectionSequence.userDataBlocks(r.rest, key: "Duca") else { return nil }
        var data = RDPClientData()
        var sawCore = false
        let complete = RDPConnectionSequence.forEachBlock(blocks) { type, block in
            var b = block
            switch type {
            case 0xC001:
                guard b.skip(4), let w = b.u16le(), let h = b.u16le(), b.skip(4), let layout = b.u32le(),
                      let build = b.u32le(), let name = b.take(32), b.skip(12 + 64) else { return }
                sawCore = true
                data.desktopWidth = w
                data.desktopHeight = h
                data.keyboardLayout = layout
                data.build = build
                data.name = RDPNames.utf16Text(name)
                // The optional tail: postBeta2ColorDepth, clientProductId, serialNumber,
                // highColorDepth, supportedColorDepths, earlyCapabilityFlags, clientDigProductId.
                guard b.skip(8), let high = b.u16le(), b.skip(2), let early = b.u16le() else { return }
                data.requestedColorDepth = early & 0x0002 != 0 ? "32bit" : RDPNames.colorDepth(high)
                if let id = b.take(64) { data.digProductId = RDPNames.utf16Text(id) }
            case 0xC003:
                guard let count = b.u32le(), count <= 31 else { return }
                for _ in 0..<count {
                    guard let name = b.take(8), b.skip(4) else { return }
                    data.channels.append(Array(name.prefix { $0 != 0 }))
                }
            default:
                break
            }
        }
        return complete && sawCore ? data : nil
    }
}

/// The server's answer (T.125 Connect-Response result, MS-RDPBCGR §2.2.1.4.3 TS_UD_SC_SEC1).
public struct RDPServerData {
    public var result: UInt8 = 0
    public var encryptionMethod: UInt32?
    public var encryptionLevel: UInt32?
    /// 1 proprietary (RSA), 2 X.509 (§2.2.1.4.3 dwVersion).
    public var certificateType: UInt32?
    public var certificateCount: UInt32 = 0
    public var certificatePermanent = false

    static func parse(_ mcs: UnsafeRawBufferPointer) -> RDPServerData? {
        var r = ByteReader(mcs)
        // Connect-Response starts with its result, a BER ENUMERATED.
        guard RDPConnectionSequence.enterBER(&r, application: 0x66), r.u8() == 0x0A, r.u8() == 1,
              let result = r.u8() else { return nil }
        var data = RDPServerData(result: result)
        guard let blocks = RDPConnectionSequence.userDataBlocks(r.rest, key: "McDn") else { return data }
        _ = RDPConnectionSequence.forEachBlock(blocks) { type, block in
            guard type == 0x0C02 else { return }
            var b = block
            guard let method = b.u32le(), let level = b.u32le() else { return }
            data.encryptionMethod = method
            data.encryptionLevel = level
            guard let randomLength = b.u32le(), let certLength = b.u32le(), certLength >= 4,
                  b.skip(Int(randomLength)), let version = b.u32le() else { return }
            data.certificateType = version & 0x7FFF_FFFF
            data.certificatePermanent = version & 0x8000_0000 == 0
            // An X.509 chain says how many certificates it holds; a proprietary one is one key.
            data.certificateCount = data.certificateType == 2 ? (b.u32le() ?? 0) : 1
        }
        return data
    }
}

/// Names Zeek's rdp.log uses (scripts/base/protocols/rdp/consts.zeek) for the same values.
enum RDPNames {
    static let securityProtocols: [(UInt32, StaticString)] = [
        (0x00, "RDP"), (0x01, "SSL"), (0x02, "HYBRID"), (0x04, "RDSTLS"), (0x08, "HYBRID_EX"), (0x10, "RDSAAD"),
    ]

    static func securityProtocol(_ p: UInt32) -> String {
        for (value, name) in securityProtocols where value == p { return name.description }
        return "unknown-\(p)"
    }

    static func failure(_ code: UInt32) -> String {
        switch code {
        case 1: return "SSL_REQUIRED_BY_SERVER"
        case 2: return "SSL_NOT_ALLOWED_BY_SERVER"
        case 3: return "SSL_CERT_NOT_ON_SERVER"
        case 4: return "INCONSISTENT_FLAGS"
        case 5: return "HYBRID_REQUIRED_BY_SERVER"
        case 6: return "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER"
        default: return "unknown-\(code)"
        }
    }

    /// T.125 Result (the MCS Connect-Response result).
    static func mcsResult(_ r: UInt8) -> String {
        let names = ["Success", "Domain merging", "Domain not hierarchical", "No such channel", "No such domain",
                     "No such user", "Not admitted", "Other user id", "Parameters unacceptable",
                     "Token not available", "Token not possessed", "Too many channels", "Too many tokens",
                     "Too many users", "Unspecified failure", "User rejected"]
        return Int(r) < names.count ? names[Int(r)] : "unknown-\(r)"
    }

    static func encryptionLevel(_ l: UInt32) -> String {
        switch l {
        case 0: return "None"
        case 1: return "Low"
        case 2: return "Client compatible"
        case 3: return "High"
        case 4: return "FIPS"
        default: return "unknown-\(l)"
        }
    }

    static func encryptionMethod(_ m: UInt32) -> String {
        switch m {
        case 0: return "None"
        case 1: return "40bit"
        case 2: return "128bit"
        case 8: return "56bit"
        case 0x10: return "FIPS"
        default: return "unknown-\(m)"
        }
    }

    /// highColorDepth (§2.2.1.3.2).
    static func colorDepth(_ d: UInt16) -> StaticString? {
        switch d {
        case 4: return "4bit"
        case 8: return "8bit"
        case 15: return "15bit"
        case 16: return "16bit"
        case 24: return "24bit"
        default: return nil
        }
    }

    /// A fixed-size, NUL-terminated UTF-16LE field as UTF-8 bytes.
    static func utf16Text(_ field: UnsafeRawBufferPointer) -> [UInt8] {
        var units: [UInt16] = []
        var i = 0
        while i + 1 < field.count {
            let u = field.loadLittleEndianUInt16(at: i)
            if u == 0 { break }
            units.append(u)
            i += 2
        }
        return Array(String(decoding: units, as: UTF16.self).utf8.prefix(RDPFacts.textLimit))
    }
}
