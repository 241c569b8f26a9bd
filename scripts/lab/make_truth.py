#!/usr/bin/env python3
"""Write the ground-truth sidecar for a lab capture, reading the pcap through tshark.

The generator (scripts/make-lab-capture.sh) writes a plan: one JSON line per flow it
means to make, with the expected Zeek conn_state and what the flow is. This script

  1. exports every packet's headers with `tshark -T fields` and groups them into flows
     the way Zeek keys conn.log rows (TCP/UDP: the 5-tuple, originator = sender of the
     first packet; ICMP: addresses plus Zeek's type/counterpart "ports");
  2. reads tshark's own conversation tables (`-z conv,tcp -z conv,udp -z conv,ip
     -z conv,ipv6`) and takes orig_pkts/resp_pkts for TCP and UDP from them, after
     checking they equal the per-packet counts; checks the per-address-pair totals of
     conv,ip and conv,ipv6 against the sum of the flows between the same two hosts;
  3. matches the plan to the flows in time order and fails if a planned flow is
     missing, if the conn_state seen in the packets is not the planned one, or if a
     flow turns up that was not planned (other than IPv6 neighbour discovery / MLD,
     which the kernel sends by itself and which is listed as background).

Standard library only; needs tshark on PATH.
"""
import argparse
import collections
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys

FIELDS = [
    "frame.number", "frame.time_epoch", "frame.len", "frame.cap_len", "eth.type",
    "ip.src", "ip.dst", "ip.len", "ip.ttl",
    "ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.hlim",
    "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.len",
    "udp.srcport", "udp.dstport", "udp.length",
    "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
    "icmpv6.nd.ns.target_address", "icmpv6.nd.na.target_address",
]

# Zeek's ICMP4_counterpart / ICMP6_counterpart (src/packet_analysis/protocol/icmp/ICMP.cc):
# request/reply pairs share one conn, keyed (type, counterpart type); every other type is
# "one way" and Zeek puts the ICMP code in resp_p.
ICMP4_PAIRS = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
ICMP6_PAIRS = {128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
               130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144}
ICMP6_BACKGROUND = {130: "MLD query", 131: "MLD report", 132: "MLD done", 143: "MLDv2 report",
                    133: "router solicitation", 134: "router advertisement",
                    135: "neighbor solicitation", 136: "neighbor advertisement", 137: "redirect"}

TH_FIN, TH_SYN, TH_RST, TH_ACK = 0x01, 0x02, 0x04, 0x10


def tshark(*args):
    p = subprocess.run(["tshark", *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("tshark %s failed: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout


def icmp_ports(v6, itype, icode):
    pairs = ICMP6_PAIRS if v6 else ICMP4_PAIRS
    if itype in pairs:
        return itype, pairs[itype], False
    return itype, icode, True


def read_packets(pcap):
    cmd = ["-r", pcap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    pkts = []
    for line in tshark(*cmd).splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        pkts.append(v)
    return pkts


def num(s, default=None):
    if s is None or s == "":
        return default
    return int(s, 0) if s.startswith("0x") else int(s)


def build_flows(pkts):
    flows = collections.OrderedDict()
    totals = collections.Counter()
    for p in pkts:
        totals["packets"] += 1
        ts = float(p["frame.time_epoch"])
        if p["ip.src"]:
            v6, src, dst = False, p["ip.src"], p["ip.dst"]
            ip_len, ttl = num(p["ip.len"]), num(p["ip.ttl"])
            totals["ipv4"] += 1
        elif p["ipv6.src"]:
            v6, src, dst = True, p["ipv6.src"], p["ipv6.dst"]
            ip_len, ttl = num(p["ipv6.plen"]) + 40, num(p["ipv6.hlim"])
            totals["ipv6"] += 1
        else:
            etype = p["eth.type"]
            totals["non_ip_0x%04x" % num(etype, 0)] += 1
            continue
        # The outer header decides: an ICMP error carries the offending packet's UDP/TCP
        # header inside it, so test ICMP before TCP/UDP (occurrence=f gives outer fields).
        itype_s = p["icmpv6.type"] if v6 else p["icmp.type"]
        payload = None
        if itype_s:
            proto = "icmp"
            itype = num(itype_s)
            icode = num(p["icmpv6.code"] if v6 else p["icmp.code"], 0)
            sport, dport, one_way = icmp_ports(v6, itype, icode)
            flags = 0
        elif p["tcp.srcport"]:
            proto = "tcp"
            sport, dport = num(p["tcp.srcport"]), num(p["tcp.dstport"])
            flags = num(p["tcp.flags"], 0)
            payload = num(p["tcp.len"], 0)
            one_way = False
        elif p["udp.srcport"]:
            proto = "udp"
            sport, dport = num(p["udp.srcport"]), num(p["udp.dstport"])
            flags = 0
            payload = num(p["udp.length"], 8) - 8
            one_way = False
        else:
            totals["other_ip"] += 1
            continue
        a, b = (src, sport), (dst, dport)
        key = (proto, a, b) if one_way else (proto,) + tuple(sorted([a, b]))
        f = flows.get(key)
        if f is None:
            f = flows[key] = {
                "proto": proto, "ip_version": 6 if v6 else 4,
                "orig_h": src, "orig_p": sport, "resp_h": dst, "resp_p": dport,
                "ts": ts, "last": ts, "frames": [],
                "orig_pkts": 0, "resp_pkts": 0, "orig_ip_bytes": 0, "resp_ip_bytes": 0,
                "orig_bytes": 0, "resp_bytes": 0, "orig_flags": 0, "resp_flags": 0,
                "ttl": {"orig": set(), "resp": set()}, "first_flags": flags,
                "icmp_types": set(), "nd_target": None,
            }
            # Zeek makes the SYN's sender the originator even if a SYN-ACK came first.
            if proto == "tcp" and flags & TH_SYN and flags & TH_ACK:
                f["orig_h"], f["orig_p"], f["resp_h"], f["resp_p"] = dst, dport, src, sport
        is_orig = (src, sport) == (f["orig_h"], f["orig_p"]) if not one_way else True
        d = "orig" if is_orig else "resp"
        f[d + "_pkts"] += 1
        f[d + "_ip_bytes"] += ip_len
        if payload is not None:
            f[d + "_bytes"] += payload
        f[d + "_flags"] |= flags
        f["ttl"][d].add(ttl)
        f["last"] = ts
        f["frames"].append(num(p["frame.number"]))
        if proto == "icmp":
            f["icmp_types"].add(itype)
            tgt = p["icmpv6.nd.ns.target_address"] or p["icmpv6.nd.na.target_address"]
            if tgt:
                f["nd_target"] = tgt
    return list(flows.values()), totals


def conn_state(f):
    """The Zeek conn_state these packets call for (the subset of states this lab makes)."""
    if f["proto"] == "icmp":
        return "OTH"
    if f["proto"] == "udp":
        if f["orig_pkts"] and f["resp_pkts"]:
            return "SF"
        return "S0" if f["orig_pkts"] else "SHR"
    o, r = f["orig_flags"], f["resp_flags"]
    syn = o & TH_SYN
    synack = (r & TH_SYN) and (r & TH_ACK)
    if syn and not f["resp_pkts"]:
        return "S0"
    if syn and not synack and r & TH_RST:
        return "REJ"
    if syn and synack:
        if o & TH_RST:
            return "RSTO"
        if r & TH_RST:
            return "RSTR"
        if o & TH_FIN and r & TH_FIN:
            return "SF"
        if o & TH_FIN:
            return "S2"
        if r & TH_FIN:
            return "S3"
        return "S1"
    return "OTH"


CONV_LINE = re.compile(
    r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+([\d.,]+ \S+)\s+(\d+)\s+([\d.,]+ \S+)\s+"
    r"(\d+)\s+([\d.,]+ \S+)\s+([\d.]+)\s+([\d.]+)\s*$")


def read_convs(pcap):
    out = tshark("-r", pcap, "-q", "-z", "conv,tcp", "-z", "conv,udp", "-z", "conv,ip", "-z", "conv,ipv6")
    tables, cur = {}, None
    names = {"TCP Conversations": "tcp", "UDP Conversations": "udp",
             "IPv4 Conversations": "ip", "IPv6 Conversations": "ipv6"}
    for line in out.splitlines():
        if line.strip() in names:
            cur = names[line.strip()]
            tables[cur] = []
            continue
        m = CONV_LINE.match(line)
        if m and cur:
            # tshark prints B->A ("<-") first and A->B ("->") second; A is the sender
            # of the first packet it saw for the conversation.
            tables[cur].append({
                "a": m.group(1), "b": m.group(2),
                "b_to_a_frames": int(m.group(3)), "a_to_b_frames": int(m.group(5)),
                "frames": int(m.group(7)), "rel_start": float(m.group(9)),
                "duration": float(m.group(10)),
            })
    return tables, out


def split_ep(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--steps", required=True)
    ap.add_argument("--versions", required=True)
    ap.add_argument("--tcpdump-stats", required=True)
    ap.add_argument("--tcpdump-command", required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--work", default=None, help="temp dir path to hide in commands")
    ap.add_argument("--snaplen", type=int, required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    errors = []
    pkts = read_packets(args.pcap)
    flows, totals = build_flows(pkts)
    t0 = float(pkts[0]["frame.time_epoch"])

    # ---- tshark's conversation tables: take TCP/UDP packet counts from them
    convs, _raw = read_convs(args.pcap)
    for f in flows:
        f["conn_state_seen"] = conn_state(f)
        if f["proto"] not in ("tcp", "udp"):
            continue
        oep, rep = (f["orig_h"], f["orig_p"]), (f["resp_h"], f["resp_p"])
        rows = [r for r in convs.get(f["proto"], [])
                if {split_ep(r["a"]), split_ep(r["b"])} == {oep, rep}]
        if len(rows) != 1:
            errors.append("flow %s %s:%d -> %s:%d: %d tshark conv rows" % (
                f["proto"], *oep, *rep, len(rows)))
            continue
        r = rows[0]
        a_is_orig = split_ep(r["a"]) == oep
        o = r["a_to_b_frames"] if a_is_orig else r["b_to_a_frames"]
        s = r["b_to_a_frames"] if a_is_orig else r["a_to_b_frames"]
        if (o, s) != (f["orig_pkts"], f["resp_pkts"]):
            errors.append("flow %s %s:%d -> %s:%d: conv says %d/%d, packets say %d/%d" % (
                f["proto"], *oep, *rep, o, s, f["orig_pkts"], f["resp_pkts"]))
        f["orig_pkts"], f["resp_pkts"] = o, s
        f["tshark_conv"] = {"table": "conv," + f["proto"], "a": r["a"], "b": r["b"],
                            "a_is_orig": a_is_orig, "a_to_b_frames": r["a_to_b_frames"],
                            "b_to_a_frames": r["b_to_a_frames"], "rel_start": r["rel_start"],
                            "duration": r["duration"]}
    # conv,ip / conv,ipv6: per host pair, frames must equal the flows' sum
    pair_sum = collections.Counter()
    for f in flows:
        pair_sum[(f["ip_version"], frozenset([f["orig_h"], f["resp_h"]]))] += f["orig_pkts"] + f["resp_pkts"]
    conv_pairs = {}
    for table, ver in (("ip", 4), ("ipv6", 6)):
        for r in convs.get(table, []):
            conv_pairs[(ver, frozenset([r["a"], r["b"]]))] = r["frames"]
    if conv_pairs != dict(pair_sum):
        errors.append("conv,ip/conv,ipv6 host-pair totals differ from the flows: %s vs %s" % (
            sorted((k[0], sorted(k[1]), v) for k, v in conv_pairs.items()),
            sorted((k[0], sorted(k[1]), v) for k, v in pair_sum.items())))

    # ---- match the plan, in time order within each (proto, orig_h, resp_h, resp_p[, orig_p])
    plan = [json.loads(l) for l in open(args.plan) if l.strip()]
    def pkey(d):
        return (d["proto"], d["orig_h"], d["resp_h"], d["resp_p"],
                d.get("orig_p") if d["proto"] == "icmp" else None)
    pools = collections.defaultdict(list)
    for f in sorted(flows, key=lambda f: f["ts"]):
        pools[pkey(f)].append(f)
    for e in plan:
        pool = pools.get(pkey(e))
        if not pool:
            errors.append("planned flow not in the capture: %s" % json.dumps(e))
            continue
        f = pool.pop(0)
        f["step"], f["what"], f["conn_state"] = e["step"], e["what"], e["conn_state"]
        f["planned"] = True
        if f["conn_state_seen"] != e["conn_state"]:
            errors.append("step %s: planned %s, packets show %s" % (e["step"], e["conn_state"], f["conn_state_seen"]))
    for f in flows:
        if f.get("planned"):
            continue
        kinds = sorted(ICMP6_BACKGROUND.get(t, "?") for t in f["icmp_types"]) if f["proto"] == "icmp" and f["ip_version"] == 6 else []
        if kinds and "?" not in kinds:
            f["step"] = "background"
            f["what"] = "ICMPv6 %s%s (sent by the kernel, not by a step)" % (
                " + ".join(kinds), " for " + f["nd_target"] if f["nd_target"] else "")
            f["conn_state"] = f["conn_state_seen"]
            f["planned"] = False
        else:
            errors.append("unplanned flow: %s %s:%s -> %s:%s (%d/%d pkts)" % (
                f["proto"], f["orig_h"], f["orig_p"], f["resp_h"], f["resp_p"], f["orig_pkts"], f["resp_pkts"]))

    if errors:
        for e in errors:
            print("make_truth: " + e, file=sys.stderr)
        sys.exit(1)

    # ---- assemble
    def hide(s):
        return s.replace(args.work, "$WORK") if args.work else s
    steps = []
    for line in open(args.steps):
        name, rc, cmd = line.rstrip("\n").split("\t", 2)
        steps.append({"step": name, "exit_code": int(rc), "command": hide(cmd)})
    stats = open(args.tcpdump_stats).read()
    def stat(pat):
        m = re.search(r"(\d+) packets? " + pat, stats)
        return int(m.group(1)) if m else None
    out_flows = []
    for f in sorted(flows, key=lambda f: f["ts"]):
        d = collections.OrderedDict()
        d["ts"] = round(f["ts"], 6)
        d["rel_start"] = round(f["ts"] - t0, 6)
        for k in ("proto", "orig_h", "orig_p", "resp_h", "resp_p"):
            d[k] = f[k]
        d["duration"] = round(f["last"] - f["ts"], 6)
        for k in ("orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes"):
            d[k] = f[k]
        if f["proto"] in ("tcp", "udp"):
            d["orig_bytes"], d["resp_bytes"] = f["orig_bytes"], f["resp_bytes"]
        d["conn_state"] = f["conn_state"]
        d["what"] = f["what"]
        d["step"] = f["step"]
        d["planned"] = f["planned"]
        d["ip_version"] = f["ip_version"]
        d["ttl_seen"] = {k: sorted(v) for k, v in f["ttl"].items() if v}
        d["frames"] = [f["frames"][0], f["frames"][-1]]
        if "tshark_conv" in f:
            d["tshark_conv"] = f["tshark_conv"]
        out_flows.append(d)

    by_state = collections.Counter(f["conn_state"] for f in out_flows)
    by_proto = collections.Counter(f["proto"] for f in out_flows)
    with open(args.pcap, "rb") as fh:
        raw = fh.read()
    magic = raw[:4].hex()
    precision = {"d4c3b2a1": "microsecond", "a1b2c3d4": "microsecond",
                 "4d3cb2a1": "nanosecond", "a1b23c4d": "nanosecond"}.get(magic, "unknown")
    last = float(pkts[-1]["frame.time_epoch"])
    truth = collections.OrderedDict()
    truth["file"] = os.path.basename(args.out).replace(".truth.json", ".pcap")
    truth["made_by"] = "scripts/make-lab-capture.sh (sidecar by scripts/lab/make_truth.py, counts read through tshark)"
    truth["date"] = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    truth["command"] = args.command
    truth["capture"] = collections.OrderedDict([
        ("format", "pcap (libpcap), little-endian magic %s" % magic),
        ("timestamp_precision", precision),
        ("linktype", "EN10MB (Ethernet)"),
        ("snaplen", args.snaplen),
        ("sensor", "tcpdump on the laptop's veth (lap0) inside network namespace fwlab-laptop"),
        ("tcpdump_command", args.tcpdump_command),
        ("tcpdump_packets_captured", stat("captured")),
        ("tcpdump_packets_dropped_by_kernel", stat("dropped by kernel")),
        ("first_packet_ts", round(t0, 6)),
        ("last_packet_ts", round(last, 6)),
        ("duration_s", round(last - t0, 6)),
        ("size_bytes", len(raw)),
        ("sha256", hashlib.sha256(raw).hexdigest()),
    ])
    truth["versions"] = json.load(open(args.versions))
    truth["hosts"] = {
        "192.0.2.10": "laptop (client, sensor side)", "2001:db8:0:1::10": "laptop (client, sensor side)",
        "192.0.2.1": "router / DNS responder on the laptop's segment (TTL 64 at the sensor)",
        "2001:db8:0:1::1": "router / DNS responder on the laptop's segment (hop limit 64 at the sensor)",
        "198.51.100.20": "server one hop behind the router: sshd :22, python http.server :8080 (TTL 63 at the sensor)",
        "2001:db8:0:2::20": "server one hop behind the router (hop limit 63 at the sensor)",
        "203.0.113.50": "blackholed: the router drops it silently (iptables -t raw PREROUTING DROP)",
    }
    truth["totals"] = collections.OrderedDict([
        ("packets", totals["packets"]),
        ("ipv4_packets", totals["ipv4"]),
        ("ipv6_packets", totals["ipv6"]),
        ("non_ip_frames", {k[len("non_ip_"):]: v for k, v in totals.items() if k.startswith("non_ip_")}),
        ("flows", len(out_flows)),
        ("planned_flows", sum(1 for f in out_flows if f["planned"])),
        ("background_flows", sum(1 for f in out_flows if not f["planned"])),
        ("flows_by_proto", dict(sorted(by_proto.items()))),
        ("flows_by_conn_state", dict(sorted(by_state.items()))),
    ])
    truth["field_notes"] = {
        "flows": "one entry per Zeek conn.log row expected, in order of first packet; field names as in Zeek conn.log",
        "orig/resp": "originator = sender of the SYN (TCP) or of the first packet (UDP, ICMP)",
        "orig_pkts/resp_pkts": "TCP and UDP: from tshark -z conv,tcp / conv,udp (mapped A/B -> orig/resp, see tshark_conv); ICMP: counted from tshark -T fields, since tshark has no per-ICMP-type conversation table; all checked against each other and against conv,ip / conv,ipv6 host-pair totals",
        "icmp ports": "Zeek's convention: orig_p = ICMP type, resp_p = the counterpart type for request/reply pairs (echo 8->0, ICMPv6 echo 128->129, NS 135->136) or the ICMP code for one-way types (unreachable 3 code 3 -> resp_p 3)",
        "orig_bytes/resp_bytes": "TCP: sum of segment payload lengths (tcp.len); equals Zeek's sequence-number based count when there are no retransmissions. UDP: sum of UDP payload lengths",
        "orig_ip_bytes/resp_ip_bytes": "sum of IP total lengths (IPv6: payload length + 40), from the headers, so not affected by the 512-byte snaplen",
        "conn_state": "Zeek conn_state planned by the generator; make_truth.py also derives it from the packets' flags and refuses to write the sidecar if the two differ",
        "duration": "last packet minus first packet of the flow; Zeek leaves duration unset ('-') for some single-packet connections",
        "ttl_seen": "IPv4 TTL / IPv6 hop limit per direction at the sensor: 64 from the laptop and the router, 63 from the server (one routed hop)",
        "frames": "first and last frame number (1-based) of the flow in the pcap",
    }
    truth["ephemeral_ports"] = sorted({f["orig_p"] for f in out_flows if f["proto"] in ("tcp", "udp")})
    truth["steps"] = steps
    truth["flows"] = out_flows
    with open(args.out, "w") as fh:
        json.dump(truth, fh, indent=2)
        fh.write("\n")
    print("make_truth: %d packets, %d flows (%d planned, %d background) -> %s" % (
        totals["packets"], len(out_flows), truth["totals"]["planned_flows"],
        truth["totals"]["background_flows"], args.out), file=sys.stderr)


if __name__ == "__main__":
    main()
