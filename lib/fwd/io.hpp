#pragma once

#include <rte_mbuf.h>

#include "fwd/params.hpp"

namespace c10m::fwd {

// testpmd's "io": forward untouched; the packet data is never read.
struct Io {
    static constexpr const char *kName = "io";
    static inline uint16_t handle(rte_mbuf **, uint16_t n, const FwdParams &, uint64_t,
                                  stats::Tally &) noexcept {
        return n;
    }
};

}  // namespace c10m::fwd
