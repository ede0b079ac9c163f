#!/bin/bash
# Running out, against the Linux kernel over AF_PACKET (run to completion, or
# --pipeline with C10M_PIPELINE=1):
#   1. a tiny mempool (--total-num-mbufs 1024, over net_tap, which holds 256 of
#      them in its rx queue, --rxd 256) under load: TCP clients that stop reading make c10m
#      hold echo data, a UDP flood and a ping flood come on top. TCP may hold at
#      most half of what the ports leave of the pool (held past it: tcp_held_limit),
#      so reception never starves: with the whole pool taken, the ACKs and RSTs that
#      free held data could not come in (over tap that deadlocked before: rx_nombuf
#      for ever). Service comes back once the load stops, and nothing leaks;
#   2. --max-flows full: the connection past it is refused with a counted RST, the
#      open ones keep being echoed, and once they close new ones open again;
#   3. the held-segment attack (finding 3 of the TCP audit): a client that never
#      reads sends 1-byte segments without end; other clients are served meanwhile.
set -uo pipefail
C10M=${1:?usage: exhaustion.sh /path/to/c10m}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/lib/netns.sh"
require_root
PY=/usr/bin/python3

SRV=c10m-exh-srv-$$
CLI=c10m-exh-cli-$$
SRV_IP=198.18.0.1
netns_add "$SRV"
netns_add "$CLI"
veth_pair "$SRV" srv0 "$CLI" cli0
ip -n "$CLI" addr add 198.18.0.2/24 dev cli0
ip netns exec "$CLI" sysctl -qw net.ipv4.tcp_tw_reuse=1
EAL=(--no-pci --in-memory $(c10m_lcores) --file-prefix "c10m-exh-$$" --log-level=lib.eal:error)
APP=($(c10m_mode_args) --forward-mode echo --ip "$SRV_IP/24" --stats-format json --stats-period 1)
inns() { ip netns exec "$CLI" "$@"; }

start() {  # start TAG EXTRA_ARGS...
    local tag=$1
    shift
    ip netns exec "$SRV" timeout -s INT 200 "$C10M" "${EAL[@]}" -- --iface srv0 --iface-pmd af_packet \
        "${APP[@]}" "$@" >"$C10M_TMP/$tag.out" 2>"$C10M_TMP/$tag.err" &
    PID=$!
    C10M_PIDS+=("$PID")
    wait_for_log "$C10M_TMP/$tag.err" "lcore 0 (socket" 20 || exit 1
    sleep 0.5
}
# The same over net_tap, whose interface moves to the client's namespace: unlike
# AF_PACKET (which leaves a frame in the kernel's ring when it has no mbuf), the tap
# PMD counts a failed allocation as rx_nombuf.
start_tap() {  # start_tap TAG EXTRA_ARGS...
    local tag=$1
    shift
    ip netns exec "$SRV" timeout -s INT 200 "$C10M" "${EAL[@]}" --vdev "net_tap0,iface=c10mtap$$" -- \
        "${APP[@]}" "$@" >"$C10M_TMP/$tag.out" 2>"$C10M_TMP/$tag.err" &
    PID=$!
    C10M_PIDS+=("$PID")
    wait_for_log "$C10M_TMP/$tag.err" "lcore 0 (socket" 20 || exit 1
    ip -n "$SRV" link set "c10mtap$$" netns "$CLI"
    ip netns exec "$CLI" ethtool -K "c10mtap$$" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "$CLI" link set cli0 down
    ip -n "$CLI" addr del 198.18.0.2/24 dev cli0
    ip -n "$CLI" addr add 198.18.0.2/24 dev "c10mtap$$"
    ip -n "$CLI" link set "c10mtap$$" up
    sleep 0.5
}
stop() {  # stop TAG: SIGINT, exit status, last stats line in $FINAL
    kill -INT "$PID"
    wait "$PID"
    local rc=$?
    FINAL=$(grep '"final":true' "$C10M_TMP/$1.out" | tail -1)
    check "$1: c10m exits 0 (its leak check passed)" test $rc = 0
}
# the latest stats line printed after now
fresh_stats() {
    local seen i line
    seen=$(grep -c '"tcp"' "$OUT")
    for ((i = 0; i < 30; i++)); do
        line=$(grep '"tcp"' "$OUT" | tail -n +$((seen + 1)) | tail -1)
        [ -n "$line" ] && { echo "$line"; return; }
        sleep 0.1
    done
}

# ---- 1. a tiny mempool under load (net_tap)
start_tap tiny --total-num-mbufs 1024 --rxd 256
OUT=$C10M_TMP/tiny.out
# Clients that send and never read: their echo is held (the pool is the limit).
inns timeout 30 "$PY" - "$SRV_IP" <<'PY' >"$C10M_TMP/hold.out" 2>&1 &
import socket, sys, time
socks = []
for i in range(8):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((sys.argv[1], 7)); s.setblocking(False); socks.append(s)
end = time.time() + 6
while time.time() < end:
    for s in socks:
        try: s.send(b"h" * 1400)
        except BlockingIOError: pass
    time.sleep(0.001)
for s in socks:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0"); s.close()
PY
HOLD=$!
sleep 1
inns timeout 20 ping -f -c 20000 -w 8 "$SRV_IP" >/dev/null 2>&1 &
PING=$!
inns timeout 30 "$PY" "$HERE/udp_echo_check.py" "$SRV_IP" 7 5000 1472 8 >/dev/null 2>&1
wait "$PING" "$HOLD"
sleep 1.5
LINE=$(fresh_stats)
check "tiny pool: the pressure was counted (TCP's held limit keeps half the pool for reception; rx_nombuf if it ran out): $(echo "$LINE" | "$PY" -c '
import json, sys
s = json.loads(sys.stdin.read())
print({"rx_nombuf": sum(p["drops"]["rx_nombuf"] for p in s["ports"]),
       "tcp_held_limit": sum(l["drops"]["tcp_held_limit"] for l in s["lcores"]),
       "in_use": [m["in_use"] for m in s["mempools"]]})')" "$PY" -c "
import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if sum(p['drops']['rx_nombuf'] for p in s['ports']) + sum(l['drops']['tcp_held_limit'] for l in s['lcores']) > 0 else 1)" "$LINE"
R=$(inns timeout 30 "$PY" "$HERE/udp_echo_check.py" "$SRV_IP" 7 500 1472 10)
check "tiny pool: UDP echo recovers once the load stops: $R" test $? = 0
R=$(inns timeout 60 "$PY" "$HERE/tcp_echo_check.py" --host "$SRV_IP" --timeout 50 --conns 50 --bytes 20000 --parallel 10)
RC=$?
check "tiny pool: TCP echo recovers: $(echo "$R" | tail -1 | cut -c1-120)" test $RC = 0
sleep 1.5
check "tiny pool: connections and mbufs back to baseline" "$PY" -c "
import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if s['tcp']['active'] == 0 and all(m['in_use'] == m['baseline'] for m in s['mempools']) else 1)" "$(fresh_stats)"
stop tiny
ip -n "$CLI" addr add 198.18.0.2/24 dev cli0
ip -n "$CLI" link set cli0 up
sleep 0.5

# ---- 2. the flow table full
start full --max-flows 40
OUT=$C10M_TMP/full.out
R=$(inns timeout 60 "$PY" - "$SRV_IP" <<'PY'
import json, socket, sys, time
host = sys.argv[1]
held = []
for i in range(40):
    s = socket.create_connection((host, 7), timeout=5)
    s.sendall(b"x"); assert s.recv(10) == b"x"
    held.append(s)
# one more: the handshake completes on our side (SYN cookie), the flow table refuses
# with a RST to its ACK. That RST can come before connect() returns here (the kernel
# took the SYN-ACK, but this process had not run yet to read SO_ERROR): a refusal too.
refused = False
try:
    s = socket.create_connection((host, 7), timeout=5)
    s.sendall(b"y")
    refused = s.recv(10) == b""
except (ConnectionResetError, BrokenPipeError):
    refused = True
# the open ones still echo
alive = 0
for h in held:
    h.sendall(b"z"); alive += h.recv(10) == b"z"
for h in held[:10]:
    h.close()
time.sleep(1)
again = 0
for i in range(10):
    s = socket.create_connection((host, 7), timeout=5)
    s.sendall(b"w"); again += s.recv(10) == b"w"; s.close()
print(json.dumps({"refused": refused, "alive": alive, "again": again}))
for h in held[10:]:
    h.close()
sys.exit(0 if refused and alive == 40 and again == 10 else 1)
PY
)
check "flow table full: the 41st refused, the 40 still echo, 10 new once 10 closed: $R" test $? = 0
sleep 1.5
check "flow table full: counted as tcp_conn_refused, back to 0 connections" "$PY" -c "
import json, sys
s = json.loads(sys.argv[1])
refused = sum(l['events']['tcp_conn_refused'] for l in s['lcores'])
sys.exit(0 if refused >= 1 and s['tcp']['active'] == 0 else 1)" "$(fresh_stats)"
stop full

# ---- 3. the held-segment attack
start attack
OUT=$C10M_TMP/attack.out
inns timeout 30 "$PY" - "$SRV_IP" <<'PY' >"$C10M_TMP/attacker.out" 2>&1 &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)   # never reads: window 0
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.connect((sys.argv[1], 7)); s.setblocking(False)
end = time.time() + 8
n = 0
while time.time() < end:
    try:
        s.send(b"a"); n += 1
    except BlockingIOError:
        time.sleep(0.001)
print(n)
PY
ATT=$!
sleep 2
R=$(inns timeout 60 "$PY" "$HERE/tcp_echo_check.py" --host "$SRV_IP" --timeout 50 --conns 200 --bytes 10000 --parallel 50)
RC=$?
check "held-segment attack: 200 other clients served meanwhile: $(echo "$R" | tail -1 | cut -c1-120)" test $RC = 0
wait "$ATT"
stop attack
check "held-segment attack: c10m kept the attacker to its share" "$PY" -c "
import json, sys
s = json.loads(sys.argv[1])
print('  held limit drops', sum(l['drops']['tcp_held_limit'] for l in s['lcores']))
sys.exit(0 if all(m['in_use'] <= m['baseline'] for m in s['mempools']) else 1)" "$FINAL"
finish
