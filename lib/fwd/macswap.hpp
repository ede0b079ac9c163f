#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <tmmintrin.h>

#include "net/tx_sink.hpp"
#include "pipeline/mode.hpp"

namespace c10m::fwd {

// testpmd's "macswap": swap source and destination MAC.
struct MacSwap : pipeline::ModeBase {
    static constexpr const char *kName = "macswap";

    // One 16-byte load, a byte shuffle and a store: bytes 0-5 <-> 6-11, 12-15 kept.
    // Reading and rewriting 2 bytes past a 14-byte header stays inside the mbuf's
    // data room, and those bytes are written back unchanged.
    static inline void swap_macs(uint8_t *p) noexcept {
        const __m128i shuffle = _mm_setr_epi8(6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 12, 13, 14, 15);
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        _mm_storeu_si128(reinterpret_cast<__m128i *>(p), _mm_shuffle_epi8(v, shuffle));
    }

    static inline void handle(Lcore &, Stream &, rte_mbuf **pkts, uint16_t n, net::TxSink &tx,
                              uint64_t, stats::Tally &d) noexcept {
        uint16_t kept = 0;
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf *m = pkts[i];
            // Runts are dropped (testpmd would rewrite bytes past their end).
            if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN) [[unlikely]] {
                rte_pktmbuf_free(m);
                d.add(stats::Drop::runt);
                continue;
            }
            swap_macs(rte_pktmbuf_mtod(m, uint8_t *));
            pkts[kept++] = m;
        }
        tx.count = static_cast<uint16_t>(tx.count + kept);
    }
};

}  // namespace c10m::fwd
