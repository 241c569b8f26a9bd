#!/usr/bin/env bash
# make-catalogue-fixtures.sh — captures for the signature catalogue's families that have no
# real capture in any public corpus, made with real software between two private network
# namespaces; each with a .truth.json sidecar written here (what the test must find).
#
#   sudo scripts/make-catalogue-fixtures.sh [OUT_DIR]    (default: captures/fixtures/catalogue)
#
#   fwcat-lan  lan0 192.0.2.20/24  00:1b:21:0a:0b:0c   (the sensor: tcpdump here; dig, curl, dnsmasq for DHCP)
#      <-veth->
#   fwcat-dev  dev0 192.0.2.1/24   MAC per capture      (the far side: dnsmasq DNS, web servers, dhclient, avahi)
#
# Captures:
#   remote-tool-names.pcap  dig + curl (TLS, SNI) for names of remote-control tools and relays
#                           (Chrome Remote Desktop, Splashtop, ScreenConnect, Parsec, RustDesk,
#                           ZeroTier, Tailscale, ToDesk) and for near misses that only look alike
#   kvm-pikvm.pcap          a device with PiKVM's defaults: host name `pikvm` over DHCP, mDNS
#                           `_pikvm._tcp` with its TXT description, the web UI's title and its
#                           self-signed certificate /C=US/O=PiKVM/OU=PiKVM/CN=localhost, on a
#                           Raspberry Pi MAC (defaults from pikvm/os Makefile and pikvm/kvmd
#                           configs, as summarised in the developers' field notes §3.12)
#   kvm-near-miss.pcap      a plain Raspberry Pi (same OUI) named `raspberrypi` serving a
#                           Pi-hole page: not a KVM
#
# Needs root and: iproute2 ethtool tcpdump dnsmasq-base bind9-dnsutils isc-dhcp-client
# avahi-daemon curl openssl python3. Namespaces, processes and temp files go on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUT="${1:-$REPO/captures/fixtures/catalogue}"
PY=/usr/bin/python3
NL=fwcat-lan; ND=fwcat-dev
L4=192.0.2.20; D4=192.0.2.1; DNS4=192.0.2.53
LMAC=00:1b:21:0a:0b:0c

LAB_NAME=make-catalogue-fixtures
LAB_NAMESPACES=("$NL" "$ND")
. "$HERE/lab/netns-lifecycle.sh"

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump, daemons)"
for c in ip ethtool tcpdump dnsmasq dig dhclient avahi-daemon curl openssl unshare "$PY"; do
  command -v "$c" >/dev/null 2>&1 || die "missing $c — apt-get install -y iproute2 ethtool tcpdump dnsmasq-base bind9-dnsutils isc-dhcp-client avahi-daemon curl openssl python3"
done

WORK="$(mktemp -d /tmp/fwcat.XXXXXX)"
lab_traps

inl() { ip netns exec "$NL" "$@"; }
ind() { ip netns exec "$ND" "$@"; }

# topology DEVICE_MAC: a fresh pair of namespaces joined by one veth.
topology() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  PIDS=()
  drop_namespaces
  for ns in "$NL" "$ND"; do
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  done
  ip link add lan0 netns "$NL" address "$LMAC" type veth peer name dev0 netns "$ND" address "$1"
  inl ethtool -K lan0 tx off rx off tso off gso off gro off >/dev/null
  ind ethtool -K dev0 tx off rx off tso off gso off gro off >/dev/null
  inl ip addr add "$L4/24" dev lan0
  inl ip link set lan0 up
  ind ip link set dev0 up
  inl ip route add 224.0.0.0/4 dev lan0
  sleep 1
}
capture() {
  inl tcpdump -i lan0 -U -s 0 -w "$WORK/$1.pcap" not arp and not icmp6 >"$WORK/tcpdump-$1.log" 2>&1 &
  TCPDUMP=$!
  sleep 1
}
stop_capture() {
  sleep 1
  kill "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true
}
certificate() { # certificate NAME SUBJECT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "$2" -keyout "$WORK/$1.key" -out "$WORK/$1.pem" 2>/dev/null
}
web() { # web PORT TITLE [CERT]  (in the device namespace)
  if [ $# -ge 3 ]; then
    ind "$PY" "$HERE/catalogue/webserver.py" "$D4" "$1" "$2" "$WORK/$3.pem" "$WORK/$3.key" 1.2 &
  else
    ind "$PY" "$HERE/catalogue/webserver.py" "$D4" "$1" "$2" &
  fi
  PIDS+=($!)
}

# ---------------------------------------------------------------- remote-tool names
POSITIVE=(
  "remotedesktop.google.com chrome-remote-desktop"
  "my.splashtop.com splashtop"
  "instance-7k2q9d-relay.screenconnect.com screenconnect"
  "kessel-ws.parsec.app parsec"
  "rs-ny.rustdesk.com rustdesk"
  "my.zerotier.com zerotier"
  "controlplane.tailscale.com tailscale"
  "upgrade.todesk.com todesk"
  "assist.zoho.com zoho-assist"
  "secure.logmein.com logmein"
  "remoteassistance.support.services.microsoft.com quick-assist"
  "alt.meshcentral.com meshcentral"
  "sunlogin.oray.com sunlogin"
  "ultraviewer.net ultraviewer"
  "engage.cloudflareclient.com cloudflare-warp"
)
NEGATIVE=(
  "www.google.com"
  "notsplashtop.com"
  "screenconnect.com.cdn.example.net"
  "parsec.example.org"
  "rustdesk.example.net"
  "tailscale.example.com"
  "docs.zerotier-like.example"
  "www.zoho.com"
  "logmein.example.org"
  "support.microsoft.com"
  "meshcentral.example.net"
  "www.oray.example"
  "viewer.example.net"
  "www.cloudflare.com"
)
log "remote-tool-names"
topology 02:00:00:00:00:53
ind ip addr add "$D4/24" dev dev0
# The resolver has its own address, so that no answer names the resolver itself.
ind ip addr add "$DNS4/24" dev dev0
cat >"$WORK/dns.conf" <<EOF2
no-resolv
no-hosts
bind-interfaces
listen-address=$DNS4
user=root
address=/#/$D4
pid-file=$WORK/dnsmasq-dns.pid
EOF2
ind dnsmasq --keep-in-foreground -C "$WORK/dns.conf" &
PIDS+=($!)
certificate names "/CN=fixture-server"
web 443 "Fixture" names
sleep 1
capture remote-tool-names
for entry in "${POSITIVE[@]}" "${NEGATIVE[@]}"; do
  name="${entry%% *}"
  inl dig +tries=1 +time=2 @"$DNS4" "$name" A >/dev/null
  inl curl -sk --max-time 5 --resolve "$name:443:$D4" "https://$name/" >/dev/null
done
stop_capture
{
  printf '{\n  "made_by": "scripts/make-catalogue-fixtures.sh",\n  "what": "per name: a DNS question and a TLS connection with that SNI; family null = must not be recognised",\n  "names": [\n'
  sep=""
  for entry in "${POSITIVE[@]}"; do printf '%s    {"name": "%s", "family": "%s"}' "$sep" "${entry%% *}" "${entry##* }"; sep=$',\n'; done
  for entry in "${NEGATIVE[@]}"; do printf '%s    {"name": "%s", "family": null}' "$sep" "$entry"; sep=$',\n'; done
  printf '\n  ]\n}\n'
} >"$WORK/remote-tool-names.truth.json"

# ---------------------------------------------------------------- KVM-like devices
# device NAME MAC HOSTNAME SERVICE_XML_NAME SERVICE_TYPE TXT TITLE CERT_SUBJECT
device() {
  local name=$1 mac=$2 host=$3 instance=$4 stype=$5 txt=$6 title=$7 subject=$8
  log "$name"
  topology "$mac"
  cat >"$WORK/dhcp.conf" <<EOF2
no-resolv
no-hosts
bind-interfaces
interface=lan0
except-interface=lo
user=root
port=0
dhcp-range=192.0.2.1,192.0.2.1,255.255.255.0,1h
dhcp-authoritative
no-ping
dhcp-leasefile=$WORK/leases-$name
pid-file=$WORK/dnsmasq-dhcp.pid
EOF2
  capture "$name"
  inl dnsmasq --keep-in-foreground -C "$WORK/dhcp.conf" &
  PIDS+=($!)
  sleep 0.5
  printf 'send host-name "%s";\n' "$host" >"$WORK/dhclient.conf"
  # The device asks for an address with its default host name, then takes it.
  ind dhclient -1 -v -cf "$WORK/dhclient.conf" -lf "$WORK/dhclient.leases" -pf "$WORK/dhclient.pid" -sf /bin/true dev0 \
    >"$WORK/dhclient-$name.log" 2>&1
  ind ip addr add "$D4/24" dev dev0
  ind ip route add 224.0.0.0/4 dev dev0
  mkdir -p "$WORK/avahi-$name/services" "$WORK/avahi-$name/run"
  cat >"$WORK/avahi-$name/avahi-daemon.conf" <<EOF2
[server]
host-name=$host
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=dev0
enable-dbus=no
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
[reflector]
[rlimits]
EOF2
  cat >"$WORK/avahi-$name/services/device.service" <<EOF2
<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>$instance</name>
  <service><type>$stype</type><port>443</port><txt-record>$txt</txt-record></service>
</service-group>
EOF2
  ip netns exec "$ND" unshare -m sh -c "mount --bind '$WORK/avahi-$name/services' /etc/avahi/services && \
    mkdir -p /run/avahi-daemon && mount --bind '$WORK/avahi-$name/run' /run/avahi-daemon && \
    exec avahi-daemon -f '$WORK/avahi-$name/avahi-daemon.conf' --no-drop-root --no-chroot --no-rlimits" \
    >"$WORK/avahi-$name.log" 2>&1 &
  PIDS+=($!)
  certificate "$name" "$subject"
  web 80 "$title"
  web 443 "$title" "$name"
  sleep 6
  inl curl -s --max-time 5 "http://$D4/" >/dev/null
  inl curl -sk --max-time 5 --tls-max 1.2 "https://$D4/" >/dev/null
  stop_capture
}

device kvm-pikvm dc:a6:32:12:34:56 pikvm pikvm-1a2b3c4d _pikvm._tcp "description=PiKVM Web Server" \
  "PiKVM Login" "/C=US/O=PiKVM/OU=PiKVM/CN=localhost"
printf '{\n  "made_by": "scripts/make-catalogue-fixtures.sh",\n  "what": "a device with PiKVM defaults",\n  "device": {"mac": "dc:a6:32:12:34:56", "ip": "%s", "kvm": "PiKVM"}\n}\n' "$D4" \
  >"$WORK/kvm-pikvm.truth.json"
device kvm-near-miss dc:a6:32:12:34:57 raspberrypi pihole _http._tcp "path=/admin" \
  "Pi-hole Admin Console" "/C=US/O=Pi-hole/CN=pi.hole"
printf '{\n  "made_by": "scripts/make-catalogue-fixtures.sh",\n  "what": "a plain Raspberry Pi (same OUI as most PiKVMs) serving Pi-hole: not a KVM",\n  "device": {"mac": "dc:a6:32:12:34:57", "ip": "%s", "kvm": null}\n}\n' "$D4" \
  >"$WORK/kvm-near-miss.truth.json"

mkdir -p "$OUT"
for f in remote-tool-names kvm-pikvm kvm-near-miss; do
  cp "$WORK/$f.pcap" "$WORK/$f.truth.json" "$OUT/"
done
log "done: $OUT"
