#!/bin/bash
# c10m on the other virtual devices CI uses: net_tap (the Linux stack on a tap
# interface in a namespace) and net_memif (dpdk-testpmd on the far end, fed from a
# pcap through net_pcap). Frames come back MAC-swapped, byte-exact, and every mbuf
# returns to its pool.
set -uo pipefail
C10M=${1:?usage: vdevs.sh /path/to/c10m}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/lib/netns.sh"
require_root
command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd missing"; exit 77; }

final_ok() {  # final_ok OUTFILE MIN_RX: final JSON has rx==tx>=MIN_RX, no drops, 0 mbufs in use
    /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
f = [l for l in lines if l["final"]]
if not f: print("  no final stats"); sys.exit(1)
f = f[-1]; p = f["ports"][0]
print("  c10m final:", {k: p[k] for k in ("name", "rx", "tx", "drops")}, "mempools", [m["in_use"] for m in f["mempools"]])
ok = p["rx"] >= int(sys.argv[2]) and p["rx"] == p["tx"] and not any(p["drops"].values()) \
     and not any(m["in_use"] for m in f["mempools"])
sys.exit(0 if ok else 1)
PY
}

# --- net_tap: the tap interface lives in a namespace; the kernel side sends. ---
NS=c10m-tap-$$
netns_add "$NS"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$NS" timeout -s INT 60 "$C10M" --no-pci --in-memory -l 0 --log-level=lib.eal:error \
    --vdev "net_tap0,iface=c10mtap0" -- --forward-mode macswap --stats-format json --stats-period 0 \
    >"$C10M_TMP/tap.out" 2>"$C10M_TMP/tap.err" &
PID=$!
C10M_PIDS+=("$PID")
wait_for_log "$C10M_TMP/tap.err" "lcore 0 (socket" 20 || exit 1
ip netns exec "$NS" ip link set c10mtap0 up
sleep 0.3
CL=$(ip netns exec "$NS" timeout 30 /usr/bin/python3 "$ROOT/scripts/raw_echo_client.py" c10mtap0 1000 10)
check "net_tap: 1000 frames back from c10m, byte-exact ($CL)" test $? = 0
kill -INT "$PID"
wait "$PID"
check "net_tap: exit 0 on SIGINT" test $? = 0
check "net_tap: counts match, no drops, every mbuf back" final_ok "$C10M_TMP/tap.out" 1000

# --- net_memif: testpmd (client) replays a pcap into the link and records what returns. ---
N=500
/usr/bin/python3 - "$C10M_TMP/in.pcap" "$N" <<'PY'
import random, struct, sys
rng = random.Random(7); n = int(sys.argv[2])
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        size = rng.randint(60, 1514)
        frame = bytes([2, 0, 0, 0, 0, 0xAA, 2, 0, 0, 0, 0, 0xBB]) + b"\x88\xb5" + struct.pack("!I", i) + \
            bytes(rng.getrandbits(8) for _ in range(size - 18))
        f.write(struct.pack("<IIII", 0, i, len(frame), len(frame)) + frame)
PY
SOCK=$C10M_TMP/memif.sock
timeout -s INT 60 "$C10M" --no-pci --in-memory -l 0 --log-level=lib.eal:error \
    --vdev "net_memif0,role=server,socket=$SOCK,socket-abstract=no" \
    -- --forward-mode macswap --stats-format json --stats-period 0 >"$C10M_TMP/memif.out" 2>"$C10M_TMP/memif.err" &
PID=$!
C10M_PIDS+=("$PID")
wait_for_log "$C10M_TMP/memif.err" "lcore 0 (socket" 20 || exit 1
# Interactive testpmd: ports (and the memif link) come up first, forwarding starts on
# "start", so the pcap is not replayed into a link that is not connected yet. c10m is
# stopped while the link is still up: memif resets its port counters on disconnect.
(sleep 2; echo start; sleep 3; echo stop; sleep 3; echo quit) | timeout 30 dpdk-testpmd --no-pci --in-memory \
    -l 0-1 --log-level=lib.eal:error --vdev "net_memif0,role=client,socket=$SOCK,socket-abstract=no" \
    --vdev "net_pcap0,rx_pcap=$C10M_TMP/in.pcap,tx_pcap=$C10M_TMP/out.pcap" -- -i --forward-mode=io \
    --no-flush-rx --total-num-mbufs=4096 >"$C10M_TMP/testpmd.out" 2>&1 &
TP=$!
C10M_PIDS+=("$TP")
sleep 6
kill -INT "$PID"
wait "$PID"
check "net_memif: c10m exit 0 on SIGINT" test $? = 0
wait "$TP"
check "net_memif: testpmd ran" test $? = 0
/usr/bin/python3 - "$C10M_TMP/in.pcap" "$C10M_TMP/out.pcap" <<'PY'
import struct, sys
def frames(path):
    d = open(path, "rb").read(); out = []; off = 24
    while off + 16 <= len(d):
        incl = struct.unpack("<IIII", d[off:off + 16])[2]; out.append(d[off + 16:off + 16 + incl]); off += 16 + incl
    return out
a, b = frames(sys.argv[1]), frames(sys.argv[2])
want = [f[6:12] + f[0:6] + f[12:] for f in a]
print(f"  memif: sent {len(a)}, came back {len(b)}, byte-exact {sum(x == y for x, y in zip(want, b))}")
sys.exit(0 if want == b else 1)
PY
check "net_memif: all $N frames back through testpmd, MAC-swapped, in order" test $? = 0
check "net_memif: counts match, no drops, every mbuf back" final_ok "$C10M_TMP/memif.out" "$N"
finish
