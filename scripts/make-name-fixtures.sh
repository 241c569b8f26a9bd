#!/usr/bin/env bash
# make-name-fixtures.sh — build the name-service fixtures in captures/fixtures/names/ from
# real software talking between two private network namespaces, each capture with a
# .truth.json sidecar written from tshark's dissection (scripts/names/truth.py).
#
#   sudo scripts/make-name-fixtures.sh [OUT_DIR]     (default: captures/fixtures/names)
#
#   fwnames-cli  cli0 192.0.2.20/24 2001:db8:1::20/64  00:1b:21:0a:0b:0c  (the sensor: tcpdump here)
#        <-veth->
#   fwnames-srv  srv0 192.0.2.1/24  2001:db8:1::1/64   02:00:00:00:00:53
#
# Documentation address ranges only (RFC 5737 / RFC 3849), no route out of the pair. The
# client's MAC uses a real vendor block (00:1b:21, Intel) so the device record shows an
# OUI lookup; the server's is locally administered.
#
# Captures:
#   dns-udp.pcap    dig → dnsmasq: A, AAAA, CNAME chain, PTR, TXT, SRV, HTTPS, NXDOMAIN, v6
#                   transport; then a TCP connection to an address just resolved
#   dns-tcp.pcap    dig +tcp, two queries on one connection
#   dns-hostile.pcap a query answered by malformed responses (compression pointer loops,
#                   truncated answers, absurd counts, RDLENGTH past the end), then a good one
#   dhcp.pcap       dhclient (host name, vendor class, FQDN) ↔ dnsmasq: DORA and RELEASE,
#                   then dhclient -6 ↔ dnsmasq DHCPv6: SOLICIT/ADVERTISE/REQUEST/REPLY
#   mdns.pcap       avahi-daemon probing and announcing a host name and two services, and a
#                   one-shot DNS-SD query from dig
#   lan-names.pcap  LLMNR query/answer, NBNS registration/query/answer, SSDP NOTIFY/M-SEARCH/200
#
# Needs root and: iproute2 ethtool tcpdump tshark dnsmasq-base bind9-dnsutils
# isc-dhcp-client avahi-daemon python3 (Debian 12 package names).
# Namespaces, processes and the temp dir are removed on exit, also on failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUT="${1:-$REPO/captures/fixtures/names}"
PY=/usr/bin/python3
NC=fwnames-cli
NS=fwnames-srv
C4=192.0.2.20; S4=192.0.2.1; C6=2001:db8:1::20; S6=2001:db8:1::1
CMAC=00:1b:21:0a:0b:0c; SMAC=02:00:00:00:00:53

log() { printf '[make-name-fixtures %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump, daemons)"
for c in ip ethtool tcpdump tshark dnsmasq dig dhclient avahi-daemon unshare "$PY"; do
  command -v "$c" >/dev/null 2>&1 || die "missing $c — apt-get install -y iproute2 ethtool tcpdump tshark dnsmasq-base bind9-dnsutils isc-dhcp-client avahi-daemon python3"
done

exec 9>/run/fwnames-make-name-fixtures.lock
flock -n 9 || die "another make-name-fixtures.sh is running"

WORK="$(mktemp -d /tmp/fwnames.XXXXXX)"
PIDS=()
cleanup() {
  local rc=$?
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for ns in "$NC" "$NS"; do
    if ip netns list | grep -qw "$ns"; then
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
      ip netns del "$ns" 2>/dev/null
    fi
  done
  rm -rf "$WORK"
  [ "$rc" -ne 0 ] && log "failed (exit $rc); namespaces and temp files removed"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for ns in "$NC" "$NS"; do
  if ip netns list | grep -qw "$ns"; then
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns"
  fi
done

inc() { ip netns exec "$NC" "$@"; }
ins() { ip netns exec "$NS" "$@"; }

# ---------------------------------------------------------------- topology
log "building namespaces"
for ns in "$NC" "$NS"; do
  ip netns add "$ns"
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add cli0 netns "$NC" address "$CMAC" type veth peer name srv0 netns "$NS" address "$SMAC"
inc ethtool -K cli0 tx off rx off tso off gso off gro off >/dev/null
ins ethtool -K srv0 tx off rx off tso off gso off gro off >/dev/null
inc ip addr add "$C4/24" dev cli0
inc ip addr add "$C6/64" dev cli0 nodad
ins ip addr add "$S4/24" dev srv0
ins ip addr add "$S6/64" dev srv0 nodad
inc ip link set cli0 up
ins ip link set srv0 up
inc ip route add default via "$S4"
ins ip route add 224.0.0.0/4 dev srv0
sleep 1

# ---------------------------------------------------------------- server
log "starting dnsmasq"
# HTTPS record for svc.fixture.example: priority 1, target ".", alpn=h2,h3, ipv4hint=192.0.2.10
HTTPS_RR=0001000001000602683202683300040004c000020a
cat >"$WORK/dnsmasq.conf" <<EOF
no-resolv
no-hosts
bind-interfaces
interface=srv0
except-interface=lo
user=root
local=/fixture.example/
host-record=host.fixture.example,192.0.2.10,2001:db8:1::10,300
host-record=gateway.fixture.example,$S4,300
cname=www.fixture.example,host.fixture.example,600
txt-record=host.fixture.example,"v=fixture1","second string"
srv-host=_sip._udp.fixture.example,host.fixture.example,5060,10,20
dns-rr=svc.fixture.example,65,$HTTPS_RR
dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,1h
dhcp-range=2001:db8:1::100,2001:db8:1::1ff,64,1h
dhcp-option=option:router,$S4
dhcp-leasefile=$WORK/leases
dhcp-authoritative
no-ping
pid-file=$WORK/dnsmasq.pid
log-facility=$WORK/dnsmasq.log
EOF
ip netns exec "$NS" dnsmasq --keep-in-foreground -C "$WORK/dnsmasq.conf" &
PIDS+=($!)
sleep 1

capture() { # capture NAME: start tcpdump on cli0 into $WORK/NAME.pcap
  ip netns exec "$NC" tcpdump -i cli0 -U -s 0 -w "$WORK/$1.pcap" not arp and not icmp6 >"$WORK/tcpdump-$1.log" 2>&1 &
  TCPDUMP=$!
  sleep 1
}
stop_capture() {
  sleep 1
  kill "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true
}

# ---------------------------------------------------------------- DNS over UDP
log "dns-udp"
capture dns-udp
for q in "host.fixture.example A" "host.fixture.example AAAA" "www.fixture.example A" "-x 192.0.2.10" \
         "host.fixture.example TXT" "_sip._udp.fixture.example SRV" "svc.fixture.example HTTPS" \
         "missing.fixture.example A"; do
  # shellcheck disable=SC2086
  inc dig +tries=1 +time=2 @"$S4" $q >/dev/null
done
inc dig +tries=1 +time=2 @"$S6" host.fixture.example AAAA >/dev/null
# A connection to an address an earlier answer gave (nothing listens: refused, which is
# enough for the flow to carry the name it was resolved from).
inc dig +tries=1 +time=2 @"$S4" gateway.fixture.example A >/dev/null
inc "$PY" -c "import socket; s = socket.socket(); s.settimeout(2); s.connect_ex(('$S4', 8080))"
stop_capture

# ---------------------------------------------------------------- DNS over TCP
log "dns-tcp"
capture dns-tcp
inc dig +tcp +keepopen +tries=1 +time=2 @"$S4" www.fixture.example A host.fixture.example AAAA >/dev/null
stop_capture

# ---------------------------------------------------------------- hostile DNS
log "dns-hostile"
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true; PIDS=()
capture dns-hostile
ip netns exec "$NS" "$PY" "$HERE/names/peers.py" hostile-server "$S4" >"$WORK/hostile-server.log" 2>&1 &
sleep 0.5
inc "$PY" "$HERE/names/peers.py" hostile-client "$S4"
stop_capture
ip netns exec "$NS" dnsmasq --keep-in-foreground -C "$WORK/dnsmasq.conf" &
PIDS+=($!)
sleep 1

# ---------------------------------------------------------------- DHCP and DHCPv6
log "dhcp"
cat >"$WORK/dhclient.conf" <<'EOF'
send host-name "fixture-laptop";
send vendor-class-identifier "farmwatch-fixture 1.0";
send fqdn.fqdn "fixture-laptop.fixture.example.";
send fqdn.encoded on;
request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name, ntp-servers;
EOF
cat >"$WORK/dhclient6.conf" <<'EOF'
send fqdn.fqdn "fixture-laptop.fixture.example.";
EOF
capture dhcp
# -sf /bin/true: the packets are what matter; nothing on the host is reconfigured.
inc dhclient -1 -v -cf "$WORK/dhclient.conf" -lf "$WORK/dhclient.leases" -pf "$WORK/dhclient.pid" -sf /bin/true cli0 \
  >"$WORK/dhclient.log" 2>&1
inc dhclient -r -v -cf "$WORK/dhclient.conf" -lf "$WORK/dhclient.leases" -pf "$WORK/dhclient.pid" -sf /bin/true cli0 \
  >>"$WORK/dhclient.log" 2>&1
inc timeout 20 dhclient -6 -1 -v -cf "$WORK/dhclient6.conf" -lf "$WORK/dhclient6.leases" -pf "$WORK/dhclient6.pid" \
  -sf /bin/true cli0 >"$WORK/dhclient6.log" 2>&1 || log "dhclient -6 gave no lease (see the capture)"
inc dhclient -6 -x -pf "$WORK/dhclient6.pid" cli0 >/dev/null 2>&1 || true
stop_capture

# ---------------------------------------------------------------- mDNS
log "mdns"
mkdir -p "$WORK/avahi/services" "$WORK/avahi/run"
cat >"$WORK/avahi/avahi-daemon.conf" <<'EOF'
[server]
host-name=fixture-printer
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=cli0
enable-dbus=no
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
publish-domain=no
[reflector]
[rlimits]
EOF
cat >"$WORK/avahi/services/fixture.service" <<'EOF'
<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>Fixture Printer</name>
  <service>
    <type>_ipp._tcp</type>
    <port>631</port>
    <txt-record>ty=Fixture LaserJet 9000</txt-record>
    <txt-record>rp=printers/fixture</txt-record>
  </service>
  <service>
    <type>_http._tcp</type>
    <port>8080</port>
    <txt-record>path=/</txt-record>
  </service>
</service-group>
EOF
capture mdns
# avahi-daemon reads fixed paths: give it its own /etc/avahi/services and /run/avahi-daemon
# in a private mount namespace, so nothing on the host changes.
ip netns exec "$NC" unshare -m sh -c "mount --bind '$WORK/avahi/services' /etc/avahi/services && \
  mkdir -p /run/avahi-daemon && mount --bind '$WORK/avahi/run' /run/avahi-daemon && \
  exec avahi-daemon -f '$WORK/avahi/avahi-daemon.conf' --no-drop-root --no-chroot --no-rlimits" \
  >"$WORK/avahi.log" 2>&1 &
AVAHI=$!
PIDS+=($AVAHI)
sleep 6
ins dig +tries=1 +time=3 -p 5353 @224.0.0.251 _ipp._tcp.local PTR >/dev/null || true
sleep 1
kill "$AVAHI"; wait "$AVAHI" 2>/dev/null || true
stop_capture

# ---------------------------------------------------------------- LLMNR, NBNS, SSDP
log "lan-names"
capture lan-names
ip netns exec "$NS" "$PY" "$HERE/names/peers.py" llmnr-responder "$S4" fixture-peer >"$WORK/llmnr.log" 2>&1 &
sleep 0.5
inc "$PY" "$HERE/names/peers.py" llmnr-query fixture-peer
ip netns exec "$NS" "$PY" "$HERE/names/peers.py" nbns-responder "$S4" fixture-peer >"$WORK/nbns.log" 2>&1 &
sleep 0.5
inc "$PY" "$HERE/names/peers.py" nbns-client "$C4" fixture-laptop fixture-peer
ip netns exec "$NS" "$PY" "$HERE/names/peers.py" ssdp-device "$S4" >"$WORK/ssdp.log" 2>&1 &
sleep 0.5
inc "$PY" "$HERE/names/peers.py" ssdp-search
stop_capture

# ---------------------------------------------------------------- output
mkdir -p "$OUT"
for f in dns-udp dns-tcp dns-hostile dhcp mdns lan-names; do
  cp "$WORK/$f.pcap" "$OUT/$f.pcap"
  "$PY" "$HERE/names/truth.py" "$OUT/$f.pcap"
done
log "done: $OUT"
