#!/usr/bin/env python3
"""A scripted VNC viewer: drives a real VNC server (x11vnc) the way a remote operator would.

Speaks RFB 3.8 (RFC 6143) as a viewer does: handshake with security type None, ClientInit,
SetEncodings (Zlib, CopyRect, Raw), one full FramebufferUpdateRequest, then an incremental
request after every update it receives (as viewers do, so the update rate follows the
round-trip time). Meanwhile it sends what a person's hands make: KeyEvent down/up pairs
90-400 ms apart while "typing" lines into the remote terminal, pauses of 1.5-4 s between
lines, and PointerEvent drags now and then (moves every 15-40 ms along a path, a click at
the end). A fixed seed makes every run press the same keys with the same pauses.

It can reach the server directly, through a SOCKS5 proxy (RFC 1928, no auth) or through
an HTTP proxy's CONNECT (RFC 9110 §9.3.6), as a viewer configured with a proxy does.

    rfb_operator.py HOST PORT --duration 45 [--socks H:P | --http-connect H:P] [--seed N]

Exits 0 after --duration seconds of session with the counts of what it sent and received
on stderr; exits 1 if the server could not be driven.
"""
import argparse
import random
import socket
import struct
import sys
import threading
import time

# What the operator types into the remote terminal (one line per entry, Return at the end).
LINES = [
    "hostname",
    "whoami",
    "ls -la",
    "uptime",
    "cat /etc/hostname",
    "df -h /",
    "ps aux | head -20",
    "ls /tmp",
    "date",
    "echo done",
]

XK_RETURN = 0xFF0D
ENC_RAW, ENC_COPYRECT, ENC_ZLIB = 0, 1, 6


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("server closed the connection")
        buf += chunk
    return bytes(buf)


def open_tunnel(args):
    """TCP connection to the VNC server, directly or through the configured proxy."""
    if args.socks:
        ph, pp = args.socks.rsplit(":", 1)
        s = socket.create_connection((ph, int(pp)), timeout=10)
        s.sendall(b"\x05\x01\x00")                      # version 5, one method: no auth
        if recv_exact(s, 2) != b"\x05\x00":
            raise RuntimeError("SOCKS5 proxy refused the no-auth method")
        req = b"\x05\x01\x00\x01" + socket.inet_aton(args.host) + struct.pack("!H", args.port)
        s.sendall(req)                                    # CONNECT to an IPv4 address
        rep = recv_exact(s, 4)
        if rep[1] != 0:
            raise RuntimeError(f"SOCKS5 CONNECT failed, reply code {rep[1]}")
        recv_exact(s, {1: 4 + 2, 4: 16 + 2}.get(rep[3], 0) or (recv_exact(s, 1)[0] + 2))
        return s
    if args.http_connect:
        ph, pp = args.http_connect.rsplit(":", 1)
        s = socket.create_connection((ph, int(pp)), timeout=10)
        target = f"{args.host}:{args.port}"
        s.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: rfb_operator/1.0\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += recv_exact(s, 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 200" not in status:
            raise RuntimeError(f"CONNECT refused: {status!r}")
        return s
    return socket.create_connection((args.host, args.port), timeout=10)


class Viewer:
    def __init__(self, sock):
        self.sock = sock
        self.lock = threading.Lock()
        self.updates = 0
        self.rects = 0
        self.bytes_in = 0
        self.events_out = 0
        self.error = None

    def send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def handshake(self):
        s = self.sock
        version = recv_exact(s, 12)
        if not version.startswith(b"RFB "):
            raise RuntimeError(f"not an RFB server: {version!r}")
        s.sendall(b"RFB 003.008\n")
        n = recv_exact(s, 1)[0]
        if n == 0:
            reason = recv_exact(s, struct.unpack("!I", recv_exact(s, 4))[0])
            raise RuntimeError(f"server refused: {reason!r}")
        types = recv_exact(s, n)
        if 1 not in types:
            raise RuntimeError(f"server offers no security type None: {list(types)}")
        s.sendall(b"\x01")
        if struct.unpack("!I", recv_exact(s, 4))[0] != 0:
            raise RuntimeError("security handshake failed")
        s.sendall(b"\x01")                                # ClientInit: shared session
        w, h = struct.unpack("!HH", recv_exact(s, 4))
        pixfmt = recv_exact(s, 16)
        name = recv_exact(s, struct.unpack("!I", recv_exact(s, 4))[0])
        self.width, self.height, self.bpp = w, h, pixfmt[0]
        encodings = [ENC_ZLIB, ENC_COPYRECT, ENC_RAW]
        s.sendall(struct.pack("!BxH", 2, len(encodings)) + b"".join(struct.pack("!i", e) for e in encodings))
        self.request(incremental=False)
        return name.decode("utf-8", "replace")

    def request(self, incremental=True):
        self.send(struct.pack("!BBHHHH", 3, 1 if incremental else 0, 0, 0, self.width, self.height))

    def key(self, keysym, down):
        self.send(struct.pack("!BBxxI", 4, 1 if down else 0, keysym))
        self.events_out += 1

    def pointer(self, x, y, buttons=0):
        self.send(struct.pack("!BBHH", 5, buttons, x, y))
        self.events_out += 1

    def read_loop(self):
        """Reads server messages; asks for the next incremental update after each one."""
        s = self.sock
        try:
            while True:
                kind = recv_exact(s, 1)[0]
                if kind == 0:                                   # FramebufferUpdate
                    nrects = struct.unpack("!xH", recv_exact(s, 3))[0]
                    for _ in range(nrects):
                        x, y, w, h, enc = struct.unpack("!HHHHi", recv_exact(s, 12))
                        if enc == ENC_RAW:
                            size = w * h * (self.bpp // 8)
                        elif enc == ENC_COPYRECT:
                            size = 4
                        elif enc == ENC_ZLIB:
                            size = struct.unpack("!I", recv_exact(s, 4))[0]
                        else:
                            raise RuntimeError(f"unrequested encoding {enc}")
                        while size > 0:
                            got = len(recv_exact(s, min(size, 65536)))
                            size -= got
                            self.bytes_in += got
                        self.rects += 1
                    self.updates += 1
                    self.request()
                elif kind == 1:                                 # SetColourMapEntries
                    _, n = struct.unpack("!xHH", recv_exact(s, 5))
                    recv_exact(s, 6 * n)
                elif kind == 2:                                 # Bell
                    pass
                elif kind == 3:                                 # ServerCutText
                    n = struct.unpack("!xxxI", recv_exact(s, 7))[0]
                    recv_exact(s, n)
                else:
                    raise RuntimeError(f"unknown server message {kind}")
        except (EOFError, OSError) as e:
            self.error = self.error or e
        except RuntimeError as e:
            self.error = e


def operate(viewer, rnd, deadline):
    """Types lines and moves the mouse like a person until the deadline."""
    line_index = 0
    px, py = viewer.width // 2, viewer.height // 2
    time.sleep(rnd.uniform(1.0, 2.0))
    while time.time() < deadline and viewer.error is None:
        if rnd.random() < 0.35:
            # a mouse drag to somewhere else on the screen, then a click
            tx, ty = rnd.randrange(20, viewer.width - 20), rnd.randrange(20, viewer.height - 20)
            steps = rnd.randrange(8, 25)
            for i in range(1, steps + 1):
                viewer.pointer(px + (tx - px) * i // steps, py + (ty - py) * i // steps)
                time.sleep(rnd.uniform(0.015, 0.040))
            px, py = tx, ty
            time.sleep(rnd.uniform(0.1, 0.4))
            viewer.pointer(px, py, 1)
            time.sleep(rnd.uniform(0.06, 0.15))
            viewer.pointer(px, py, 0)
            time.sleep(rnd.uniform(0.5, 1.5))
        line = LINES[line_index % len(LINES)]
        line_index += 1
        for ch in line:
            if time.time() >= deadline:
                break
            viewer.key(ord(ch), True)
            time.sleep(rnd.uniform(0.03, 0.09))
            viewer.key(ord(ch), False)
            time.sleep(rnd.uniform(0.10, 0.40))
        viewer.key(XK_RETURN, True)
        time.sleep(rnd.uniform(0.03, 0.09))
        viewer.key(XK_RETURN, False)
        time.sleep(rnd.uniform(1.5, 4.0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--duration", type=float, default=45.0)
    ap.add_argument("--seed", type=int, default=5900)
    proxy = ap.add_mutually_exclusive_group()
    proxy.add_argument("--socks", metavar="HOST:PORT")
    proxy.add_argument("--http-connect", metavar="HOST:PORT")
    args = ap.parse_args()

    sock = open_tunnel(args)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    viewer = Viewer(sock)
    name = viewer.handshake()
    print(f"rfb_operator: connected to {name!r} {viewer.width}x{viewer.height} {viewer.bpp}bpp", file=sys.stderr)
    reader = threading.Thread(target=viewer.read_loop, daemon=True)
    reader.start()
    operate(viewer, random.Random(args.seed), time.time() + args.duration)
    time.sleep(1.0)
    failed = viewer.error is not None
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
    print(f"rfb_operator: events_out={viewer.events_out} updates={viewer.updates} rects={viewer.rects} "
          f"pixel_bytes_in={viewer.bytes_in} error={viewer.error}", file=sys.stderr)
    sys.exit(1 if failed or viewer.updates < 5 else 0)


if __name__ == "__main__":
    main()
