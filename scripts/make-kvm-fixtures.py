#!/usr/bin/env python3
"""Writes the KVM traffic-shape fixtures (captures/fixtures/kvm/): STUN probes at boot and the
shape of an IP-KVM's video stream, with near misses. Synthetic (no public capture of an IP-KVM
exists), built from the vendors' public source for what they send and when:

  pikvm/kvmd kvmd/apps/janus/runner.py   JanusRunner.__run: "Probbing the network first time"
                                         when kvmd-janus starts, then __get_netcfg again every
                                         check.interval; Janus is started with --stun-server
  pikvm/kvmd kvmd/apps/janus/stun.py     Stun.__get_nat_type: a Binding request (type 0x0001,
                                         transaction id = 21 12 A4 42 + 12 random bytes, i.e. an
                                         RFC 5389 header), then one with CHANGE-REQUEST (attribute
                                         0x0003, value 0x00000006) from a fresh socket per check
  pikvm/kvmd kvmd/apps/__init__.py       janus.stun host stun.l.google.com port 19302,
                                         janus.check.interval 10.0 s
  gl-inet/glkvm kvmd/apps/janus/runner.py  the same runner on GL.iNet's Comet (GLKVM)
  jetkvm/kvm webrtc.go, cloud.go         newSession (per viewer, with the ICE servers the cloud
                                         sends): one H.264 TrackLocalStaticSample "video"/"kvm"
                                         sent to the viewer, data channels "hidrpc"/"rpc" for
                                         input, incoming RTCP read and discarded; so STUN appears
                                         when a session opens, not at boot
  RFC 8489 §5, §14.2                     STUN header and XOR-MAPPED-ADDRESS
  RFC 3550 §5.1, §6.4.2; RFC 7983 §7     RTP header (V=2, PT 96 H.264), RTCP RR (PT 201);
                                         first-byte ranges that share a WebRTC 5-tuple (DTLS 20-63)
  RFC 2131, RFC 2132                     DHCP exchange, options 53, 12, 55, 50, 54, 51

Captures (each with <name>.truth.json: what a correct result says about each device):
  pikvm-boot-stream.pcap    a Raspberry Pi (generic MAC prefix) with a neutral host name joins
                            over DHCP; 21 s later it probes stun.l.google.com as kvmd-janus does,
                            again 10 s later; a viewer on the Internet then gets a 30 frames/s
                            H.264 stream from it over SRTP/UDP, answering with RTCP and input
  jetkvm-session.pcap       a JetKVM (host name jetkvm-<id>, JetKVM MAC prefix) that joined
                            long before: when a viewer opens a session it asks a STUN server for
                            its address (not at boot) and streams the screen out
  laptop-call.pcap          near miss: a laptop joins and a WebRTC app probes STUN 30 s later
                            (at boot, too), then holds a two-way video call (not a stream),
                            then shares its screen one way (a stream's shape): both noted, and
                            still no KVM, since nothing names the laptop one
  phone-stun-late.pcap      near miss: a phone joins and does STUN ten minutes later (a call):
                            not at boot, no KVM evidence at all
  lan-video-download.pcap   near miss: a Raspberry Pi media server sends a video file over HTTP
                            to a TV on the LAN in buffered bursts (no frame clock), and a TV
                            streams video from the Internet: no video stream, no KVM

    scripts/make-kvm-fixtures.py      (deterministic: a fixed random seed)
"""
import json, os, random, struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "captures", "fixtures", "kvm")
COOKIE = 0x2112A442
T0 = 1_730_000_000.0
ROUTER_MAC = "02:00:5e:00:01:01"
ROUTER_IP = "192.168.1.1"
STUN_GOOGLE = "74.125.250.129"   # an address of stun.l.google.com
MEDIA_SNAP = 96                   # media packets are kept to their headers (sizes stay on the wire)


def ipv4(s):
    return bytes(int(x) for x in s.split("."))


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Capture:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.records = []   # (time, frame, caplen)
        self.ip_id = 1

    def rand(self, n):
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def ip(self, t, smac, dmac, src, dst, proto, l4, snap=None):
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), self.ip_id, 0x4000, 64, proto, 0, ipv4(src), ipv4(dst))
        hdr = hdr[:10] + struct.pack(">H", checksum(hdr)) + hdr[12:]
        frame = mac(dmac) + mac(smac) + b"\x08\x00" + hdr + l4
        self.records.append((t, frame, min(len(frame), snap) if snap else len(frame)))

    def udp(self, t, smac, dmac, src, sport, dst, dport, payload, snap=None):
        self.ip(t, smac, dmac, src, dst, 17, struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload, snap)

    def tcp(self, t, smac, dmac, src, sport, dst, dport, seq, ack, flags, payload=b"", snap=None):
        hdr = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        self.ip(t, smac, dmac, src, dst, 6, hdr + payload, snap)

    def write(self, name, truth):
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, name + ".pcap"), "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, frame, caplen in sorted(self.records, key=lambda r: r[0]):
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                if usec == 1_000_000:
                    sec, usec = sec + 1, 0
                f.write(struct.pack("<IIII", sec, usec, caplen, len(frame)))
                f.write(frame[:caplen])
        truth = dict(truth, made_by="scripts/make-kvm-fixtures.py")
        with open(os.path.join(OUT, name + ".truth.json"), "w") as f:
            json.dump(truth, f, indent=2)
            f.write("\n")


# --- DHCP (RFC 2131 §4.4.1: DISCOVER, OFFER, REQUEST, ACK; options RFC 2132) -----------------

def dhcp_message(op, xid, chaddr, msg_type, yiaddr="0.0.0.0", options=b""):
    fixed = struct.pack(">BBBBIHH4s4s4s4s16s64s128s", op, 1, 6, 0, xid, 0, 0x8000,
                        ipv4("0.0.0.0"), ipv4(yiaddr), ipv4("0.0.0.0"), ipv4("0.0.0.0"),
                        mac(chaddr) + bytes(10), bytes(64), bytes(128))
    opts = bytes([53, 1, msg_type]) + options + b"\xff"
    return fixed + struct.pack(">I", 0x63825363) + opts


def dhcp_join(cap, t, client_mac, client_ip, host_name):
    """The four messages that give a booting client its address."""
    xid = cap.rng.getrandbits(32)
    name = bytes([12, len(host_name)]) + host_name.encode()
    params = bytes([55, 7, 1, 3, 6, 12, 15, 28, 42])
    server = bytes([54, 4]) + ipv4(ROUTER_IP) + bytes([51, 4]) + struct.pack(">I", 86400) + bytes([1, 4, 255, 255, 255, 0])
    bcast = "ff:ff:ff:ff:ff:ff"
    cap.udp(t, client_mac, bcast, "0.0.0.0", 68, "255.255.255.255", 67, dhcp_message(1, xid, client_mac, 1, options=name + params))
    cap.udp(t + 0.004, ROUTER_MAC, bcast, ROUTER_IP, 67, "255.255.255.255", 68, dhcp_message(2, xid, client_mac, 2, client_ip, server))
    req = bytes([50, 4]) + ipv4(client_ip) + bytes([54, 4]) + ipv4(ROUTER_IP)
    cap.udp(t + 0.010, client_mac, bcast, "0.0.0.0", 68, "255.255.255.255", 67, dhcp_message(1, xid, client_mac, 3, options=name + params + req))
    cap.udp(t + 0.014, ROUTER_MAC, bcast, ROUTER_IP, 67, "255.255.255.255", 68, dhcp_message(2, xid, client_mac, 5, client_ip, server))


# --- STUN (RFC 8489) -------------------------------------------------------------------------

def stun_request(txid, attrs=b""):
    return struct.pack(">HHI", 0x0001, len(attrs), COOKIE) + txid + attrs


def stun_response(txid, public_ip, public_port):
    xport = public_port ^ (COOKIE >> 16)
    xaddr = struct.unpack(">I", ipv4(public_ip))[0] ^ COOKIE
    attr = struct.pack(">HHBBHI", 0x0020, 8, 0, 1, xport, xaddr)
    return struct.pack(">HHI", 0x0101, len(attr), COOKIE) + txid + attr


def stun_exchange(cap, t, dev_mac, dev_ip, sport, server, public_ip, change_request=False):
    txid = cap.rand(12)
    attrs = struct.pack(">HHI", 0x0003, 4, 0x00000006) if change_request else b""
    cap.udp(t, dev_mac, ROUTER_MAC, dev_ip, sport, server, 19302, stun_request(txid, attrs))
    if not change_request:   # a server that cannot change its address stays silent
        cap.udp(t + 0.021, ROUTER_MAC, dev_mac, server, 19302, dev_ip, sport, stun_response(txid, public_ip, sport + 1000))


def kvmd_janus_probe(cap, t, dev_mac, dev_ip, public_ip):
    """kvmd-janus's network check: a first probe, then a CHANGE-REQUEST probe, each from the
    socket get_info binds for that check (a fresh ephemeral port)."""
    port = 40000 + cap.rng.randrange(20000)
    stun_exchange(cap, t, dev_mac, dev_ip, port, STUN_GOOGLE, public_ip)
    stun_exchange(cap, t + 0.05, dev_mac, dev_ip, port, STUN_GOOGLE, public_ip, change_request=True)


# --- Media (RFC 3550 RTP/RTCP inside SRTP; DTLS records for data channels) -------------------

def rtp(seq, ts, ssrc, marker, size, cap):
    hdr = struct.pack(">BBHII", 0x80, (0x80 if marker else 0) | 96, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
    return hdr + cap.rand(size - len(hdr))


def rtcp_rr(ssrc, cap, size=52):
    return struct.pack(">BBHI", 0x81, 201, size // 4 - 1, ssrc) + cap.rand(size - 8)


def dtls_app_data(size, cap):
    return struct.pack(">BHHIH", 23, 0xFEFD, 1, cap.rng.getrandbits(32), size - 13) + cap.rand(size - 11)


def video_frames(cap, t0, seconds, fps, src_mac, dst_mac, src, sport, dst, dport, ssrc, keyframe_every=3.0,
                 packets=(2, 4), size=(500, 1100)):
    """A frame clock: each frame's packets leave 150 µs apart (a pacer), frames 1/fps apart,
    a larger keyframe every few seconds."""
    seq = cap.rng.randrange(65536)
    for k in range(int(seconds * fps)):
        t = t0 + k / fps + cap.rng.uniform(0, 0.0015)
        key = (k / fps) % keyframe_every < 1 / fps
        n = 12 if key else cap.rng.randint(*packets)
        for i in range(n):
            cap.udp(t + i * 0.00015, src_mac, dst_mac, src, sport, dst, dport,
                    rtp(seq, k * 3000, ssrc, i == n - 1, 1200 if key else cap.rng.randint(*size), cap), MEDIA_SNAP)
            seq += 1


def viewer_feedback(cap, t0, seconds, src_mac, dst_mac, src, sport, dst, dport, ssrc):
    """What a KVM viewer sends back: RTCP every 100 ms, and input (data channel in DTLS):
    pointer moves at 60 Hz for a second now and then, a few key presses."""
    for k in range(int(seconds * 10)):
        cap.udp(t0 + k * 0.1 + 0.003, src_mac, dst_mac, src, sport, dst, dport, rtcp_rr(ssrc, cap), MEDIA_SNAP)
    t = t0 + 1.0
    while t < t0 + seconds - 1:
        for i in range(60):
            cap.udp(t + i / 60, src_mac, dst_mac, src, sport, dst, dport, dtls_app_data(cap.rng.randint(40, 70), cap), MEDIA_SNAP)
        t += cap.rng.uniform(3, 5)


def ice_and_dtls(cap, t, a_mac, b_mac, a, ap, b, bp):
    """ICE connectivity check (a Binding request with USERNAME) and a DTLS handshake opening."""
    txid = cap.rand(12)
    user = b"Ab12:Cd34"
    attrs = struct.pack(">HH", 0x0006, len(user)) + user + b"\0" * (-len(user) % 4)
    cap.udp(t, a_mac, b_mac, a, ap, b, bp, stun_request(txid, attrs))
    cap.udp(t + 0.04, b_mac, a_mac, b, bp, a, ap, stun_response(txid, a, ap))
    hello = struct.pack(">BHHIH", 22, 0xFEFF, 0, 0, 180) + cap.rand(180)
    cap.udp(t + 0.08, a_mac, b_mac, a, ap, b, bp, hello)
    cap.udp(t + 0.12, b_mac, a_mac, b, bp, a, ap, struct.pack(">BHHIH", 22, 0xFEFD, 0, 0, 900) + cap.rand(900))


def kvm_session(cap, t, dev_mac, dev_ip, viewer_ip, seconds):
    """A viewer on the Internet watches the KVM: ICE, DTLS, then the screen out and input in."""
    dp, vp = 45000 + cap.rng.randrange(1000), 52000 + cap.rng.randrange(1000)
    ice_and_dtls(cap, t, ROUTER_MAC, dev_mac, viewer_ip, vp, dev_ip, dp)
    video_frames(cap, t + 0.3, seconds, 30, dev_mac, ROUTER_MAC, dev_ip, dp, viewer_ip, vp, 0x4B564D31)
    viewer_feedback(cap, t + 0.3, seconds, ROUTER_MAC, dev_mac, viewer_ip, vp, dev_ip, dp, 0x56494557)


def device_truth(mac_, ip, kvm=None, confidence=None, evidence=(), boot_probe=False, video_stream_to=None):
    return {"mac": mac_, "ip": ip, "kvm": kvm, "confidence": confidence, "evidence": sorted(evidence),
            "boot_probe": boot_probe, "video_stream_to": video_stream_to}


def pikvm_boot_stream():
    cap = Capture(1)
    dev_mac, dev_ip, viewer = "dc:a6:32:5a:11:22", "192.168.1.50", "203.0.113.20"
    dhcp_join(cap, T0, dev_mac, dev_ip, "kvm-rack3")
    kvmd_janus_probe(cap, T0 + 21.4, dev_mac, dev_ip, "198.51.100.4")
    kvmd_janus_probe(cap, T0 + 31.5, dev_mac, dev_ip, "198.51.100.4")
    kvm_session(cap, T0 + 95, dev_mac, dev_ip, viewer, 20)
    cap.write("pikvm-boot-stream", {
        "what": "a Raspberry Pi with a neutral name doing kvmd-janus's STUN probes at boot, then streaming its screen to a viewer",
        "devices": [device_truth(dev_mac, dev_ip, "Raspberry Pi (PiKVM/TinyPilot base)", "low",
                                 ["oui", "traffic-shape"], boot_probe=True, video_stream_to=viewer)],
    })


def jetkvm_session():
    cap = Capture(2)
    dev_mac, dev_ip, viewer = "30:52:53:0a:0b:0c", "192.168.1.60", "203.0.113.77"
    dhcp_join(cap, T0, dev_mac, dev_ip, "jetkvm-a1b2c3d4")
    # A session opens six minutes later: ICE gathering asks the STUN server the cloud named.
    stun_exchange(cap, T0 + 360, dev_mac, dev_ip, 47111, STUN_GOOGLE, "198.51.100.9")
    kvm_session(cap, T0 + 361, dev_mac, dev_ip, viewer, 20)
    cap.write("jetkvm-session", {
        "what": "a JetKVM (name and MAC prefix) that joined long ago streams its screen when a viewer opens a session",
        "devices": [device_truth(dev_mac, dev_ip, "JetKVM", "high", ["dhcp", "oui", "traffic-shape"],
                                 boot_probe=False, video_stream_to=viewer)],
    })


def laptop_call():
    cap = Capture(3)
    lap_mac, lap_ip, peer, sfu = "3c:22:fb:10:20:30", "192.168.1.70", "203.0.113.90", "203.0.113.200"
    dhcp_join(cap, T0, lap_mac, lap_ip, "LAPTOP-7H2K")
    stun_exchange(cap, T0 + 30, lap_mac, lap_ip, 50111, STUN_GOOGLE, "198.51.100.12")
    # A two-way video call: both sides send a 30 frames/s stream.
    lp, pp = 50200, 61000
    ice_and_dtls(cap, T0 + 31, lap_mac, ROUTER_MAC, lap_ip, lp, peer, pp)
    video_frames(cap, T0 + 31.3, 20, 30, lap_mac, ROUTER_MAC, lap_ip, lp, peer, pp, 0x11111111)
    video_frames(cap, T0 + 31.3, 20, 30, ROUTER_MAC, lap_mac, peer, pp, lap_ip, lp, 0x22222222)
    # Then it shares its screen one way to a conference server, with the audio coming back.
    lp2, sp = 50300, 3478
    ice_and_dtls(cap, T0 + 60, lap_mac, ROUTER_MAC, lap_ip, lp2, sfu, sp)
    video_frames(cap, T0 + 60.3, 20, 15, lap_mac, ROUTER_MAC, lap_ip, lp2, sfu, sp, 0x33333333,
                 packets=(3, 6), size=(900, 1200))
    for k in range(20 * 50):
        cap.udp(T0 + 60.3 + k * 0.02, ROUTER_MAC, lap_mac, sfu, sp, lap_ip, lp2, rtp(k, k * 960, 0x44444444, False, 110, cap), MEDIA_SNAP)
    cap.write("laptop-call", {
        "what": "a laptop whose WebRTC app probes STUN 30 s after it joins, then a two-way video call and a one-way screen share: not a KVM",
        "devices": [device_truth(lap_mac, lap_ip, None, None, [], boot_probe=True, video_stream_to=sfu)],
    })


def phone_stun_late():
    cap = Capture(4)
    ph_mac, ph_ip = "f0:99:b6:44:55:66", "192.168.1.80"
    dhcp_join(cap, T0, ph_mac, ph_ip, "Pats-iPhone")
    stun_exchange(cap, T0 + 600, ph_mac, ph_ip, 62000, STUN_GOOGLE, "198.51.100.13")
    cap.write("phone-stun-late", {
        "what": "a phone that does STUN ten minutes after joining: not at boot",
        "devices": [device_truth(ph_mac, ph_ip, None, None, [], boot_probe=False)],
    })


def lan_video_download():
    cap = Capture(5)
    pi_mac, pi_ip, tv_mac, tv_ip = "dc:a6:32:77:88:99", "192.168.1.90", "a8:23:fe:01:02:03", "192.168.1.91"
    dhcp_join(cap, T0, pi_mac, pi_ip, "mediapi")
    # HTTP: the TV asks, the Pi sends the file in 64 KiB bursts as the player's buffer drains.
    t, sp, dp = T0 + 40, 8096, 51515
    cseq, sseq = 1000, 9000
    cap.tcp(t, tv_mac, pi_mac, tv_ip, dp, pi_ip, sp, cseq, 0, 0x02)
    cap.tcp(t + 0.0005, pi_mac, tv_mac, pi_ip, sp, tv_ip, dp, sseq, cseq + 1, 0x12)
    cap.tcp(t + 0.001, tv_mac, pi_mac, tv_ip, dp, pi_ip, sp, cseq + 1, sseq + 1, 0x10)
    req = b"GET /movies/holiday.mp4 HTTP/1.1\r\nHost: mediapi:8096\r\nRange: bytes=0-\r\n\r\n"
    cap.tcp(t + 0.002, tv_mac, pi_mac, tv_ip, dp, pi_ip, sp, cseq + 1, sseq + 1, 0x18, req)
    cseq += 1 + len(req)
    sseq += 1
    head = b"HTTP/1.1 206 Partial Content\r\nContent-Type: video/mp4\r\nContent-Range: bytes 0-99999999/100000000\r\n\r\n"
    burst_t = t + 0.01
    first = True
    while burst_t < t + 30:
        for i in range(45):
            body = (head if first else b"") + cap.rand(1448 - (len(head) if first else 0))
            first = False
            cap.tcp(burst_t + i * 0.00012, pi_mac, tv_mac, pi_ip, sp, tv_ip, dp, sseq, cseq, 0x10, body, MEDIA_SNAP)
            sseq += len(body)
            if i % 2:
                cap.tcp(burst_t + i * 0.00012 + 0.00005, tv_mac, pi_mac, tv_ip, dp, pi_ip, sp, cseq, sseq, 0x10)
        burst_t += 2.0
    # And the TV streams video from the Internet: the sender is not on the LAN.
    cdn = "203.0.113.150"
    video_frames(cap, T0 + 45, 20, 30, ROUTER_MAC, tv_mac, cdn, 443, tv_ip, 40404, 0x55555555)
    for k in range(200):
        cap.udp(T0 + 45 + k * 0.1, tv_mac, ROUTER_MAC, tv_ip, 40404, cdn, 443, rtcp_rr(0x66666666, cap), MEDIA_SNAP)
    cap.write("lan-video-download", {
        "what": "a Raspberry Pi media server sends a video file to a TV in buffered bursts, and the TV streams from the Internet: no KVM",
        "devices": [device_truth(pi_mac, pi_ip, None, None, ["oui"], boot_probe=False)],
    })


def main():
    pikvm_boot_stream()
    jetkvm_session()
    laptop_call()
    phone_stun_late()
    lan_video_download()


if __name__ == "__main__":
    main()
