// libFuzzer target: the router (--forward-mode=l3fwd) as one lcore sees it, with the
// EAL up (--no-huge, for rte_lpm and a real mempool). The input is a sequence of
// steps: a frame arriving on port 0 or 1 (the step's first byte also says whether the
// port gives rx checksum flags, as an honest NIC would for the IPv4 header, whether
// the frame comes four times, and whether the port's burst ends with it: frames
// gather into bursts of up to 32, so that groups of four go four-wide), or time
// passing (every burst handed over first) and the timers running. Checked after
// every step: what
// leaves is a whole IPv4 or ARP frame from our MACs with a valid IPv4 header checksum;
// the fast path takes exactly the frames classify() forwards without IPv4 options,
// to the same next hop;
// and at the end, once what left is freed and the
// lcore lets go, the mempool is back to where it started (no mbuf leaked or freed
// twice: the pool's count would be off, or ASan would see it).
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "config/options.hpp"
#include "route/l3fwd_mode.hpp"
#include "wire/checksum.hpp"

using namespace c10m;
using route::L3fwd;

namespace {

// An invariant broken: say which, then crash (libFuzzer keeps the input).
#define FUZZ_CHECK(cond)                                                                \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            std::fprintf(stderr, "fuzz_l3fwd: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                               \
        }                                                                               \
    } while (0)

struct Sink : net::TxSink {
    std::vector<rte_mbuf *> sent;
    Sink() {
        burst = 32;
        send_fn = [](net::TxSink &s) noexcept {
            auto &k = static_cast<Sink &>(s);
            k.sent.insert(k.sent.end(), k.pkts, k.pkts + k.count);
            k.count = 0;
        };
    }
};

constexpr uint8_t kMac[2][6] = {{0x02, 0xc1, 0, 0, 0, 0x10}, {0x02, 0xc1, 0, 0, 0, 0x11}};

struct World {
    rte_mempool *pool = nullptr;
    config::AppConfig cfg;
    std::vector<io::PortCaps> ports;
    // Keeps the route table (64 MB of rte_lpm) alive between inputs: each input's
    // lcore takes a reference to it and gives it back.
    std::unique_ptr<L3fwd::Lcore> anchor;
};
World *g = nullptr;

void check_sent(Sink &s, uint16_t port) {
    s.send();
    for (rte_mbuf *m : s.sent) {
        const auto *f = rte_pktmbuf_mtod(m, const uint8_t *);
        const uint32_t len = rte_pktmbuf_data_len(m);
        FUZZ_CHECK(len >= 42 && m->nb_segs == 1 && len == rte_pktmbuf_pkt_len(m));
        FUZZ_CHECK(std::memcmp(f + 6, kMac[port], 6) == 0);
        const uint16_t type = static_cast<uint16_t>(f[12] << 8 | f[13]);
        if (type == 0x0800) {
            const uint32_t ihl = (f[14] & 0xfu) * 4;
            const uint32_t total = static_cast<uint32_t>(f[16] << 8 | f[17]);
            FUZZ_CHECK(ihl >= 20 && 14 + total == len && wire::checksum_ok(f + 14, ihl));
        } else {
            FUZZ_CHECK(type == 0x0806);
        }
        rte_pktmbuf_free(m);
    }
    s.sent.clear();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    std::vector<std::string> args = {"fuzz_l3fwd",
                                     "-l",
                                     "0",
                                     "--no-huge",
                                     "-m",
                                     "256",
                                     "--no-pci",
                                     "--no-shconf",
                                     "--no-telemetry",
                                     "--log-level=lib.eal:error",
                                     "--file-prefix=c10m_fuzz_" + std::to_string(getpid())};
    std::vector<char *> av;
    for (auto &a : args)
        av.push_back(a.data());
    if (rte_eal_init(static_cast<int>(av.size()), av.data()) < 0) std::abort();
    g = new World;
    g->pool = rte_pktmbuf_pool_create("fuzz_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    if (!g->pool) std::abort();
    g->cfg = config::parse_app_args({"--forward-mode", "l3fwd", "--ip", "0:198.18.1.1/24", "--ip",
                                     "1:198.19.1.1/24", "--route", "198.19.5.0/24,1,198.19.1.2",
                                     "--route", "0.0.0.0/0,1,198.19.1.3", "--neighbor",
                                     "1,198.19.1.2,02:00:00:00:0b:02", "--mtu", "1:1400",
                                     "--icmp-rate", "100"})
                 .cfg;
    for (uint16_t p = 0; p < 2; ++p) {
        io::PortCaps c;
        c.id = p;
        c.rx_ip_csum_flags = p == 0;  // both loops: port 0 reads the flags, port 1 not
        std::memcpy(c.mac.addr_bytes, kMac[p], 6);
        g->ports.push_back(c);
    }
    Sink none[2];
    net::TxSink *outs[RTE_MAX_ETHPORTS] = {&none[0], &none[1]};
    g->anchor = std::make_unique<L3fwd::Lcore>();
    L3fwd::init(*g->anchor,
                pipeline::LcoreEnv{g->cfg, 0, 0, g->pool, 2000, 1000, 0, 1, outs, &g->ports});
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const unsigned base = rte_mempool_in_use_count(g->pool);
    Sink out[2];
    auto l = std::make_unique<L3fwd::Lcore>();
    L3fwd::Stream s[2];
    net::TxSink *outs[RTE_MAX_ETHPORTS] = {&out[0], &out[1]};
    constexpr uint64_t hz = 1000000;  // microseconds
    L3fwd::init(*l, pipeline::LcoreEnv{g->cfg, 0, 0, g->pool, 2000, hz, 0, 1, outs, &g->ports});
    for (uint16_t p = 0; p < 2; ++p)
        L3fwd::init(*l, s[p], pipeline::StreamEnv{g->cfg, g->ports[p], g->ports[p], &out[p], true});
    stats::Tally t;
    uint64_t now = 0;
    std::vector<rte_mbuf *> pending[2];  // each port's burst so far
    auto hand_over = [&](uint16_t port) {
        Sink &tx = out[port];
        const auto n = static_cast<uint16_t>(pending[port].size());
        if (n == 0) return;
        std::copy(pending[port].begin(), pending[port].end(), tx.pkts + tx.count);
        pending[port].clear();
        L3fwd::handle(*l, s[port], tx.pkts + tx.count, n, tx, now, t);
        now += 1;
    };
    size_t off = 0;
    while (off + 3 <= size) {
        const uint8_t op = data[off];
        const size_t n = static_cast<size_t>(data[off + 1] << 8 | data[off + 2]) % 1600;
        off += 3;
        if (op % 4 == 3) {  // time passes: n * 10 ms
            hand_over(0);
            hand_over(1);
            now += static_cast<uint64_t>(n) * 10000;
            L3fwd::poll(*l, now, t);
        } else {
            const uint16_t port = op & 1;
            const size_t len = std::min(n, size - off);
            rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
            if (!m) std::abort();
            char *p = rte_pktmbuf_append(m, static_cast<uint16_t>(len));
            if (len && !p) std::abort();
            if (len) std::memcpy(p, data + off, len);
            off += len;
            if (op & 4) {
                // An honest NIC's verdict on the IPv4 header (c10m trusts it: a lying
                // one would have c10m forward a bad checksum, updated).
                const auto *f = reinterpret_cast<const uint8_t *>(p);
                const bool ip = len >= 34 && f[12] == 0x08 && f[13] == 0 && (f[14] >> 4) == 4 &&
                                (f[14] & 0xfu) >= 5 && 14 + (f[14] & 0xfu) * 4u <= len &&
                                wire::checksum_ok(f + 14, (f[14] & 0xfu) * 4u);
                m->ol_flags |= (ip ? RTE_MBUF_F_RX_IP_CKSUM_GOOD : RTE_MBUF_F_RX_IP_CKSUM_BAD) |
                               RTE_MBUF_F_RX_L4_CKSUM_GOOD;
            }
            {
                // The fast path takes exactly what classify() forwards without options,
                // to the same next hop.
                const auto *f = rte_pktmbuf_mtod(m, const uint8_t *);
                const net::Csum cs = net::rx_ip_csum(m);
                uint32_t dst = 0, total = 0;
                const route::Nexthop *nh = route::fast_path(
                    f, static_cast<uint32_t>(len), l->view.ports[port], l->view, cs, dst, total);
                const route::Decision d =
                    route::classify(f, static_cast<uint32_t>(len), port, l->view, cs);
                if (nh)
                    FUZZ_CHECK(d.fate == route::Fate::forward && d.port == nh->port &&
                               d.hop == (nh->gateway ? nh->gateway : dst) && d.total == total &&
                               !d.options);
                else  // and it takes every plain forward (no options): nothing slows down
                    FUZZ_CHECK(d.fate != route::Fate::forward || d.options);
            }
            pending[port].push_back(m);
            for (int copy = 1; copy < ((op & 8) ? 4 : 1); ++copy) {
                rte_mbuf *c = rte_pktmbuf_alloc(g->pool);
                char *q = c ? rte_pktmbuf_append(c, static_cast<uint16_t>(len)) : nullptr;
                if (!c || (len && !q)) std::abort();
                if (len) std::memcpy(q, rte_pktmbuf_mtod(m, const char *), len);
                c->ol_flags = m->ol_flags;
                pending[port].push_back(c);
            }
            if ((op & 16) || pending[port].size() > 28) hand_over(port);
        }
        check_sent(out[0], 0);
        check_sent(out[1], 1);
    }
    hand_over(0);
    hand_over(1);
    check_sent(out[0], 0);
    check_sent(out[1], 1);
    L3fwd::release(*l);
    L3fwd::fini(*l);
    FUZZ_CHECK(rte_mempool_in_use_count(g->pool) == base);
    return 0;
}
