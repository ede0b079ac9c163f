#pragma once

// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash, so that values derived
// from it (SYN cookies) cannot be forged without the key. Short fixed inputs only.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace c10m::tcp {

struct SipKey {
    uint64_t k0 = 0, k1 = 0;
};

namespace detail {
constexpr uint64_t rotl(uint64_t x, int b) noexcept {
    return (x << b) | (x >> (64 - b));
}
struct SipState {
    uint64_t v0, v1, v2, v3;
    void round() noexcept {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }
    void absorb(uint64_t m) noexcept {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};
}  // namespace detail

// SipHash-2-4 of len bytes at p (little-endian words, as the reference).
inline uint64_t siphash24(const SipKey &key, const uint8_t *p, size_t len) noexcept {
    detail::SipState s{key.k0 ^ 0x736f6d6570736575ull, key.k1 ^ 0x646f72616e646f6dull,
                       key.k0 ^ 0x6c7967656e657261ull, key.k1 ^ 0x7465646279746573ull};
    const size_t full = len & ~size_t{7};
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = 0;
        for (int b = 0; b < 8; ++b)
            m |= uint64_t{p[i + b]} << (8 * b);
        s.absorb(m);
    }
    uint64_t last = uint64_t{len & 0xff} << 56;
    for (size_t b = 0; b < (len & 7); ++b)
        last |= uint64_t{p[full + b]} << (8 * b);
    s.absorb(last);
    s.v2 ^= 0xff;
    for (int r = 0; r < 4; ++r)
        s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace c10m::tcp
