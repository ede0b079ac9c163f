#pragma once

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "fwd/params.hpp"
#include "host/echo.hpp"
#include "tcp/engine.hpp"

namespace c10m::host {

// --forward-mode=echo: each frame is answered on the port and queue it came in on,
// in the mbuf it came in (zero copy), or freed and counted.
struct Echo {
    static constexpr const char *kName = "echo";
    static constexpr bool kRepliesOnRxPort = true;
    // Replies go out as soon as the rx queue runs dry (see pipeline::poll_loop).
    static constexpr bool kSendShortBursts = true;
    // TCP segments go to the lcore's TCP-lite engine, whose timers the loop runs.
    static constexpr bool kUsesTcp = true;

    static inline Csum ip_csum(const rte_mbuf *m) noexcept {
        switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
            case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
                return Csum::good;
            case RTE_MBUF_F_RX_IP_CKSUM_BAD:
                return Csum::bad;
            default:
                return Csum::unknown;
        }
    }
    static inline Csum l4_csum(const rte_mbuf *m) noexcept {
        switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
            case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
                return Csum::good;
            case RTE_MBUF_F_RX_L4_CKSUM_BAD:
                return Csum::bad;
            default:
                return Csum::unknown;
        }
    }

    // Frames this many ahead of the one being answered are prefetched: the first read
    // of a frame's bytes is otherwise a cache miss (the copy into the mbuf ran on
    // another core or long enough ago), and it was three quarters of handle's time
    // over AF_XDP before (docs/performance.md).
    static constexpr uint16_t kPrefetchAhead = 8;

    // The cache lines of a frame's headers: Ethernet, IPv4 and UDP or TCP end within
    // the first 64 bytes (options aside), which may straddle two lines.
    static inline void prefetch_frame(const rte_mbuf *m) noexcept {
        const auto *d = rte_pktmbuf_mtod(m, const uint8_t *);
        rte_prefetch0(d);
        rte_prefetch0(d + 63);
    }

    static inline uint16_t handle(rte_mbuf **pkts, uint16_t n, const fwd::FwdParams &p,
                                  uint64_t now, stats::Tally &t) noexcept {
        uint16_t kept = 0;
        for (uint16_t i = 0; i < n && i < kPrefetchAhead; ++i)
            prefetch_frame(pkts[i]);
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf *m = pkts[i];
            if (i + kPrefetchAhead < n) prefetch_frame(pkts[i + kPrefetchAhead]);
            if (m->nb_segs != 1) [[unlikely]] {
                rte_pktmbuf_free(m);
                t.add(stats::Drop::multi_segment);
                continue;
            }
            const Verdict v =
                echo_frame(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), *p.host, *p.udp,
                           *p.echo, *p.neigh, now, ip_csum(m), l4_csum(m));
            if (v.outcome == Outcome::reply) [[likely]] {
                m->data_len = v.len;
                m->pkt_len = v.len;
                m->ol_flags &=
                    RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;  // no rx flags on the way out
                t.add(v.event);
                pkts[kept++] = m;
                continue;
            }
            if (v.outcome == Outcome::tcp) {
                if (p.tcp) {
                    p.tcp->input(m, p.tcp_stream, v.len, l4_csum(m), now, t);
                } else {
                    rte_pktmbuf_free(m);
                    t.add(stats::Drop::ip_proto_other);
                }
                continue;
            }
            rte_pktmbuf_free(m);
            if (v.outcome == Outcome::consumed)
                t.add(v.event);
            else
                t.add(v.drop);
        }
        return kept;
    }

    // A gratuitous ARP for the stream's port, sent once when the loop starts (by the
    // lcore that polls queue 0 of the port). nullptr when there is nothing to announce.
    static inline rte_mbuf *announce(const fwd::FwdParams &p, uint16_t rx_queue,
                                     rte_mempool *pool) noexcept {
        if (rx_queue != 0 || !p.host || !p.host->has_ip || !pool) return nullptr;
        rte_mbuf *m = rte_pktmbuf_alloc(pool);
        if (!m) return nullptr;
        char *data = rte_pktmbuf_append(m, 42);
        if (!data) {
            rte_pktmbuf_free(m);
            return nullptr;
        }
        build_garp(reinterpret_cast<uint8_t *>(data), *p.host);
        return m;
    }
};

}  // namespace c10m::host
