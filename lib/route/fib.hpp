#pragma once

// The router's forwarding table: what --ip and --route say, compiled into prefixes
// and next hops (FibSpec, pure, tested against a naive longest match), and loaded
// into DPDK's rte_lpm, one table per socket, read-only once the loops run (Lpm).
#include <rte_lpm.h>
#include <rte_prefetch.h>
#include <smmintrin.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/options.hpp"

namespace c10m::route {

// What a prefix leads to.
struct Nexthop {
    enum class Kind : uint8_t {
        forward,    // out of `port`, to `gateway` (or to the destination itself when 0)
        local,      // one of the router's own addresses: the host path
        broadcast,  // a connected subnet's broadcast address: never forwarded
    };
    Kind kind = Kind::forward;
    uint16_t port = 0;
    uint32_t gateway = 0;  // host order; 0: the destination is on the link
    // The longest IPv4 packet the fast path sends this way: the egress port's MTU
    // for a forward, 0 otherwise (so one compare turns both away). Derived by
    // build_fib from --mtu; not part of what the route is (operator== leaves it out).
    uint16_t fast_mtu = 0;
    friend bool operator==(const Nexthop &a, const Nexthop &b) noexcept {
        return a.kind == b.kind && a.port == b.port && a.gateway == b.gateway;
    }
};

struct Prefix {
    uint32_t addr;  // host order, host bits zero
    uint8_t len;
    uint32_t nexthop;  // index into FibSpec::nexthops
    friend bool operator==(const Prefix &, const Prefix &) = default;
};

struct FibSpec {
    std::vector<Nexthop> nexthops;  // deduplicated: routes via one gateway share one
    std::vector<Prefix> prefixes;   // unique (addr, len)
};

// Compiles the configuration for the given forwarding ports: per --ip, the connected
// route, the address itself (/32, local) and the subnet's broadcast (/32, below /31);
// then each --route, whose port must forward and whose gateway must be on that port's
// subnet (or a --neighbor there). A --route never overrides a connected or local
// prefix. Throws UsageError naming the flag at fault.
FibSpec build_fib(const config::AppConfig &cfg, const std::vector<uint16_t> &ports);

// The longest prefix containing addr, by a scan (the reference the tests hold rte_lpm
// to); nullopt when none does.
std::optional<uint32_t> naive_lookup(const FibSpec &fib, uint32_t addr);

// The FibSpec in an rte_lpm on one socket, with its next hops beside it.
class Lpm {
  public:
    Lpm(const FibSpec &spec, int socket, const std::string &name);
    ~Lpm();
    Lpm(const Lpm &) = delete;
    Lpm &operator=(const Lpm &) = delete;

    // The next hop for addr (host order), or nullptr when no prefix holds it.
    // rte_lpm_lookup's reads, written out: GCC left that static inline function out
    // of line in the burst handler, a call per packet routed one at a time.
    [[gnu::always_inline]] const Nexthop *lookup(uint32_t addr) const noexcept {
        uint32_t e = reinterpret_cast<const uint32_t *>(lpm_->tbl24)[addr >> 8];
        if ((e & RTE_LPM_VALID_EXT_ENTRY_BITMASK) == RTE_LPM_VALID_EXT_ENTRY_BITMASK) [[unlikely]]
            e = reinterpret_cast<const uint32_t *>(
                lpm_->tbl8)[(e & 0xffffff) * RTE_LPM_TBL8_GROUP_NUM_ENTRIES + (addr & 0xff)];
        if (!(e & RTE_LPM_LOOKUP_SUCCESS)) [[unlikely]]
            return nullptr;
        const Nexthop *found = &nexthops_[e & 0xffffff];
        // An element of the array: saying so spares the caller's null test on the
        // path that found a prefix.
        if (!found) __builtin_unreachable();
        return found;
    }

    // Brings addr's first-level entry towards the cache: with many routes the
    // lookups of a burst land on lines all over the 64 MB table.
    [[gnu::always_inline]] void prefetch(uint32_t addr) const noexcept {
        rte_prefetch0(&lpm_->tbl24[addr >> 8]);
    }

    // The first-level entries of four addresses (host order, one a lane), as
    // entry_of() gives them: the depth bits cleared, so that a route's entry compares
    // equal whatever the prefix's length. An address with a longer prefix than /24 in
    // its /24 (a second-level group) or none gives something else.
    [[gnu::always_inline]] __m128i entries_x4(__m128i addr) const noexcept {
        const __m128i idx = _mm_srli_epi32(addr, 8);
        const auto *t = reinterpret_cast<const uint32_t *>(lpm_->tbl24);
        const auto lo = static_cast<uint64_t>(_mm_cvtsi128_si64(idx));
        const auto hi = static_cast<uint64_t>(_mm_extract_epi64(idx, 1));
        __m128i e = _mm_cvtsi32_si128(static_cast<int>(t[static_cast<uint32_t>(lo)]));
        e = _mm_insert_epi32(e, static_cast<int>(t[lo >> 32]), 1);
        e = _mm_insert_epi32(e, static_cast<int>(t[static_cast<uint32_t>(hi)]), 2);
        e = _mm_insert_epi32(e, static_cast<int>(t[hi >> 32]), 3);
        return _mm_and_si128(e, _mm_set1_epi32(RTE_LPM_VALID_EXT_ENTRY_BITMASK | 0xffffff));
    }
    // The first-level entry, as entries_x4 reads it, of a route to nh.
    uint32_t entry_of(const Nexthop *nh) const noexcept {
        return RTE_LPM_LOOKUP_SUCCESS | static_cast<uint32_t>(nh - nexthops_);
    }

    size_t nb_nexthops() const noexcept { return nb_nexthops_; }
    size_t nb_prefixes() const noexcept { return nb_prefixes_; }

  private:
    rte_lpm *lpm_ = nullptr;
    Nexthop *nexthops_ = nullptr;  // on the socket
    size_t nb_nexthops_ = 0, nb_prefixes_ = 0;
};

}  // namespace c10m::route
