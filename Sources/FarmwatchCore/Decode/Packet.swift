/// Link-layer framings farmwatch decodes, by their pcap LINKTYPE_ numbers.
public enum LinkType {
    public static let null: Int32 = 0          // BSD loopback, host-order family
    public static let ethernet: Int32 = 1
    public static let ppp: Int32 = 9
    public static let raw: Int32 = 101         // raw IPv4/IPv6 (LINKTYPE_RAW)
    public static let raw12: Int32 = 12        // DLT_RAW on some BSDs / OpenBSD pcap files
    public static let raw14: Int32 = 14        // DLT_RAW on some BSDs
    public static let loop: Int32 = 108        // OpenBSD loopback, network-order family
    public static let linuxSLL: Int32 = 113
    public static let pppHDLC: Int32 = 50      // PPP in HDLC-like framing
    public static let ipv4: Int32 = 228
    public static let ipv6: Int32 = 229
    public static let linuxSLL2: Int32 = 276
}

/// The tunnel an inner flow was carried in (innermost tunnel when they nest).
public enum TunnelKind: UInt8, Sendable {
    case none = 0, gre, erspan, vxlan, geneve, ipInIP, ipv6InIP, gtpU, teredo, capwap

    public var name: String {
        switch self {
        case .none: return "none"
        case .gre: return "gre"
        case .erspan: return "erspan"
        case .vxlan: return "vxlan"
        case .geneve: return "geneve"
        case .ipInIP: return "ip-in-ip"
        case .ipv6InIP: return "6in4"
        case .gtpU: return "gtp-u"
        case .teredo: return "teredo"
        case .capwap: return "capwap"
        }
    }
}

/// A tunnel recognised on a packet whose payload could not be opened: the packet stays the
/// carrier's own flow, and the `stats` record counts it.
public enum TunnelNotOpened: UInt8, Sendable {
    case none = 0
    /// DTLS-protected (CAPWAP type 1).
    case encrypted
    /// One fragment of a tunnel payload; the tunnel's own fragments are not reassembled.
    case fragmented
}

/// The TCP options of one segment, parsed in place. `layout` keeps the option kinds in wire
/// order (up to 16, one byte each) so that SYN/SYN-ACK stack fingerprints can be written later
/// without storing the segment.
public struct TCPOptions: Sendable {
    public var mss: UInt16 = 0
    public var windowScale: UInt8 = 0
    public var hasMSS = false
    public var hasWindowScale = false
    public var sackPermitted = false
    public var hasTimestamps = false
    public var tsVal: UInt32 = 0
    public var tsEcr: UInt32 = 0
    /// Option kinds in wire order, packed little-end first: kind i is byte i. Zero-filled.
    public var layoutLow: UInt64 = 0
    public var layoutHigh: UInt64 = 0
    public var layoutCount: UInt8 = 0
    /// The options area was malformed (a length that runs past the header, or is < 2).
    public var malformed = false

    public init() {}

    @inline(__always)
    public mutating func appendKind(_ kind: UInt8) {
        let n = Int(layoutCount)
        guard n < 16 else { return }
        if n < 8 { layoutLow |= UInt64(kind) << (8 * UInt64(n)) } else { layoutHigh |= UInt64(kind) << (8 * UInt64(n - 8)) }
        layoutCount += 1
    }

    public func kind(at i: Int) -> UInt8 {
        i < 8 ? UInt8(truncatingIfNeeded: layoutLow >> (8 * UInt64(i))) : UInt8(truncatingIfNeeded: layoutHigh >> (8 * UInt64(i - 8)))
    }

    /// Option kinds as "2-4-8-1-3" (output only).
    public var layoutDescription: String {
        (0..<Int(layoutCount)).map { String(kind(at: $0)) }.joined(separator: "-")
    }
}

/// The UDP datagram that carries a tunnel, and the context it travels in itself.
public struct CarrierUDP: Sendable {
    public var present = false
    public var srcPort: UInt16 = 0
    public var dstPort: UInt16 = 0
    public var ipLength: Int = 0
    public var ttl: UInt8 = 0
    public var payloadWireLength: Int = 0
    /// The tunnel the carrier itself is inside (when tunnels nest), else none.
    public var tunnel: TunnelKind = .none
    public var tunnelID: UInt32 = 0
    public var outerSrc: IPAddress = .zero
    public var outerDst: IPAddress = .zero

    public init() {}

    init(present: Bool, srcPort: UInt16, dstPort: UInt16, ipLength: Int, ttl: UInt8, payloadWireLength: Int,
         tunnel: TunnelKind, tunnelID: UInt32, outerSrc: IPAddress, outerDst: IPAddress) {
        self.present = present
        self.srcPort = srcPort
        self.dstPort = dstPort
        self.ipLength = ipLength
        self.ttl = ttl
        self.payloadWireLength = payloadWireLength
        self.tunnel = tunnel
        self.tunnelID = tunnelID
        self.outerSrc = outerSrc
        self.outerDst = outerDst
    }
}

/// TCP flag bits as on the wire.
public enum TCPFlag {
    public static let fin: UInt8 = 0x01
    public static let syn: UInt8 = 0x02
    public static let rst: UInt8 = 0x04
    public static let psh: UInt8 = 0x08
    public static let ack: UInt8 = 0x10
    public static let urg: UInt8 = 0x20
    public static let ece: UInt8 = 0x40
    public static let cwr: UInt8 = 0x80
}

/// IP protocol numbers farmwatch tracks as flows.
public enum IPProto {
    public static let icmp: UInt8 = 1
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let icmpv6: UInt8 = 58
    public static let sctp: UInt8 = 132
}

/// One decoded packet: every field the flow engine needs, filled in place by `PacketDecoder`
/// with no allocation. `payload` points into the capture buffer, or into the fragment
/// reassembler's buffer for a reassembled datagram; it is valid until the next packet.
public struct Packet {
    public var timestampNs: Int64 = 0
    public var wireLength: Int = 0
    public var captureLength: Int = 0

    // Link layer (outermost Ethernet header when there is one)
    public var srcMAC: UInt64 = 0
    public var dstMAC: UInt64 = 0
    public var hasMAC = false
    /// 802.1Q / 802.1ad VLAN IDs: outer then inner tag, 0 when absent.
    public var vlanOuter: UInt16 = 0
    public var vlanInner: UInt16 = 0

    // Tunnel context: the innermost tunnel the flow was carried in.
    public var tunnel: TunnelKind = .none
    /// VXLAN/Geneve VNI, GRE key, ERSPAN session id or GTP TEID; 0 when none (and for
    /// CAPWAP, whose data header names no tunnel).
    public var tunnelID: UInt32 = 0
    public var outerSrc: IPAddress = .zero
    public var outerDst: IPAddress = .zero

    /// When the innermost tunnel rides on UDP (VXLAN, Geneve, GTP-U, CAPWAP), the carrier's own UDP
    /// header: the carrier is a flow in its own right (Zeek and tshark list it too), between
    /// `outerSrc` and `outerDst`.
    public var carrier = CarrierUDP()
    /// Set when the UDP payload is a tunnel whose payload cannot be read (see `TunnelNotOpened`).
    public var tunnelNotOpened: TunnelNotOpened = .none

    // Network layer (innermost IP header)
    public var ipVersion: UInt8 = 0
    public var src: IPAddress = .zero
    public var dst: IPAddress = .zero
    public var ttl: UInt8 = 0
    public var ipID: UInt32 = 0
    /// Length of the IP datagram per its header (IPv4 total length; IPv6 40 + payload length),
    /// after reassembly for fragmented datagrams: Zeek's *_ip_bytes.
    public var ipLength: Int = 0
    /// True when this datagram was reassembled from fragments.
    public var reassembled = false
    public var l4Proto: UInt8 = 0

    // Transport layer
    public var srcPort: UInt16 = 0
    public var dstPort: UInt16 = 0
    public var tcpFlags: UInt8 = 0
    public var seq: UInt32 = 0
    public var ack: UInt32 = 0
    public var window: UInt16 = 0
    public var tcpOptions = TCPOptions()
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0

    /// L4 payload actually present in the capture (may be shorter than on the wire when the
    /// snap length cut it); `payloadWireLength` is what the headers say it was.
    public var payload = UnsafeRawBufferPointer(start: nil, count: 0)
    public var payloadWireLength: Int = 0
    /// A bare ACK's zero "payload" was taken for link-layer padding and dropped
    /// (`TransportLayer.isZeroPadding`).
    public var tcpZeroPaddingIgnored = false

    public init() {}
}

/// Why a packet was not turned into a flow update. Counted per kind in the `stats` record.
public enum DecodeError: Int, CaseIterable, Sendable {
    case truncatedLink = 0
    case unsupportedLinkType
    case truncatedIPv4
    case badIPv4Header       // IHL < 5, total length < IHL*4, version mismatch
    case truncatedIPv6
    case badIPv6Header       // extension chain runs past the packet or is too long
    case truncatedTCP
    case badTCPHeader        // data offset < 5 or past the datagram
    case truncatedUDP
    case badUDPLength
    case truncatedICMP
    case truncatedTunnel
    case badTunnel
    case tunnelTooDeep
    case fragmentOverlap
    case fragmentTooLarge
    case fragmentTimeout
    case fragmentTableFull
    case captureLengthInvalid  // caplen > len, caplen > snaplen, zero length
    case badTimestamp

    public var name: String {
        switch self {
        case .truncatedLink: return "truncated_link"
        case .unsupportedLinkType: return "unsupported_link_type"
        case .truncatedIPv4: return "truncated_ipv4"
        case .badIPv4Header: return "bad_ipv4_header"
        case .truncatedIPv6: return "truncated_ipv6"
        case .badIPv6Header: return "bad_ipv6_header"
        case .truncatedTCP: return "truncated_tcp"
        case .badTCPHeader: return "bad_tcp_header"
        case .truncatedUDP: return "truncated_udp"
        case .badUDPLength: return "bad_udp_length"
        case .truncatedICMP: return "truncated_icmp"
        case .truncatedTunnel: return "truncated_tunnel"
        case .badTunnel: return "bad_tunnel"
        case .tunnelTooDeep: return "tunnel_too_deep"
        case .fragmentOverlap: return "fragment_overlap"
        case .fragmentTooLarge: return "fragment_too_large"
        case .fragmentTimeout: return "fragment_timeout"
        case .fragmentTableFull: return "fragment_table_full"
        case .captureLengthInvalid: return "capture_length_invalid"
        case .badTimestamp: return "bad_timestamp"
        }
    }
}

/// What the decoder made of one captured frame.
public enum DecodeResult: Equatable {
    /// An IP packet with a transport header (or an ICMP/other IP protocol): `packet` is filled.
    case ok
    /// Not IP at all (ARP, LLDP, STP, ...): counted, not an error.
    case notIP
    /// A fragment held for reassembly; the datagram comes out with a later fragment.
    case fragmentHeld
    /// Malformed or unsupported: counted under its kind and skipped.
    case error(DecodeError)
}
