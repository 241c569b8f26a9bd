#!/usr/bin/env bash
# make-scenario-captures.sh — record the scenario captures (captures/scenarios/NAME.pcap and
# NAME.truth.json): a laptop at a Dallas office driven from far away directly or through
# relays, and benign look-alikes, all made by real software in network namespaces.
#
#   sudo scripts/make-scenario-captures.sh [NAME ...]      (default: every scenario)
#   OUT_DIR=/tmp/x sudo scripts/make-scenario-captures.sh direct-far-vnc
#
# Topology (documentation and private ranges only; no namespace routes anywhere but the lab):
#
#   fwsc-laptop 10.20.0.10 ─ lan0 ┐                                  ┌ fwsc-ctrl   203.0.113.50, .80  (Shenyang)
#     Xvfb+xterm, x11vnc :5900,    │ fwsc-site (site router, SENSOR)  │   Xvfb + xfreerdp (rdp-far)
#     sshd :22, xrdp :3389         ├─ wan0 100.64.0.2 ── fwsc-inet ───┤ fwsc-relay  198.51.100.20      (Dallas)
#   fwsc-admin  10.20.1.20 ─ it0 ─┘   ("internet" router, delays)     │   dante :1080, tinyproxy :8888,
#                                                                     │   coturn :3478, sshd :22, openvpn :1194/udp
#                                                                     │ fwsc-worker 192.0.2.10         (New York)
#                                                                     └ fwsc-web    192.0.2.80 .83 .90 (Dallas, Frankfurt)
#
# Delays: scripts/lab/nfq-delay.c (the kernel here has no netem) holds packets in NFQUEUE.
# Each remote place has a one-way delay, applied on the internet router both to packets
# coming from it (mangle PREROUTING -s) and going to it (POSTROUTING -d), so a packet between
# places A and B is held d(A) + d(B): Shenyang 90 ms, Dallas relay 2.5 ms, New York 20 ms,
# Dallas web 1 ms, Frankfurt 55 ms; the office's IT VLAN is held 0.5 ms on the site router.
# Hence laptop↔controller RTT 180 ms, laptop↔relay 5 ms, relay↔controller 185 ms.
#
# The sensor is tcpdump -s 512 on the site router's egress (wan0); benign-lan-admin, whose
# traffic never leaves the office, is captured on the site router's port toward the
# laptop's segment (lan0). Every sidecar states its sensor, the injected delays and the
# ping RTTs measured just before its capture. Timestamps are then moved to a chosen local
# hour (see scripts/lab/scenario_truth.py).
#
# Needs root and: iproute2 iptables ethtool tcpdump gcc libnetfilter-queue-dev xvfb x11-utils xterm
# x11vnc openssh-client openssh-server dante-server tinyproxy coturn wireguard-go
# wireguard-tools xrdp freerdp2-x11 xdotool openvpn curl openssl python3. Removes its namespaces, processes and temp dir on
# exit, also on failure (KEEP_WORK=1 keeps the temp dir with every program's log).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUT_DIR="${OUT_DIR:-$REPO/captures/scenarios}"
SNAPLEN=512
PY=/usr/bin/python3
ALL_SCENARIOS=(direct-far-vnc benign-lan-admin socks-relay ordinary-web http-connect-relay
  ssh-jump ssh-reverse turn-relay vpn-wireguard benign-nearby-worker rdp-far openvpn-relay
  kvm-farm benign-lan-kvm)
# No IP-KVM firmware runs in the lab: these are written packet by packet, with the lab's
# addresses and delays, by scripts/lab/kvm_scenarios.py (python3 and openssl only, no root).
SYNTHESISED=(kvm-farm benign-lan-kvm)

NS_LAPTOP=fwsc-laptop NS_ADMIN=fwsc-admin NS_SITE=fwsc-site NS_INET=fwsc-inet
NS_CTRL=fwsc-ctrl NS_RELAY=fwsc-relay NS_WORKER=fwsc-worker NS_WEB=fwsc-web
NAMESPACES=("$NS_LAPTOP" "$NS_ADMIN" "$NS_SITE" "$NS_INET" "$NS_CTRL" "$NS_RELAY" "$NS_WORKER" "$NS_WEB")

LAPTOP=10.20.0.10 SITE_LAN=10.20.0.1 ADMIN=10.20.1.20 SITE_IT=10.20.1.1
SITE_WAN=100.64.0.2 INET_SITE=100.64.0.1
CTRL=203.0.113.50 VPN_EP=203.0.113.80 INET_CTRL=203.0.113.1
RELAY=198.51.100.20 INET_RELAY=198.51.100.1
WORKER=192.0.2.10 INET_WORKER=192.0.2.1
WEB=192.0.2.80 DNS=192.0.2.83 FARWEB=192.0.2.90 INET_WEB=192.0.2.65
# one-way delays (ms) per place, and the queues that carry them
D_CTRL=90 D_RELAY=2.5 D_WORKER=20 D_WEB=1 D_FARWEB=55 D_IT=0.5

log() { printf '[make-scenario-captures %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  echo "scenarios: ${ALL_SCENARIOS[*]}"
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
SCENARIOS=("$@")
[ "${#SCENARIOS[@]}" -gt 0 ] || SCENARIOS=("${ALL_SCENARIOS[@]}")
for s in "${SCENARIOS[@]}"; do
  [[ " ${ALL_SCENARIOS[*]} " == *" $s "* ]] || { usage >&2; die "unknown scenario: $s"; }
done

LAB_SCENARIOS=()
for s in "${SCENARIOS[@]}"; do
  if [[ " ${SYNTHESISED[*]} " == *" $s "* ]]; then
    log "scenario $s (synthesised)"
    "$PY" "$HERE/lab/kvm_scenarios.py" "$s" "$OUT_DIR"
  else
    LAB_SCENARIOS+=("$s")
  fi
done
[ "${#LAB_SCENARIOS[@]}" -gt 0 ] || { log "done: ${SCENARIOS[*]}"; exit 0; }
SCENARIOS=("${LAB_SCENARIOS[@]}")

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, NFQUEUE, tcpdump)"
missing=()
for c in ip iptables ethtool tcpdump cc Xvfb xdpyinfo xterm x11vnc ssh ssh-keygen /usr/sbin/sshd danted tinyproxy \
  turnserver wireguard-go wg xrdp xfreerdp xdotool openvpn curl openssl ping chrt "$PY"; do
  command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
[ -e /usr/include/libnetfilter_queue/libnetfilter_queue.h ] || missing+=(libnetfilter_queue.h)
if [ "${#missing[@]}" -gt 0 ]; then
  die "missing: ${missing[*]} — install with: apt-get install -y iproute2 iptables ethtool tcpdump gcc \
libnetfilter-queue-dev xvfb x11-utils xterm x11vnc openssh-client openssh-server dante-server tinyproxy coturn \
wireguard-go wireguard-tools xrdp freerdp2-x11 xdotool openvpn curl openssl iputils-ping util-linux python3"
fi

exec 9>/run/fwsc-make-scenario-captures.lock
flock -n 9 || die "another make-scenario-captures.sh is running"

WORK="$(mktemp -d /tmp/fwsc.XXXXXX)"
chmod 755 "$WORK"
PIDS=()

remove_namespaces() {
  for ns in "${NAMESPACES[@]}"; do
    if ip netns list | grep -qw "$ns"; then
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
      ip netns del "$ns" 2>/dev/null
    fi
    rm -rf "/etc/netns/$ns"
  done
}
cleanup() {
  local rc=$?
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.5
  remove_namespaces
  if [ -n "${KEEP_WORK:-}" ]; then log "kept $WORK (KEEP_WORK set)"; else rm -rf "$WORK"; fi
  [ "$rc" -eq 0 ] || log "failed (exit $rc); namespaces and temp files removed"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
set +e; remove_namespaces; set -e     # leftovers of a run that was killed hard (our names only)

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# bg NS LOGNAME CMD... : start a long-running program in a namespace, remember its pid
bg() { local ns=$1 name=$2; shift 2; ip netns exec "$ns" "$@" >"$WORK/$name.log" 2>&1 & PIDS+=($!); }
wait_for() {
  local t=$1; shift
  for ((i = 0; i < t * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "timed out waiting for: $*"
}
calc() { awk "BEGIN { print $* }"; }
listening() { ip netns exec "$1" ss -lnH "( sport = :$2 )" | grep -q .; }

# ------------------------------------------------------------------------------ topology
log "building namespaces"
for ns in "${NAMESPACES[@]}"; do
  ip netns add "$ns"
  in_ns "$ns" ip link set lo up
  in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
# link NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B: a veth pair, offloads off so the sensor sees
# wire-sized segments (not 64 KB GSO super-packets)
link() {
  ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
  in_ns "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null
  in_ns "$4" ethtool -K "$5" tx off rx off tso off gso off gro off >/dev/null
  in_ns "$1" ip addr add "$3" dev "$2"; in_ns "$1" ip link set "$2" up
  in_ns "$4" ip addr add "$6" dev "$5"; in_ns "$4" ip link set "$5" up
}
link "$NS_LAPTOP" lap0 "$LAPTOP/24" "$NS_SITE" lan0 "$SITE_LAN/24"
link "$NS_ADMIN" adm0 "$ADMIN/24" "$NS_SITE" it0 "$SITE_IT/24"
link "$NS_SITE" wan0 "$SITE_WAN/30" "$NS_INET" isite "$INET_SITE/30"
link "$NS_CTRL" ctl0 "$CTRL/24" "$NS_INET" ictrl "$INET_CTRL/24"
in_ns "$NS_CTRL" ip addr add "$VPN_EP/24" dev ctl0
link "$NS_RELAY" rel0 "$RELAY/24" "$NS_INET" irelay "$INET_RELAY/24"
link "$NS_WORKER" wrk0 "$WORKER/26" "$NS_INET" iworker "$INET_WORKER/26"
link "$NS_WEB" web0 "$WEB/26" "$NS_INET" iweb "$INET_WEB/26"
in_ns "$NS_WEB" ip addr add "$DNS/26" dev web0
in_ns "$NS_WEB" ip addr add "$FARWEB/26" dev web0
in_ns "$NS_LAPTOP" ip route add default via "$SITE_LAN"
in_ns "$NS_ADMIN" ip route add default via "$SITE_IT"
in_ns "$NS_SITE" ip route add default via "$INET_SITE"
in_ns "$NS_INET" ip route add 10.20.0.0/16 via "$SITE_WAN"
in_ns "$NS_CTRL" ip route add default via "$INET_CTRL"
in_ns "$NS_RELAY" ip route add default via "$INET_RELAY"
in_ns "$NS_WORKER" ip route add default via "$INET_WORKER"
in_ns "$NS_WEB" ip route add default via "$INET_WEB"
in_ns "$NS_SITE" sysctl -qw net.ipv4.ip_forward=1
in_ns "$NS_INET" sysctl -qw net.ipv4.ip_forward=1
mkdir -p /etc/netns/$NS_LAPTOP
echo "nameserver $DNS" >/etc/netns/$NS_LAPTOP/resolv.conf

# ------------------------------------------------------------------------------ delays
log "starting the delayers"
cc -O2 -Wall -o "$WORK/nfq-delay" "$HERE/lab/nfq-delay.c" -lnetfilter_queue -lnfnetlink
# delay NS QUEUE MS MATCH...: hold packets from and to MATCH (an iptables -s/-d address) MS ms
delay() {
  local ns=$1 q=$2 ms=$3; shift 3
  local a
  for a in "$@"; do
    in_ns "$ns" iptables -t mangle -A PREROUTING -s "$a" -j NFQUEUE --queue-num "$q"
    in_ns "$ns" iptables -t mangle -A POSTROUTING -d "$a" -j NFQUEUE --queue-num "$q"
  done
  # real-time priority: on a busy machine an ordinary process wakes up tens of ms late
  bg "$ns" "delay-q$q" chrt -f 50 "$WORK/nfq-delay" -q "$q" -d "$ms"
}
delay "$NS_INET" 10 "$D_CTRL" 203.0.113.0/24
delay "$NS_INET" 11 "$D_RELAY" "$RELAY"
delay "$NS_INET" 12 "$D_WORKER" "$WORKER"
delay "$NS_INET" 13 "$D_WEB" "$WEB" "$DNS"
delay "$NS_INET" 14 "$D_FARWEB" "$FARWEB"
delay "$NS_SITE" 20 "$D_IT" 10.20.1.0/24
sleep 0.5

# ------------------------------------------------------------------------------ services
log "starting services"
# The laptop's desktop: an X server with a terminal, shared by x11vnc.
bg "$NS_LAPTOP" xvfb Xvfb :71 -screen 0 1024x768x24 -nolisten tcp -nolisten unix
wait_for 10 in_ns "$NS_LAPTOP" env DISPLAY=:71 xdpyinfo
bg "$NS_LAPTOP" xterm env DISPLAY=:71 HOME="$WORK" xterm -geometry 110x38+10+10 -fa Monospace -fs 11 -e bash --norc
bg "$NS_LAPTOP" x11vnc x11vnc -display :71 -rfbport 5900 -nopw -forever -shared -norc -quiet -noipv6 -nossl -nocursorshape
wait_for 15 listening "$NS_LAPTOP" 5900

# SSH: one throwaway key for every party; sshd on the laptop and the relay.
mkdir -p "$WORK/ssh" /run/sshd
ssh-keygen -q -t ed25519 -N '' -C fwsc-host -f "$WORK/ssh/host_key"
ssh-keygen -q -t ed25519 -N '' -C operator@fwsc -f "$WORK/ssh/id_ed25519"
cp "$WORK/ssh/id_ed25519.pub" "$WORK/ssh/authorized_keys"
for who in laptop relay; do
  cat >"$WORK/ssh/sshd_$who.conf" <<EOF
Port 22
HostKey $WORK/ssh/host_key
PidFile $WORK/ssh/sshd_$who.pid
AuthorizedKeysFile $WORK/ssh/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
AllowTcpForwarding yes
GatewayPorts yes
EOF
done
bg "$NS_LAPTOP" sshd-laptop /usr/sbin/sshd -D -e -f "$WORK/ssh/sshd_laptop.conf"
bg "$NS_RELAY" sshd-relay /usr/sbin/sshd -D -e -f "$WORK/ssh/sshd_relay.conf"
cat >"$WORK/ssh/config" <<EOF
Host *
  User root
  IdentityFile $WORK/ssh/id_ed25519
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  LogLevel ERROR
  BatchMode yes
  ControlMaster no
  ServerAliveInterval 0
EOF
SSH=(ssh -F "$WORK/ssh/config")

# SOCKS5 relay (dante) and HTTP CONNECT relay (tinyproxy) on the relay host.
cat >"$WORK/danted.conf" <<EOF
logoutput: stderr
internal: $RELAY port = 1080
external: $RELAY
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 command: connect }
EOF
bg "$NS_RELAY" danted danted -f "$WORK/danted.conf" -p "$WORK/danted.pid"
cat >"$WORK/tinyproxy.conf" <<EOF
User nobody
Group nogroup
Port 8888
Listen $RELAY
Timeout 600
MaxClients 20
Allow 0.0.0.0/0
ConnectPort 5900
LogLevel Info
PidFile "$WORK/tinyproxy.pid"
EOF
chmod 644 "$WORK/tinyproxy.conf"
bg "$NS_RELAY" tinyproxy tinyproxy -d -c "$WORK/tinyproxy.conf"

# TURN relay (coturn) on the relay host, long-term credentials.
bg "$NS_RELAY" coturn turnserver -n --listening-ip="$RELAY" --relay-ip="$RELAY" --listening-port=3478 \
  --min-port=49160 --max-port=49200 --lt-cred-mech --user=agent:lab-secret --realm=lab.example \
  --fingerprint --no-tls --no-dtls --no-cli --log-file=stdout --simple-log
# WireGuard keys for the laptop and the far endpoint.
mkdir -p "$WORK/wg"
for who in laptop far; do (umask 077; wg genkey >"$WORK/wg/$who.key"); wg pubkey <"$WORK/wg/$who.key" >"$WORK/wg/$who.pub"; done

# Web: DNS, HTTPS near (Dallas) and far (Frankfurt), plain HTTP near.
mkdir -p "$WORK/www/static" "$WORK/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=lab.example" \
  -addext "subjectAltName=DNS:www.shop.lab.example,DNS:cdn.shop.lab.example,DNS:news.lab.example,DNS:intranet.lab.example" \
  -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
"$PY" - "$WORK/www" <<'PYEOF'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(7)
words = "sensor report quarter budget meeting travel policy team update office laptop shipping order invoice".split()
for i in range(1, 9):
    body = " ".join(rnd.choice(words) for _ in range(rnd.randrange(400, 3000)))
    links = "".join(f'<a href="/page{j}.html">page {j}</a> ' for j in range(1, 9))
    assets = "".join(f'<img src="/static/img{i}_{k}.bin">' for k in range(3))
    open(os.path.join(root, f"page{i}.html"), "w").write(
        f"<!doctype html><html><head><title>Page {i}</title><link rel=stylesheet href=/static/site.css>"
        f"<script src=/static/app.js></script></head><body><h1>Page {i}</h1>{links}{assets}<p>{body}</p></body></html>")
    for k in range(3):
        open(os.path.join(root, "static", f"img{i}_{k}.bin"), "wb").write(os.urandom(rnd.randrange(3000, 40000)))
open(os.path.join(root, "index.html"), "w").write("<!doctype html><title>Home</title><a href=/page1.html>start</a>")
open(os.path.join(root, "static", "site.css"), "w").write("body{font-family:sans-serif}\n" * 200)
open(os.path.join(root, "static", "app.js"), "w").write("console.log('app');\n" * 800)
open(os.path.join(root, "report.pdf"), "wb").write(os.urandom(900_000))
PYEOF
bg "$NS_WEB" dns "$PY" "$HERE/lab/dns_responder.py" --listen "$DNS" \
  --record "www.shop.lab.example=$WEB" --record "cdn.shop.lab.example=$WEB" \
  --record "intranet.lab.example=$WEB" --record "news.lab.example=$FARWEB"
bg "$NS_WEB" https-near "$PY" "$HERE/lab/tls_web_server.py" --bind "$WEB" --port 443 --root "$WORK/www" \
  --cert "$WORK/tls/cert.pem" --key "$WORK/tls/key.pem"
bg "$NS_WEB" https-far "$PY" "$HERE/lab/tls_web_server.py" --bind "$FARWEB" --port 443 --root "$WORK/www" \
  --cert "$WORK/tls/cert.pem" --key "$WORK/tls/key.pem"
bg "$NS_WEB" http-near "$PY" "$HERE/lab/tls_web_server.py" --bind "$WEB" --port 80 --root "$WORK/www"

wait_for 10 listening "$NS_LAPTOP" 22
wait_for 10 listening "$NS_RELAY" 22
wait_for 10 listening "$NS_RELAY" 1080
wait_for 10 listening "$NS_RELAY" 8888
wait_for 10 listening "$NS_WEB" 443
wait_for 10 listening "$NS_WEB" 80
wait_for 10 listening "$NS_WEB" 53
wait_for 10 listening "$NS_RELAY" 3478

# ------------------------------------------------------------------------------ helpers
# ping_pair FROM_NS FROM_LABEL TO_ADDR: append "from to min avg max" to $PINGS
ping_pair() {
  local out
  out=$(in_ns "$1" ping -n -q -c 10 -i 0.2 "$3" | tail -1)   # rtt min/avg/max/mdev = a/b/c/d ms
  [[ $out == *"min/avg/max"* ]] || die "ping $2 -> $3 failed"
  local nums=${out#*= }; nums=${nums% ms}
  IFS=/ read -r mn av mx _ <<<"$nums"
  printf '%s\t%s\t%s\t%s\t%s\n' "$2" "$3" "$mn" "$av" "$mx" >>"$PINGS"
  log "  ping $2 -> $3: min $mn avg $av ms"
}

# start_capture IFACE / stop_capture: tcpdump on the site router (the sensor)
start_capture() {
  CAP_IF=$1
  PCAP="$WORK/$SCEN.pcap"
  TCPDUMP_CMD="tcpdump -i $CAP_IF -n -U -s $SNAPLEN -w $SCEN.pcap  (in the site router's namespace)"
  ip netns exec "$NS_SITE" tcpdump -i "$CAP_IF" -n -U -Z root -s "$SNAPLEN" -w "$PCAP" \
    >"$WORK/$SCEN.tcpdump.out" 2>"$WORK/$SCEN.tcpdump.err" &
  TCPDUMP_PID=$!
  PIDS+=($TCPDUMP_PID)
  wait_for 10 grep -q "listening on" "$WORK/$SCEN.tcpdump.err"
  sleep 1
}
stop_capture() {
  sleep 1
  kill -INT "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" || true
}

# finish LOCAL_START < spec.json: write the sidecar, move the clock, copy both out
finish() {
  mkdir -p "$OUT_DIR"
  "$PY" "$HERE/lab/scenario_truth.py" --pcap "$PCAP" --name "$SCEN" --local-start "$1" \
    --pings "$PINGS" --tcpdump-command "$TCPDUMP_CMD" --tcpdump-stats "$WORK/$SCEN.tcpdump.err" \
    --out "$WORK/$SCEN.truth.json"
  cp "$PCAP" "$OUT_DIR/$SCEN.pcap"
  cp "$WORK/$SCEN.truth.json" "$OUT_DIR/$SCEN.truth.json"
  log "wrote $OUT_DIR/$SCEN.pcap ($(stat -c %s "$OUT_DIR/$SCEN.pcap") bytes) and $SCEN.truth.json"
}

# vnc_operator NS LOGNAME ARGS...: the scripted VNC viewer, must succeed
vnc_operator() {
  local ns=$1 name=$2; shift 2
  in_ns "$ns" "$PY" "$HERE/lab/rfb_operator.py" "$@" >"$WORK/$name.log" 2>&1 ||
    die "VNC operator failed: $(tail -3 "$WORK/$name.log" | tr '\n' ' ')"
  log "  $(tail -1 "$WORK/$name.log")"
}

# ssh_typist NS LOGNAME SSH-ARGS...: a person typing commands over ssh -tt, must succeed
ssh_typist() {
  local ns=$1 name=$2; shift 2
  in_ns "$ns" bash -c '"$0" "$1" --first-wait 4 | "${@:2}"' "$PY" "$HERE/lab/typist.py" "${SSH[@]}" -tt "$@" \
    >"$WORK/$name.log" 2>&1 || die "ssh session failed: $(tail -3 "$WORK/$name.log" | tr '\n' ' ')"
  # (terminal escapes such as bracketed-paste mode ESC[?2004l are stripped first)
  tr -d '\r' <"$WORK/$name.log" | sed -e 's/\x1b\[[?0-9;]*[a-zA-Z]//g' | grep -qx root || die "ssh session did not run whoami: $(tail -3 "$WORK/$name.log")"
}

SENSOR_WAN="the Dallas office's site router, egress link toward its ISP (tcpdump -s 512 on wan0); no NAT in the lab, so the laptop keeps its 10.20.0.10 address"
SENSOR_LAN="the Dallas office's site router, its port toward the laptop's segment (tcpdump -s 512 on lan0): the admin's traffic never reaches the egress link"
HOW_CTRL="NFQUEUE delayer (scripts/lab/nfq-delay.c) on the internet router: packets from and to the controller (203.0.113.0/24) held $D_CTRL ms each way"
HOW_RELAY="packets from and to the relay $RELAY held $D_RELAY ms each way"

# ------------------------------------------------------------------------------ scenarios
scenario_direct-far-vnc() {
  ping_pair "$NS_LAPTOP" "$LAPTOP" "$CTRL"
  start_capture wan0
  vnc_operator "$NS_CTRL" operator "$LAPTOP" 5900 --duration 50 --seed 11
  stop_capture
  finish 2025-03-11T02:37:00 <<EOF
{"description": "An operator in Shenyang (180 ms away) drives the Dallas laptop's desktop directly over VNC (x11vnc), typing into a terminal and moving the mouse.",
 "sensor": "$SENSOR_WAN",
 "roles": {"controlled": "$LAPTOP", "controller": "$CTRL", "relay": {"address": null, "kind": "none"}},
 "tools": ["vnc"],
 "injected": {"controller_rtt_ms": $((2 * D_CTRL)), "relay_rtt_ms": null, "how": "$HOW_CTRL; nothing else on the path is delayed"},
 "expected": {"finding": true, "severity_at_least": "medium", "severity_at_most": "high", "relay_kind": "none", "controller_rtt_ms": $((2 * D_CTRL))},
 "session": {"proto": "tcp", "orig_h": "$CTRL", "resp_h": "$LAPTOP", "resp_p": 5900, "far_side": "orig",
             "software": "x11vnc 0.9.16 on Xvfb+xterm (laptop); scripts/lab/rfb_operator.py, an RFB 3.8 viewer with scripted key/pointer events (controller)"}}
EOF
}

scenario_benign-lan-admin() {
  ping_pair "$NS_ADMIN" "$ADMIN" "$LAPTOP"
  start_capture lan0
  vnc_operator "$NS_ADMIN" operator "$LAPTOP" 5900 --duration 40 --seed 12
  stop_capture
  finish 2025-03-11T10:12:00 <<EOF
{"description": "The office's IT admin, on the IT VLAN of the same Dallas office (1 ms away), helps the laptop's user over VNC during office hours.",
 "sensor": "$SENSOR_LAN",
 "roles": {"controlled": "$LAPTOP", "controller": "$ADMIN", "relay": {"address": null, "kind": "none"}},
 "tools": ["vnc"],
 "injected": {"controller_rtt_ms": $(calc "2 * $D_IT"), "relay_rtt_ms": null, "how": "NFQUEUE delayer on the site router: packets from and to the IT VLAN 10.20.1.0/24 held $D_IT ms each way"},
 "expected": {"finding": false, "severity_at_most": "low"},
 "session": {"proto": "tcp", "orig_h": "$ADMIN", "resp_h": "$LAPTOP", "resp_p": 5900, "far_side": "orig",
             "software": "x11vnc 0.9.16 (laptop); scripts/lab/rfb_operator.py (admin)"}}
EOF
}

relay_vnc_scenario() { # $1 proxy option for rfb_operator, $2 relay kind, $3 local start, $4 what, $5 relay software
  ping_pair "$NS_LAPTOP" "$LAPTOP" "$RELAY"
  ping_pair "$NS_RELAY" "$RELAY" "$CTRL"
  start_capture wan0
  vnc_operator "$NS_CTRL" operator "$LAPTOP" 5900 --duration 50 --seed 13 "$1"
  stop_capture
  local rtt_via; rtt_via=$(calc "2 * ($D_RELAY + $D_RELAY + $D_CTRL)")
  finish "$3" <<EOF
{"description": "An operator in Shenyang drives the Dallas laptop over VNC through $4 on a Dallas server (5 ms from the office); the sensor sees only the relay.",
 "sensor": "$SENSOR_WAN",
 "roles": {"controlled": "$LAPTOP", "controller": null, "relay": {"address": "$RELAY", "kind": "$2"}},
 "tools": ["vnc"],
 "injected": {"controller_rtt_ms": $rtt_via, "relay_rtt_ms": $(calc "2 * $D_RELAY"), "how": "$HOW_CTRL; $HOW_RELAY: laptop-relay 5 ms, relay-controller 185 ms, so the laptop's data is answered after 190 ms"},
 "expected": {"finding": true, "severity_at_least": "medium", "severity_at_most": "high", "relay_kind": "$2", "controller_rtt_ms": $rtt_via},
 "hidden_controller": "$CTRL",
 "session": {"proto": "tcp", "orig_h": "$RELAY", "resp_h": "$LAPTOP", "resp_p": 5900, "far_side": "orig",
             "software": "x11vnc 0.9.16 (laptop); $5 (relay); scripts/lab/rfb_operator.py $1 (controller)"}}
EOF
}
scenario_socks-relay() {
  relay_vnc_scenario "--socks=$RELAY:1080" socks 2025-03-11T09:40:00 "a SOCKS5 proxy" "dante $(dpkg-query -W -f='${Version}' dante-server) :1080"
}
scenario_http-connect-relay() {
  relay_vnc_scenario "--http-connect=$RELAY:8888" http-connect 2025-03-12T21:15:00 "an HTTP proxy's CONNECT" "tinyproxy $(dpkg-query -W -f='${Version}' tinyproxy) :8888"
}

scenario_ordinary-web() {
  ping_pair "$NS_LAPTOP" "$LAPTOP" "$WEB"
  ping_pair "$NS_LAPTOP" "$LAPTOP" "$FARWEB"
  start_capture wan0
  in_ns "$NS_LAPTOP" env WORK="$WORK" bash -c '
    set -e
    C=(curl -sS --max-time 20 --cacert "$WORK/tls/cert.pem" -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null)
    page() { # host n: a page with its stylesheet, script and pictures on one keep-alive connection
      "${C[@]}" "https://$1/page$2.html" "https://$1/static/site.css" "https://$1/static/app.js" \
        "https://$1/static/img$2_0.bin" "https://$1/static/img$2_1.bin"
    }
    page www.shop.lab.example 1; sleep 4.2
    page www.shop.lab.example 2; sleep 2.7
    curl -sS --max-time 20 -o /dev/null http://intranet.lab.example/index.html; sleep 3.1
    page news.lab.example 3; sleep 6.5
    page news.lab.example 4; sleep 2.2
    page www.shop.lab.example 5; sleep 5.0
    curl -sS --max-time 30 --cacert "$WORK/tls/cert.pem" -o /dev/null https://news.lab.example/report.pdf; sleep 3.4
    page www.shop.lab.example 6; sleep 7.9
    page news.lab.example 7; sleep 3.3
    page www.shop.lab.example 8; sleep 2
  ' >"$WORK/browse.log" 2>&1 || die "browsing failed: $(tail -3 "$WORK/browse.log")"
  stop_capture
  finish 2025-03-11T11:20:00 <<EOF
{"description": "The laptop's user browses: DNS lookups, HTTPS pages with their assets from a Dallas shop and a Frankfurt news site (110 ms away), a 900 KB download, an intranet page over plain HTTP.",
 "sensor": "$SENSOR_WAN",
 "roles": {"controlled": "$LAPTOP", "controller": null, "relay": {"address": null, "kind": "none"}},
 "tools": ["dns", "http", "tls"],
 "injected": {"controller_rtt_ms": null, "relay_rtt_ms": null, "how": "NFQUEUE delayer on the internet router: Dallas web and DNS ($WEB, $DNS) held $D_WEB ms each way, Frankfurt ($FARWEB) held $D_FARWEB ms each way"},
 "expected": {"finding": false, "severity_at_most": "low"},
 "software": "curl $(curl --version | head -1 | cut -d' ' -f2) (laptop); Python http.server over TLS, scripts/lab/dns_responder.py (servers)"}
EOF
}

scenario_ssh-jump() {
  ping_pair "$NS_LAPTOP" "$LAPTOP" "$RELAY"
  ping_pair "$NS_RELAY" "$RELAY" "$CTRL"
  start_capture wan0
  ssh_typist "$NS_CTRL" session -J "root@$RELAY" "root@$LAPTOP"
  stop_capture
  local rtt_via; rtt_via=$(calc "2 * ($D_RELAY + $D_RELAY + $D_CTRL)")
  finish 2025-03-11T13:30:00 <<EOF
{"description": "An operator in Shenyang logs in to the Dallas laptop with ssh -J through a jump host in Dallas (5 ms from the office) and types commands; the sensor sees the jump host's SSH connection to the laptop.",
 "sensor": "$SENSOR_WAN",
 "roles": {"controlled": "$LAPTOP", "controller": null, "relay": {"address": "$RELAY", "kind": "ssh-jump"}},
 "tools": ["ssh"],
 "injected": {"controller_rtt_ms": $rtt_via, "relay_rtt_ms": $(calc "2 * $D_RELAY"), "how": "$HOW_CTRL; $HOW_RELAY"},
 "expected": {"finding": true, "severity_at_least": "medium", "severity_at_most": "high", "relay_kind": "ssh-jump", "controller_rtt_ms": $rtt_via},
 "hidden_controller": "$CTRL",
 "session": {"proto": "tcp", "orig_h": "$RELAY", "resp_h": "$LAPTOP", "resp_p": 22, "far_side": "orig",
             "software": "$(ssh -V 2>&1) (ssh -tt -J, driven by scripts/lab/typist.py); sshd on the laptop and the jump host"}}
EOF
}

scenario_ssh-reverse() {
  ping_pair "$NS_LAPTOP" "$LAPTOP" "$RELAY"
  ping_pair "$NS_RELAY" "$RELAY" "$CTRL"
  start_capture wan0
  # the laptop opens the tunnel out to the relay; the operator logs in through the relay's port 2222
  bg "$NS_LAPTOP" reverse-tunnel "${SSH[@]}" -N -o ExitOnForwardFailure=yes -R 2222:127.0.0.1:22 "root@$RELAY"
  local tunnel=${PIDS[-1]}
  wait_for 15 listening "$NS_RELAY" 2222
  sleep 2
  ssh_typist "$NS_CTRL" session -p 2222 "root@$RELAY"
  sleep 2
  kill "$tunnel"
  stop_capture
  local rtt_via; rtt_via=$(calc "2 * ($D_RELAY + $D_RELAY + $D_CTRL)")
  finish 2025-03-12T23:10:00 <<EOF
{"description": "The Dallas laptop keeps a reverse SSH tunnel (ssh -R 2222:127.0.0.1:22) open to a Dallas server; an operator in Shenyang logs in through it and types commands, so the session rides inside the laptop's own outbound SSH connection.",
 "sensor": "$SENSOR_WAN",
 "roles": {"controlled": "$LAPTOP", "controller": null, "relay": {"address": "$RELAY", "kind": "ssh-reverse"}},
 "tools": ["ssh"],
 "injected": {"controller_rtt_ms": $rtt_via, "relay_rtt_ms": $(calc "2 * $D_RELAY"), "how": "$HOW_CTRL; $HOW_RELAY"},
 "expected": {"finding": true, "severity_at_least": "medium", "severity_at_most": "high", "relay_kind": "ssh-reverse", "controller_rtt_ms": $rtt_via},
 "hidden_controller": "$CTRL",
 "session": {"proto": "tcp", "orig_h": "$LAPTOP", "resp_h": "$RELAY", "resp_p": 22, "far_side": "resp",
             "software": "$(ssh -V 2>&1): ssh -N -R on the laptop; ssh -tt -p 2222 driven by scripts/lab/typist.py on the controller"}}
EOF
}

scenario_turn-relay() {
  ping_pair "$NS_LAPTOP" "$LAPTOP" "$RELAY"
  ping_pair "$NS_RELAY" "$RELAY" "$CTRL"
  rm -f "$WORK/relayed.txt"
  bg "$NS_CTRL" turn-peer "$PY" "$HERE/lab/turn_bridge.py" peer --listen "$CTRL:40000" --tcp-listen 127.0.0.1:5901
  local peer=${PIDS[-1]}
  wait_for 10 listening "$NS_CTRL" 5901
  start_capture wan0
  bg "$NS_LAPTOP" turn-client "$PY" "$HERE/lab/turn_bridge.py" client --server "$RELAY:3478" \
    --user agent --password lab-secret --peer "$CTRL:40000" --service 127.0.0.1:5900 --relayed-file "$WORK/relayed.txt"
  local client=${PIDS[-1]}
  wait_for 15 test -s "$WORK/relayed.txt"
  vnc_operator "$NS_CTRL" operator 127.0.0.1 5901 --duration 50 --seed 14
  sleep 1
  kill "$client" "$peer" 2>/dev/null || true
  stop_capture
  local rtt_via; rtt_via=$(calc "2 * ($D_RELAY + $D_RELAY + $D_CTRL)")
  finish 2025-03-13T03:50:00 <<EOF
{"description": "The Dallas laptop's agent allocates a relay on a TURN server in Dallas (5 ms away) and carries a VNC session to an operator in Shenyang as ChannelData; the operator is only the TURN peer, never seen by the sensor.",
 "sensor": "$SENSOR_WAN",
 "roles": {"controlled": "$LAPTOP", "controller": null, "relay": {"address": "$RELAY", "kind": "turn"}},
 "tools": ["turn"],
 "injected": {"controller_rtt_ms": $rtt_via, "relay_rtt_ms": $(calc "2 * $D_RELAY"), "how": "$HOW_CTRL; $HOW_RELAY: laptop-TURN 5 ms, TURN-controller 185 ms"},
 "expected": {"finding": true, "severity_at_least": "medium", "severity_at_most": "high", "relay_kind": "turn", "controller_rtt_ms": $rtt_via},
 "hidden_controller": "$CTRL",
 "session": {"proto": "udp", "orig_h": "$LAPTOP", "resp_h": "$RELAY", "resp_p": 3478, "far_side": "resp",
             "inner": "VNC (RFB 3.8) from x11vnc, cut into ChannelData messages of at most 1200 bytes",
             "software": "coturn $(dpkg-query -W -f='${Version}' coturn) (relay); scripts/lab/turn_bridge.py client (laptop) and peer (controller); scripts/lab/rfb_operator.py (controller)"}}
EOF
}

scenario_vpn-wireguard() {
  ping_pair "$NS_LAPTOP" "$LAPTOP" "$VPN_EP"
  # (the kernel here has no WireGuard module; wireguard-go refuses to run on a kernel that could
  # have one unless told; the interface names differ because the UAPI sockets in
  # /var/run/wireguard are shared by all namespaces)
  # the far end answers from the VPN address (wireguard-go replies from the route's source)
  in_ns "$NS_CTRL" ip route replace default via "$INET_CTRL" src "$VPN_EP"
  bg "$NS_CTRL" wg-far env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go -f wgfar
  local far=${PIDS[-1]}
  bg "$NS_LAPTOP" wg-laptop env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go -f wglap
  local lap=${PIDS[-1]}
  wait_for 10 in_ns "$NS_CTRL" ip link show wgfar
  wait_for 10 in_ns "$NS_LAPTOP" ip link show wglap
  in_ns "$NS_CTRL" wg set wgfar private-key "$WORK/wg/far.key" listen-port 51820 \
    peer "$(cat "$WORK/wg/laptop.pub")" allowed-ips 10.99.0.2/32
  in_ns "$NS_CTRL" ip addr add 10.99.0.1/24 dev wgfar
  in_ns "$NS_CTRL" ip link set wgfar up
  in_ns "$NS_LAPTOP" ip addr add 10.99.0.2/24 dev wglap
  in_ns "$NS_LAPTOP" ip link set wglap up
  start_capture wan0
  in_ns "$NS_LAPTOP" wg set wglap private-key "$WORK/wg/laptop.key" listen-port 51821 \
    peer "$(cat "$WORK/wg/far.pub")" endpoint "$VPN_EP:51820" allowed-ips 10.99.0.1/32 persistent-keepalive 25
  wait_for 10 in_ns "$NS_LAPTOP" ping -c 1 -W 1 10.99.0.1
  sleep 2
  vnc_operator "$NS_CTRL" operator 10.99.0.2 5900 --duration 50 --seed 15
  stop_capture
  ping_pair "$NS_CTRL" 10.99.0.1 10.99.0.2
  kill "$far" "$lap" 2>/dev/null || true
  in_ns "$NS_CTRL" ip route replace default via "$INET_CTRL"
  finish 2025-03-14T10:05:00 <<EOF
{"description": "The Dallas laptop runs a WireGuard tunnel (wireguard-go) to an endpoint in Shenyang (180 ms away); the operator behind it drives the laptop over VNC inside the tunnel.",
 "sensor": "$SENSOR_WAN",
 "roles": {"controlled": "$LAPTOP", "controller": null, "relay": {"address": "$VPN_EP", "kind": "vpn"}},
 "tools": ["wireguard"],
 "injected": {"controller_rtt_ms": $((2 * D_CTRL)), "relay_rtt_ms": $((2 * D_CTRL)), "how": "$HOW_CTRL (the VPN endpoint $VPN_EP and the operator share that place)"},
 "expected": {"finding": true, "severity_at_least": "medium", "severity_at_most": "high", "relay_kind": "vpn", "controller_rtt_ms": $((2 * D_CTRL))},
 "hidden_controller": "10.99.0.1 (inside the tunnel)",
 "session": {"proto": "udp", "orig_h": "$LAPTOP", "resp_h": "$VPN_EP", "resp_p": 51820, "far_side": "resp",
             "inner": "VNC (RFB 3.8) from 10.99.0.1 to 10.99.0.2:5900, plus one ping that brings the tunnel up",
             "software": "wireguard-go $(wireguard-go --version | head -1 | cut -d' ' -f2) on both ends; x11vnc (laptop); scripts/lab/rfb_operator.py (controller)"}}
EOF
}

scenario_benign-nearby-worker() {
  ping_pair "$NS_LAPTOP" "$LAPTOP" "$WORKER"
  start_capture wan0
  vnc_operator "$NS_WORKER" operator "$LAPTOP" 5900 --duration 45 --seed 16
  stop_capture
  finish 2025-03-11T14:05:00 <<EOF
{"description": "An employee working from New York (40 ms away, same country) uses the Dallas office laptop over VNC in the afternoon.",
 "sensor": "$SENSOR_WAN",
 "roles": {"controlled": "$LAPTOP", "controller": "$WORKER", "relay": {"address": null, "kind": "none"}},
 "tools": ["vnc"],
 "injected": {"controller_rtt_ms": $((2 * D_WORKER)), "relay_rtt_ms": null, "how": "NFQUEUE delayer on the internet router: packets from and to $WORKER held $D_WORKER ms each way"},
 "expected": {"finding": false, "severity_at_most": "low"},
 "session": {"proto": "tcp", "orig_h": "$WORKER", "resp_h": "$LAPTOP", "resp_p": 5900, "far_side": "orig",
             "software": "x11vnc 0.9.16 (laptop); scripts/lab/rfb_operator.py (worker)"}}
EOF
}

scenario_rdp-far() {
  # xrdp on the laptop serves RDP in front of the laptop's own desktop: its libvnc module
  # attaches each session to the laptop's x11vnc over loopback (out of the sensor's sight),
  # so no login session (xrdp-sesman, Xorg) is needed. Security layer TLS (xrdp offers no
  # CredSSP/NLA as a server).
  mkdir -p "$WORK/rdp"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=laptop.lab.example" \
    -keyout "$WORK/rdp/key.pem" -out "$WORK/rdp/cert.pem" 2>/dev/null
  cat >"$WORK/rdp/xrdp.ini" <<EOF
[Globals]
ini_version=1
fork=false
port=tcp://:3389
tcp_nodelay=true
security_layer=tls
crypt_level=high
certificate=$WORK/rdp/cert.pem
key_file=$WORK/rdp/key.pem
ssl_protocols=TLSv1.2, TLSv1.3
autorun=laptop-desktop
allow_channels=true
max_bpp=16
use_fastpath=both
[Logging]
LogFile=$WORK/rdp/xrdp.log
LogLevel=INFO
EnableSyslog=false
[Channels]
rdpdr=false
rdpsnd=false
drdynvc=false
cliprdr=false
rail=false
xrdpvr=false
tcutils=false
[laptop-desktop]
name=laptop-desktop
lib=libvnc.so
username=na
password=ask
ip=127.0.0.1
port=5900
EOF
  bg "$NS_LAPTOP" xrdp xrdp -n -c "$WORK/rdp/xrdp.ini"
  local server=${PIDS[-1]}
  wait_for 10 listening "$NS_LAPTOP" 3389
  # the operator's own screen, on which FreeRDP's window opens and xdotool presses keys
  bg "$NS_CTRL" xvfb-ctrl Xvfb :72 -screen 0 1280x900x24 -nolisten tcp -nolisten unix
  local display=${PIDS[-1]}
  wait_for 10 in_ns "$NS_CTRL" env DISPLAY=:72 xdpyinfo
  ping_pair "$NS_LAPTOP" "$LAPTOP" "$CTRL"
  rm -f "$WORK/rdp/typed"
  start_capture wan0
  in_ns "$NS_CTRL" env DISPLAY=:72 HOME="$WORK/rdp" "$PY" "$HERE/lab/rdp_operator.py" "$LAPTOP" \
    --user operator --password lab --duration 30 --seed 17 --final-line "echo rdp-ok >$WORK/rdp/typed" \
    >"$WORK/rdp-operator.log" 2>&1 || die "RDP operator failed: $(tail -3 "$WORK/rdp-operator.log" | tr '\n' ' ')"
  stop_capture
  log "  $(tail -1 "$WORK/rdp-operator.log")"
  # the last line the operator typed ran in the laptop's terminal: the keystrokes crossed RDP
  wait_for 5 grep -qx rdp-ok "$WORK/rdp/typed"
  kill "$server" "$display" 2>/dev/null || true
  finish 2025-03-17T22:45:00 <<EOF
{"description": "An operator in Shenyang (180 ms away) drives the Dallas laptop's desktop directly over RDP (FreeRDP to xrdp, TLS), typing into a terminal and moving the mouse.",
 "sensor": "$SENSOR_WAN",
 "roles": {"controlled": "$LAPTOP", "controller": "$CTRL", "relay": {"address": null, "kind": "none"}},
 "tools": ["rdp"],
 "injected": {"controller_rtt_ms": $((2 * D_CTRL)), "relay_rtt_ms": null, "how": "$HOW_CTRL; nothing else on the path is delayed"},
 "expected": {"finding": true, "severity_at_least": "medium", "severity_at_most": "high", "relay_kind": "none", "controller_rtt_ms": $((2 * D_CTRL))},
 "session": {"proto": "tcp", "orig_h": "$CTRL", "resp_h": "$LAPTOP", "resp_p": 3389, "far_side": "orig",
             "inner": "RDP: X.224 with TLS negotiated, then MCS, licensing, capabilities and fast-path input and screen updates inside TLS",
             "software": "xrdp $(dpkg-query -W -f='${Version}' xrdp) on the laptop, its libvnc module showing the laptop's x11vnc desktop (Xvfb+xterm); FreeRDP $(dpkg-query -W -f='${Version}' freerdp2-x11) xfreerdp on an Xvfb at the controller, driven by scripts/lab/rdp_operator.py (xdotool key and pointer events)"}}
EOF
}

scenario_openvpn-relay() {
  # A tiny PKI (one CA, a certificate for the server and for each client) and an OpenVPN
  # server on the Dallas relay host; the laptop and the operator are both its clients, and
  # the server forwards between them (client-to-client).
  local d="$WORK/ovpn"
  mkdir -p "$d/ccd"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=lab VPN CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  local who
  for who in server laptop operator; do
    local usage=clientAuth; [ "$who" = server ] && usage=serverAuth
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
      -keyout "$d/$who.key" -out "$d/$who.csr" 2>/dev/null
    printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' "$usage" >"$d/$who.ext"
    openssl x509 -req -in "$d/$who.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
      -extfile "$d/$who.ext" -out "$d/$who.pem" 2>/dev/null
  done
  echo "ifconfig-push 10.98.0.10 255.255.255.0" >"$d/ccd/laptop"
  echo "ifconfig-push 10.98.0.50 255.255.255.0" >"$d/ccd/operator"
  cat >"$d/server.conf" <<EOF
dev tun
proto udp4
local $RELAY
port 1194
topology subnet
server 10.98.0.0 255.255.255.0
client-to-client
client-config-dir $d/ccd
ca $d/ca.pem
cert $d/server.pem
key $d/server.key
dh none
keepalive 10 60
disable-dco
verb 3
EOF
  for who in laptop operator; do
    cat >"$d/$who.conf" <<EOF
client
dev tun
proto udp4
remote $RELAY 1194
nobind
remote-cert-tls server
ca $d/ca.pem
cert $d/$who.pem
key $d/$who.key
disable-dco
verb 3
EOF
  done
  bg "$NS_RELAY" openvpn-server openvpn --config "$d/server.conf"
  local server=${PIDS[-1]}
  wait_for 10 listening "$NS_RELAY" 1194
  bg "$NS_CTRL" openvpn-operator openvpn --config "$d/operator.conf"
  local operator=${PIDS[-1]}
  wait_for 20 in_ns "$NS_CTRL" ping -c 1 -W 1 10.98.0.1
  ping_pair "$NS_LAPTOP" "$LAPTOP" "$RELAY"
  ping_pair "$NS_RELAY" "$RELAY" "$CTRL"
  start_capture wan0
  bg "$NS_LAPTOP" openvpn-laptop openvpn --config "$d/laptop.conf"
  local laptop=${PIDS[-1]}
  # (ping only once the tunnel has its address: before that a ping would leave by the default route)
  wait_for 20 in_ns "$NS_LAPTOP" sh -c 'ip -4 -o addr show | grep -q " 10.98.0.10/"'
  wait_for 20 in_ns "$NS_LAPTOP" ping -c 1 -W 1 10.98.0.1
  sleep 2
  vnc_operator "$NS_CTRL" operator 10.98.0.10 5900 --duration 50 --seed 18
  stop_capture
  ping_pair "$NS_CTRL" 10.98.0.50 10.98.0.10
  kill "$laptop" "$operator" "$server" 2>/dev/null || true
  local rtt_via; rtt_via=$(calc "2 * ($D_RELAY + $D_RELAY + $D_CTRL)")
  finish 2025-03-18T11:05:00 <<EOF
{"description": "The Dallas laptop joins an OpenVPN server in Dallas (5 ms away) that an operator in Shenyang has also joined; the operator drives the laptop over VNC inside the tunnel, so the sensor sees only the laptop's OpenVPN traffic to the nearby server.",
 "sensor": "$SENSOR_WAN",
 "roles": {"controlled": "$LAPTOP", "controller": null, "relay": {"address": "$RELAY", "kind": "vpn"}},
 "tools": ["openvpn"],
 "injected": {"controller_rtt_ms": $rtt_via, "relay_rtt_ms": $(calc "2 * $D_RELAY"), "how": "$HOW_CTRL; $HOW_RELAY: laptop-VPN server 5 ms, VPN server-operator 185 ms"},
 "expected": {"finding": true, "severity_at_least": "medium", "severity_at_most": "high", "relay_kind": "vpn", "controller_rtt_ms": $rtt_via},
 "hidden_controller": "10.98.0.50 inside the tunnel ($CTRL outside it, seen only by the VPN server)",
 "session": {"proto": "udp", "orig_h": "$LAPTOP", "resp_h": "$RELAY", "resp_p": 1194, "far_side": "resp",
             "inner": "VNC (RFB 3.8) from 10.98.0.50 to 10.98.0.10:5900, forwarded client-to-client by the server; OpenVPN in TLS mode: hard resets and a TLS handshake on the control channel, then P_DATA_V2 data packets (AES-256-GCM)",
             "software": "OpenVPN $(openvpn --version | head -1 | cut -d' ' -f2) (server on the relay host; clients on the laptop and at the operator), certificates from a CA made by the script; x11vnc (laptop); scripts/lab/rfb_operator.py (controller)"}}
EOF
}

# ------------------------------------------------------------------------------ run
for SCEN in "${SCENARIOS[@]}"; do
  log "scenario $SCEN"
  PINGS="$WORK/$SCEN.pings.tsv"
  : >"$PINGS"
  "scenario_$SCEN"
done
log "done: ${SCENARIOS[*]}"
