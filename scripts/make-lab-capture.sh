#!/usr/bin/env bash
# make-lab-capture.sh — build captures/lab-basic.pcap and its ground-truth sidecar
# from real software talking between three private network namespaces.
#
#   sudo scripts/make-lab-capture.sh [OUT_DIR]        (default OUT_DIR: captures/)
#
# Topology (all addresses are documentation ranges, RFC 5737 / RFC 3849; no
# namespace has a route anywhere but to the others, so nothing leaves the box):
#
#   fwlab-laptop                fwlab-router                      fwlab-server
#   lap0 192.0.2.10/24  <-veth->  rlan 192.0.2.1/24   rsrv 198.51.100.1/24 <-veth-> srv0 198.51.100.20/24
#        2001:db8:0:1::10/64          2001:db8:0:1::1/64  2001:db8:0:2::1/64          2001:db8:0:2::20/64
#   (the sensor: tcpdump on lap0)  DNS on :53, drops 203.0.113.50   sshd :22, http.server :8080
#
# Packets from the server reach the sensor with TTL/hop limit 63, the router's with 64.
#
# Then, in this order, the laptop: looks names up (dig), pings v4, fetches pages over
# HTTP keep-alive and a 404, asks AAAA over IPv6, fetches a page over IPv6, pings v6,
# gets an NXDOMAIN, queries DNS on a host with no DNS (ICMP port unreachable), is
# refused on :443 (REJ), SYNs a blackholed address (S0), runs an interactive SSH
# session with key auth and human keystroke timing, and scp's a 200 KiB file.
#
# Every flow it means to make is written to a plan (expected conn_state and what it
# is); scripts/lab/make_truth.py then reads the capture through tshark and writes the
# sidecar, failing if the capture and the plan disagree.
#
# Needs root and: iproute2 iptables ethtool tcpdump tshark openssh-client
# openssh-server curl bind9-dnsutils iputils-ping python3 (Debian 12 package names).
# Namespaces, processes and the temp dir are removed on exit, also on failure
# (KEEP_WORK=1 keeps the temp dir, with every step's output, for debugging).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUT_DIR="${1:-$REPO/captures}"
CMDLINE="scripts/make-lab-capture.sh${1:+ $1}"
NAME="lab-basic"
SNAPLEN=512

NS_L=fwlab-laptop
NS_R=fwlab-router
NS_S=fwlab-server

L4=192.0.2.10;   R4L=192.0.2.1;   R4S=198.51.100.1;   S4=198.51.100.20
L6=2001:db8:0:1::10; R6L=2001:db8:0:1::1; R6S=2001:db8:0:2::1; S6=2001:db8:0:2::20
BLACKHOLE=203.0.113.50
PY=/usr/bin/python3

log() { printf '[make-lab-capture %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump, sshd)"
missing=()
for c in ip iptables ethtool tcpdump tshark ssh scp ssh-keygen /usr/sbin/sshd curl dig ping "$PY"; do
  command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
if [ "${#missing[@]}" -gt 0 ]; then
  die "missing: ${missing[*]} — install with: apt-get install -y iproute2 iptables ethtool tcpdump tshark openssh-client openssh-server curl bind9-dnsutils iputils-ping python3"
fi

# One run at a time (the namespace names are fixed).
exec 9>/run/fwlab-make-lab-capture.lock
flock -n 9 || die "another make-lab-capture.sh is running"

WORK="$(mktemp -d /tmp/fwlab.XXXXXX)"
PIDS=()

cleanup() {
  local rc=$?
  set +e
  # processes we started, by id; then anything still inside our own namespaces
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for ns in "$NS_L" "$NS_R" "$NS_S"; do
    if ip netns list | grep -qw "$ns"; then
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
      ip netns del "$ns" 2>/dev/null
    fi
  done
  if [ -n "${KEEP_WORK:-}" ]; then log "kept $WORK (KEEP_WORK set)"; else rm -rf "$WORK"; fi
  if [ "$rc" -ne 0 ]; then log "failed (exit $rc); namespaces and temp files removed"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Leftovers from a run that was killed hard (only our own, fixed names).
for ns in "$NS_L" "$NS_R" "$NS_S"; do
  if ip netns list | grep -qw "$ns"; then
    log "removing stale namespace $ns"
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns"
  fi
done

inl() { ip netns exec "$NS_L" "$@"; }
inr() { ip netns exec "$NS_R" "$@"; }
ins() { ip netns exec "$NS_S" "$@"; }

wait_for() { # wait_for SECONDS CMD... : poll until CMD succeeds
  local t=$1; shift
  local i
  for ((i = 0; i < t * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "timed out waiting for: $*"
}

# ---------------------------------------------------------------- topology
log "building namespaces"
for ns in "$NS_L" "$NS_R" "$NS_S"; do
  ip netns add "$ns"
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
    net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
done
ip link add lap0 netns "$NS_L" type veth peer name rlan netns "$NS_R"
ip link add rsrv netns "$NS_R" type veth peer name srv0 netns "$NS_S"

# Offloads off everywhere, so the sensor sees wire-sized segments with real checksums
# (veth would otherwise hand tcpdump 64 KB GSO super-packets and partial checksums).
while read -r ns dev; do
  ip netns exec "$ns" ethtool -K "$dev" tx off rx off tso off gso off gro off >/dev/null
done <<EOF
$NS_L lap0
$NS_R rlan
$NS_R rsrv
$NS_S srv0
EOF

inl ip addr add "$L4/24" dev lap0
inl ip addr add "$L6/64" dev lap0 nodad
inr ip addr add "$R4L/24" dev rlan
inr ip addr add "$R6L/64" dev rlan nodad
inr ip addr add "$R4S/24" dev rsrv
inr ip addr add "$R6S/64" dev rsrv nodad
ins ip addr add "$S4/24" dev srv0
ins ip addr add "$S6/64" dev srv0 nodad
inl ip link set lap0 up
inr ip link set rlan up
inr ip link set rsrv up
ins ip link set srv0 up
inl ip route add default via "$R4L"
inl ip -6 route add default via "$R6L"
ins ip route add default via "$R4S"
ins ip -6 route add default via "$R6S"
inr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
# The blackhole: the router silently drops anything for $BLACKHOLE before routing
# (no ICMP unreachable), so the laptop's SYN goes unanswered -> Zeek S0.
inr iptables -t raw -A PREROUTING -d "$BLACKHOLE" -j DROP
# Short SYN retries on the laptop, so the S0 flow is brief. (On kernel 6.18 with
# linear SYN timeouts this gives SYNs at ~0, ~1 and ~2 s and gives up at ~3 s.)
inl sysctl -qw net.ipv4.tcp_syn_retries=1

# ---------------------------------------------------------------- services
log "starting services"
mkdir -p "$WORK/www" "$WORK/upload" "$WORK/ssh"
cat >"$WORK/www/index.html" <<'HTML'
<!doctype html>
<html><head><meta charset="utf-8"><title>lab file server</title></head>
<body>
<h1>Lab file server</h1>
<p>Welcome to the lab segment. Shared notes and exports live here.</p>
<ul>
<li><a href="notes.txt">notes.txt</a> — meeting notes</li>
<li><a href="data.json">data.json</a> — sensor export</li>
</ul>
</body></html>
HTML
{
  echo "Meeting notes, week 24"
  for i in $(seq 1 40); do echo "- item $i: check the sensor on the laptop link, rotate the logs, note the flows"; done
} >"$WORK/www/notes.txt"
{
  echo '{"sensor":"lab-laptop","records":['
  for i in $(seq 1 60); do
    sep=','; [ "$i" = 60 ] && sep=''
    printf '  {"id":%d,"temp_c":%d.%d,"ok":true}%s\n' "$i" $((18 + i % 7)) $((i % 10)) "$sep"
  done
  echo ']}'
} >"$WORK/www/data.json"
# 200 KiB of incompressible bytes for the bulk copy
head -c 204800 /dev/urandom >"$WORK/report.bin"

# (started with `ip netns exec` directly, not through a shell function, so that $! is
# the server's own pid and the trap can end it)
ip netns exec "$NS_S" env -C "$WORK/www" "$PY" -m http.server --bind :: --protocol HTTP/1.1 8080 \
  >"$WORK/http.log" 2>&1 &
PIDS+=($!)

ip netns exec "$NS_R" "$PY" "$HERE/lab/dns_responder.py" --listen "$R4L" --listen "$R6L" >"$WORK/dns.log" 2>&1 &
PIDS+=($!)

ssh-keygen -q -t ed25519 -N '' -C fwlab-host -f "$WORK/ssh/ssh_host_ed25519_key"
ssh-keygen -q -t ed25519 -N '' -C analyst@fwlab-laptop -f "$WORK/ssh/id_ed25519"
cp "$WORK/ssh/id_ed25519.pub" "$WORK/ssh/authorized_keys"
mkdir -p /run/sshd
cat >"$WORK/ssh/sshd_config" <<EOF
ListenAddress 0.0.0.0
ListenAddress ::
Port 22
HostKey $WORK/ssh/ssh_host_ed25519_key
PidFile $WORK/ssh/sshd.pid
AuthorizedKeysFile $WORK/ssh/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
Subsystem sftp internal-sftp
EOF
ip netns exec "$NS_S" /usr/sbin/sshd -D -e -f "$WORK/ssh/sshd_config" >"$WORK/sshd.log" 2>&1 &
PIDS+=($!)

wait_for 10 sh -c "ip netns exec $NS_S ss -ltnH 'sport = :8080' | grep -q LISTEN"
wait_for 10 sh -c "ip netns exec $NS_S ss -ltnH 'sport = :22' | grep -q LISTEN"
wait_for 10 sh -c "ip netns exec $NS_R ss -lunH 'sport = :53' | grep -q ."

SSH_OPTS=(-F /dev/null -i "$WORK/ssh/id_ed25519" -o IdentitiesOnly=yes -o IdentityAgent=none
  -o UserKnownHostsFile="$WORK/ssh/known_hosts" -o StrictHostKeyChecking=accept-new
  -o PreferredAuthentications=publickey -o BatchMode=yes -o ControlMaster=no)

# Let link-up chatter (IPv6 MLD reports) finish before the sensor starts.
sleep 3

# ---------------------------------------------------------------- capture
PLAN="$WORK/plan.jsonl"
: >"$PLAN"
# expect PROTO ORIG_H RESP_H RESP_P CONN_STATE STEP WHAT...
#   for icmp: RESP_P is Zeek's resp_p (the counterpart type, or the code for errors)
#   and the ICMP type goes in ORIG_P via expect_icmp.
expect() {
  local proto=$1 oh=$2 rh=$3 rp=$4 st=$5 step=$6; shift 6
  printf '{"proto":"%s","orig_h":"%s","resp_h":"%s","resp_p":%s,"conn_state":"%s","step":"%s","what":"%s"}\n' \
    "$proto" "$oh" "$rh" "$rp" "$st" "$step" "$*" >>"$PLAN"
}
expect_icmp() {
  local oh=$1 op=$2 rh=$3 rp=$4 st=$5 step=$6; shift 6
  printf '{"proto":"icmp","orig_h":"%s","orig_p":%s,"resp_h":"%s","resp_p":%s,"conn_state":"%s","step":"%s","what":"%s"}\n' \
    "$oh" "$op" "$rh" "$rp" "$st" "$step" "$*" >>"$PLAN"
}
STEPS="$WORK/steps.log"
: >"$STEPS"
step() { # step NAME CMD... : run a step in the laptop namespace, log its command and exit code
  local name=$1; shift
  log "step $name: $*"
  local rc=0
  inl "$@" >>"$WORK/step-$name.out" 2>&1 || rc=$?
  printf '%s\t%s\t%s\n' "$name" "$rc" "$*" >>"$STEPS"
  return 0
}
pause() { sleep "$1"; }

PCAP_TMP="$WORK/$NAME.pcap"
log "starting tcpdump on $NS_L/lap0 (snaplen $SNAPLEN)"
ip netns exec "$NS_L" tcpdump -i lap0 -n -U -Z root -s "$SNAPLEN" -w "$PCAP_TMP" >"$WORK/tcpdump.out" 2>"$WORK/tcpdump.err" &
TCPDUMP_PID=$!
PIDS+=($TCPDUMP_PID)
wait_for 10 grep -q "listening on" "$WORK/tcpdump.err"
pause 1

# 1. DNS A over IPv4
expect udp "$L4" "$R4L" 53 SF dns-a "DNS A query files.lab.example, answered"
step dns-a dig +time=2 +tries=1 @"$R4L" files.lab.example A
pause 1

# 2. ping v4
expect_icmp "$L4" 8 "$S4" 0 OTH ping4 "ICMP echo request/reply x3 (ping)"
step ping4 ping -c 3 -i 1 "$S4"
pause 1

# 3. HTTP keep-alive: three pages on one connection
expect tcp "$L4" "$S4" 8080 SF http-keepalive "HTTP/1.1 keep-alive: GET / , /notes.txt , /data.json (200) on one connection"
step http-keepalive curl -sS -4 -o /dev/null -o /dev/null -o /dev/null \
  "http://$S4:8080/" "http://$S4:8080/notes.txt" "http://$S4:8080/data.json"
pause 2

# 4. HTTP 404
expect tcp "$L4" "$S4" 8080 SF http-404 "HTTP GET /missing.html -> 404"
step http-404 curl -sS -4 -o /dev/null "http://$S4:8080/missing.html"
pause 1

# 5. DNS AAAA over IPv6 transport
expect udp "$L6" "$R6L" 53 SF dns-aaaa-v6 "DNS AAAA query files.lab.example over IPv6, answered"
step dns-aaaa-v6 dig +time=2 +tries=1 @"$R6L" files.lab.example AAAA
pause 1

# 6. HTTP over IPv6
expect tcp "$L6" "$S6" 8080 SF http-v6 "HTTP GET / over IPv6 (200)"
step http-v6 curl -sS -6 -o /dev/null "http://[$S6]:8080/"
pause 1

# 7. ping v6
expect_icmp "$L6" 128 "$S6" 129 OTH ping6 "ICMPv6 echo request/reply x3 (ping -6)"
step ping6 ping -6 -c 3 -i 1 "$S6"
pause 1

# 8. DNS AAAA over IPv4, and an NXDOMAIN
expect udp "$L4" "$R4L" 53 SF dns-aaaa "DNS AAAA query ssh.lab.example over IPv4, answered"
step dns-aaaa dig +time=2 +tries=1 @"$R4L" ssh.lab.example AAAA
pause 1
expect udp "$L4" "$R4L" 53 SF dns-nxdomain "DNS A query nosuch.lab.example -> NXDOMAIN"
step dns-nxdomain dig +time=2 +tries=1 @"$R4L" nosuch.lab.example A
pause 1

# 9. DNS to a host with nothing on udp/53: ICMP port unreachable comes back
expect udp "$L4" "$S4" 53 S0 dns-closed "DNS query to a closed UDP port (no reply; ICMP port unreachable instead)"
expect_icmp "$S4" 3 "$L4" 3 OTH dns-closed "ICMP destination unreachable, port unreachable (type 3 code 3) for the closed-port DNS query"
step dns-closed dig +time=2 +tries=1 @"$S4" files.lab.example A
pause 1

# 10. connection refused
expect tcp "$L4" "$S4" 443 REJ refused "TCP SYN to closed port 443, answered by RST (connection refused)"
step refused curl -sS -4 --connect-timeout 5 "https://$S4/"
pause 1

# 11. blackholed SYN (dropped by the router's iptables raw table)
expect tcp "$L4" "$BLACKHOLE" 80 S0 blackhole "TCP SYN to a blackholed address, never answered (SYN retransmitted until the kernel gives up)"
step blackhole curl -sS -4 --connect-timeout 10 "http://$BLACKHOLE/"
pause 1

# 12. interactive SSH with key auth and human keystroke timing
expect tcp "$L4" "$S4" 22 SF ssh-interactive "interactive ssh session (key auth, typed commands, exit)"
log "step ssh-interactive: typist.py | ssh -tt root@$S4"
rc=0
inl bash -c '"$0" "$1" | ssh -tt "${@:2}"' "$PY" "$HERE/lab/typist.py" "${SSH_OPTS[@]}" "root@$S4" \
  >"$WORK/step-ssh-interactive.out" 2>&1 || rc=$?
printf '%s\t%s\t%s\n' ssh-interactive "$rc" "$PY scripts/lab/typist.py | ssh -tt ${SSH_OPTS[*]} root@$S4" >>"$STEPS"
pause 2

# 13. bulk copy
expect tcp "$L4" "$S4" 22 SF scp "scp upload of a 200 KiB file (bulk, SFTP protocol)"
step scp scp -q "${SSH_OPTS[@]}" "$WORK/report.bin" "root@$S4:$WORK/upload/report.bin"
pause 2

kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
log "tcpdump: $(tr '\n' ' ' <"$WORK/tcpdump.err")"

# ---------------------------------------------------------------- checks and sidecar
fail=0
while IFS=$'\t' read -r name rc cmd; do
  want=0
  case $name in dns-closed|refused|blackhole) want=nonzero ;; esac
  if { [ "$want" = 0 ] && [ "$rc" != 0 ]; } || { [ "$want" = nonzero ] && [ "$rc" = 0 ]; }; then
    log "step $name exited $rc (expected $want): $(tail -3 "$WORK/step-$name.out" | tr '\n' ' ')"
    fail=1
  fi
done <"$STEPS"
cmp -s "$WORK/report.bin" "$WORK/upload/report.bin" || { log "scp copy differs"; fail=1; }
# the interactive session really ran the typed commands
# (strip CRs and the terminal escapes bash sends, e.g. bracketed-paste mode ESC[?2004l)
tr -d '\r' <"$WORK/step-ssh-interactive.out" | sed -e 's/\x1b\[[?0-9;]*[a-zA-Z]//g' >"$WORK/ssh-session.txt"
grep -qx root "$WORK/ssh-session.txt" && grep -qxF "$(cat /etc/debian_version)" "$WORK/ssh-session.txt" ||
  { log "ssh session output lacks whoami/debian_version: $(tr -d '\r' <"$WORK/step-ssh-interactive.out" | tail -5 | tr '\n' ' ')"; fail=1; }
[ "$fail" = 0 ] || die "a step did not behave as planned"

mkdir -p "$OUT_DIR"
versions_json() {
  "$PY" - "$@" <<'PYEOF'
import json, subprocess, sys
def run(*cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return (p.stdout + p.stderr).strip().splitlines()
def deb(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return p.stdout.strip() or None
v = {
  "kernel": run("uname", "-r")[0],
  "os": "Debian " + open("/etc/debian_version").read().strip(),
  "tcpdump": run("tcpdump", "--version")[0], "libpcap": run("tcpdump", "--version")[1],
  "openssh": run("ssh", "-V")[0], "openssh_server_deb": deb("openssh-server"),
  "python": run("/usr/bin/python3", "--version")[0],
  "curl": run("curl", "--version")[0].split(" (")[0],
  "dig": run("dig", "-v")[0], "ping": run("ping", "-V")[0],
  "iptables": run("iptables", "--version")[0], "iproute2": run("ip", "-V")[0],
  "tshark": run("tshark", "--version")[0],
}
json.dump(v, sys.stdout)
PYEOF
}
versions_json >"$WORK/versions.json"
tcpdump_cmd="ip netns exec $NS_L tcpdump -i lap0 -n -U -Z root -s $SNAPLEN -w $NAME.pcap"
"$PY" "$HERE/lab/make_truth.py" \
  --pcap "$PCAP_TMP" --plan "$PLAN" --steps "$STEPS" --versions "$WORK/versions.json" \
  --tcpdump-stats "$WORK/tcpdump.err" --tcpdump-command "$tcpdump_cmd" \
  --command "$CMDLINE" --work "$WORK" --snaplen "$SNAPLEN" \
  --out "$WORK/$NAME.truth.json"
cp "$PCAP_TMP" "$OUT_DIR/$NAME.pcap"
cp "$WORK/$NAME.truth.json" "$OUT_DIR/$NAME.truth.json"
log "wrote $OUT_DIR/$NAME.pcap ($(stat -c %s "$OUT_DIR/$NAME.pcap") bytes) and $OUT_DIR/$NAME.truth.json"
