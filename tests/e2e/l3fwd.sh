#!/bin/bash
# c10m as an IPv4 router that Linux hosts route through, in namespaces:
#
#   A (kernel, 198.18.1.2/24) --- c10m (198.18.1.1 | 198.19.1.1) --- B (kernel, 198.19.1.2/24,
#                                                                     198.19.5.1 on lo)
#
# c10m routes 198.19.5.0/24 via 198.19.1.2 and 198.19.9.0/24 via 198.19.1.99, a next
# hop that never answers ARP. Over AF_PACKET or AF_XDP on veth pairs (KIND=afpacket,
# afxdp) or net_tap with the taps moved into A and B (KIND=tap); C10M_PIPELINE=N runs
# c10m in --pipeline mode. First run: ping of every size to 1472, traceroute and
# ping -t 1 (c10m's address at hop 1), an iperf3 bulk transfer, the byte-checked TCP
# and UDP echo clients against servers in B, net unreachable for an unknown prefix,
# host unreachable for the dead next hop. Second run, with --mtu 1:1400 on B's side:
# fragmentation needed, then the kernel's path MTU discovery lets a TCP transfer
# through. After each run: exit 0 and the mempools back to their baseline.
set -uo pipefail
C10M=${1:?usage: l3fwd.sh /path/to/c10m afpacket|afxdp|tap}
KIND=${2:-afpacket}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/lib/netns.sh"
require_root
for tool in iperf3 traceroute; do command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }; done

A=c10m-l3a-$$
R=c10m-l3r-$$
B=c10m-l3b-$$
netns_add "$A"
netns_add "$R"
netns_add "$B"
for ns in "$A" "$R" "$B"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
PY=/usr/bin/python3
case "$KIND" in
    afpacket | afxdp)
        veth_pair "$A" a0 "$R" r0
        veth_pair "$R" r1 "$B" b0
        AIF=a0
        BIF=b0
        PMD=af_packet
        [ "$KIND" = afxdp ] && PMD=af_xdp
        PORTS=(-- --iface r0,r1 --iface-pmd "$PMD")
        ;;
    tap)
        AIF=c10mtapa$$
        BIF=c10mtapb$$
        AIF=${AIF:0:15}
        BIF=${BIF:0:15}
        PORTS=(--vdev "net_tap0,iface=$AIF" --vdev "net_tap1,iface=$BIF" --)
        ;;
    *) echo "KIND: expected afpacket, afxdp or tap, got '$KIND'"; exit 2 ;;
esac

# run_router NAME [more c10m options]: starts c10m in R; sets PID, LOG, OUT.
run_router() {
    local name=$1
    shift
    OUT=$C10M_TMP/$name.out
    LOG=$C10M_TMP/$name.err
    ip netns exec "$R" timeout -s INT 300 "$C10M" --no-pci --in-memory $(c10m_lcores) \
        --file-prefix "c10m-l3-$name-$$" --log-level=lib.eal:error "${PORTS[@]}" \
        $(c10m_mode_args) --forward-mode l3fwd --ip 0:198.18.1.1/24 --ip 1:198.19.1.1/24 \
        --route 198.19.5.0/24,1,198.19.1.2 --route 198.19.9.0/24,1,198.19.1.99 \
        --stats-format json --stats-period 0 "$@" >"$OUT" 2>"$LOG" &
    PID=$!
    C10M_PIDS+=("$PID")
    wait_for_log "$LOG" "lcore 0 (socket" 30 || exit 1
    if [ "$KIND" = tap ]; then
        ip -n "$R" link set "$AIF" netns "$A"
        ip -n "$R" link set "$BIF" netns "$B"
        for side in "$A $AIF" "$B $BIF"; do
            set -- $side
            ip netns exec "$1" ethtool -K "$2" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
            ip -n "$1" link set "$2" up
        done
    fi
    ip -n "$A" addr replace 198.18.1.2/24 dev "$AIF"
    ip -n "$A" route replace 198.19.0.0/16 via 198.18.1.1
    ip -n "$B" addr replace 198.19.1.2/24 dev "$BIF"
    ip -n "$B" addr replace 198.19.5.1/32 dev lo
    ip -n "$B" route replace 198.18.0.0/16 via 198.19.1.1
    sleep 0.5
}

# stop_router: SIGINT, exit 0 (c10m exits 1 when a mempool is not back to its
# baseline), and the final JSON sample's mempools at their baseline.
stop_router() {
    kill -INT "$PID"
    wait "$PID"
    local rc=$?
    check "c10m exit 0 (no leak)" test "$rc" = 0 || tail -20 "$LOG"
    $PY - "$OUT" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
ev = {k: sum(l["events"][k] for l in s["lcores"]) for k in s["lcores"][0]["events"]}
dr = {k: sum(l["drops"][k] for l in s["lcores"]) for k in s["lcores"][0]["drops"]}
print("  forwarded %d; errors: time exceeded %d, net %d, host %d, frag needed %d; ARP requests %d; "
      "drops %s" % (ev["l3_forwarded"], ev["icmp_time_exceeded"], ev["icmp_net_unreachable"],
                    ev["icmp_host_unreachable"], ev["icmp_frag_needed"], ev["arp_request_sent"],
                    {k: v for k, v in dr.items() if v}))
sys.exit(0 if all(m["in_use"] <= m["baseline"] for m in s["mempools"]) else 1)
PY
    check "mempools back to their baseline" test $? = 0
}

inA() { ip netns exec "$A" "$@"; }
inB() { ip netns exec "$B" "$@"; }

echo "== run 1: routing, ICMP errors, neighbour resolution ($KIND${C10M_PIPELINE:+, pipeline})"
run_router one
# Echo servers in B (started directly, not through inB, so that their pids are
# theirs to stop): kernel TCP (tests/e2e/kernel_tcp_echo.py) and UDP, bounded.
ip netns exec "$B" timeout 200 $PY "$HERE/kernel_tcp_echo.py" --host 198.19.5.1 --port 7 --duration 190 \
    >"$C10M_TMP/tcp_echo.out" 2>&1 &
C10M_PIDS+=($!)
ip netns exec "$B" timeout 200 $PY -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(('198.19.5.1', 7)); s.settimeout(1)
end = time.time() + 190
while time.time() < end:
    try: d, a = s.recvfrom(65535)
    except socket.timeout: continue
    s.sendto(d, a)
" >"$C10M_TMP/udp_echo.out" 2>&1 &
C10M_PIDS+=($!)

check "A pings c10m's address" inA ping -q -c 2 -i 0.2 -W 2 198.18.1.1
# One ping first resolves B for c10m (and c10m for B): the burst of pings after it
# would otherwise overrun the few packets a router holds while it ARPs.
check "A pings B through c10m" inA ping -q -c 2 -i 0.2 -W 2 198.19.1.2
for dst in 198.19.1.2 198.19.5.1; do
    R1=$(inA timeout 90 $PY "$HERE/ping_sizes.py" "$dst" 0 1472 60)
    check "ping of every size 0..1472 to $dst through c10m, payload exact: $R1" test $? = 0
done
TR=$(inA timeout 20 traceroute -n -q 1 -w 2 -m 5 198.19.5.1 2>&1)
check "traceroute shows c10m (198.18.1.1) at hop 1, then 198.19.5.1" \
    bash -c "grep -qE '^ *1 +198\.18\.1\.1 ' <<<'$TR' && grep -qE '^ *2 +198\.19\.5\.1 ' <<<'$TR'" || echo "$TR"
R1=$(inA ping -c 1 -t 1 -W 2 198.19.5.1 2>&1)
check "ping -t 1: time to live exceeded from 198.18.1.1" grep -q "From 198.18.1.1 .*Time to live exceeded" <<<"$R1"
ip netns exec "$B" timeout 30 iperf3 -s -1 -B 198.19.5.1 -p 5201 >"$C10M_TMP/iperf3s" 2>&1 &
C10M_PIDS+=($!)
sleep 0.5
R1=$(inA timeout 30 iperf3 -c 198.19.5.1 -p 5201 -t 3 -J 2>&1)
BPS=$($PY -c "import json,sys; d=json.loads(sys.stdin.read()); print(int(d['end']['sum_received']['bytes']*8/d['end']['sum_received']['seconds']))" <<<"$R1" 2>/dev/null)
check "iperf3 TCP bulk A -> 198.19.5.1 through c10m: ${BPS:-?} bit/s" test "${BPS:-0}" -gt 1000000
R1=$(inA timeout 90 $PY "$HERE/tcp_echo_check.py" --host 198.19.5.1 --port 7 --conns 50 --bytes 200000 --timeout 80)
check "50 TCP connections x 200 kB echoed by B's kernel, every byte: $R1" test $? = 0
R1=$(inA timeout 60 $PY "$HERE/udp_echo_check.py" 198.19.5.1 7 2000 1472 40)
check "2000 UDP datagrams of random sizes echoed by B, every byte: $R1" test $? = 0
R1=$(inA ping -c 1 -W 2 198.19.200.1 2>&1)
check "unknown prefix: destination net unreachable from 198.18.1.1" \
    grep -q "From 198.18.1.1 .*Destination Net Unreachable" <<<"$R1"
R1=$(inA ping -c 1 -W 8 198.19.9.1 2>&1)
check "next hop that never answers ARP: destination host unreachable from 198.18.1.1" \
    grep -q "From 198.18.1.1 .*Destination Host Unreachable" <<<"$R1"
stop_router

echo "== run 2: --mtu 1:1400 on B's side: path MTU discovery through c10m"
inA ip route flush cache
run_router two --mtu 1:1400
R1=$(inA ping -c 1 -W 2 -M do -s 1400 198.19.5.1 2>&1)
check "1428-byte DF ping: frag needed (mtu = 1400) from c10m" grep -qiE "mtu ?= ?1400" <<<"$R1" || echo "$R1"
check "the kernel now has the path MTU 1400 to B" bash -c "ip netns exec '$A' ip route get 198.19.5.1 | grep -q 'mtu 1400'"
inA ip route flush cache
R1=$(inA timeout 90 $PY "$HERE/tcp_echo_check.py" --host 198.19.5.1 --port 7 --conns 4 --bytes 300000 --timeout 80)
check "TCP with full-size segments through a 1400 MTU: path MTU discovery, every byte: $R1" test $? = 0
stop_router
R1=$($PY - "$C10M_TMP/two.out" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
print(sum(l["events"]["icmp_frag_needed"] for l in s["lcores"]))
PY
)
check "fragmentation needed sent (for the ping and the TCP segments): $R1" test "${R1:-0}" -ge 2
finish
