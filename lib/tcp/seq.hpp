#pragma once

// TCP sequence-number arithmetic modulo 2^32 (RFC 9293 3.4): a is "before" b when
// the signed distance from a to b is positive. Valid while the two are less than
// 2^31 apart, which a window of at most 2^30 (RFC 7323) guarantees.
#include <cstdint>

namespace c10m::tcp {

constexpr bool seq_lt(uint32_t a, uint32_t b) noexcept {
    return static_cast<int32_t>(a - b) < 0;
}
constexpr bool seq_leq(uint32_t a, uint32_t b) noexcept {
    return static_cast<int32_t>(a - b) <= 0;
}
constexpr bool seq_gt(uint32_t a, uint32_t b) noexcept {
    return seq_lt(b, a);
}
constexpr bool seq_geq(uint32_t a, uint32_t b) noexcept {
    return seq_leq(b, a);
}
// lo <= x < hi, all modulo 2^32.
constexpr bool seq_in(uint32_t x, uint32_t lo, uint32_t hi) noexcept {
    return x - lo < hi - lo;
}
constexpr uint32_t seq_max(uint32_t a, uint32_t b) noexcept {
    return seq_lt(a, b) ? b : a;
}

}  // namespace c10m::tcp
