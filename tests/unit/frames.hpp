#pragma once

// Test frames built byte by byte, with checksums from a plain reference
// implementation of RFC 1071 (16 bits at a time), independent of lib/wire.
#include <cstdint>
#include <vector>

namespace c10m::test {

using Bytes = std::vector<uint8_t>;

inline uint16_t ref_checksum(const uint8_t *p, size_t len, uint32_t start = 0) {
    uint32_t sum = start;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (len & 1) sum += static_cast<uint32_t>(p[len - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

inline void put16(Bytes &b, size_t off, uint16_t v) {
    b[off] = static_cast<uint8_t>(v >> 8);
    b[off + 1] = static_cast<uint8_t>(v);
}
inline void put32(Bytes &b, size_t off, uint32_t v) {
    put16(b, off, static_cast<uint16_t>(v >> 16));
    put16(b, off + 2, static_cast<uint16_t>(v));
}
inline uint16_t get16(const Bytes &b, size_t off) {
    return static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
}
inline uint32_t get32(const Bytes &b, size_t off) {
    return uint32_t{get16(b, off)} << 16 | get16(b, off + 2);
}

inline constexpr uint8_t kOurMac[6] = {0x02, 0xc1, 0x0a, 0x00, 0x00, 0x01};
inline constexpr uint8_t kPeerMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
inline constexpr uint32_t kOurIp = 0xc6120001;   // 198.18.0.1
inline constexpr uint32_t kPeerIp = 0xc6120002;  // 198.18.0.2

inline Bytes eth(const uint8_t *dst, const uint8_t *src, uint16_t type) {
    Bytes b(14);
    std::copy(dst, dst + 6, b.begin());
    std::copy(src, src + 6, b.begin() + 6);
    put16(b, 12, type);
    return b;
}

// IPv4 header (20 bytes) + l4 payload, checksummed.
inline Bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, const Bytes &l4, uint8_t ttl = 64,
                  uint16_t id = 0x1234, uint16_t frag = 0x4000) {
    Bytes b(20);
    b[0] = 0x45;
    put16(b, 2, static_cast<uint16_t>(20 + l4.size()));
    put16(b, 4, id);
    put16(b, 6, frag);
    b[8] = ttl;
    b[9] = proto;
    put32(b, 12, src);
    put32(b, 16, dst);
    put16(b, 10, ref_checksum(b.data(), 20));
    b.insert(b.end(), l4.begin(), l4.end());
    return b;
}

inline Bytes icmp_echo(uint16_t id, uint16_t seq, const Bytes &data, uint8_t type = 8) {
    Bytes b(8);
    b[0] = type;
    put16(b, 4, id);
    put16(b, 6, seq);
    b.insert(b.end(), data.begin(), data.end());
    put16(b, 2, ref_checksum(b.data(), b.size()));
    return b;
}

inline uint32_t pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len) {
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
           static_cast<uint32_t>(len);
}

inline Bytes udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Bytes &data,
                 bool csum = true) {
    Bytes b(8);
    put16(b, 0, sport);
    put16(b, 2, dport);
    put16(b, 4, static_cast<uint16_t>(8 + data.size()));
    b.insert(b.end(), data.begin(), data.end());
    if (csum) {
        uint16_t c = ref_checksum(b.data(), b.size(), pseudo(src, dst, 17, b.size()));
        put16(b, 6, c == 0 ? 0xffff : c);
    }
    return b;
}

inline Bytes cat(Bytes a, const Bytes &b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

inline Bytes pad60(Bytes f) {
    if (f.size() < 60) f.resize(60, 0);
    return f;
}

inline Bytes arp(uint16_t op, const uint8_t *sha, uint32_t spa, const uint8_t *tha, uint32_t tpa) {
    Bytes b(28);
    put16(b, 0, 1);
    put16(b, 2, 0x0800);
    b[4] = 6;
    b[5] = 4;
    put16(b, 6, op);
    std::copy(sha, sha + 6, b.begin() + 8);
    put32(b, 14, spa);
    std::copy(tha, tha + 6, b.begin() + 18);
    put32(b, 24, tpa);
    return b;
}

inline Bytes payload(size_t n, uint8_t seed = 1) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i)
        b[i] = static_cast<uint8_t>(seed * 31 + i * 7);
    return b;
}

}  // namespace c10m::test
