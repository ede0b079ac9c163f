#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
// Sums are kept in big-endian word order (the order of the bytes on the wire).
namespace c10m::wire {

// Adds the bytes at p as big-endian 16-bit words (a trailing odd byte is the high
// half of a word padded with zero) to a wide accumulator.
inline uint64_t sum_be(const uint8_t *p, size_t len, uint64_t acc = 0) noexcept {
    // Four bytes at a time: the sum of 32-bit big-endian words folds to the same
    // ones'-complement sum as 16-bit words.
    while (len >= 8) {
        acc += uint64_t{p[0]} << 24 | uint64_t{p[1]} << 16 | uint64_t{p[2]} << 8 | p[3];
        acc += uint64_t{p[4]} << 24 | uint64_t{p[5]} << 16 | uint64_t{p[6]} << 8 | p[7];
        p += 8;
        len -= 8;
    }
    while (len >= 2) {
        acc += uint64_t{p[0]} << 8 | p[1];
        p += 2;
        len -= 2;
    }
    if (len) acc += uint64_t{p[0]} << 8;
    return acc;
}

// Folds a wide sum to 16 bits with end-around carries.
inline uint16_t fold(uint64_t acc) noexcept {
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint16_t>(acc);
}

// The checksum to store (big-endian value): ~fold(sum).
inline uint16_t checksum(const uint8_t *p, size_t len, uint64_t acc = 0) noexcept {
    return static_cast<uint16_t>(~fold(sum_be(p, len, acc)));
}

// True when the data (including its checksum field) sums to 0xffff.
inline bool checksum_ok(const uint8_t *p, size_t len, uint64_t acc = 0) noexcept {
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
