#!/bin/bash
# Makes the TLS fixtures in captures/fixtures/tls/: real handshakes between OpenSSL 3, curl and
# Python's ssl module on 127.0.0.1, recorded with tcpdump on lo, and a .truth.json sidecar for
# each capture whose values come from tshark (hellos, JA3/JA3S, SNI, ALPN, certificates as
# bytes) and openssl (certificate fields), never from farmwatch. JA4 in the sidecar is computed
# here from tshark's fields, following FoxIO's JA4.md.
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

# --- Sidecars, from tshark and openssl only.
python3 - "$OUT" <<'EOF'
import hashlib, json, os, subprocess, sys, datetime

out_dir = sys.argv[1]
HRR = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"
FIELDS = ["tcp.stream", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "tls.handshake.type",
          "tls.handshake.version", "tls.handshake.ciphersuite", "tls.handshake.extension.type",
          "tls.handshake.sig_hash_alg", "tls.handshake.extensions.supported_version",
          "tls.handshake.extensions_alpn_str", "tls.handshake.extensions_server_name",
          "tls.handshake.ja3", "tls.handshake.ja3_full", "tls.handshake.ja3s", "tls.handshake.ja3s_full",
          "tls.handshake.random", "tls.handshake.certificate"]
GREASE = {0x0A0A + 0x1010 * i for i in range(16)}
VERSION_CODE = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3"}
ZEEK_VERSION = {0x0304: "TLSv13", 0x0303: "TLSv12", 0x0302: "TLSv11", 0x0301: "TLSv10", 0x0300: "SSLv3"}

def tshark(path):
    cmd = ["tshark", "-n", "-r", path, "-Y", "tls.handshake.type", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    rows = []
    for line in subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines():
        rows.append(dict(zip(FIELDS, [v.split("|") if v else [] for v in line.split("\t")])))
    return rows

def ints(values):
    return [int(v, 0) for v in values]

def sha12(text):
    return "000000000000" if not text else hashlib.sha256(text.encode()).hexdigest()[:12]

def ja4(row):
    """FoxIO JA4.md, from tshark's fields of one ClientHello."""
    ciphers = [c for c in ints(row["tls.handshake.ciphersuite"]) if c not in GREASE]
    exts = [e for e in ints(row["tls.handshake.extension.type"]) if e not in GREASE]
    assert 0x32 not in exts, "signature_algorithms_cert would mix into tshark's sig_hash_alg"
    sigs = [s for s in ints(row["tls.handshake.sig_hash_alg"]) if s not in GREASE]
    versions = [v for v in ints(row["tls.handshake.extensions.supported_version"]) if v not in GREASE]
    version = max(versions) if versions else int(row["tls.handshake.version"][0], 0)
    alpn = row["tls.handshake.extensions_alpn_str"]
    first = alpn[0] if alpn else ""
    alpn_code = (first[0] + first[-1]) if first else "00"
    a = "t%s%s%02d%02d%s" % (VERSION_CODE.get(version, "00"), "d" if 0 in exts else "i",
                             min(len(ciphers), 99), min(len(exts), 99), alpn_code)
    hexes = lambda xs: ",".join("%04x" % x for x in xs)
    sorted_exts = hexes(sorted(e for e in exts if e not in (0, 0x10)))
    tail = ("_" + hexes(sigs)) if sigs else ""
    raw = "%s_%s_%s%s" % (a, hexes(sorted(ciphers)), sorted_exts, tail)
    original_raw = "%s_%s_%s%s" % (a, hexes(ciphers), hexes(exts), tail)
    hashed = lambda r: "_".join([r.split("_")[0], sha12(r.split("_")[1]), sha12("_".join(r.split("_")[2:]))])
    return {"ja4": hashed(raw), "ja4_r": raw, "ja4_o": hashed(original_raw), "ja4_ro": original_raw}

def openssl_fields(der):
    """Certificate fields as openssl decodes them."""
    def run(*args):
        return subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", *args], input=der,
                              capture_output=True, check=True).stdout.decode()
    def name(flag):
        text = run(flag, "-nameopt", "RFC2253").split("=", 1)[1].strip()
        return text
    def attribute(flag, key):
        for part in run(flag, "-nameopt", "sep_multiline,sname").splitlines()[1:]:
            k, _, v = part.strip().partition("=")
            if k == key:
                return v
        return None
    def when(flag):
        text = run(flag).split("=", 1)[1].strip()
        t = datetime.datetime.strptime(text, "%b %d %H:%M:%S %Y GMT")
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = run("-text")
    sans_dns, sans_ip = [], []
    san = run("-ext", "subjectAltName")
    for line in san.splitlines()[1:]:
        for item in line.strip().split(", "):
            kind, _, value = item.partition(":")
            if kind == "DNS":
                sans_dns.append(value)
            elif kind == "IP Address":
                sans_ip.append(value)
    key_line = next(l.strip() for l in text.splitlines() if "Public Key Algorithm" in l)
    algorithm = key_line.split(":", 1)[1].strip()
    key_type = {"rsaEncryption": "rsa", "id-ecPublicKey": "ecdsa", "ED25519": "ed25519"}[algorithm]
    bits_line = next((l for l in text.splitlines() if "Public-Key: (" in l), None)
    key_bits = int(bits_line.split("(")[1].split()[0]) if bits_line else 256
    subject, issuer = name("-subject"), name("-issuer")
    return {
        "subject": subject, "issuer": issuer,
        "cn": attribute("-subject", "CN"), "o": attribute("-subject", "O"),
        "ou": attribute("-subject", "OU"), "c": attribute("-subject", "C"),
        "san_dns": sans_dns, "san_ip": sans_ip,
        "not_before": when("-startdate"), "not_after": when("-enddate"),
        "serial": run("-serial").split("=", 1)[1].strip(),
        "self_signed": subject == issuer,
        "key_type": key_type, "key_bits": key_bits,
        "sha256": hashlib.sha256(der).hexdigest(),
    }

def chain(rows):
    out = []
    for r in rows:
        for h in r["tls.handshake.certificate"]:
            out.append(openssl_fields(bytes.fromhex(h.replace(":", ""))))
    return out

for name in sorted(os.listdir(out_dir)):
    if not name.endswith(".pcap"):
        continue
    path = os.path.join(out_dir, name)
    rows = tshark(path)
    flows = []
    for stream in sorted({r["tcp.stream"][0] for r in rows}, key=int):
        srows = [r for r in rows if r["tcp.stream"][0] == stream]
        hellos = [r for r in srows if "1" in r["tls.handshake.type"]]
        client = hellos[0]
        client_addr = (client["ip.src"][0], int(client["tcp.srcport"][0]))
        server_hellos = [r for r in srows if "2" in r["tls.handshake.type"]]
        final = [r for r in server_hellos if r["tls.handshake.random"][-1] != HRR]
        flow = {"client": "%s:%d" % client_addr,
                "server": "%s:%s" % (client["ip.dst"][0], client["tcp.dstport"][0]),
                "client_hellos": len(hellos),
                "hello_retry_request": len(final) < len(server_hellos),
                "ja3": client["tls.handshake.ja3"][0], "ja3_string": client["tls.handshake.ja3_full"][0],
                "server_name": (client["tls.handshake.extensions_server_name"] or [None])[0],
                "alpn": client["tls.handshake.extensions_alpn_str"],
                "client_supported_versions": [ZEEK_VERSION[v] for v in ints(client["tls.handshake.extensions.supported_version"]) if v not in GREASE]}
        flow.update(ja4(client))
        if final:
            s = final[0]
            versions = ints(s["tls.handshake.extensions.supported_version"])
            version = versions[0] if versions else int(s["tls.handshake.version"][0], 0)
            flow.update({"ja3s": s["tls.handshake.ja3s"][0], "ja3s_string": s["tls.handshake.ja3s_full"][0],
                         "version": ZEEK_VERSION[version], "cipher": s["tls.handshake.ciphersuite"][0],
                         "alpn_selected": (s["tls.handshake.extensions_alpn_str"] or [None])[0]})
        from_server = [r for r in srows if "11" in r["tls.handshake.type"] and (r["ip.src"][0], int(r["tcp.srcport"][0])) != client_addr]
        from_client = [r for r in srows if "11" in r["tls.handshake.type"] and (r["ip.src"][0], int(r["tcp.srcport"][0])) == client_addr]
        flow["cert_chain"] = chain(from_server)
        flow["client_cert_chain"] = chain(from_client)
        flows.append(flow)
    versions = {
        "tshark": subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
        "openssl": subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip(),
    }
    truth = {"generatedBy": "scripts/make-tls-fixtures.sh", "capture": name,
             "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
             "versions": versions, "flows": flows,
             "notes": "cipher is tshark's code (0x....); certificate fields are openssl's decoding of the DER that tshark extracted; ja4* computed from tshark's fields per FoxIO JA4.md"}
    with open(path.replace(".pcap", ".truth.json"), "w") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")
    print(name, len(flows), "flow(s)")
EOF
