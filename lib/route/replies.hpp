#pragma once

// What the router originates about a packet, built over the packet's own bytes (no
// allocation): ICMP errors (RFC 792, RFC 1812 4.3.2) and the RST that answers TCP to
// the router itself (RFC 9293 3.10.7.1).
#include <cstdint>
#include <cstring>

#include "net/addr.hpp"
#include "net/port_host.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

namespace c10m::route {

// An ICMP error quotes as much of the datagram as fits in 576 bytes (RFC 1812
// 4.3.2.3; the kernel quotes the same).
inline constexpr uint32_t kIcmpErrorMax = 576;
inline constexpr uint32_t kIcmpQuoteMax = kIcmpErrorMax - 20 - 8;
// Type of service of the errors: internetwork control, as the kernel sends them.
inline constexpr uint8_t kIcmpErrorTos = 0xc0;

// RFC 1812 4.3.2.7 (and RFC 1122 3.2.2): no ICMP error about an ICMP error (or an ICMP
// type we do not know), about a fragment other than the first, or about a datagram to
// a broadcast or multicast address (link or IP). The source was checked already (not
// martian). ip points at the IPv4 header of `total` bytes (ihl checked).
inline bool may_send_icmp_error(const uint8_t *frame, const uint8_t *ip, uint32_t ihl,
                                uint32_t total) noexcept {
    if (frame[0] & 1) return false;
    if (wire::load16(ip + 6) & 0x1fff) return false;
    if (net::multicast_or_broadcast(wire::load32(ip + 16))) return false;
    if (ip[9] == 1) {
        if (total < ihl + 1) return false;
        const uint8_t type = ip[ihl];
        // Queries and replies (echo, timestamp, information, address mask) are fine;
        // errors (3, 4, 5, 11, 12) and the unknown are not.
        const bool query =
            type == 0 || type == 8 || (type >= 13 && type <= 18) || type == 9 || type == 10;
        if (!query) return false;
    }
    return true;
}

// Writes an ICMP error at out: Ethernet to eth_dst from eth_src, IPv4 from src to
// dst, ICMP type/code with the 32-bit word after the checksum (`rest`: the next-hop
// MTU in its low half for fragmentation needed), quoting the `quote` bytes that must
// already sit at out + 42. Returns the frame's length.
inline uint32_t write_icmp_error(uint8_t *out, uint32_t quote, const uint8_t eth_dst[6],
                                 const uint8_t eth_src[6], uint32_t src, uint32_t dst,
                                 uint16_t ip_id, uint8_t type, uint8_t code,
                                 uint32_t rest) noexcept {
    std::memmove(out, eth_dst, 6);
    std::memmove(out + 6, eth_src, 6);
    wire::store16(out + 12, 0x0800);
    uint8_t *ip = out + 14;
    ip[0] = 0x45;
    ip[1] = kIcmpErrorTos;
    wire::store16(ip + 2, static_cast<uint16_t>(20 + 8 + quote));
    wire::store16(ip + 4, ip_id);
    wire::store16(ip + 6, 0);
    ip[8] = net::kReplyTtl;
    ip[9] = 1;
    wire::store16(ip + 10, 0);
    wire::store32(ip + 12, src);
    wire::store32(ip + 16, dst);
    wire::store16(ip + 10, wire::checksum(ip, 20));
    uint8_t *ic = ip + 20;
    ic[0] = type;
    ic[1] = code;
    wire::store16(ic + 2, 0);
    wire::store32(ic + 4, rest);
    wire::store16(ic + 2, wire::checksum(ic, 8 + quote));
    return 14 + 20 + 8 + quote;
}

// Turns a received frame (IPv4 at f + 14, `total` bytes) into an ICMP error about it,
// sent back to where it came from: to its source MAC, from `our_mac`, from `src` to
// its source address. new_start is where the error begins: f - 28 (the mbuf's
// headroom) or f itself (then the datagram moves 28 bytes further in, which needs
// that much room behind it). Returns the error's length.
inline uint32_t icmp_error_over(uint8_t *f, uint8_t *new_start, uint32_t total,
                                const uint8_t our_mac[6], uint32_t src, uint16_t ip_id,
                                uint8_t type, uint8_t code, uint32_t rest) noexcept {
    uint8_t eth_dst[6];
    std::memcpy(eth_dst, f + 6, 6);
    const uint32_t dst = wire::load32(f + 14 + 12);
    const uint32_t quote = total < kIcmpQuoteMax ? total : kIcmpQuoteMax;
    if (new_start == f) std::memmove(f + 42, f + 14, quote);
    // else: new_start + 42 == f + 14, the datagram is where the quote goes.
    return write_icmp_error(new_start, quote, eth_dst, our_mac, src, dst, ip_id, type, code, rest);
}

// The RST for a TCP segment to an address of ours with no listener (RFC 9293
// 3.10.7.1), in place: f is the frame, ip its IPv4 header (20 bytes, no options),
// tcp its TCP header, seg_len the segment's payload length. The segment must not be
// a RST. Returns the reply's length (54).
inline uint32_t tcp_reset_in_place(uint8_t *f, uint8_t *ip, const uint8_t *tcp, uint32_t seg_len,
                                   const uint8_t our_mac[6], uint16_t ip_id) noexcept {
    const uint16_t sport = wire::load16(tcp), dport = wire::load16(tcp + 2);
    const uint32_t seq = wire::load32(tcp + 4), ack = wire::load32(tcp + 8);
    const uint8_t flags = tcp[13];
    const uint32_t src = wire::load32(ip + 12), dst = wire::load32(ip + 16);
    std::memcpy(f, f + 6, 6);
    std::memcpy(f + 6, our_mac, 6);
    ip[0] = 0x45;
    ip[1] = 0;
    wire::store16(ip + 2, 40);
    wire::store16(ip + 4, ip_id);
    wire::store16(ip + 6, 0x4000);  // DF, as the kernel's RSTs
    ip[8] = net::kReplyTtl;
    ip[9] = 6;
    wire::store16(ip + 10, 0);
    wire::store32(ip + 12, dst);
    wire::store32(ip + 16, src);
    wire::store16(ip + 10, wire::checksum(ip, 20));
    uint8_t *t = ip + 20;
    wire::store16(t, dport);
    wire::store16(t + 2, sport);
    if (flags & 0x10) {  // ACK: <SEQ=SEG.ACK><CTL=RST>
        wire::store32(t + 4, ack);
        wire::store32(t + 8, 0);
        t[13] = 0x04;
    } else {  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN and FIN count one each
        wire::store32(t + 4, 0);
        wire::store32(t + 8, seq + seg_len + ((flags & 0x02) ? 1 : 0) + ((flags & 0x01) ? 1 : 0));
        t[13] = 0x14;
    }
    t[12] = 5 << 4;
    wire::store16(t + 14, 0);
    wire::store16(t + 16, 0);
    wire::store16(t + 18, 0);
    wire::store16(t + 16, wire::checksum(t, 20, wire::pseudo_header_sum(dst, src, 6, 20)));
    return 54;
}

}  // namespace c10m::route
