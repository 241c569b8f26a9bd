#!/usr/bin/env bash
# make-proxy-fixtures.sh — build captures/fixtures/proxies/socks.pcap from real software: a
# Dante SOCKS server (danted) between two network namespaces, curl and OpenSSH as clients,
# and a NAME.truth.json sidecar.
#
#   sudo scripts/make-proxy-fixtures.sh [OUT_DIR]     (default: captures/fixtures/proxies)
#
# Topology: namespace fwp-client (10.77.1.1) -- veth -- fwp-proxy (10.77.1.2). In the proxy
# namespace, danted listens on 10.77.1.2:1080 and connects out from 127.0.0.1 to the
# services there: python3 -m http.server on :8080, openssl s_server (self-signed) on :8443,
# sshd on :2222. tcpdump records the client's veth, so each flow is client -> SOCKS server.
#
# The flows, one per client command, in order:
#   socks5-http       curl --socks5 (IPv4 target 127.0.0.1:8080), GET /index.html
#   socks5h-http      curl --socks5-hostname (domain target localhost:8080)
#   socks5h-tls       curl -k --socks5-hostname https://localhost:8443/ (TLS inside)
#   socks4-http       curl --socks4 (IPv4 target)
#   socks4a-rejected  curl --socks4a (domain target; Dante 1.4 answers 4a requests with 91)
#   socks5-ssh        ssh through ncat --proxy-type socks5 (SSH inside), runs `true`
#   socks5-refused    curl --socks5 to 127.0.0.1:9 (nothing listens: the proxy refuses)
#
# The sidecar lists each flow's client port with tshark's SOCKS fields (version, command,
# target, port, reply), the protocols tshark finds inside the tunnel (`inner`), the flow's
# name above and what the client ran inside the tunnel (`inner_by_construction`; null when
# the proxy refused). Captured with the full snap length: the TLS flow's ClientHello and
# certificate are over 512 bytes and are part of what the test checks.
#
# Needs root and: ip tcpdump tshark curl ncat danted sshd ssh-keygen openssl python3 ethtool
# (Debian: apt-get install -y iproute2 tcpdump tshark curl ncat dante-server openssh-server
#  openssh-client openssl python3 ethtool).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lab/netns-pair.sh"
REPO="$(cd "$HERE/.." && pwd)"
OUT_DIR="${1:-$REPO/captures/fixtures/proxies}"
CLI=fwp-client
PRX=fwp-proxy

log() { printf '[make-proxy-fixtures] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump)"
for c in ip tcpdump tshark curl ncat danted /usr/sbin/sshd ssh ssh-keygen openssl python3 ethtool; do
  command -v "$c" >/dev/null 2>&1 || die "missing $c"
done

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$CLI" 2>/dev/null || true
  ip netns del "$PRX" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$OUT_DIR"

# --- Namespaces and the link between them (no offloads: the capture shows wire segments). --
netns_pair "$CLI" "$PRX" fwp-c0 fwp-p0 10.77.1.1/24 10.77.1.2/24

# --- Services inside the proxy namespace. -------------------------------------------------
mkdir -p "$WORK/www"
printf '<html><head><title>behind the proxy</title></head><body>hello</body></html>\n' >"$WORK/www/index.html"
(cd "$WORK/www" && exec ip netns exec "$PRX" python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1) &
PIDS+=($!)

openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" >/dev/null 2>&1
ip netns exec "$PRX" openssl s_server -quiet -accept 127.0.0.1:8443 -www \
  -cert "$WORK/tls.crt" -key "$WORK/tls.key" >/dev/null 2>&1 &
PIDS+=($!)

ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/client_key"
cat >"$WORK/sshd_config" <<EOF
ListenAddress 127.0.0.1:2222
HostKey $WORK/host_key
PermitRootLogin prohibit-password
AuthorizedKeysFile $WORK/client_key.pub
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile $WORK/sshd.pid
StrictModes no
EOF
mkdir -p /run/sshd
ip netns exec "$PRX" /usr/sbin/sshd -D -f "$WORK/sshd_config" &
PIDS+=($!)

cat >"$WORK/danted.conf" <<EOF
logoutput: $WORK/danted.log
internal: 10.77.1.2 port = 1080
external: 127.0.0.1
socksmethod: none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 10.77.1.0/24 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 command: connect bind udpassociate }
EOF
ip netns exec "$PRX" danted -f "$WORK/danted.conf" -p "$WORK/danted.pid" &
PIDS+=($!)
sleep 2

# --- Capture the client side while each client runs. ---------------------------------------
PCAP="$OUT_DIR/socks.pcap"
ip netns exec "$CLI" tcpdump -i fwp-c0 -s 0 -U -w "$PCAP" tcp port 1080 2>/dev/null &
TCPDUMP=$!
PIDS+=($TCPDUMP)
sleep 1

NAMES=()
SOCKS=10.77.1.2:1080
run() { # NAME COMMAND...
  NAMES+=("$1"); shift
  ip netns exec "$CLI" "$@" >/dev/null 2>&1 || true
  sleep 0.5
}
run socks5-http curl -sS --max-time 5 --socks5 "$SOCKS" http://127.0.0.1:8080/index.html
run socks5h-http curl -sS --max-time 5 --socks5-hostname "$SOCKS" http://localhost:8080/index.html
run socks5h-tls curl -sS -k --max-time 5 --socks5-hostname "$SOCKS" https://localhost:8443/
run socks4-http curl -sS --max-time 5 --socks4 "$SOCKS" http://127.0.0.1:8080/index.html
run socks4a-rejected curl -sS --max-time 5 --socks4a "$SOCKS" http://localhost:8080/index.html
run socks5-ssh ssh -F /dev/null -i "$WORK/client_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o BatchMode=yes -o "ProxyCommand=ncat --proxy $SOCKS --proxy-type socks5 %h %p" -p 2222 root@127.0.0.1 true
run socks5-refused curl -sS --max-time 5 --socks5 "$SOCKS" http://127.0.0.1:9/

sleep 1
kill "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true

# --- The sidecar: tshark's SOCKS fields and inner protocols per flow. ----------------------
python3 - "$PCAP" "${NAMES[@]}" >"${PCAP%.pcap}.truth.json" <<'EOF'
import json, subprocess, sys
pcap, names = sys.argv[1], sys.argv[2:]
fields = ["tcp.stream", "tcp.srcport", "tcp.dstport", "frame.protocols", "socks.version", "socks.command",
          "socks.remote_name", "socks.v4a_dns_name", "socks.dst", "socks.dstV6", "socks.port", "socks.dstport",
          "socks.results"]
out = subprocess.run(["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "occurrence=f"] + sum((["-e", f] for f in fields), []),
                     capture_output=True, text=True, check=True).stdout
flows = {}
for line in out.splitlines():
    c = dict(zip(fields, line.split("\t")))
    client = c["tcp.dstport"] == "1080"
    s = flows.setdefault(c["tcp.stream"], {"client_port": int(c["tcp.srcport"] if client else c["tcp.dstport"]),
                                           "inner": [], "tshark": {}})
    t = s["tshark"]
    # The request: the client's first frame with a command (SOCKS 4 requests and SOCKS 5
    # command requests; a 4a request names the host, its DSTIP is 0.0.0.x).
    if client and c["socks.command"] and "command" not in t:
        t["version"] = c["socks.version"]
        t["command"] = c["socks.command"]
        t["target_host"] = c["socks.remote_name"] or c["socks.v4a_dns_name"] or c["socks.dst"] or c["socks.dstV6"]
        t["target_port"] = c["socks.port"] or c["socks.dstport"]
    if not client and c["socks.results"] and "reply" not in t:
        t["reply"] = c["socks.results"]
    for p in c["frame.protocols"].split(":"):
        if p in ("http", "tls", "ssh") and p not in s["inner"]:
            s["inner"].append(p)
ordered = [flows[k] for k in sorted(flows, key=int)]
assert len(ordered) == len(names), (len(ordered), names)
for f, n in zip(ordered, names):
    f["name"] = n
    # What the client ran inside the tunnel when the proxy granted it (tshark does not look
    # for SSH behind SOCKS); null when the proxy said no.
    f["inner_by_construction"] = {"http": "http", "tls": "tls", "ssh": "ssh"}.get(n.rsplit("-", 1)[1])
json.dump({"generator": "scripts/make-proxy-fixtures.sh", "flows": ordered}, sys.stdout, indent=1)
print()
EOF
log "wrote $PCAP and its sidecar"
