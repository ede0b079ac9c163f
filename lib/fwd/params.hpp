#pragma once

#include <rte_ether.h>

#include "stats/counters.hpp"

namespace c10m::fwd {

// What a mode needs to know about one stream: the tx port's MAC and its peer's.
struct FwdParams {
    rte_ether_addr tx_src;  // MAC of the port the stream transmits on
    rte_ether_addr peer;    // --eth-peer of that port (testpmd's default 02:00:00:00:00:<port>)
};

// Drop counts of one burst, summed locally and added to the lcore's counters once.
struct BurstDrops {
    uint16_t n[stats::kDropReasons] = {};
};

}  // namespace c10m::fwd
