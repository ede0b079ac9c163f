// Pipeline mode's classifier: the flow hash is symmetric (both directions and every
// segment of a flow reach the same worker) and spreads flows evenly over workers.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "pipeline/flow_hash.hpp"
#include "unit/frames.hpp"

using namespace c10m;
using namespace c10m::test;
using pipeline::flow_hash;
using pipeline::worker_of;

namespace {

const uint8_t kMacA[6] = {0x02, 0, 0, 0, 0, 0x0a};
const uint8_t kMacB[6] = {0x02, 0, 0, 0, 0, 0x0b};

Bytes l4(uint16_t sp, uint16_t dp, size_t extra = 8) {
    Bytes b(4 + extra, 0);
    put16(b, 0, sp);
    put16(b, 2, dp);
    return b;
}

Bytes v4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sp, uint16_t dp,
         const uint8_t *smac = kMacA, const uint8_t *dmac = kMacB) {
    return cat(eth(dmac, smac, 0x0800), ipv4(src, dst, proto, l4(sp, dp)));
}

uint32_t h(const Bytes &f) {
    return flow_hash(f.data(), static_cast<uint32_t>(f.size()));
}

}  // namespace

TEST(FlowHash, BothDirectionsOfAFlowAlike) {
    std::mt19937 rng(7);
    for (int i = 0; i < 1000; ++i) {
        const auto a = static_cast<uint32_t>(rng()), b = static_cast<uint32_t>(rng());
        const auto pa = static_cast<uint16_t>(rng()), pb = static_cast<uint16_t>(rng());
        for (uint8_t proto : {uint8_t{6}, uint8_t{17}}) {
            const Bytes fwd = v4(a, b, proto, pa, pb, kMacA, kMacB);
            const Bytes rev = v4(b, a, proto, pb, pa, kMacB, kMacA);
            ASSERT_EQ(h(fwd), h(rev));
        }
    }
}

TEST(FlowHash, PortsProtocolAndAddressesCount) {
    const uint32_t a = 0xc6120002, b = 0xc6120001;
    const uint32_t base = h(v4(a, b, 6, 40000, 7));
    EXPECT_NE(base, h(v4(a, b, 6, 40001, 7)));
    EXPECT_NE(base, h(v4(a, b, 17, 40000, 7)));
    EXPECT_NE(base, h(v4(a + 1, b, 6, 40000, 7)));
    // Payload and MACs do not: a flow's segments all go the same way.
    Bytes big = v4(a, b, 6, 40000, 7);
    big.resize(big.size() + 100, 0x77);
    put16(big, 16, static_cast<uint16_t>(get16(big, 16) + 100));
    EXPECT_EQ(base, h(big));
    EXPECT_EQ(base, h(v4(a, b, 6, 40000, 7, kMacB, kMacA)));
}

TEST(FlowHash, FragmentsOfADatagramAlike) {
    Bytes first = v4(0xc6120002, 0xc6120001, 17, 5000, 7);
    Bytes later = first;
    put16(first, 20, 0x2000);  // MF, offset 0: has the ports
    put16(later, 20, 0x0010);  // offset 128: its bytes are not the ports
    put16(later, 34, 0x1234);
    EXPECT_EQ(h(first), h(later));
}

TEST(FlowHash, ArpGoesByItsSender) {
    auto arp = [](uint32_t spa, uint32_t tpa, uint16_t op) {
        Bytes a(28, 0);
        put16(a, 0, 1);
        put16(a, 2, 0x0800);
        a[4] = 6;
        a[5] = 4;
        put16(a, 6, op);
        put32(a, 14, spa);
        put32(a, 24, tpa);
        return cat(eth(kMacB, kMacA, 0x0806), a);
    };
    EXPECT_EQ(h(arp(0xc6120002, 0xc6120001, 1)), h(arp(0xc6120002, 0xc6120009, 2)));
    EXPECT_NE(h(arp(0xc6120002, 0xc6120001, 1)), h(arp(0xc6120003, 0xc6120001, 1)));
}

TEST(FlowHash, ShortAndOddFramesAreSafe) {
    EXPECT_EQ(flow_hash(nullptr, 0), 0u);
    Bytes f = v4(1, 2, 6, 3, 4);
    for (size_t n = 0; n <= f.size(); ++n)
        (void)flow_hash(f.data(), static_cast<uint32_t>(n));  // ASan: no read past n
    Bytes other = cat(eth(kMacB, kMacA, 0x88cc), Bytes(50, 1));
    Bytes back = cat(eth(kMacA, kMacB, 0x88cc), Bytes(50, 1));
    EXPECT_EQ(h(other), h(back)) << "non-IP: by the MAC pair, either way";
}

TEST(FlowHash, SpreadsEvenlyOverOneToEightWorkers) {
    std::mt19937 rng(11);
    constexpr int kFlows = 80000;
    std::vector<uint32_t> hashes;
    for (int i = 0; i < kFlows; ++i)
        hashes.push_back(h(v4(0xc6120000 | static_cast<uint32_t>(rng() & 0xffff), 0xc6120001, 6,
                              static_cast<uint16_t>(rng()), 7)));
    for (uint32_t w = 1; w <= 8; ++w) {
        std::vector<int> n(w, 0);
        for (uint32_t x : hashes) {
            const uint32_t k = worker_of(x, w);
            ASSERT_LT(k, w);
            ++n[k];
        }
        const double expect = static_cast<double>(kFlows) / w;
        for (uint32_t k = 0; k < w; ++k)
            EXPECT_NEAR(n[k], expect, 4 * std::sqrt(expect) + 1) << w << " workers, worker " << k;
    }
}
