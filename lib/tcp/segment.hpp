#pragma once

// What TCP-lite's passive side (tcp::Engine) and its active side (the generator,
// lib/gen) share about segments: the header writer, the flags, the SYN options
// and the RTT estimator (RFC 6298). One copy, so both ends of a test speak the
// same TCP.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "net/port_host.hpp"
#include "net/rx_csum.hpp"
#include "stats/counters.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/ipv4.hpp"

namespace c10m::tcp {

inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
inline constexpr uint32_t kHdr = 14 + 20 + 20;  // Ethernet, IPv4 and TCP headers, no options

inline constexpr uint16_t kRtoMinMs = 200;  // as Linux (RFC 6298 says 1 s)
inline constexpr uint16_t kRtoMaxMs = 60000;
inline constexpr uint16_t kRtoInitialMs = 1000;
// The smallest MSS we use; a peer's below it is raised to it (Linux: tcp_min_snd_mss).
inline constexpr uint32_t kMinMss = 48;

// Ethernet, IPv4 and TCP headers at f for a segment from (smac, saddr, lport) to
// (rmac, raddr, rport), with `opt_len` bytes of options already at f + 54 and plen
// payload bytes after them whose sum_native is psum.
inline void write_segment_headers(uint8_t *f, const uint8_t *smac, uint32_t saddr,
                                  const uint8_t *rmac, uint32_t raddr, uint16_t rport,
                                  uint16_t lport, uint32_t seq, uint32_t ack, uint8_t flags,
                                  uint16_t wnd, uint32_t opt_len, uint32_t plen,
                                  uint64_t psum) noexcept {
    std::memcpy(f, rmac, 6);
    std::memcpy(f + 6, smac, 6);
    wire::store16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    const uint32_t tcp_len = 20 + opt_len + plen;
    wire::write_ipv4(ip, static_cast<uint16_t>(20 + tcp_len), 6, saddr, raddr, net::kReplyTtl,
                     0x4000 /* DF */);
    uint8_t *th = ip + 20;
    wire::store16(th, lport);
    wire::store16(th + 2, rport);
    wire::store32(th + 4, seq);
    wire::store32(th + 8, ack);
    th[12] = static_cast<uint8_t>((20 + opt_len) / 4 << 4);
    th[13] = flags;
    wire::store16(th + 14, wnd);
    wire::store16(th + 16, 0);
    wire::store16(th + 18, 0);
    const uint64_t sum = wire::sum_native(
        th, 20 + opt_len, psum + wire::pseudo_header_native(ip, 6, static_cast<uint16_t>(tcp_len)));
    const uint16_t c = static_cast<uint16_t>(~wire::fold(sum));
    std::memcpy(th + 16, &c, 2);  // native order, as summed
}

// The same from a port's own address (ph).
inline void write_headers(uint8_t *f, const net::PortHost &ph, const uint8_t *rmac, uint32_t raddr,
                          uint16_t rport, uint16_t lport, uint32_t seq, uint32_t ack, uint8_t flags,
                          uint16_t wnd, uint32_t opt_len, uint32_t plen, uint64_t psum) noexcept {
    write_segment_headers(f, ph.mac, ph.ip, rmac, raddr, rport, lport, seq, ack, flags, wnd,
                          opt_len, plen, psum);
}

// The TCP header of a segment whose IPv4 header (20 bytes) is at ip, ip_total its
// IPv4 total length: its data offset (doff), and Drop::count_ when the segment is
// whole and its checksum holds (l4: what the rx offload says), else why it is not.
inline stats::Drop check_segment(const uint8_t *ip, uint32_t ip_total, net::Csum l4,
                                 uint32_t &doff) noexcept {
    if (ip_total < 40) return stats::Drop::tcp_truncated;
    const uint8_t *th = ip + 20;
    const uint32_t tlen = ip_total - 20;
    doff = static_cast<uint32_t>(th[12] >> 4) * 4;
    if (doff < 20 || doff > tlen) return stats::Drop::tcp_bad_offset;
    if (l4 == net::Csum::bad) return stats::Drop::tcp_bad_checksum;
    if (l4 != net::Csum::good &&
        !wire::checksum_ok_native(wire::sum_native(
            th, tlen, wire::pseudo_header_native(ip, 6, static_cast<uint16_t>(tlen)))))
        return stats::Drop::tcp_bad_checksum;
    return stats::Drop::count_;
}

// The options of a SYN or SYN-ACK at o (up to end) that TCP-lite uses: MSS (-1 when
// absent) and window scale (-1 when absent, at most 14).
struct SynOptions {
    int32_t mss = -1;
    int8_t ws = -1;
    bool sack_ok = false;
    bool timestamps = false;
};
inline SynOptions parse_syn_options(const uint8_t *o, const uint8_t *end) noexcept {
    SynOptions r;
    while (o < end) {
        const uint8_t kind = o[0];
        if (kind == 0) break;
        if (kind == 1) {
            ++o;
            continue;
        }
        if (end - o < 2 || o[1] < 2 || o[1] > end - o) break;
        const uint8_t len = o[1];
        if (kind == 2 && len == 4) r.mss = wire::load16(o + 2);
        if (kind == 3 && len == 3) r.ws = static_cast<int8_t>(std::min<uint8_t>(o[2], 14));
        if (kind == 4 && len == 2) r.sack_ok = true;
        if (kind == 8 && len == 10) r.timestamps = true;
        o += len;
    }
    return r;
}

// RFC 6298 2.2-2.3, in microseconds, for one RTT sample r: updates srtt and rttvar
// (first: the connection's first sample) and returns the RTO in ms,
// SRTT + max(G, 4 RTTVAR) with G = 1 ms, within [kRtoMinMs, kRtoMaxMs].
inline uint16_t rto_from_sample(uint32_t &srtt_us, uint32_t &rttvar_us, bool first,
                                uint32_t r) noexcept {
    if (first) {
        srtt_us = r;
        rttvar_us = r / 2;
    } else {
        const uint32_t diff = srtt_us > r ? srtt_us - r : r - srtt_us;
        rttvar_us = rttvar_us - rttvar_us / 4 + diff / 4;
        srtt_us = srtt_us - srtt_us / 8 + r / 8;
    }
    const uint64_t rto_us = uint64_t{srtt_us} + std::max<uint64_t>(1000, 4ull * rttvar_us);
    return static_cast<uint16_t>(std::clamp<uint64_t>((rto_us + 999) / 1000, kRtoMinMs, kRtoMaxMs));
}

}  // namespace c10m::tcp
