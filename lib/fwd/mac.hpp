#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fwd/params.hpp"
#include "fwd/runt.hpp"

namespace c10m::fwd {

// testpmd's "mac": source MAC := the tx port's, destination := its peer's.
struct Mac {
    static constexpr const char *kName = "mac";
    static inline uint16_t handle(rte_mbuf **pkts, uint16_t n, const FwdParams &p, uint64_t,
                                  stats::Tally &d) noexcept {
        n = drop_runts(pkts, n, d);
        for (uint16_t i = 0; i < n; ++i) {
            auto *eth = rte_pktmbuf_mtod(pkts[i], rte_ether_hdr *);
            rte_ether_addr_copy(&p.peer, &eth->dst_addr);
            rte_ether_addr_copy(&p.tx_src, &eth->src_addr);
        }
        return n;
    }
};

}  // namespace c10m::fwd
