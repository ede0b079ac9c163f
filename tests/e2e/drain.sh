#!/bin/bash
# Graceful stop (--drain-timeout) against the Linux kernel over AF_PACKET: SIGTERM
# while 20 clients stream data. During the drain a new connection is refused (a
# RST), while the open ones go on to their end with every byte echoed; c10m exits
# as soon as they have closed, well before the timeout. Then with clients that stay
# silent: c10m waits out the timeout, resets them, and exits. Then a second SIGTERM
# (not a duplicate of the first) cuts the drain short. Every exit is 0, with
# nothing left in the pools.
set -uo pipefail
C10M=${1:?usage: drain.sh /path/to/c10m}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/lib/netns.sh"
require_root
PY=/usr/bin/python3

SRV=c10m-drain-srv-$$
CLI=c10m-drain-cli-$$
SRV_IP=198.18.0.1
netns_add "$SRV"
netns_add "$CLI"
veth_pair "$SRV" srv0 "$CLI" cli0
ip -n "$CLI" addr add 198.18.0.2/24 dev cli0
EAL=(--no-pci --in-memory $(c10m_lcores) --file-prefix "c10m-drain-$$" --log-level=lib.eal:error)
APP=($(c10m_mode_args) --forward-mode echo --ip "$SRV_IP/24" --stats-format json --stats-period 1)

start() {  # start TAG DRAIN_SECONDS
    ip netns exec "$SRV" timeout -s INT 120 "$C10M" "${EAL[@]}" -- --iface srv0 --iface-pmd af_packet \
        "${APP[@]}" --drain-timeout "$2" >"$C10M_TMP/$1.out" 2>"$C10M_TMP/$1.err" &
    PID=$!
    C10M_PIDS+=("$PID")
    wait_for_log "$C10M_TMP/$1.err" "lcore 0 (socket" 20 || exit 1
    APP_PID=$(pgrep -P "$PID")  # c10m itself, under GNU timeout
    sleep 0.5
}
inns() { ip netns exec "$CLI" "$@"; }
reset_five() {  # reset_five OUT: its final stats say 5 reset at the drain, none open, pools back
    "$PY" -c "
import json, sys
s = json.loads(sys.argv[1])
r = sum(l['events']['tcp_conn_reset_at_drain'] for l in s['lcores'])
sys.exit(0 if r == 5 and s['tcp']['active'] == 0 and all(m['in_use'] == 0 for m in s['mempools']) else 1)" \
        "$(grep '"final":true' "$1" | tail -1)"
}

# 1. Streams that finish within the drain window.
start stream 20
inns timeout 60 "$PY" "$HERE/drain_client.py" "$SRV_IP" 7 20 --bytes 200000 --rate 80000 \
    --ready-file "$C10M_TMP/c1.ready" >"$C10M_TMP/c1.json" &
CL=$!
wait_for_file "$C10M_TMP/c1.ready" 20 || exit 1
T0=$(date +%s%N)
# GNU timeout (PID) passes a signal on to its child and then to its process group,
# so c10m can get one SIGTERM twice. A duplicate within a second is the same request
# and must not cut the drain short: send c10m one directly 0.1 s after.
kill -TERM "$PID"
sleep 0.1
kill -TERM "$APP_PID"
sleep 0.2
check "during the drain a new connection is refused" inns "$PY" -c "
import socket, sys
try:
    socket.create_connection(('$SRV_IP', 7), timeout=3)
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)"
check "UDP echo still answered during the drain" bash -c \
    "test \"\$(echo drain-udp | ip netns exec '$CLI' timeout 3 socat -t 1 - UDP:$SRV_IP:7)\" = drain-udp"
wait "$CL"
RC=$?
check "every open connection finished, every byte echoed: $(cat "$C10M_TMP/c1.json")" test $RC = 0
wait "$PID"
RC=$?
T1=$(date +%s%N)
MS=$(((T1 - T0) / 1000000))
check "c10m exited 0 once they had closed, before the 20 s timeout (${MS} ms after SIGTERM)" \
    bash -c "test $RC = 0 && test $MS -lt 10000"
FINAL=$(grep '"final":true' "$C10M_TMP/stream.out" | tail -1)
check "final stats: refused counted as tcp_draining, none reset by the drain, pools back" "$PY" -c "
import json, sys
s = json.loads(sys.argv[1])
d = sum(l['drops']['tcp_draining'] for l in s['lcores'])
r = sum(l['events']['tcp_conn_reset_at_drain'] for l in s['lcores'])
sys.exit(0 if d >= 1 and r == 0 and s['tcp']['active'] == 0 and all(m['in_use'] == 0 for m in s['mempools']) else 1)" "$FINAL"

# 2. Connections that stay silent: reset when the timeout runs out.
start idle 3
inns timeout 60 "$PY" "$HERE/drain_client.py" "$SRV_IP" 7 5 --bytes 100 --idle --expect-reset-after 2.5 \
    --ready-file "$C10M_TMP/c2.ready" >"$C10M_TMP/c2.json" &
CL=$!
wait_for_file "$C10M_TMP/c2.ready" 20 || exit 1
kill -TERM "$PID"
wait "$CL"
RC=$?
check "silent connections reset when the 3 s drain ran out: $(cat "$C10M_TMP/c2.json")" test $RC = 0
wait "$PID"
check "c10m exited 0 after the timeout" test $? = 0
check "final stats: 5 reset at the drain's end, pools back" reset_five "$C10M_TMP/idle.out"

# 3. A second SIGTERM, a second or more after the first, stops at once.
start again 20
inns timeout 60 "$PY" "$HERE/drain_client.py" "$SRV_IP" 7 5 --bytes 100 --idle \
    --ready-file "$C10M_TMP/c3.ready" >"$C10M_TMP/c3.json" &
CL=$!
wait_for_file "$C10M_TMP/c3.ready" 20 || exit 1
kill -TERM "$APP_PID"
sleep 1.5
T0=$(date +%s%N)
kill -TERM "$APP_PID"
wait "$PID"
RC=$?
MS=$((($(date +%s%N) - T0) / 1000000))
wait "$CL"
check "a second SIGTERM 1.5 s later ended the 20 s drain at once: exit $RC after ${MS} ms" \
    bash -c "test $RC = 0 && test $MS -lt 3000"
check "final stats: the 5 reset, pools back" reset_five "$C10M_TMP/again.out"
finish
