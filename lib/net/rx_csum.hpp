#pragma once

#include <rte_mbuf.h>

#include <cstdint>

namespace c10m::net {

// What the port's rx checksum flags say about a frame: verify only when unknown.
enum class Csum : uint8_t { unknown, good, bad };

inline Csum rx_ip_csum(const rte_mbuf *m) noexcept {
    switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
        case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
            return Csum::good;
        case RTE_MBUF_F_RX_IP_CKSUM_BAD:
            return Csum::bad;
        default:
            return Csum::unknown;
    }
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
