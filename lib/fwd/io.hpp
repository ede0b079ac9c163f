#pragma once

#include <rte_mbuf.h>

#include "net/tx_sink.hpp"
#include "pipeline/mode.hpp"

namespace c10m::fwd {

// testpmd's "io": forward untouched to the paired port; the packet data is never read.
struct Io : pipeline::ModeBase {
    static constexpr const char *kName = "io";
    static inline void handle(Lcore &, Stream &, rte_mbuf **, uint16_t n, net::TxSink &tx, uint64_t,
                              stats::Tally &) noexcept {
        tx.count = static_cast<uint16_t>(tx.count + n);
    }
};

}  // namespace c10m::fwd
