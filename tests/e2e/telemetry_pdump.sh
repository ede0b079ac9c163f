#!/bin/bash
# DPDK's own tools as peers: dpdk-telemetry.py reads /c10m/stats from a running
# c10m, and dpdk-pdump (a secondary process, --no-pci) captures its traffic on
# port 0 in both directions while c10m answers ping; the capture's vdevs that
# appear in c10m mid-run must not disturb it.
set -uo pipefail
C10M=${1:?usage: telemetry_pdump.sh /path/to/c10m}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../scripts/lib/netns.sh"
require_root
for t in dpdk-telemetry.py dpdk-pdump tcpdump; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done

SRV=c10m-tel-srv-$$
CLI=c10m-tel-cli-$$
PREFIX=c10m-tel-$$
netns_add "$SRV"
netns_add "$CLI"
veth_pair "$SRV" srv0 "$CLI" cli0
ip -n "$CLI" addr add 198.18.0.2/24 dev cli0

# Hugepage-backed (no --in-memory) so that a secondary process can attach.
ip netns exec "$SRV" timeout -s INT 60 "$C10M" --no-pci -l 0 --file-prefix "$PREFIX" --log-level=lib.eal:error \
    -- --iface srv0 --iface-pmd af_packet --forward-mode echo --ip 198.18.0.1/24 --stats-format json \
    --stats-period 0 >"$C10M_TMP/out" 2>"$C10M_TMP/err" &
PID=$!
C10M_PIDS+=("$PID")
wait_for_log "$C10M_TMP/err" "lcore 0 (socket" 20 || exit 1
ip netns exec "$CLI" ping -c 20 -i 0.05 -W 1 198.18.0.1 >/dev/null

TEL=$(echo "/c10m/stats" | timeout 10 dpdk-telemetry.py -f "$PREFIX" 2>/dev/null | tr -d '\n')
echo "  telemetry: ${TEL:0:300}..."
check "dpdk-telemetry.py reads /c10m/stats from the running c10m" /usr/bin/python3 -c "
import json, re, sys
t = '''$TEL'''
d = json.loads(t[t.index('{'):])['/c10m/stats']
assert d['state'] == 'running' and d['mode'] == 'echo', d
assert d['icmp_echo_reply'] >= 20 and d['rx'] >= 20 and d['tx'] >= 20, d
assert d['drop_ip_bad_checksum'] == 0 and 'drop_unreach_would_amplify' in d, d
"

timeout -s INT 8 dpdk-pdump --no-pci -l 0 --file-prefix "$PREFIX" --log-level=lib.eal:error -- \
    --pdump "port=0,queue=*,rx-dev=$C10M_TMP/rx.pcap,tx-dev=$C10M_TMP/tx.pcap" >"$C10M_TMP/pdump.log" 2>&1 &
PD=$!
C10M_PIDS+=("$PD")
sleep 3
ip netns exec "$CLI" ping -c 10 -i 0.05 -W 1 198.18.0.1 >"$C10M_TMP/ping" 2>&1
check "ping answered while dpdk-pdump is attached" grep -q ' 0% packet loss' "$C10M_TMP/ping"
wait "$PD"
RQ=$(tcpdump -n -r "$C10M_TMP/rx.pcap" 'icmp[icmptype] == icmp-echo' 2>/dev/null | wc -l)
RP=$(tcpdump -n -r "$C10M_TMP/tx.pcap" 'icmp[icmptype] == icmp-echoreply' 2>/dev/null | wc -l)
check "dpdk-pdump captured the 10 requests (rx: $RQ) and the 10 replies (tx: $RP)" \
    bash -c "test '$RQ' -ge 10 && test '$RP' -ge 10"

kill -INT "$PID"
wait "$PID"
check "c10m exits 0 after the capture detached" test $? = 0
check "final stats: every mbuf back" bash -c \
    "grep '\"final\":true' '$C10M_TMP/out' | grep -q '\"in_use\":0,'"
finish
