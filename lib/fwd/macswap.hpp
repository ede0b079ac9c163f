#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstring>

#include "fwd/params.hpp"
#include "fwd/runt.hpp"

namespace c10m::fwd {

// testpmd's "macswap": swap source and destination MAC.
struct MacSwap {
    static constexpr const char *kName = "macswap";
    static inline uint16_t handle(rte_mbuf **pkts, uint16_t n, const FwdParams &, uint64_t,
                                  stats::Tally &d) noexcept {
        n = drop_runts(pkts, n, d);
        for (uint16_t i = 0; i < n; ++i) {
            auto *b = rte_pktmbuf_mtod(pkts[i], uint8_t *);
            uint8_t tmp[RTE_ETHER_ADDR_LEN];
            std::memcpy(tmp, b, RTE_ETHER_ADDR_LEN);
            std::memmove(b, b + RTE_ETHER_ADDR_LEN, RTE_ETHER_ADDR_LEN);
            std::memcpy(b + RTE_ETHER_ADDR_LEN, tmp, RTE_ETHER_ADDR_LEN);
        }
        return n;
    }
};

}  // namespace c10m::fwd
