#!/usr/bin/env python3
"""Builds the packet-decoder fixture captures in captures/fixtures/decode/.

Each fixture is a small classic pcap built with scapy (fixed field values, fixed
timestamps: the output is the same on every run), and a NAME.truth.json sidecar holding,
per frame, what the frame is, the result farmwatch's decoder must give by construction
(ok / notIP / fragmentHeld / error:<kind>), and the decoded fields *as tshark dissects
them* (`expect`), so that the unit tests compare farmwatch with a peer rather than with
itself. The raw tshark field values are kept under `tshark` as evidence. A few values
tshark has no field for are stated by construction and listed in `byConstruction`.

Requires: scapy (pip install scapy) and tshark on PATH.
Usage: scripts/make-decode-fixtures.py [output-dir]
"""
import json
import os
import struct
import subprocess
import sys

from scapy.all import (ARP, GRE, GRE_PPTP, HDLC, ICMP, IP, IPv6, LLC, PPP, PPPoE, SNAP, STP, TCP, UDP,
                       CookedLinux, CookedLinuxV2, Dot1AD, Dot1Q, Ether, ICMPv6EchoReply,
                       ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RS, ICMPv6MLQuery,
                       ICMPv6PacketTooBig, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, Raw, conf, fragment, fragment6)
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III, ERSPAN_PlatformSpecific
from scapy.contrib.geneve import GENEVE, GeneveOptions
from scapy.contrib.gtp import GTP_U_Header, GTPEchoRequest, GTPPDUSessionContainer
from scapy.contrib.mpls import MPLS
from scapy.layers.dot11 import Dot11, Dot11QoS
from scapy.layers.ipsec import AH
from scapy.layers.vxlan import VXLAN

conf.verb = 0

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "captures", "fixtures", "decode")
BASE_TS_US = 1_700_000_000 * 1_000_000

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
V4_A, V4_B = "192.0.2.10", "198.51.100.20"
V6_A, V6_B = "2001:db8::10", "2001:db8:0:1::20"
OUTER4_A, OUTER4_B = "203.0.113.1", "203.0.113.2"
OUTER6_A, OUTER6_B = "2001:db8:ffff::1", "2001:db8:ffff::2"


class Frame:
    """One record: its bytes, what it is, and the decoder result it must produce."""

    def __init__(self, pkt, what, result="ok", wirelen=None, caplen=None, ts_us=None, fix=None,
                 by_construction=None, ip_layers=None):
        self.data = bytes(pkt)
        self.what = what
        self.result = result
        self.wirelen = len(self.data) if wirelen is None else wirelen
        self.caplen = caplen  # None: all of data
        self.ts_us = ts_us
        self.by_construction = by_construction or {}
        self.fix = fix
        # How many IP headers farmwatch opens, when tshark dissects further into a payload
        # that farmwatch leaves as a plain UDP/GRE flow.
        self.ip_layers = ip_layers


def eth(payload_type=None):
    return Ether(src=MAC_A, dst=MAC_B) if payload_type is None else Ether(src=MAC_A, dst=MAC_B, type=payload_type)


def tcp_syn():
    return TCP(sport=40000, dport=443, seq=1000, ack=0, flags="S", window=64240,
               options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456, 0)), ("NOP", None), ("WScale", 7)])


def udp_dns():
    return UDP(sport=53000, dport=53) / Raw(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01")


def ip4(**kw):
    kw.setdefault("src", V4_A)
    kw.setdefault("dst", V4_B)
    kw.setdefault("ttl", 64)
    kw.setdefault("id", 0x1234)
    return IP(**kw)


def ip6(**kw):
    kw.setdefault("src", V6_A)
    kw.setdefault("dst", V6_B)
    kw.setdefault("hlim", 64)
    return IPv6(**kw)


# ---------------------------------------------------------------------------------------------
# Fixture definitions: name -> (linktype, description, [Frame], extra tshark arguments)

def fx_ethernet():
    small = eth() / ip4(id=2) / UDP(sport=1000, dport=2000) / Raw(b"hi")
    small = Ether(bytes(small) + b"\x00" * (60 - len(small)))  # Ethernet minimum-size padding
    return 1, "Ethernet II: TCP with payload, a padded minimum-size frame, IPv4 options, IPv6, and non-IP EtherTypes", [
        Frame(eth() / ip4() / TCP(sport=40001, dport=80, seq=5, ack=6, flags="PA", window=501) / Raw(b"GET / HTTP/1.1\r\n\r\n"),
              "IPv4 TCP PSH/ACK with an HTTP request"),
        Frame(small, "IPv4 UDP, 2-byte payload, padded to 60 bytes: the IP total length excludes the padding"),
        Frame(eth() / ip4(options=[b"\x94\x04\x00\x00"]) / UDP(sport=5353, dport=5353) / Raw(b"x" * 10),
              "IPv4 with a Router Alert option (IHL 6)"),
        Frame(eth() / ip6() / UDP(sport=546, dport=547) / Raw(b"y" * 12), "IPv6 UDP"),
        Frame(eth() / ARP(psrc=V4_A, pdst=V4_B), "ARP request", "notIP"),
        Frame(Ether(src=MAC_A, dst="01:80:c2:00:00:0e", type=0x88CC) / Raw(b"\x02\x07\x04" + b"\x00" * 20), "LLDP", "notIP"),
        Frame(Ether(src=MAC_A, dst="01:80:c2:00:00:00") / LLC() / STP(), "802.3 LLC spanning tree", "notIP"),
    ], []


def fx_vlan():
    return 1, "802.1Q, 802.1ad QinQ and 0x9100 tag stacks", [
        Frame(eth() / Dot1Q(vlan=100) / ip4() / tcp_syn(), "single 802.1Q tag, VLAN 100, TCP SYN"),
        Frame(Ether(src=MAC_A, dst=MAC_B, type=0x88A8) / Dot1AD(vlan=200, type=0x8100) / Dot1Q(vlan=300) / ip4() / udp_dns(),
              "802.1ad S-tag 200 then C-tag 300, DNS query"),
        Frame(Ether(src=MAC_A, dst=MAC_B, type=0x9100) / Dot1Q(vlan=10, type=0x8100) / Dot1Q(vlan=20, type=0x8100) / Dot1Q(vlan=30) / ip6() / tcp_syn(),
              "0x9100 tag 10, then 802.1Q 20 and 30 (three tags), IPv6 TCP"),
        Frame(eth() / Dot1Q(vlan=0, prio=5) / ip4() / UDP(sport=5004, dport=5004) / Raw(b"r" * 20), "priority tag (VLAN 0)"),
        Frame(eth() / Dot1Q(vlan=100) / ARP(psrc=V4_A, pdst=V4_B), "ARP in VLAN 100", "notIP"),
    ], []


def fx_mpls_pppoe():
    return 1, "MPLS label stacks and PPPoE sessions over Ethernet", [
        Frame(eth(0x8847) / MPLS(label=100, s=1, ttl=64) / ip4() / udp_dns(), "one MPLS label, IPv4"),
        Frame(eth(0x8847) / MPLS(label=100, s=0, ttl=64) / MPLS(label=200, s=1, ttl=64) / ip6() / tcp_syn(), "two labels, IPv6"),
        Frame(eth(0x8848) / MPLS(label=300, s=1, ttl=64) / ip4() / UDP(sport=1, dport=2) / Raw(b"m" * 8), "multicast MPLS, IPv4"),
        Frame(eth(0x8864) / PPPoE(sessionid=0x1234) / PPP(proto=0x0021) / ip4() / tcp_syn(), "PPPoE session, PPP IPv4"),
        Frame(eth(0x8864) / PPPoE(sessionid=0x1234) / PPP(proto=0x0057) / ip6() / udp_dns(), "PPPoE session, PPP IPv6"),
        Frame(eth(0x8864) / PPPoE(sessionid=0x1234) / PPP(proto=0xC021) / Raw(b"\x01\x01\x00\x04"), "PPPoE session, LCP", "notIP"),
    ], []


def fx_sll():
    return 113, "Linux cooked capture v1 (LINKTYPE_LINUX_SLL)", [
        Frame(CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=bytes.fromhex("02000000000a0000"), proto=0x0800) / ip4() / tcp_syn(), "IPv4 TCP SYN"),
        Frame(CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=bytes.fromhex("02000000000b0000"), proto=0x86DD) / ip6() / udp_dns(), "IPv6 UDP"),
        Frame(CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=bytes.fromhex("02000000000a0000"), proto=0x8100) / Dot1Q(vlan=42) / ip4() / udp_dns(), "VLAN tag kept in the cooked header"),
        Frame(CookedLinux(pkttype=1, lladdrtype=1, lladdrlen=6, src=bytes.fromhex("02000000000a0000"), proto=0x0806) / ARP(psrc=V4_A, pdst=V4_B), "ARP", "notIP"),
    ], []


def fx_sll2():
    return 276, "Linux cooked capture v2 (LINKTYPE_LINUX_SLL2)", [
        Frame(CookedLinuxV2(proto=0x0800, ifindex=2, lladdrtype=1, pkttype=0, lladdrlen=6, src=bytes.fromhex("02000000000a0000")) / ip4() / tcp_syn(), "IPv4 TCP SYN"),
        Frame(CookedLinuxV2(proto=0x86DD, ifindex=3, lladdrtype=1, pkttype=4, lladdrlen=6, src=bytes.fromhex("02000000000b0000")) / ip6() / udp_dns(), "IPv6 UDP"),
        Frame(CookedLinuxV2(proto=0x0806, ifindex=2, lladdrtype=1, pkttype=1, lladdrlen=6, src=bytes.fromhex("02000000000a0000")) / ARP(psrc=V4_A, pdst=V4_B), "ARP", "notIP"),
    ], []


def fx_null():
    return 0, "BSD loopback (LINKTYPE_NULL): address family in the capturing host's byte order", [
        Frame(struct.pack("<I", 2) + bytes(ip4(src="127.0.0.1", dst="127.0.0.1") / tcp_syn()), "AF_INET little-endian, TCP"),
        Frame(struct.pack(">I", 2) + bytes(ip4(src="127.0.0.1", dst="127.0.0.1") / udp_dns()), "AF_INET big-endian, UDP"),
        Frame(struct.pack("<I", 30) + bytes(ip6(src="::1", dst="::1") / tcp_syn()), "AF_INET6 30 (Darwin) little-endian"),
        Frame(struct.pack("<I", 28) + bytes(ip6(src="::1", dst="::1") / udp_dns()), "AF_INET6 28 (FreeBSD) little-endian"),
        Frame(struct.pack(">I", 24) + bytes(ip6(src="::1", dst="::1") / udp_dns()), "AF_INET6 24 (NetBSD/OpenBSD) big-endian"),
        Frame(struct.pack("<I", 7) + b"\x00" * 20, "unknown family 7", "notIP"),
    ], []


def fx_loop():
    return 108, "OpenBSD loopback (LINKTYPE_LOOP): address family in network order", [
        Frame(struct.pack(">I", 2) + bytes(ip4(src="127.0.0.1", dst="127.0.0.1") / tcp_syn()), "AF_INET"),
        Frame(struct.pack(">I", 24) + bytes(ip6(src="::1", dst="::1") / udp_dns()), "AF_INET6 24"),
    ], []


def fx_ppp():
    return 9, "PPP (LINKTYPE_PPP) with and without the 0xFF03 address/control prefix", [
        Frame(HDLC() / PPP(proto=0x0021) / ip4() / tcp_syn(), "FF03, protocol 0x0021 IPv4"),
        Frame(b"\x00\x57" + bytes(ip6() / udp_dns()), "no address/control, protocol 0x0057 IPv6"),
        Frame(b"\xff\x03\x21" + bytes(ip4() / udp_dns()), "protocol field compressed to 0x21 (RFC 1661 6.5)"),
        Frame(b"\xff\x03\xc0\x21\x01\x01\x00\x04", "LCP configure-request", "notIP"),
    ], []


def fx_ppp_hdlc():
    return 50, "PPP in HDLC-like framing (LINKTYPE_PPP_HDLC)", [
        Frame(b"\xff\x03\x00\x21" + bytes(ip4() / tcp_syn()), "IPv4 TCP SYN"),
        Frame(b"\xff\x03\x00\x57" + bytes(ip6() / udp_dns()), "IPv6 UDP"),
    ], []


def fx_raw():
    return 101, "raw IP (LINKTYPE_RAW): version nibble picks IPv4 or IPv6", [
        Frame(ip4() / udp_dns(), "IPv4 UDP"),
        Frame(ip6() / tcp_syn(), "IPv6 TCP"),
        Frame(b"\x50" + b"\x00" * 30, "version 5", "notIP"),
    ], []


def fx_tcp_options():
    base = lambda opts, flags="S", payload=b"": eth() / ip4() / TCP(sport=40000, dport=443, seq=1000, ack=0 if flags == "S" else 77, flags=flags, window=65535, options=opts) / Raw(payload)

    def raw_opts(opt_bytes, what, flags="S"):
        # Options written byte by byte, data offset covering them (padded to 4 bytes).
        pad = (-len(opt_bytes)) % 4
        t = TCP(sport=40000, dport=443, seq=1000, flags=flags, window=1024, dataofs=5 + (len(opt_bytes) + pad) // 4)
        p = eth() / ip4() / t / Raw(opt_bytes + b"\x00" * pad)
        return Frame(p, what)

    return 1, "TCP option parsing: common stacks, SACK, unknown kinds, EOL, malformed lengths", [
        Frame(base([("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456, 0)), ("NOP", None), ("WScale", 7)]), "Linux SYN: 2-4-8-1-3"),
        Frame(base([("MSS", 1400), ("NOP", None), ("NOP", None), ("SAckOK", b""), ("NOP", None), ("WScale", 8)], "SA"), "Windows-style SYN/ACK: 2-1-1-4-1-3"),
        Frame(base([("NOP", None), ("NOP", None), ("Timestamp", (200, 100)), ("NOP", None), ("NOP", None), ("SAck", (5000, 6000, 7000, 8000))], "A"), "ACK with timestamps and two SACK blocks"),
        Frame(base([("MSS", 1220), (30, b"\x00\x81\x00\x00\x00\x00\x00\x00\x00\x00"), (254, b"\xf9\x89")]), "unknown kinds 30 (MPTCP) and 254 (experimental) skipped by length"),
        raw_opts(b"\x02\x04\x05\xb4\x00", "MSS then end-of-list and padding"),
        raw_opts(b"\x02\x04\x05\xb4\x08\x00", "timestamps option with length 0: malformed, segment still decoded"),
        raw_opts(b"\x02\x04\x05\xb4\x03\x08\x07", "window scale whose length runs past the header: malformed"),
        Frame(base([("NOP", None), ("NOP", None), ("Timestamp", (300, 200))], "PA", b"z" * 100), "data segment with timestamps, 100-byte payload"),
    ], []


def fx_icmp():
    e = eth
    return 1, "ICMP and ICMPv6; ports are Zeek-style (type, counterpart type or code), stated by construction", [
        Frame(e() / ip4() / ICMP(type=8, id=7, seq=1) / Raw(b"p" * 32), "echo request"),
        Frame(e() / ip4(src=V4_B, dst=V4_A) / ICMP(type=0, id=7, seq=1) / Raw(b"p" * 32), "echo reply"),
        Frame(e() / ip4() / ICMP(type=13, id=1, seq=1, ts_ori=1000, ts_rx=0, ts_tx=0), "timestamp request"),
        Frame(e() / ip4() / ICMP(type=17, id=1, seq=1) / Raw(b"\x00" * 4), "address mask request"),
        Frame(e() / ip4(src=V4_B, dst=V4_A) / ICMP(type=3, code=3) / ip4() / UDP(sport=53000, dport=33434), "port unreachable quoting a UDP datagram"),
        Frame(e() / ip4() / ICMP(type=11, code=0) / ip4(ttl=1) / UDP(sport=1, dport=2), "time exceeded"),
        Frame(e() / ip6() / ICMPv6EchoRequest(id=9, seq=2, data=b"q" * 16), "ICMPv6 echo request"),
        Frame(e() / ip6(src=V6_B, dst=V6_A) / ICMPv6EchoReply(id=9, seq=2, data=b"q" * 16), "ICMPv6 echo reply"),
        Frame(e() / ip6(hlim=255) / ICMPv6ND_NS(tgt=V6_B), "neighbor solicitation"),
        Frame(e() / ip6(src=V6_B, dst=V6_A, hlim=255) / ICMPv6ND_NA(tgt=V6_B), "neighbor advertisement"),
        Frame(e() / ip6(dst="ff02::2", hlim=255) / ICMPv6ND_RS(), "router solicitation"),
        Frame(e() / ip6(hlim=1) / ICMPv6MLQuery(), "MLD query"),
        Frame(e() / ip6() / ICMPv6PacketTooBig(mtu=1280) / ip6(src=V6_B, dst=V6_A) / UDP(sport=1, dport=2), "packet too big (one-way)"),
    ], []


def fx_gre():
    o = lambda: ip4(src=OUTER4_A, dst=OUTER4_B, id=0x0BAD)
    return 1, "GRE (RFC 2784/2890) with key, checksum and sequence; transparent Ethernet bridging; MPLS; PPTP", [
        Frame(eth() / o() / GRE(key_present=1, key=0x01020304, proto=0x0800) / ip4() / tcp_syn(), "key 0x01020304, IPv4 inside"),
        Frame(eth() / o() / GRE(chksum_present=1, seqnum_present=1, sequence_number=9, proto=0x86DD) / ip6() / udp_dns(), "checksum and sequence, IPv6 inside"),
        Frame(eth() / o() / GRE(key_present=1, key=77, proto=0x6558) / Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") / ip4() / udp_dns(), "transparent Ethernet bridging"),
        Frame(eth() / o() / GRE(proto=0x8847) / MPLS(label=1000, s=1, ttl=9) / ip4() / udp_dns(), "MPLS over GRE (RFC 4023)"),
        Frame(eth() / o() / GRE(proto=0x883E) / Raw(b"\x00" * 24), "WCCP (not opened): plain GRE flow", ip_layers=1),
        Frame(eth() / o() / GRE_PPTP(seqnum_present=1, sequence_number=3, payload_len=4 + len(ip4() / udp_dns()), call_id=0x4242) / HDLC() / PPP(proto=0x0021) / ip4() / udp_dns(),
              "PPTP enhanced GRE carrying PPP IPv4"),
        Frame(eth() / o() / GRE_PPTP(seqnum_present=1, sequence_number=4, payload_len=20, call_id=0x4242) / HDLC() / PPP(proto=0x00FD) / Raw(b"\x90" * 16),
              "PPTP carrying MPPE-compressed PPP (not opened): plain GRE flow", ip_layers=1),
    ], []


def fx_erspan():
    o = lambda: ip4(src=OUTER4_A, dst=OUTER4_B, id=0x0BAD)
    inner = lambda: Ether(src="02:00:00:00:02:01", dst="02:00:00:00:02:02") / ip4(src="10.1.1.1", dst="10.2.2.2") / tcp_syn()
    return 1, "ERSPAN types I, II and III over GRE", [
        Frame(eth() / o() / GRE(proto=0x88BE) / inner(), "type I: GRE 0x88BE without sequence number, Ethernet directly"),
        Frame(eth() / o() / GRE(seqnum_present=1, sequence_number=1, proto=0x88BE) / ERSPAN_II(session_id=123, vlan=5, index=7) / inner(), "type II, session 123"),
        Frame(eth() / o() / GRE(seqnum_present=1, sequence_number=2, proto=0x22EB) / ERSPAN_III(session_id=456, timestamp=99, o=0) / inner(), "type III, session 456"),
        Frame(eth() / o() / GRE(seqnum_present=1, sequence_number=3, proto=0x22EB) / ERSPAN_III(session_id=789, timestamp=99, o=1) / ERSPAN_PlatformSpecific(platf_id=3) / inner(), "type III with the 8-byte platform subheader (O bit)"),
    ], []


def fx_vxlan():
    o = lambda: ip4(src=OUTER4_A, dst=OUTER4_B, id=0x0BAD)
    inner = lambda: Ether(src="02:00:00:00:03:01", dst="02:00:00:00:03:02") / ip4(src="10.3.3.3", dst="10.4.4.4") / tcp_syn()
    return 1, "VXLAN (RFC 7348) on 4789 and 8472, and plain UDP on those ports", [
        Frame(eth() / o() / UDP(sport=51000, dport=4789) / VXLAN(flags=0x08, vni=5001) / inner(), "VNI 5001, inner TCP SYN"),
        Frame(eth() / o() / UDP(sport=51001, dport=8472) / VXLAN(flags=0x08, vni=42) / Ether(src="02:00:00:00:03:01", dst="02:00:00:00:03:02") / ip6() / udp_dns(), "Linux default port 8472, VNI 42, inner IPv6"),
        Frame(eth() / ip6(src=OUTER6_A, dst=OUTER6_B) / UDP(sport=51002, dport=4789) / VXLAN(flags=0x08, vni=7) / inner(), "VXLAN over IPv6"),
        Frame(eth() / o() / UDP(sport=51003, dport=4789) / VXLAN(flags=0x08, vni=5001) / Ether(src="02:00:00:00:03:01", dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.3.3.3", pdst="10.4.4.4"), "inner ARP", "notIP"),
        Frame(eth() / o() / UDP(sport=51004, dport=4789) / Raw(b"\x00\x00\x00\x00\x00\x00\x00\x00hello"), "UDP to 4789 without the I flag: plain UDP"),
        Frame(eth() / o() / UDP(sport=51005, dport=4789) / VXLAN(flags=0x08, vni=5001) / Raw(b"\x02\x00\x00\x00"), "VXLAN whose inner Ethernet header is cut short", "error:truncatedLink"),
    ], ["-d", "udp.port==8472,vxlan"]


def fx_geneve():
    o = lambda: ip4(src=OUTER4_A, dst=OUTER4_B, id=0x0BAD)
    return 1, "Geneve (RFC 8926) with options, Ethernet and IPv4 payloads; plain UDP on 6081", [
        Frame(eth() / o() / UDP(sport=52000, dport=6081) / GENEVE(vni=0xABCDE, proto=0x6558, options=[GeneveOptions(classid=0x0102, type=0x80, data=b"\x00\x00\x00\x01")]) /
              Ether(src="02:00:00:00:04:01", dst="02:00:00:00:04:02") / ip4(src="10.5.5.5", dst="10.6.6.6") / udp_dns(), "VNI 0xABCDE, one 8-byte option, inner Ethernet"),
        Frame(eth() / o() / UDP(sport=52001, dport=6081) / GENEVE(vni=9, proto=0x0800) / ip4(src="10.5.5.5", dst="10.6.6.6") / tcp_syn(), "protocol 0x0800: IPv4 directly"),
        Frame(eth() / o() / UDP(sport=52002, dport=6081) / Raw(b"\x80\x00\x65\x58\x00\x00\x01\x00rest"), "version 2 header: plain UDP"),
    ], []


def fx_gtpu():
    o = lambda: ip4(src=OUTER4_A, dst=OUTER4_B, id=0x0BAD)
    return 1, "GTP-U (3GPP TS 29.281) G-PDUs with optional fields and extension headers; echo stays UDP", [
        Frame(eth() / o() / UDP(sport=2152, dport=2152) / GTP_U_Header(teid=0x11223344, gtp_type=255) / ip4(src="10.7.7.7", dst="10.8.8.8") / tcp_syn(), "plain G-PDU, TEID 0x11223344, IPv4"),
        Frame(eth() / o() / UDP(sport=2152, dport=2152) / GTP_U_Header(teid=0x55, gtp_type=255, S=1, seq=77) / ip6() / udp_dns(), "sequence number present, IPv6"),
        Frame(eth() / o() / UDP(sport=40000, dport=2152) / GTP_U_Header(teid=0x66, gtp_type=255, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=1, QFI=9, NextExtHdr=0) / ip4(src="10.7.7.7", dst="10.8.8.8") / udp_dns(),
              "PDU session container extension header (5G), IPv4"),
        Frame(eth() / o() / UDP(sport=2152, dport=2152) / GTP_U_Header(teid=0, gtp_type=1, S=1, seq=1) / GTPEchoRequest(), "echo request: plain UDP"),
    ], []


def capwap_header(words=2, native=True, fragment=False):
    # RFC 5415 §4.3 CAPWAP data header (scapy has no CAPWAP layer): preamble 0, HLEN in
    # 4-byte words, RID 1, WBID 1 (IEEE 802.11), flags T F L W M K; words past the fixed two
    # hold wireless-specific information (W).
    word = words << 19 | 1 << 14 | 1 << 9 | (0x100 if native else 0) | (0x80 if fragment else 0) | (0x20 if words > 2 else 0)
    extra = b"" if words == 2 else bytes([1, 4]) + bytes(words * 4 - 10)
    return Raw(struct.pack(">II", word, 0) + extra)


def fx_capwap():
    o = lambda: ip4(src=OUTER4_A, dst=OUTER4_B, id=0x0BAD)
    ap = lambda: o() / UDP(sport=12380, dport=5247)
    client = lambda: ip4(src="10.9.9.9", dst="10.8.8.8") / tcp_syn()
    qos_to_ds = lambda: Dot11(type=2, subtype=8, FCfield=0x01, addr1=MAC_B, addr2="02:00:00:00:09:09", addr3=MAC_B) / Dot11QoS(TID=5)
    snap = lambda t=0x0800: LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0, code=t)
    return 1, "CAPWAP data channel (RFC 5415, RFC 5416): 802.11 and 802.3 payloads; frames that stay the carrier's UDP", [
        Frame(eth() / ap() / capwap_header() / Dot11(type=2, subtype=0, FCfield=0x01, addr1=MAC_B, addr2="02:00:00:00:09:09", addr3=MAC_B) /
              snap() / client(), "802.11 data (ToDS), LLC/SNAP, inner TCP SYN"),
        Frame(eth() / o() / UDP(sport=5247, dport=12380) / capwap_header(words=4) /
              Dot11(type=2, subtype=8, FCfield=0x02, addr1="02:00:00:00:09:09", addr2=MAC_B, addr3=MAC_A) / Dot11QoS(TID=0) /
              snap(0x86DD) / ip6() / udp_dns(), "controller to AP: 802.11 QoS data (FromDS) behind wireless-specific information, inner IPv6"),
        Frame(eth() / ap() / capwap_header(native=False) / Ether(src="02:00:00:00:09:09", dst=MAC_B) / client(), "802.3 payload (T=0)"),
        Frame(eth() / ap() / capwap_header() / qos_to_ds() / snap(0x0806) / ARP(psrc="10.9.9.9", pdst="10.8.8.8"),
              "ARP from a wireless client: not IP, the carrier's UDP"),
        Frame(eth() / ap() / capwap_header() / Dot11(type=0, subtype=4, addr1="ff:ff:ff:ff:ff:ff", addr2="02:00:00:00:09:09", addr3="ff:ff:ff:ff:ff:ff"),
              "802.11 probe request (management): the carrier's UDP"),
        Frame(eth() / ap() / capwap_header(native=False, fragment=True) / Ether(src="02:00:00:00:09:09", dst=MAC_B) / client(),
              "first fragment of a fragmented payload: not reassembled, the carrier's UDP"),
        Frame(eth() / ap() / Raw(b"\x01\x00\x00\x00\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x00\x05\x00\x04abcd"),
              "DTLS-protected data channel (preamble type 1): the carrier's UDP"),
        Frame(eth() / ap() / Raw(bytes(capwap_header(words=31, native=False))[:8] + b"short"), "HLEN (124 bytes) past the datagram", "error:badTunnel"),
    ], ["-o", "capwap.swap_fc:FALSE"]


def fx_ipip():
    return 1, "IP-in-IP (proto 4) and 6in4 (proto 41), over IPv4 and IPv6", [
        Frame(eth() / ip4(src=OUTER4_A, dst=OUTER4_B) / ip4() / tcp_syn(), "IPv4 in IPv4"),
        Frame(eth() / ip4(src=OUTER4_A, dst=OUTER4_B) / ip6() / udp_dns(), "IPv6 in IPv4 (6in4)"),
        Frame(eth() / ip6(src=OUTER6_A, dst=OUTER6_B) / ip4() / udp_dns(), "IPv4 in IPv6"),
        Frame(eth() / ip6(src=OUTER6_A, dst=OUTER6_B) / ip6() / tcp_syn(), "IPv6 in IPv6"),
    ], []


def fx_tunnel_nesting():
    def nest(n):
        p = ip4() / UDP(sport=7, dport=7) / Raw(b"n")
        for i in range(n):
            p = ip4(src="203.0.113.%d" % (10 + i), dst="203.0.113.%d" % (50 + i)) / p
        return eth() / p
    vx = eth() / ip4(src=OUTER4_A, dst=OUTER4_B) / UDP(sport=53000, dport=4789) / VXLAN(flags=0x08, vni=3) / \
        Ether(src="02:00:00:00:05:01", dst="02:00:00:00:05:02") / ip4(src="10.9.9.1", dst="10.9.9.2") / \
        GRE(key_present=1, key=8, proto=0x86DD) / ip6() / tcp_syn()
    return 1, "nested tunnels: the innermost tunnel's outer header is reported; more than 4 tunnels is an error", [
        Frame(vx, "VXLAN then GRE: GRE's outer header (the VXLAN-carried IPv4) is the outer pair"),
        Frame(nest(4), "four IP-in-IP layers: accepted"),
        Frame(nest(5), "five IP-in-IP layers", "error:tunnelTooDeep"),
    ], []


def fx_ipv4_fragments():
    big = ip4(id=0x1111) / UDP(sport=4000, dport=5000) / Raw(bytes(range(256)) * 12)
    f1 = fragment(big, fragsize=1480)
    ping = ip4(id=0x2222) / ICMP(type=8, id=1, seq=1) / Raw(b"P" * 2000)
    f2 = fragment(ping, fragsize=1000)
    dup = ip4(id=0x3333) / UDP(sport=4001, dport=5001) / Raw(b"D" * 100)
    f3 = fragment(dup, fragsize=64)
    lone = fragment(ip4(id=0x4444) / UDP(sport=4002, dport=5002) / Raw(b"L" * 100), fragsize=64)[0]
    frames = [Frame(eth() / f, "datagram 0x1111 (UDP, 3080 bytes) fragment %d of %d, in order" % (i + 1, len(f1)),
                    "fragmentHeld" if i < len(f1) - 1 else "ok") for i, f in enumerate(f1)]
    frames += [Frame(eth() / f2[-1], "datagram 0x2222 (ICMP echo) last fragment first", "fragmentHeld"),
               Frame(eth() / f2[1], "datagram 0x2222 middle fragment", "fragmentHeld"),
               Frame(eth() / f2[0], "datagram 0x2222 first fragment completes it (out of order)", "ok")]
    frames += [Frame(eth() / f3[0], "datagram 0x3333 first fragment", "fragmentHeld"),
               Frame(eth() / f3[0], "datagram 0x3333 first fragment again: exact duplicate, ignored", "fragmentHeld"),
               Frame(eth() / f3[1], "datagram 0x3333 last fragment completes it", "ok")]
    outer = fragment(ip4(src=OUTER4_A, dst=OUTER4_B, id=0x5555) / GRE(proto=0x0800) / ip4(id=0x66) / UDP(sport=4003, dport=5003) / Raw(b"G" * 1600), fragsize=1000)
    frames += [Frame(eth() / outer[0], "GRE tunnel packet 0x5555 split into two outer fragments: first", "fragmentHeld"),
               Frame(eth() / outer[1], "second outer fragment: reassembled, GRE opened, inner UDP", "ok")]
    inner = fragment(ip4(id=0x7777) / UDP(sport=4004, dport=5004) / Raw(b"V" * 1200), fragsize=800)
    vx = lambda f: eth() / ip4(src=OUTER4_A, dst=OUTER4_B, id=0x0BAD) / UDP(sport=50000, dport=4789) / VXLAN(flags=0x08, vni=99) / Ether(src="02:00:00:00:06:01", dst="02:00:00:00:06:02") / f
    frames += [Frame(vx(inner[0]), "VXLAN carrying inner fragment 1 of datagram 0x7777", "fragmentHeld"),
               Frame(vx(inner[1]), "VXLAN carrying inner fragment 2: the inner datagram is reassembled", "ok")]
    frames += [Frame(eth() / lone, "datagram 0x4444: a first fragment whose rest never comes", "fragmentHeld"),
               Frame(eth() / ip4(id=5) / udp_dns(), "an unfragmented packet 31 s later: datagram 0x4444 has expired",
                     ts_us=BASE_TS_US + 31_000_000)]
    for f in frames:
        if f.result == "ok" and f.ts_us is None and "outer fragment" not in f.what:
            f.fix = lambda t, e: e.update(ipLength=int(t["ip.hdr_len"][-1]) + int(t["ip.reassembled.length"][-1]), reassembled=True)
    return 1, "IPv4 fragments: in order, out of order, an exact duplicate, and a datagram that times out", frames, []


def fx_ipv6_fragments_ext():
    hbh = IPv6ExtHdrHopByHop(options=[])
    big = ip6() / hbh / IPv6ExtHdrFragment(id=0xABCDEF) / UDP(sport=4000, dport=5000) / Raw(bytes(range(256)) * 12)
    frags = fragment6(big, 1400)
    echo = ip6() / IPv6ExtHdrFragment(id=0x77) / IPv6ExtHdrDestOpt(options=[]) / ICMPv6EchoRequest(id=3, seq=4, data=b"E" * 1500)
    efrags = fragment6(echo, 1000)
    frames = [Frame(eth() / ip6() / IPv6ExtHdrHopByHop(options=[]) / IPv6ExtHdrDestOpt(options=[]) / IPv6ExtHdrRouting(type=0, addresses=["2001:db8::99"], segleft=1) / tcp_syn(),
                    "hop-by-hop, destination options and routing headers before TCP")]
    for i, f in enumerate(frags):
        fr = Frame(eth() / f, "UDP datagram 0xABCDEF after a hop-by-hop header, fragment %d of %d" % (i + 1, len(frags)),
                   "fragmentHeld" if i < len(frags) - 1 else "ok")
        if fr.result == "ok":
            # Reassembled size: fixed header, the hop-by-hop header (unfragmentable part),
            # and the reassembled fragmentable part, without the fragment header.
            fr.fix = lambda t, e: e.update(ipLength=40 + 8 + int(t["ipv6.reassembled.length"][-1]), reassembled=True, ipID=0xABCDEF)
        frames.append(fr)
    for i, f in enumerate(efrags):
        fr = Frame(eth() / f, "ICMPv6 echo 0x77 with a destination options header inside the fragmentable part, fragment %d of %d" % (i + 1, len(efrags)),
                   "fragmentHeld" if i < len(efrags) - 1 else "ok")
        if fr.result == "ok":
            fr.fix = lambda t, e: e.update(ipLength=40 + int(t["ipv6.reassembled.length"][-1]), reassembled=True, ipID=0x77)
        frames.append(fr)
    frames += [
        Frame(eth() / ip6() / IPv6ExtHdrFragment(id=0x99, offset=0, m=0) / udp_dns(), "atomic fragment (RFC 6946): decoded as it stands",
              fix=lambda t, e: e.update(ipID=0x99)),
        Frame(eth() / ip6() / AH(nh=6, payloadlen=4, spi=0x100, seq=1, icv=b"\x00" * 12) / tcp_syn(), "AH then TCP"),
        Frame(eth() / ip6(nh=50) / Raw(b"\x00\x00\x01\x00\x00\x00\x00\x01" + b"\xee" * 40), "ESP ends the walk", by_construction={"l4Proto": 50, "srcPort": 0, "dstPort": 0}),
        Frame(eth() / ip6() / IPv6ExtHdrDestOpt(nh=59, options=[]), "destination options then no next header", by_construction={"l4Proto": 59, "srcPort": 0, "dstPort": 0}),
        Frame(eth() / ip6(nh=135) / Raw(b"\x3b\x01\x00\x00\x00\x00\x00\x00" + b"\x00" * 8), "mobility header (binding refresh request) then no next header",
              by_construction={"l4Proto": 59, "srcPort": 0, "dstPort": 0}),
    ]
    return 1, "IPv6 extension-header chains and fragments", frames, []


def fx_malformed():
    def with_ip_bytes(pkt, mutate):
        raw = bytearray(bytes(pkt))
        mutate(raw)
        return bytes(raw)

    def ihl(raw, v):  # Ethernet header is 14 bytes
        raw[14] = (raw[14] & 0xF0) | v

    def total(raw, v):
        raw[16:18] = struct.pack(">H", v)

    tcp_ok = eth() / ip4() / TCP(sport=1, dport=2, flags="S", seq=1)
    big = eth() / ip4(id=0x5151) / TCP(sport=40000, dport=80, flags="PA", seq=9, ack=9) / Raw(b"B" * 1000)
    ov = ip4(id=0x6161) / UDP(sport=9, dport=9) / Raw(b"O" * 40)
    ovb = bytes(ov)

    def frag(off_bytes, data, mf):
        p = ip4(id=0x6161, proto=17, frag=off_bytes // 8, flags="MF" if mf else 0) / Raw(data)
        return eth() / p

    chain = ip6()
    layers = IPv6ExtHdrDestOpt(options=[])
    for _ in range(10):
        layers = layers / IPv6ExtHdrDestOpt(options=[])
    long_chain = eth() / ip6() / layers / udp_dns()
    short_ext = with_ip_bytes(eth() / ip6() / IPv6ExtHdrDestOpt(options=[]) / Raw(b"\x00" * 8),
                              lambda r: r.__setitem__(14 + 40 + 1, 10))  # 88-byte header in a 16-byte payload
    tso = with_ip_bytes(eth() / ip4() / TCP(sport=40000, dport=443, flags="A", seq=5, ack=6) / Raw(b"T" * 64), lambda r: total(r, 0))
    frames = [
        Frame(with_ip_bytes(tcp_ok, lambda r: ihl(r, 4)), "IPv4 IHL 4", "error:badIPv4Header"),
        Frame(with_ip_bytes(tcp_ok, lambda r: total(r, 10)), "IPv4 total length 10, under the header length", "error:badIPv4Header"),
        Frame(with_ip_bytes(tcp_ok, lambda r: total(r, 1500)), "IPv4 total length 1500 in a complete 54-byte frame", "error:truncatedIPv4"),
        Frame(with_ip_bytes(tcp_ok, lambda r: r.__setitem__(14, 0x55)), "version 5 under EtherType IPv4", "error:badIPv4Header"),
        Frame(eth() / ip4() / TCP(sport=1, dport=2, dataofs=3, flags="S"), "TCP data offset 3", "error:badTCPHeader"),
        Frame(eth() / ip4() / TCP(sport=1, dport=2, dataofs=15, flags="S"), "TCP data offset 15 in a 20-byte segment", "error:badTCPHeader"),
        Frame(eth() / ip4() / UDP(sport=1, dport=2, len=4) / Raw(b"abcd"), "UDP length 4", "error:badUDPLength"),
        Frame(eth() / ip4() / UDP(sport=1, dport=2, len=200) / Raw(b"abcd"), "UDP length 200 past the IP payload", "error:badUDPLength"),
        Frame(short_ext, "IPv6 destination options header longer than the payload", "error:badIPv6Header"),
        Frame(long_chain, "eleven destination options headers", "error:badIPv6Header"),
        Frame(with_ip_bytes(eth() / ip6() / udp_dns(), lambda r: r.__setitem__(14, 0x45)), "version 4 under EtherType IPv6", "error:badIPv6Header"),
        Frame(big, "1054-byte TCP frame captured to 100 bytes (snap length): decoded, payload clipped", caplen=100,
              by_construction={"payloadLength": 100 - 54}),
        Frame(eth() / ip4() / udp_dns(), "zero-length capture record", "error:captureLengthInvalid", caplen=0),
        Frame(eth() / ip4() / udp_dns(), "capture length over the wire length", "error:captureLengthInvalid", wirelen=40),
        Frame(Raw(b"\x02" * 10), "10-byte Ethernet frame", "error:truncatedLink"),
        Frame(with_ip_bytes(eth() / ip4() / ICMP(type=8) / Raw(b""), lambda r: None)[:14 + 20 + 4], "ICMP header cut to 4 bytes (IP length says 28)", "error:truncatedIPv4"),
        Frame(eth() / ip4(len=24, proto=1) / Raw(b"\x08\x00\xf7\xff"), "ICMP message of 4 bytes: shorter than its header", "error:truncatedICMP"),
        Frame(tso, "IPv4 total length 0 (TCP segmentation offload): runs to the end of the frame"),
        Frame(frag(0, ovb[20:20 + 24], True), "datagram 0x6161 fragment [0,24)", "fragmentHeld"),
        Frame(frag(16, ovb[20 + 16:20 + 40], True), "datagram 0x6161 fragment [16,40) overlaps it", "error:fragmentOverlap"),
        Frame(frag(40, ovb[20 + 40:], False), "datagram 0x6161 later fragment: the datagram was abandoned", "error:fragmentOverlap"),
        Frame(eth() / ip6() / IPv6ExtHdrFragment(id=0x42, offset=0, m=1) / Raw(b"\x00" * 13), "IPv6 non-last fragment of 13 bytes (not a multiple of 8)", "error:badIPv6Header"),
    ]
    return 1, "malformed and hostile frames: lying lengths, bad offsets, overlapping fragments, bad capture lengths", frames, []


FIXTURES = {
    "ethernet": fx_ethernet, "vlan-qinq": fx_vlan, "mpls-pppoe": fx_mpls_pppoe, "sll": fx_sll, "sll2": fx_sll2,
    "null-loopback": fx_null, "loop": fx_loop, "ppp": fx_ppp, "ppp-hdlc": fx_ppp_hdlc, "raw": fx_raw,
    "tcp-options": fx_tcp_options, "icmp": fx_icmp, "gre": fx_gre, "gre-erspan": fx_erspan, "vxlan": fx_vxlan,
    "geneve": fx_geneve, "gtpu": fx_gtpu, "capwap": fx_capwap, "ipip-6in4": fx_ipip, "tunnel-nesting": fx_tunnel_nesting,
    "ipv4-fragments": fx_ipv4_fragments, "ipv6-fragments-ext": fx_ipv6_fragments_ext, "malformed": fx_malformed,
}

# ---------------------------------------------------------------------------------------------
# pcap writing and tshark extraction

def write_pcap(path, linktype, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for i, fr in enumerate(frames):
            ts = fr.ts_us if fr.ts_us is not None else BASE_TS_US + i * 1000
            data = fr.data if fr.caplen is None else fr.data[:fr.caplen]
            f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(data), fr.wirelen))
            f.write(data)


FIELDS = [
    "frame.len", "frame.cap_len", "frame.protocols", "eth.src", "eth.dst", "vlan.id", "ieee8021ad.id",
    "ip.src", "ip.dst", "ip.ttl", "ip.id", "ip.len", "ip.hdr_len", "ip.proto", "ip.reassembled.length",
    "ipv6.src", "ipv6.dst", "ipv6.hlim", "ipv6.plen", "ipv6.fraghdr.ident", "ipv6.reassembled.length",
    "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.window_size_value", "tcp.len",
    "tcp.hdr_len", "tcp.option_kind", "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.sack_perm",
    "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr",
    "udp.srcport", "udp.dstport", "udp.length", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
    "gre.key", "gre.key.call_id", "erspan.spanid", "vxlan.vni", "geneve.vni", "gtp.teid",
    "_ws.malformed", "_ws.expert.message",
]


def tshark(path, extra):
    cmd = ["tshark", "-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"] + extra
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        rows.append({k: (v.split("|") if v else []) for k, v in zip(FIELDS, cols)})
    return rows


ZEEK_ICMP4 = {8: 0, 0: 8, 10: 9, 9: 10, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17}
ZEEK_ICMP6 = {128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136, 136: 135,
              139: 140, 140: 139, 144: 145, 145: 144, 146: 147, 147: 146}
L4_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "gre": 47, "esp": 50, "sctp": 132}
IPV6_EXTENSIONS = {"ipv6.hopopts", "ipv6.dstopts", "ipv6.routing", "ipv6.fraghdr", "ah", "mipv6"}
LINK_PROTOS = {"ieee8021ad", "eth", "ethertype", "vlan", "sll", "null", "loop", "ppp", "pppoes", "mpls", "raw", "frame"}


LINK_FIELDS = {"captureLength", "wireLength", "hasMAC", "srcMAC", "dstMAC", "vlanOuter", "vlanInner"}


def num(v):
    return int(v, 0)


def derive(t, ip_layers=None):
    """The decoded fields farmwatch must report, from tshark's dissection of one frame."""
    protos = t["frame.protocols"][0].split(":") if t["frame.protocols"] else []
    if ip_layers is not None:
        # Stop after the transport protocol of the last IP header farmwatch opens.
        seen = [i for i, p in enumerate(protos) if p in ("ip", "ipv6")]
        protos = protos[:seen[ip_layers - 1] + 2]
    # What follows ICMP is the quoted packet of an error message.
    for i, p in enumerate(protos):
        if p in ("icmp", "icmpv6"):
            protos = protos[:i + 1]
            break
    e = {"captureLength": num(t["frame.cap_len"][0]), "wireLength": num(t["frame.len"][0])}
    if "eth" in protos:
        e["srcMAC"], e["dstMAC"] = t["eth.src"][0], t["eth.dst"][0]
        e["hasMAC"] = True
    else:
        e["hasMAC"] = False
    # VLAN ids of the capture's own link layer, outermost first, from the tag layers met
    # before the first non-link protocol.
    tag_values = {"vlan": [num(v) for v in t["vlan.id"]], "ieee8021ad": [num(v) for v in t["ieee8021ad.id"]]}
    used = {"vlan": 0, "ieee8021ad": 0}
    vlans = []
    for p in protos[1:]:
        if p in tag_values:
            vlans.append(tag_values[p][used[p]])
            used[p] += 1
        elif p not in LINK_PROTOS:
            break
    e["vlanOuter"] = vlans[0] if len(vlans) >= 1 else 0
    e["vlanInner"] = vlans[1] if len(vlans) >= 2 else 0

    ips = [(i, p) for i, p in enumerate(protos) if p in ("ip", "ipv6")]
    if not ips:
        return e

    def ip_fields(k):
        i, p = ips[k]
        occ = sum(1 for _, q in ips[:k] if q == p)
        if p == "ip":
            return 4, t["ip.src"][occ], t["ip.dst"][occ], occ
        return 6, t["ipv6.src"][occ], t["ipv6.dst"][occ], occ

    idx, _ = ips[-1]
    ver, src, dst, occ = ip_fields(len(ips) - 1)
    e.update(ipVersion=ver, src=src, dst=dst, reassembled=False)
    if ver == 4:
        e.update(ttl=num(t["ip.ttl"][occ]), ipID=num(t["ip.id"][occ]), ipLength=num(t["ip.len"][occ]), l4Proto=num(t["ip.proto"][occ]))
    else:
        e.update(ttl=num(t["ipv6.hlim"][occ]), ipLength=40 + num(t["ipv6.plen"][occ]))
        e["ipID"] = num(t["ipv6.fraghdr.ident"][-1]) if t["ipv6.fraghdr.ident"] else 0

    # The upper layer: the first protocol after the innermost IP header that is not an
    # IPv6 extension header.
    l4_at = idx + 1
    while l4_at < len(protos) and protos[l4_at] in IPV6_EXTENSIONS:
        l4_at += 1
    l4 = protos[l4_at] if l4_at < len(protos) else None
    if ver == 6 and l4 in L4_NUMBERS:
        e["l4Proto"] = L4_NUMBERS[l4]
    k = protos[:l4_at + 1].count(l4) - 1 if l4 else -1
    if l4 == "tcp":
        e.update(srcPort=num(t["tcp.srcport"][k]), dstPort=num(t["tcp.dstport"][k]), seq=num(t["tcp.seq_raw"][k]),
                 ack=num(t["tcp.ack_raw"][k]), tcpFlags=num(t["tcp.flags"][k]) & 0xFF, window=num(t["tcp.window_size_value"][k]),
                 payloadWireLength=num(t["tcp.len"][k]))
        e["optionKinds"] = [num(v) for v in t["tcp.option_kind"]]
        e["mss"] = num(t["tcp.options.mss_val"][0]) if t["tcp.options.mss_val"] else 0
        e["windowScale"] = num(t["tcp.options.wscale.shift"][0]) if t["tcp.options.wscale.shift"] else 0
        e["sackPermitted"] = bool(t["tcp.options.sack_perm"])
        e["tsVal"] = num(t["tcp.options.timestamp.tsval"][0]) if t["tcp.options.timestamp.tsval"] else 0
        e["tsEcr"] = num(t["tcp.options.timestamp.tsecr"][0]) if t["tcp.options.timestamp.tsecr"] else 0
        e["optionsMalformed"] = any("option length" in m for m in t["_ws.expert.message"])
    elif l4 == "udp":
        e.update(srcPort=num(t["udp.srcport"][k]), dstPort=num(t["udp.dstport"][k]), payloadWireLength=num(t["udp.length"][k]) - 8)
    elif l4 in ("icmp", "icmpv6"):
        typ, code = num(t[l4 + ".type"][k]), num(t[l4 + ".code"][k])
        pairs = ZEEK_ICMP4 if l4 == "icmp" else ZEEK_ICMP6
        e.update(icmpType=typ, icmpCode=code, srcPort=typ, dstPort=pairs.get(typ, code))
    elif l4 is not None:
        e.update(srcPort=0, dstPort=0)

    # The tunnel is whatever lies between the innermost IP header and the one before it.
    e.update(tunnel="none", tunnelID=0)
    if len(ips) >= 2:
        prev = ips[-2][0]
        between = protos[prev + 1:idx]
        _, osrc, odst, _ = ip_fields(len(ips) - 2)
        e.update(outerSrc=osrc, outerDst=odst)
        last = lambda f: num(t[f][-1]) if t[f] else 0
        if "vxlan" in between:
            e.update(tunnel="vxlan", tunnelID=last("vxlan.vni"))
        elif "geneve" in between:
            e.update(tunnel="geneve", tunnelID=last("geneve.vni"))
        elif "capwap.data" in between:
            e.update(tunnel="capwap", tunnelID=0)
        elif "gtp" in between:
            e.update(tunnel="gtp-u", tunnelID=last("gtp.teid"))
        elif "erspan" in between:
            e.update(tunnel="erspan", tunnelID=last("erspan.spanid"))
        elif "gre" in between:
            e.update(tunnel="gre", tunnelID=last("gre.key.call_id") if "ppp" in between else last("gre.key"))
        elif not between:
            e["tunnel"] = "ip-in-ip" if ver == 4 else "6in4"
    return e


def main():
    os.makedirs(OUT, exist_ok=True)
    tshark_version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    import scapy
    for name, make in FIXTURES.items():
        linktype, description, frames, extra = make()
        path = os.path.join(OUT, name + ".pcap")
        write_pcap(path, linktype, frames)
        rows = tshark(path, extra)
        assert len(rows) == len(frames), (name, len(rows), len(frames))
        packets = []
        for i, (fr, t) in enumerate(zip(frames, rows)):
            entry = {"frame": i + 1, "what": fr.what, "result": fr.result}
            if fr.result in ("ok", "notIP"):
                e = derive(t, fr.ip_layers)
                if fr.caplen is None:
                    if "payloadWireLength" in e:
                        e["payloadLength"] = e["payloadWireLength"]
                if fr.fix:
                    fr.fix(t, e)
                e.update(fr.by_construction)
                if fr.result == "ok":
                    assert "ipVersion" in e, (name, i + 1, "tshark found no IP layer", t["frame.protocols"])
                else:
                    # Not IP: only the link layer is described.
                    e = {k: v for k, v in e.items() if k in LINK_FIELDS}
                entry["expect"] = e
            if fr.by_construction:
                entry["byConstruction"] = sorted(fr.by_construction)
            entry["tshark"] = {k: v for k, v in t.items() if v}
            packets.append(entry)
        truth = {
            "file": name + ".pcap",
            "linkType": linktype,
            "description": description,
            "generatedBy": "scripts/make-decode-fixtures.py (scapy %s); expected fields from %s%s" % (
                scapy.VERSION, tshark_version, (" with " + " ".join(extra)) if extra else ""),
            "notes": "expect: fields as tshark dissects them, except ICMP ports (Zeek's request/reply "
                     "pairing applied to tshark's type/code) and the keys listed in byConstruction. "
                     "result: what farmwatch's decoder must return, by construction.",
            "packets": packets,
        }
        with open(os.path.join(OUT, name + ".truth.json"), "w") as f:
            json.dump(truth, f, indent=1, sort_keys=False)
            f.write("\n")
        print("%-22s %2d frames %6d bytes" % (name, len(frames), os.path.getsize(path)))


if __name__ == "__main__":
    main()
