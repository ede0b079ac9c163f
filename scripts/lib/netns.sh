# Shared helpers for the shell tests: namespaces, veth pairs, bounded runs.
# Source it; it sets a trap that deletes what it created.

C10M_NS=()
C10M_PIDS=()
C10M_TMP=$(mktemp -d /tmp/c10m-test.XXXXXX)

c10m_cleanup() {
    local pid ns
    for pid in "${C10M_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${C10M_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    for ns in "${C10M_NS[@]}"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    [ -n "${C10M_KEEP:-}" ] || rm -rf "$C10M_TMP"  # C10M_KEEP=1 keeps the logs
}
trap c10m_cleanup EXIT

require_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "SKIP: needs root (network namespaces, AF_PACKET)"
        exit 77
    fi
}

# netns_add NAME: a namespace with only loopback up; deleted on exit.
netns_add() {
    ip netns add "$1"
    C10M_NS+=("$1")
    ip netns exec "$1" ip link set lo up
}

# veth_pair NS_A IF_A NS_B IF_B: a veth pair across two namespaces, up, with the
# offloads off that would hand AF_PACKET partial checksums or super-frames, and
# IPv6 off so the kernel stays quiet on the link.
veth_pair() {
    local na=$1 ia=$2 nb=$3 ib=$4
    ip link add "$ia" netns "$na" type veth peer name "$ib" netns "$nb"
    for side in "$na $ia" "$nb $ib"; do
        set -- $side
        ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
        ip netns exec "$1" ethtool -K "$2" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
        ip netns exec "$1" ip link set "$2" up
    done
}

# wait_for_log FILE PATTERN SECONDS
wait_for_log() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "timed out waiting for '$2' in $1:"
    cat "$1"
    return 1
}

# wait_for_file FILE SECONDS
wait_for_file() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        [ -e "$1" ] && return 0
        sleep 0.1
    done
    echo "timed out waiting for $1"
    return 1
}

FAILS=0
PASSES=0
check() {  # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then
        echo "ok   - $what"
        PASSES=$((PASSES + 1))
    else
        echo "FAIL - $what"
        FAILS=$((FAILS + 1))
    fi
}

finish() {
    echo "$PASSES checks passed, $FAILS failed"
    [ "$FAILS" = 0 ]
}


source "$(dirname "${BASH_SOURCE[0]}")/lcores.sh"
