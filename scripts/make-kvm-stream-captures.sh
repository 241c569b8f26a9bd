#!/usr/bin/env bash
# make-kvm-stream-captures.sh — real video streams (and near misses) made with ffmpeg, curl and
# Python between two network namespaces, for the IP-KVM video-stream shape (VideoStreamShape):
#
#   sudo scripts/make-kvm-stream-captures.sh [OUT_DIR]     (default: captures/fixtures/kvm)
#
#   fwkvm-view  view0 10.77.0.3/24  (the viewer: tcpdump here, snap length 128)
#      <-veth->
#   fwkvm-dev   dev0  10.77.0.2/24  (the device: ffmpeg / a web server)
#
# Captures (each with a .truth.json: which side, if any, sends a video stream):
#   stream-rtp-h264.pcap       ffmpeg sends a 30 frames/s H.264 test picture as RTP over UDP
#                              (what JetKVM's and PiKVM's Janus WebRTC video is underneath the
#                              SRTP), the viewer sends small acknowledgements back on the 5-tuple
#   stream-mjpeg-http.pcap     ffmpeg serves 30 frames/s MJPEG as multipart/x-mixed-replace over
#                              HTTP (what PiKVM's ustreamer /stream and TinyPilot serve), curl
#                              watches it
#   near-rtp-two-way.pcap      ffmpeg on both sides, each sending 30 frames/s H.264 to the other
#                              on one 5-tuple: a video call, media both ways
#
# (A download paced by curl --limit-rate was tried too: its pauses come and go with timing, so
# the one that looked like a clock — 6 short pauses a second — is kept as numbers in
# KVMTrafficShapeTests.testVideoStreamShape rather than as a capture.)
#
# Needs root and: iproute2 ethtool tcpdump ffmpeg curl python3. Namespaces, processes and temp
# files go on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUT="${1:-$REPO/captures/fixtures/kvm}"
NV=fwkvm-view; ND=fwkvm-dev
V4=10.77.0.3; D4=10.77.0.2
SECONDS_STREAMED=15

LAB_NAME=make-kvm-stream-captures
LAB_NAMESPACES=("$NV" "$ND")
. "$HERE/lab/netns-lifecycle.sh"

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump)"
for c in ip ethtool tcpdump ffmpeg curl python3; do
  command -v "$c" >/dev/null 2>&1 || die "missing $c — apt-get install -y iproute2 ethtool tcpdump ffmpeg curl python3"
done

WORK="$(mktemp -d /tmp/fwkvm.XXXXXX)"
lab_traps

inv() { ip netns exec "$NV" "$@"; }
ind() { ip netns exec "$ND" "$@"; }

drop_namespaces
for ns in "$NV" "$ND"; do
  ip netns add "$ns"
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip link add view0 netns "$NV" address 02:00:00:77:00:03 type veth peer name dev0 netns "$ND" address 02:00:00:77:00:02
inv ethtool -K view0 tx off rx off tso off gso off gro off >/dev/null
ind ethtool -K dev0 tx off rx off tso off gso off gro off >/dev/null
inv ip addr add "$V4/24" dev view0
ind ip addr add "$D4/24" dev dev0
inv ip link set view0 up
ind ip link set dev0 up
sleep 1

capture() {
  # Not through `inv`: a backgrounded function is a subshell, and killing it leaves tcpdump.
  ip netns exec "$NV" tcpdump -i view0 -U -s 128 -w "$OUT/$1.pcap" not arp and not icmp and not icmp6 \
    >"$WORK/tcpdump-$1.log" 2>&1 &
  TCPDUMP=$!
  sleep 1
}
stop_capture() {
  sleep 1
  kill "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true
}
truth() { # truth NAME SENDER WHAT
  printf '{\n  "made_by": "scripts/make-kvm-stream-captures.sh",\n  "what": "%s",\n  "video_stream_from": %s\n}\n' \
    "$3" "$2" >"$OUT/$1.truth.json"
}
# The test picture: a moving pattern with a clock, so every frame differs like a live screen.
PICTURE=(-re -f lavfi -i "testsrc2=size=1280x720:rate=30" -t "$SECONDS_STREAMED")
H264=(-c:v libx264 -preset ultrafast -tune zerolatency -g 60 -b:v 1200k -maxrate 1200k -bufsize 400k -pix_fmt yuv420p)
mkdir -p "$OUT"

# ---------------------------------------------------------------- stream-rtp-h264
log "stream-rtp-h264"
capture stream-rtp-h264
# The viewer answers each burst of media with a small acknowledgement, at most every 50 ms
# (RTCP feedback and input ride the same 5-tuple in WebRTC).
ip netns exec "$NV" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5004)); s.settimeout(5)
last = 0.0
try:
    while True:
        data, peer = s.recvfrom(2048)
        now = time.monotonic()
        if now - last >= 0.05:
            s.sendto(b"\x81\xc9\x00\x07" + bytes(28), peer); last = now
except socket.timeout:
    pass
' &
PIDS+=($!)
sleep 0.5
ind ffmpeg -loglevel error -nostdin "${PICTURE[@]}" "${H264[@]}" -f rtp "rtp://$V4:5004?localport=41000"
stop_capture
truth stream-rtp-h264 "\"$D4\"" "ffmpeg sends 30 frames/s H.264 over RTP/UDP; the viewer sends small acknowledgements back"

# ---------------------------------------------------------------- stream-mjpeg-http
log "stream-mjpeg-http"
capture stream-mjpeg-http
ip netns exec "$ND" ffmpeg -loglevel error -nostdin "${PICTURE[@]}" -vf scale=640:360 -c:v mjpeg -q:v 20 \
  -f mpjpeg -listen 1 "http://$D4:8080/stream" &
PIDS+=($!)
sleep 1
inv curl -s -o /dev/null --max-time $((SECONDS_STREAMED + 5)) "http://$D4:8080/stream" || true
stop_capture
truth stream-mjpeg-http "\"$D4\"" "ffmpeg serves 30 frames/s MJPEG over HTTP (multipart), curl watches it"

# ---------------------------------------------------------------- near-rtp-two-way
log "near-rtp-two-way"
capture near-rtp-two-way
ip netns exec "$ND" ffmpeg -loglevel error -nostdin "${PICTURE[@]}" "${H264[@]}" -f rtp "rtp://$V4:5006?localport=5006" &
PIDS+=($!)
inv ffmpeg -loglevel error -nostdin "${PICTURE[@]}" "${H264[@]}" -f rtp "rtp://$D4:5006?localport=5006"
sleep 1
stop_capture
truth near-rtp-two-way null "ffmpeg on both sides sends 30 frames/s H.264 to the other on one 5-tuple: a call"

log "done: $OUT"
