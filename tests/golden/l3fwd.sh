#!/bin/bash
# Golden files for the router: a pcap of mixed traffic goes in through net_pcap port
# 0; what c10m sends on ports 0 and 1 must equal, byte for byte, what an independent
# model of an RFC 1812 router (tests/golden/l3fwd_model.py, scapy) computes: forwarded
# frames with their MACs, TTLs and checksums rewritten, host replies, ICMP errors.
# Every input frame must be accounted for; no mbuf left in use.
set -uo pipefail
C10M=${1:?usage: l3fwd.sh /path/to/c10m}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/lib/netns.sh"
require_root
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { echo "SKIP: python3-scapy missing"; exit 77; }

IN0=$C10M_TMP/in0.pcap
IN1=$C10M_TMP/in1.pcap
MODEL=$(/usr/bin/python3 "$HERE/l3fwd_model.py" "$IN0" "$C10M_TMP/exp0.pcap" "$C10M_TMP/exp1.pcap")
check "model wrote the input and the expected output: $(head -1 <<<"$MODEL")" test $? = 0
mapfile -t OPTS < <(tail -n +2 <<<"$MODEL")
/usr/bin/python3 -c "from scapy.all import wrpcap; wrpcap('$IN1', [], linktype=1)"
timeout -k 5 30 "$C10M" --no-pci --in-memory $(c10m_lcores) --file-prefix "c10m-gl3-$$" --log-level=lib.eal:error \
    --vdev "net_pcap0,rx_pcap=$IN0,tx_pcap=$C10M_TMP/out0.pcap" \
    --vdev "net_pcap1,rx_pcap=$IN1,tx_pcap=$C10M_TMP/out1.pcap" -- \
    $(c10m_mode_args) --forward-mode l3fwd "${OPTS[@]}" --duration 2 --stats-period 0 --stats-format json \
    >"$C10M_TMP/stats" 2>"$C10M_TMP/err"
check "c10m exit 0" test $? = 0 || cat "$C10M_TMP/err"
check "port 0 (replies, ICMP errors) equals the model's, byte for byte" \
    /usr/bin/python3 "$HERE/pcap_cmp.py" "$C10M_TMP/exp0.pcap" "$C10M_TMP/out0.pcap"
check "port 1 (forwarded) equals the model's, byte for byte" \
    /usr/bin/python3 "$HERE/pcap_cmp.py" "$C10M_TMP/exp1.pcap" "$C10M_TMP/out1.pcap"
/usr/bin/python3 - "$C10M_TMP/stats" "$IN0" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
d = open(sys.argv[2], "rb").read()
n, off = 0, 24
while off + 16 <= len(d):
    off += 16 + int.from_bytes(d[off + 8:off + 12], "little"); n += 1
ev = {k: sum(l["events"][k] for l in s["lcores"]) for k in s["lcores"][0]["events"]}
drops = sum(sum(l["drops"].values()) for l in s["lcores"])
rx = s["ports"][0]["rx"] + s["ports"][1]["rx"]
answered = ev["arp_reply"] + ev["icmp_echo_reply"]
errors = sum(ev[k] for k in ("icmp_time_exceeded", "icmp_net_unreachable", "icmp_host_unreachable",
                             "icmp_frag_needed", "icmp_unreachable", "tcp_rst_sent"))
tx = s["ports"][0]["tx"] + s["ports"][1]["tx"]
print(f"  frames in {n}: rx {rx}, forwarded {ev['l3_forwarded']}, answered {answered}, "
      f"learned {ev['arp_learned']}, drops {drops} (of which {errors} answered with an ICMP error or RST)")
ok = rx == n == ev["l3_forwarded"] + answered + ev["arp_learned"] + drops \
    and tx == ev["l3_forwarded"] + answered + errors + ev["garp_sent"] + ev["arp_request_sent"] \
    and all(m["in_use"] == 0 for m in s["mempools"])
sys.exit(0 if ok else 1)
PY
check "every frame accounted for (forwarded + answered + drops by reason = rx), mempool back to 0" test $? = 0
[ -n "${KEEP:-}" ] && cp "$C10M_TMP"/*.pcap "$KEEP"/
finish
