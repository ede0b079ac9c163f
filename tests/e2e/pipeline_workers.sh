#!/bin/bash
# Pipeline mode with two workers, against the Linux kernel: c10m echo with one rx
# lcore and two workers, over AF_PACKET (one queue pair: the workers hand their
# replies to the rx lcore through tx rings) and over net_tap (two queue pairs, both
# polled by the rx lcore: each worker sends on a tx queue of its own). Checked: per-flow order of 64 UDP flows, every byte of
# 2,000 TCP connections spread over both workers, each worker's share, the rings'
# counters (everything enqueued was dequeued), and no mbuf left at exit.
set -uo pipefail
C10M=${1:?usage: pipeline_workers.sh /path/to/c10m afpacket|tap}
KIND=${2:-afpacket}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/lib/netns.sh"
require_root
PY=/usr/bin/python3

SRV=c10m-pw-srv-$$
CLI=c10m-pw-cli-$$
SRV_IP=198.18.0.1
CLI_IP=198.18.0.2
netns_add "$SRV"
netns_add "$CLI"
for ns in "$SRV" "$CLI"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip netns exec "$CLI" sysctl -qw net.ipv4.tcp_tw_reuse=1
C10M_PIPELINE=2
EAL=(--no-pci --in-memory $(c10m_lcores) --file-prefix "c10m-pw-$$" --log-level=lib.eal:error)
APP=(--pipeline --forward-mode echo --ip "$SRV_IP/24" --stats-format json --stats-period 1)
case "$KIND" in
    afpacket)
        veth_pair "$SRV" srv0 "$CLI" cli0
        CLIIF=cli0
        PORT=(-- --iface srv0 --iface-pmd af_packet)
        ;;
    tap)
        CLIIF=c10mtap0
        PORT=(--vdev "net_tap0,iface=$CLIIF" -- --rxq 2)  # tap: tx queues = rx queues
        ;;
    *) echo "KIND: expected afpacket or tap, got '$KIND'"; exit 2 ;;
esac
OUT=$C10M_TMP/c10m.out
LOG=$C10M_TMP/c10m.err
ip netns exec "$SRV" timeout -s INT 300 "$C10M" "${EAL[@]}" "${PORT[@]}" "${APP[@]}" >"$OUT" 2>"$LOG" &
PID=$!
C10M_PIDS+=("$PID")
wait_for_log "$LOG" "lcore 0 (socket" 20 || exit 1
if [ "$KIND" = tap ]; then
    ip -n "$SRV" link set "$CLIIF" netns "$CLI"
    ip netns exec "$CLI" ethtool -K "$CLIIF" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "$CLI" link set "$CLIIF" up
fi
ip -n "$CLI" addr add "$CLI_IP/24" dev "$CLIIF"
sleep 0.5
if [ "$KIND" = tap ]; then WANT="each worker sends on a tx queue of its own"; else WANT="workers send through a tx ring"; fi
check "the log says how workers send: $WANT" grep -q "port 0: $WANT" "$LOG"
check "lcore roles logged: rx lcore 1, workers 2 and 3" \
    bash -c "grep -q 'lcore 1 (socket [0-9]*) rx:' '$LOG' && grep -q 'lcore 2 (socket [0-9]*) worker echo' '$LOG' && grep -q 'lcore 3 (socket [0-9]*) worker echo' '$LOG'"

inns() { ip netns exec "$CLI" "$@"; }
# Resolved first: the kernel drops datagrams beyond a few while it waits for ARP.
check "ping" bash -c "ip netns exec '$CLI' ping -c 2 -i 0.2 -W 2 '$SRV_IP' >/dev/null"
R=$(inns timeout 60 "$PY" "$HERE/udp_order_check.py" "$SRV_IP" 7 64 300 16 40)
check "64 UDP flows x 300 datagrams, each flow back whole and in order: $R" test $? = 0
R=$(inns timeout 120 "$PY" "$HERE/tcp_echo_check.py" --host "$SRV_IP" --timeout 100 --conns 2000 --bytes 4096 --parallel 200)
RC=$?
check "2,000 TCP connections x 4 KB, every byte: $(echo "$R" | tail -1 | cut -c1-160)" test $RC = 0
R=$(inns timeout 120 "$PY" "$HERE/tcp_echo_check.py" --host "$SRV_IP" --timeout 100 --conns 4 --bytes 2000000 --parallel 4)
RC=$?
check "4 TCP connections x 2 MB at once, every byte: $(echo "$R" | tail -1 | cut -c1-160)" test $RC = 0
for ((i = 0; i < 50; i++)); do
    L=$(grep '"tcp"' "$OUT" | tail -1)
    "$PY" -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if s["tcp"]["active"]==0 else 1)' "$L" 2>/dev/null && break
    sleep 0.1
done

kill -INT "$PID"
wait "$PID"
check "c10m exits 0 on SIGINT (its leak check passed)" test $? = 0
FINAL=$(grep '"final":true' "$OUT" | tail -1)
"$PY" - "$FINAL" "$KIND" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
errs = []
roles = {l["lcore"]: l["role"] for l in s["lcores"]}
if roles != {1: "rx", 2: "worker", 3: "worker"}: errs.append(f"roles {roles}")
workers = [l for l in s["lcores"] if l["role"] == "worker"]
opened = [w["events"]["tcp_conn_opened"] for w in workers]
udp = [w["events"]["udp_echo_reply"] for w in workers]
# A fair hash puts each worker near half; far below a quarter would be a bad spread.
if min(opened) < sum(opened) / 4: errs.append(f"TCP connections per worker {opened}")
if min(udp) < sum(udp) / 4: errs.append(f"UDP echoes per worker {udp}")
rx_rings = [r for r in s["rings"] if r["name"].startswith("c10m_rx")]
tx_rings = [r for r in s["rings"] if r["name"].startswith("c10m_tx")]
if len(rx_rings) != 2: errs.append(f"rx rings {rx_rings}")
if sys.argv[2] == "afpacket" and len(tx_rings) != 2: errs.append(f"tx rings {tx_rings}")
if sys.argv[2] == "tap" and tx_rings: errs.append(f"tx rings on tap {tx_rings}")
for r in s["rings"]:
    if r["enqueued"] != r["dequeued"]: errs.append(f"ring {r['name']}: {r['enqueued']} in, {r['dequeued']} out")
    if r["enqueued"] == 0: errs.append(f"ring {r['name']} carried nothing")
rx = sum(p["rx"] for p in s["ports"])
received = sum(l["pkts"] for l in s["lcores"] if l["role"] == "rx")
handled = sum(w["pkts"] for w in workers)
ring_full = sum(r["ring_full"] for r in rx_rings)
if received != rx: errs.append(f"rx stage counted {received}, ports received {rx}")
if handled + ring_full != rx: errs.append(f"workers handled {handled} + ring_full {ring_full} != {rx}")
if s["tcp"]["active"] != 0: errs.append(f"tcp active {s['tcp']['active']}")
if any(m["in_use"] != 0 for m in s["mempools"]): errs.append(f"mempools {s['mempools']}")
print("  per worker: tcp opened", opened, "udp echoed", udp)
print("  rings", [(r["name"], r["enqueued"], r["ring_full"], r["high_water"]) for r in s["rings"]])
print("  stages", s["stages"])
for e in errs: print("  ", e)
sys.exit(1 if errs else 0)
PY
check "final stats: roles, both workers used, rings balanced, nothing held" test $? = 0
finish
