#!/bin/bash
# --iface-pmd: auto picks AF_XDP where the interface takes an XDP program and says
# so; where it cannot (a veth whose peer's MTU is too large for XDP) auto falls back
# to AF_PACKET with a line saying why, and af_xdp alone fails with exit 1.
set -uo pipefail
C10M=${1:?usage: iface_pmd.sh /path/to/c10m}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/lib/netns.sh"
require_root

SRV=c10m-pmd-srv-$$
CLI=c10m-pmd-cli-$$
netns_add "$SRV"
netns_add "$CLI"
veth_pair "$SRV" srv0 "$CLI" cli0
ip -n "$CLI" addr add 198.18.0.2/24 dev cli0
EAL=(--no-pci --in-memory -l 0 --log-level=lib.eal:error)

run_echo() {  # run_echo LOG PMD: c10m for 3 s in echo mode, pinged meanwhile
    ip netns exec "$SRV" timeout -s INT 20 "$C10M" "${EAL[@]}" -- --iface srv0 ${2:+--iface-pmd $2} \
        --forward-mode echo --ip 198.18.0.1/24 --duration 3 --stats-period 0 >"$1.out" 2>"$1" &
    local pid=$!
    C10M_PIDS+=("$pid")
    wait_for_log "$1" "lcore 0 (socket" 20 >/dev/null || true
    ip netns exec "$CLI" ping -c 2 -i 0.2 -W 1 198.18.0.1 >"$1.ping" 2>&1
    wait "$pid"
}

run_echo "$C10M_TMP/auto" ""
check "auto on a plain veth: AF_XDP, and says so" bash -c \
    "grep -q -- '--iface srv0: AF_XDP (net_af_xdp)' '$C10M_TMP/auto' && grep -q 'took the XDP program' '$C10M_TMP/auto'"
check "  ... the port is net_af_xdp and answers ping" bash -c \
    "grep -q 'port 0 (net_af_xdp' '$C10M_TMP/auto' && grep -q ' 0% packet loss' '$C10M_TMP/auto.ping'"

# XDP on a veth needs the peer's MTU small enough for a page: 9000 makes the attach fail.
ip -n "$CLI" link set cli0 mtu 9000
run_echo "$C10M_TMP/fallback" ""
check "auto where XDP cannot attach: falls back to AF_PACKET, saying why" \
    grep -q -- "--iface srv0: AF_XDP unavailable (.*): falling back to AF_PACKET" "$C10M_TMP/fallback"
check "  ... the port is net_af_packet and answers ping" bash -c \
    "grep -q 'port 0 (net_af_packet' '$C10M_TMP/fallback' && grep -q ' 0% packet loss' '$C10M_TMP/fallback.ping'"
ip netns exec "$SRV" timeout 20 "$C10M" "${EAL[@]}" -- --iface srv0 --iface-pmd af_xdp --duration 1 \
    >/dev/null 2>"$C10M_TMP/forced"
RC=$?
check "--iface-pmd af_xdp where XDP cannot attach: exit 1 with a reason" bash -c \
    "test $RC = 1 && grep -q 'c10m: --iface: AF_XDP port net_af_xdp_c10m0 failed (veth: Peer MTU' '$C10M_TMP/forced'"
run_echo "$C10M_TMP/packet" af_packet
check "--iface-pmd af_packet: AF_PACKET, as asked" grep -q -- "--iface srv0: AF_PACKET (net_af_packet), as --iface-pmd asked" "$C10M_TMP/packet"
check "--iface-pmd without --iface is a usage error" bash -c \
    "'$C10M' ${EAL[*]} --vdev net_null0 -- --iface-pmd af_xdp 2>&1 >/dev/null | grep -q -- '--iface-pmd: expected only with --iface'; test \${PIPESTATUS[0]} = 2"
grep -h "AF_XDP unavailable" "$C10M_TMP/fallback" | sed 's/^/  /'
finish
