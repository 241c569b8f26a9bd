#!/usr/bin/env bash
# make-http-fixtures.sh — build the HTTP dissector's fixture captures in
# captures/fixtures/http/ from real clients and servers talking over loopback, each with
# a NAME.truth.json sidecar.
#
#   sudo scripts/make-http-fixtures.sh [OUT_DIR]     (default: captures/fixtures/http)
#
# Captures (tcpdump -i lo, only the ports below):
#   server.pcap       curl and small raw-socket clients against a stdlib Python
#                     HTTP/1.1 server on 127.0.0.1:8088: keep-alive with six pages (HTML
#                     title, chunked HTML with the title split across chunks, gzip HTML,
#                     a title past the first KiB, text/plain, 404), HEAD, a form POST, a
#                     chunked POST followed by a GET, an h2c upgrade the server ignores
#                     followed by a GET, three pipelined requests in one segment, ten
#                     requests on one connection (more than farmwatch keeps), and a
#                     WebSocket upgrade answered 101 with frames after it.
#   http-server.pcap  curl against `python3 -m http.server` (HTTP/1.0) on :8000: a
#                     directory listing, an HTML file, a 404.
#   proxy.pcap        curl through tinyproxy on :3128: a forward-proxy GET (absolute-form
#                     URI) and a CONNECT tunnel with a GET inside it; then a raw client's
#                     CONNECT that the proxy refuses (403, port not allowed).
#
# The sidecar's `tshark` lists are tshark's dissection of each flow's HTTP messages
# (method, host, URI, user agent, status, server, content type, upgrade). `expect` is what
# farmwatch must report per flow: tshark's requests paired with their responses, with the
# rules below applied and the values tshark has no field for (page titles, websocket,
# connect_target, server_name) stated by construction and named in `by_construction`.
#   - nothing is read after a tunnel opens (CONNECT answered 2xx, 101 Switching Protocols);
#   - 8 transactions per flow at most;
#   - the title comes from the first KiB of an uncompressed text/html body.
#
# Needs root (tcpdump) and: tcpdump tshark curl python3 tinyproxy
# (Debian: apt-get install -y tcpdump tshark curl python3 tinyproxy).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUT_DIR="${1:-$REPO/captures/fixtures/http}"
PY=python3
SERVER_PORT=8088
STATIC_PORT=8000
PROXY_PORT=3128
REFUSED_PORT=9      # tinyproxy refuses CONNECT to it (not a ConnectPort)

log() { printf '[make-http-fixtures] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (tcpdump on lo)"
for c in tcpdump tshark curl "$PY" tinyproxy; do
  command -v "$c" >/dev/null 2>&1 || die "missing $c — apt-get install -y tcpdump tshark curl python3 tinyproxy"
done
for p in $SERVER_PORT $STATIC_PORT $PROXY_PORT; do
  if ss -ltnH "sport = :$p" | grep -q .; then die "port $p is in use on this machine"; fi
done

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$OUT_DIR"

# --- The fixture server: stdlib only, fixed pages whose titles the sidecar states. -------
cat >"$WORK/server.py" <<'EOF'
import base64, gzip, hashlib, http.server, socketserver, sys

PAGES = {
    "/": b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<TITLE>\n  Farmwatch fixture: caf\xc3\xa9 &amp; \"quotes\"  </TITLE>\n</head><body><p>hello</p></body></html>\n",
    "/late-title": b"<!DOCTYPE html>\n<html><head><!-- " + b"padding " * 160 + b"--><title>Too late</title></head></html>\n",
}
CHUNKS = [b"<html><head><title>Chunked", b" page</title></head>", b"<body>chunked body</body></html>\n"]
GZIPPED = gzip.compress(b"<html><head><title>Compressed page</title></head></html>\n", mtime=0)
MISSING = b"<html><head><title>Not found</title></head><body>no such page</body></html>\n"
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def version_string(self):
        return "FarmwatchFixture/1.0"

    def log_message(self, *args):
        pass

    def reply(self, code, ctype, body, headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path in PAGES:
            self.reply(200, "text/html; charset=utf-8", PAGES[path])
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for c in CHUNKS:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/gzip":
            self.reply(200, "text/html", GZIPPED, [("Content-Encoding", "gzip")])
        elif path == "/plain":
            self.reply(200, "text/plain", b"<title>not html</title>\n")
        elif path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            key = self.headers["Sec-WebSocket-Key"].encode()
            accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.end_headers()
            self.wfile.flush()
            # One unmasked text frame that looks like HTTP: nothing after a 101 is HTTP.
            text = b"HTTP/1.1 200 OK\r\nServer: inside-the-tunnel\r\n\r\n"
            self.wfile.write(bytes([0x81, len(text)]) + text)
            self.wfile.flush()
            self.rfile.read(2 + 4 + 48)   # the client's masked frame
            self.close_connection = True
        else:
            self.reply(404, "text/html", MISSING)

    do_HEAD = do_GET

    def do_POST(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break
        else:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.reply(201, "application/json", b'{"ok":true}\n')

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
EOF

# --- Raw-socket clients: pipelining and WebSocket, which curl does not do. ----------------
cat >"$WORK/rawclient.py" <<'EOF'
import os, socket, sys

def talk(port, data, reply_until_close=True, then=None):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data)
    got = b""
    if then is None:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    else:
        while not got.endswith(b"inside-the-tunnel\r\n\r\n"):   # the 101 and the server's frame
            got += s.recv(65536)
        s.sendall(then)
        while s.recv(65536):
            pass
    s.close()

port = int(sys.argv[2])
if sys.argv[1] == "pipelined":
    # Three requests in one segment; the last closes the connection.
    talk(port, b"GET /plain HTTP/1.1\r\nHost: pipelined.test\r\nUser-Agent: fixture-pipelined\r\n\r\n"
               b"GET /missing HTTP/1.1\r\nHost: pipelined.test\r\nUser-Agent: fixture-pipelined\r\n\r\n"
               b"HEAD / HTTP/1.1\r\nHost: pipelined.test\r\nUser-Agent: fixture-pipelined\r\nConnection: close\r\n\r\n")
elif sys.argv[1] == "connect":
    # curl drops a refused CONNECT as soon as it has the status line; read the whole answer.
    talk(port, b"CONNECT 127.0.0.1:%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: fixture-refused\r\n\r\n"
               % (sys.argv[3].encode(), sys.argv[3].encode()))
elif sys.argv[1] == "websocket":
    request = (b"GET /ws HTTP/1.1\r\nHost: ws.fixture.test:8088\r\nUser-Agent: fixture-websocket\r\n"
               b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    # A masked client frame whose payload is an HTTP request in clear once unmasked.
    text = b"GET /inside HTTP/1.1\r\nHost: inside.test\r\n\r\n".ljust(48, b" ")
    mask = bytes([1, 2, 3, 4])
    frame = bytes([0x81, 0x80 | len(text)]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(text))
    talk(port, request, then=frame)
EOF

cat >"$WORK/tinyproxy.conf" <<EOF
User nobody
Group nogroup
Port $PROXY_PORT
Listen 127.0.0.1
Timeout 10
MaxClients 20
Allow 127.0.0.1
ConnectPort $SERVER_PORT
LogLevel Critical
PidFile "$WORK/tinyproxy.pid"
ErrorFile 403 "$WORK/403.html"
EOF
printf '<html><head><title>Proxy refused</title></head><body>not allowed</body></html>\n' >"$WORK/403.html"
chmod 755 "$WORK"; chmod 644 "$WORK/tinyproxy.conf" "$WORK/403.html"

mkdir -p "$WORK/static/docs"
printf '<html><head><title>Hello from http.server</title></head><body>hi</body></html>\n' >"$WORK/static/hello.html"
printf 'plain file\n' >"$WORK/static/docs/readme.txt"

wait_port() {
  for _ in $(seq 50); do ss -ltnH "sport = :$1" | grep -q . && return 0; sleep 0.1; done
  die "nothing listens on :$1"
}

$PY "$WORK/server.py" $SERVER_PORT & PIDS+=($!)
(cd "$WORK/static" && exec $PY -m http.server --bind 127.0.0.1 $STATIC_PORT >/dev/null 2>&1) & PIDS+=($!)
tinyproxy -d -c "$WORK/tinyproxy.conf" >/dev/null 2>&1 & PIDS+=($!)
wait_port $SERVER_PORT; wait_port $STATIC_PORT; wait_port $PROXY_PORT

S="http://127.0.0.1:$SERVER_PORT"
CURL=(curl -sS --max-time 10)   # bodies go to /dev/null with stdout below

# capture NAME COMMAND...: runs the commands (a shell function) under tcpdump.
capture() {
  local name="$1"; shift
  local pcap="$WORK/$name.pcap"
  tcpdump -i lo -U -s 0 -w "$pcap" \
    "tcp port $SERVER_PORT or tcp port $STATIC_PORT or tcp port $PROXY_PORT" 2>"$WORK/$name.tcpdump" &
  local tpid=$!
  sleep 1
  "$@" >/dev/null
  sleep 1
  kill -INT "$tpid"; wait "$tpid" || true
  cp "$pcap" "$OUT_DIR/$name.pcap"
  log "$name.pcap: $(tshark -r "$pcap" 2>/dev/null | wc -l) frames"
}

server_steps() {
  "${CURL[@]}" -A "fixture-keepalive" "$S/" "$S/chunked" "$S/gzip" "$S/late-title" "$S/plain" "$S/missing"
  "${CURL[@]}" -A "fixture-head" -I "http://localhost:$SERVER_PORT/"
  "${CURL[@]}" -A "fixture-form" -d "a=1&b=2" "$S/form"
  "${CURL[@]}" -A "fixture-chunked-post" -H "Transfer-Encoding: chunked" -d "x=1" "$S/upload" --next -A "fixture-chunked-post" "$S/plain"
  "${CURL[@]}" -A "fixture-h2c" --http2 "$S/" --next -A "fixture-h2c" "$S/plain"
  $PY "$WORK/rawclient.py" pipelined $SERVER_PORT
  local urls=(); for i in $(seq 10); do urls+=("$S/plain?n=$i"); done
  "${CURL[@]}" -A "fixture-ten" "${urls[@]}"
  $PY "$WORK/rawclient.py" websocket $SERVER_PORT
}

static_steps() {
  local T="http://127.0.0.1:$STATIC_PORT"
  "${CURL[@]}" -A "fixture-static" "$T/" "$T/hello.html" "$T/nope"
}

proxy_steps() {
  local P="http://127.0.0.1:$PROXY_PORT"
  "${CURL[@]}" -A "fixture-forward" -x "$P" "$S/"
  "${CURL[@]}" -A "fixture-connect" -p -x "$P" "$S/plain"
  $PY "$WORK/rawclient.py" connect $PROXY_PORT $REFUSED_PORT
}

capture server server_steps
capture http-server static_steps
capture proxy proxy_steps

# --- Sidecars, from tshark's dissection. ----------------------------------------------------
cat >"$WORK/truth.py" <<'EOF'
import json, subprocess, sys, urllib.parse

pcap, name, out, decode_ports = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
MAX_TRANSACTIONS = 8
# Titles of the HTML pages each capture's servers send, by request path (tshark has no field
# for an HTML title): the generator's pages, http.server's listing and error page, and the
# proxy's error page (ErrorFile in the generator's tinyproxy.conf).
TITLES = {
    "server": {"/": "Farmwatch fixture: caf\u00e9 &amp; \"quotes\"", "/chunked": "Chunked page", "/missing": "Not found"},
    "http-server": {"/": "Directory listing for /", "/hello.html": "Hello from http.server", "/nope": "Error response"},
    "proxy": {"/": "Farmwatch fixture: caf\u00e9 &amp; \"quotes\"", "127.0.0.1:9": "Proxy refused"},
}[name]
FIELDS = {"http.request.method": "method", "http.host": "host", "http.request.uri": "uri",
          "http.user_agent": "user_agent", "http.response.code": "status_code",
          "http.response.phrase": "status_msg", "http.server": "server",
          "http.content_type": "content_type", "http.upgrade": "upgrade",
          "http.request_in": "request_in"}

cmd = ["tshark", "-n", "-r", pcap, "-Y", "http && tcp", "-T", "json", "--no-duplicate-keys", "-J", "frame tcp http"]
for p in decode_ports:
    cmd[4:4] = ["-d", f"tcp.port=={p},http"]
packets = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout or "[]")

def find(obj, key):
    """First value of a field anywhere in one PDU's tree."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key:
                return v[0] if isinstance(v, list) else v
            found = find(v, key)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for v in obj:
            found = find(v, key)
            if found is not None:
                return found
    return None

flows = {}
for pkt in packets:
    layers = pkt["_source"]["layers"]
    frame = int(find(layers["frame"], "frame.number"))
    sport, dport = int(find(layers["tcp"], "tcp.srcport")), int(find(layers["tcp"], "tcp.dstport"))
    pdus = layers["http"] if isinstance(layers["http"], list) else [layers["http"]]
    for pdu in pdus:
        m = {v: find(pdu, k) for k, v in FIELDS.items()}
        m = {k: v for k, v in m.items() if v is not None}
        if "method" not in m and "status_code" not in m:
            continue
        m["frame"] = frame
        client = sport if "method" in m else dport
        server = dport if "method" in m else sport
        if "status_code" in m:
            m["status_code"] = int(m["status_code"])
        if "request_in" in m:
            m["request_in"] = int(m["request_in"])
        flows.setdefault((client, server), []).append(m)

def expect_for(msgs):
    """tshark's requests with their final responses, cut where farmwatch stops reading."""
    txs, by_construction = [], set()
    for m in msgs:
        if "method" in m:
            t = {k: m[k] for k in ("method", "host", "uri", "user_agent", "upgrade") if k in m}
            if m["method"] == "CONNECT":
                t["connect_target"] = m["uri"]; by_construction.add("connect_target")
            txs.append(t)
    answered = set()
    for m in msgs:
        if "status_code" not in m or 100 <= m["status_code"] < 200 and m["status_code"] != 101:
            continue
        # Responses answer requests in order (HTTP/1.1 has no other way to pair them).
        i = next(i for i in range(len(txs)) if i not in answered)
        answered.add(i)
        t = txs[i]
        for k in ("status_code", "status_msg", "server", "content_type"):
            if k in m:
                t[k] = m[k]
        if "upgrade" in m:
            t["upgrade"] = m["upgrade"]
        target = t.get("uri", "")
        path = urllib.parse.urlsplit(target).path if "://" in target else target.split("?")[0]
        title = TITLES.get(path)
        if title and m.get("content_type", "").startswith("text/html") and t.get("method") != "HEAD":
            t["title"] = title
            by_construction.add("title")
        if "upgrade" in t:
            t["websocket"] = m["status_code"] == 101 and "websocket" in t["upgrade"].lower()
            by_construction.add("websocket")
    # Cut: nothing after a tunnel opens; at most MAX_TRANSACTIONS.
    cut = []
    for t in txs:
        cut.append(t)
        if t.get("status_code") == 101 or (t.get("method") == "CONNECT" and 200 <= t.get("status_code", 0) < 300):
            break
    return cut[:MAX_TRANSACTIONS], sorted(by_construction)

result = []
for (client, server), msgs in sorted(flows.items(), key=lambda kv: kv[1][0]["frame"]):
    expect, byc = expect_for(msgs)
    host = next((t["host"] for t in expect if "host" in t), None)
    server_name = None
    if host is not None:
        server_name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        byc.append("server_name")
    ua = next((m["user_agent"] for m in msgs if "user_agent" in m), None)
    result.append({
        "client_port": client, "server_port": server,
        "what": f"{ua or 'no user agent'} via :{server}",
        "tshark": [{k: v for k, v in m.items()} for m in msgs],
        "expect": {"transactions": expect, "server_name": server_name, "parse_errors": 0},
        "by_construction": byc,
    })

version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
json.dump({
    "made_by": "scripts/make-http-fixtures.sh",
    "capture": name + ".pcap",
    "tshark": version,
    "tshark_command": " ".join(cmd[:3] + [name + ".pcap"] + cmd[4:]),
    "rules": ["nothing is read after CONNECT 2xx or 101", f"at most {MAX_TRANSACTIONS} transactions per flow",
              "title: first KiB of an uncompressed text/html body, tshark has no field for it"],
    "flows": result,
}, open(out, "w"), indent=1, ensure_ascii=False)
open(out, "a").write("\n")
EOF

for name in server http-server proxy; do
  $PY "$WORK/truth.py" "$OUT_DIR/$name.pcap" "$name" "$OUT_DIR/$name.truth.json" "$SERVER_PORT,$STATIC_PORT,$PROXY_PORT"
  log "$name.truth.json: $($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["flows"]), "flows")' "$OUT_DIR/$name.truth.json")"
done
