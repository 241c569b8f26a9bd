#!/usr/bin/env bash
# make-starttls-fixtures.sh — captures/fixtures/tls/starttls.pcap: TLS that starts after a
# plaintext STARTTLS exchange, from real clients (Python's smtplib, imaplib, poplib and ftplib,
# `openssl s_client -starttls`, PostgreSQL's psql/libpq) against small servers that answer
# each protocol's request (scripts/lab/starttls_server.py), between two network namespaces,
# plus the near misses: refused requests and a session that only mentions STARTTLS.
#
#   sudo scripts/make-starttls-fixtures.sh [OUT_DIR]     (default: captures/fixtures/tls)
#
#   fwstls-c  stc0 198.51.100.20/24  (the clients; tcpdump here)  <-veth->  fwstls-s  sts0 198.51.100.1/24
#
# The connections, in order (`starttls` is the opener the sidecar expects, `tls` whether the
# server accepted it):
#   smtp          smtplib            :25    STARTTLS -> 220          SNI mail.lab.example
#   smtp-2525     s_client smtp      :2525  the same on a port no one reserves for SMTP
#   smtp-refused  smtplib            :587   STARTTLS -> 454, QUIT in the clear
#   smtp-plain    smtplib            :25    EHLO lists STARTTLS, a message in the clear whose
#                                           body has STARTTLS and 220 lines; never upgraded
#   imap          imaplib            :143   a STARTTLS -> a OK
#   imap-refused  imaplib            :143   a STARTTLS -> a NO, LOGOUT in the clear
#   pop3          poplib             :110   STLS -> +OK
#   ftp           ftplib FTP_TLS     :21    AUTH TLS -> 234, TLS 1.2 (certificates in the clear)
#   nntp          s_client nntp      :119   STARTTLS -> 382
#   managesieve   s_client sieve     :4190  STARTTLS -> OK
#   xmpp          s_client xmpp      :5222  <starttls/> -> <proceed/>
#   ldap          s_client ldap      :389   StartTLS extended request -> success
#   postgresql    psql sslmode=require        :5432  SSLRequest -> S
#   postgresql-refused psql sslmode=prefer    :5432  SSLRequest -> N, StartupMessage in the clear
#
# The sidecar (starttls.truth.json) lists every connection with its client address and what was
# built (scenario, starttls, tls, sni), and for each one tshark decodes TLS in, tshark's TLS
# values (JA3/JA3S, SNI, ALPN, certificates, JA4 computed from its fields: scripts/lab/tls_truth.py),
# never farmwatch's. tshark decodes STARTTLS on the protocols' standard ports; 2525 is decoded
# as SMTP on request.
#
# Needs root and: iproute2 ethtool tcpdump tshark openssl python3 postgresql-client
# (Debian 12 package names). Namespaces, processes and temp files go on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUT="${1:-$REPO/captures/fixtures/tls}"
PY=/usr/bin/python3
NC=fwstls-c; NS=fwstls-s
C4=198.51.100.20; S4=198.51.100.1

LAB_NAME=make-starttls-fixtures
LAB_NAMESPACES=("$NC" "$NS")
. "$HERE/lab/netns-lifecycle.sh"
. "$HERE/lab/netns-pair.sh"

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump)"
for c in ip ethtool tcpdump tshark openssl psql "$PY"; do
  command -v "$c" >/dev/null 2>&1 || die "missing $c — apt-get install -y iproute2 ethtool tcpdump tshark openssl python3 postgresql-client"
done

WORK="$(mktemp -d /tmp/fwstls.XXXXXX)"
lab_traps
drop_namespaces
mkdir -p "$OUT"
inc() { ip netns exec "$NC" "$@"; }

# --- Certificates: a CA and a server leaf with every lab name (RSA 2048).
cd "$WORK"
NAMES="mail relay imap pop ftp news sieve chat ldap db"
SAN=$(printf 'DNS:%s.lab.example,' $NAMES)
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
  -subj "/C=NL/O=Farmwatch Lab/CN=Farmwatch Lab STARTTLS CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
  -subj "/C=NL/O=Farmwatch Lab/OU=Mail/CN=mail.lab.example" 2>/dev/null
printf 'subjectAltName=%s\n' "${SAN%,}" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
  -extfile server.ext -out server.pem 2>/dev/null
cat server.pem ca.pem > chain.pem

# --- Namespaces, the servers, the sensor.
netns_pair "$NC" "$NS" stc0 sts0 "$C4/24" "$S4/24"
ip netns exec "$NS" "$PY" "$HERE/lab/starttls_server.py" "$S4" chain.pem server.key > server.log 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do grep -q listening server.log && break; sleep 0.1; done
grep -q listening server.log || die "the servers did not start: $(cat server.log)"
ip netns exec "$NC" tcpdump -i stc0 -U -s 0 -w "$WORK/starttls.pcap" tcp > tcpdump.log 2>&1 &
DUMP=$!
PIDS+=($DUMP)
sleep 1

SCENARIOS=()
# run NAME COMMAND...: one connection, recorded under NAME. psql exits non-zero by design (the
# server hangs up after the handshake or refuses the plaintext login): the sidecar step checks
# what tshark saw instead.
run() {
  local name=$1; shift
  log "$name"
  SCENARIOS+=("$name")
  inc timeout 20 "$@" >"$WORK/$name.log" 2>&1 </dev/null || true
  sleep 0.3
}
# The Python clients check their own outcome (accepted, refused, never asked).
client() {
  log "$1"
  SCENARIOS+=("$1")
  inc timeout 20 "$PY" "$HERE/lab/starttls_client.py" "$1" "$S4" ca.pem >"$WORK/$1.log" 2>&1 </dev/null \
    || die "$1: $(tail -3 "$WORK/$1.log")"
  sleep 0.3
}
s_client() {  # s_client NAME PROTOCOL PORT SERVERNAME [ARGS...]
  local name=$1 proto=$2 port=$3 sni=$4; shift 4
  log "$name"
  SCENARIOS+=("$name")
  echo Q | inc timeout 20 openssl s_client -starttls "$proto" -connect "$S4:$port" -servername "$sni" "$@" \
    >"$WORK/$name.log" 2>&1 || true
  sleep 0.3
}
psql_client() {  # psql_client NAME SSLMODE
  run "$1" env PGGSSENCMODE=disable PGCONNECT_TIMEOUT=5 \
    psql "host=db.lab.example hostaddr=$S4 port=5432 user=lab dbname=lab sslmode=$2" -c 'select 1'
}

client smtp
s_client smtp-2525 smtp 2525 relay.lab.example -name client.lab.example
client smtp-refused
client smtp-plain
client imap
client imap-refused
client pop3
client ftp
s_client nntp nntp 119 news.lab.example
s_client managesieve sieve 4190 sieve.lab.example
s_client xmpp xmpp 5222 chat.lab.example -xmpphost chat.lab.example
s_client ldap ldap 389 ldap.lab.example
psql_client postgresql require
psql_client postgresql-refused prefer

sleep 1
kill "$DUMP"
wait "$DUMP" 2>/dev/null || true
cp "$WORK/starttls.pcap" "$OUT/starttls.pcap"

# --- The sidecar: what was built, and tshark's TLS values where tshark decodes them.
"$PY" - "$OUT/starttls.pcap" "$HERE/lab" "${SCENARIOS[@]}" <<'EOF'
import subprocess, sys
path, lab, names = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.path.insert(0, lab)
import tls_truth

BUILT = {  # scenario -> (starttls opener, accepted, SNI the client sent)
    "smtp": ("smtp", True, "mail.lab.example"), "smtp-2525": ("smtp", True, "relay.lab.example"),
    "smtp-refused": ("smtp", False, None), "smtp-plain": (None, False, None),
    "imap": ("imap", True, "imap.lab.example"), "imap-refused": ("imap", False, None),
    "pop3": ("pop3", True, "pop.lab.example"), "ftp": ("ftp", True, "ftp.lab.example"),
    "nntp": ("nntp", True, "news.lab.example"), "managesieve": ("managesieve", True, "sieve.lab.example"),
    "xmpp": ("xmpp", True, "chat.lab.example"), "ldap": ("ldap", True, "ldap.lab.example"),
    "postgresql": ("postgresql", True, "db.lab.example"), "postgresql-refused": ("postgresql", False, None),
}
DECODE_AS = ["-d", "tcp.port==2525,smtp"]
syns = subprocess.run(["tshark", "-n", "-r", path, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0", "-T", "fields",
                       "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport"],
                      capture_output=True, text=True, check=True).stdout.split("\n")
syns = [l.split("\t") for l in syns if l]
assert len(syns) == len(names), "one connection per scenario: %d SYNs for %d scenarios" % (len(syns), len(names))
decoded = {f["client"]: f for f in tls_truth.flows(path, DECODE_AS)}
flows = []
for name, (src, sport, dst, dport) in zip(names, syns):
    opener, accepted, sni = BUILT[name]
    client = "%s:%s" % (src, sport)
    flow = {"scenario": name, "client": client, "server": "%s:%s" % (dst, dport),
            "starttls": opener, "tls": accepted, "sni": sni, "tshark_tls": client in decoded}
    if client in decoded:
        assert accepted and decoded[client]["server_name"] == sni, (name, decoded[client])
        flow.update({k: v for k, v in decoded[client].items() if k not in flow})
    else:
        assert not accepted or name in ("nntp", "managesieve"), "tshark finds no TLS in " + name
    flows.append(flow)
tls_truth.write_sidecar(path, "scripts/make-starttls-fixtures.sh", flows,
                        notes="scenario, starttls, tls and sni are what the generator built; the other fields are "
                              "tshark's (decode-as: %s) where tshark_tls, else absent. " % " ".join(DECODE_AS)
                              + tls_truth.NOTES)
EOF
log "done: $OUT/starttls.pcap"
