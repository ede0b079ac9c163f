#!/bin/bash
# tcp-gen end to end: c10m's generator opens, holds, uses (a rate of transactions,
# then a sweep over every connection, each echoed byte verified) and closes
#   1. COUNT connections to c10m's echo over net_memif (two processes);
#   2. the same with the generator in --pipeline mode, two workers (connections
#      owned by the pipeline's flow hash);
#   3. connections to the Linux kernel's TCP (tests/e2e/kernel_tcp_echo.py in a
#      namespace) over a veth, through AF_PACKET and through AF_XDP;
#   4. the same through net_tap, two queue pairs, --pipeline.
# Each run: the generator exits 0 by itself, its stats say every connection was
# established at once, swept and closed, nothing failed or mismatched; the server
# ends with no connection open and its mbufs back.
set -uo pipefail
C10M=${1:?usage: tcp_gen.sh /path/to/c10m [COUNT]}
COUNT=${2:-20000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/lib/netns.sh"
require_root
PY=/usr/bin/python3
EAL=(--no-pci --log-level=lib.eal:error --huge-unlink)

# gen_json OUT: the generator's final stats object's "gen" member, one line.
gen_field() {  # gen_field OUT KEY
    grep '"final":true' "$1" | tail -1 | "$PY" -c "import json,sys; print(json.loads(sys.stdin.read())['gen']['$2'])" 2>/dev/null
}
final_field() {  # final_field OUT PYEXPR (on the final stats object j)
    grep '"final":true' "$1" | tail -1 | "$PY" -c "import json,sys; j=json.loads(sys.stdin.read()); print($2)" 2>/dev/null
}

check_gen() {  # check_gen TAG OUT RC N
    local tag=$1 out=$2 rc=$3 n=$4
    echo "  $tag: $(grep '"final":true' "$out" | tail -1 | grep -oE '"gen":\{[^}]*\}[^}]*\}[^}]*\}' | cut -c1-400)"
    check "$tag: the generator exits 0 by itself" test "$rc" = 0
    check "$tag: $n held at once" test "$(gen_field "$out" peak_concurrent)" = "$n"
    check "$tag: every connection swept" test "$(gen_field "$out" sweep_ok)" = "$n"
    check "$tag: every connection closed" test "$(gen_field "$out" closed)" = "$n"
    check "$tag: nothing failed" test "$(gen_field "$out" failed_total)" = 0
    check "$tag: no echoed byte differed" test "$(gen_field "$out" mismatched_bytes)" = 0
    check "$tag: 64 bytes of state per connection" test "$(gen_field "$out" bytes_per_conn)" = 64
    # (after the ports closed: no more in use than they held once started)
    check "$tag: the generator's mbufs are back" \
        test "$(final_field "$out" "sum(max(0, p['in_use']-p['baseline']) for p in j['mempools'])")" = 0
}

# The kernel's side closed too: no socket left but the listener.
check_kernel_closed() {  # check_kernel_closed TAG NETNS
    local n=0 i
    for ((i = 0; i < 50; i++)); do
        n=$(ip netns exec "$2" ss -Htn state established '( sport = :7 )' | wc -l)
        [ "$n" = 0 ] && break
        sleep 0.2
    done
    check "$1: no connection left established in the kernel" test "$n" = 0
}

# ---------------------------------------------------------------- 1, 2: memif
# The generator is the memif server and exits first; the echo (memif client) then
# sees its peer go and goes on (the other way round crashed DPDK 22.11's memif rx).
memif_run() {  # memif_run TAG GEN_LCORES [GEN ARGS...]
    local tag=$1 lcores=$2
    shift 2
    local sock=$C10M_TMP/$tag.sock gout=$C10M_TMP/$tag.gen.out sout=$C10M_TMP/$tag.srv.out
    timeout -s INT 300 "$C10M" "${EAL[@]}" --lcores="$lcores" --file-prefix "c10m-gen-$tag-$$" \
        --vdev "net_memif0,role=server,id=0,socket=$sock,socket-abstract=no" -- \
        --forward-mode tcp-gen --ip 198.18.0.2/24 --gen-dst 198.18.0.1:5000-5009 \
        --gen-conns "$COUNT" --gen-hold 2 --gen-txn-rate 5000 --gen-sweep "$@" \
        --stats-format json --stats-period 1 >"$gout" 2>"$C10M_TMP/$tag.gen.err" &
    local gp=$!
    C10M_PIDS+=("$gp")
    for ((i = 0; i < 100; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
    timeout -s INT 300 "$C10M" "${EAL[@]}" --lcores=1@1 --file-prefix "c10m-echo-$tag-$$" \
        --vdev "net_memif0,role=client,id=0,socket=$sock,socket-abstract=no" -- \
        --forward-mode echo --ip 198.18.0.1/24 --tcp-port 5000-5009 \
        --max-flows $((COUNT + 1000)) --stats-format json --stats-period 1 \
        >"$sout" 2>"$C10M_TMP/$tag.srv.err" &
    local sp=$!
    C10M_PIDS+=("$sp")
    wait "$gp"
    local grc=$?
    check_gen "$tag" "$gout" "$grc" "$COUNT"
    grep -q "tcp-gen: done on every lcore" "$C10M_TMP/$tag.gen.err" ||
        tail -5 "$C10M_TMP/$tag.gen.err"
    # The server: every connection closed, nothing held, mbufs back.
    local active=
    for ((i = 0; i < 50; i++)); do
        active=$(grep '"tcp"' "$sout" | tail -1 | grep -oE '"active":[0-9]+' | cut -d: -f2)
        [ "$active" = 0 ] && break
        sleep 0.2
    done
    check "$tag: the echo has no connection left" test "$active" = 0
    kill -INT "$sp"
    wait "$sp"
    local src=$?
    check "$tag: the echo exits 0 (no leak) after its peer went" test "$src" = 0
    check "$tag: the echo closed $COUNT by FIN" \
        test "$(final_field "$sout" "sum(l['events']['tcp_conn_closed'] for l in j['lcores'])")" = "$COUNT"
}

memif_run memif 0@0
# Two workers and an rx lcore sharing the machine's cores: --pipeline's ownership.
# One tx queue, as the echo at the far end of the memif has one queue pair (a
# second queue would have no peer): the workers send through the rx lcore.
memif_run pipeline '0@0,1@0,2@1,3@1' --pipeline --rx-lcores 1 --txq 1
check "pipeline: both workers owned connections" \
    test "$(grep -c 'owns [1-9][0-9]* connections' "$C10M_TMP/pipeline.gen.err")" = 2
check "pipeline: no segment reached the wrong worker" \
    test "$(final_field "$C10M_TMP/pipeline.gen.out" "sum(l['drops']['gen_wrong_lcore'] for l in j['lcores'])")" = 0

# ---------------------------------------------------------------- 3: the kernel
KN=$((COUNT / 10))
SRV=c10m-gen-srv-$$
CLI=c10m-gen-cli-$$
netns_add "$SRV"
netns_add "$CLI"
veth_pair "$SRV" ksrv0 "$CLI" gcli0
ip -n "$SRV" addr add 198.18.9.1/24 dev ksrv0
ip netns exec "$SRV" sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=8192
ip netns exec "$SRV" timeout 200 "$PY" "$HERE/kernel_tcp_echo.py" --host 198.18.9.1 --port 7 \
    --duration 180 >"$C10M_TMP/kernel.json" 2>"$C10M_TMP/kernel.err" &
KP=$!
C10M_PIDS+=("$KP")
sleep 1
for pmd in af_packet af_xdp; do
    out=$C10M_TMP/kernel-$pmd.out
    ip netns exec "$CLI" timeout -s INT 200 "$C10M" --no-pci --in-memory -l 0 \
        --log-level=lib.eal:error --file-prefix "c10m-genk-$$" -- --iface gcli0 \
        --iface-pmd "$pmd" --forward-mode tcp-gen --ip 198.18.9.2/24 \
        --gen-dst 198.18.9.1:7 --gen-conns "$KN" --gen-hold 1 --gen-txn-rate 2000 --gen-sweep \
        --stats-format json --stats-period 1 >"$out" 2>"$C10M_TMP/kernel-$pmd.err"
    rc=$?
    check_gen "kernel ($pmd)" "$out" "$rc" "$KN"
    [ "$rc" = 0 ] || tail -5 "$C10M_TMP/kernel-$pmd.err"
    check_kernel_closed "kernel ($pmd)" "$SRV"
done
kill -INT "$KP" 2>/dev/null
wait "$KP" 2>/dev/null

# ---------------------------------------------------------------- 4: tap
# c10m's net_tap interface with the kernel's TCP behind it, in one namespace, two
# queue pairs, --pipeline: the rx lcore hands each answer to the worker the flow
# hash names. (Run to completion, index mod lcores, does not hold on a tap: tun
# steers a flow's packets to the queue we last sent it from, but records that only
# after our frame went up the stack, so the SYN-ACK to our SYN goes by a hash of
# its own: about half of them reached the other lcore.)
TAPNS=c10m-gen-tap-$$
TAPIF=gtap$$
netns_add "$TAPNS"
ip netns exec "$TAPNS" sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=8192 \
    net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$TAPNS" timeout 200 "$PY" "$HERE/kernel_tcp_echo.py" --host 0.0.0.0 --port 7 \
    --duration 180 >"$C10M_TMP/ktap.json" 2>"$C10M_TMP/ktap.err" &
KP=$!
C10M_PIDS+=("$KP")
tap_run() {  # tap_run TAG LCORES [ARGS...]
    local tag=$1 lcores=$2
    shift 2
    local out=$C10M_TMP/tap-$tag.out err=$C10M_TMP/tap-$tag.err
    ip netns exec "$TAPNS" timeout -s INT 200 "$C10M" --no-pci --in-memory --lcores="$lcores" \
        --log-level=lib.eal:error --file-prefix "c10m-gent-$$" --vdev "net_tap0,iface=$TAPIF" -- \
        --rxq 2 --forward-mode tcp-gen --ip 198.18.10.2/24 --gen-dst 198.18.10.1:7 \
        --gen-conns "$KN" --gen-hold 1 --gen-txn-rate 2000 --gen-sweep "$@" \
        --stats-format json --stats-period 1 >"$out" 2>"$err" &
    local gp=$!
    C10M_PIDS+=("$gp")
    # The tap interface exists once the port is up; the generator asks for the
    # server's MAC until the kernel has its address.
    if ! wait_for_log "$err" "tcp-gen: lcore 0 owns" 20; then
        check "tap ($tag): the generator started" false
        kill -INT "$gp" 2>/dev/null
        wait "$gp"
        return 1
    fi
    ip netns exec "$TAPNS" ethtool -K "$TAPIF" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "$TAPNS" addr add 198.18.10.1/24 dev "$TAPIF"
    ip -n "$TAPNS" link set "$TAPIF" up
    wait "$gp"
    local rc=$?
    check_gen "tap ($tag)" "$out" "$rc" "$KN"
    [ "$rc" = 0 ] || tail -5 "$err"
    check "tap ($tag): no segment reached an lcore that does not own it" \
        test "$(final_field "$out" "sum(l['drops']['gen_wrong_lcore'] for l in j['lcores'])")" = 0
    check "tap ($tag): both workers owned connections" \
        test "$(grep -c 'owns [1-9][0-9]* connections' "$err")" = 2
    check_kernel_closed "tap ($tag)" "$TAPNS"
}
tap_run pipeline 0@0,1@0,2@1,3@1 --pipeline --rx-lcores 1
kill -INT "$KP" 2>/dev/null
wait "$KP" 2>/dev/null

# ---------------------------------------------------------------- usage
"$C10M" --no-pci --in-memory -- --forward-mode tcp-gen --ip 198.18.0.2/24 \
    --gen-dst 198.18.0.1:7 --gen-conns 100000 >"$C10M_TMP/usage.out" 2>&1
rc=$?
check "more connections than tuples: exit 2" test "$rc" = 2
check "... with one line naming --gen-conns" \
    test "$(grep -c '^c10m: --gen-conns: expected at most 64512' "$C10M_TMP/usage.out")" = 1
finish
