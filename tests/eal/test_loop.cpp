// The templated poll loop over real ethdev ports built from rings (net_ring):
// forwarding, tx buffering and drain, tx_full drops, and no leaked mbufs.
#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include <functional>
#include <memory>

#include "eal/test_util.hpp"
#include "fwd/io.hpp"
#include "fwd/macswap.hpp"
#include "io/port.hpp"
#include "pipeline/loop.hpp"

using namespace c10m;
using c10m::test::bytes_of;
using c10m::test::test_frame;
using c10m::test::TestPool;

namespace {

// Stops the loop after a number of iterations (the loop asks every iteration).
struct StopAfter {
    static constexpr bool kActive = true;
    int left;
    bool due(uint64_t) const noexcept { return true; }
    void run(uint64_t) noexcept {
        if (--left <= 0) pipeline::request_stop();
    }
};

// Two ports wired from rings: what a test enqueues on `in_X` port X receives; what
// port X sends lands on `out_X`.
class RingPorts : public ::testing::Test {
  protected:
    void SetUp() override {
        static int seq = 0;
        const std::string s = std::to_string(seq++);
        in_a = rte_ring_create(("ina" + s).c_str(), 1024, SOCKET_ID_ANY,
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
        out_a =
            rte_ring_create(("outa" + s).c_str(), 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        in_b = rte_ring_create(("inb" + s).c_str(), 1024, SOCKET_ID_ANY,
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
        out_b =
            rte_ring_create(("outb" + s).c_str(), 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        ASSERT_TRUE(in_a && out_a && in_b && out_b);
        int a = rte_eth_from_rings(("rpa" + s).c_str(), &in_a, 1, &out_a, 1, SOCKET_ID_ANY);
        int b = rte_eth_from_rings(("rpb" + s).c_str(), &in_b, 1, &out_b, 1, SOCKET_ID_ANY);
        ASSERT_GE(a, 0);
        ASSERT_GE(b, 0);
        port_a = static_cast<uint16_t>(a);
        port_b = static_cast<uint16_t>(b);
        pa = std::make_unique<io::Port>(port_a, 1, 1, 0, 0);
        pb = std::make_unique<io::Port>(port_b, 1, 1, 0, 0);
        pa->setup_rx_queue(0, SOCKET_ID_ANY, pool.get());
        pa->setup_tx_queue(0, SOCKET_ID_ANY);
        pb->setup_rx_queue(0, SOCKET_ID_ANY, pool.get());
        pb->setup_tx_queue(0, SOCKET_ID_ANY);
        pa->start();
        pb->start();
    }
    // A context for Mode polling both ports, each forwarding to the other, as the
    // runner builds it.
    template <class Mode>
    pipeline::LcoreContext<Mode> &context() {
        destroy_context();
        using Ctx = pipeline::LcoreContext<Mode>;
        void *mem = rte_zmalloc("ctx", sizeof(Ctx), RTE_CACHE_LINE_SIZE);
        auto *c = new (mem) Ctx();
        c->burst = 32;
        c->drain_tsc = drain_tsc;
        c->nb_streams = 2;
        const uint16_t rx[2] = {port_a, port_b}, tx[2] = {port_b, port_a};
        for (int i = 0; i < 2; ++i) {
            c->streams[i].rx_port = rx[i];
            c->streams[i].rx_queue = 0;
            c->streams[i].tx.port = tx[i];
            c->streams[i].tx.counters = &c->counters;
        }
        counters = &c->counters;
        drain_ptr = &c->drain_tsc;
        destroy = [c] {
            c->~Ctx();
            rte_free(c);
        };
        return *c;
    }
    void destroy_context() {
        if (destroy) destroy();
        destroy = nullptr;
    }
    void TearDown() override {
        drain(out_a);
        drain(out_b);
        pa.reset();
        pb.reset();
        destroy_context();
        rte_ring_free(in_a);
        rte_ring_free(out_a);
        rte_ring_free(in_b);
        rte_ring_free(out_b);
        pipeline::g_stop = false;
    }
    void inject(rte_ring *r, unsigned n, size_t payload = 50) {
        for (unsigned i = 0; i < n; ++i) {
            rte_mbuf *m = pool.frame(test_frame(payload, static_cast<uint8_t>(i)));
            ASSERT_EQ(rte_ring_enqueue(r, m), 0);
        }
    }
    std::vector<rte_mbuf *> take(rte_ring *r) {
        std::vector<rte_mbuf *> v;
        void *p;
        while (rte_ring_dequeue(r, &p) == 0)
            v.push_back(static_cast<rte_mbuf *>(p));
        return v;
    }
    void drain(rte_ring *r) {
        for (auto *m : take(r))
            rte_pktmbuf_free(m);
    }
    template <class Mode, class Duties = StopAfter>
    void run(Duties duties) {
        pipeline::g_stop = false;
        pipeline::poll_loop<Mode>(context<Mode>(), duties);
        pipeline::g_stop = false;
    }
    template <class Mode>
    void run(int iterations) {
        run<Mode>(StopAfter{iterations});
    }

    TestPool pool{4095};
    rte_ring *in_a = nullptr, *out_a = nullptr, *in_b = nullptr, *out_b = nullptr;
    uint16_t port_a = 0, port_b = 0;
    std::unique_ptr<io::Port> pa, pb;
    uint64_t drain_tsc = 0;
    stats::LcoreCounters *counters = nullptr;
    uint64_t *drain_ptr = nullptr;
    std::function<void()> destroy;
};

}  // namespace

TEST_F(RingPorts, ForwardsBothDirectionsToThePairedPort) {
    const unsigned base = pool.in_use();
    inject(in_a, 10);
    inject(in_b, 7);
    run<fwd::MacSwap>(3);
    auto got_b = take(out_b);
    auto got_a = take(out_a);
    ASSERT_EQ(got_b.size(), 10u);
    ASSERT_EQ(got_a.size(), 7u);
    auto want = test_frame(50, 0);
    for (int i = 0; i < 6; ++i)
        std::swap(want[i], want[i + 6]);
    EXPECT_EQ(bytes_of(got_b[0]), want);
    EXPECT_EQ(counters->pkts.get(), 17u);
    EXPECT_GT(counters->busy_cycles.get(), 0u);
    for (auto *m : got_a)
        rte_pktmbuf_free(m);
    for (auto *m : got_b)
        rte_pktmbuf_free(m);
    EXPECT_EQ(pool.in_use(), base);
}

// Records how much has reached port B's tx ring after each iteration, and lowers the
// drain deadline to "now" after the second.
struct WatchDrain {
    static constexpr bool kActive = true;
    rte_ring *out;
    uint64_t **drain_tsc;
    std::vector<unsigned> *seen;
    bool due(uint64_t) const noexcept { return true; }
    void run(uint64_t) noexcept {
        seen->push_back(rte_ring_count(out));
        if (seen->size() == 2) **drain_tsc = 0;
        if (seen->size() == 4) pipeline::request_stop();
    }
};

TEST_F(RingPorts, PartialBurstWaitsForTheDrainDeadline) {
    drain_tsc = UINT64_MAX / 2;
    inject(in_a, 5);
    std::vector<unsigned> seen;
    run<fwd::Io>(WatchDrain{out_b, &drain_ptr, &seen});
    // Buffered for two iterations; sent at the first drain once the deadline passed.
    EXPECT_EQ(seen, (std::vector<unsigned>{0, 0, 5, 5}));
    drain(out_b);
}

// A mode that answers requests (echo) sends a short burst at once: the rx queue ran
// dry, nothing is gained by holding the replies until the drain deadline.
struct IoShortBursts : fwd::Io {
    static constexpr bool kSendShortBursts = true;
};
static_assert(!fwd::Io::kSendShortBursts);
static_assert(IoShortBursts::kSendShortBursts);

TEST_F(RingPorts, ShortBurstOfAnAnsweringModeIsSentAtOnce) {
    drain_tsc = UINT64_MAX / 2;
    inject(in_a, 5);
    run<IoShortBursts>(1);
    auto got = take(out_b);
    EXPECT_EQ(got.size(), 5u);
    for (auto *m : got)
        rte_pktmbuf_free(m);
}

TEST_F(RingPorts, FullBurstIsSentWithoutWaiting) {
    drain_tsc = UINT64_MAX / 2;
    inject(in_a, 32);
    // One iteration: the full burst goes out inside the loop, before any drain.
    run<fwd::Io>(1);
    auto got = take(out_b);
    EXPECT_EQ(got.size(), 32u);
    for (auto *m : got)
        rte_pktmbuf_free(m);
}

TEST_F(RingPorts, TxQueueFullIsCountedAndFreed) {
    const unsigned base = pool.in_use();
    inject(in_a, 200);  // out_b holds 63
    run<fwd::Io>(10);
    auto got = take(out_b);
    EXPECT_EQ(got.size(), 63u);
    EXPECT_EQ(counters->tx_full[port_b].get(), 200u - 63u);
    EXPECT_EQ(counters->pkts.get(), 200u);
    for (auto *m : got)
        rte_pktmbuf_free(m);
    EXPECT_EQ(pool.in_use(), base);
}

TEST_F(RingPorts, RuntsDroppedByReasonAndNotLeaked) {
    const unsigned base = pool.in_use();
    for (int i = 0; i < 4; ++i)
        ASSERT_EQ(rte_ring_enqueue(in_a, pool.frame({1, 2, 3, 4})), 0);
    inject(in_a, 3);
    run<fwd::MacSwap>(3);
    EXPECT_EQ(counters->drops[static_cast<size_t>(stats::Drop::runt)].get(), 4u);
    auto got = take(out_b);
    EXPECT_EQ(got.size(), 3u);
    for (auto *m : got)
        rte_pktmbuf_free(m);
    EXPECT_EQ(pool.in_use(), base);
}

TEST(PortOwner, ClosingAPortReturnsItsMbufs) {
    TestPool pool{2047};
    rte_ring *r = rte_ring_create("own_in", 256, SOCKET_ID_ANY, 0);
    rte_ring *t = rte_ring_create("own_out", 256, SOCKET_ID_ANY, 0);
    int id = rte_eth_from_rings("own_port", &r, 1, &t, 1, SOCKET_ID_ANY);
    ASSERT_GE(id, 0);
    {
        io::Port p(static_cast<uint16_t>(id), 1, 1, 128, 128);
        EXPECT_EQ(p.nb_rxq(), 1);
        EXPECT_GT(p.nb_rxd(), 0);
        p.setup_rx_queue(0, SOCKET_ID_ANY, pool.get());
        p.setup_tx_queue(0, SOCKET_ID_ANY);
        p.start();
        EXPECT_EQ(p.caps().driver, "net_ring");
    }
    EXPECT_EQ(pool.in_use(), 0u);
    rte_ring_free(r);
    rte_ring_free(t);
}
