// Cycles per packet of the router's handler (L3fwd::handle) on bursts as a PMD hands
// them over, against io's in the same run. A benchmark, not a test: scripts/bench-l3fwd
// builds and runs it on one CPU.
//
// Each round takes a burst of 32 mbufs from a hugepage mempool, copies 64-byte frames
// into them (as memif's receive does), hands the burst to the handler, and the egress
// buffer frees what it is given in bursts (as net_null's transmit does). The frames
// and routes are the memif benchmark's (scripts/bench --modes l3fwd): 1,000 random /24
// and /16 prefixes via one static next hop, 4,096 UDP frames to random destinations in
// them. The anchor is the same round with io's handler: every packet pushed to the
// egress buffer unread. Figures are TSC cycles per packet, best of the rounds; the
// difference is what routing adds to a packet's cost, free of the memif benchmark's
// second core and its host's slow phases.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "net/addr.hpp"
#include "route/l3fwd_mode.hpp"
#include "unit/frames.hpp"

namespace {

using namespace c10m;
using namespace c10m::test;
using route::L3fwd;

constexpr uint16_t kBurst = 32;
constexpr uint32_t kFrames = 4096;
constexpr uint8_t kRouterMac[2][6] = {{0x02, 0, 0, 0, 0, 0x10}, {0x02, 0, 0, 0, 0, 0x11}};
constexpr uint8_t kSenderMac[6] = {0x02, 0, 0, 0, 0, 0x01};

// A buffer that frees what it sends, a burst at a time (net_null's transmit).
struct FreeingSink : net::TxSink {
    uint64_t sent = 0;
    FreeingSink() {
        burst = kBurst;
        send_fn = [](net::TxSink &s) noexcept {
            static_cast<FreeingSink &>(s).sent += s.count;
            rte_pktmbuf_free_bulk(s.pkts, s.count);
            s.count = 0;
        };
    }
};

struct Bench {
    rte_mempool *pool = nullptr;
    config::AppConfig cfg;
    std::vector<io::PortCaps> ports;
    FreeingSink out[2];
    std::unique_ptr<L3fwd::Lcore> l = std::make_unique<L3fwd::Lcore>();
    L3fwd::Stream s;
    stats::Tally t;
    std::vector<Bytes> frames;

    explicit Bench(uint32_t nroutes) {
        pool = rte_pktmbuf_pool_create("bench_l3fwd", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                       static_cast<int>(rte_socket_id()));
        if (!pool) throw std::runtime_error("cannot create the mempool");
        std::mt19937 rng(11);
        std::set<std::pair<uint32_t, uint32_t>> routes;
        while (routes.size() < nroutes) {
            const uint32_t len = (rng() & 1) ? 16 : 24;
            const uint32_t a = static_cast<uint32_t>(rng()) & ~((uint32_t{1} << (32 - len)) - 1);
            const uint32_t top = a >> 24;
            if (top == 0 || top == 10 || top == 127 || top >= 224 || (a >> 17) == (0xc612u >> 1))
                continue;
            routes.emplace(a, len);
        }
        std::vector<std::string> args = {"--forward-mode", "l3fwd",
                                         "--ip",           "0:198.18.0.1/24",
                                         "--ip",           "1:198.19.0.1/24",
                                         "--neighbor",     "1,198.19.0.2,02:00:00:00:00:20",
                                         "--icmp-rate",    "0"};
        for (const auto &[a, len] : routes) {
            args.push_back("--route");
            args.push_back(net::ipv4_text(a) + "/" + std::to_string(len) + ",1,198.19.0.2");
        }
        cfg = config::parse_app_args(args).cfg;
        for (uint16_t p = 0; p < 2; ++p) {
            io::PortCaps c;
            c.id = p;
            std::copy(kRouterMac[p], kRouterMac[p] + 6, c.mac.addr_bytes);
            ports.push_back(c);
        }
        net::TxSink *outs[RTE_MAX_ETHPORTS] = {&out[0], &out[1]};
        L3fwd::init(*l,
                    pipeline::LcoreEnv{cfg, rte_lcore_id(), static_cast<int>(rte_socket_id()), pool,
                                       4096, rte_get_tsc_hz(), rte_rdtsc(), 1, outs, &ports});
        L3fwd::init(*l, s, pipeline::StreamEnv{cfg, ports[0], ports[0], &out[0], false});
        const std::vector<std::pair<uint32_t, uint32_t>> list(routes.begin(), routes.end());
        for (uint32_t i = 0; i < kFrames; ++i) {
            const auto &[a, len] = list[rng() % list.size()];
            const uint32_t dst =
                a | (static_cast<uint32_t>(rng()) & ((uint32_t{1} << (32 - len)) - 1));
            frames.push_back(cat(eth(kRouterMac[0], kSenderMac, 0x0800),
                                 ipv4(0xc6120002, dst, 17,
                                      udp(0xc6120002, dst, static_cast<uint16_t>(1024 + i % 1000),
                                          9, payload(18)))));
        }
    }
    ~Bench() {
        L3fwd::release(*l);
        L3fwd::fini(*l);
        rte_mempool_free(pool);
    }

    // One burst as a PMD's receive leaves it, into the rx stream's buffer.
    [[gnu::always_inline]] uint16_t receive(uint32_t &next) {
        rte_mbuf **b = out[0].pkts + out[0].count;
        if (rte_pktmbuf_alloc_bulk(pool, b, kBurst) != 0) return 0;
        for (uint16_t j = 0; j < kBurst; ++j) {
            const Bytes &f = frames[next++ & (kFrames - 1)];
            std::memcpy(rte_pktmbuf_mtod(b[j], uint8_t *), f.data(), f.size());
            b[j]->data_len = static_cast<uint16_t>(f.size());
            b[j]->pkt_len = static_cast<uint32_t>(f.size());
        }
        return kBurst;
    }

    // TSC cycles per packet over `bursts` bursts (out of line, for callgrind's
    // per-function counts).
    template <bool route>
    [[gnu::noinline]] double run(uint32_t bursts) {
        uint32_t next = 0;
        const uint64_t t0 = rte_rdtsc();
        for (uint32_t i = 0; i < bursts; ++i) {
            const uint16_t n = receive(next);
            rte_mbuf **b = out[0].pkts + out[0].count;
            if constexpr (route) {
                L3fwd::handle(*l, s, b, n, out[0], rte_rdtsc(), t);
            } else {
                for (uint16_t j = 0; j < n; ++j)
                    out[1].push(b[j]);
            }
            if (out[0].count >= kBurst) out[0].send();
        }
        out[0].send();
        out[1].send();
        return double(rte_rdtsc() - t0) / (double(bursts) * kBurst);
    }
};

}  // namespace

int main(int argc, char **argv) {
    const int eal = rte_eal_init(argc, argv);
    if (eal < 0) {
        std::fprintf(stderr, "bench-l3fwd: cannot init EAL\n");
        return 1;
    }
    argc -= eal;
    argv += eal;
    const long bursts = argc > 1 ? std::atol(argv[1]) : 200000;
    const long rounds = argc > 2 ? std::atol(argv[2]) : 7;
    const long nroutes = argc > 3 ? std::atol(argv[3]) : 1000;
    if (bursts <= 0 || rounds <= 0 || nroutes <= 0 || nroutes > 100000) {
        std::fprintf(stderr, "usage: %s EAL-ARGS -- [BURSTS [ROUNDS [ROUTES]]]\n", argv[0]);
        return 2;
    }
    int rc = 0;
    {
        Bench b(static_cast<uint32_t>(nroutes));
        // Every packet must be forwarded, or the figure measures something else.
        b.run<true>(kFrames / kBurst);
        const uint64_t fwd = b.t.event[static_cast<size_t>(stats::Event::l3_forwarded)];
        if (fwd != kFrames || b.out[1].sent != kFrames) {
            std::fprintf(stderr, "bench-l3fwd: %lu of %u frames forwarded\n",
                         static_cast<unsigned long>(fwd), kFrames);
            rc = 1;
        }
        double best_io = 1e30, best_l3 = 1e30;
        for (long r = 0; r < rounds && rc == 0; ++r) {  // alternate, so drift hits both
            best_io = std::min(best_io, b.run<false>(static_cast<uint32_t>(bursts)));
            best_l3 = std::min(best_l3, b.run<true>(static_cast<uint32_t>(bursts)));
        }
        if (rc == 0) {
            std::printf(
                "%ld routes, 64-byte frames, bursts of %u, %ld x %ld bursts; TSC cycles "
                "per packet, best of the rounds\n",
                nroutes, kBurst, rounds, bursts);
            std::printf("%-44s %6.1f\n", "io: receive, push unread, transmit", best_io);
            std::printf("%-44s %6.1f\n", "l3fwd: receive, route, transmit", best_l3);
            std::printf("%-44s %6.1f\n", "what routing adds", best_l3 - best_io);
        }
        if (rte_mempool_in_use_count(b.pool) != 0) {
            std::fprintf(stderr, "bench-l3fwd: %u mbufs still in use\n",
                         rte_mempool_in_use_count(b.pool));
            rc = 1;
        }
    }
    rte_eal_cleanup();
    return rc;
}
