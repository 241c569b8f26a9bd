#!/usr/bin/env python3
"""Write a scenario capture's sidecar (NAME.truth.json) and set the capture's clock.

    scenario_truth.py --pcap P --name N --local-start 2025-03-11T10:12:00 --out T \
                      --pings PINGS.tsv --tcpdump-command CMD --tcpdump-stats ERR < spec.json

stdin is the scenario's own part of the sidecar, written by make-scenario-captures.sh:
description, sensor, roles, tools, injected, expected. This script adds what is the same for
every scenario or measured from the run:

- `site`: the lab site (Dallas, America/Chicago).
- `geoip`: where each public lab address that occurs in the capture is meant to be.
- `clock`: the pcap's timestamps are moved (in place, whole seconds, all by the same
  amount) so that the first packet falls at --local-start, site time. Intervals between
  packets are untouched. Scenarios are set at office hours or at night on purpose.
- `measured`: ping round-trip times between the parties, taken just before the capture.
- `capture`: format, snaplen, the tcpdump command and its counters, packets, size, sha256.

The pcap is read with the standard library only (classic pcap, Ethernet, IPv4).
"""
import argparse
import datetime
import hashlib
import json
import os
import socket
import struct
import sys
import zoneinfo

SITE = {"name": "Dallas office", "timezone": "America/Chicago", "latitude": 32.78, "longitude": -96.80}

# Where each public lab address is meant to be, for the test GeoIP database.
GEO = {
    "203.0.113.50": {"city": "Shenyang", "country": "CN", "latitude": 41.80, "longitude": 123.43},
    "203.0.113.80": {"city": "Shenyang", "country": "CN", "latitude": 41.80, "longitude": 123.43},
    "198.51.100.20": {"city": "Dallas", "country": "US", "latitude": 32.78, "longitude": -96.80},
    "192.0.2.10": {"city": "New York", "country": "US", "latitude": 40.71, "longitude": -74.01},
    "192.0.2.80": {"city": "Dallas", "country": "US", "latitude": 32.78, "longitude": -96.80},
    "192.0.2.83": {"city": "Dallas", "country": "US", "latitude": 32.78, "longitude": -96.80},
    "192.0.2.90": {"city": "Frankfurt", "country": "DE", "latitude": 50.11, "longitude": 8.68},
}


def read_pcap(path):
    """(header bytes, [(ts_sec, ts_frac, caplen, origlen, data)], endian, linktype, snaplen)."""
    raw = open(path, "rb").read()
    magic = raw[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap file")
    snaplen, linktype = struct.unpack(e + "II", raw[16:24])
    recs, off = [], 24
    while off + 16 <= len(raw):
        sec, frac, incl, orig = struct.unpack(e + "IIII", raw[off:off + 16])
        recs.append((sec, frac, incl, orig, raw[off + 16:off + 16 + incl]))
        off += 16 + incl
    return raw[:24], recs, e, linktype, snaplen


def write_pcap(path, header, recs, e):
    with open(path, "wb") as f:
        f.write(header)
        for sec, frac, incl, orig, data in recs:
            f.write(struct.pack(e + "IIII", sec, frac, incl, orig))
            f.write(data)


def ipv4_addresses(frames):
    """How many times each IPv4 address appears as source or destination in Ethernet frames."""
    seen = {}
    for d in frames:
        if len(d) >= 34 and d[12:14] == b"\x08\x00":
            for a in (d[26:30], d[30:34]):
                t = socket.inet_ntoa(a)
                seen[t] = seen.get(t, 0) + 1
    return seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--local-start", required=True, help="site-local time of the first packet")
    ap.add_argument("--pings", required=True, help="TSV: from, to, min_ms, avg_ms, max_ms")
    ap.add_argument("--tcpdump-command", required=True)
    ap.add_argument("--tcpdump-stats", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    spec = json.load(sys.stdin)

    header, recs, e, linktype, snaplen = read_pcap(args.pcap)
    if not recs:
        raise SystemExit("empty capture")
    tz = zoneinfo.ZoneInfo(SITE["timezone"])
    start = datetime.datetime.fromisoformat(args.local_start).replace(tzinfo=tz)
    shift = int(start.timestamp()) - recs[0][0]
    recs = [(sec + shift, frac, incl, orig, d) for sec, frac, incl, orig, d in recs]
    write_pcap(args.pcap, header, recs, e)

    addrs = ipv4_addresses(d for *_, d in recs)
    for role in ("controlled", "controller"):
        a = spec["roles"].get(role)
        if a and a not in addrs:
            raise SystemExit(f"roles.{role} {a} does not occur in the capture")
    relay = spec["roles"].get("relay", {}).get("address")
    if relay and relay not in addrs:
        raise SystemExit(f"roles.relay.address {relay} does not occur in the capture")

    pings = []
    for line in open(args.pings):
        f = line.rstrip("\n").split("\t")
        if len(f) == 5:
            pings.append({"from": f[0], "to": f[1], "min_ms": float(f[2]), "avg_ms": float(f[3]), "max_ms": float(f[4])})
    stats = [l.strip() for l in open(args.tcpdump_stats) if "packets" in l]
    first = recs[0][0] + recs[0][1] / 1e6
    last = recs[-1][0] + recs[-1][1] / 1e6
    data = open(args.pcap, "rb").read()

    truth = {"scenario": args.name}
    truth.update({k: spec[k] for k in ("description",)})
    truth["made_by"] = f"scripts/make-scenario-captures.sh {args.name}"
    truth["sensor"] = spec["sensor"]
    truth["site"] = SITE
    for k in ("roles", "tools", "injected", "expected"):
        truth[k] = spec[k]
    truth["geoip"] = {a: GEO[a] for a in sorted(addrs) if a in GEO}
    for k, v in spec.items():
        if k not in truth:
            truth[k] = v
    truth["measured"] = {"ping_rtt_ms": pings, "how": "ping -c 10 -i 0.2 between the parties' namespaces just before the capture"}
    truth["clock"] = {
        "first_packet_utc": datetime.datetime.fromtimestamp(first, datetime.timezone.utc).isoformat(),
        "first_packet_site_local": datetime.datetime.fromtimestamp(first, tz).isoformat(),
        "shifted_by_s": shift,
        "why": "timestamps moved by a whole number of seconds so the session falls at a chosen site-local hour; gaps between packets are as captured",
    }
    truth["capture"] = {
        "format": "pcap", "linktype": linktype, "snaplen": snaplen, "timestamp_precision": "us",
        "tcpdump_command": args.tcpdump_command, "tcpdump_stats": stats,
        "packets": len(recs), "duration_s": round(last - first, 3), "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "ipv4_addresses": {a: n for a, n in sorted(addrs.items())},
    }
    with open(args.out, "w") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
