/// The packets of the Terminal Services Gateway Server Protocol's HTTP transport ([MS-TSGU]
/// §2.2.10, the structures an RD Gateway exchanges over RDG_IN_DATA/RDG_OUT_DATA or a
/// WebSocket), as far as farmwatch reads them. Every packet starts with HTTP_PACKET_HEADER:
/// UINT16 packetType, UINT16 reserved, UINT32 packetLength (header included), little-endian.
/// Cross-checked with FreeRDP's client (libfreerdp/core/gateway/rdg.c).
enum TSGUPacket {
    static let headerLength = 8

    // HTTP_PACKET_TYPE values ([MS-TSGU] §2.2.10).
    static let handshakeRequest: UInt16 = 0x1
    static let handshakeResponse: UInt16 = 0x2
    static let tunnelCreate: UInt16 = 0x4
    static let tunnelAuth: UInt16 = 0x6
    static let channelCreate: UInt16 = 0x8
    static let data: UInt16 = 0xA
    static let keepalive: UInt16 = 0xD
    static let closeChannel: UInt16 = 0x10
    /// Highest packet type the protocol defines (PKT_TYPE_CLOSE_CHANNEL_RESPONSE).
    static let lastType: UInt16 = 0x11

    /// HTTP_HANDSHAKE_REQUEST_PACKET: header, verMajor 1, verMinor 0, clientVersion 0 and the
    /// extendedAuth flags (HTTP_EXTENDED_AUTH_NONE/SC/PAA/SSPI_NTLM: bits 0-2), 14 bytes.
    static let handshakeRequestLength: UInt32 = 14

    /// True when `b` starts with a client's HTTP_HANDSHAKE_REQUEST_PACKET: the first thing an
    /// RD Gateway client sends once its channel is open.
    static func isHandshakeRequest(_ b: UnsafeRawBufferPointer) -> Bool {
        var r = ByteReader(b)
        guard r.u16le() == handshakeRequest, r.u16le() == 0, r.u32le() == handshakeRequestLength,
              r.u8() == 1, r.u8() == 0, r.u16le() == 0, let auth = r.u16le() else { return false }
        return auth & ~0x7 == 0
    }

    /// How long the packet starting `b` is, for FramedStream: nil while the header is
    /// incomplete, -1 for a length shorter than the header or a type the protocol lacks.
    static func length(_ b: UnsafeRawBufferPointer) -> Int? {
        guard b.count >= headerLength else { return nil }
        var r = ByteReader(b)
        guard let type = r.u16le(), r.skip(2), let length = r.u32le() else { return nil }
        guard type >= handshakeRequest, type <= lastType, length >= UInt32(headerLength),
              length <= UInt32(Int32.max) else { return -1 }
        return Int(length)
    }

    /// What HTTP_CHANNEL_PACKET names: the first resource (the RDP host the gateway is asked to
    /// reach, an HTTP_UNICODE_STRING: UINT16 byte count, then UTF-16LE) and its port.
    /// Layout: header, numResources, numAltResources, port, protocol, resources.
    static func channelTarget(_ b: UnsafeRawBufferPointer) -> (host: [UInt8], port: UInt16)? {
        var r = ByteReader(b)
        guard r.u16le() == channelCreate, r.skip(6), let resources = r.u8(), resources >= 1, r.skip(1),
              let port = r.u16le(), r.skip(2), let bytes = r.u16le(), bytes >= 2, bytes % 2 == 0,
              bytes <= 2 * 256, let text = r.take(Int(bytes)) else { return nil }
        var units: [UInt16] = []
        units.reserveCapacity(Int(bytes) / 2)
        for i in stride(from: 0, to: text.count, by: 2) {
            let u = UInt16(text[i]) | UInt16(text[i + 1]) << 8
            if u == 0 { break }    // the string is sent with its terminator
            units.append(u)
        }
        guard !units.isEmpty else { return nil }
        return (Array(String(decoding: units, as: UTF16.self).utf8), port)
    }
}
