#pragma once

// Being a host on one port: ARP for our address, ICMP echo, UDP echo (RFC 862),
// ICMP port unreachable. echo_frame() works on the bytes of one frame, in place:
// every length is checked before it is read; a reply is never larger than its
// request and is never sent for a request to a broadcast or multicast address
// (ARP aside).

#include <array>
#include <cstdint>
#include <cstring>

#include "host/neighbour.hpp"
#include "net/addr.hpp"
#include "net/port_host.hpp"
#include "net/port_set.hpp"
#include "net/rx_csum.hpp"
#include "net/token_bucket.hpp"
#include "stats/counters.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/ipv4.hpp"

namespace c10m::host {

using net::Csum;
using net::kReplyTtl;
using net::PortHost;
using UdpPorts = net::PortSet;  // the UDP ports served by echo

// One lcore's mutable echo state.
struct EchoLcore {
    net::TokenBucket icmp_error;  // --icmp-rate: port unreachables
    net::TokenBucket icmp_echo;   // --icmp-echo-rate: echo replies
};

enum class Outcome : uint8_t {
    reply,     // send the frame back (rewritten in place, `len` bytes)
    consumed,  // nothing to send, nothing wrong (an ARP reply we learned from)
    drop,      // counted under `drop`
    tcp,       // a TCP segment for us, IPv4 checked: for the TCP engine (`len`: IPv4 total)
};

struct Verdict {
    Outcome outcome;
    uint16_t len;
    stats::Drop drop;
    stats::Event event;
};

namespace detail {

constexpr Verdict dropped(stats::Drop d) {
    return {Outcome::drop, 0, d, stats::Event::count_};
}
constexpr Verdict replied(uint32_t len, stats::Event e) {
    return {Outcome::reply, static_cast<uint16_t>(len), stats::Drop::count_, e};
}

inline constexpr uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// Ethernet: back to the sender, from our MAC.
[[gnu::always_inline]] inline void eth_reply(uint8_t *f, const uint8_t *our_mac) noexcept {
    std::memcpy(f, f + 6, 6);
    std::memcpy(f + 6, our_mac, 6);
}

// IPv4 header (no options) turned around: swap addresses, fresh TTL; the checksum is
// updated for the TTL word only (swapping the addresses does not change the sum).
[[gnu::always_inline]] inline void ip_reply(uint8_t *ip) noexcept {
    wire::swap_bytes(ip + 12, ip + 16, 4);
    const uint16_t old_word = wire::load16(ip + 8);
    ip[8] = kReplyTtl;
    wire::store16(ip + 10,
                  wire::checksum_update16(wire::load16(ip + 10), old_word, wire::load16(ip + 8)));
}

inline bool loop_prone_port(uint16_t p) noexcept {
    // echo, daytime, qotd, chargen, time: two such services can bounce a spoofed
    // datagram between them forever.
    return p == 0 || p == 7 || p == 13 || p == 17 || p == 19 || p == 37;
}

inline Verdict arp(uint8_t *f, uint32_t len, bool dst_ok, const PortHost &ph, NeighbourTable &nt,
                   uint64_t now) noexcept {
    using namespace stats;
    if (!dst_ok) return dropped(Drop::eth_not_ours);
    if (len < 42) return dropped(Drop::arp_malformed);
    uint8_t *a = f + 14;
    const uint16_t op = wire::load16(a + 6);
    if (wire::load16(a) != 1 || wire::load16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4 ||
        (op != 1 && op != 2))
        return dropped(Drop::arp_malformed);
    const uint8_t *sha = a + 8;
    const uint32_t spa = wire::load32(a + 14);
    const uint32_t tpa = wire::load32(a + 24);
    if (sha[0] & 1) return dropped(Drop::arp_malformed);
    if (spa != 0 && (net::martian_source(spa) || spa == ph.bcast))
        return dropped(Drop::arp_malformed);
    if (!ph.has_ip) return dropped(Drop::no_address);
    if (tpa != ph.ip || spa == ph.ip) return dropped(Drop::arp_not_ours);
    if (spa != 0) nt.learn(spa, sha, now);
    if (op == 2) return {Outcome::consumed, 0, Drop::count_, Event::arp_learned};
    // Request for us: answer in place (RFC 826).
    wire::store16(a + 6, 2);
    std::memcpy(a + 18, a + 8, 10);  // target := requester (MAC and IP)
    std::memcpy(a + 8, ph.mac, 6);
    wire::store32(a + 14, ph.ip);
    eth_reply(f, ph.mac);
    return replied(42, Event::arp_reply);
}

[[gnu::always_inline]] inline Verdict icmp(uint8_t *f, uint8_t *ip, uint32_t total,
                                           const PortHost &ph, EchoLcore &lc,
                                           uint64_t now) noexcept {
    using namespace stats;
    uint8_t *l4 = ip + 20;
    const uint32_t l4len = total - 20;
    if (l4len < 8) return dropped(Drop::icmp_truncated);
    if (!wire::checksum_ok_native(wire::sum_native(l4, l4len)))
        return dropped(Drop::icmp_bad_checksum);
    // An echo request whatever its code: Linux answers code 9 too (OS fingerprinting
    // probes send it), and its reply keeps the code.
    if (l4[0] != 8) return dropped(Drop::icmp_not_echo);
    if (!lc.icmp_echo.take(now)) return dropped(Drop::icmp_rate_limited);
    const uint16_t old_word = wire::load16(l4);
    l4[0] = 0;  // echo reply; code, identifier, sequence and data stay
    wire::store16(l4 + 2,
                  wire::checksum_update16(wire::load16(l4 + 2), old_word, wire::load16(l4)));
    ip_reply(ip);
    eth_reply(f, ph.mac);
    return replied(14 + total, Event::icmp_echo_reply);
}

// ICMP destination unreachable / port unreachable (RFC 792, RFC 1122 3.2.2.1),
// quoting the datagram's IPv4 header and first 8 bytes, built in place.
inline Verdict port_unreachable(uint8_t *f, uint32_t wire_len, const PortHost &ph, EchoLcore &lc,
                                uint64_t now) noexcept {
    using namespace stats;
    constexpr uint32_t kQuote = 20 + 8;
    constexpr uint32_t kReply = 14 + 20 + 8 + kQuote;  // 70 bytes
    if (kReply > wire_len) return dropped(Drop::unreach_would_amplify);
    if (!lc.icmp_error.take(now)) return dropped(Drop::icmp_rate_limited);
    uint8_t *ip = f + 14;
    const uint32_t client = wire::load32(ip + 12);
    std::memmove(f + 14 + 28, ip, kQuote);
    wire::write_ipv4(ip, 20 + 8 + kQuote, 1, ph.ip, client, kReplyTtl);
    uint8_t *ic = ip + 20;
    ic[0] = 3;  // destination unreachable
    ic[1] = 3;  // port unreachable
    wire::store16(ic + 2, 0);
    wire::store32(ic + 4, 0);
    wire::store16(ic + 2, wire::checksum(ic, 8 + kQuote));
    eth_reply(f, ph.mac);
    return replied(kReply, Event::icmp_unreachable);
}

[[gnu::always_inline]] inline Verdict udp(uint8_t *f, uint8_t *ip, uint32_t total,
                                          uint32_t wire_len, Csum l4csum, const PortHost &ph,
                                          const UdpPorts &ports, EchoLcore &lc,
                                          uint64_t now) noexcept {
    using namespace stats;
    uint8_t *l4 = ip + 20;
    const uint32_t l4len = total - 20;
    if (l4len < 8) return dropped(Drop::udp_truncated);
    const uint16_t ulen = wire::load16(l4 + 4);
    if (ulen != l4len) return dropped(Drop::udp_bad_length);
    if (wire::load16(l4 + 6) != 0) {
        if (l4csum == Csum::bad) return dropped(Drop::udp_bad_checksum);
        if (l4csum != Csum::good && !wire::checksum_ok_native(wire::sum_native(
                                        l4, ulen, wire::pseudo_header_native(ip, 17, ulen))))
            return dropped(Drop::udp_bad_checksum);
    }
    const uint16_t sport = wire::load16(l4);
    if (loop_prone_port(sport)) return dropped(Drop::udp_bad_src_port);
    if (!ports.has(wire::load16(l4 + 2))) return port_unreachable(f, wire_len, ph, lc, now);
    // RFC 862: send back the data. Swapping ports and addresses leaves the UDP
    // checksum valid (the sum is order-independent); only the IPv4 TTL changes.
    wire::swap_bytes(l4, l4 + 2, 2);
    ip_reply(ip);
    eth_reply(f, ph.mac);
    return replied(14 + total, Event::udp_echo_reply);
}

}  // namespace detail

// Decides the fate of one frame of `len` bytes at f (contiguous) that arrived on a
// port with identity ph, and rewrites it in place when it is answered. The hot path
// (this, icmp, udp and the checksum) is forced inline into the poll loop: called,
// the Verdict went back through the stack in pieces and the reload stalled on store
// forwarding (perf, memif UDP echo: ~15% of the lcore's samples on that reload).
[[gnu::always_inline]] inline Verdict echo_frame(uint8_t *f, uint32_t len, const PortHost &ph,
                                                 const UdpPorts &ports, EchoLcore &lc,
                                                 NeighbourTable &nt, uint64_t now,
                                                 Csum ipcsum = Csum::unknown,
                                                 Csum l4csum = Csum::unknown) noexcept {
    using namespace stats;
    using detail::dropped;
    if (len < 14) return dropped(Drop::runt);
    if (f[6] & 1) return dropped(Drop::eth_src_group);
    const bool dst_ours = std::memcmp(f, ph.mac, 6) == 0;
    const uint16_t type = wire::load16(f + 12);
    switch (type) {
        case 0x0800:
            break;
        case 0x0806:
            return detail::arp(f, len, dst_ours || std::memcmp(f, detail::kBroadcast, 6) == 0, ph,
                               nt, now);
        case 0x86dd:
            return dropped(Drop::ipv6);
        case 0x8100:
        case 0x88a8:
            return dropped(Drop::vlan);
        default:
            return dropped(Drop::ethertype_other);
    }
    if (!dst_ours) return dropped((f[0] & 1) ? Drop::eth_dst_group : Drop::eth_not_ours);
    if (!ph.has_ip) return dropped(Drop::no_address);
    if (len < 14 + 20) return dropped(Drop::ip_truncated);
    uint8_t *ip = f + 14;
    if ((ip[0] >> 4) != 4) return dropped(Drop::ip_bad_version);
    const uint32_t ihl = (ip[0] & 0xfu) * 4;
    if (ihl < 20) return dropped(Drop::ip_bad_ihl);
    const uint32_t total = wire::load16(ip + 2);
    if (14 + ihl > len || total < ihl || 14 + total > len) return dropped(Drop::ip_truncated);
    if (ipcsum == Csum::bad || (ipcsum != Csum::good && !(ihl == 20 ? wire::ipv4_header_ok(ip)
                                                                    : wire::checksum_ok(ip, ihl))))
        return dropped(Drop::ip_bad_checksum);
    if (ihl != 20) return dropped(Drop::ip_options);
    if (wire::load16(ip + 6) & 0x3fff) return dropped(Drop::ip_fragment);  // MF or an offset
    const uint32_t src = wire::load32(ip + 12);
    const uint32_t dst = wire::load32(ip + 16);
    if (net::martian_source(src)) return dropped(Drop::ip_src_martian);
    if (src == ph.bcast) return dropped(Drop::ip_src_broadcast);
    if (dst != ph.ip)
        return dropped(net::multicast_or_broadcast(dst) || dst == ph.bcast ? Drop::ip_dst_group
                                                                           : Drop::ip_not_ours);
    if (ip[8] == 0) return dropped(Drop::ip_bad_ttl);
    switch (ip[9]) {
        case 1:
            return detail::icmp(f, ip, total, ph, lc, now);
        case 17:
            return detail::udp(f, ip, total, len, l4csum, ph, ports, lc, now);
        case 6:
            return {Outcome::tcp, static_cast<uint16_t>(total), Drop::count_, Event::count_};
        default:
            return dropped(Drop::ip_proto_other);
    }
}

// A gratuitous ARP announcement (RFC 5227 2.3): a request for our own address to
// broadcast. Writes 42 bytes.
inline uint32_t build_garp(uint8_t *f, const PortHost &ph) noexcept {
    std::memset(f, 0xff, 6);
    std::memcpy(f + 6, ph.mac, 6);
    wire::store16(f + 12, 0x0806);
    uint8_t *a = f + 14;
    wire::store16(a, 1);
    wire::store16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    wire::store16(a + 6, 1);
    std::memcpy(a + 8, ph.mac, 6);
    wire::store32(a + 14, ph.ip);
    std::memset(a + 18, 0, 6);
    wire::store32(a + 24, ph.ip);
    return 42;
}

}  // namespace c10m::host
