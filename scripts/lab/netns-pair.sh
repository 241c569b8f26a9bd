# Sourced by the fixture scripts: two network namespaces joined by one veth pair.
#
#   netns_pair NS_A NS_B IF_A IF_B ADDR_A/LEN ADDR_B/LEN
#
# Loopback is brought up in both, and the veth offloads are turned off so that a capture on
# the link shows segments as they would be on a wire (no 64 KB super-segments).
netns_pair() {
  local a=$1 b=$2 if_a=$3 if_b=$4 addr_a=$5 addr_b=$6
  ip netns add "$a"
  ip netns add "$b"
  ip link add "$if_a" type veth peer name "$if_b"
  ip link set "$if_a" netns "$a"
  ip link set "$if_b" netns "$b"
  ip -n "$a" addr add "$addr_a" dev "$if_a"
  ip -n "$b" addr add "$addr_b" dev "$if_b"
  for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
  ip -n "$a" link set "$if_a" up
  ip -n "$b" link set "$if_b" up
  ip netns exec "$a" ethtool -K "$if_a" tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec "$b" ethtool -K "$if_b" tso off gso off gro off >/dev/null 2>&1 || true
}
