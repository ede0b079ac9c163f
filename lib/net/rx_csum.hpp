#pragma once

#include <rte_mbuf.h>

#include <cstdint>

namespace c10m::net {

// What the port's rx checksum flags say about a frame: verify only when unknown.
enum class Csum : uint8_t { unknown, good, bad };

// The flags' two bits (BAD: 4, GOOD: 7) index a table: a load where a switch took
// a chain of compares on the router's per-packet path. Both set (NONE: the header is
// intact, its checksum not filled in) is unknown: the checksum is verified.
inline Csum rx_ip_csum(const rte_mbuf *m) noexcept {
    static_assert(RTE_MBUF_F_RX_IP_CKSUM_BAD == 1ULL << 4 &&
                  RTE_MBUF_F_RX_IP_CKSUM_GOOD == 1ULL << 7);
    static constexpr Csum kByBits[10] = {Csum::unknown, Csum::bad,     Csum::unknown, Csum::unknown,
                                         Csum::unknown, Csum::unknown, Csum::unknown, Csum::unknown,
                                         Csum::good,    Csum::unknown};
    return kByBits[(m->ol_flags >> 4) & 9];
}

inline Csum rx_l4_csum(const rte_mbuf *m) noexcept {
    switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
        case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
            return Csum::good;
        case RTE_MBUF_F_RX_L4_CKSUM_BAD:
            return Csum::bad;
        default:
            return Csum::unknown;
    }
}

// A frame about to be sent again carries none of the flags it was received with.
inline void clear_rx_flags(rte_mbuf *m) noexcept {
    m->ol_flags &= RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
}

}  // namespace c10m::net
