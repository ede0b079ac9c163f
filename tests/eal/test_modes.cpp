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

fwd::Mac::Stream mac_stream() {
    fwd::Mac::Stream s{};
    s.tx_src = rte_ether_addr{{0xaa, 0xbb, 0xcc, 0x00, 0x00, 0x01}};
    s.peer = rte_ether_addr{{0x02, 0, 0, 0, 0, 0x07}};
    return s;
}

// Runs a mode's handler as the loop does: the packets sit in a tx buffer, the
// handler keeps those to send at its front. Returns how many it kept, in pkts.
template <class Mode>
uint16_t run_handler(typename Mode::Lcore &l, typename Mode::Stream &st, rte_mbuf **pkts,
                     uint16_t n, stats::Tally &t, uint64_t now = 0) {
    static net::TxSink tx;
    tx.count = 0;
    tx.burst = net::kMaxBurst;
    tx.send_fn = [](net::TxSink &) noexcept { ADD_FAILURE() << "no burst should gather"; };
    std::copy(pkts, pkts + n, tx.pkts);
    Mode::handle(l, st, tx.pkts, n, tx, now, t);
    std::copy(tx.pkts, tx.pkts + tx.count, pkts);
    return tx.count;
}

template <class Mode>
uint16_t run_handler(rte_mbuf **pkts, uint16_t n, stats::Tally &t) {
    typename Mode::Lcore l{};
    typename Mode::Stream st{};
    return run_handler<Mode>(l, st, pkts, n, t);
}

uint16_t run_mac(rte_mbuf **pkts, uint16_t n, stats::Tally &t) {
    fwd::Mac::Lcore l{};
    auto st = mac_stream();
    return run_handler<fwd::Mac>(l, st, pkts, n, t);
}

void free_all(rte_mbuf **pkts, uint16_t n) {
    rte_pktmbuf_free_bulk(pkts, n);
}

}  // namespace

TEST(Modes, IoLeavesEveryByte) {
    TestPool pool;
    rte_mbuf *pkts[3] = {pool.frame(test_frame(46)), pool.frame(test_frame(0)),
                         pool.frame({0x01, 0x02})};
    stats::Tally d;
    EXPECT_EQ(run_handler<fwd::Io>(pkts, 3, d), 3);
    EXPECT_EQ(bytes_of(pkts[0]), test_frame(46));
    EXPECT_EQ(bytes_of(pkts[2]), (std::vector<uint8_t>{0x01, 0x02}));  // io never reads the data
    EXPECT_EQ(d.drop[0], 0);
    free_all(pkts, 3);
}

TEST(Modes, MacSetsSourceToTxPortAndDestinationToPeer) {
    TestPool pool;
    rte_mbuf *pkts[2] = {pool.frame(test_frame(50, 9)), pool.frame(test_frame(0))};
    stats::Tally d;
    ASSERT_EQ(run_mac(pkts, 2, d), 2);
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
    stats::Tally d;
    ASSERT_EQ(run_handler<fwd::MacSwap>(pkts, 1, d), 1);
    auto want = test_frame(100, 3);
    for (int i = 0; i < 6; ++i)
        std::swap(want[i], want[i + 6]);
    EXPECT_EQ(bytes_of(pkts[0]), want);
    // Twice is the identity.
    ASSERT_EQ(run_handler<fwd::MacSwap>(pkts, 1, d), 1);
    EXPECT_EQ(bytes_of(pkts[0]), test_frame(100, 3));
    free_all(pkts, 1);
}

TEST(Modes, RuntsAreCountedDroppedAndFreed) {
    TestPool pool;
    const unsigned base = pool.in_use();
    rte_mbuf *pkts[5] = {pool.frame({1, 2, 3}), pool.frame(test_frame(10, 1)), pool.frame({}),
                         pool.frame(std::vector<uint8_t>(13, 0xee)), pool.frame(test_frame(0, 2))};
    stats::Tally d;
    const uint16_t n = run_handler<fwd::MacSwap>(pkts, 5, d);
    ASSERT_EQ(n, 2);
    EXPECT_EQ(d.drop[static_cast<size_t>(stats::Drop::runt)], 3);
    EXPECT_EQ(pool.in_use(), base + 2);  // the three runts went back to the pool
    // Survivors keep their order.
    auto want = test_frame(10, 1);
    for (int i = 0; i < 6; ++i)
        std::swap(want[i], want[i + 6]);
    EXPECT_EQ(bytes_of(pkts[0]), want);
    EXPECT_EQ(rte_pktmbuf_data_len(pkts[1]), 14);
    free_all(pkts, n);

    rte_mbuf *more[2] = {pool.frame({1}), pool.frame(test_frame(1))};
    stats::Tally d2;
    ASSERT_EQ(run_mac(more, 2, d2), 1);
    EXPECT_EQ(d2.drop[static_cast<size_t>(stats::Drop::runt)], 1);
    free_all(more, 1);
}

TEST(Modes, MultiSegmentFrameRewritesFirstSegment) {
    TestPool pool;
    rte_mbuf *head = pool.frame(test_frame(10));
    rte_mbuf *tail = pool.frame(std::vector<uint8_t>(100, 0x55));
    ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
    rte_mbuf *pkts[1] = {head};
    stats::Tally d;
    ASSERT_EQ(run_handler<fwd::MacSwap>(pkts, 1, d), 1);
    EXPECT_EQ(rte_pktmbuf_pkt_len(head), 124u);
    EXPECT_EQ(bytes_of(head)[0], 0x02);
    EXPECT_EQ(bytes_of(head)[5], 0x02);
    EXPECT_EQ(bytes_of(head)[11], 0x01);
    free_all(pkts, 1);
}

// ---- echo: the mbuf side (the frame logic has its own unit tests) ----

#include "host/echo_mode.hpp"

namespace {

// Echo's state for one lcore and one stream, TCP off.
struct EchoFixture {
    host::Echo::Lcore l;
    host::Echo::Stream s;
    net::PortHost &ph = s.host;
    EchoFixture() {
        ph.has_ip = true;
        ph.ip = 0xc6120001;
        ph.bcast = 0xc61200ff;
        const uint8_t mac[6] = {0x02, 0xc1, 0x0a, 0, 0, 1};
        std::copy(mac, mac + 6, ph.mac);
        l.udp_ports.add(7);
        s.announces = true;
    }
    uint16_t handle(rte_mbuf **pkts, uint16_t n, stats::Tally &t) {
        return run_handler<host::Echo>(l, s, pkts, n, t);
    }
    rte_mbuf *announce(rte_mempool *pool) {
        net::TxSink tx;
        stats::Tally t;
        host::Echo::announce(l, s, tx, pool, t);
        EXPECT_LE(tx.count, 1);
        return tx.count ? tx.pkts[0] : nullptr;
    }
};

// An ICMP echo request from 198.18.0.2 to 198.18.0.1, padded to 60 bytes.
std::vector<uint8_t> ping_frame() {
    std::vector<uint8_t> f = {0x02, 0xc1, 0x0a, 0,  0, 1,  0x02, 0,   0,   0,  0,  2,
                              0x08, 0x00, 0x45, 0,  0, 32, 0,    1,   0,   0,  64, 1,
                              0,    0,    198,  18, 0, 2,  198,  18,  0,   1,  8,  0,
                              0,    0,    0,    1,  0, 1,  'p',  'i', 'n', 'g'};
    uint32_t s = 0;
    for (int i = 14; i < 34; i += 2)
        s += static_cast<uint32_t>(f[i] << 8 | f[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    f[24] = static_cast<uint8_t>(~s >> 8);
    f[25] = static_cast<uint8_t>(~s);
    s = 0;
    for (size_t i = 34; i < f.size(); i += 2)
        s += static_cast<uint32_t>(f[i] << 8 | f[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    f[36] = static_cast<uint8_t>(~s >> 8);
    f[37] = static_cast<uint8_t>(~s);
    f.resize(60, 0);
    return f;
}

}  // namespace

static_assert(host::Echo::kSendShortBursts, "echo replies must not wait for the drain deadline");

TEST(EchoMode, RepliesInTheSameMbufTrimmedWithRxFlagsCleared) {
    TestPool pool;
    EchoFixture fx;
    rte_mbuf *m = pool.frame(ping_frame());
    rte_mbuf *orig = m;
    m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    rte_mbuf *pkts[1] = {m};
    stats::Tally t;
    ASSERT_EQ(fx.handle(pkts, 1, t), 1);
    EXPECT_EQ(pkts[0], orig) << "zero copy";
    EXPECT_EQ(rte_pktmbuf_data_len(m), 46);
    EXPECT_EQ(rte_pktmbuf_pkt_len(m), 46u);
    EXPECT_EQ(m->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK), 0u);
    EXPECT_EQ(bytes_of(m)[34], 0) << "echo reply";
    EXPECT_EQ(t.event[static_cast<size_t>(stats::Event::icmp_echo_reply)], 1);
    rte_pktmbuf_free(m);
}

TEST(EchoMode, DropsAreFreedAndCountedAndTheBurstCompacted) {
    TestPool pool;
    EchoFixture fx;
    const unsigned base = pool.in_use();
    auto bad = ping_frame();
    bad[40] ^= 0xff;  // ICMP checksum
    rte_mbuf *head = pool.frame(ping_frame());
    ASSERT_EQ(rte_pktmbuf_chain(head, pool.frame({1, 2, 3})), 0);
    rte_mbuf *pkts[4] = {pool.frame(bad), pool.frame(ping_frame()), head, pool.frame({1, 2})};
    rte_mbuf *good = pkts[1];
    stats::Tally t;
    ASSERT_EQ(fx.handle(pkts, 4, t), 1);
    EXPECT_EQ(pkts[0], good);
    EXPECT_EQ(t.drop[static_cast<size_t>(stats::Drop::icmp_bad_checksum)], 1);
    EXPECT_EQ(t.drop[static_cast<size_t>(stats::Drop::multi_segment)], 1);
    EXPECT_EQ(t.drop[static_cast<size_t>(stats::Drop::runt)], 1);
    EXPECT_EQ(pool.in_use(), base + 1);
    rte_pktmbuf_free(good);
}

TEST(EchoMode, AnnouncesOnlyForTheStreamThatSpeaksForThePort) {
    TestPool pool;
    EchoFixture fx;
    fx.s.announces = false;
    EXPECT_EQ(fx.announce(pool.get()), nullptr);
    fx.s.announces = true;
    rte_mbuf *m = fx.announce(pool.get());
    ASSERT_NE(m, nullptr);
    auto b = bytes_of(m);
    ASSERT_EQ(b.size(), 42u);
    EXPECT_EQ(b[12], 0x08);
    EXPECT_EQ(b[13], 0x06);
    rte_pktmbuf_free(m);
    fx.ph.has_ip = false;
    EXPECT_EQ(fx.announce(pool.get()), nullptr);
}
