#!/usr/bin/env python3
"""Builds the GameStream (Moonlight client, Sunshine host) fixtures in
captures/fixtures/remote-control/: moonlight.pcap, a session as the public source writes it,
and moonlight-near-miss.pcap, traffic that comes close without being GameStream. Each has a
NAME.truth.json sidecar listing every flow and what farmwatch must call it (family null: no
GameStream, whatever the port says).

No Moonlight or Sunshine package is in Debian, so the bytes are built from their source:
  moonlight-stream/moonlight-qt app/backend/nvhttp.cpp       NvHTTP::openConnection: GET /<command>
      ?uniqueid=0123456789ABCDEF&uuid=<QUuid hex>&clientname=<host>[&args]
  moonlight-stream/moonlight-qt app/backend/nvpairingmanager.cpp   pair stage 1:
      devicename=roth&updateState=1&phrase=getservercert&salt=<hex>&clientcert=<PEM hex>
  moonlight-stream/moonlight-qt app/backend/identitymanager.cpp    client certificate CN
      "NVIDIA GameStream Client", self-issued
  LizardByte/Sunshine src/nvhttp.cpp                         serverinfo / pair XML answers
      (<root status_code="200"> with hostname, appversion, GfeVersion, uniqueid, HttpsPort ...)
  LizardByte/Sunshine src/httpcommon.cpp, src/crypto.cpp     host certificate: subject and
      issuer CN=Sunshine Gamestream Host, RSA 2048, SHA-256, 20 years
  moonlight-stream/moonlight-common-c src/RtspConnection.c   one TCP connection per request:
      OPTIONS/DESCRIBE rtsp://<addr>:48010, SETUP streamid=audio/0/0, video/0/0,
      control/13/0, ANNOUNCE control/13/0 with the SDP, PLAY /; options CSeq,
      X-GS-ClientVersion (14), Host, then per request Accept / If-Modified-Since / Session /
      Transport "unicast;X-GS-ClientPort=50000-50001" / Content-type / Content-length
  moonlight-stream/moonlight-common-c src/RtspParser.c       serializeRtspMessage: "Name: value"
      CR LF lines, blank line, payload
  moonlight-stream/moonlight-common-c src/SdpGenerator.c     the ANNOUNCE payload (a few of its
      a=x-nv-... attributes)
  LizardByte/Sunshine src/rtsp.cpp                           answers: CSeq only; DESCRIBE's SDP
      sent after the head (a=x-ss-general.featureFlags ...); SETUP adds
      Session "DEADBEEFCAFE;timeout = 90", Transport "server_port=<port>" and
      X-SS-Ping-Payload (audio, video) or X-SS-Connect-Data (control)
  moonlight-stream/moonlight-common-c src/VideoStream.c, src/AudioStream.c, src/Limelight-internal.h
      SS_PING every 500 ms to the video/audio port: 16-character payload + big-endian count from 1
  RFC 2326 (RTSP) and a LIVE555-style camera for the near misses.

    scripts/make-moonlight-fixtures.py [output-dir]      (deterministic)
"""
import importlib.util
import json
import os
import random
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "captures", "fixtures", "remote-control")
T0 = 1_730_500_000.0
CLIENT, HOST = "192.168.1.20", "192.168.1.10"
MAC_CLIENT, MAC_HOST = "02:00:00:00:01:14", "02:00:00:00:01:0a"
rng = random.Random(47989)


def rand(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def hexup(b):
    return b.hex().upper().encode()


# --- pcap writing (Ethernet, IPv4, TCP, UDP) ----------------------------------------------

def _kvm_fixtures():
    """The KVM fixture script, for its RFC 1071 checksum (kept in one place)."""
    spec = importlib.util.spec_from_file_location("kvm_fixtures", os.path.join(ROOT, "scripts", "make-kvm-fixtures.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


inet_checksum = _kvm_fixtures().checksum


class Pcap:
    def __init__(self, name, description):
        self.name, self.description = name, description
        self.records, self.flows = [], []
        self.t = T0
        self.ip_id = 0

    def frame(self, src, dst, proto, l4):
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), self.ip_id, 0x4000, 64, proto, 0,
                         bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
        ip = ip[:10] + struct.pack(">H", inet_checksum(ip)) + ip[12:]
        smac, dmac = (MAC_CLIENT, MAC_HOST) if src == CLIENT else (MAC_HOST, MAC_CLIENT)
        eth = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex(smac.replace(":", "")) + b"\x08\x00"
        self.t += 0.002
        self.records.append((self.t, eth + ip + l4))

    def note(self, proto, sport, dport, family, what, identified_by=None):
        flow = {"proto": proto, "orig_p": sport, "resp_p": dport, "family": family, "what": what}
        if identified_by:
            flow["identified_by"] = identified_by
        self.flows.append(flow)

    def tcp(self, sport, dport, exchanges, family, what, identified_by=None):
        """A whole connection: handshake, (side, bytes) segments, FIN from the server first
        (the host closes after answering), FIN from the client."""
        seq = {"c": 1000, "s": 5000}
        ends = {"c": (CLIENT, sport, HOST, dport), "s": (HOST, dport, CLIENT, sport)}

        def seg(side, flags, data=b""):
            src, sp, dst, dp = ends[side]
            other = "s" if side == "c" else "c"
            ack = seq[other] & 0xFFFFFFFF if flags & 0x10 else 0
            hdr = struct.pack(">HHIIBBHHH", sp, dp, seq[side] & 0xFFFFFFFF, ack, 5 << 4, flags, 65535, 0, 0)
            self.frame(src, dst, 6, hdr + data)
            seq[side] += len(data) + (1 if flags & 0x03 else 0)

        seq["c"] -= 1
        seg("c", 0x02)
        seq["s"] -= 1
        seg("s", 0x12)
        seg("c", 0x10)
        for side, data in exchanges:
            seg(side, 0x18, data)
        seg("s", 0x11)
        seg("c", 0x11)
        seg("s", 0x10)
        self.note("tcp", sport, dport, family, what, identified_by)
        self.t += 0.05

    def udp(self, sport, dport, datagrams, family, what, identified_by=None, gap=0.02):
        for side, data in datagrams:
            src, sp, dst, dp = (CLIENT, sport, HOST, dport) if side == "c" else (HOST, dport, CLIENT, sport)
            self.frame(src, dst, 17, struct.pack(">HHHH", sp, dp, 8 + len(data), 0) + data)
            self.t += gap
        self.note("udp", sport, dport, family, what, identified_by)

    def write(self):
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, self.name + ".pcap"), "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, frame in self.records:
                sec = int(t)
                f.write(struct.pack("<IIII", sec, int(round((t - sec) * 1e6)), len(frame), len(frame)) + frame)
        truth = {"file": self.name + ".pcap", "description": self.description,
                 "generatedBy": "scripts/make-moonlight-fixtures.py", "flows": self.flows}
        with open(os.path.join(OUT, self.name + ".truth.json"), "w") as f:
            json.dump(truth, f, indent=1)
            f.write("\n")


# --- GameStream HTTP (nvhttp.cpp on both sides) -------------------------------------------

def nv_query(extra=b""):
    q = b"uniqueid=0123456789ABCDEF&uuid=" + rand(16).hex().encode() + b"&clientname=living-room-pc"
    return q + (b"&" + extra if extra else b"")


def http_get(command, extra=b""):
    return (b"GET /" + command + b"?" + nv_query(extra) + b" HTTP/1.1\r\nHost: " + HOST.encode()
            + b":47989\r\nConnection: Keep-Alive\r\nAccept-Encoding: gzip, deflate\r\n\r\n")


def http_xml(body):
    xml = b'<?xml version="1.0" encoding="utf-8"?>\n<root status_code="200">' + body + b"</root>"
    return b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(xml)).encode() + b"\r\n\r\n" + xml


SERVERINFO = (b"<hostname>gaming-pc</hostname><appversion>7.1.431.-1</appversion>"
              b"<GfeVersion>3.23.0.74</GfeVersion><uniqueid>6B2D3E80-5A1C-4F0E-9C7B-1D2E3F405162</uniqueid>"
              b"<HttpsPort>47984</HttpsPort><ExternalPort>47989</ExternalPort><MaxLumaPixelsHEVC>1869449984"
              b"</MaxLumaPixelsHEVC><mac>00:00:00:00:00:00</mac><LocalIP>192.168.1.10</LocalIP>"
              b"<ServerCodecModeSupport>3843</ServerCodecModeSupport><PairStatus>0</PairStatus>"
              b"<currentgame>0</currentgame><state>SUNSHINE_SERVER_FREE</state>")


# --- certificates (DER by hand: only names and shape matter to a passive reader) ----------

def der(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + length + content


def oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    body = bytes([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        while p > 0x7F:
            p >>= 7
            chunk.insert(0, 0x80 | (p & 0x7F))
        body += bytes(chunk)
    return der(0x06, body)


def certificate(cn, not_after_tag, not_after):
    name = der(0x30, der(0x31, der(0x30, oid("2.5.4.3") + der(0x0C, cn))))
    sha256_rsa = der(0x30, oid("1.2.840.113549.1.1.11") + der(0x05, b""))
    modulus = der(0x02, b"\x00" + b"\xc1" + rand(255))
    spki = der(0x30, der(0x30, oid("1.2.840.113549.1.1.1") + der(0x05, b""))
               + der(0x03, b"\x00" + der(0x30, modulus + der(0x02, b"\x01\x00\x01"))))
    tbs = der(0x30, der(0xA0, der(0x02, b"\x02")) + der(0x02, b"\x3a" + rand(19)) + sha256_rsa + name
              + der(0x30, der(0x17, b"241101000000Z") + der(not_after_tag, not_after)) + name + spki)
    return der(0x30, tbs + sha256_rsa + der(0x03, b"\x00" + rand(256)))


def handshake(msg_type, body):
    return bytes([msg_type]) + len(body).to_bytes(3, "big") + body


def tls_record(content):
    return struct.pack(">BHH", 22, 0x0303, len(content)) + content


def certificate_message(cert):
    entry = len(cert).to_bytes(3, "big") + cert
    return handshake(11, len(entry).to_bytes(3, "big") + entry)


def tls12_with_client_certificate(host_cn=b"Sunshine Gamestream Host", client_cn=b"NVIDIA GameStream Client"):
    """A TLS 1.2 handshake to the host's HTTPS port up to the client's Certificate: the host
    asks for one (nvhttp.cpp verify_peer), the client sends its own."""
    suites = struct.pack(">HHH", 4, 0xC02F, 0xC030)
    sigalgs = struct.pack(">HHH", 13, 6, 4) + struct.pack(">HH", 0x0401, 0x0804)
    hello = handshake(1, b"\x03\x03" + rand(32) + b"\x00" + suites + b"\x01\x00" + struct.pack(">H", len(sigalgs)) + sigalgs)
    server_hello = handshake(2, b"\x03\x03" + rand(32) + b"\x20" + rand(32) + b"\xc0\x2f\x00\x00\x00")
    host_cert = certificate(host_cn, 0x18, b"20441027000000Z")
    client_cert = certificate(client_cn, 0x18, b"20441027000000Z")
    key_exchange = handshake(12, b"\x03\x00\x17\x41\x04" + rand(64) + b"\x04\x01\x01\x00" + rand(256))
    request = handshake(13, b"\x01\x01" + struct.pack(">H", 2) + b"\x04\x01" + b"\x00\x00")
    done = handshake(14, b"")
    client_kx = handshake(16, b"\x41\x04" + rand(64))
    return [("c", tls_record(hello)),
            ("s", tls_record(server_hello + certificate_message(host_cert) + key_exchange + request + done)),
            ("c", tls_record(certificate_message(client_cert) + client_kx))]


# --- RTSP (RtspConnection.c / RtspParser.c for requests, rtsp.cpp for answers) ------------

def rtsp_request(command, target, seq, options=(), payload=b""):
    head = command + b" " + target + b" RTSP/1.0\r\nCSeq: " + str(seq).encode() + b"\r\nX-GS-ClientVersion: 14\r\n"
    head += b"Host: " + HOST.encode() + b"\r\n"
    for name, value in options:
        head += name + b": " + value + b"\r\n"
    return head + b"\r\n" + payload


def rtsp_answer(seq, options=()):
    head = b"RTSP/1.0 200 OK\r\nCSeq: " + str(seq).encode() + b"\r\n"
    for name, value in options:
        head += name + b": " + value + b"\r\n"
    return head + b"\r\n"


URL = b"rtsp://" + HOST.encode() + b":48010"
SINCE = (b"If-Modified-Since", b"Thu, 01 Jan 1970 00:00:00 GMT")
SESSION = b"DEADBEEFCAFE"
PING_PAYLOAD = hexup(rand(8))
DESCRIBE_SDP = (b"a=x-ss-general.featureFlags:3\na=x-ss-general.encryptionSupported:7\n"
                b"a=x-ss-general.encryptionRequested:1\na=x-nv-video[0].refPicInvalidation:1\n"
                b"sprop-parameter-sets=AAAAAU\na=rtpmap:98 AV1/90000\n"
                b"a=fmtp:97 surround-params=21101\na=fmtp:97 surround-params=642014253\n")
ANNOUNCE_SDP = (b"v=0\r\no=android 0 14 IN IPv4 0.0.0.0\r\ns=NVIDIA Streaming Client\r\n"
                b"a=x-nv-video[0].clientViewportWd:1920 \r\na=x-nv-video[0].clientViewportHt:1080 \r\n"
                b"a=x-nv-video[0].maxFPS:60 \r\na=x-nv-video[0].packetSize:1392 \r\n"
                b"a=x-nv-vqos[0].bw.maximumBitrateKbps:20000 \r\na=x-nv-general.useReliableUdp:13 \r\n"
                b"t=0 0\r\nm=video 47998  \r\n")


def ss_ping(count):
    return PING_PAYLOAD + struct.pack(">I", count)


def media(size):
    """An RTP-framed media datagram as the host sends it (version 2, then opaque bytes)."""
    return b"\x90\x00" + rand(size - 2)


def session():
    cap = Pcap("moonlight", "A Moonlight client pairs with a Sunshine host and starts a stream: "
               "every GameStream flow named moonlight from its own bytes, ENet control left to its port hint")
    flows = [
        (50001, 47989, [("c", http_get(b"serverinfo")), ("s", http_xml(SERVERINFO))],
         "HTTP /serverinfo with uniqueid and uuid (nvhttp.cpp openConnection)", "payload"),
        (50002, 47989, [("c", http_get(b"pair", b"devicename=roth&updateState=1&phrase=getservercert&salt="
                                       + rand(16).hex().encode() + b"&clientcert=" + rand(300).hex().encode())),
                        ("s", http_xml(b"<paired>1</paired><plaincert>" + rand(300).hex().encode() + b"</plaincert>"))],
         "HTTP /pair getservercert (nvpairingmanager.cpp stage 1)", "payload"),
        (50003, 47984, tls12_with_client_certificate(),
         "TLS 1.2 to the HTTPS port: Sunshine's host certificate and Moonlight's client certificate", "tls-cert"),
        (50004, 48010, [("c", rtsp_request(b"OPTIONS", URL, 1)), ("s", rtsp_answer(1))],
         "RTSP OPTIONS with X-GS-ClientVersion", "payload"),
        (50005, 48010, [("c", rtsp_request(b"DESCRIBE", URL, 2, [(b"Accept", b"application/sdp"), SINCE])),
                        ("s", rtsp_answer(2)), ("s", DESCRIBE_SDP)],
         "RTSP DESCRIBE; Sunshine's SDP follows its head in a second send", "payload"),
        (50006, 48010, [("c", rtsp_request(b"SETUP", b"streamid=audio/0/0", 3,
                                           [(b"Transport", b"unicast;X-GS-ClientPort=50000-50001"), SINCE])),
                        ("s", rtsp_answer(3, [(b"Session", SESSION + b";timeout = 90"),
                                              (b"Transport", b"server_port=48000"), (b"X-SS-Ping-Payload", PING_PAYLOAD)]))],
         "RTSP SETUP audio, answered with X-SS-Ping-Payload", "payload"),
        (50007, 48010, [("c", rtsp_request(b"SETUP", b"streamid=video/0/0", 4,
                                           [(b"Session", SESSION), (b"Transport", b"unicast;X-GS-ClientPort=50000-50001"), SINCE])),
                        ("s", rtsp_answer(4, [(b"Session", SESSION + b";timeout = 90"),
                                              (b"Transport", b"server_port=47998"), (b"X-SS-Ping-Payload", PING_PAYLOAD)]))],
         "RTSP SETUP video", "payload"),
        (50008, 48010, [("c", rtsp_request(b"SETUP", b"streamid=control/13/0", 5,
                                           [(b"Session", SESSION), (b"Transport", b"unicast;X-GS-ClientPort=50000-50001"), SINCE])),
                        ("s", rtsp_answer(5, [(b"Session", SESSION + b";timeout = 90"),
                                              (b"Transport", b"server_port=47999"), (b"X-SS-Connect-Data", b"3735928559")]))],
         "RTSP SETUP control, answered with X-SS-Connect-Data", "payload"),
        (50009, 48010, [("c", rtsp_request(b"ANNOUNCE", b"streamid=control/13/0", 6,
                                           [(b"Session", SESSION), (b"Content-type", b"application/sdp"),
                                            (b"Content-length", str(len(ANNOUNCE_SDP)).encode())], ANNOUNCE_SDP)),
                        ("s", rtsp_answer(6))],
         "RTSP ANNOUNCE with the client's SDP", "payload"),
        (50010, 48010, [("c", rtsp_request(b"PLAY", b"/", 7, [(b"Session", SESSION)])), ("s", rtsp_answer(7))],
         "RTSP PLAY", "payload"),
    ]
    for sport, dport, exchanges, what, by in flows:
        cap.tcp(sport, dport, exchanges, "moonlight", what, by)
    # Media: the client pings first, the host streams; pings go on every 500 ms (here, every
    # 9th datagram, spaced 60 ms).
    for sport, dport, what in [(50100, 47998, "video"), (50101, 48000, "audio")]:
        datagrams = []
        for k in range(3):
            datagrams.append(("c", ss_ping(k + 1)))
            datagrams += [("s", media(1000 if what == "video" else 200)) for _ in range(8)]
        cap.udp(sport, dport, datagrams, "moonlight",
                "SS_PING to the %s port (payload from the SETUP answer), then the host's RTP" % what, "payload",
                gap=0.06)
    cap.udp(50102, 47999, [("c", b"\xff\xff" + rand(46)), ("s", b"\x80\x00" + rand(46)), ("c", rand(60))], None,
            "ENet control stream: opaque, a port hint only")
    cap.write()


# --- near misses --------------------------------------------------------------------------

CAMERA_SDP = b"v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=Camera\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=control:trackID=1\r\n"
PAGE = b"<html><head><title>Router</title></head><body></body></html>"


def near_misses():
    cap = Pcap("moonlight-near-miss", "RTSP cameras, plain HTTP and UDP on GameStream's ports and shapes close "
               "to its rules: no flow may be called moonlight")
    camera = b"rtsp://192.168.1.10:554/stream1"
    live555 = b"LibVLC/3.0.18 (LIVE555 Streaming Media v2016.11.28)"
    cap.tcp(51001, 554, [
        ("c", b"OPTIONS " + camera + b" RTSP/1.0\r\nCSeq: 2\r\nUser-Agent: " + live555 + b"\r\n\r\n"),
        ("s", b"RTSP/1.0 200 OK\r\nCSeq: 2\r\nPublic: OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, GET_PARAMETER, "
              b"SET_PARAMETER\r\n\r\n"),
        ("c", b"DESCRIBE " + camera + b" RTSP/1.0\r\nCSeq: 3\r\nUser-Agent: " + live555 + b"\r\nAccept: application/sdp\r\n\r\n"),
        ("s", b"RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Base: " + camera + b"/\r\nContent-Type: application/sdp\r\n"
              b"Content-Length: " + str(len(CAMERA_SDP)).encode() + b"\r\n\r\n" + CAMERA_SDP)],
        None, "an RTSP camera (OPTIONS, DESCRIBE) on 554")
    cap.tcp(51002, 48010, [
        ("c", b"SETUP " + camera + b"/trackID=1 RTSP/1.0\r\nCSeq: 4\r\nUser-Agent: " + live555
              + b"\r\nTransport: RTP/AVP;unicast;client_port=50000-50001\r\n\r\n"),
        ("s", b"RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 66334873;timeout=60\r\n"
              b"Transport: RTP/AVP;unicast;client_port=50000-50001;server_port=6970-6971\r\n\r\n")],
        None, "camera RTSP SETUP on GameStream's RTSP port (port hint only)")
    cap.tcp(51003, 48010, [
        ("c", b"OPTIONS rtsp://192.168.1.10:48010 RTSP/1.0\r\nCSeq: 1\r\nX-GS-ClientVersion: fourteen\r\n\r\n"),
        ("s", b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nX-SS-Ping-Payload: not-hex-digits!!\r\n\r\n")],
        None, "GameStream's header names with values its code never writes")
    cap.tcp(51004, 47989, [
        ("c", b"GET / HTTP/1.1\r\nHost: 192.168.1.10:47989\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"),
        ("s", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + str(len(PAGE)).encode()
              + b"\r\n\r\n" + PAGE)],
        None, "an ordinary web page on 47989")
    cap.tcp(51005, 47989, [
        ("c", b"GET /serverinfo?uniqueid=42 HTTP/1.1\r\nHost: 192.168.1.10:47989\r\n\r\n"),
        ("s", b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")],
        None, "a GameStream path with uniqueid but no uuid")
    cap.tcp(51006, 47989, [
        ("c", b"GET /api/status?uniqueid=42&uuid=" + rand(16).hex().encode() + b" HTTP/1.1\r\nHost: 192.168.1.10\r\n\r\n"),
        ("s", b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")],
        None, "both parameters on a path GameStream does not serve")
    cap.tcp(51011, 47984, tls12_with_client_certificate(b"localhost", b"client"), None,
            "TLS 1.2 with client certificates on the HTTPS port, other names")
    cap.udp(51007, 47998, [("c", rand(20)), ("s", rand(1200)), ("c", rand(20)), ("s", rand(1200))], None,
            "random datagrams on the video port")
    cap.udp(51008, 47998, [("c", hexup(rand(8)) + struct.pack(">I", k + 1)) for k in range(3)], None,
            "SS_PING-shaped datagrams whose payload changes every time")
    cap.udp(51009, 48000, [("c", PING_PAYLOAD + struct.pack(">I", 7)), ("c", PING_PAYLOAD + struct.pack(">I", 7)),
                           ("c", PING_PAYLOAD + struct.pack(">I", 3))], None,
            "SS_PING-shaped datagrams whose count does not rise")
    cap.udp(51010, 47998, [("c", b"PING"), ("s", media(1400)), ("c", b"PING")], None,
            "GFE's bare 4-byte PING (too little to go on: port hint only)")
    cap.write()


if __name__ == "__main__":
    session()
    near_misses()
