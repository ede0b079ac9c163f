#pragma once

#include <cstdint>

#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

namespace c10m::wire {

// A fresh 20-byte IPv4 header (no options, ID 0) at ip, its checksum computed.
// src and dst in host order; total = header + payload bytes; frag_flags e.g. 0x4000
// for DF.
inline void write_ipv4(uint8_t *ip, uint16_t total, uint8_t proto, uint32_t src, uint32_t dst,
                       uint8_t ttl, uint16_t frag_flags = 0) noexcept {
    ip[0] = 0x45;
    ip[1] = 0;
    store16(ip + 2, total);
    store16(ip + 4, 0);
    store16(ip + 6, frag_flags);
    ip[8] = ttl;
    ip[9] = proto;
    store16(ip + 10, 0);
    store32(ip + 12, src);
    store32(ip + 16, dst);
    store16(ip + 10, checksum(ip, 20));
}

}  // namespace c10m::wire
