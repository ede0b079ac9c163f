#!/bin/bash
# Self-test of the TCP test tools against the Linux kernel's TCP (not c10m):
# client ns --veth-- relay ns --veth-- server ns, 198.18.5.0/24, with
# tests/e2e/kernel_tcp_echo.py as the echo server and scripts/impair_relay.py
# carrying every frame between the two. First a clean relay: tcp_echo_check.py in
# each of its modes, and that it notices a server that corrupts one byte; then the
# relay dropping, reordering and duplicating client->server TCP frames, under which
# every byte must still come back. Needs root; about 30 s.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/lib/netns.sh"
require_root

PY=/usr/bin/python3
CHECK=$HERE/tcp_echo_check.py
RELAY=$ROOT/scripts/impair_relay.py
CLI=c10m-tt-cli-$$
RLY=c10m-tt-rly-$$
SRV=c10m-tt-srv-$$
CLI_IP=198.18.5.1
SRV_IP=198.18.5.2
T0=$SECONDS

for ns in "$CLI" "$RLY" "$SRV"; do
    netns_add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
veth_pair "$CLI" cli0 "$RLY" rc0
veth_pair "$SRV" srv0 "$RLY" rs0
for side in "$CLI cli0" "$RLY rc0" "$RLY rs0" "$SRV srv0"; do
    set -- $side
    ip -n "$1" link set dev "$2" mtu 1500
done
# One wire segment per frame even if something turned GSO back on.
if ip -n "$CLI" link set dev cli0 gso_max_segs 1 2>"$C10M_TMP/gso.err"; then
    echo "cli0: gso_max_segs 1"
else
    echo "cli0: gso_max_segs not settable ($(head -1 "$C10M_TMP/gso.err")); GSO is off anyway"
fi
ip -n "$CLI" addr add "$CLI_IP/24" dev cli0
ip -n "$CLI" addr add 198.18.5.11/24 dev cli0
ip -n "$CLI" addr add 198.18.5.12/24 dev cli0
ip -n "$SRV" addr add "$SRV_IP/24" dev srv0
# Thousands of short connections leave as many client ports in TIME_WAIT.
ip netns exec "$CLI" sysctl -qw net.ipv4.tcp_tw_reuse=1

# The kernel echo servers: an honest one on port 7, one flipping byte 5000 on port 8.
ip netns exec "$SRV" timeout 120 $PY "$HERE/kernel_tcp_echo.py" --host "$SRV_IP" --port 7 --duration 110 \
    >"$C10M_TMP/echo.out" 2>"$C10M_TMP/echo.err" &
ECHO_PID=$!
C10M_PIDS+=($!)
ip netns exec "$SRV" timeout 120 $PY "$HERE/kernel_tcp_echo.py" --host "$SRV_IP" --port 8 --duration 110 \
    --corrupt-at 5000 >"$C10M_TMP/corrupt.out" 2>"$C10M_TMP/corrupt.err" &
C10M_PIDS+=($!)
wait_for_log "$C10M_TMP/echo.err" listening 10 || exit 1
wait_for_log "$C10M_TMP/corrupt.err" listening 10 || exit 1

RELAY_PID=
RELAY_N=0
start_relay() {  # start_relay IMPAIRMENT-FLAGS...
    RELAY_N=$((RELAY_N + 1))
    RELAY_OUT=$C10M_TMP/relay$RELAY_N.out
    ip netns exec "$RLY" timeout 60 $PY "$RELAY" rc0 rs0 --impair-from rc0 --duration 50 "$@" \
        >"$RELAY_OUT" 2>"$C10M_TMP/relay$RELAY_N.err" &
    RELAY_PID=$!
    C10M_PIDS+=("$RELAY_PID")
    wait_for_log "$C10M_TMP/relay$RELAY_N.err" relaying 10 || exit 1
}
stop_relay() {  # prints the relay's counts
    kill -TERM "$RELAY_PID" 2>/dev/null
    wait "$RELAY_PID" 2>/dev/null
    echo "  relay: $(tail -1 "$RELAY_OUT")"
}

# client LABEL EXPECTED-EXIT ARGS...: run the checker in the client ns, bounded.
client() {
    local label=$1 want=$2 out rc
    shift 2
    out=$(ip netns exec "$CLI" timeout 45 $PY "$CHECK" --host "$SRV_IP" "$@")
    rc=$?
    echo "  $label: $out"
    LAST=$out
    check "$label exits $want" test "$rc" = "$want"
}
field() { $PY -c 'import json,sys; print(eval("j" + sys.argv[2], {"j": json.loads(sys.argv[1])}))' "$LAST" "$1"; }

echo "# clean relay"
start_relay
client "2000 x 4 KB, 200 in parallel" 0 --conns 2000 --bytes 4096 --parallel 200 --timeout 30
client "1 x 10 MB" 0 --conns 1 --bytes 10000000 --timeout 30
client "100 x 100 KB" 0 --conns 100 --bytes 100000 --timeout 30
client "1500 x 1 KB over 2 procs and 3 source addresses" 0 --conns 1500 --bytes 1024 --procs 2 \
    --source-ips "$CLI_IP,198.18.5.11,198.18.5.12" --timeout 30
client "pause reading 2 s with a small window" 0 --pause-read 2 --timeout 30
check "the send blocked during the pause" test "$(field '["pause"]["send_blocked"]')" = True
client "20 connections reset after 100 KB" 0 --conns 20 --reset-after 100000 --timeout 20
check "the server still echoes after the resets" test "$(field '["probe_ok"]')" = True
client "hold 1000 idle for 3 s over 2 procs" 0 --hold 1000 --hold-seconds 3 --procs 2 --timeout 30
check "all 1000 held connections answered" test "$(field '["answered"]')" = 1000
client "a server that flips byte 5000 is caught" 1 --port 8 --conns 3 --bytes 10000 --timeout 10
check "reported as a mismatch at byte 5000" bash -c "grep -q 'byte 5000 is' <<<'$(field '["first_error"]')'"
client "nothing listening on port 9" 1 --port 9 --conns 2 --timeout 5
stop_relay
MAXF=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["max_frame"])' "$RELAY_OUT")
check "every frame was one wire segment (largest $MAXF bytes)" test "${MAXF:-99999}" -le 1514

echo "# relay impairing client->server TCP: 2% loss, 10% reordered, 1% duplicated"
start_relay --loss 0.02 --reorder 0.10 --dup 0.01 --seed 7
client "1 x 1 MB through loss" 0 --conns 1 --bytes 1000000 --timeout 30
client "100 x 100 KB through loss" 0 --conns 100 --bytes 100000 --timeout 30
stop_relay
read -r DROPPED REORDERED DUPS < <($PY -c 'import json,sys; j=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(j["dropped"], j["reordered"], j["duplicated"])' "$RELAY_OUT")
check "the relay dropped ($DROPPED), reordered ($REORDERED) and duplicated ($DUPS) frames" \
    test "${DROPPED:-0}" -gt 0 -a "${REORDERED:-0}" -gt 0 -a "${DUPS:-0}" -gt 0

# GNU timeout passes a signal on twice (to its child, then to the child's group); a
# copy that landed while a tool wrote its summary cut it off (both TCP suites of one
# CI run failed on the relay's). A burst of SIGINTs must stop each tool once: exit 0,
# summary written.
signal_burst() {  # signal_burst PID: up to 400 SIGINTs, 0.2 ms apart, until it is gone
    $PY -c 'import os, signal, sys, time
for _ in range(400):
    try:
        os.kill(int(sys.argv[1]), signal.SIGINT)
    except ProcessLookupError:
        break
    time.sleep(0.0002)' "$1"
}
echo "# a burst of signals"
start_relay
signal_burst "$(pgrep -P "$RELAY_PID" | head -1)"
wait "$RELAY_PID"
rc=$?
check "the relay stops once, with its summary (exit $rc)" \
    bash -c "test $rc = 0 && grep -q '\"dropped\"' '$RELAY_OUT'"
signal_burst "$(pgrep -P "$ECHO_PID" | head -1)"
wait "$ECHO_PID"
rc=$?
check "the echo server stops once, with its summary (exit $rc)" \
    bash -c "test $rc = 0 && grep -q '\"accepted\"' '$C10M_TMP/echo.out'"

echo "runtime $((SECONDS - T0)) s"
finish
