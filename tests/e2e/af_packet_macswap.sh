#!/bin/bash
# End to end: c10m on the AF_PACKET fallback (--iface) over a veth pair between two
# namespaces; frames sent from the client namespace come back MAC-swapped, every
# byte checked, counted on both sides; SIGINT stops c10m cleanly with every mbuf
# back in its pool.
set -uo pipefail
C10M=${1:?usage: af_packet_macswap.sh /path/to/c10m}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/lib/netns.sh"
require_root

N=2000
SRV=c10m-e2e-srv-$$
CLI=c10m-e2e-cli-$$
netns_add "$SRV"
netns_add "$CLI"
veth_pair "$SRV" srv0 "$CLI" cli0

LOG=$C10M_TMP/c10m.err
OUT=$C10M_TMP/c10m.out
ip netns exec "$SRV" timeout -s INT 60 "$C10M" --no-pci --in-memory -l 0 --file-prefix "c10m-e2e-$$" \
    --log-level=lib.eal:error -- --iface srv0 --iface-pmd af_packet --forward-mode macswap --stats-format json --stats-period 1 \
    >"$OUT" 2>"$LOG" &
PID=$!
C10M_PIDS+=("$PID")
wait_for_log "$LOG" "lcore 0 (socket" 20 || exit 1
sleep 0.5

CLIENT=$(ip netns exec "$CLI" timeout 30 /usr/bin/python3 "$HERE/../../scripts/raw_echo_client.py" cli0 "$N" 15)
CRC=$?
echo "client: $CLIENT"
check "client got all $N frames back, byte-exact and MAC-swapped" test "$CRC" = 0

read -r CLI_TX CLI_RX < <(ip netns exec "$CLI" sh -c \
    'echo $(cat /sys/class/net/cli0/statistics/tx_packets) $(cat /sys/class/net/cli0/statistics/rx_packets)')

sleep 1.2  # let at least one periodic stats line out
kill -INT "$PID"
wait "$PID"
RC=$?
check "c10m exits 0 on SIGINT" test "$RC" = 0
FINAL=$(grep '"final":true' "$OUT" | tail -1)
check "c10m printed final stats" test -n "$FINAL"
check "periodic JSON stats lines came before it" test "$(grep -c '"final":false' "$OUT")" -ge 1

/usr/bin/python3 - "$FINAL" "$N" "$CLI_TX" "$CLI_RX" <<'PY'
import json, sys
s = json.loads(sys.argv[1]); n = int(sys.argv[2]); cli_tx = int(sys.argv[3]); cli_rx = int(sys.argv[4])
p = s["ports"][0]
errs = []
if not p["name"].startswith("net_af_packet"): errs.append(f"port is {p['name']}, not AF_PACKET")
if p["rx"] < n: errs.append(f"c10m rx {p['rx']} < {n}")
if p["tx"] != p["rx"]: errs.append(f"c10m tx {p['tx']} != rx {p['rx']}")
if any(p["drops"].values()): errs.append(f"drops {p['drops']}")
if p["rx"] != cli_tx: errs.append(f"c10m rx {p['rx']} != client tx {cli_tx}")
if p["tx"] != cli_rx: errs.append(f"c10m tx {p['tx']} != client rx {cli_rx}")
if s["lcores"][0]["pkts"] != p["rx"]: errs.append("lcore pkts != port rx")
if any(m["in_use"] for m in s["mempools"]): errs.append(f"mbufs in use at exit: {s['mempools']}")
print("c10m final:", json.dumps(p), "| client tx", cli_tx, "rx", cli_rx, "| mempools", s["mempools"])
for e in errs: print("  ", e)
sys.exit(1 if errs else 0)
PY
check "counts agree on both sides, no drops, mempool back to 0 in use" test $? = 0
finish
