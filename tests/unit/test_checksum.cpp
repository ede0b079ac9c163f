// Checksums against two independent computations: a plain 16-bit RFC 1071 loop
// and DPDK's rte_raw_cksum; the RFC 1624 update against recomputation.
#include <gtest/gtest.h>
#include <rte_ip.h>

#include <array>
#include <random>

#include "unit/frames.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

using namespace c10m;
using namespace c10m::test;

TEST(Checksum, MatchesReferenceAndDpdkOnRandomData) {
    std::mt19937 rng(1071);
    for (size_t len = 0; len < 2000; len += 1 + len / 7) {
        Bytes b(len);
        for (auto &x : b)
            x = static_cast<uint8_t>(rng());
        const uint16_t ours = wire::checksum(b.data(), b.size());
        EXPECT_EQ(ours, ref_checksum(b.data(), b.size())) << len;
        // rte_raw_cksum sums native (little-endian) words: byte-swap to compare.
        const uint16_t dpdk = static_cast<uint16_t>(~rte_raw_cksum(b.data(), b.size()));
        EXPECT_EQ(ours, rte_be_to_cpu_16(dpdk)) << len;
    }
}

// The verification paths (native word order, no swap) agree with the reference on
// every length and alignment, for data with a valid checksum and for every single
// flipped bit in it.
TEST(Checksum, NativeVerificationMatchesReference) {
    std::mt19937 rng(2);
    std::vector<uint8_t> buf(600);
    for (size_t len = 2; len < 300; len += 1 + len / 9) {
        for (size_t off = 0; off < 8; off += 3) {
            uint8_t *p = buf.data() + off;
            for (size_t i = 0; i < len; ++i)
                p[i] = static_cast<uint8_t>(rng());
            p[0] = p[1] = 0;
            const uint16_t c = ref_checksum(p, len);
            p[0] = static_cast<uint8_t>(c >> 8);
            p[1] = static_cast<uint8_t>(c);
            EXPECT_TRUE(wire::checksum_ok_native(wire::sum_native(p, len))) << len << "+" << off;
            EXPECT_EQ(wire::fold(wire::sum_be(p, len)), 0xffff) << len;
            const size_t bit = rng() % (len * 8);
            p[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
            EXPECT_FALSE(wire::checksum_ok_native(wire::sum_native(p, len)))
                << len << " bit " << bit;
        }
    }
}

TEST(Checksum, Ipv4HeaderOkMatchesGeneric) {
    std::mt19937 rng(791);
    for (int i = 0; i < 2000; ++i) {
        auto ip =
            ipv4(static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                 static_cast<uint8_t>(rng()), payload(rng() % 40), static_cast<uint8_t>(rng()),
                 static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng()));
        EXPECT_TRUE(wire::ipv4_header_ok(ip.data()));
        ip[rng() % 20] ^= static_cast<uint8_t>(1u << (rng() % 8));
        EXPECT_EQ(wire::ipv4_header_ok(ip.data()), wire::checksum_ok(ip.data(), 20));
        EXPECT_FALSE(wire::ipv4_header_ok(ip.data()));
    }
}

// ipv4_header_ok tests divisibility of a plain sum instead of folding: it must agree
// with the generic check on any 20 bytes, on the all-zero header (sum 0, not valid),
// and on headers whose words sum to many multiples of 0xffff (both encodings of a
// zero sum: checksum 0x0000 and 0xffff).
TEST(Checksum, Ipv4HeaderOkAgreesOnEdgeCases) {
    std::array<uint8_t, 20> h{};
    EXPECT_FALSE(wire::ipv4_header_ok(h.data()));
    EXPECT_FALSE(wire::checksum_ok(h.data(), 20));
    h.fill(0xff);  // ten words of 0xffff: valid in ones' complement
    EXPECT_EQ(wire::ipv4_header_ok(h.data()), wire::checksum_ok(h.data(), 20));
    EXPECT_TRUE(wire::ipv4_header_ok(h.data()));
    std::mt19937 rng(1624);
    for (int i = 0; i < 200000; ++i) {
        for (auto &b : h)
            b = static_cast<uint8_t>((i & 1) ? rng() : (rng() & 0x80 ? 0xff : 0));
        if (i % 3 == 0) {  // make it valid, with either encoding of its checksum
            h[10] = h[11] = 0;
            uint16_t c = ref_checksum(h.data(), 20);
            if (c == 0 && (i & 2)) c = 0xffff;
            h[10] = static_cast<uint8_t>(c >> 8);
            h[11] = static_cast<uint8_t>(c);
        }
        ASSERT_EQ(wire::ipv4_header_ok(h.data()), wire::checksum_ok(h.data(), 20)) << i;
    }
}

TEST(Checksum, NativePseudoHeaderMatchesWireOrder) {
    std::mt19937 rng(768);
    for (int i = 0; i < 1000; ++i) {
        const uint32_t src = static_cast<uint32_t>(rng()), dst = static_cast<uint32_t>(rng());
        auto u = udp(src, dst, static_cast<uint16_t>(rng()), 7, payload(rng() % 100));
        auto frame = ipv4(src, dst, 17, u);
        const auto len = static_cast<uint16_t>(u.size());
        EXPECT_TRUE(wire::checksum_ok_native(wire::sum_native(
            frame.data() + 20, len, wire::pseudo_header_native(frame.data(), 17, len))));
        EXPECT_EQ(wire::fold(wire::native16(
                      wire::fold(wire::pseudo_header_native(frame.data(), 17, len)))),
                  wire::fold(wire::pseudo_header_sum(src, dst, 17, len)));
    }
}

TEST(Checksum, Rfc1071Example) {
    // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
    const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(wire::fold(wire::sum_be(d, sizeof d)), 0xddf2);
    EXPECT_EQ(wire::checksum(d, sizeof d), static_cast<uint16_t>(~0xddf2));
}

TEST(Checksum, OkOverDataWithItsChecksum) {
    auto ip = ipv4(kPeerIp, kOurIp, 17, payload(30));
    EXPECT_TRUE(wire::checksum_ok(ip.data(), 20));
    ip[10] ^= 1;
    EXPECT_FALSE(wire::checksum_ok(ip.data(), 20));
    // Agrees with DPDK's own IPv4 header checksum.
    auto ip2 = ipv4(0x0a000001, 0xc0a80101, 6, payload(3), 17, 0xbeef, 0);
    const uint16_t stored = get16(ip2, 10);
    put16(ip2, 10, 0);
    EXPECT_EQ(rte_be_to_cpu_16(rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr *>(ip2.data()))),
              stored);
}

TEST(Checksum, PseudoHeaderMatchesDpdk) {
    auto u = udp(kPeerIp, kOurIp, 40000, 7, payload(77));
    auto frame = ipv4(kPeerIp, kOurIp, 17, u);
    EXPECT_TRUE(wire::checksum_ok(
        frame.data() + 20, u.size(),
        wire::pseudo_header_sum(kPeerIp, kOurIp, 17, static_cast<uint16_t>(u.size()))));
    const uint16_t stored = get16(frame, 26);
    put16(frame, 26, 0);
    auto *iph = reinterpret_cast<const rte_ipv4_hdr *>(frame.data());
    EXPECT_EQ(rte_be_to_cpu_16(rte_ipv4_udptcp_cksum(iph, frame.data() + 20)), stored);
}

TEST(Checksum, IncrementalUpdateEqualsRecomputation) {
    std::mt19937 rng(1624);
    for (int i = 0; i < 5000; ++i) {
        Bytes h(20);
        for (auto &x : h)
            x = static_cast<uint8_t>(rng());
        put16(h, 10, 0);
        put16(h, 10, ref_checksum(h.data(), 20));
        const size_t word = (rng() % 10) * 2;
        if (word == 10) continue;
        const uint16_t old_w = get16(h, word);
        const uint16_t new_w = static_cast<uint16_t>(rng());
        put16(h, word, new_w);
        const uint16_t inc = wire::checksum_update16(get16(h, 10), old_w, new_w);
        put16(h, 10, 0);
        const uint16_t full = ref_checksum(h.data(), 20);
        // 0x0000 and 0xffff are the same number in ones' complement; RFC 1624 never yields
        // -0 for a header whose other words are not all zero.
        EXPECT_EQ(inc, full) << i;
    }
}

TEST(Bytes, BigEndianLoadsStores) {
    uint8_t b[4];
    wire::store32(b, 0xc6120001);
    EXPECT_EQ(b[0], 0xc6);
    EXPECT_EQ(b[3], 0x01);
    EXPECT_EQ(wire::load32(b), 0xc6120001u);
    wire::store16(b, 0xabcd);
    EXPECT_EQ(wire::load16(b), 0xabcd);
    uint8_t x[4] = {1, 2, 3, 4}, y[4] = {5, 6, 7, 8};
    wire::swap_bytes(x, y, 4);
    EXPECT_EQ(x[0], 5);
    EXPECT_EQ(y[3], 4);
}
