#!/usr/bin/env python3
"""Lab peers for HTTP-upgraded tunnels: a WebSocket client bridge, a WebSocket chat, and
byte-exact Tailscale DERP and Microsoft RD Gateway (MS-TSGU) exchanges, each over a real TCP
connection so that tcpdump records what the kernel sends.

Sources, for the byte-exact parts:
  - WebSocket framing: RFC 6455 §5 (client frames masked, 7/16/64-bit lengths), handshake §4.
  - DERP: tailscale/tailscale derp/derp.go (frame = 1-byte type + 4-byte big-endian length;
    frameServerKey 0x01 = magic "DERP\\xf0\\x9f\\x94\\x91" + 32-byte key; frameClientInfo 0x02 =
    32-byte key + 24-byte nonce + box; frameServerInfo 0x03 = 24-byte nonce + box;
    frameSendPacket 0x04; frameKeepAlive 0x06) and derphttp/derphttp_server.go (the 101's
    headers, `Derp-Fast-Start: 1` skipping it; WebSocket subprotocol "derp").
  - RD Gateway: [MS-TSGU] §2.2.10 (HTTP_PACKET_HEADER: UINT16 type, UINT16 reserved, UINT32
    length, little-endian; handshake request 14 bytes: verMajor 1, verMinor 0, clientVersion 0,
    extendedAuth; tunnel create; tunnel auth; channel create with the UTF-16LE target host and
    port; data) and §3.3.5.1 (RDG_OUT_DATA / RDG_IN_DATA channels, the 10-byte seed), as
    FreeRDP's libfreerdp/core/gateway/rdg.c writes them.

    gateway_lab.py ws-bridge LISTEN_PORT WS_HOST WS_PORT PATH   (TCP -> WebSocket binary frames)
    gateway_lab.py chat-server PORT | chat-client HOST PORT
    gateway_lab.py derp-server PORT | derp-client HOST PORT {upgrade,fast-start,websocket}
    gateway_lab.py rdg-server PORT  | rdg-client HOST PORT {http,websocket,connect}
    gateway_lab.py h2c-server PORT  | h2c-client HOST PORT
    gateway_lab.py post-client HOST PORT     (an HTTP POST whose body mentions RDG_OUT_DATA)
"""
import base64
import hashlib
import os
import socket
import struct
import sys
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DERP_MAGIC = b"DERP\xf0\x9f\x94\x91"


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def read_head(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(1)
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


# --- WebSocket (RFC 6455) ----------------------------------------------------------------

def ws_frame(payload, opcode=0x2, masked=True):
    head = bytes([0x80 | opcode])
    n = len(payload)
    m = 0x80 if masked else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack(">H", n)
    else:
        head += bytes([m | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def ws_read(sock):
    """One frame: (opcode, payload), unmasked."""
    b0, b1 = recv_exact(sock, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", recv_exact(sock, 2))[0]
    elif n == 127:
        n = struct.unpack(">Q", recv_exact(sock, 8))[0]
    key = recv_exact(sock, 4) if b1 & 0x80 else None
    data = recv_exact(sock, n)
    if key:
        data = bytes(b ^ key[i & 3] for i, b in enumerate(data))
    return b0 & 0x0F, data


def ws_client_handshake(sock, host, path, protocol=None, extra=b""):
    key = base64.b64encode(os.urandom(16))
    req = (b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n")
    if protocol:
        req += b"Sec-WebSocket-Protocol: " + protocol + b"\r\n"
    sock.sendall(req + extra + b"\r\n")
    head = read_head(sock)
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise SystemExit("no 101: %r" % head[:80])


def ws_server_handshake(sock, head):
    key = header(head, b"Sec-WebSocket-Key")
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    resp = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n"
    proto = header(head, b"Sec-WebSocket-Protocol")
    if proto:
        resp += b"Sec-WebSocket-Protocol: " + proto.split(b",")[0].strip() + b"\r\n"
    sock.sendall(resp + b"\r\n")


def listener(host, port, backlog):
    """A listening TCP socket (address reuse on, so that reruns need not wait)."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(backlog)
    return srv


def ws_bridge(listen_port, host, port, path):
    """Accepts TCP clients on 127.0.0.1 and carries each through its own WebSocket (binary)."""
    srv = listener("127.0.0.1", listen_port, 4)
    while True:
        local, _ = srv.accept()
        ws = socket.create_connection((host, port))
        ws_client_handshake(ws, f"{host}:{port}".encode(), path.encode(), protocol=b"binary")

        def up(local=local, ws=ws):
            try:
                while True:
                    data = local.recv(4096)
                    if not data:
                        break
                    ws.sendall(ws_frame(data))
                ws.sendall(ws_frame(struct.pack(">H", 1000), opcode=0x8))
            except OSError:
                pass

        def down(local=local, ws=ws):
            try:
                while True:
                    op, data = ws_read(ws)
                    if op == 0x8:
                        break
                    if op in (0x0, 0x2):
                        local.sendall(data)
            except (OSError, EOFError):
                pass
            local.close()

        threading.Thread(target=up, daemon=True).start()
        threading.Thread(target=down, daemon=True).start()


# --- A WebSocket chat (text frames): the near miss ---------------------------------------

def serve(port, handler):
    srv = listener("0.0.0.0", port, 8)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=lambda c=conn: guarded(handler, c), daemon=True).start()


def guarded(handler, conn):
    try:
        handler(conn)
    except (OSError, EOFError):
        pass
    conn.close()


def chat_handler(conn):
    ws_server_handshake(conn, read_head(conn))
    while True:
        op, data = ws_read(conn)
        if op == 0x8:
            conn.sendall(ws_frame(data, opcode=0x8, masked=False))
            return
        if op == 0x9:
            conn.sendall(ws_frame(data, opcode=0xA, masked=False))
        elif op == 0x1:
            conn.sendall(ws_frame(b"echo: " + data, opcode=0x1, masked=False))


def chat_client(host, port):
    s = socket.create_connection((host, port))
    ws_client_handshake(s, f"{host}:{port}".encode(), b"/chat")
    # Text that happens to spell other protocols' openings: text frames are not a tunnel.
    for line in ["hello", "RFB 003.008\n", "SSH-2.0-OpenSSH_9.2", "DERP\U0001F511 is a magic word", "bye"]:
        s.sendall(ws_frame(line.encode(), opcode=0x1))
        ws_read(s)
        time.sleep(0.1)
    s.sendall(ws_frame(b"ping", opcode=0x9))
    ws_read(s)
    s.sendall(ws_frame(struct.pack(">H", 1000), opcode=0x8))
    ws_read(s)
    s.close()


# --- DERP (tailscale derp/derp.go, derphttp) ---------------------------------------------

def derp_frame(t, body):
    return struct.pack(">BI", t, len(body)) + body


def derp_handler(conn):
    head = read_head(conn)
    upgrade = (header(head, b"Upgrade") or b"").lower()
    websocket = upgrade == b"websocket"
    if websocket:
        ws_server_handshake(conn, head)
    elif header(head, b"Derp-Fast-Start") != b"1":
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n"
                     b"Derp-Version: 2\r\nDerp-Public-Key: " + os.urandom(32).hex().encode() + b"\r\n\r\n")
    send = (lambda b: conn.sendall(ws_frame(b, masked=False))) if websocket else conn.sendall
    recv_frame = (lambda: ws_read(conn)[1]) if websocket else (lambda: recv_derp(conn))
    send(derp_frame(0x01, DERP_MAGIC + os.urandom(32)))
    recv_frame()                                               # frameClientInfo
    send(derp_frame(0x03, os.urandom(24) + os.urandom(40)))    # frameServerInfo (nonce + box)
    for _ in range(3):
        recv_frame()                                           # frameSendPacket
        send(derp_frame(0x06, b""))                            # frameKeepAlive


def recv_derp(sock):
    t, n = struct.unpack(">BI", recv_exact(sock, 5))
    return bytes([t]) + recv_exact(sock, n)


def derp_client(host, port, mode):
    s = socket.create_connection((host, port))
    hostname = f"{host}:{port}".encode()
    if mode == "websocket":
        ws_client_handshake(s, hostname, b"/derp", protocol=b"derp")
        send = lambda b: s.sendall(ws_frame(b))
        recv_frame = lambda: ws_read(s)[1]
    else:
        req = b"GET /derp HTTP/1.1\r\nHost: " + hostname + b"\r\nConnection: Upgrade\r\nUpgrade: DERP\r\n"
        if mode == "fast-start":
            req += b"Derp-Fast-Start: 1\r\n"
        s.sendall(req + b"\r\n")
        if mode != "fast-start":
            read_head(s)
        send = s.sendall
        recv_frame = lambda: recv_derp(s)
    recv_frame()                                                        # frameServerKey
    send(derp_frame(0x02, os.urandom(32) + os.urandom(24) + os.urandom(48)))
    recv_frame()                                                        # frameServerInfo
    for _ in range(3):
        send(derp_frame(0x04, os.urandom(32) + os.urandom(148)))        # a WireGuard packet for a peer
        recv_frame()
        time.sleep(0.05)
    s.close()


# --- RD Gateway (MS-TSGU HTTP transport) -------------------------------------------------

def tsgu(t, body):
    return struct.pack("<HHI", t, 0, 8 + len(body)) + body


def tsgu_client_packets(target, port):
    name = (target + "\0").encode("utf-16-le")
    return [
        tsgu(0x1, struct.pack("<BBHH", 1, 0, 0, 0)),                                  # handshake request
        tsgu(0x4, struct.pack("<IHH", 0x3F, 0, 0)),                                   # tunnel create
        tsgu(0x6, struct.pack("<HH", 0, 14) + "LAPTOP1\0".encode("utf-16-le")[:14]),  # tunnel auth
        tsgu(0x8, struct.pack("<BBHHH", 1, 0, port, 3, len(name)) + name),            # channel create
        tsgu(0xA, struct.pack("<H", 19) + bytes.fromhex("030000130ee000000000000100080003000000")),  # data: X.224 CR
    ]


def tsgu_server_packets():
    return [
        tsgu(0x2, struct.pack("<IBBHH", 0, 1, 0, 0, 0)),          # handshake response
        tsgu(0x5, struct.pack("<HHIIHH", 0, 0, 0, 0, 0, 0)),      # tunnel response
        tsgu(0x7, struct.pack("<IHH", 0, 0, 0)),                  # tunnel auth response
        tsgu(0x9, struct.pack("<IHH", 0, 0, 0)),                  # channel response
    ]


def rdg_handler(conn):
    head = read_head(conn)
    first = head.split(b"\r\n")[0]
    if first.startswith(b"CONNECT "):
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        head = read_head(conn)
        first = head.split(b"\r\n")[0]
    if first.startswith(b"GET "):
        ws_server_handshake(conn, head)
        for p in tsgu_server_packets():
            ws_read(conn)
            conn.sendall(ws_frame(p, masked=False))
        ws_read(conn)                                  # data
        return
    if first.startswith(b"RDG_OUT_DATA "):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nServer: Microsoft-HTTPAPI/2.0\r\n\r\n"
                     + os.urandom(10))
        time.sleep(0.3)
        for p in tsgu_server_packets():
            conn.sendall(p)
            time.sleep(0.05)
        conn.recv(1)
        return
    if first.startswith(b"RDG_IN_DATA "):
        while conn.recv(4096):
            pass


def rdg_client(host, port, mode):
    hostname = f"{host}:{port}".encode()
    ident = b"RDG-Connection-Id: {0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9}\r\n"
    packets = tsgu_client_packets("desk-17.corp.example", 3389)
    if mode == "websocket":
        s = socket.create_connection((host, port))
        ws_client_handshake(s, hostname, b"/remoteDesktopGateway/", extra=ident)
        for p in packets[:4]:
            s.sendall(ws_frame(p))
            ws_read(s)
        s.sendall(ws_frame(packets[4]))
        time.sleep(0.2)
        s.close()
        return

    def open_channel(method):
        s = socket.create_connection((host, port))
        if mode == "connect":
            s.sendall(b"CONNECT gateway.corp.example:443 HTTP/1.1\r\nHost: gateway.corp.example:443\r\n\r\n")
            read_head(s)
        req = (method + b" /remoteDesktopGateway/ HTTP/1.1\r\nHost: gateway.corp.example\r\nCache-Control: no-cache\r\n"
               b"Accept: */*\r\nUser-Agent: MS-RDGateway/1.0\r\n" + ident)
        req += b"Transfer-Encoding: chunked\r\n\r\n" if method == b"RDG_IN_DATA" else b"Content-Length: 0\r\n\r\n"
        s.sendall(req)
        return s

    out = open_channel(b"RDG_OUT_DATA")
    time.sleep(0.1)
    inn = open_channel(b"RDG_IN_DATA")
    out.recv(4096)
    for p in packets:
        inn.sendall(b"%X\r\n" % len(p) + p + b"\r\n")
        time.sleep(0.05)
    time.sleep(0.3)
    inn.close()
    out.close()


# --- Other near misses -------------------------------------------------------------------

def h2c_handler(conn):
    read_head(conn)
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
    conn.sendall(bytes.fromhex("000000040000000000"))   # HTTP/2 SETTINGS (RFC 9113 §6.5)
    conn.recv(4096)


def h2c_client(host, port):
    s = socket.create_connection((host, port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: " + f"{host}:{port}".encode() +
              b"\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n")
    read_head(s)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000"))
    time.sleep(0.2)
    s.close()


def post_handler(conn):
    head = read_head(conn)
    recv_exact(conn, int(header(head, b"Content-Length")))
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")


def post_client(host, port):
    body = b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: gw\r\n\r\n" + tsgu_client_packets("x", 3389)[0]
    s = socket.create_connection((host, port))
    s.sendall(b"POST /notes HTTP/1.1\r\nHost: " + f"{host}:{port}".encode() +
              b"\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    s.recv(4096)
    s.close()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    servers = {"chat-server": chat_handler, "derp-server": derp_handler, "rdg-server": rdg_handler,
               "h2c-server": h2c_handler, "post-server": post_handler}
    if cmd in servers:
        serve(int(args[0]), servers[cmd])
    elif cmd == "ws-bridge":
        ws_bridge(int(args[0]), args[1], int(args[2]), args[3])
    elif cmd == "chat-client":
        chat_client(args[0], int(args[1]))
    elif cmd == "derp-client":
        derp_client(args[0], int(args[1]), args[2])
    elif cmd == "rdg-client":
        rdg_client(args[0], int(args[1]), args[2])
    elif cmd == "h2c-client":
        h2c_client(args[0], int(args[1]))
    elif cmd == "post-client":
        post_client(args[0], int(args[1]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
