#!/usr/bin/env bash
# make-ssh-use-fixtures.sh — build captures/fixtures/ssh/ssh-{interactive,scp,tunnel,forward}.pcap
# from real OpenSSH between two network namespaces, one capture per way a session is used,
# each with a NAME.truth.json sidecar.
#
#   sudo scripts/make-ssh-use-fixtures.sh [OUT_DIR]     (default: captures/fixtures/ssh)
#
# Topology: namespace fws-client (10.77.2.1) -- veth -- fws-server (10.77.2.2), sshd on
# 10.77.2.2:22 (key authentication, throwaway keys), python3 -m http.server on the server's
# 127.0.0.1:8080. tcpdump records port 22 on the client's veth with a 512-byte snap length
# (the use is judged from packet sizes and timing on the wire; payloads past the banners are
# encrypted anyway).
#
#   ssh-interactive  `ssh -tt` driven through a pty by a script that types commands one key
#                    at a time with a person's pauses (80–300 ms between keys, seeded), waits
#                    for each command's output, then types `exit`.
#   ssh-scp          scp of a 1 MiB file from the server (a bulk copy).
#   ssh-tunnel       ssh -D (dynamic forwarding) carrying curl --socks5-hostname fetches of
#                    twelve pages (8–96 KiB) from the server's web server, with pauses.
#   ssh-forward      ssh -L (a local port forward) carrying the same fetches.
#
# The sidecar states the use by construction and tshark's SSH banners for the connection.
#
# Needs root and: ip tcpdump tshark sshd ssh scp ssh-keygen curl python3 ethtool
# (Debian: apt-get install -y iproute2 tcpdump tshark openssh-server openssh-client curl python3 ethtool).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lab/netns-pair.sh"
REPO="$(cd "$HERE/.." && pwd)"
OUT_DIR="${1:-$REPO/captures/fixtures/ssh}"
CLI=fws-client
SRV=fws-server

log() { printf '[make-ssh-use-fixtures] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump)"
for c in ip tcpdump tshark /usr/sbin/sshd ssh scp ssh-keygen curl python3 ethtool; do
  command -v "$c" >/dev/null 2>&1 || die "missing $c"
done

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$CLI" 2>/dev/null || true
  ip netns del "$SRV" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$OUT_DIR"
chmod 755 "$WORK"

netns_pair "$CLI" "$SRV" fws-c0 fws-s0 10.77.2.1/24 10.77.2.2/24

# --- The server: sshd with throwaway keys, and a web server for the tunnels to reach. ------
ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/client_key"
cat >"$WORK/sshd_config" <<EOF
ListenAddress 10.77.2.2:22
HostKey $WORK/host_key
PermitRootLogin prohibit-password
AuthorizedKeysFile $WORK/client_key.pub
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
Subsystem sftp /usr/lib/openssh/sftp-server
PidFile $WORK/sshd.pid
StrictModes no
EOF
mkdir -p /run/sshd
ip netns exec "$SRV" /usr/sbin/sshd -D -f "$WORK/sshd_config" &
PIDS+=($!)

mkdir -p "$WORK/www"
python3 - "$WORK/www" <<'EOF'
import os, random, sys
rng = random.Random(7)
for i in range(12):
    size = rng.choice([8, 16, 24, 48, 64, 96]) * 1024
    # Compressible-looking text would still be encrypted by SSH; random bytes keep sizes honest.
    open(os.path.join(sys.argv[1], f"page{i}.bin"), "wb").write(rng.randbytes(size))
EOF
(cd "$WORK/www" && exec ip netns exec "$SRV" python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1) &
PIDS+=($!)
head -c $((1024 * 1024)) /dev/urandom >"$WORK/bulk.bin"
sleep 1

SSH_OPTS=(-F /dev/null -i "$WORK/client_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes)

capture_start() { # NAME
  PCAP="$OUT_DIR/$1.pcap"
  ip netns exec "$CLI" tcpdump -i fws-c0 -s 512 -U -w "$PCAP" tcp port 22 2>/dev/null &
  TCPDUMP=$!
  sleep 1
}
capture_stop() { # NAME USE
  sleep 1
  kill "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true
  python3 - "$PCAP" "$2" >"${PCAP%.pcap}.truth.json" <<'EOF'
import json, subprocess, sys
pcap, use = sys.argv[1], sys.argv[2]
out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "ssh.protocol", "-T", "fields", "-e", "tcp.srcport",
                      "-e", "ssh.protocol"], capture_output=True, text=True, check=True).stdout
banners = {}
for line in out.splitlines():
    port, proto = line.split("\t")
    banners["server" if port == "22" else "client"] = proto
json.dump({"generator": "scripts/make-ssh-use-fixtures.sh", "use_by_construction": use, "tshark": banners},
          sys.stdout, indent=1)
print()
EOF
  log "wrote $PCAP"
}

# --- Interactive: a person typing, through a pty. -----------------------------------------
capture_start ssh-interactive
python3 - "${SSH_OPTS[@]}" <<'EOF'
import os, pty, random, select, sys, time
rng = random.Random(42)
pid, fd = pty.fork()
if pid == 0:
    os.execvp("ip", ["ip", "netns", "exec", "fws-client", "ssh", "-tt"] + sys.argv[1:] + ["root@10.77.2.2"])

def drain(seconds):
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if r:
            try:
                os.read(fd, 4096)
            except OSError:
                return

drain(3)
for command in ["ls -la /", "echo typing like a person", "uname -a", "cat /etc/hostname", "date", "ps", "exit"]:
    for ch in command + "\r":
        os.write(fd, ch.encode())
        drain(rng.uniform(0.08, 0.30))
    drain(1.0)
os.waitpid(pid, 0)
EOF
capture_stop ssh-interactive interactive

# --- Bulk: scp of a file. -----------------------------------------------------------------
capture_start ssh-scp
ip netns exec "$CLI" scp -q "${SSH_OPTS[@]}" "root@10.77.2.2:$WORK/bulk.bin" "$WORK/copy.bin"
capture_stop ssh-scp bulk

# --- Tunnels: ssh -D and ssh -L carrying web fetches. -------------------------------------
fetch_pages() { # URL_PREFIX CURL_ARGS...
  local prefix="$1"; shift
  for i in $(seq 0 11); do
    ip netns exec "$CLI" curl -sS --max-time 10 -o /dev/null "$@" "$prefix/page$i.bin" || true
    sleep 0.3
  done
}

capture_start ssh-tunnel
ip netns exec "$CLI" ssh "${SSH_OPTS[@]}" -N -D 127.0.0.1:1081 root@10.77.2.2 &
SSHPID=$!
sleep 2
fetch_pages http://127.0.0.1:8080 --socks5-hostname 127.0.0.1:1081
kill "$SSHPID"; wait "$SSHPID" 2>/dev/null || true
capture_stop ssh-tunnel tunnel

capture_start ssh-forward
ip netns exec "$CLI" ssh "${SSH_OPTS[@]}" -N -L 127.0.0.1:18080:127.0.0.1:8080 root@10.77.2.2 &
SSHPID=$!
sleep 2
fetch_pages http://127.0.0.1:18080
kill "$SSHPID"; wait "$SSHPID" 2>/dev/null || true
capture_stop ssh-forward tunnel
