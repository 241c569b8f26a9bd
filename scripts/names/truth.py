#!/usr/bin/env python3
"""Ground truth for a name-service fixture, from tshark: writes CAPTURE.truth.json beside it.

    truth.py CAPTURE.pcap

For every frame tshark dissects as DNS, mDNS, LLMNR, NBNS, DHCP, DHCPv6 or SSDP, the fields
the tests compare (tshark -T json -e …, one list of values per field), plus whether tshark
found the frame malformed. Tests/FarmwatchCoreTests/NameTruth.swift reads this format, and
runs the same tshark command itself on the corpus captures, so fixture and corpus checks
share one comparison.
"""
import json
import subprocess
import sys

# Keep in step with NameTruth.fields in the tests.
FIELDS = [
    "frame.number", "frame.protocols", "_ws.malformed",
    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
    "dns.id", "dns.flags.response", "dns.flags.rcode", "dns.count.answers", "dns.count.auth_rr", "dns.count.add_rr", "dns.qry.name", "dns.qry.type",
    "dns.a", "dns.aaaa", "dns.cname", "dns.ptr.domain_name", "dns.srv.target", "dns.srv.port", "dns.txt",
    "dns.resp.name", "dns.resp.type", "dns.resp.ttl", "dns.svcb.svcparam.alpn", "dns.svcb.svcparam.ipv4hint.ip",
    "dhcp.hw.mac_addr", "dhcp.option.dhcp", "dhcp.option.hostname", "dhcp.option.vendor_class_id",
    "dhcp.option.request_list_item", "dhcp.fqdn.name", "dhcp.option.requested_ip_address", "dhcp.ip.your",
    "dhcpv6.msgtype", "dhcpv6.client_domain",
    "nbns.name", "ssdp", "http.server", "http.location",
]
PROTOCOLS = ("dns", "mdns", "llmnr", "nbns", "dhcp", "dhcpv6", "ssdp")


def main(path):
    version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    cmd = ["tshark", "-n", "-r", path, "-T", "json"]
    for f in FIELDS:
        cmd += ["-e", f]
    frames = []
    for packet in json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout or "[]"):
        layers = packet["_source"]["layers"]
        protos = layers.get("frame.protocols", [""])[0].split(":")
        if not any(p in protos for p in PROTOCOLS):
            continue
        frames.append(layers)
    out = path.rsplit(".", 1)[0] + ".truth.json"
    with open(out, "w") as f:
        json.dump({"source": "tshark -T json (%s)" % version, "fields": FIELDS, "frames": frames}, f, indent=1, sort_keys=True)
        f.write("\n")
    print("%s: %d frames" % (out, len(frames)))


if __name__ == "__main__":
    main(sys.argv[1])
