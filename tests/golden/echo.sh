#!/bin/bash
# Golden files for the echo host: a pcap of mixed good and bad traffic goes in
# through net_pcap; what c10m sends must equal, byte for byte, the replies an
# independent model (tests/golden/echo_model.py, scapy) computes; every input frame
# must be accounted for as a reply or a drop by reason; no mbuf left in use.
set -uo pipefail
C10M=${1:?usage: echo.sh /path/to/c10m}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/lib/netns.sh"
require_root
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { echo "SKIP: python3-scapy missing"; exit 77; }

IN=$C10M_TMP/in.pcap
EXP=$C10M_TMP/expected.pcap
OUT=$C10M_TMP/out.pcap
check "model wrote the input and the expected replies" /usr/bin/python3 "$HERE/echo_model.py" "$IN" "$EXP"
timeout -k 5 30 "$C10M" --no-pci --in-memory -l 0 --file-prefix "c10m-gecho-$$" --log-level=lib.eal:error \
    --vdev "net_pcap0,rx_pcap=$IN,tx_pcap=$OUT" -- --forward-mode echo --ip 198.18.0.1/24 \
    --udp-port 7 --udp-port 5001 --duration 2 --stats-period 0 --stats-format json >"$C10M_TMP/stats" 2>"$C10M_TMP/err"
check "c10m exit 0" test $? = 0
check "replies equal the model's, byte for byte" /usr/bin/python3 "$HERE/pcap_cmp.py" "$EXP" "$OUT"
/usr/bin/python3 - "$C10M_TMP/stats" "$IN" <<'PY'
import json, sys
sys.path.insert(0, __import__("os").path.dirname(sys.argv[0]))
s = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
d = open(sys.argv[2], "rb").read()
n, off = 0, 24
while off + 16 <= len(d):
    off += 16 + int.from_bytes(d[off + 8:off + 12], "little"); n += 1
p = s["ports"][0]; l = s["lcores"][0]
drops = sum(l["drops"].values()); ev = l["events"]
answered = ev["arp_reply"] + ev["icmp_echo_reply"] + ev["icmp_unreachable"] + ev["udp_echo_reply"]
print(f"  frames in {n}: rx {p['rx']}, replies {answered}, learned {ev['arp_learned']}, drops {drops}, garp {ev['garp_sent']}")
ok = p["rx"] == n == answered + ev["arp_learned"] + drops and p["tx"] == answered + ev["garp_sent"] \
    and all(m["in_use"] == 0 for m in s["mempools"])
sys.exit(0 if ok else 1)
PY
check "every frame accounted for (replies + drops by reason = rx), mempool back to 0" test $? = 0
finish
