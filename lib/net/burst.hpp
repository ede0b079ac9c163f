#pragma once

#include <cstdint>

namespace c10m::net {

// Packets per rx/tx burst (--burst): testpmd's default and limit.
inline constexpr uint16_t kMaxBurst = 512;
inline constexpr uint16_t kDefaultBurst = 32;

}  // namespace c10m::net
