#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fwd/params.hpp"

namespace c10m::fwd {

// Frees frames too short for the Ethernet header a mode rewrites, compacting the
// burst in place; counts them as Drop::runt. (testpmd rewrites such frames past
// their end; c10m drops them.)
inline uint16_t drop_runts(rte_mbuf **pkts, uint16_t n, stats::Tally &d) noexcept {
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (rte_pktmbuf_data_len(pkts[i]) < RTE_ETHER_HDR_LEN) [[unlikely]] {
            rte_pktmbuf_free(pkts[i]);
            d.add(stats::Drop::runt);
            continue;
        }
        pkts[kept++] = pkts[i];
    }
    return kept;
}

}  // namespace c10m::fwd
