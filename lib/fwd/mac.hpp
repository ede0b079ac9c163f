#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <smmintrin.h>

#include <algorithm>
#include <cstring>

#include "net/tx_sink.hpp"
#include "pipeline/mode.hpp"

namespace c10m::fwd {

// testpmd's "mac": source MAC := the tx port's, destination := its peer's
// (--eth-peer, default 02:00:00:00:00:<tx port>).
struct Mac : pipeline::ModeBase {
    static constexpr const char *kName = "mac";

    struct Stream {
        rte_ether_addr tx_src;  // MAC of the port the stream transmits on
        rte_ether_addr peer;    // where it sends to
    };

    using ModeBase::init;
    template <class L>
    static void init(L &, Stream &s, const pipeline::StreamEnv &env) {
        s.tx_src = env.tx.mac;
        s.peer = rte_ether_addr{{0x02, 0, 0, 0, 0, static_cast<uint8_t>(env.tx.id)}};
        for (const auto &p : env.cfg.eth_peers)
            if (p.port == env.tx.id) std::copy(p.mac.begin(), p.mac.end(), s.peer.addr_bytes);
    }

    static inline void handle(Lcore &, const Stream &s, rte_mbuf **pkts, uint16_t n,
                              net::TxSink &tx, uint64_t, stats::Tally &d) noexcept {
        // Both addresses as the first 12 bytes of a 16-byte vector; each frame's bytes
        // 12-15 are blended back in, so one load and one store rewrite the header.
        alignas(16) uint8_t macs[16] = {};
        std::memcpy(macs, s.peer.addr_bytes, RTE_ETHER_ADDR_LEN);
        std::memcpy(macs + RTE_ETHER_ADDR_LEN, s.tx_src.addr_bytes, RTE_ETHER_ADDR_LEN);
        const __m128i addrs = _mm_load_si128(reinterpret_cast<const __m128i *>(macs));
        const __m128i keep_tail = _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1);
        uint16_t kept = 0;
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf *m = pkts[i];
            // Runts are dropped (testpmd would rewrite bytes past their end).
            if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN) [[unlikely]] {
                rte_pktmbuf_free(m);
                d.add(stats::Drop::runt);
                continue;
            }
            auto *h = rte_pktmbuf_mtod(m, __m128i *);
            _mm_storeu_si128(h, _mm_blendv_epi8(addrs, _mm_loadu_si128(h), keep_tail));
            pkts[kept++] = m;
        }
        tx.count = static_cast<uint16_t>(tx.count + kept);
    }
};

}  // namespace c10m::fwd
