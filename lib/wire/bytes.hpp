#pragma once

#include <cstdint>
#include <cstring>

// Explicit big-endian loads and stores at byte offsets: headers are never read by
// casting a packet pointer to a struct.
namespace c10m::wire {

[[gnu::always_inline]] inline uint16_t load16(const uint8_t *p) noexcept {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
[[gnu::always_inline]] inline uint32_t load32(const uint8_t *p) noexcept {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
[[gnu::always_inline]] inline uint64_t load64(const uint8_t *p) noexcept {
    return uint64_t{load32(p)} << 32 | load32(p + 4);
}
// Four bytes as they lie, read into a native integer (no swap): for compares of
// header words in place, as the router's vector lanes make them.
[[gnu::always_inline]] inline uint32_t load32_raw(const uint8_t *p) noexcept {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
[[gnu::always_inline]] inline void store16(uint8_t *p, uint16_t v) noexcept {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
[[gnu::always_inline]] inline void store32(uint8_t *p, uint32_t v) noexcept {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

// Swap n bytes at a and b (non-overlapping). Inlined so that the copies, whose size
// is a constant at every call, become plain moves: called, they went through libc's
// memcpy three times per swap (perf, memif UDP echo: ~17% of the lcore's samples).
[[gnu::always_inline]] inline void swap_bytes(uint8_t *a, uint8_t *b, size_t n) noexcept {
    uint8_t tmp[16];
    std::memcpy(tmp, a, n);
    std::memcpy(a, b, n);
    std::memcpy(b, tmp, n);
}

}  // namespace c10m::wire
