#pragma once

// The rx lcores' classifier in pipeline mode: a flow hash that is symmetric (both
// directions of a flow, and every segment of it, give the same value), so a flow
// always reaches the same worker, as RSS with a symmetric key does across rx
// queues. Computed in software from the frame, so it is the same on every PMD.
#include <cstdint>
#include <utility>

#include "wire/bytes.hpp"

namespace c10m::pipeline {

namespace detail {

// MurmurHash3's 64-bit finaliser: every input bit reaches every output bit.
constexpr uint64_t mix64(uint64_t x) noexcept {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

// Symmetric in (a, b) and in (pa, pb): each pair is ordered before mixing.
constexpr uint32_t symmetric(uint64_t a, uint64_t b, uint32_t pa, uint32_t pb,
                             uint32_t kind) noexcept {
    if (a > b) std::swap(a, b);
    if (pa > pb) std::swap(pa, pb);
    const uint64_t x = mix64(a * 0x9e3779b97f4a7c15ull ^ b);
    return static_cast<uint32_t>(mix64(x ^ (uint64_t{pa} << 32 | pb) ^ uint64_t{kind} << 56));
}

}  // namespace detail

// The flow of the frame's `len` bytes at f:
//   IPv4: addresses and protocol, and the ports for TCP, UDP and SCTP when the
//     datagram is not a fragment (so every fragment of it goes the same way);
//   IPv6: addresses and next header, and the ports when it is TCP or UDP;
//   ARP: the sender's protocol address (a host's ARP goes to one worker);
//   anything else, or a frame too short for what it claims: the two MAC addresses.
// One VLAN tag is looked through.
inline uint32_t flow_hash(const uint8_t *f, uint32_t len) noexcept {
    using wire::load16;
    using wire::load32;
    if (len < 14) return 0;
    uint32_t off = 12;
    uint16_t type = load16(f + off);
    if ((type == 0x8100 || type == 0x88a8) && len >= 18) {
        off += 4;
        type = load16(f + off);
    }
    off += 2;  // the network header
    const uint8_t *p = f + off;
    const uint32_t rest = len - off;
    if (type == 0x0800 && rest >= 20 && (p[0] >> 4) == 4) {
        const uint32_t ihl = (p[0] & 0xfu) * 4;
        const uint8_t proto = p[9];
        const bool fragment = (load16(p + 6) & 0x3fff) != 0;
        uint32_t sp = 0, dp = 0;
        if (!fragment && (proto == 6 || proto == 17 || proto == 132) && ihl >= 20 &&
            rest >= ihl + 4) {
            sp = load16(p + ihl);
            dp = load16(p + ihl + 2);
        }
        return detail::symmetric(load32(p + 12), load32(p + 16), sp, dp, 0x0800u << 8 | proto);
    }
    if (type == 0x86dd && rest >= 40) {
        const uint8_t nh = p[6];
        const uint64_t s = wire::load64(p + 8) ^ wire::load64(p + 16);
        const uint64_t d = wire::load64(p + 24) ^ wire::load64(p + 32);
        uint32_t sp = 0, dp = 0;
        if ((nh == 6 || nh == 17) && rest >= 44) {
            sp = load16(p + 40);
            dp = load16(p + 42);
        }
        return detail::symmetric(s, d, sp, dp, 0x86ddu << 8 | nh);
    }
    if (type == 0x0806 && rest >= 28) return detail::symmetric(load32(p + 14), 0, 0, 0, 0x0806);
    const uint64_t dst = uint64_t{load16(f)} << 32 | load32(f + 2);
    const uint64_t src = uint64_t{load16(f + 6)} << 32 | load32(f + 8);
    return detail::symmetric(dst, src, 0, 0, type);
}

// The worker (0..workers-1) for a flow hash: multiply-shift, no division.
constexpr uint32_t worker_of(uint32_t hash, uint32_t workers) noexcept {
    return static_cast<uint32_t>((uint64_t{hash} * workers) >> 32);
}

}  // namespace c10m::pipeline
