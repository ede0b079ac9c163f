#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace c10m::net {

struct Ipv4Prefix {
    uint32_t addr = 0;  // host order
    uint8_t len = 0;
    uint32_t mask() const { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }
    uint32_t broadcast() const { return (addr & mask()) | ~mask(); }
    bool contains(uint32_t a) const { return ((a ^ addr) & mask()) == 0; }
    friend bool operator==(const Ipv4Prefix &, const Ipv4Prefix &) = default;
};

// "a.b.c.d" -> host-order address; nullopt when malformed.
std::optional<uint32_t> parse_ipv4(std::string_view text);
std::string ipv4_text(uint32_t addr);

// Sources a host never answers: 0/8, 127/8, and 224/4 and above (multicast,
// reserved, limited broadcast), as the kernel's martian check.
constexpr bool martian_source(uint32_t a) {
    const uint32_t top = a >> 24;
    return top == 0 || top == 127 || top >= 224;
}

constexpr bool multicast_or_broadcast(uint32_t a) {
    return (a >> 28) == 0xe || a == 0xffffffffu;
}

}  // namespace c10m::net
