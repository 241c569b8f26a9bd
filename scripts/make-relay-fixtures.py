#!/usr/bin/env python3
"""Writes byte-exact ZeroTier fixtures (captures/fixtures/relays/), built from the public
protocol source rather than captured (no public capture with ground truth exists):

  zerotier/ZeroTierOne node/Packet.hpp   ZT_PACKET_IDX_* header layout (IV 0, DEST 8, SOURCE 13,
                                         FLAGS 18 = FFCCCHHH, MAC 19, VERB 27, PAYLOAD 28), cipher
                                         suites (0 = C25519/POLY1305/NONE, used only for HELLO;
                                         1 = POLY1305/SALSA2012), VERB_HELLO = 0x01 and its payload
                                         <proto ver><major><minor><revision u16><timestamp u64>
                                         <identity><dest addr type + addr><world id><world ts>
  zerotier/ZeroTierOne node/Identity.hpp serialize(): <address 5><type 0><C25519+Ed25519 public
                                         keys 64><private key length 0>

zerotier.pcap: two ZeroTier conversations, one on the default port 9993 and one on other
ports, each a HELLO then encrypted packets both ways.
zerotier-near-miss.pcap: what must not be called ZeroTier: a HELLO whose identity is not its
sender's address, a HELLO-shaped packet under the encrypting cipher suite, and random
datagrams on port 9993.

    scripts/make-relay-fixtures.py      (deterministic: a fixed random seed)
"""
import json, os, random, struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "captures", "fixtures", "relays")
rng = random.Random(20240921)


def rand(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def addr5(a):
    return a.to_bytes(5, "big")


def ipv4(s):
    return bytes(int(x) for x in s.split("."))


def udp_frame(src, sport, dst, dport, payload):
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, ipv4(src), ipv4(dst))
    csum = sum(struct.unpack(">10H", ip))
    while csum >> 16:
        csum = (csum & 0xFFFF) + (csum >> 16)
    ip = ip[:10] + struct.pack(">H", ~csum & 0xFFFF) + ip[12:]
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    return eth + ip + udp


def header(dest, source, cipher, verb_byte):
    return rand(8) + addr5(dest) + addr5(source) + bytes([cipher << 3]) + rand(8) + bytes([verb_byte])


def hello(dest, source, identity_address=None, dest_ip="198.51.100.7", dest_port=9993):
    ident = addr5(identity_address if identity_address is not None else source) + b"\x00" + rand(64) + b"\x00"
    body = bytes([11, 1, 14]) + struct.pack(">H", 2) + struct.pack(">Q", 1_726_000_000_000) + ident
    body += b"\x04" + ipv4(dest_ip) + struct.pack(">H", dest_port) + struct.pack(">QQ", 149604618, 1567191349589)
    return header(dest, source, 0, 0x01) + body


def encrypted(dest, source, n):
    # Cipher suite 1: verb and payload are Salsa20/12 ciphertext, random to an observer.
    return rand(8) + addr5(dest) + addr5(source) + bytes([1 << 3]) + rand(8) + rand(1 + n)


def write_pcap(name, frames):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1_726_000_000
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", t, i * 1000, len(fr), len(fr)))
            f.write(fr)


def main():
    os.makedirs(OUT, exist_ok=True)
    a, b, c = 0x1D71939404, 0x89E92CEEE5, 0x3A46F1BF30
    frames = [
        udp_frame("10.1.0.2", 9993, "198.51.100.7", 9993, hello(b, a)),
        udp_frame("198.51.100.7", 9993, "10.1.0.2", 9993, encrypted(a, b, 60)),
        udp_frame("10.1.0.2", 9993, "198.51.100.7", 9993, encrypted(b, a, 300)),
        udp_frame("198.51.100.7", 9993, "10.1.0.2", 9993, encrypted(a, b, 120)),
        udp_frame("10.1.0.2", 41234, "203.0.113.9", 27015, hello(c, a, dest_ip="203.0.113.9", dest_port=27015)),
        udp_frame("203.0.113.9", 27015, "10.1.0.2", 41234, encrypted(a, c, 48)),
    ]
    write_pcap("zerotier.pcap", frames)
    near = [
        # The identity names another node: not a HELLO from this sender.
        udp_frame("10.1.0.3", 9993, "198.51.100.8", 9993, hello(b, a, identity_address=c)),
        # HELLO-shaped but under the encrypting suite: the verb is ciphertext.
        udp_frame("10.1.0.4", 9993, "198.51.100.9", 9993, header(b, a, 1, 0x01) + hello(b, a)[28:]),
        # Random datagrams on the ZeroTier port.
        udp_frame("10.1.0.5", 50000, "198.51.100.10", 9993, rand(140)),
        udp_frame("198.51.100.10", 9993, "10.1.0.5", 50000, rand(140)),
    ]
    write_pcap("zerotier-near-miss.pcap", near)
    source = ("zerotier/ZeroTierOne node/Packet.hpp (header indexes, cipher suites, VERB_HELLO) and "
              "node/Identity.hpp (identity serialisation)")
    truth = {
        "file": "zerotier.pcap", "linkType": 1, "generatedBy": "scripts/make-relay-fixtures.py", "source": source,
        "flows": [
            {"orig": "10.1.0.2:9993", "resp": "198.51.100.7:9993", "protocols": ["zerotier"],
             "hello_source": f"{a:010x}", "hello_destination": f"{b:010x}", "protocol_version": 11,
             "software_version": "1.14.2", "packets": 4, "pair_packets": 4},
            {"orig": "10.1.0.2:41234", "resp": "203.0.113.9:27015", "protocols": ["zerotier"],
             "hello_source": f"{a:010x}", "hello_destination": f"{c:010x}", "protocol_version": 11,
             "software_version": "1.14.2", "packets": 2, "pair_packets": 2},
        ],
    }
    with open(os.path.join(OUT, "zerotier.truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    near_truth = {"file": "zerotier-near-miss.pcap", "linkType": 1, "generatedBy": "scripts/make-relay-fixtures.py",
                  "source": source, "flows": [], "notes": "no flow may be recognised as zerotier"}
    with open(os.path.join(OUT, "zerotier-near-miss.truth.json"), "w") as f:
        json.dump(near_truth, f, indent=1)


if __name__ == "__main__":
    main()
