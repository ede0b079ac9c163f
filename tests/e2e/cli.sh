#!/bin/bash
# The command line as a user meets it: help, version, every kind of bad input
# (exit 2 and one line naming the flag), no ports, the default-route guard, a
# config file, --duration and SIGTERM.
set -uo pipefail
C10M=${1:?usage: cli.sh /path/to/c10m}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$HERE/../../scripts/lib/netns.sh"
require_root

EAL=(--no-pci --in-memory -l 0 --log-level=lib.eal:error --no-telemetry)

# expect_usage_error "ARGS..." PATTERN: exit 2, exactly one line on stderr matching.
expect_usage_error() {
    local pattern=$1
    shift
    local err rc
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" != 2 ]; then echo "  exit $rc, wanted 2: $*"; return 1; fi
    if [ "$(printf '%s\n' "$err" | grep -c '^c10m: ')" != 1 ]; then echo "  stderr: $err"; return 1; fi
    if ! printf '%s\n' "$err" | grep -q -- "$pattern"; then echo "  stderr '$err' lacks '$pattern'"; return 1; fi
}

check "--help exits 0 and documents every flag" bash -c "
    out=\$('$C10M' --help) || exit 1
    for f in --forward-mode --portmask --nb-cores --rxq --txq --rxd --txd --burst --eth-peer \
             --total-num-mbufs --mbuf-size --stats-period --stats-format --config --iface --iface-force \
             --duration --config-file --help --version --ip --udp-port --icmp-rate --icmp-echo-rate --iface-pmd \
             --pipeline --rx-lcores --ring-size --drain-timeout --gen-dst --gen-src --gen-conns \
             --gen-cps --gen-hold --gen-txn-size --gen-txn-rate --gen-sweep --gen-close --gen-seed; do
        grep -q -- \"\$f\" <<<\"\$out\" || { echo missing \$f; exit 1; }
    done"
check "-- --help exits 0" bash -c "'$C10M' ${EAL[*]} -- --help | grep -q 'Usage: c10m'"
check "--version" bash -c "'$C10M' --version | grep -Eq '^c10m [0-9]+\.[0-9]+'"

check "bad value: --burst=0" expect_usage_error "--burst: expected an integer in 1..512" "$C10M" "${EAL[@]}" -- --burst=0
check "bad mode" expect_usage_error "--forward-mode: expected one of io, mac, macswap" "$C10M" "${EAL[@]}" -- --forward-mode=l4
check "unknown flag" expect_usage_error "unknown option '--warp'" "$C10M" "${EAL[@]}" -- --warp
check "bad --config" expect_usage_error "--config: expected (port,queue,lcore)" "$C10M" "${EAL[@]}" -- --config "(0,0)"
check "app flag before -- is an EAL error" bash -c "'$C10M' ${EAL[*]} --burst=4 >/dev/null 2>&1; test \$? != 0"

check "no ports: names the three ways to get one" expect_usage_error \
    "dpdk-devbind.py.*--vdev.*--iface" "$C10M" "${EAL[@]}"
check "--portmask naming a missing port" expect_usage_error "--portmask: expected a mask of probed ports (0)" \
    "$C10M" "${EAL[@]}" --vdev net_null0,no-rx=1 -- --portmask 0x2
check "--nb-cores beyond the lcores" expect_usage_error "--nb-cores: expected at most 1" \
    "$C10M" "${EAL[@]}" --vdev net_null0,no-rx=1 -- --nb-cores 2
check "--eth-peer outside mac mode" expect_usage_error "--eth-peer: expected only with --forward-mode=mac" \
    "$C10M" "${EAL[@]}" --vdev net_null0,no-rx=1 -- --eth-peer 0,02:00:00:00:00:01
# Pipeline mode's bad configurations: exit 2, one line. Three lcores on this
# two-CPU machine (main, and two that forward).
LC3=(--no-pci --in-memory --lcores '0@0,(1-2)@1' --log-level=lib.eal:error --no-telemetry)
check "--pipeline with no worker left" expect_usage_error \
    "--pipeline: expected at least 2 forwarding lcores (an rx lcore and a worker), got 1" \
    "$C10M" "${EAL[@]}" --vdev net_null0,no-rx=1 -- --pipeline
check "--rx-lcores 0" expect_usage_error "--rx-lcores: expected 1..1 (the 2 forwarding lcores" \
    "$C10M" "${LC3[@]}" --vdev net_null0,no-rx=1 -- --pipeline --rx-lcores 0
check "--rx-lcores as many as the lcores" expect_usage_error "--rx-lcores: expected 1..1 .*got 2" \
    "$C10M" "${LC3[@]}" --vdev net_null0,no-rx=1 -- --pipeline --rx-lcores 2
check "--ring-size not a power of two" expect_usage_error \
    "--ring-size: expected a power of two in 64..1048576, got '1000'" \
    "$C10M" "${LC3[@]}" --vdev net_null0,no-rx=1 -- --pipeline --ring-size 1000
check "--rx-lcores without --pipeline" expect_usage_error "--rx-lcores: expected only with --pipeline" \
    "$C10M" "${LC3[@]}" --vdev net_null0,no-rx=1 -- --rx-lcores 1
check "--iface that does not exist" expect_usage_error "--iface: expected an existing network interface, got 'nosuch9'" \
    "$C10M" "${EAL[@]}" -- --iface nosuch9

# The default-route guard, in a namespace whose veth carries a default route.
NS=c10m-cli-$$
NS2=c10m-cli2-$$
netns_add "$NS"
netns_add "$NS2"
veth_pair "$NS" up0 "$NS2" up1
ip netns exec "$NS" ip addr add 198.18.9.1/24 dev up0
ip netns exec "$NS" ip route add default via 198.18.9.2 dev up0
check "--iface on the default-route interface is refused" expect_usage_error \
    "--iface: 'up0' carries the default route" ip netns exec "$NS" "$C10M" "${EAL[@]}" -- --iface up0
check "--iface-force overrides the guard" bash -c \
    "ip netns exec '$NS' timeout 20 '$C10M' ${EAL[*]} -- --iface up0 --iface-force --duration 0.5 --stats-period 0 >/dev/null 2>&1"

# Config file: the example under config/ parses; a bad line names file and line.
check "config/l2fwd.ini runs (command line wins over it)" bash -c \
    "'$C10M' ${EAL[*]} --vdev net_null0 --vdev net_null1 -- --config-file '$ROOT/config/l2fwd.ini' --duration 0.5 \
       --stats-format json 2>/dev/null | tail -1 | grep -q '\"mode\":\"macswap\"'"
check "config/router.ini runs an l3fwd router on two ports" bash -c \
    "'$C10M' ${EAL[*]} --vdev net_null0 --vdev net_null1 -- --config-file '$ROOT/config/router.ini' --duration 0.5 \
       --stats-format json 2>/dev/null | tail -1 | grep -q '\"mode\":\"l3fwd\"'"
L3=(--forward-mode l3fwd --ip 0:198.18.1.1/24 --ip 1:198.19.1.1/24)
check "l3fwd: a gateway off the port's subnet: exit 2, one line" expect_usage_error \
    "--route 198.19.5.0/24,1,198.18.1.9: expected a gateway on port 1's subnet" \
    "$C10M" "${EAL[@]}" --vdev net_null0 --vdev net_null1 -- "${L3[@]}" --route 198.19.5.0/24,1,198.18.1.9
check "l3fwd: a forwarding port with no --ip: exit 2, one line" expect_usage_error \
    "--ip: expected an address on every forwarding port in l3fwd mode (it answers ARP and ICMP there), port 1 has none" \
    "$C10M" "${EAL[@]}" --vdev net_null0 --vdev net_null1 -- --forward-mode l3fwd --ip 0:198.18.1.1/24
check "l3fwd: a route to a port that does not forward: exit 2, one line" expect_usage_error \
    "--route 10.0.0.0/8,5: expected a forwarding port, got port 5" \
    "$C10M" "${EAL[@]}" --vdev net_null0 --vdev net_null1 -- "${L3[@]}" --route 10.0.0.0/8,5
BAD=$C10M_TMP/bad.ini
printf 'forward-mode = io\nburst: 4\n' >"$BAD"
check "bad config line names file and line" expect_usage_error "--config-file $BAD:2: expected 'name = value'" \
    "$C10M" "${EAL[@]}" -- --config-file "$BAD"

# --duration stops by itself with exit 0; SIGTERM stops with exit 0 and final stats.
check "--duration 1 stops by itself, exit 0" bash -c \
    "timeout 20 '$C10M' ${EAL[*]} --vdev net_null0 -- --duration 1 --stats-period 0 --stats-format json > '$C10M_TMP/d.out' 2>/dev/null && grep -q '\"final\":true' '$C10M_TMP/d.out'"
"$C10M" "${EAL[@]}" --vdev net_null0 --vdev net_null1 -- --forward-mode macswap --stats-period 0.2 \
    >"$C10M_TMP/t.out" 2>/dev/null &
PID=$!
C10M_PIDS+=("$PID")
sleep 1.5
kill -TERM "$PID"
wait "$PID"
check "SIGTERM: exit 0" test $? = 0
check "SIGTERM: final stats printed, periodic ones before" bash -c \
    "grep -q '== final stats' '$C10M_TMP/t.out' && test \$(grep -c '== stats' '$C10M_TMP/t.out') -ge 3"
check "net_null forwarding moved packets and returned every mbuf" bash -c \
    "awk '/== final stats/ {f=1} f' '$C10M_TMP/t.out' | grep -q 'in use 0 of' && \
     awk '/== final stats/ {f=1} f && /port 0/ {print \$5}' '$C10M_TMP/t.out' | awk '{exit !(\$1 > 1000)}'"
finish
