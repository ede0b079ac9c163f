// The mode handlers on mbufs from a test mempool: exactly testpmd's bytes.
#include <gtest/gtest.h>

#include "eal/test_util.hpp"
#include "fwd/io.hpp"
#include "fwd/mac.hpp"
#include "fwd/macswap.hpp"

using namespace c10m;
using c10m::test::bytes_of;
using c10m::test::test_frame;
using c10m::test::TestPool;

namespace {

fwd::FwdParams params() {
    fwd::FwdParams p{};
    p.tx_src = rte_ether_addr{{0xaa, 0xbb, 0xcc, 0x00, 0x00, 0x01}};
    p.peer = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x07}};
    return p;
}

void free_all(rte_mbuf **pkts, uint16_t n) {
    rte_pktmbuf_free_bulk(pkts, n);
}

}  // namespace

TEST(Modes, IoLeavesEveryByte) {
    TestPool pool;
    rte_mbuf *pkts[3] = {pool.frame(test_frame(46)), pool.frame(test_frame(0)),
                         pool.frame({0x01, 0x02})};
    fwd::BurstDrops d;
    EXPECT_EQ(fwd::Io::handle(pkts, 3, params(), d), 3);
    EXPECT_EQ(bytes_of(pkts[0]), test_frame(46));
    EXPECT_EQ(bytes_of(pkts[2]), (std::vector<uint8_t>{0x01, 0x02}));  // io never reads the data
    EXPECT_EQ(d.n[0], 0);
    free_all(pkts, 3);
}

TEST(Modes, MacSetsSourceToTxPortAndDestinationToPeer) {
    TestPool pool;
    rte_mbuf *pkts[2] = {pool.frame(test_frame(50, 9)), pool.frame(test_frame(0))};
    fwd::BurstDrops d;
    ASSERT_EQ(fwd::Mac::handle(pkts, 2, params(), d), 2);
    for (auto *m : pkts) {
        auto b = bytes_of(m);
        EXPECT_EQ(std::vector<uint8_t>(b.begin(), b.begin() + 6),
                  (std::vector<uint8_t>{0x02, 0, 0, 0, 0, 0x07}));
        EXPECT_EQ(std::vector<uint8_t>(b.begin() + 6, b.begin() + 12),
                  (std::vector<uint8_t>{0xaa, 0xbb, 0xcc, 0, 0, 0x01}));
    }
    auto b = bytes_of(pkts[0]);
    auto want = test_frame(50, 9);
    EXPECT_EQ(std::vector<uint8_t>(b.begin() + 12, b.end()),
              std::vector<uint8_t>(want.begin() + 12, want.end()));
    free_all(pkts, 2);
}

TEST(Modes, MacSwapSwapsOnlyTheAddresses) {
    TestPool pool;
    rte_mbuf *pkts[1] = {pool.frame(test_frame(100, 3))};
    fwd::BurstDrops d;
    ASSERT_EQ(fwd::MacSwap::handle(pkts, 1, params(), d), 1);
    auto want = test_frame(100, 3);
    for (int i = 0; i < 6; ++i)
        std::swap(want[i], want[i + 6]);
    EXPECT_EQ(bytes_of(pkts[0]), want);
    // Twice is the identity.
    ASSERT_EQ(fwd::MacSwap::handle(pkts, 1, params(), d), 1);
    EXPECT_EQ(bytes_of(pkts[0]), test_frame(100, 3));
    free_all(pkts, 1);
}

TEST(Modes, RuntsAreCountedDroppedAndFreed) {
    TestPool pool;
    const unsigned base = pool.in_use();
    rte_mbuf *pkts[5] = {pool.frame({1, 2, 3}), pool.frame(test_frame(10, 1)), pool.frame({}),
                         pool.frame(std::vector<uint8_t>(13, 0xee)), pool.frame(test_frame(0, 2))};
    fwd::BurstDrops d;
    const uint16_t n = fwd::MacSwap::handle(pkts, 5, params(), d);
    ASSERT_EQ(n, 2);
    EXPECT_EQ(d.n[static_cast<size_t>(stats::Drop::runt)], 3);
    EXPECT_EQ(pool.in_use(), base + 2);  // the three runts went back to the pool
    // Survivors keep their order.
    auto want = test_frame(10, 1);
    for (int i = 0; i < 6; ++i)
        std::swap(want[i], want[i + 6]);
    EXPECT_EQ(bytes_of(pkts[0]), want);
    EXPECT_EQ(rte_pktmbuf_data_len(pkts[1]), 14);
    free_all(pkts, n);

    rte_mbuf *more[2] = {pool.frame({1}), pool.frame(test_frame(1))};
    fwd::BurstDrops d2;
    ASSERT_EQ(fwd::Mac::handle(more, 2, params(), d2), 1);
    EXPECT_EQ(d2.n[static_cast<size_t>(stats::Drop::runt)], 1);
    free_all(more, 1);
}

TEST(Modes, MultiSegmentFrameRewritesFirstSegment) {
    TestPool pool;
    rte_mbuf *head = pool.frame(test_frame(10));
    rte_mbuf *tail = pool.frame(std::vector<uint8_t>(100, 0x55));
    ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
    rte_mbuf *pkts[1] = {head};
    fwd::BurstDrops d;
    ASSERT_EQ(fwd::MacSwap::handle(pkts, 1, params(), d), 1);
    EXPECT_EQ(rte_pktmbuf_pkt_len(head), 124u);
    EXPECT_EQ(bytes_of(head)[0], 0x02);
    EXPECT_EQ(bytes_of(head)[5], 0x02);
    EXPECT_EQ(bytes_of(head)[11], 0x01);
    free_all(pkts, 1);
}
