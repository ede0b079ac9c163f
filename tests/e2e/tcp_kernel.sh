#!/bin/bash
# c10m's TCP echo (TCP-lite) against the Linux kernel's TCP stack, byte for byte,
# over the AF_PACKET fallback on a veth (KIND=afpacket), over AF_XDP on the same
# veth (KIND=afxdp: what --iface-pmd auto picks there) or through net_tap
# (KIND=tap). Three namespaces: client --veth-- middle --(veth|tap)-- c10m, the
# middle first a clean wire (AF_PACKET: a Linux bridge; tap: scripts/impair_relay.py
# impairing nothing, since a tap enslaved to a bridge passed no traffic to c10m
# here), then scripts/impair_relay.py dropping 2%, reordering 10% and duplicating
# 1% of the client's TCP frames (this kernel has no netem; GSO is off and
# gso_max_segs 1 on the client's veth, so each frame is one segment). Phases:
#   clean: 1 x 10 MB, 100 x 100 KB, 2,000 x 4 KB; a client that stops reading
#   (zero window) and resumes; clients that reset mid-stream; a bounded hping3 SYN
#   flood during which real connections complete; then the same three sizes
#   impaired.
# After each phase the connection count and the pool's mbufs in use return to
# their baseline (c10m's JSON stats); at the end c10m exits 0 (its own leak check).
# Over AF_XDP too: net_af_xdp frees what it sent only when a later tx burst pulls
# its completion ring, and c10m's loop sends an empty burst when a stream falls
# quiet for that. After c10m exits, net_af_xdp keeps its fill queue's mbufs (the
# baseline) and nothing more is allowed.
set -uo pipefail
C10M=${1:?usage: tcp_kernel.sh /path/to/c10m afpacket|afxdp|tap}
KIND=${2:-afpacket}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/lib/netns.sh"
require_root
command -v hping3 >/dev/null || { echo "SKIP: hping3 missing (scripts/setup installs it)"; exit 77; }
PY=/usr/bin/python3
CHECK=$HERE/tcp_echo_check.py
RELAY=$ROOT/scripts/impair_relay.py

SRV=c10m-tcp-srv-$$
MID=c10m-tcp-mid-$$
CLI=c10m-tcp-cli-$$
SRV_IP=198.18.0.1
CLI_IP=198.18.0.2
for ns in "$SRV" "$MID" "$CLI"; do
    netns_add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
CLIIF=cli0
veth_pair "$CLI" cli0 "$MID" mc0
# Many short connections: reuse TIME_WAIT ports (see tcp_echo_check.py --help).
ip netns exec "$CLI" sysctl -qw net.ipv4.tcp_tw_reuse=1
EAL=(--no-pci --in-memory $(c10m_lcores) --file-prefix "c10m-tcp-$$" --log-level=lib.eal:error)
APP=($(c10m_mode_args) --forward-mode echo --ip "$SRV_IP/24" --stats-format json --stats-period 1 --max-flows 20000)
case "$KIND" in
    afpacket | afxdp)
        veth_pair "$SRV" srv0 "$MID" ms0
        PMD=af_packet
        [ "$KIND" = afxdp ] && PMD=af_xdp
        PORT=(-- --iface srv0 --iface-pmd "$PMD")
        ;;
    tap) PORT=(--vdev "net_tap0,iface=ms0" --) ;;
    *) echo "KIND: expected afpacket, afxdp or tap, got '$KIND'"; exit 2 ;;
esac

OUT=$C10M_TMP/c10m.out
LOG=$C10M_TMP/c10m.err
ip netns exec "$SRV" timeout -s INT 600 "$C10M" "${EAL[@]}" "${PORT[@]}" "${APP[@]}" >"$OUT" 2>"$LOG" &
PID=$!
C10M_PIDS+=("$PID")
wait_for_log "$LOG" "lcore 0 (socket" 20 || exit 1
if [ "$KIND" = tap ]; then
    ip -n "$SRV" link set ms0 netns "$MID"
    ip netns exec "$MID" ethtool -K ms0 rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "$MID" link set ms0 up
    ip netns exec "$MID" timeout -s INT 500 "$PY" "$RELAY" mc0 ms0 --duration 480 >"$C10M_TMP/clean-relay.out" 2>&1 &
    CLEAN_RELAY=$!
    C10M_PIDS+=("$CLEAN_RELAY")
else
    ip -n "$MID" link add br0 type bridge
    ip -n "$MID" link set mc0 master br0
    ip -n "$MID" link set ms0 master br0
    ip -n "$MID" link set br0 up
fi
ip -n "$CLI" link set dev "$CLIIF" gso_max_segs 1 2>/dev/null || true
ip -n "$CLI" addr add "$CLI_IP/24" dev "$CLIIF"
sleep 0.5
echo "c10m ($KIND) at $SRV_IP; client $CLI_IP on $CLIIF, a clean middle"

inns() { ip netns exec "$CLI" "$@"; }
# echo_run DESCRIPTION ARGS...: tcp_echo_check.py must exit 0.
echo_run() {
    local what=$1 r
    shift
    r=$(inns timeout 120 "$PY" "$CHECK" --host "$SRV_IP" --timeout 100 "$@")
    local rc=$?
    check "$what: $(echo "$r" | tail -1 | cut -c1-200)" test $rc = 0
}
# baseline PHASE: connections and mbufs back where they started (within 12 s: a
# FIN lost on the impaired path comes again after the kernel's RTO, 200 ms doubling).
BASELINE_OK='
import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if s["tcp"]["active"] == 0 and all(m["in_use"] == m["baseline"] for m in s["mempools"]) else 1)'
# Only stats lines printed after the phase count: the last line before it may be up
# to a second old, from before a straggler connection (whose first SYN was lost)
# opened, and showed 0 connections while that one was still to close.
baseline() {
    local i line seen
    seen=$(grep -c '"tcp"' "$OUT")
    for ((i = 0; i < 120; i++)); do
        line=$(grep '"tcp"' "$OUT" | tail -n +$((seen + 1)) | tail -1)
        [ -n "$line" ] && "$PY" -c "$BASELINE_OK" "$line" 2>/dev/null && break
        sleep 0.1
    done
    check "after $1: 0 connections, mbufs in use back to baseline ($(echo "$line" | grep -oE '"tcp":\{[^}]*\}' | cut -c1-60); $(echo "$line" | grep -oE '"(in_use|baseline)":[0-9]+' | tr '\n' ' '))" \
        "$PY" -c "$BASELINE_OK" "$line"
}

check "socat: one line echoed" bash -c "test \"\$(echo hello-tcp | ip netns exec '$CLI' timeout 5 socat -t 2 - TCP:$SRV_IP:7)\" = hello-tcp"
echo_run "1 x 10 MB" --conns 1 --bytes 10000000
echo_run "100 x 100 KB" --conns 100 --bytes 100000 --parallel 100
echo_run "2,000 x 4 KB" --conns 2000 --bytes 4096 --parallel 200
baseline "the clean transfers"
echo_run "zero window: a client stops reading for 2 s, then resumes" --pause-read 2 --bytes 2000000
echo_run "20 clients reset mid-stream, then a probe connection" --reset-after 50000 --conns 20
baseline "zero window and resets"

# SYN flood from the client's address (bounded: 20,000 SYNs at ~20k/s); the kernel
# answers the SYN-ACKs it never asked for with RSTs. Real connections meanwhile.
inns timeout 10 hping3 -q -S -p 7 -i u50 -c 20000 "$SRV_IP" >"$C10M_TMP/hping.out" 2>&1 &
HP=$!
sleep 0.3
echo_run "200 x 4 KB during a SYN flood" --conns 200 --bytes 4096 --parallel 50
wait "$HP"
sleep 1
baseline "the SYN flood"

# Impaired: the clean middle goes, the impairing relay carries every frame.
if [ "$KIND" != tap ]; then
    ip -n "$MID" link del br0
else
    kill -INT "$CLEAN_RELAY"
    wait "$CLEAN_RELAY"
fi
SEED=${SEED:-$RANDOM}
ip netns exec "$MID" timeout -s INT 200 "$PY" "$RELAY" mc0 ms0 --impair-from mc0 \
    --loss 0.02 --reorder 0.10 --dup 0.01 --seed "$SEED" --duration 180 >"$C10M_TMP/relay.out" 2>&1 &
RP=$!
C10M_PIDS+=("$RP")
sleep 0.5
echo "impaired (seed $SEED): 2% loss, 10% reordering, 1% duplication, client to server"
echo_run "impaired 1 x 10 MB" --conns 1 --bytes 10000000
echo_run "impaired 100 x 100 KB" --conns 100 --bytes 100000 --parallel 100
echo_run "impaired 2,000 x 4 KB" --conns 2000 --bytes 4096 --parallel 200
# The clients are done, but their kernel may still be closing: a FIN (or the ACK of
# ours) the relay dropped goes again after an RTO. So the check runs while the relay
# still carries frames; stopping it first left such a connection open for good.
baseline "the impaired transfers"
kill -INT "$RP"
wait "$RP"
echo "  relay: $(tail -1 "$C10M_TMP/relay.out")"
check "the relay impaired frames" grep -q '"dropped": [1-9]' "$C10M_TMP/relay.out"

kill -INT "$PID"
wait "$PID"
check "c10m exits 0 on SIGINT (its leak check passed)" test $? = 0
FINAL=$(grep '"final":true' "$OUT" | tail -1)
"$PY" - "$FINAL" "$KIND" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
kind = sys.argv[2]
ev = {}; dr = {}
for l in s["lcores"]:
    for k, v in l["events"].items(): ev[k] = ev.get(k, 0) + v
    for k, v in l["drops"].items(): dr[k] = dr.get(k, 0) + v
errs = []
if ev["tcp_cookie_accepted"] != ev["tcp_conn_opened"]: errs.append("opened without a cookie?")
if ev["tcp_cookie_sent"] < 20000: errs.append(f"SYN-ACKs {ev['tcp_cookie_sent']} < 20000 (the flood)")
if ev["tcp_retransmit"] + ev["tcp_ooo_kept"] == 0:
    errs.append("no retransmission or reordering under impairment")
if ev["tcp_conn_reset"] < 20: errs.append(f"resets {ev['tcp_conn_reset']} < 20")
if s["tcp"]["active"] != 0: errs.append(f"active {s['tcp']['active']}")
# After the ports closed: nothing, or over AF_XDP its fill queue (the baseline).
if any(m["in_use"] > (m["baseline"] if kind == "afxdp" else 0) for m in s["mempools"]):
    errs.append(f"mbufs in use {s['mempools']}")
if dr["tcp_bad_checksum"] or dr["tcp_bad_flags"]: errs.append("the kernel sent bad segments?")
print("  tcp events", {k: v for k, v in ev.items() if k.startswith("tcp") and v})
print("  tcp drops", {k: v for k, v in dr.items() if k.startswith("tcp") and v})
print("  flow table", s["tcp"])
for e in errs: print("  ", e)
sys.exit(1 if errs else 0)
PY
check "final stats: cookies, retransmissions, resets counted; nothing held" test $? = 0
# Connections c10m still had at exit, if any, described by its log.
grep -h "tcp: .*open at exit\|tcp:   " "$LOG" || true
finish
