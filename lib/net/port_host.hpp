#pragma once

#include <cstdint>

namespace c10m::net {

// TTL of the IPv4 packets c10m originates or answers with (as Linux's default).
inline constexpr uint8_t kReplyTtl = 64;

// A port's identity as a host: its address (from --ip) and MAC. Read-only once the
// loops run; each lcore keeps its own copy.
struct PortHost {
    bool has_ip = false;
    uint32_t ip = 0;     // host order
    uint32_t bcast = 0;  // the subnet's broadcast address (all ones for /31 and /32)
    uint8_t mac[6] = {};
};

}  // namespace c10m::net
