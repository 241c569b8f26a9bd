#!/usr/bin/env python3
"""Write the IP-KVM scenario captures (captures/scenarios/NAME.pcap and NAME.truth.json).

    kvm_scenarios.py NAME OUT_DIR        NAME: kvm-farm | benign-lan-kvm

No IP-KVM firmware runs in the namespace lab (PiKVM, TinyPilot and JetKVM ship as images for
their own boards), so these two captures are synthesised packet by packet, with the timings
placed exactly where the lab's delayer would put them. Everything else follows the lab: the
Dallas office, its addresses, the operator in Shenyang 180 ms away, snaplen 512, the sidecar
format of scenario_truth.py (whose site and GeoIP tables this reuses).

kvm-farm: a facilitator's home office holds three laptops, each with an IP-KVM plugged into
its HDMI and USB ports. The sensor is a mirror port of the office switch (it sees the LAN's
DHCP as well as the traffic through the router). The operator in Shenyang opens each KVM's
web console one after the other and types and moves the mouse in it:
  - 10.20.0.21 PiKVM: named by its DHCP host name "pikvm" (RFC 2132 option 12); its console
    is TLS 1.3 (RFC 8446), so its certificate is encrypted and the flow itself names nothing;
  - 10.20.0.22 TinyPilot: its web page's title says so (a plain-HTTP visit to port 80 before
    the TLS 1.3 console);
  - 10.20.0.23 JetKVM: its console is TLS 1.2 (RFC 5246) and its self-signed certificate
    (made here with openssl, subject O=JetKVM, CN=jetkvm) is sent in the clear.
benign-lan-kvm: the office's IT admin on the IT VLAN (1 ms away) uses the PiKVM of a lab
machine ("pikvm-lab") at 10:20 local time.

The console: once the TLS session is up, the browser upgrades to a WebSocket (opaque inside
TLS) and asks for the next frame after every frame it gets, as noVNC does over WebSocket
(RFB FramebufferUpdateRequest, RFC 6143 7.5.3); key presses (100–400 ms apart, pauses of
1.5–4 s between lines) and mouse drags (a move every 15–40 ms) go to the KVM on the
person's own schedule, as scripts/lab/rfb_operator.py types them. Each request the browser
sends leaves it 0.05–0.3 ms after the frame arrived (a WebSocket message handler); its second
TLS flight 0.5–1.5 ms after the server's.

Seeded: every run writes the same packets except the certificate's key and signature.
"""
import datetime
import hashlib
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scenario_truth import GEO, SITE, ipv4_addresses  # noqa: E402

SNAPLEN = 512
MSS = 1448
ROUTER_IP, ROUTER_MAC = "10.20.0.1", "02:00:0a:14:00:01"
CONTROLLER = "203.0.113.50"
ADMIN = "10.20.1.20"


# --- frames (Ethernet II, IPv4 RFC 791, TCP RFC 9293, UDP RFC 768) --------------------------

def mac(text):
    return bytes(int(b, 16) for b in text.split(":"))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Wire:
    """The frames the sensor sees, with their timestamps (seconds)."""

    def __init__(self):
        self.frames = []
        self.ip_id = 0x1000

    def ipv4(self, t, src_mac, dst_mac, src, dst, proto, l4):
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), self.ip_id, 0x4000, 64, proto, 0,
                             socket.inet_aton(src), socket.inet_aton(dst))
        header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
        self.frames.append((t, mac(dst_mac) + mac(src_mac) + b"\x08\x00" + header + l4))

    def l4_checksum(self, src, dst, proto, segment):
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, len(segment))
        return checksum(pseudo + segment)

    def udp(self, t, src_mac, dst_mac, src, sport, dst, dport, payload):
        seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        seg = seg[:6] + struct.pack("!H", self.l4_checksum(src, dst, 17, seg)) + seg[8:]
        self.ipv4(t, src_mac, dst_mac, src, dst, 17, seg)

    def tcp(self, t, src_mac, dst_mac, src, sport, dst, dport, seq, ack, flags, payload=b"", options=b""):
        offset = (20 + len(options)) // 4
        seg = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, offset << 4, flags,
                          64240, 0, 0) + options + payload
        seg = seg[:16] + struct.pack("!H", self.l4_checksum(src, dst, 6, seg)) + seg[18:]
        self.ipv4(t, src_mac, dst_mac, src, dst, 6, seg)

    def write(self, path, start_epoch):
        self.frames.sort(key=lambda f: f[0])
        base = self.frames[0][0]
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, 1))
            for t, frame in self.frames:
                us = round((t - base) * 1e6)
                sec, frac = divmod(us, 1_000_000)
                kept = frame[:SNAPLEN]
                f.write(struct.pack("<IIII", start_epoch + sec, frac, len(kept), len(frame)))
                f.write(kept)


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class TCPConn:
    """One TCP connection from a client beyond the router to a server on the LAN segment."""

    def __init__(self, wire, client, cport, server, server_mac, sport):
        self.w, self.client, self.cport, self.server, self.server_mac, self.sport = wire, client, cport, server, server_mac, sport
        self.cseq, self.sseq = 0x2A000000 + cport * 7919, 0x5B000000 + sport * 104729

    def from_client(self, t, flags, payload=b"", options=b""):
        self.w.tcp(t, ROUTER_MAC, self.server_mac, self.client, self.cport, self.server, self.sport,
                   self.cseq, self.sseq if flags & ACK else 0, flags, payload, options)
        self.cseq += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def from_server(self, t, flags, payload=b"", options=b""):
        self.w.tcp(t, self.server_mac, ROUTER_MAC, self.server, self.sport, self.client, self.cport,
                   self.sseq, self.cseq, flags, payload, options)
        self.sseq += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def handshake(self, t, rtt):
        mss = struct.pack("!BBH", 2, 4, MSS) + b"\x01\x03\x03\x07"  # MSS, NOP, window scale 7
        self.from_client(t, SYN, b"", mss)
        self.from_server(t + 0.00012, SYN | ACK, b"", mss)
        self.from_client(t + 0.00012 + rtt, ACK)
        return t + 0.00012 + rtt

    def send(self, from_client, t, data):
        """Data in MSS-sized segments, back to back (12 µs apart on the 1 Gb/s LAN)."""
        for i in range(0, len(data), MSS):
            chunk = data[i:i + MSS]
            flags = ACK | (PSH if i + MSS >= len(data) else 0)
            (self.from_client if from_client else self.from_server)(t, flags, chunk)
            t += 0.000012
        return t

    def close(self, t, rtt):
        self.from_client(t, FIN | ACK)
        self.from_server(t + 0.0002, FIN | ACK)
        self.from_client(t + 0.0002 + rtt, ACK)


# --- TLS (RFC 8446 for 1.3, RFC 5246 and RFC 8422 for 1.2) ----------------------------------

def u8(n): return struct.pack("!B", n)
def u16(n): return struct.pack("!H", n)
def u24(n): return struct.pack("!I", n)[1:]


def record(content_type, body, version=0x0303):
    return u8(content_type) + u16(version) + u16(len(body)) + body


def handshake(msg_type, body):
    return u8(msg_type) + u24(len(body)) + body


def ext(number, body):
    return u16(number) + u16(len(body)) + body


def client_hello(rng):
    """A browser's ClientHello to an address (no SNI): offers TLS 1.3 and 1.2."""
    suites = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8]
    exts = (ext(0x000A, u16(6) + u16(0x001D) + u16(0x0017) + u16(0x0018))        # supported_groups
            + ext(0x000B, b"\x01\x00")                                            # ec_point_formats
            + ext(0x000D, u16(8) + u16(0x0403) + u16(0x0804) + u16(0x0401) + u16(0x0503))  # signature_algorithms
            + ext(0x0010, u16(9) + u8(8) + b"http/1.1")                           # ALPN
            + ext(0x0017, b"")                                                    # extended_master_secret
            + ext(0x002B, u8(4) + u16(0x0304) + u16(0x0303))                      # supported_versions
            + ext(0x002D, b"\x01\x01")                                            # psk_key_exchange_modes
            + ext(0x0033, u16(36) + u16(0x001D) + u16(32) + rng.randbytes(32)))   # key_share x25519
    body = (u16(0x0303) + rng.randbytes(32) + u8(32) + rng.randbytes(32)
            + u16(2 * len(suites)) + b"".join(u16(s) for s in suites) + b"\x01\x00" + u16(len(exts)) + exts)
    return record(22, handshake(1, body), version=0x0301)


def server_hello(rng, session_id, tls13):
    if tls13:
        exts = ext(0x002B, u16(0x0304)) + ext(0x0033, u16(0x001D) + u16(32) + rng.randbytes(32))
        suite = 0x1301
    else:
        exts = ext(0xFF01, b"\x00") + ext(0x0017, b"") + ext(0x000B, b"\x01\x00")
        suite = 0xC02B
    body = u16(0x0303) + rng.randbytes(32) + u8(len(session_id)) + session_id + u16(suite) + b"\x00" + u16(len(exts)) + exts
    return record(22, handshake(2, body))


def tls13_server_flight(rng):
    """ServerHello, the middlebox ChangeCipherSpec, then the encrypted EncryptedExtensions,
    Certificate, CertificateVerify and Finished (opaque records)."""
    return (server_hello(rng, rng.randbytes(32), True) + record(20, b"\x01")
            + record(23, rng.randbytes(28)) + record(23, rng.randbytes(780)) + record(23, rng.randbytes(96))
            + record(23, rng.randbytes(53)))


def tls12_server_flight(rng, cert_der):
    certificate = handshake(11, u24(len(cert_der) + 3) + u24(len(cert_der)) + cert_der)
    ske = handshake(12, b"\x03" + u16(0x0017) + u8(65) + b"\x04" + rng.randbytes(64) + u16(0x0403) + u16(71)
                    + b"\x30\x45\x02\x20" + rng.randbytes(32) + b"\x02\x21\x00" + rng.randbytes(32))
    return (server_hello(rng, rng.randbytes(32), False) + record(22, certificate) + record(22, ske)
            + record(22, handshake(14, b"")))


def app(rng, n):
    """One TLS application-data record with n bytes of ciphertext."""
    return record(23, rng.randbytes(n))


def self_signed_der(subject):
    with tempfile.TemporaryDirectory() as d:
        cnf = os.path.join(d, "min.cnf")
        with open(cnf, "w") as f:
            f.write("[req]\ndistinguished_name=dn\n[dn]\n")
        out = os.path.join(d, "cert.der")
        subprocess.run(["openssl", "req", "-x509", "-config", cnf, "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", os.path.join(d, "key.pem"),
                        "-subj", subject, "-days", "3650", "-outform", "DER", "-out", out],
                       check=True, capture_output=True)
        return open(out, "rb").read()


# --- DHCP (RFC 2131, options RFC 2132) ------------------------------------------------------

def dhcp_renewal(wire, t, kvm_ip, kvm_mac, host_name, rng):
    """A lease renewal: DHCPREQUEST from the KVM (ciaddr set, unicast to the server), DHCPACK."""
    xid = rng.randbytes(4)

    def message(op, ciaddr, yiaddr, options):
        return (bytes([op, 1, 6, 0]) + xid + b"\0\0\0\0" + socket.inet_aton(ciaddr) + socket.inet_aton(yiaddr)
                + b"\0" * 8 + mac(kvm_mac) + b"\0" * 10 + b"\0" * 192 + b"\x63\x82\x53\x63" + options + b"\xff")

    name = host_name.encode()
    request = (b"\x35\x01\x03" + b"\x3d\x07\x01" + mac(kvm_mac) + b"\x0c" + u8(len(name)) + name
               + b"\x37\x07\x01\x03\x06\x0c\x0f\x1c\x2a")
    ack = (b"\x35\x01\x05" + b"\x36\x04" + socket.inet_aton(ROUTER_IP) + b"\x33\x04\x00\x01\x51\x80"
           + b"\x01\x04\xff\xff\xff\x00" + b"\x03\x04" + socket.inet_aton(ROUTER_IP) + b"\x06\x04" + socket.inet_aton(ROUTER_IP))
    wire.udp(t, kvm_mac, ROUTER_MAC, kvm_ip, 68, ROUTER_IP, 67, message(1, kvm_ip, "0.0.0.0", request))
    wire.udp(t + 0.0009, ROUTER_MAC, kvm_mac, ROUTER_IP, 67, kvm_ip, 68, message(2, kvm_ip, kvm_ip, ack))


# --- the console ----------------------------------------------------------------------------

def plain_http_title(wire, t, client, cport, kvm_ip, kvm_mac, rtt, title, rng):
    """The operator's browser fetches the KVM's start page over plain HTTP (port 80)."""
    c = TCPConn(wire, client, cport, kvm_ip, kvm_mac, 80)
    t = c.handshake(t, rtt)
    request = (f"GET / HTTP/1.1\r\nHost: {kvm_ip}\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
               "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36\r\nAccept: text/html\r\n\r\n").encode()
    c.send(True, t, request)
    page = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n"
            "<link rel=\"stylesheet\" href=\"/css/style.css\">\n</head>\n<body>\n<div id=\"app\"></div>\n"
            "<script src=\"/js/app.js\"></script>\n</body>\n</html>\n").encode()
    response = (f"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(page)}\r\nConnection: close\r\n\r\n").encode() + page
    t = c.send(False, t + 0.0015, response)
    c.close(t + rtt + 0.002, rtt)
    return t + 2 * rtt


def console(wire, t, client, cport, kvm_ip, kvm_mac, rtt, rng, seconds, cert_der=None):
    """A web console session: TCP and TLS handshakes, the WebSocket upgrade, then frames asked
    for one by one while a person types and drags the mouse. Returns the end time."""
    c = TCPConn(wire, client, cport, kvm_ip, kvm_mac, 443)
    t = c.handshake(t, rtt)
    c.send(True, t, client_hello(rng))
    flight = tls13_server_flight(rng) if cert_der is None else tls12_server_flight(rng, cert_der)
    t = c.send(False, t + 0.0011, flight)
    # the browser's answer one round trip later: (1.3) ChangeCipherSpec + Finished, or (1.2)
    # ClientKeyExchange, ChangeCipherSpec, Finished; then the WebSocket upgrade request
    t += rtt + rng.uniform(0.0005, 0.0015)
    if cert_der is None:
        second = record(20, b"\x01") + app(rng, 53)
    else:
        second = record(22, handshake(16, u8(65) + b"\x04" + rng.randbytes(64))) + record(20, b"\x01") + record(22, rng.randbytes(40))
    c.send(True, t, second + app(rng, 470))
    if cert_der is not None:
        t = c.send(False, t + 0.0008, record(20, b"\x01") + record(22, rng.randbytes(40)))
    t = c.send(False, t + 0.0025, app(rng, 190))        # 101 Switching Protocols
    end = t + seconds
    # the person's inputs, on their own schedule
    inputs = []
    u = t + 1.5
    while u < end - 1:
        if rng.random() < 0.7:
            for _ in range(rng.randint(6, 22)):               # a line of typing
                inputs.append((u, app(rng, rng.choice((36, 38, 44)))))
                u += rng.uniform(0.10, 0.40)
        else:
            for _ in range(rng.randint(15, 40)):              # a drag ending in a click
                inputs.append((u, app(rng, 42)))
                u += rng.uniform(0.015, 0.040)
            inputs.append((u, app(rng, 38)))
        u += rng.uniform(1.5, 4.0)
    inputs.reverse()
    # frames: the KVM answers each request after encoding (3–30 ms); the browser asks for the
    # next one as soon as a frame has arrived (one round trip plus 0.05–0.3 ms in its handler)
    request_at = t + rtt + rng.uniform(0.00005, 0.0003)
    def inputs_before(limit):
        while inputs and inputs[-1][0] < limit:
            at, payload = inputs.pop()
            c.send(True, at, payload)
            c.from_server(at + 0.0002, ACK)

    while request_at < end:
        inputs_before(request_at)
        c.send(True, request_at, app(rng, 26))
        sent = request_at + rng.uniform(0.003, 0.030)
        inputs_before(sent - 0.0003)
        size = rng.choice((700, 1200, 2600, 4800, 9000)) if rng.random() < 0.6 else rng.randint(180, 600)
        done = c.send(False, sent, app(rng, size))
        request_at = done + rtt + rng.uniform(0.00005, 0.0003)
    c.close(request_at, rtt)
    return request_at + rtt


# --- scenarios ------------------------------------------------------------------------------

FARM_KVMS = [
    # address, MAC (each the board's own vendor), product, how the capture names it
    ("10.20.0.21", "dc:a6:32:4b:10:21", "PiKVM", "DHCP host name pikvm (option 12); its console is TLS 1.3, certificate encrypted"),
    ("10.20.0.22", "e4:5f:01:7c:20:22", "TinyPilot", "HTTP title TinyPilot on its start page (port 80)"),
    ("10.20.0.23", "30:52:53:0e:30:23", "JetKVM", "TLS 1.2 server certificate O=JetKVM, CN=jetkvm; its MAC's OUI 30:52:53 is JetKVM's too"),
]
LAB_KVM = ("10.20.0.31", "dc:a6:32:4b:10:31", "PiKVM", "DHCP host name pikvm-lab (option 12); its console is TLS 1.3")


def kvm_farm(rng):
    w = Wire()
    far_rtt = 0.180
    dhcp_renewal(w, 0.0, FARM_KVMS[0][0], FARM_KVMS[0][1], "pikvm", rng)
    jet_cert = self_signed_der("/O=JetKVM/CN=jetkvm")
    t = 0.8
    sessions = []
    for i, (ip, m, product, _) in enumerate(FARM_KVMS):
        cport = 51000 + 100 * i
        if product == "TinyPilot":
            t = plain_http_title(w, t, CONTROLLER, cport - 1, ip, m, far_rtt, "TinyPilot", rng) + 0.3
        sessions.append({"proto": "tcp", "orig_h": CONTROLLER, "resp_h": ip, "resp_p": 443, "far_side": "orig",
                         "product": product})
        t = console(w, t, CONTROLLER, cport, ip, m, far_rtt, rng, seconds=rng.uniform(38, 46),
                    cert_der=jet_cert if product == "JetKVM" else None) + rng.uniform(2, 5)
    spec = {
        "description": "A facilitator's home office holds three laptops, each behind an IP-KVM (PiKVM, TinyPilot, JetKVM); "
                       "an operator in Shenyang (180 ms away) drives each KVM's web console in turn, typing and moving the mouse.",
        "sensor": "a mirror port of the office's LAN switch, copying the router's port and the LAN's broadcasts (synthesised: "
                  "scripts/lab/kvm_scenarios.py writes the packets with the lab's timings; no KVM firmware runs in the lab)",
        "roles": {"controlled": FARM_KVMS[0][0], "controller": CONTROLLER, "relay": {"address": None, "kind": "none"}},
        "tools": ["kvm"],
        "injected": {"controller_rtt_ms": 180, "relay_rtt_ms": None,
                     "how": "synthesised: every packet from the controller reaches the sensor 180 ms after the KVM data it answers "
                            "(90 ms each way, as the lab's Shenyang delay), plus the browser's own 0.05–0.3 ms"},
        "expected": {"finding": True, "severity_at_least": "high", "severity_at_most": "high", "relay_kind": "none",
                     "controller_rtt_ms": 180},
        "session": sessions[0],
        "farm": {"kvms": [{"address": a, "mac": m, "product": p, "identified_by": how} for a, m, p, how in FARM_KVMS],
                 "shared_controller": CONTROLLER, "sessions": sessions},
    }
    return w, spec, "2025-03-19T02:10:00"


def benign_lan_kvm(rng):
    w = Wire()
    ip, m, product, how = LAB_KVM
    dhcp_renewal(w, 0.0, ip, m, "pikvm-lab", rng)
    lan_rtt = 0.001
    console(w, 0.6, ADMIN, 53100, ip, m, lan_rtt, rng, seconds=20)
    spec = {
        "description": "The office's IT admin, on the IT VLAN (1 ms away), uses the PiKVM of a lab machine during office hours.",
        "sensor": "a mirror port of the office's LAN switch, copying the router's port and the LAN's broadcasts (synthesised: "
                  "scripts/lab/kvm_scenarios.py writes the packets with the lab's timings; no KVM firmware runs in the lab)",
        "roles": {"controlled": ip, "controller": ADMIN, "relay": {"address": None, "kind": "none"}},
        "tools": ["kvm"],
        "injected": {"controller_rtt_ms": 1, "relay_rtt_ms": None,
                     "how": "synthesised: the admin's packets reach the sensor 1 ms after the KVM data they answer (0.5 ms each "
                            "way, as the lab's IT VLAN delay), plus the browser's own 0.05–0.3 ms"},
        "expected": {"finding": False, "severity_at_most": "low"},
        "session": {"proto": "tcp", "orig_h": ADMIN, "resp_h": ip, "resp_p": 443, "far_side": "orig", "product": product},
        "farm": {"kvms": [{"address": ip, "mac": m, "product": product, "identified_by": how}],
                 "shared_controller": None, "sessions": []},
    }
    return w, spec, "2025-03-12T10:20:00"


SCENARIOS = {"kvm-farm": kvm_farm, "benign-lan-kvm": benign_lan_kvm}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SCENARIOS:
        raise SystemExit(f"usage: kvm_scenarios.py {{{'|'.join(SCENARIOS)}}} OUT_DIR")
    name, out_dir = sys.argv[1], sys.argv[2]
    rng = random.Random(f"farmwatch {name}")
    wire, spec, local_start = SCENARIOS[name](rng)
    tz = zoneinfo.ZoneInfo(SITE["timezone"])
    start = int(datetime.datetime.fromisoformat(local_start).replace(tzinfo=tz).timestamp())
    pcap = os.path.join(out_dir, f"{name}.pcap")
    wire.write(pcap, start)
    frames = wire.frames
    addrs = ipv4_addresses(d for _, d in frames)
    data = open(pcap, "rb").read()
    truth = {"scenario": name, "description": spec["description"], "made_by": f"scripts/make-scenario-captures.sh {name}",
             "sensor": spec["sensor"], "site": SITE}
    for k in ("roles", "tools", "injected", "expected"):
        truth[k] = spec[k]
    truth["geoip"] = {a: GEO[a] for a in sorted(addrs) if a in GEO}
    for k in ("session", "farm"):
        truth[k] = spec[k]
    first = start + 0.0
    truth["clock"] = {
        "first_packet_utc": datetime.datetime.fromtimestamp(first, datetime.timezone.utc).isoformat(),
        "first_packet_site_local": datetime.datetime.fromtimestamp(first, tz).isoformat(),
        "why": "synthesised at a chosen site-local hour",
    }
    truth["capture"] = {
        "format": "pcap", "linktype": 1, "snaplen": SNAPLEN, "timestamp_precision": "us",
        "packets": len(frames), "duration_s": round(frames[-1][0] - frames[0][0], 3), "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "ipv4_addresses": {a: n for a, n in sorted(addrs.items())},
    }
    with open(os.path.join(out_dir, f"{name}.truth.json"), "w") as f:
        json.dump(truth, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
