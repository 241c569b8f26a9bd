#!/usr/bin/env python3
"""Carry a TCP session (a VNC session in the scenario lab) through a TURN relay, as
remote-desktop agents behind NAT do: the controlled host is the TURN client, the controller
is the TURN peer.

    turn_bridge.py client --server H:3478 --user U --password P --peer H:PORT \
                          --service H:PORT --relayed-file F
    turn_bridge.py peer   --listen H:PORT --tcp-listen H:PORT

client: allocates a UDP relay on the TURN server with long-term credentials (RFC 8656 §7:
first Allocate answered 401 with REALM and NONCE, then retried with USERNAME, REALM, NONCE,
MESSAGE-INTEGRITY and FINGERPRINT), installs a permission for the peer (CreatePermission),
binds channel 0x4000 to it (ChannelBind), writes the relayed address to --relayed-file (the
out-of-band "signalling" a real tool would do through its broker), connects to the local
--service, then moves the service's bytes as ChannelData messages (RFC 8656 §12.4) and the
peer's ChannelData back into the TCP connection. It refreshes the allocation every minute.

peer: receives the relayed datagrams on a UDP socket (buffering them until a viewer
connects), accepts one TCP connection on --tcp-listen (the local viewer) and moves bytes
both ways, sending its datagrams to the relayed address they came from.

Datagrams are sent at most one per millisecond (a burst of screen updates is paced, not
dumped), with at most 1200 bytes each. The lab path does not lose or reorder packets, so
no retransmission layer is needed; a gap would corrupt the RFB stream and the viewer would
fail loudly.
"""
import argparse
import binascii
import hashlib
import hmac
import os
import select
import socket
import struct
import sys
import time

COOKIE = 0x2112A442
ALLOCATE, REFRESH, CREATE_PERMISSION, CHANNEL_BIND = 0x0003, 0x0004, 0x0008, 0x0009
SUCCESS, ERROR = 0x0100, 0x0110
A_USERNAME, A_MI, A_ERROR, A_CHANNEL, A_LIFETIME = 0x0006, 0x0008, 0x0009, 0x000C, 0x000D
A_PEER, A_REALM, A_NONCE, A_RELAYED, A_TRANSPORT = 0x0012, 0x0014, 0x0015, 0x0016, 0x0019
A_SOFTWARE, A_FINGERPRINT = 0x8022, 0x8028
CHANNEL = 0x4000
CHUNK = 1200
PACE_S = 0.001


def addr(text):
    h, p = text.rsplit(":", 1)
    return h, int(p)


def attr(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def xor_address(host, port):
    a = struct.unpack("!I", socket.inet_aton(host))[0] ^ COOKIE
    return struct.pack("!BBHI", 0, 1, port ^ (COOKIE >> 16), a)


def parse_xor_address(v):
    port = struct.unpack("!H", v[2:4])[0] ^ (COOKIE >> 16)
    a = struct.unpack("!I", v[4:8])[0] ^ COOKIE
    return socket.inet_ntoa(struct.pack("!I", a)), port


class Turn:
    def __init__(self, server, user, password):
        self.server = server
        self.user = user.encode()
        self.password = password.encode()
        self.realm = self.nonce = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect(server)

    def message(self, method, attrs, auth):
        txid = os.urandom(12)
        body = b"".join(attrs) + attr(A_SOFTWARE, b"farmwatch-lab turn_bridge")
        if auth:
            body += attr(A_USERNAME, self.user) + attr(A_REALM, self.realm) + attr(A_NONCE, self.nonce)
            key = hashlib.md5(self.user + b":" + self.realm + b":" + self.password).digest()
            head = struct.pack("!HHI", method, len(body) + 24, COOKIE) + txid
            body += attr(A_MI, hmac.new(key, head + body, hashlib.sha1).digest())
        head = struct.pack("!HHI", method, len(body) + 8, COOKIE) + txid
        crc = (binascii.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(A_FINGERPRINT, struct.pack("!I", crc))
        return txid, struct.pack("!HHI", method, len(body), COOKIE) + txid + body

    def transact(self, method, attrs):
        """Sends a request (authenticated once the realm is known); returns the success attrs."""
        for _ in range(3):
            txid, msg = self.message(method, attrs, auth=self.realm is not None)
            self.sock.send(msg)
            while True:
                self.sock.settimeout(5)
                data = self.sock.recv(65535)
                if len(data) >= 20 and data[8:20] == txid:
                    break
            kind = struct.unpack("!H", data[:2])[0]
            found, off = {}, 20
            while off + 4 <= len(data):
                t, n = struct.unpack("!HH", data[off:off + 4])
                found[t] = data[off + 4:off + 4 + n]
                off += 4 + n + (-n % 4)
            if kind == method | SUCCESS:
                return found
            code = found.get(A_ERROR, b"\0\0\0\0")
            code = code[2] * 100 + code[3]
            if code in (401, 438) and A_NONCE in found:     # (re)authenticate with the server's nonce
                self.realm = found.get(A_REALM, self.realm)
                self.nonce = found[A_NONCE]
                continue
            raise RuntimeError(f"TURN request {method:#06x} failed with {code}")
        raise RuntimeError(f"TURN request {method:#06x} kept failing authentication")


def send_paced(chunks, send):
    for c in chunks:
        send(c)
        time.sleep(PACE_S)


def run_client(args):
    turn = Turn(addr(args.server), args.user, args.password)
    got = turn.transact(ALLOCATE, [attr(A_TRANSPORT, b"\x11\0\0\0"), attr(A_LIFETIME, struct.pack("!I", 600))])
    relayed = parse_xor_address(got[A_RELAYED])
    peer = addr(args.peer)
    turn.transact(CREATE_PERMISSION, [attr(A_PEER, xor_address(*peer))])
    turn.transact(CHANNEL_BIND, [attr(A_CHANNEL, struct.pack("!HH", CHANNEL, 0)), attr(A_PEER, xor_address(*peer))])
    with open(args.relayed_file + ".tmp", "w") as f:
        f.write(f"{relayed[0]}:{relayed[1]}\n")
    os.rename(args.relayed_file + ".tmp", args.relayed_file)
    print(f"turn_bridge client: relayed address {relayed[0]}:{relayed[1]}, channel {CHANNEL:#x} to {peer}", file=sys.stderr, flush=True)

    tcp = socket.create_connection(addr(args.service))
    tcp.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    udp = turn.sock
    udp.settimeout(None)
    last_refresh = time.time()
    sent = recvd = 0
    while True:
        if time.time() - last_refresh > 60:
            turn.transact(REFRESH, [attr(A_LIFETIME, struct.pack("!I", 600))])
            turn.sock.settimeout(None)
            last_refresh = time.time()
        ready, _, _ = select.select([tcp, udp], [], [], 5)
        if tcp in ready:
            data = tcp.recv(65536)
            if not data:
                break
            chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]
            send_paced(chunks, lambda c: udp.send(struct.pack("!HH", CHANNEL, len(c)) + c + b"\0" * (-len(c) % 4)))
            sent += len(data)
        if udp in ready:
            data = udp.recv(65536)
            if len(data) >= 4 and data[0] & 0xC0 == 0x40:       # ChannelData (first two bits 01)
                n = struct.unpack("!H", data[2:4])[0]
                tcp.sendall(data[4:4 + n])
                recvd += n
    print(f"turn_bridge client: service closed; sent {sent} bytes, received {recvd}", file=sys.stderr)


def run_peer(args):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    udp.bind(addr(args.listen))
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(addr(args.tcp_listen))
    lsock.listen(1)
    pending, relayed, tcp = [], None, None
    print("turn_bridge peer: ready", file=sys.stderr, flush=True)
    while True:
        socks = [udp] + ([tcp] if tcp else [lsock])
        ready, _, _ = select.select(socks, [], [])
        if lsock in ready and tcp is None:
            tcp, _ = lsock.accept()
            tcp.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for d in pending:
                tcp.sendall(d)
            pending = []
        if udp in ready:
            data, src = udp.recvfrom(65536)
            relayed = src
            if tcp:
                tcp.sendall(data)
            else:
                pending.append(data)
        if tcp and tcp in ready:
            data = tcp.recv(65536)
            if not data:
                break
            if relayed is None:
                raise RuntimeError("viewer spoke before the relay did")
            send_paced([data[i:i + CHUNK] for i in range(0, len(data), CHUNK)], lambda c: udp.sendto(c, relayed))
    print("turn_bridge peer: viewer closed", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("client")
    c.add_argument("--server", required=True)
    c.add_argument("--user", required=True)
    c.add_argument("--password", required=True)
    c.add_argument("--peer", required=True)
    c.add_argument("--service", required=True)
    c.add_argument("--relayed-file", required=True)
    p = sub.add_parser("peer")
    p.add_argument("--listen", required=True)
    p.add_argument("--tcp-listen", required=True)
    args = ap.parse_args()
    run_client(args) if args.mode == "client" else run_peer(args)


if __name__ == "__main__":
    main()
