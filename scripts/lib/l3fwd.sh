# The routed benchmarks' shared set-up (scripts/bench --modes l3fwd,
# scripts/bench-l3fwd-core): the route table and frames, DPDK l3fwd's rule files,
# and DPDK's l3fwd example built from dpdk-doc's sources. Source it; it defines
# functions only. The callers set T (temp dir), ROOT, PY, ROUTES, L3_MAC, optionally
# GATEWAYS, and fail() (print, exit 1); messages start with $L3FWD_SH_NAME.
L3FWD_SH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The route table (an INI for --config-file) and the frames to replay: ROUTES
# random /24 and /16 prefixes (none inside 198.18/15), each via a static next hop
# on port 1 (198.19.0.2, or with GATEWAYS=N the N gateways 198.19.0.2.. in turn, as
# they sort), and 4096 64-byte UDP frames from 198.18.0.2 to random addresses
# inside them, to L3_MAC (c10m's port 0). Writes $T/routes.ini and $T/l3fwd.pcap.
l3_frames() {
    "$PY" - "$ROUTES" "$T/routes.ini" "$T/l3fwd.pcap" "$L3_MAC" "${GATEWAYS:-1}" <<'EOF'
import random, struct, sys
n, ini, pcap, mac = int(sys.argv[1]), sys.argv[2], sys.argv[3], bytes.fromhex(sys.argv[4].replace(":", ""))
gws = int(sys.argv[5])
rng = random.Random(11)
routes = set()
while len(routes) < n:
    ln = rng.choice((16, 24))
    a = rng.randrange(1 << 32) & ((0xFFFFFFFF << (32 - ln)) & 0xFFFFFFFF)
    top = a >> 24
    if top in (0, 10, 127) or top >= 224 or (a >> 17) == (0xC612 >> 1):
        continue
    routes.add((a, ln))
routes = sorted(routes)
ip = lambda a: ".".join(str(a >> s & 255) for s in (24, 16, 8, 0))
with open(ini, "w") as f:
    f.write("forward-mode = l3fwd\nip = 0:198.18.0.1/24\nip = 1:198.19.0.1/24\nicmp-rate = 0\n")
    for g in range(gws):
        f.write(f"neighbor = 1,198.19.0.{2 + g},02:00:00:00:00:{0x20 + g:02x}\n")
    for i, (a, ln) in enumerate(routes):
        f.write(f"route = {ip(a)}/{ln},1,198.19.0.{2 + i % gws}\n")
def csum(b):
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
with open(pcap, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i in range(4096):
        a, ln = rng.choice(routes)
        dst = a | rng.randrange(1 << (32 - ln))
        udp = struct.pack("!HHHH", 1024 + i % 1000, 9, 8 + 18, 0) + bytes(18)
        hdr = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, 0xC6120002, dst)
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        frame = mac + bytes.fromhex("020000000001") + b"\x08\x00" + hdr + udp
        f.write(struct.pack("<IIII", 0, i, len(frame), len(frame)) + frame)
print(f"{len(routes)} routes, 4096 frames")
EOF
}
# The same table for DPDK's l3fwd (--rule_ipv4: "R<prefix>/<len> <port>"; it wants
# an IPv6 file too, given one route that no frame matches).
l3fwd_rules() {
    sed -n 's|^route = \([0-9./]*\),\([0-9]*\),.*|R\1 \2|p' "$T/routes.ini" >"$T/l3fwd.rules4"
    echo "R2001:db8::/32 1" >"$T/l3fwd.rules6"
    [ "$(wc -l <"$T/l3fwd.rules4")" = "$ROUTES" ]
}
# DPDK's l3fwd example as Debian ships its sources (dpdk-doc), with
# scripts/dpdk-l3fwd.patch: rx offloads limited to what the port offers (it asks
# for checksum offloads, which memif and net_null refuse) and each port's counters
# printed at exit. Its forwarding code is untouched.
build_dpdk_l3fwd() {
    local src=/usr/share/dpdk/examples dst=$ROOT/build/dpdk-l3fwd patch=$L3FWD_SH_DIR/../dpdk-l3fwd.patch
    DPDK_L3FWD=$dst/l3fwd/build/l3fwd-shared
    [ -x "$DPDK_L3FWD" ] && [ "$dst/.built" -nt "$patch" ] && return 0
    if [ ! -f "$src/l3fwd/main.c" ]; then
        echo "${L3FWD_SH_NAME:-bench}: installing dpdk-doc (the sources of DPDK's examples)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q dpdk-doc >/dev/null ||
            fail "could not install dpdk-doc"
    fi
    rm -rf "$dst" && mkdir -p "$dst" && cp -r "$src/l3fwd" "$src/common" "$dst/" ||
        fail "could not copy DPDK's l3fwd sources"
    patch -s -d "$dst" -p0 <"$patch" || fail "scripts/dpdk-l3fwd.patch does not apply"
    make -s -C "$dst/l3fwd" shared >"$dst/make.log" 2>&1 || fail "DPDK's l3fwd did not build: $dst/make.log"
    touch "$dst/.built"
    echo "${L3FWD_SH_NAME:-bench}: built DPDK's l3fwd: ${DPDK_L3FWD#"$ROOT"/}" >&2
}
