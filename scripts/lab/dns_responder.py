#!/usr/bin/env python3
"""Tiny authoritative DNS responder for the farmwatch lab capture.

Standard library only. Answers A and AAAA for a handful of names in
lab.example from a fixed table, NXDOMAIN for other names in lab.example,
REFUSED for anything else. One UDP socket per --listen address.

    dns_responder.py --listen 192.0.2.1 --listen 2001:db8:0:1::1 [--port 53]
                     [--record NAME=ADDRESS ...]   (more names in lab.example)

Never forwards anything anywhere: it only answers the queries it receives.
"""
import argparse
import select
import socket
import struct
import sys

ZONE = "lab.example"
RECORDS = {
    # name: {qtype: [rdata as address text]}
    "files.lab.example": {1: ["198.51.100.20"], 28: ["2001:db8:0:2::20"]},
    "ssh.lab.example": {1: ["198.51.100.20"], 28: ["2001:db8:0:2::20"]},
    "gw.lab.example": {1: ["192.0.2.1"], 28: ["2001:db8:0:1::1"]},
    "laptop.lab.example": {1: ["192.0.2.10"], 28: ["2001:db8:0:1::10"]},
}
TTL = 300


def parse_question(msg):
    """Return (qname, qtype, qclass, end_offset) of the first question."""
    labels, off = [], 12
    while True:
        n = msg[off]
        off += 1
        if n == 0:
            break
        if n & 0xC0:
            raise ValueError("compression in question")
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    return ".".join(labels).lower(), qtype, qclass, off + 4


def answer(msg):
    if len(msg) < 12:
        return None
    qid, flags, qd, _an, _ns, _ar = struct.unpack("!6H", msg[:12])
    if flags & 0x8000 or qd != 1:  # a response, or not exactly one question
        return None
    try:
        qname, qtype, qclass, qend = parse_question(msg)
    except (IndexError, ValueError, struct.error):
        return None
    question = msg[12:qend]
    rd = flags & 0x0100
    answers = []
    if qname == ZONE or qname.endswith("." + ZONE):
        if qname in RECORDS:
            rcode = 0
            for addr in RECORDS[qname].get(qtype, []):
                fam = socket.AF_INET if qtype == 1 else socket.AF_INET6
                rdata = socket.inet_pton(fam, addr)
                answers.append(struct.pack("!HHHIH", 0xC00C, qtype, 1, TTL, len(rdata)) + rdata)
        else:
            rcode = 3  # NXDOMAIN
        aa = 0x0400
    else:
        rcode, aa = 5, 0  # REFUSED: we are not a recursive resolver
    rflags = 0x8000 | aa | rd | rcode  # QR, AA, RD copied, RA=0
    header = struct.pack("!6H", qid, rflags, 1, len(answers), 0, 0)
    return header + question + b"".join(answers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", action="append", required=True)
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--record", action="append", default=[], metavar="NAME=ADDRESS",
                    help="add an A (or AAAA, for an IPv6 address) record under lab.example")
    args = ap.parse_args()
    for rec in args.record:
        name, addr = rec.split("=", 1)
        if not name.endswith("." + ZONE):
            ap.error("--record names must be under " + ZONE)
        RECORDS.setdefault(name, {}).setdefault(28 if ":" in addr else 1, []).append(addr)
    socks = []
    for addr in args.listen:
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, args.port))
        socks.append(s)
    print("dns_responder: listening on %s port %d" % (", ".join(args.listen), args.port), flush=True)
    while True:
        ready, _, _ = select.select(socks, [], [])
        for s in ready:
            msg, peer = s.recvfrom(4096)
            reply = answer(msg)
            if reply is not None:
                s.sendto(reply, peer)
                print("dns_responder: %s -> %d bytes" % (peer[0], len(reply)), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
