#!/usr/bin/env bash
# shellcheck disable=SC2317  # helper functions are called indirectly, through check
# Golden-file test: c10m must send exactly the bytes dpdk-testpmd sends.
#
# usage: bash tests/golden/run.sh /path/to/c10m
#
# For each forward mode io, mac, macswap, dpdk-testpmd and c10m each replay the
# same two input pcaps through two net_pcap ports (0<->1 paired) and write what
# they transmit to tx_pcap files; one more case runs mac mode on a lone port
# (which forwards to itself). Checked per case:
#   * testpmd exited 0 on SIGINT and c10m exited 0 after --duration;
#   * both programs report the same net_pcap port MACs (mac mode writes them);
#   * testpmd's output equals an independent model of the mode applied to the
#     other port's input (guards against a golden run that forwarded nothing);
#   * c10m's output equals testpmd's, packet by packet, byte for byte
#     (timestamps ignored: tx_pcap writes nanosecond files with send times);
#   * c10m's final JSON stats: per-port rx/tx = frame counts, no drops,
#     mempool in_use 0.
# Then a c10m-only case: inputs with runt frames (< 14 bytes) in macswap mode;
# the runts must be counted as drops "runt" and be absent from the output, and
# every other frame must come out macswapped.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or no dpdk-testpmd).
#
# Port MACs: net_pcap (DPDK 22.11, drivers/net/pcap/pcap_ethdev.c) does not pick
# random MACs; each process numbers its pcap ports from a static counter,
# 02:70:63:61:70:<n> in probe order (= --vdev order). Both programs get the same
# --vdev list in the same order, so their MACs agree; this is asserted from their
# start-up logs rather than assumed.

set -u

C10M=${1:-}
if [[ -z "$C10M" ]]; then
    echo "usage: $0 /path/to/c10m" >&2
    exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: golden test needs root (hugepages, DPDK EAL)"
    exit 77
fi
TESTPMD=$(command -v dpdk-testpmd || true)
if [[ -z "$TESTPMD" ]]; then
    echo "SKIP: dpdk-testpmd not found on PATH"
    exit 77
fi
if [[ ! -x "$C10M" ]]; then
    echo "FAIL: $C10M is not an executable"
    exit 1
fi
C10M=$(cd "$(dirname "$C10M")" && pwd)/$(basename "$C10M")

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# With C10M_PIPELINE=N (meson's golden-pipeline), c10m runs in --pipeline mode with
# one rx lcore and N workers: its output must still equal testpmd's byte for byte.
source "$HERE/../../scripts/lib/lcores.sh"
read -ra C10M_LC <<<"$(c10m_lcores)"
read -ra C10M_MODE <<<"$(c10m_mode_args)"
PY=/usr/bin/python3
gen() { "$PY" "$HERE/gen_pcap.py" "$@"; }
pcap_cmp() { "$PY" "$HERE/pcap_cmp.py" "$@"; }
check_stats() { "$PY" "$HERE/check_stats.py" "$@"; }

TMP=$(mktemp -d /tmp/c10m-golden.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
PREFIX=c10m_golden_$$

pass=0
fail=0
failed=()

ok() {
    echo "PASS  $1"
    pass=$((pass + 1))
}

bad() {
    echo "FAIL  $1"
    [[ -n "${2:-}" ]] && echo "      ${2//$'\n'/$'\n'      }"
    fail=$((fail + 1))
    failed+=("$1")
}

# check NAME CMD...: run CMD, pass if it exits 0; show its output on failure.
check() {
    local name=$1 out rc
    shift
    out=$("$@" 2>&1)
    rc=$?
    if [[ $rc -eq 0 ]]; then ok "$name"; else bad "$name" "$out"; fi
    return $rc
}

# Last lines of a log, for failure reports.
tail_of() { tail -n "${2:-15}" "$1" 2>/dev/null; }

# "PORT MAC" lines from the programs' start-up logs.
testpmd_macs() { sed -n 's/^Port \([0-9]\+\): \([0-9A-Fa-f:]\{17\}\)$/\1 \2/p' "$1" | tr 'A-F' 'a-f'; }
c10m_macs() {
    sed -n 's/^C10M: port \([0-9]\+\) (.*, \([0-9A-Fa-f:]\{17\}\)).*/\1 \2/p' "$1" | tr 'A-F' 'a-f'
}
mac_of() { awk -v p="$2" '$1 == p { print $2 }' <<<"$1"; }

# ---------------------------------------------------------------------------
# Inputs: two different seeded files, one per port; and a pair with runts.
gen_inputs() {
    gen in0.pcap --seed 11 --count 320 &&
        gen in1.pcap --seed 22 --count 270 &&
        gen runt0.pcap --seed 33 --count 200 --runts 9 &&
        gen runt1.pcap --seed 44 --count 150 --runts 4
}
check "generate inputs" gen_inputs || { echo "golden: cannot generate inputs"; exit 1; }
N=("$(pcap_cmp --count in0.pcap)" "$(pcap_cmp --count in1.pcap)")

# ---------------------------------------------------------------------------
# golden_case NAME MODE NPORTS: testpmd and c10m on the same NPORTS (1 or 2) inputs.
golden_case() {
    local name=$1 mode=$2 nports=$3
    local tp_log=tp_$name.log c_json=c10m_$name.json c_log=c10m_$name.log
    local tp_vdevs=() c_vdevs=() rxs=() txs=() p rc tx rx how tp_macs c_macs
    for ((p = 0; p < nports; p++)); do
        tp_vdevs+=("--vdev=net_pcap$p,rx_pcap=in$p.pcap,tx_pcap=tp_out${p}_$name.pcap")
        c_vdevs+=("--vdev=net_pcap$p,rx_pcap=in$p.pcap,tx_pcap=c10m_out${p}_$name.pcap")
    done

    # testpmd needs two lcores (main + one forwarding). timeout sends SIGINT after
    # 4 s (testpmd exits 0 then), KILL 5 s later if it hangs.
    timeout -k 5 --preserve-status -s INT 4 "$TESTPMD" \
        --no-pci --in-memory -l 0-1 --file-prefix="${PREFIX}_tp_$name" "${tp_vdevs[@]}" \
        -- --forward-mode="$mode" --no-flush-rx --total-num-mbufs=2048 --stats-period=1 \
        </dev/null >"$tp_log" 2>&1
    rc=$?
    if [[ $rc -eq 0 ]]; then ok "$name: dpdk-testpmd ran (exit 0)"; else
        bad "$name: dpdk-testpmd ran (exit $rc)" "$(tail_of "$tp_log")"
        return
    fi

    timeout -k 5 20 "$C10M" \
        --no-pci --in-memory "${C10M_LC[@]}" --file-prefix="${PREFIX}_c10m_$name" "${c_vdevs[@]}" \
        -- "${C10M_MODE[@]}" --forward-mode="$mode" --duration 2 --stats-format json \
        </dev/null >"$c_json" 2>"$c_log"
    rc=$?
    if [[ $rc -eq 0 ]]; then ok "$name: c10m ran (exit 0)"; else
        bad "$name: c10m ran (exit $rc)" "$(tail_of "$c_log")"
        return
    fi

    tp_macs=$(testpmd_macs "$tp_log")
    c_macs=$(c10m_macs "$c_log")
    if [[ $(grep -c . <<<"$tp_macs") -eq $nports && "$tp_macs" == "$c_macs" ]]; then
        ok "$name: port MACs agree ($(tr '\n' ' ' <<<"$tp_macs" | sed 's/ $//'))"
    else
        bad "$name: port MACs agree" "testpmd: $(tr '\n' ' ' <<<"$tp_macs")"$'\n'"c10m:    $(tr '\n' ' ' <<<"$c_macs")"
        return
    fi

    # Model: with two ports, port 0 sends what port 1 received and vice versa; a
    # lone port sends back what it received. The mode rewrites the MACs.
    for ((tx = 0; tx < nports; tx++)); do
        rx=$((nports - 1 - tx))
        case $mode in
            io) how=() ;;
            macswap) how=(--macswap) ;;
            mac) how=(--set-mac "02:00:00:00:00:0$tx,$(mac_of "$tp_macs" $tx)") ;;
        esac
        check "$name: testpmd port $tx output = $mode(port $rx input)" \
            pcap_cmp "${how[@]}" "in$rx.pcap" "tp_out${tx}_$name.pcap"
    done

    for ((tx = 0; tx < nports; tx++)); do
        rx=$((nports - 1 - tx))
        check "$name: c10m port $tx output == testpmd port $tx output (bytes)" \
            pcap_cmp "tp_out${tx}_$name.pcap" "c10m_out${tx}_$name.pcap"
        rxs+=("${N[$tx]}")
        txs+=("${N[$rx]}")
    done

    local rxl txl
    rxl=$(IFS=,; echo "${rxs[*]}")
    txl=$(IFS=,; echo "${txs[*]}")
    check "$name: c10m final stats (rx $rxl, tx $txl, no drops, mempool in_use 0)" \
        check_stats "$c_json" --mode "$mode" --rx "$rxl" --tx "$txl" --runt 0
}

golden_case io io 2
golden_case mac mac 2
golden_case macswap macswap 2
golden_case mac-lone-port mac 1   # a lone port forwards to itself

# ---------------------------------------------------------------------------
# c10m only: runts in macswap mode (testpmd would swap bytes past their end).
R0=$(pcap_cmp --count runt0.pcap)
R1=$(pcap_cmp --count runt1.pcap)
K0=$(pcap_cmp --count --drop-shorter 14 runt0.pcap)
K1=$(pcap_cmp --count --drop-shorter 14 runt1.pcap)
runts=$((R0 - K0 + R1 - K1))
if [[ $runts -gt 0 ]]; then ok "runt: inputs hold $runts runt frames"; else bad "runt: inputs hold runt frames" "none found"; fi

timeout -k 5 20 "$C10M" \
    --no-pci --in-memory "${C10M_LC[@]}" --file-prefix="${PREFIX}_c10m_runt" \
    --vdev=net_pcap0,rx_pcap=runt0.pcap,tx_pcap=c10m_out0_runt.pcap \
    --vdev=net_pcap1,rx_pcap=runt1.pcap,tx_pcap=c10m_out1_runt.pcap \
    -- "${C10M_MODE[@]}" --forward-mode=macswap --duration 2 --stats-format json \
    </dev/null >c10m_runt.json 2>c10m_runt.log
rc=$?
if [[ $rc -eq 0 ]]; then
    ok "runt: c10m macswap ran (exit 0)"
    for tx in 0 1; do
        rx=$((1 - tx))
        check "runt: c10m port $tx output = macswap(port $rx input without runts)" \
            pcap_cmp --drop-shorter 14 --macswap "runt$rx.pcap" "c10m_out${tx}_runt.pcap"
    done
    check "runt: c10m final stats (rx $R0,$R1, tx $K1,$K0, drops runt $runts, mempool in_use 0)" \
        check_stats c10m_runt.json --mode macswap --rx "$R0,$R1" --tx "$K1,$K0" --runt "$runts"
else
    bad "runt: c10m macswap ran (exit $rc)" "$(tail_of c10m_runt.log)"
fi

# ---------------------------------------------------------------------------
echo "golden: $pass passed, $fail failed"
if [[ $fail -ne 0 ]]; then
    for f in "${failed[@]}"; do echo "  failed: $f"; done
    exit 1
fi
exit 0
