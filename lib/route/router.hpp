#pragma once

// Where the router decides a frame's fate (RFC 1812), on its bytes: classify()
// checks what arrived and looks its destination up; the mode (l3fwd_mode.hpp) then
// resolves the next hop and sends. Every length is checked before it is read. The
// host path (to one of the router's own addresses) answers as a Linux router does:
// ICMP echo, port and protocol unreachables, RSTs for TCP.
#include <rte_config.h>
#include <smmintrin.h>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "host/echo.hpp"
#include "net/addr.hpp"
#include "net/port_host.hpp"
#include "net/rx_csum.hpp"
#include "route/fib.hpp"
#include "route/replies.hpp"
#include "stats/counters.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

namespace c10m::route {

// One port as the router sees it: its address, subnet broadcast, MAC and MTU.
struct PortIf {
    // The first 16 bytes of the common frame, under a mask: to our MAC, from a
    // unicast MAC, IPv4 with a 20-byte header (one compare instead of five checks).
    alignas(16) uint8_t head_want[16] = {};
    alignas(16) uint8_t head_mask[16] = {};
    net::PortHost host;  // has_ip, ip, bcast, mac
    uint16_t mtu = 1500;
    bool forwarding = false;

    void set_mac(const uint8_t mac[6]) noexcept {
        std::memcpy(host.mac, mac, 6);
        std::memcpy(head_want, mac, 6);
        std::memset(head_mask, 0xff, 6);
        head_mask[6] = 0x01;  // the source MAC's group bit must be clear
        head_want[12] = 0x08;
        head_want[13] = 0x00;
        head_want[14] = 0x45;
        head_mask[12] = head_mask[13] = head_mask[14] = 0xff;
    }
};

// The router's view of its ports and addresses, copied into each lcore.
struct RouterView {
    const Lpm *lpm = nullptr;
    PortIf ports[RTE_MAX_ETHPORTS];
    // Its own addresses and subnet broadcasts: no packet from these is forwarded.
    // A 64-bit filter by a hash of the address answers "not ours" for nearly every
    // source in one test; the list is read only when its bit is set.
    uint32_t own[2 * RTE_MAX_ETHPORTS] = {};
    uint32_t nb_own = 0;
    uint64_t own_filter = 0;
    // The same for judge_x4 (fast_x4.hpp), as a frame's bytes read into a native
    // integer, in groups of four (the last padded with its first), each group four
    // times, rotated by one lane each time: four lane-wise compares with a vector of
    // four sources test each against the group's four addresses.
    alignas(16) uint32_t own_x4[2 * RTE_MAX_ETHPORTS][4] = {};
    uint32_t nb_own_x4 = 0;  // vectors in own_x4, a multiple of 4
    // The smallest MTU of the forwarding ports: what judge_x4 holds a group routed to
    // several next hops to, instead of each one's own.
    uint16_t min_mtu = 0;

    static uint32_t own_bit(uint32_t a) noexcept { return (a * 2654435761u) >> 26; }
    void add_own(uint32_t a) noexcept {
        own[nb_own++] = a;
        own_filter |= uint64_t{1} << own_bit(a);
        const uint32_t g = (nb_own - 1) / 4 * 4;  // the group's first address
        uint32_t w[4];
        for (uint32_t j = 0; j < 4; ++j) {
            uint8_t b[4];
            wire::store32(b, own[g + j < nb_own ? g + j : g]);
            w[j] = wire::load32_raw(b);
        }
        for (uint32_t r = 0; r < 4; ++r)
            for (uint32_t j = 0; j < 4; ++j)
                own_x4[g + r][j] = w[(j + r) % 4];
        nb_own_x4 = g + 4;
    }
    [[gnu::always_inline]] bool is_own(uint32_t a) const noexcept {
        if (!(own_filter >> own_bit(a) & 1)) [[likely]]
            return false;
        for (uint32_t i = 0; i < nb_own; ++i)
            if (own[i] == a) return true;
        return false;
    }
};

enum class Fate : uint8_t {
    forward,  // to `hop` out of `port`
    local,    // to one of our addresses: the host path
    arp,      // an ARP frame: the mode's neighbour table
    error,    // answer with an ICMP error (`type`, `code`, `mtu`), count `drop`
    drop,     // free and count `drop`
};

struct Decision {
    Fate fate;
    uint8_t type = 0, code = 0;
    uint16_t port = 0;  // forward: egress
    uint16_t mtu = 0;   // error, fragmentation needed: the egress MTU
    uint16_t total = 0;
    uint32_t hop = 0;  // forward: the next hop's address
    stats::Drop drop = stats::Drop::count_;
    bool options = false;  // forward: IPv4 options (left as they are)
};

namespace detail {

[[gnu::always_inline]] inline Decision drop(stats::Drop d) noexcept {
    Decision x{Fate::drop};
    x.drop = d;
    return x;
}
[[gnu::always_inline]] inline Decision error(stats::Drop d, uint8_t type, uint8_t code,
                                             uint16_t total, uint16_t mtu = 0) noexcept {
    Decision x{Fate::error};
    x.drop = d;
    x.type = type;
    x.code = code;
    x.total = total;
    x.mtu = mtu;
    return x;
}

// 0/8, 127/8 and 240/4 but the limited broadcast: never a destination.
constexpr bool martian_destination(uint32_t a) {
    const uint32_t top = a >> 24;
    return top == 0 || top == 127 || (top >= 240 && a != 0xffffffffu);
}

// The first bytes of an address that is never forwarded, as source or destination:
// 0/8, 127/8 and 224/3 (multicast, 240/4, the limited broadcast). One load per
// address on the fast path instead of three compares; the static_assert holds it to
// the named checks classify() makes.
inline constexpr std::array<uint8_t, 256> kOddTop = [] {
    std::array<uint8_t, 256> t{};
    t[0] = t[127] = 1;
    for (size_t i = 224; i < 256; ++i)
        t[i] = 1;
    return t;
}();
constexpr bool odd_top_agrees() {
    for (uint32_t top = 0; top < 256; ++top)
        for (const uint32_t low : {0u, 0x010203u, 0xffffffu}) {
            const uint32_t a = top << 24 | low;
            if ((kOddTop[top] != 0) != net::martian_source(a) ||
                (kOddTop[top] != 0) != (net::multicast_or_broadcast(a) || martian_destination(a)))
                return false;
        }
    return true;
}
static_assert(odd_top_agrees());

}  // namespace detail

// The fate of one frame of `len` bytes at f that arrived on rx_port. Nothing is
// written. ipcsum: what the port's rx flags say of the IPv4 header checksum.
[[gnu::always_inline]] inline Decision classify(const uint8_t *f, uint32_t len, uint16_t rx_port,
                                                const RouterView &rv,
                                                net::Csum ipcsum = net::Csum::unknown) noexcept {
    using detail::drop;
    using stats::Drop;
    const PortIf &in = rv.ports[rx_port];
    const uint8_t *ip = f + 14;
    const bool common =
        len >= 14 + 20 &&
        _mm_testz_si128(
            _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i *>(f)),
                          _mm_load_si128(reinterpret_cast<const __m128i *>(in.head_want))),
            _mm_load_si128(reinterpret_cast<const __m128i *>(in.head_mask)));
    if (!common) [[unlikely]] {
        if (len < 14) return drop(Drop::runt);
        if (f[6] & 1) return drop(Drop::eth_src_group);
        const uint16_t type = wire::load16(f + 12);
        switch (type) {
            case 0x0800:
                break;
            case 0x0806:
                return Decision{Fate::arp};
            case 0x86dd:
                return drop(Drop::ipv6);
            case 0x8100:
            case 0x88a8:
                return drop(Drop::vlan);
            default:
                return drop(Drop::ethertype_other);
        }
        if (std::memcmp(f, in.host.mac, 6) != 0)
            return drop((f[0] & 1) ? Drop::eth_dst_group : Drop::eth_not_ours);
        if (len < 14 + 20) return drop(Drop::ip_truncated);
        if ((ip[0] >> 4) != 4) return drop(Drop::ip_bad_version);
        if ((ip[0] & 0xfu) * 4 < 20) return drop(Drop::ip_bad_ihl);
    }
    const uint32_t ihl = (ip[0] & 0xfu) * 4;
    const uint32_t total = wire::load16(ip + 2);
    if (14 + ihl > len || total < ihl || 14 + total > len) [[unlikely]]
        return drop(Drop::ip_truncated);
    if (ipcsum == net::Csum::bad ||
        (ipcsum != net::Csum::good &&
         !(ihl == 20 ? wire::ipv4_header_ok(ip) : wire::checksum_ok(ip, ihl)))) [[unlikely]]
        return drop(Drop::ip_bad_checksum);
    const uint32_t src = wire::load32(ip + 12);
    const uint32_t dst = wire::load32(ip + 16);
    if (net::martian_source(src)) [[unlikely]]
        return drop(Drop::ip_src_martian);
    if (net::multicast_or_broadcast(dst)) [[unlikely]]
        return drop(Drop::ip_dst_group);
    if (detail::martian_destination(dst)) [[unlikely]]
        return drop(Drop::ip_dst_martian);
    const Nexthop *nh = rv.lpm->lookup(dst);
    if (!nh) [[unlikely]]
        return detail::error(Drop::l3_no_route, 3, 0, static_cast<uint16_t>(total));
    if (nh->kind != Nexthop::Kind::forward) [[unlikely]] {
        if (nh->kind == Nexthop::Kind::local) {
            Decision x{Fate::local};
            x.total = static_cast<uint16_t>(total);
            return x;
        }
        return drop(Drop::ip_dst_group);  // a connected subnet's broadcast
    }
    if (rv.is_own(src)) [[unlikely]]
        return drop(Drop::ip_src_ours);
    if (ip[8] <= 1) [[unlikely]]
        return detail::error(Drop::l3_ttl_exceeded, 11, 0, static_cast<uint16_t>(total));
    const PortIf &out = rv.ports[nh->port];
    if (total > out.mtu) [[unlikely]] {
        if (wire::load16(ip + 6) & 0x4000)
            return detail::error(Drop::l3_frag_needed, 3, 4, static_cast<uint16_t>(total), out.mtu);
        return drop(Drop::l3_too_big);
    }
    Decision x{Fate::forward};
    x.port = nh->port;
    x.hop = nh->gateway ? nh->gateway : dst;
    x.total = static_cast<uint16_t>(total);
    x.options = ihl != 20;
    return x;
}

// The forward path's common case, judged in one pass (each check a predicted
// branch, no Decision built): a unicast IPv4 frame to our MAC with a 20-byte
// header, whole, its checksum right, from and to ordinary unicast addresses (first
// byte not 0, 127 or 224 and up), TTL above 1, routed out of a port whose MTU it
// fits, not from one of our addresses. Returns the next hop (and the frame's
// destination and IP length), or nullptr, and then classify() decides. For every
// frame this accepts, classify() forwards it to the same next hop
// (tests/eal/test_l3fwd.cpp and fuzz_l3fwd hold it to that); it skips classify()'s
// Decision and the order of its named drops.
[[gnu::always_inline]] inline const Nexthop *fast_path(const uint8_t *f, uint32_t len,
                                                       const PortIf &in, const RouterView &rv,
                                                       net::Csum ipcsum, uint32_t &dst,
                                                       uint32_t &total) noexcept {
    const uint8_t *ip = f + 14;
    if (len < 14 + 20 ||
        !_mm_testz_si128(
            _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i *>(f)),
                          _mm_load_si128(reinterpret_cast<const __m128i *>(in.head_want))),
            _mm_load_si128(reinterpret_cast<const __m128i *>(in.head_mask))))
        return nullptr;
    total = wire::load16(ip + 2);
    const uint32_t src = wire::load32(ip + 12);
    dst = wire::load32(ip + 16);
    // One predicted branch per check: fewer instructions than OR-ing their flags.
    // total within [20, len - 14] in one unsigned compare (below 20 wraps).
    if (detail::kOddTop[src >> 24] || detail::kOddTop[dst >> 24]) return nullptr;
    if (total - 20u > len - 34u || ip[8] <= 1 || ipcsum == net::Csum::bad) return nullptr;
    if (ipcsum != net::Csum::good && !wire::ipv4_header_ok(ip)) return nullptr;
    const Nexthop *nh = rv.lpm->lookup(dst);
    if (!nh || total > nh->fast_mtu || rv.is_own(src)) return nullptr;
    return nh;
}

// The forward path's rewrite of the IPv4 header: TTL - 1, the checksum updated for
// that (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m'), where the word m = TTL:protocol
// becomes m' = m - 0x100, so ~m + m' is 0xfeff whatever m is). The caller checked
// TTL > 1.
// Ones' complement sums commute with swapping bytes (RFC 1071, 2.B), so the field
// is worked on as it lies in memory. Little-endian, it reads as r = HC swapped,
// and eqn. 3 comes to r' = r + 1, but 0 for r = 0xfffe and 1 for r = 0xffff: r + 1,
// one more when r >= 0xfffe, mod 2^16. TTL, protocol and checksum are one 32-bit
// word, r its top half: one add rewrites both (TTL > 1, so the - 1 never borrows
// from the protocol byte, and the carry out of the top is the mod 2^16).
// tests/unit/test_route.cpp checks it against a full sum for all 65,535 checksums.
[[gnu::always_inline]] inline void decrement_ttl(uint8_t *ip) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        uint32_t w;
        std::memcpy(&w, ip + 8, 4);
        w += 0xffffu + (static_cast<uint32_t>(w >= 0xfffe0000u) << 16);
        std::memcpy(ip + 8, &w, 4);
    } else {
        --ip[8];
        uint16_t raw;
        std::memcpy(&raw, ip + 10, 2);
        uint32_t x = static_cast<uint16_t>(~raw) + 0xfeffu;
        x = (x & 0xffff) + (x >> 16);
        raw = static_cast<uint16_t>(~x);
        std::memcpy(ip + 10, &raw, 2);
    }
}

// What the host path made of a packet to us.
struct HostVerdict {
    enum class Kind : uint8_t { reply, error, drop } kind;
    uint16_t len = 0;                           // reply: the frame's new length
    stats::Event event = stats::Event::count_;  // reply
    stats::Drop drop = stats::Drop::count_;     // error, drop
    uint8_t type = 0, code = 0;                 // error
};

// The host path for a packet classify() found local (IPv4 header checked, `total`
// bytes): an ICMP echo request is answered in place (as echo mode does); UDP gets a
// port unreachable and other protocols a protocol unreachable (errors the caller
// builds and rate-limits); TCP a RST (in place). ICMP other than echo requests is
// counted and dropped. rx: the port it came in on (our MAC there).
[[gnu::always_inline]] inline HostVerdict host_path(uint8_t *f, uint32_t total, const PortIf &rx,
                                                    host::EchoLcore &lc, uint16_t ip_id,
                                                    net::Csum l4csum, uint64_t now) noexcept {
    using stats::Drop;
    using K = HostVerdict::Kind;
    auto dropped = [](Drop d) { return HostVerdict{K::drop, 0, stats::Event::count_, d}; };
    uint8_t *ip = f + 14;
    const uint32_t ihl = (ip[0] & 0xfu) * 4;
    if (ihl != 20) return dropped(Drop::ip_options);
    if (wire::load16(ip + 6) & 0x3fff) return dropped(Drop::ip_fragment);
    if (ip[8] == 0) return dropped(Drop::ip_bad_ttl);
    uint8_t *l4 = ip + 20;
    const uint32_t l4len = total - 20;
    switch (ip[9]) {
        case 1: {
            const host::Verdict v = host::detail::icmp(f, ip, total, rx.host, lc, now);
            if (v.outcome == host::Outcome::reply) return {K::reply, v.len, v.event};
            return dropped(v.drop);
        }
        case 17: {
            if (l4len < 8) return dropped(Drop::udp_truncated);
            const uint16_t ulen = wire::load16(l4 + 4);
            if (ulen != l4len) return dropped(Drop::udp_bad_length);
            if (wire::load16(l4 + 6) != 0) {
                if (l4csum == net::Csum::bad) return dropped(Drop::udp_bad_checksum);
                if (l4csum != net::Csum::good &&
                    !wire::checksum_ok_native(
                        wire::sum_native(l4, ulen, wire::pseudo_header_native(ip, 17, ulen))))
                    return dropped(Drop::udp_bad_checksum);
            }
            return {K::error, 0, stats::Event::count_, Drop::l3_to_us_udp, 3, 3};
        }
        case 6: {
            if (l4len < 20) return dropped(Drop::tcp_truncated);
            const uint32_t doff = (l4[12] >> 4) * 4u;
            if (doff < 20 || doff > l4len) return dropped(Drop::tcp_bad_offset);
            if (l4csum == net::Csum::bad ||
                (l4csum != net::Csum::good &&
                 !wire::checksum_ok_native(wire::sum_native(
                     l4, l4len, wire::pseudo_header_native(ip, 6, static_cast<uint16_t>(l4len))))))
                return dropped(Drop::tcp_bad_checksum);
            if (wire::load16(l4) == 0) return dropped(Drop::tcp_bad_port);
            if (l4[13] & 0x04) return dropped(Drop::l3_to_us_tcp);  // never answer a RST
            const uint32_t n = tcp_reset_in_place(f, ip, l4, l4len - doff, rx.host.mac, ip_id);
            return {K::reply, static_cast<uint16_t>(n), stats::Event::tcp_rst_sent,
                    Drop::l3_to_us_tcp};
        }
        default:
            return {K::error, 0, stats::Event::count_, Drop::l3_to_us_other, 3, 2};
    }
}

// What an ARP frame on port `rx` says, checked: its operation, sender and target.
struct ArpInfo {
    bool ok = false;
    stats::Drop drop = stats::Drop::count_;
    uint16_t op = 0;
    uint32_t spa = 0, tpa = 0;
    const uint8_t *sha = nullptr;
};

inline ArpInfo parse_arp(const uint8_t *f, uint32_t len, const PortIf &rx) noexcept {
    using stats::Drop;
    ArpInfo a;
    const bool to_us =
        std::memcmp(f, rx.host.mac, 6) == 0 || std::memcmp(f, host::detail::kBroadcast, 6) == 0;
    if (!to_us) {
        a.drop = Drop::eth_not_ours;
        return a;
    }
    if (len < 42) {
        a.drop = Drop::arp_malformed;
        return a;
    }
    const uint8_t *p = f + 14;
    a.op = wire::load16(p + 6);
    a.sha = p + 8;
    a.spa = wire::load32(p + 14);
    a.tpa = wire::load32(p + 24);
    if (wire::load16(p) != 1 || wire::load16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4 ||
        (a.op != 1 && a.op != 2) || (a.sha[0] & 1) ||
        (a.spa != 0 && (net::martian_source(a.spa) || a.spa == rx.host.bcast))) {
        a.drop = Drop::arp_malformed;
        return a;
    }
    if (!rx.host.has_ip) {
        a.drop = Drop::no_address;
        return a;
    }
    if (a.spa == rx.host.ip) {  // someone else claims our address
        a.drop = Drop::arp_not_ours;
        return a;
    }
    a.ok = true;
    return a;
}

// Answers an ARP request for our address in place (RFC 826). Returns 42.
inline uint32_t arp_reply_in_place(uint8_t *f, const PortIf &rx) noexcept {
    uint8_t *a = f + 14;
    wire::store16(a + 6, 2);
    std::memmove(a + 18, a + 8, 10);  // target := requester (MAC and IP)
    std::memcpy(a + 8, rx.host.mac, 6);
    wire::store32(a + 14, rx.host.ip);
    std::memcpy(f, f + 6, 6);
    std::memcpy(f + 6, rx.host.mac, 6);
    return 42;
}

// An ARP request from `rx` for `target`: broadcast, or unicast to `to` (a probe of a
// known neighbour). Writes 42 bytes.
inline uint32_t write_arp_request(uint8_t *f, const PortIf &rx, uint32_t target,
                                  const uint8_t *to) noexcept {
    if (to)
        std::memcpy(f, to, 6);
    else
        std::memset(f, 0xff, 6);
    std::memcpy(f + 6, rx.host.mac, 6);
    wire::store16(f + 12, 0x0806);
    uint8_t *a = f + 14;
    wire::store16(a, 1);
    wire::store16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    wire::store16(a + 6, 1);
    std::memcpy(a + 8, rx.host.mac, 6);
    wire::store32(a + 14, rx.host.ip);
    std::memset(a + 18, 0, 6);
    wire::store32(a + 24, target);
    return 42;
}

}  // namespace c10m::route
