#!/usr/bin/env bash
# make-tunnel-fixtures.sh — build captures/fixtures/tunnels/{websocket,gateways}.pcap: protocols
# carried by HTTP upgrades and HTTP-borne relays, between two network namespaces, each with a
# NAME.truth.json sidecar listing every flow by its server port and what it carries by
# construction.
#
#   sudo scripts/make-tunnel-fixtures.sh [OUT_DIR]     (default: captures/fixtures/tunnels)
#
# Topology: fwt-client (10.77.3.1) -- veth -- fwt-server (10.77.3.2); tcpdump on the client's
# veth. Real software where Debian has it: Xvfb + x11vnc (VNC server on 127.0.0.1:5900 in the
# server namespace) behind websockify (:6080), driven by scripts/lab/rfb_operator.py through
# scripts/lab/gateway_lab.py ws-bridge, a WebSocket client (RFC 6455, masked binary frames), as
# noVNC does. Tailscale DERP and RD Gateway (no Debian package speaks them) are byte-exact
# exchanges from their public source and specification, cited in scripts/lab/gateway_lab.py,
# over real TCP. Near misses: a WebSocket chat (text frames spelling other protocols'
# openings), an h2c upgrade, and a POST whose body holds an RD Gateway request.
#
# Needs root and: ip tcpdump python3 Xvfb x11vnc websockify ethtool
# (Debian: apt-get install -y iproute2 tcpdump python3 xvfb x11vnc websockify ethtool).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lab/netns-pair.sh"
REPO="$(cd "$HERE/.." && pwd)"
OUT_DIR="${1:-$REPO/captures/fixtures/tunnels}"
CLI=fwt-client
SRV=fwt-server
LAB="$HERE/lab/gateway_lab.py"

log() { printf '[make-tunnel-fixtures] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump)"
for c in ip tcpdump python3 Xvfb x11vnc websockify ethtool; do
  command -v "$c" >/dev/null 2>&1 || die "missing $c"
done

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$CLI" 2>/dev/null || true
  ip netns del "$SRV" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$OUT_DIR"

netns_pair "$CLI" "$SRV" fwt-c0 fwt-s0 10.77.3.1/24 10.77.3.2/24

# --- Servers. --------------------------------------------------------------------------------
ip netns exec "$SRV" Xvfb :42 -screen 0 800x600x24 -nolisten tcp >/dev/null 2>&1 &
PIDS+=($!)
sleep 1
ip netns exec "$SRV" x11vnc -display :42 -localhost -rfbport 5900 -nopw -forever -quiet >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$SRV" websockify 10.77.3.2:6080 127.0.0.1:5900 >/dev/null 2>&1 &
PIDS+=($!)
serve() { ip netns exec "$SRV" python3 "$LAB" "$1" "$2" >/dev/null 2>&1 & PIDS+=($!); }
serve chat-server 8081
serve derp-server 8082
serve rdg-server 8083
serve h2c-server 8084
serve post-server 8085
ip netns exec "$CLI" python3 "$LAB" ws-bridge 15900 10.77.3.2 6080 /websockify >/dev/null 2>&1 &
PIDS+=($!)
sleep 3

capture() { # capture NAME: start tcpdump into OUT_DIR/NAME.pcap
  ip netns exec "$CLI" tcpdump -i fwt-c0 -s 0 -U -w "$OUT_DIR/$1.pcap" tcp 2>/dev/null &
  TCPDUMP=$!
  sleep 1
}
stop() { sleep 1; kill "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true; }
run() { ip netns exec "$CLI" "$@" >/dev/null 2>&1 || log "client failed: $*"; sleep 0.5; }

# --- websocket.pcap: VNC through websockify, and the near misses. ----------------------------
capture websocket
run python3 "$HERE/lab/rfb_operator.py" 127.0.0.1 15900 --duration 6
run python3 "$LAB" chat-client 10.77.3.2 8081
run python3 "$LAB" h2c-client 10.77.3.2 8084
run python3 "$LAB" post-client 10.77.3.2 8085
stop
cat >"$OUT_DIR/websocket.truth.json" <<'JSON'
{"generator": "scripts/make-tunnel-fixtures.sh",
 "flows": [
  {"server_port": 6080, "carries": "RFB 3.8 from x11vnc through websockify, WebSocket binary frames (client masked)", "protocols": ["http", "vnc"]},
  {"server_port": 8081, "carries": "WebSocket chat: text frames only (some spell RFB/SSH/DERP openings), ping, close", "protocols": ["http"]},
  {"server_port": 8084, "carries": "h2c upgrade answered 101, then HTTP/2 preface and SETTINGS", "protocols": ["http"]},
  {"server_port": 8085, "carries": "POST whose body is an RDG_OUT_DATA request and an MS-TSGU handshake", "protocols": ["http"]}
 ]}
JSON

# --- gateways.pcap: DERP and RD Gateway. ------------------------------------------------------
capture gateways
run python3 "$LAB" derp-client 10.77.3.2 8082 upgrade
run python3 "$LAB" derp-client 10.77.3.2 8082 fast-start
run python3 "$LAB" derp-client 10.77.3.2 8082 websocket
run python3 "$LAB" rdg-client 10.77.3.2 8083 http
run python3 "$LAB" rdg-client 10.77.3.2 8083 websocket
run python3 "$LAB" rdg-client 10.77.3.2 8083 connect
stop
cat >"$OUT_DIR/gateways.truth.json" <<'JSON'
{"generator": "scripts/make-tunnel-fixtures.sh",
 "flows_in_order": [
  {"server_port": 8082, "carries": "DERP: Upgrade: DERP, 101, FrameServerKey, ClientInfo, ServerInfo, SendPacket/KeepAlive", "protocols": ["http", "tailscale"]},
  {"server_port": 8082, "carries": "DERP with Derp-Fast-Start: 1 (no 101; frames follow the request)", "protocols": ["http", "tailscale"]},
  {"server_port": 8082, "carries": "DERP over WebSocket (subprotocol derp), frames in binary messages", "protocols": ["http", "tailscale"]},
  {"server_port": 8083, "carries": "RD Gateway HTTP transport: RDG_OUT_DATA channel", "protocols": ["http", "rdp"], "rdp_gateway": {"transport": "http", "channel": "out"}},
  {"server_port": 8083, "carries": "RD Gateway HTTP transport: RDG_IN_DATA channel, chunked MS-TSGU packets", "protocols": ["http", "rdp"], "rdp_gateway": {"transport": "http", "channel": "in"}},
  {"server_port": 8083, "carries": "RD Gateway WebSocket transport: MS-TSGU handshake, tunnel, channel to desk-17.corp.example:3389, data", "protocols": ["http", "rdp"], "rdp_gateway": {"transport": "websocket", "target": "desk-17.corp.example", "target_port": 3389}},
  {"server_port": 8083, "carries": "HTTP CONNECT, then the RDG_OUT_DATA channel inside it", "protocols": ["http-connect", "rdp"], "rdp_gateway": {"transport": "http", "channel": "out"}},
  {"server_port": 8083, "carries": "HTTP CONNECT, then the RDG_IN_DATA channel inside it", "protocols": ["http-connect", "rdp"], "rdp_gateway": {"transport": "http", "channel": "in"}}
 ]}
JSON
log "wrote $OUT_DIR/websocket.pcap and $OUT_DIR/gateways.pcap with their sidecars"
