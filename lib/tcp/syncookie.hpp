#pragma once

// SYN cookies (RFC 4987 3.6): the initial sequence number of our SYN-ACK encodes
// what the handshake negotiated, so that a SYN costs no state; the connection is
// created only when the final ACK returns a valid cookie (ACK - 1).
//
//   bits 31..29  time slot (64 s each) modulo 8: a cookie is accepted for 2 slots
//                after the one it was made in (64 to 192 s)
//   bits 28..26  index of the MSS we advertised (kMssTable)
//   bits 25..23  index of the peer's window scale, rounded down (kWscaleTable)
//   bits 22..0   SipHash-2-4 under a per-process random key of the 4-tuple, the
//                client's ISN, the full slot number and both indices
//
// Eight MSS values, from Linux's tcp_min_snd_mss (48) up: a peer's MSS below 536
// is taken (Linux takes down to 48), and tunnels' usual values (1220 for IPv6 in
// IPv4, 1380 for IPsec) are kept rather than rounded down to 536.
//
// A forger who knows everything but the key guesses 23 bits (1 in 8.4 million per
// try per 4-tuple and client ISN); tampering with the MSS or window-scale bits
// changes the hash.
#include <array>
#include <cstdint>

#include "tcp/siphash.hpp"

namespace c10m::tcp {

inline constexpr std::array<uint16_t, 8> kMssTable = {48, 216, 536, 1220, 1300, 1380, 1440, 1460};
// -1: the peer sent no window scale option (scaling off in both directions).
inline constexpr std::array<int8_t, 8> kWscaleTable = {-1, 0, 2, 4, 6, 7, 8, 9};
inline constexpr uint32_t kCookieSlotSeconds = 64;
inline constexpr uint32_t kCookieMaxAge = 2;  // slots

// The 4-tuple as seen from the client: its address and port, ours.
struct Tuple {
    uint32_t saddr;  // host order
    uint32_t daddr;
    uint16_t sport;
    uint16_t dport;
};

// Largest table MSS not above limit; -1 when even the smallest is too big.
constexpr int mss_index(uint32_t limit) noexcept {
    for (int i = static_cast<int>(kMssTable.size()) - 1; i >= 0; --i)
        if (kMssTable[static_cast<size_t>(i)] <= limit) return i;
    return -1;
}
// The peer's window scale (-1 = none) rounded down to a table entry.
constexpr int wscale_index(int shift) noexcept {
    if (shift < 0) return 0;
    for (int i = static_cast<int>(kWscaleTable.size()) - 1; i > 0; --i)
        if (kWscaleTable[static_cast<size_t>(i)] <= shift) return i;
    return 1;
}

enum class CookieCheck : uint8_t { ok, expired, forged };

struct CookieResult {
    CookieCheck status;
    uint8_t mss_idx;
    uint8_t ws_idx;
};

class SynCookies {
  public:
    explicit SynCookies(SipKey key = {}) noexcept : key_(key) {}

    uint32_t make(const Tuple &t, uint32_t client_isn, uint32_t slot, unsigned mss_idx,
                  unsigned ws_idx) const noexcept {
        return (slot & 7u) << 29 | (mss_idx & 7u) << 26 | (ws_idx & 7u) << 23 |
               (hash(t, client_isn, slot, mss_idx & 7u, ws_idx & 7u) & 0x7fffffu);
    }

    CookieResult check(const Tuple &t, uint32_t client_isn, uint32_t cookie,
                       uint32_t slot_now) const noexcept {
        const unsigned mss_idx = cookie >> 26 & 7u;
        const unsigned ws_idx = cookie >> 23 & 7u;
        const uint32_t age = (slot_now - (cookie >> 29)) & 7u;
        const uint32_t slot = slot_now - age;
        const bool genuine =
            (hash(t, client_isn, slot, mss_idx, ws_idx) & 0x7fffffu) == (cookie & 0x7fffffu);
        if (!genuine) return {CookieCheck::forged, 0, 0};
        if (age > kCookieMaxAge) return {CookieCheck::expired, 0, 0};
        return {CookieCheck::ok, static_cast<uint8_t>(mss_idx), static_cast<uint8_t>(ws_idx)};
    }

    // The cookie's slot bits say it could be one we issued lately (whether or not its
    // hash verifies for the segment at hand).
    static bool recent(uint32_t cookie, uint32_t slot_now) noexcept {
        return ((slot_now - (cookie >> 29)) & 7u) <= kCookieMaxAge;
    }

  private:
    uint32_t hash(const Tuple &t, uint32_t isn, uint32_t slot, unsigned mss_idx,
                  unsigned ws_idx) const noexcept {
        uint8_t in[20];
        auto put32 = [&](int at, uint32_t v) {
            for (int b = 0; b < 4; ++b)
                in[at + b] = static_cast<uint8_t>(v >> (8 * b));
        };
        put32(0, t.saddr);
        put32(4, t.daddr);
        put32(8, uint32_t{t.sport} << 16 | t.dport);
        put32(12, isn);
        put32(16, slot << 5 | mss_idx << 3 | ws_idx);
        return static_cast<uint32_t>(siphash24(key_, in, sizeof in));
    }

    SipKey key_;
};

}  // namespace c10m::tcp
