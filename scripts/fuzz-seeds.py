#!/usr/bin/env python3
"""Cuts capture files into seed inputs for farmwatch's fuzz targets (see FuzzHarness.swift).

    fuzz-seeds.py OUT_DIR [TARGET...]     write seeds for the targets (default: all)
    fuzz-seeds.py --list                  print the target names

Sources: every capture under captures/, and ../shared/corpus when present. Formats:
  packets   [link selector u8][time delta u8][length u16 BE][frame]...  (whole frames)
  pcapfile  [variant u8][classic pcap records]...  (a file's records behind a chosen header)
  stream    [selector u8][length u16 BE][bytes]...  per TCP connection, selector bit 0 =
            direction (0 originator); datagram targets use the same with one datagram per chunk
Needs tshark (scripts/setup --test) for the stream and datagram targets.
"""
import os, struct, subprocess, sys, glob, hashlib

# Target name -> (kind, predicate on the first payload of the originator side)
TARGETS = {
    "packets": ("packets", None),
    "ssh": ("tcp", lambda first: first.startswith(b"SSH-")),
    # A TLS record, or a STARTTLS dialogue's opening: a server greeting (SMTP/FTP, NNTP, POP3,
    # IMAP, ManageSieve), XMPP's stream header, PostgreSQL's SSLRequest, LDAP's StartTLS request.
    "tls": ("tcp", lambda first: (first[:1] == b"\x16" and first[1:2] == b"\x03")
            or first[:4] in (b"220 ", b"220-", b"200 ", b"201 ")
            or first.startswith((b"+OK", b"* OK", b"* PREAUTH", b'"IMPLEMENTATION"', b"<?xml", b"<stream:stream"))
            or first[:8] == b"\x00\x00\x00\x08\x04\xd2\x16\x2f"
            or (first[:1] == b"\x30" and b"1.3.6.1.4.1.1466.20037" in first)),
    "quic": ("udp", lambda first: len(first) > 5 and first[0] & 0xC0 == 0xC0),
    "dns": ("udp", lambda first: len(first) >= 12 and first[4:6] in (b"\x00\x01", b"\x00\x02") and first[2] & 0x78 == 0),
    "dhcp": ("udp", lambda first: len(first) > 240 and first[236:240] == b"\x63\x82\x53\x63"),
    "http": ("tcp", lambda first: first.split(b" ", 1)[0] in (b"GET", b"POST", b"HEAD", b"PUT", b"CONNECT", b"OPTIONS", b"DELETE")),
    "rdp": ("tcp", lambda first: first[:2] == b"\x03\x00" and len(first) > 5 and first[5] in (0xE0, 0xD0)),
    "rdpeudp": ("udp", lambda first: first[:4] == b"\xff\xff\xff\xff" or (len(first) > 8 and first[7] & 0x0C == 0x0C)),
    "rfb": ("tcp", lambda first: first.startswith(b"RFB ")),
    "teamviewer": ("tcp", lambda first: first[:2] in (b"\x17\x24", b"\x11\x30")),
    "nomachine": ("tcp", lambda first: first.startswith(b"NXSH-") or first.startswith(b"NXD-")),
    "rustdesk": ("tcp", lambda first: len(first) > 2 and first[0] & 3 == 0 and first[0] >> 2 == len(first) - 1),
    "radmin": ("tcp", lambda first: first[:4] == b"\x01\x00\x00\x00"),
    # An RTSP request line (GameStream's session setup; cameras' RTSP is the near miss).
    "gamestream": ("tcp", lambda first: first.split(b"\r\n", 1)[0].endswith(b" RTSP/1.0")),
    # SOCKS 5 greeting (VER 5, NMETHODS, methods) or SOCKS 4 request (VN 4, CD 1 or 2)
    "socks": ("tcp", lambda first: (first[:1] == b"\x05" and len(first) >= 3 and len(first) == 2 + first[1])
              or (first[:1] == b"\x04" and first[1:2] in (b"\x01", b"\x02") and first.endswith(b"\x00"))),
    # WireGuard message types 1-4 with zero reserved bytes, or a Tailscale disco frame.
    "wireguard": ("udp", lambda first: (len(first) >= 32 and 1 <= first[0] <= 4 and first[1:4] == b"\0\0\0")
                  or first.startswith(b"TS\xf0\x9f\x92\xac")),
    # An OpenVPN hard reset (opcodes 1, 2, 7, 8, 10; key id 0).
    "openvpn": ("udp", lambda first: len(first) >= 14 and first[0] in (0x08, 0x10, 0x38, 0x40, 0x50)),
    # IKE (version 1.0 or 2.0 at byte 17), bare or behind the NAT-T non-ESP marker.
    "ipsec": ("udp", lambda first: (len(first) >= 28 and first[17] in (0x10, 0x20))
              or (len(first) >= 32 and first[:4] == b"\0\0\0\0" and first[21] in (0x10, 0x20))),
    # The STUN magic cookie, or a classic RFC 3489 Binding request.
    "stun": ("udp", lambda first: len(first) >= 20 and (first[4:8] == b"\x21\x12\xa4\x42" or first[:2] == b"\x00\x01")),
    # ZeroTier HELLO (cipher suite 0, verb 1); no corpus capture, so the fixture supplies it.
    "zerotier": ("udp", lambda first: len(first) >= 112 and (first[18] >> 3) & 7 == 0 and first[27] & 0x1F == 1),
    "websocket": ("tcp", lambda first: first.startswith(b"GET ") and b"upgrade:" in first.lower()),
    "rdgateway": ("tcp", lambda first: first.startswith((b"RDG_OUT_DATA ", b"RDG_IN_DATA ", b"\x01\x00\x00\x00\x0e\x00"))),
    "derp": ("tcp", lambda first: first.startswith(b"GET ") and b"upgrade: derp" in first.lower()),
    "pcapfile": ("pcapfile", None),
}
LINK_SELECTOR = {1: 0, 101: 1, 113: 2, 276: 3, 0: 4, 108: 5, 9: 6, 228: 7, 229: 8}

def captures():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    found = glob.glob(os.path.join(root, "captures", "**", "*.pcap*"), recursive=True)
    corpus = os.path.join(root, "..", "shared", "corpus")
    found += glob.glob(os.path.join(corpus, "pcaps", "*")) + glob.glob(os.path.join(corpus, "ja4", "pcaps", "*"))
    return sorted(found)

def classic_frames(path):
    """Frames of a capture, through tcpdump -w (which also turns pcapng into classic pcap)."""
    try:
        raw = subprocess.run(["tcpdump", "-r", path, "-w", "-"], capture_output=True, timeout=60).stdout
    except Exception:
        return None, []
    if len(raw) < 24:
        return None, []
    magic = raw[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", raw[20:24])[0]
    frames, off = [], 24
    while off + 16 <= len(raw):
        _, _, incl, _ = struct.unpack(endian + "IIII", raw[off:off + 16])
        off += 16
        frames.append(raw[off:off + incl])
        off += incl
    return linktype, frames

def packet_seeds(path):
    linktype, frames = classic_frames(path)
    if linktype not in LINK_SELECTOR or not frames:
        return []
    out, seed = [], b""
    for f in frames[:400]:
        f = f[:65535]
        seed += struct.pack(">BBH", LINK_SELECTOR[linktype], 1, len(f)) + f
        if len(seed) > 32768:
            out.append(seed); seed = b""
    if seed:
        out.append(seed)
    return out

def pcapfile_seeds(path):
    """[variant 0: little-endian, microseconds, v2.4][records]: the first frames of an Ethernet
    capture as classic pcap records, as FuzzHarness.pcapFile expects them."""
    linktype, frames = classic_frames(path)
    if linktype != 1 or not frames:
        return []
    seed = b"\0"
    for i, f in enumerate(frames[:200]):
        seed += struct.pack("<IIII", 1700000000 + i, 0, len(f), len(f)) + f
    return [seed]

def payload_streams(path, transport):
    fields = ["-e", "tcp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "tcp.payload"] \
        if transport == "tcp" else \
        ["-e", "udp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport", "-e", "udp.payload"]
    flt = "tcp.len>0" if transport == "tcp" else "udp.length>8"
    try:
        # occurrence=l: the innermost value when a frame carries tunnels (several headers)
        text = subprocess.run(["tshark", "-n", "-r", path, "-Y", flt, "-T", "fields", "-E", "occurrence=l"] + fields,
                              capture_output=True, text=True, timeout=120).stdout
    except Exception:
        return {}
    streams = {}
    for line in text.splitlines():
        cols = line.split("\t")
        if len(cols) < 5 or not cols[4]:
            continue
        try:
            payload = bytes.fromhex(cols[4].replace(":", ""))
        except ValueError:
            continue
        sid, src, port = cols[0], cols[1] or cols[2], cols[3]
        s = streams.setdefault(sid, {"orig": (src, port), "chunks": []})
        s["chunks"].append((0 if (src, port) == s["orig"] else 1, payload))
    return streams

def stream_seed(chunks):
    seed = b""
    for side, payload in chunks[:64]:
        seed += struct.pack(">BH", side, len(payload[:65535])) + payload[:65535]
    return seed

STREAMS = {}

def streams_of(path, transport):
    """payload_streams, read once per capture and transport for all targets (tshark is the cost)."""
    key = (path, transport)
    if key not in STREAMS:
        STREAMS[key] = payload_streams(path, transport)
    return STREAMS[key]

def main():
    if sys.argv[1:] == ["--list"]:
        print(" ".join(TARGETS))
        return 0
    out, wanted = sys.argv[1], (sys.argv[2:] or list(TARGETS))
    caps = captures()
    for t in wanted:
        kind, match = TARGETS[t]
        d = os.path.join(out, t)
        os.makedirs(d, exist_ok=True)
        n = 0
        for path in caps:
            if kind == "packets":
                seeds = packet_seeds(path)
            elif kind == "pcapfile":
                seeds = pcapfile_seeds(path)
            else:
                seeds = [stream_seed(s["chunks"]) for s in streams_of(path, kind).values()
                         if s["chunks"] and match(s["chunks"][0][1])]
            for seed in seeds[:20]:
                with open(os.path.join(d, hashlib.sha1(seed).hexdigest()), "wb") as f:
                    f.write(seed)
                n += 1
        print(f"fuzz-seeds: {t}: {n} seeds", file=sys.stderr)
    return 0

if __name__ == "__main__":
    sys.exit(main())
