#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
// Sums are kept in big-endian word order (the order of the bytes on the wire).
namespace c10m::wire {

// Folds a wide sum to 16 bits with end-around carries, in a fixed number of steps
// (no data-dependent loop): 64 -> 33 -> 18 -> 17 -> 16 bits.
[[gnu::always_inline]] inline uint16_t fold(uint64_t acc) noexcept {
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint16_t>(acc);
}

// Adds the bytes at p as 16-bit words in the CPU's byte order, as it loads them
// from the wire (a trailing odd byte is the high half of a big-endian word padded
// with zero), to a wide accumulator in that same order. The ones'-complement sum
// commutes with swapping the bytes of every word (RFC 1071, 2.(B)): a sum to store
// is swapped once at the end (sum_be), and a verification needs no swap at all,
// since 0xffff reads the same both ways (checksum_ok_native). Sixteen bytes per
// step in two 32-bit-halves sums; the empty asm keeps GCC from vectorizing a loop
// that runs one to a few times per packet (its vector prologue and horizontal add
// cost more than they save on a 20-byte header or a 64-byte frame).
[[gnu::always_inline]] inline uint64_t sum_native(const uint8_t *p, size_t len,
                                                  uint64_t acc = 0) noexcept {
    uint64_t a = 0, b = 0;
    while (len >= 16) {
        uint64_t v, w;
        std::memcpy(&v, p, 8);
        std::memcpy(&w, p + 8, 8);
        a += (v & 0xffffffffu) + (v >> 32);
        b += (w & 0xffffffffu) + (w >> 32);
        asm("" : "+r"(a), "+r"(b));
        p += 16;
        len -= 16;
    }
    if (len >= 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        a += (v & 0xffffffffu) + (v >> 32);
        p += 8;
        len -= 8;
    }
    if (len >= 4) {
        uint32_t v;
        std::memcpy(&v, p, 4);
        b += v;
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t v;
        std::memcpy(&v, p, 2);
        a += v;
        p += 2;
        len -= 2;
    }
    if (len) {
        if constexpr (std::endian::native == std::endian::little)
            b += p[0];
        else
            b += uint64_t{p[0]} << 8;
    }
    return acc + a + b;
}

// A 16-bit big-endian value as sum_native would have loaded it from the wire.
constexpr uint64_t native16(uint16_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little)
        return static_cast<uint16_t>(v >> 8 | v << 8);
    else
        return v;
}

// True when a sum_native accumulator over data that includes its checksum field
// folds to 0xffff (valid).
[[gnu::always_inline]] inline bool checksum_ok_native(uint64_t acc) noexcept {
    return fold(acc) == 0xffff;
}

// The IPv4 pseudo-header (RFC 768, RFC 9293) in sum_native order, for the header at
// ip: its source and destination straight from the header, then protocol and length.
[[gnu::always_inline]] inline uint64_t pseudo_header_native(const uint8_t *ip, uint8_t proto,
                                                            uint16_t l4_len) noexcept {
    uint64_t v;
    std::memcpy(&v, ip + 12, 8);
    return (v & 0xffffffffu) + (v >> 32) + native16(proto) + native16(l4_len);
}

// An IPv4 header without options (20 bytes) whose checksum verifies. Since 2^16 is 1
// modulo 0xffff, a plain sum of the header's words is congruent to their
// ones'-complement sum, and fold() == 0xffff means: a multiple of 0xffff that is not
// 0 (fold maps only 0 to 0). A test of divisibility by a constant is a multiply and
// a compare, where folding is a chain of shifts and adds.
[[gnu::always_inline]] inline bool ipv4_header_ok(const uint8_t *ip) noexcept {
    uint64_t v, w;
    uint32_t x;
    std::memcpy(&v, ip, 8);
    std::memcpy(&w, ip + 8, 8);
    std::memcpy(&x, ip + 16, 4);
    const uint64_t acc = (v & 0xffffffffu) + (v >> 32) + (w & 0xffffffffu) + (w >> 32) + x;
    return acc != 0 && acc % 0xffff == 0;
}

// Adds the bytes at p as big-endian 16-bit words to a wide accumulator kept in
// big-endian word order: sum_native, folded and swapped once.
[[gnu::always_inline]] inline uint64_t sum_be(const uint8_t *p, size_t len,
                                              uint64_t acc = 0) noexcept {
    return acc + native16(fold(sum_native(p, len)));
}

// The checksum to store (big-endian value): ~fold(sum).
[[gnu::always_inline]] inline uint16_t checksum(const uint8_t *p, size_t len,
                                                uint64_t acc = 0) noexcept {
    return static_cast<uint16_t>(~fold(sum_be(p, len, acc)));
}

// True when the data (including its checksum field) sums to 0xffff.
[[gnu::always_inline]] inline bool checksum_ok(const uint8_t *p, size_t len,
                                               uint64_t acc = 0) noexcept {
    return fold(sum_be(p, len, acc)) == 0xffff;
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for a 16-bit field changing from m to m'.
inline uint16_t checksum_update16(uint16_t hc, uint16_t old_word, uint16_t new_word) noexcept {
    uint64_t acc =
        uint64_t{static_cast<uint16_t>(~hc)} + static_cast<uint16_t>(~old_word) + new_word;
    return static_cast<uint16_t>(~fold(acc));
}

// IPv4 pseudo-header sum for TCP/UDP (RFC 768, RFC 9293): src, dst, proto, length.
inline uint64_t pseudo_header_sum(uint32_t src, uint32_t dst, uint8_t proto,
                                  uint16_t l4_len) noexcept {
    return uint64_t{src >> 16} + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + l4_len;
}

}  // namespace c10m::wire
