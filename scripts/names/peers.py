#!/usr/bin/env python3
"""Peers for scripts/make-name-fixtures.sh: the name-service traffic no packaged daemon here
makes on demand (LLMNR, NBNS, SSDP) and hostile DNS answers. Standard library only; each
role sends real datagrams over real sockets inside the fixture's network namespaces and
stops by itself (every wait has a timeout).

    peers.py hostile-client SERVER   # one query, then reads what comes back
    peers.py hostile-server ADDR     # answers that query with malformed responses, then a good one
    peers.py llmnr-responder ADDR NAME | llmnr-query NAME
    peers.py nbns-responder ADDR NAME | nbns-client ADDR NAME PEERNAME
    peers.py ssdp-device ADDR | ssdp-search
"""
import socket
import struct
import sys
import time

TIMEOUT = 5.0


def name(n):
    out = b""
    for label in n.strip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(qid, flags, qd, an, ns=0, ar=0):
    return struct.pack("!6H", qid, flags, qd, an, ns, ar)


def a_record(owner, addr, ttl=120):
    return owner + struct.pack("!HHIH", 1, 1, ttl, 4) + socket.inet_aton(addr)


# ---------------------------------------------------------------- hostile DNS
HOSTILE_QUERY = "probe.fixture.example"


def hostile_client(server):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 40053))
    s.settimeout(TIMEOUT)
    s.sendto(header(0x4242, 0x0100, 1, 0) + name(HOSTILE_QUERY) + struct.pack("!HH", 1, 1), (server, 53))
    got = 0
    try:
        while got < 6:
            s.recvfrom(4096)
            got += 1
    except socket.timeout:
        pass
    print("hostile-client: %d answers" % got)


def hostile_server(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 53))
    s.settimeout(TIMEOUT)
    msg, peer = s.recvfrom(4096)
    qid = struct.unpack("!H", msg[:2])[0]
    q = msg[12:]
    ok = 0x8180
    at = 12 + len(q)          # where the first answer starts
    loop = bytes([0xC0, at + 2, 0xC0, at])
    replies = [
        # 1. the question's name is a compression pointer to itself (offset 12)
        header(qid, ok, 1, 0) + b"\xc0\x0c" + struct.pack("!HH", 1, 1),
        # 2. an answer whose owner name is two pointers pointing at each other
        header(qid, ok, 1, 1) + q + loop + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 7]),
        # 3. two answers announced, the second cut in the middle of its RDATA
        header(qid, ok, 1, 2) + q + a_record(b"\xc0\x0c", "192.0.2.8") + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + b"\xc0\x00",
        # 4. an absurd answer count for the one answer present
        header(qid, ok, 1, 0xFFFF) + q + a_record(b"\xc0\x0c", "192.0.2.9"),
        # 5. an RDLENGTH running far past the datagram
        header(qid, ok, 1, 1) + q + b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, 2000) + b"\x05hello",
        # 6. and then a good answer: the flow goes on
        header(qid, ok, 1, 1) + q + a_record(b"\xc0\x0c", "192.0.2.10", 300),
    ]
    for r in replies:
        s.sendto(r, peer)
        time.sleep(0.05)
    print("hostile-server: %d replies" % len(replies))


# ---------------------------------------------------------------- LLMNR (RFC 4795)
def llmnr_responder(addr, host):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 5355))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton("224.0.0.252") + socket.inet_aton(addr))
    s.settimeout(TIMEOUT)
    msg, peer = s.recvfrom(4096)
    qid = struct.unpack("!H", msg[:2])[0]
    q = msg[12:]
    if q.startswith(name(host)):
        s.sendto(header(qid, 0x8000, 1, 1) + q + a_record(name(host), addr, 30), peer)
    print("llmnr-responder: answered %s" % peer[0])


def llmnr_query(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.settimeout(TIMEOUT)
    s.sendto(header(0x1d1d, 0, 1, 0) + name(host) + struct.pack("!HH", 1, 1), ("224.0.0.252", 5355))
    try:
        s.recvfrom(4096)
    except socket.timeout:
        pass


# ---------------------------------------------------------------- NBNS (RFC 1002)
def nb_name(n, suffix):
    raw = n.upper().encode()[:15].ljust(15, b" ") + bytes([suffix])
    enc = b"".join(bytes([0x41 + (c >> 4), 0x41 + (c & 15)]) for c in raw)
    return b"\x20" + enc + b"\0"


def nbns_socket(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.bind(("", 137))
    s.settimeout(TIMEOUT)
    return s


def nbns_responder(addr, host):
    s = nbns_socket(addr)
    msg, peer = s.recvfrom(4096)
    qid = struct.unpack("!H", msg[:2])[0]
    while struct.unpack("!H", msg[2:4])[0] & 0x7800:      # skip registrations, wait for the query
        msg, peer = s.recvfrom(4096)
        qid = struct.unpack("!H", msg[:2])[0]
    answer = nb_name(host, 0x20) + struct.pack("!HHIH", 0x20, 1, 300000, 6) + struct.pack("!H", 0) + socket.inet_aton(addr)
    s.sendto(header(qid, 0x8500, 0, 1) + answer, peer)
    print("nbns-responder: answered %s" % peer[0])


def nbns_client(addr, host, peer_name):
    s = nbns_socket(addr)
    bcast = addr.rsplit(".", 1)[0] + ".255"
    # registration: question, then the NB record with our own address
    reg = header(0x7001, 0x2910, 1, 0, 0, 1) + nb_name(host, 0x00) + struct.pack("!HH", 0x20, 1) \
        + b"\xc0\x0c" + struct.pack("!HHIH", 0x20, 1, 300000, 6) + struct.pack("!H", 0) + socket.inet_aton(addr)
    s.sendto(reg, (bcast, 137))
    time.sleep(0.2)
    s.sendto(header(0x7002, 0x0110, 1, 0) + nb_name(peer_name, 0x20) + struct.pack("!HH", 0x20, 1), (bcast, 137))
    try:
        while not s.recvfrom(4096)[0][2] & 0x80:     # our own broadcasts come back first
            pass
    except socket.timeout:
        pass


# ---------------------------------------------------------------- SSDP (UPnP DA 2.0)
SSDP_GROUP = ("239.255.255.250", 1900)
DEVICE_HEADERS = ("SERVER: Linux/6.1 UPnP/1.0 FixtureBox/2.3\r\n"
                  "LOCATION: http://{addr}:49152/description.xml\r\n"
                  "USN: uuid:2f402f80-da50-11e1-9b23-00aa00bb00cc::urn:schemas-upnp-org:device:MediaServer:1\r\n")


def ssdp_device(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 1900))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(SSDP_GROUP[0]) + socket.inet_aton(addr))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(addr))
    s.settimeout(TIMEOUT)
    notify = ("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\n"
              + DEVICE_HEADERS.format(addr=addr)
              + "NT: urn:schemas-upnp-org:device:MediaServer:1\r\nNTS: ssdp:alive\r\n\r\n")
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    s.sendto(notify.encode(), SSDP_GROUP)
    msg, peer = s.recvfrom(4096)
    while not msg.startswith(b"M-SEARCH"):
        msg, peer = s.recvfrom(4096)
    reply = ("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n" + DEVICE_HEADERS.format(addr=addr)
             + "ST: urn:schemas-upnp-org:device:MediaServer:1\r\n\r\n")
    s.sendto(reply.encode(), peer)
    print("ssdp-device: answered %s" % peer[0])


def ssdp_search():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
    s.settimeout(TIMEOUT)
    s.sendto(b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n"
             b"ST: urn:schemas-upnp-org:device:MediaServer:1\r\nUSER-AGENT: FixtureOS/1.0 UPnP/1.1 farmwatch-fixture/1.0\r\n\r\n",
             SSDP_GROUP)
    try:
        s.recvfrom(4096)
    except socket.timeout:
        pass


ROLES = {
    "hostile-client": hostile_client, "hostile-server": hostile_server,
    "llmnr-responder": llmnr_responder, "llmnr-query": llmnr_query,
    "nbns-responder": nbns_responder, "nbns-client": nbns_client,
    "ssdp-device": ssdp_device, "ssdp-search": ssdp_search,
}

if __name__ == "__main__":
    ROLES[sys.argv[1]](*sys.argv[2:])
