#!/usr/bin/env python3
"""Builds the remote-control fixture captures in captures/fixtures/remote-control/.

No public capture with ground truth exists for RustDesk, so its fixture is built byte for
byte from RustDesk's own source:
  - rustdesk/rustdesk-server libs/hbb_common/protos/rendezvous.proto (RendezvousMessage and
    its members, field numbers and types);
  - rustdesk/rustdesk libs/hbb_common/src/bytes_codec.rs (TCP framing: the low two bits of
    the first byte are the header length minus one, the little-endian header value >> 2 is
    the payload length, the shortest header is always used);
  - rustdesk/rustdesk libs/hbb_common/src/udp.rs (UDP datagrams carry one bare message:
    tokio_util's pass-through BytesCodec).
The near-miss capture holds ordinary traffic on the remote-control families' usual ports and
byte patterns that come close to their rules without meeting them; none of its flows may be
called a remote-control family.

Each capture has a NAME.truth.json sidecar listing every flow (proto, ports) and the family
farmwatch must report for it (null: none), by construction.

Requires: scapy. Usage: scripts/make-remote-control-fixtures.py [output-dir]
"""
import json
import os
import struct
import sys

from scapy.all import IP, TCP, UDP, Ether, wrpcap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "captures", "fixtures", "remote-control")
BASE_TS = 1_700_000_000
CLIENT, SERVER = "192.0.2.10", "198.51.100.20"
MAC_C, MAC_S = "02:00:00:00:00:0a", "02:00:00:00:00:0b"


# --- protobuf (proto3 wire format) -------------------------------------------------------

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_bytes(number, value):
    return varint(number << 3 | 2) + varint(len(value)) + value


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def rendezvous(member, body):
    """RendezvousMessage with one oneof member (an embedded message)."""
    return field_bytes(member, body)


def bytes_codec(payload):
    """hbb_common BytesCodec::encode."""
    n = len(payload)
    if n <= 0x3F:
        head = bytes([(n << 2) & 0xFF])
    elif n <= 0x3FFF:
        head = struct.pack("<H", (n << 2) | 1)
    elif n <= 0x3FFFFF:
        h = (n << 2) | 2
        head = struct.pack("<H", h & 0xFFFF) + bytes([h >> 16])
    else:
        head = struct.pack("<I", (n << 2) | 3)
    return head + payload


# RendezvousMessage member numbers (rendezvous.proto).
REGISTER_PEER, REGISTER_PEER_RESPONSE = 6, 7
PUNCH_HOLE_REQUEST, PUNCH_HOLE_RESPONSE = 8, 11
REQUEST_RELAY = 18

PEER_ID = b"123456789"
punch_hole_request = rendezvous(PUNCH_HOLE_REQUEST,
                                field_bytes(1, PEER_ID)          # id
                                + field_varint(2, 1)             # nat_type ASYMMETRIC
                                + field_bytes(6, b"1.3.7")       # version
                                + field_varint(7, 21119))        # udp_port
punch_hole_response = rendezvous(PUNCH_HOLE_RESPONSE,
                                 field_varint(3, 2)              # failure OFFLINE
                                 + field_bytes(4, b"relay.example.net:21117"))  # relay_server
request_relay = rendezvous(REQUEST_RELAY,
                           field_bytes(1, PEER_ID)               # id
                           + field_bytes(2, b"3f8e2b0c-8d1e-4a57-9b7e-2c1d5a6f7e80")  # uuid
                           + field_bytes(4, b"relay.example.net:21117")   # relay_server
                           + field_varint(5, 1))                 # secure
register_peer = rendezvous(REGISTER_PEER, field_bytes(1, PEER_ID) + field_varint(2, 0))
register_peer_response = rendezvous(REGISTER_PEER_RESPONSE, field_varint(2, 1))  # request_pk
# What hbbr passes on from the paired peer: its first Message (message.proto), signed_id = 3
# holding SignedId.id = 1 (signature, ID and public key; opaque here).
SIGNED_ID = 3
relayed_peer_frame = bytes_codec(field_bytes(SIGNED_ID, field_bytes(1, bytes((i * 37 + 11) & 0xFF for i in range(96)))))


# --- packets -----------------------------------------------------------------------------

class Capture:
    def __init__(self):
        self.packets = []
        self.flows = []
        self.t = 0.0

    def _add(self, pkt):
        self.t += 0.01
        pkt.time = BASE_TS + self.t
        self.packets.append(pkt)

    def tcp(self, sport, dport, exchanges, family, what):
        """A whole TCP connection: handshake, (side, bytes) payloads, FIN exchange."""
        c = Ether(src=MAC_C, dst=MAC_S) / IP(src=CLIENT, dst=SERVER)
        s = Ether(src=MAC_S, dst=MAC_C) / IP(src=SERVER, dst=CLIENT)
        cseq, sseq = 1000, 5000
        self._add(c / TCP(sport=sport, dport=dport, flags="S", seq=cseq - 1))
        self._add(s / TCP(sport=dport, dport=sport, flags="SA", seq=sseq - 1, ack=cseq))
        self._add(c / TCP(sport=sport, dport=dport, flags="A", seq=cseq, ack=sseq))
        for side, data in exchanges:
            if side == "c":
                self._add(c / TCP(sport=sport, dport=dport, flags="PA", seq=cseq, ack=sseq) / data)
                cseq += len(data)
            else:
                self._add(s / TCP(sport=dport, dport=sport, flags="PA", seq=sseq, ack=cseq) / data)
                sseq += len(data)
        self._add(c / TCP(sport=sport, dport=dport, flags="FA", seq=cseq, ack=sseq))
        self._add(s / TCP(sport=dport, dport=sport, flags="FA", seq=sseq, ack=cseq + 1))
        self._add(c / TCP(sport=sport, dport=dport, flags="A", seq=cseq + 1, ack=sseq + 1))
        self.flows.append({"proto": "tcp", "orig_p": sport, "resp_p": dport, "family": family, "what": what})

    def udp(self, sport, dport, datagrams, family, what):
        for side, data in datagrams:
            if side == "c":
                self._add(Ether(src=MAC_C, dst=MAC_S) / IP(src=CLIENT, dst=SERVER) / UDP(sport=sport, dport=dport) / data)
            else:
                self._add(Ether(src=MAC_S, dst=MAC_C) / IP(src=SERVER, dst=CLIENT) / UDP(sport=dport, dport=sport) / data)
        self.flows.append({"proto": "udp", "orig_p": sport, "resp_p": dport, "family": family, "what": what})

    def write(self, name, description):
        os.makedirs(OUT, exist_ok=True)
        wrpcap(os.path.join(OUT, name + ".pcap"), self.packets)
        truth = {"file": name + ".pcap", "description": description,
                 "generatedBy": "scripts/make-remote-control-fixtures.py",
                 "flows": self.flows}
        with open(os.path.join(OUT, name + ".truth.json"), "w") as f:
            json.dump(truth, f, indent=1)
            f.write("\n")


def tls_client_hello():
    """A minimal TLS 1.2 ClientHello (no extensions but SNI)."""
    sni = b"www.example.com"
    ext = struct.pack(">HH", 0, len(sni) + 5) + struct.pack(">HBH", len(sni) + 3, 0, len(sni)) + sni
    body = b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x04\xc0\x2f\x00\xff" + b"\x01\x00" \
        + struct.pack(">H", len(ext)) + ext
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def main():
    cap = Capture()
    cap.tcp(50001, 21116, [("c", bytes_codec(punch_hole_request)), ("s", bytes_codec(punch_hole_response))],
            "rustdesk", "PunchHoleRequest to hbbs, answered by PunchHoleResponse (peer offline, relay named)")
    # A self-hosted relay on another port: the content decides, not the port.
    cap.tcp(50002, 40117, [("c", bytes_codec(request_relay)), ("s", relayed_peer_frame)],
            "rustdesk", "RequestRelay to hbbr on a non-default port, then a relayed peer frame")
    cap.udp(50003, 21116, [("c", register_peer), ("s", register_peer_response),
                           ("c", register_peer), ("s", register_peer_response)],
            "rustdesk", "RegisterPeer heartbeats over UDP and their responses")
    cap.write("rustdesk", "RustDesk rendezvous and relay exchanges built from rustdesk-server's "
              "rendezvous.proto and hbb_common's BytesCodec")

    near = Capture()
    near.tcp(50101, 21116, [("c", b"GET / HTTP/1.1\r\nHost: 198.51.100.20\r\n\r\n"),
                            ("s", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")],
             None, "HTTP on RustDesk's rendezvous port")
    # A protobuf field that is not a RendezvousMessage member (5), correctly framed.
    near.tcp(50102, 21116, [("c", bytes_codec(field_bytes(5, field_bytes(1, PEER_ID)))),
                            ("s", bytes_codec(register_peer_response))],
             None, "BytesCodec frame around protobuf field 5, not a RendezvousMessage member")
    # A three-byte header for a payload that fits the two-byte form: BytesCodec never sends it.
    h = (len(request_relay) << 2) | 2
    near.tcp(50103, 21117, [("c", struct.pack("<H", h & 0xFFFF) + bytes([h >> 16]) + request_relay),
                            ("s", relayed_peer_frame)],
             None, "RequestRelay behind a non-shortest BytesCodec header")
    near.tcp(50104, 21117, [("c", bytes_codec(request_relay)),
                            ("s", b"HTTP/1.1 400 Bad Request\r\n\r\n")],
             None, "a RequestRelay-shaped first frame answered by HTTP")
    near.udp(50105, 21116, [("c", register_peer)], None, "one RegisterPeer datagram, never answered")
    near.udp(50106, 21116, [("c", bytes.fromhex("12340100000100000000000003777777076578616d706c6503636f6d0000010001")),
                            ("s", bytes.fromhex("12348180000100010000000003777777076578616d706c6503636f6d0000010001c00c000100010000003c0004c0000201"))],
             None, "DNS on RustDesk's UDP port")
    hello = tls_client_hello()
    near.tcp(50107, 3389, [("c", hello)], None, "TLS ClientHello on RDP's port, no X.224 before it")
    # An ISO transport (S7comm) Connection Request: TPKT + X.224 CR with TSAP parameters.
    near.tcp(50108, 3389, [("c", bytes.fromhex("0300001611e00000000100c0010ac1020100c2020102")),
                           ("s", bytes.fromhex("0300001611d00000000100c0010ac1020100c2020102"))],
             None, "ISO-on-TCP (S7) Connection Request and Confirm on RDP's port")
    near.tcp(50109, 5900, [("s", b"RFB 003.8\n"), ("c", b"RFB 003.008\n")],
             None, "a short RFB prefix that is not a 12-byte banner")
    near.tcp(50110, 5900, [("c", b"GET / HTTP/1.1\r\nHost: vnc\r\n\r\n")], None, "HTTP on VNC's port")
    near.tcp(50111, 5938, [("c", hello)], None, "TLS ClientHello on TeamViewer's port")
    # Two TeamViewer-looking headers whose lengths do not chain.
    near.tcp(50112, 5938, [("c", b"\x17\x24\x0a\x02\x00\xab\xcd" + b"\x99\x24\x0a\x20\x00"),
                           ("s", b"\x11\x30\x36\x00\x02\x00\x00\x00" + bytes(16) + b"\xab\xcd\x16\x03")],
             None, "0x17 0x24 magic whose frame lengths do not lead to the next frame")
    near.udp(50113, 5938, [("c", bytes(11) + b"\x17\x24\x47\x50\x00"), ("s", bytes(11) + b"\x17\x24\x47\x50\x00")],
             None, "UDP with TeamViewer's magic at byte 11 and a length that does not fill the datagram")
    near.tcp(50114, 4000, [("c", b"NXSH-8.x\n"), ("s", b"NXD-\n")], None, "NX-like lines without a version")
    # A game-style UDP exchange on the NoMachine port: small counters, no NX header.
    near.udp(50115, 4000, [("c", bytes.fromhex("0100020000000000000000000000")),
                           ("s", bytes.fromhex("0200020000000000000000000000")),
                           ("c", bytes.fromhex("0300020000000000000000000000"))],
             None, "UDP counters on NoMachine's port without its length field")
    near.udp(50116, 3389, [("c", b"\xff\xff\xff\xff" + bytes(60))], None, "0xFFFFFFFF start on UDP 3389, not a padded SYN")
    near.write("near-miss", "Ordinary traffic and near-miss byte patterns on remote-control ports; no flow "
               "may be called a remote-control family")
    return 0


if __name__ == "__main__":
    sys.exit(main())
