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

// Adds the bytes at p as big-endian 16-bit words (a trailing odd byte is the high
// half of a word padded with zero) to a wide accumulator (big-endian word order).
// On a little-endian CPU the words are summed as the CPU loads them, eight bytes at
// a time, and the folded sum is byte-swapped once at the end: the ones'-complement
// sum commutes with swapping the bytes of every word (RFC 1071, 2.(B)). Inlined: it
// runs on every echoed packet (IPv4 header, ICMP message, UDP datagram).
[[gnu::always_inline]] inline uint64_t sum_be(const uint8_t *p, size_t len,
                                              uint64_t acc = 0) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        uint64_t s = 0;
        while (len >= 8) {
            uint64_t v;
            std::memcpy(&v, p, 8);
            s += (v & 0xffffffffu) + (v >> 32);
            p += 8;
            len -= 8;
        }
        if (len >= 4) {
            uint32_t v;
            std::memcpy(&v, p, 4);
            s += v;
            p += 4;
            len -= 4;
        }
        if (len >= 2) {
            uint16_t v;
            std::memcpy(&v, p, 2);
            s += v;
            p += 2;
            len -= 2;
        }
        if (len) s += p[0];  // the high byte of a big-endian word is the low one here
        const uint16_t f = fold(s);
        return acc + static_cast<uint16_t>(f >> 8 | f << 8);
    } else {
        while (len >= 2) {
            acc += uint64_t{p[0]} << 8 | p[1];
            p += 2;
            len -= 2;
        }
        if (len) acc += uint64_t{p[0]} << 8;
        return acc;
    }
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
