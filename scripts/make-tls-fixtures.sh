#!/bin/bash
# Makes the direct-TLS fixtures in captures/fixtures/tls/ (STARTTLS ones: make-starttls-fixtures.sh):
# real handshakes between OpenSSL 3, curl and Python's ssl module on 127.0.0.1, recorded with
# tcpdump on lo, and a .truth.json sidecar for each capture whose values come from tshark
# (hellos, JA3/JA3S, SNI, ALPN, certificates as bytes) and openssl (certificate fields), never
# from farmwatch. JA4 in the sidecar is computed from tshark's fields, following FoxIO's JA4.md
# (scripts/lab/tls_truth.py).
#
# Run as root on Debian 12 (tcpdump, tshark, openssl, curl, python3):
#     scripts/make-tls-fixtures.sh
# The certificates are made afresh each run, so hashes, serials and dates change every time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/captures/fixtures/tls"
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
cd "$WORK"

# --- Certificates: a CA, a server leaf it signs (RSA 2048, DNS and IP SANs), a client
# certificate (P-256), a self-signed legacy server certificate (RSA 1024, which
# swift-certificates' own Certificate type refuses) and a self-signed Ed25519 one.
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
    -subj "/C=NL/O=Farmwatch Lab/OU=Fixtures/CN=Farmwatch Lab CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
    -subj "/C=NL/O=Farmwatch Lab/OU=Servers/CN=tls.lab.example" 2>/dev/null
printf 'subjectAltName=DNS:tls.lab.example,DNS:alt.lab.example,IP:127.0.0.1\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
    -extfile server.ext -out server.pem 2>/dev/null
cat server.pem ca.pem > server-chain.pem
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.csr \
    -subj "/C=NL/O=Farmwatch Lab/CN=client.lab.example" 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -out client.pem 2>/dev/null
openssl req -x509 -newkey rsa:1024 -nodes -keyout legacy.key -out legacy.pem -days 3650 \
    -subj "/CN=legacy.lab.example" 2>/dev/null
openssl req -x509 -newkey ed25519 -nodes -keyout ed.key -out ed.pem -days 3650 \
    -subj "/O=Farmwatch Lab/CN=ed25519.lab.example" -addext "subjectAltName=DNS:ed25519.lab.example" 2>/dev/null

# capture NAME PORT COMMAND...: records one scenario (only its port) into NAME.pcap.
capture() {
    local name=$1 port=$2; shift 2
    tcpdump -i lo -U -s 0 -w "$WORK/$name.pcap" "tcp port $port" 2>/dev/null &
    local dump=$!
    sleep 1
    "$@"
    sleep 1
    kill -INT $dump
    wait $dump 2>/dev/null || true
    cp "$WORK/$name.pcap" "$OUT/$name.pcap"
}

# serve PORT ARGS...: one s_server connection in the background.
serve() {
    local port=$1; shift
    openssl s_server -accept "127.0.0.1:$port" -naccept 1 -quiet "$@" </dev/null >/dev/null 2>&1 &
    sleep 0.5
}

client() {
    echo Q | timeout 10 openssl s_client -connect "127.0.0.1:$1" "${@:2}" >/dev/null 2>&1 || true
}

# 1. TLS 1.2, server chain of two, client certificate asked for and sent, SNI, ALPN both ways.
scenario_mutual() {
    serve 44301 -tls1_2 -cert server.pem -key server.key -cert_chain ca.pem -CAfile ca.pem -Verify 1 -alpn h2
    client 44301 -tls1_2 -servername tls.lab.example -alpn h2,http/1.1 -cert client.pem -key client.key -CAfile ca.pem
}

# 2. TLS 1.3 from curl: certificates encrypted, supported_versions, ALPN chosen by the server.
scenario_tls13() {
    serve 44302 -tls1_3 -cert server.pem -key server.key -alpn http/1.1 -www
    curl -s -o /dev/null --max-time 10 --cacert ca.pem --resolve tls.lab.example:44302:127.0.0.1 \
        https://tls.lab.example:44302/ || true
}

# 3. TLS 1.2 to a self-signed RSA 1024 certificate, no SNI, no ALPN (JA4 "i", "00").
scenario_legacy() {
    serve 44303 -tls1_2 -cert legacy.pem -key legacy.key -cipher 'DEFAULT:@SECLEVEL=0'
    client 44303 -tls1_2 -noservername -cipher 'DEFAULT:@SECLEVEL=0'
}

# 4. TLS 1.3 HelloRetryRequest: the client's key share is X25519, the server takes only P-256.
scenario_hrr() {
    serve 44304 -tls1_3 -cert server.pem -key server.key -groups P-256
    client 44304 -tls1_3 -servername hrr.lab.example -groups X25519:P-256
}

# 5. A ClientHello cut into two records, each sent in two TCP segments, to an Ed25519 server.
scenario_fragmented() {
    serve 44305 -tls1_2 -cert ed.pem -key ed.key
    python3 - <<'EOF'
import socket, ssl, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.set_alpn_protocols(["http/1.1"])
incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(incoming, outgoing, server_hostname="ed25519.lab.example")
s = socket.create_connection(("127.0.0.1", 44305))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
try:
    tls.do_handshake()
except ssl.SSLWantReadError:
    pass
record = outgoing.read()
assert record[0] == 22
message = record[5:]
half = len(message) // 2
for part in (message[:half], message[half:]):
    rec = record[:3] + len(part).to_bytes(2, "big") + part
    for piece in (rec[:7], rec[7:]):
        s.sendall(piece)
        time.sleep(0.05)
while True:
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        out = outgoing.read()
        if out:
            s.sendall(out)
        data = s.recv(65536)
        if not data:
            break
        incoming.write(data)
s.sendall(outgoing.read())
time.sleep(0.2)
s.close()
EOF
}

# 6. TLS after a plaintext preamble: an HTTP CONNECT exchange, then TLS 1.2 on the same stream.
scenario_connect() {
    python3 - <<'EOF'
import socket, ssl, threading, time
srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
srv.load_cert_chain("server-chain.pem", "server.key")
srv.maximum_version = ssl.TLSVersion.TLSv1_2
listener = socket.create_server(("127.0.0.1", 44306))
def proxy():
    conn, _ = listener.accept()
    request = b""
    while b"\r\n\r\n" not in request:
        request += conn.recv(4096)
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    with srv.wrap_socket(conn, server_side=True) as t:
        t.recv(100)
threading.Thread(target=proxy, daemon=True).start()
cli = ssl.create_default_context(cafile="ca.pem")
cli.set_alpn_protocols(["h2", "http/1.1"])
s = socket.create_connection(("127.0.0.1", 44306))
s.sendall(b"CONNECT tls.lab.example:443 HTTP/1.1\r\nHost: tls.lab.example:443\r\n\r\n")
reply = b""
while b"\r\n\r\n" not in reply:
    reply += s.recv(4096)
with cli.wrap_socket(s, server_hostname="tls.lab.example") as t:
    t.sendall(b"x")
    time.sleep(0.2)
EOF
}

capture tls12-mutual 44301 scenario_mutual
capture tls13-curl 44302 scenario_tls13
capture tls12-legacy-rsa1024 44303 scenario_legacy
capture tls13-hrr 44304 scenario_hrr
capture tls12-fragmented-hello 44305 scenario_fragmented
capture tls12-after-connect 44306 scenario_connect

# --- Sidecars, from tshark and openssl only (scripts/lab/tls_truth.py).
python3 "$ROOT/scripts/lab/tls_truth.py" scripts/make-tls-fixtures.sh \
    "$OUT"/{tls12-mutual,tls13-curl,tls12-legacy-rsa1024,tls13-hrr,tls12-fragmented-hello,tls12-after-connect}.pcap
