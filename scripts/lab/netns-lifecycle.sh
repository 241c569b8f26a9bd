# Sourced by the capture scripts that run daemons between network namespaces: log lines, a
# fatal error, and a cleanup that kills what was started and removes the namespaces and the
# work directory however the script ends (success, failure or a signal).
#
# The caller sets LAB_NAME (the log prefix) and LAB_NAMESPACES (the namespaces it makes)
# before sourcing, sets WORK (its temporary directory) and calls lab_traps, and appends the
# PID of each daemon it starts to PIDS.
log() { printf '[%s %s] %s\n' "$LAB_NAME" "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

PIDS=()
drop_namespaces() {
  for ns in "${LAB_NAMESPACES[@]}"; do
    if ip netns list | grep -qw "$ns"; then
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
}
lab_cleanup() {
  local rc=$?
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  drop_namespaces
  rm -rf "$WORK"
  [ "$rc" -ne 0 ] && log "failed (exit $rc); namespaces and temp files removed"
  exit "$rc"
}
lab_traps() {
  trap lab_cleanup EXIT
  trap 'exit 130' INT TERM HUP
}
