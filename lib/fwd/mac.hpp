#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <smmintrin.h>

#include <cstring>

#include "fwd/params.hpp"

namespace c10m::fwd {

// testpmd's "mac": source MAC := the tx port's, destination := its peer's.
struct Mac {
    static constexpr const char *kName = "mac";

    static inline uint16_t handle(rte_mbuf **pkts, uint16_t n, const FwdParams &p, uint64_t,
                                  stats::Tally &d) noexcept {
        // Both addresses as the first 12 bytes of a 16-byte vector; each frame's bytes
        // 12-15 are blended back in, so one load and one store rewrite the header.
        alignas(16) uint8_t macs[16] = {};
        std::memcpy(macs, p.peer.addr_bytes, RTE_ETHER_ADDR_LEN);
        std::memcpy(macs + RTE_ETHER_ADDR_LEN, p.tx_src.addr_bytes, RTE_ETHER_ADDR_LEN);
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
        return kept;
    }
};

}  // namespace c10m::fwd
