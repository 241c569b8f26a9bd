#!/usr/bin/env python3
"""Writes the scrambled-OpenVPN fixtures (captures/fixtures/relays/openvpn-scrambled.*).

OpenVPN's "scramble" patch (Tunnelblick's openvpn xorpatch, also implemented by Passepartout
and used by obfuscating VPN providers) hides the clear header: with `scramble xormask KEY`
every byte of every OpenVPN packet is XORed with KEY, cycling (TCP keeps its 2-byte length
in clear: the patch works on the packet, not the stream framing). No public capture with
ground truth exists, so the positive flows are real OpenVPN packets scrambled here: the first
60 datagrams of the OpenVPN tunnel in captures/scenarios/openvpn-relay.pcap (OpenVPN 2.6
from Debian, made by scripts/make-scenario-captures.sh), XORed with a fixed mask, sent once
over UDP and once over TCP (each packet behind its length, as OpenVPN over TCP frames it;
some frames split across segments, some segments holding two frames), on ports that are not
OpenVPN's.

The near misses are traffic whose first bytes come close to that pattern without keeping it:
  - a game-style protocol with a type byte: distinct openings, then five other types;
  - a protocol that repeats its opening after other messages;
  - one-way traffic with the same first bytes (the other side never answers);
  - DNS over TCP: twelve queries and answers behind the same 2-byte lengths;
  - random datagrams both ways.

    scripts/make-openvpn-scrambled-fixtures.py      (deterministic: fixed mask and seed)
"""
import json, os, random, struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "captures", "scenarios", "openvpn-relay.pcap")
OUT = os.path.join(ROOT, "captures", "fixtures", "relays")
MASK = b"f4rmw4tch-scramble"
rng = random.Random(20261206)
CLIENT, SERVER = "192.0.2.10", "198.51.100.30"
BASE_TS = 1_780_000_000.0


def ipv4(s):
    return bytes(int(x) for x in s.split("."))


def ip_header(src, dst, proto, length):
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + length, 1, 0, 64, proto, 0, ipv4(src), ipv4(dst))
    csum = sum(struct.unpack(">10H", ip))
    while csum >> 16:
        csum = (csum & 0xFFFF) + (csum >> 16)
    return ip[:10] + struct.pack(">H", ~csum & 0xFFFF) + ip[12:]


def ether(from_client):
    return bytes.fromhex("020000000002020000000001" if from_client else "020000000001020000000002") + b"\x08\x00"


def udp_frame(from_client, sport, dport, payload):
    src, dst = (CLIENT, SERVER) if from_client else (SERVER, CLIENT)
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    return ether(from_client) + ip_header(src, dst, 17, len(udp)) + udp


def tcp_frame(from_client, sport, dport, seq, ack, flags, payload=b""):
    src, dst = (CLIENT, SERVER) if from_client else (SERVER, CLIENT)
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    return ether(from_client) + ip_header(src, dst, 6, len(tcp)) + tcp


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), "classic little-endian pcap expected"
    link = struct.unpack("<I", data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return link, out


def openvpn_datagrams():
    """(from_client, payload) of the source tunnel's first 60 datagrams, in order."""
    link, frames = read_pcap(SOURCE)
    l2 = {1: 14, 113: 16, 276: 20}[link]
    out = []
    for fr in frames:
        ip = fr[l2:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        sport, dport, ulen = struct.unpack(">HHH", ip[ihl:ihl + 6])
        if 1194 not in (sport, dport):
            continue
        out.append((dport == 1194, bytes(ip[ihl + 8:ihl + ulen])))
        if len(out) == 60:
            break
    assert len(out) == 60 and out[0][1][0] >> 3 == 7, "the source tunnel must open with a client hard reset"
    return out


def scramble(packet):
    return bytes(b ^ MASK[i % len(MASK)] for i, b in enumerate(packet))


class Capture:
    def __init__(self):
        self.frames, self.flows, self.t = [], [], BASE_TS

    def add(self, frame):
        self.t += 0.004
        self.frames.append((self.t, frame))

    def udp(self, sport, dport, datagrams, family, what):
        for from_client, payload in datagrams:
            self.add(udp_frame(from_client, sport if from_client else dport, dport if from_client else sport, payload))
        self.flows.append({"proto": "udp", "orig_p": sport, "resp_p": dport, "family": family, "what": what})

    def tcp(self, sport, dport, segments, family, what):
        """A whole connection; `segments` are (from_client, bytes) in stream order."""
        cseq, sseq = 1000, 5000
        self.add(tcp_frame(True, sport, dport, cseq - 1, 0, 0x02))
        self.add(tcp_frame(False, dport, sport, sseq - 1, cseq, 0x12))
        self.add(tcp_frame(True, sport, dport, cseq, sseq, 0x10))
        for from_client, data in segments:
            if from_client:
                self.add(tcp_frame(True, sport, dport, cseq, sseq, 0x18, data)); cseq += len(data)
            else:
                self.add(tcp_frame(False, dport, sport, sseq, cseq, 0x18, data)); sseq += len(data)
        self.add(tcp_frame(True, sport, dport, cseq, sseq, 0x11))
        self.add(tcp_frame(False, dport, sport, sseq, cseq + 1, 0x11))
        self.add(tcp_frame(True, sport, dport, cseq + 1, sseq + 1, 0x10))
        self.flows.append({"proto": "tcp", "orig_p": sport, "resp_p": dport, "family": family, "what": what})

    def write(self, name, description):
        with open(os.path.join(OUT, name + ".pcap"), "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, fr in self.frames:
                sec = int(t)
                f.write(struct.pack("<IIII", sec, int(round((t - sec) * 1e6)), len(fr), len(fr)) + fr)
        truth = {"file": name + ".pcap", "linkType": 1, "generatedBy": "scripts/make-openvpn-scrambled-fixtures.py",
                 "description": description, "mask": MASK.decode(), "flows": self.flows}
        with open(os.path.join(OUT, name + ".truth.json"), "w") as f:
            json.dump(truth, f, indent=1)
            f.write("\n")


def tcp_stream(messages):
    """OpenVPN-over-TCP segments: each packet behind its 2-byte length; every third frame is
    split across two segments and every fifth shares a segment with the next one."""
    segments, i = [], 0
    while i < len(messages):
        side, packet = messages[i]
        frame = struct.pack(">H", len(packet)) + packet
        if i % 3 == 1 and len(frame) > 8:
            segments += [(side, frame[:5]), (side, frame[5:])]
        elif i % 5 == 0 and i + 1 < len(messages) and messages[i + 1][0] == side:
            nxt = messages[i + 1][1]
            segments.append((side, frame + struct.pack(">H", len(nxt)) + nxt))
            i += 1
        else:
            segments.append((side, frame))
        i += 1
    return segments


def typed(kind, n):
    return bytes([kind]) + bytes(rng.getrandbits(8) for _ in range(n - 1))


def dns_query(qid, name):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + b"\x00\x01\x00\x01"


def main():
    os.makedirs(OUT, exist_ok=True)
    tunnel = [(c, scramble(p)) for c, p in openvpn_datagrams()]
    cap = Capture()
    cap.udp(50201, 8443, tunnel, "openvpn", "OpenVPN over UDP, every packet XORed with the mask")
    cap.tcp(50202, 8080, tcp_stream(tunnel), "openvpn", "OpenVPN over TCP, every packet XORed with the mask, lengths in clear")
    # Near misses.
    game = [(True, typed(0x10, 40)), (False, typed(0x20, 60))]
    game += [(i % 2 == 0, typed(0x30 + 0x10 * (i % 5), 48 + i)) for i in range(10)]
    cap.udp(50203, 27015, game, None, "type-byte protocol: distinct openings, then five other types")
    again = [(True, typed(0x38, 60)), (False, typed(0x40, 60)), (True, typed(0x20, 80)), (False, typed(0x28, 30)),
             (True, typed(0x38, 60))] + [(i % 2 == 0, typed(0x20, 90)) for i in range(8)]
    cap.udp(50204, 1195, again, None, "the opening type again after other messages")
    one_way = [(True, typed(0x38, 60))] + [(True, typed(0x20 if i % 2 else 0x28, 70)) for i in range(14)]
    cap.udp(50205, 1196, one_way, None, "one-way: the other side never opens")
    dns = []
    for i in range(12):
        q = dns_query(rng.getrandbits(16), f"host{i}.example.com")
        a = bytearray(q); a[2] = 0x81; a[3] = 0x80
        dns += [(True, struct.pack(">H", len(q)) + q), (False, struct.pack(">H", len(a)) + bytes(a))]
    cap.tcp(50206, 53, dns, "dns", "DNS over TCP: twelve queries behind 2-byte lengths")
    noise = [(i % 2 == 0, bytes(rng.getrandbits(8) for _ in range(30 + i))) for i in range(16)]
    cap.udp(50207, 40000, noise, None, "random datagrams both ways")
    cap.write("openvpn-scrambled", "OpenVPN with its header scrambled (xormask), over UDP and TCP, and near misses "
              "whose first bytes come close to its opcode pattern; family null = no family may be named")


if __name__ == "__main__":
    main()
