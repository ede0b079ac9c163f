// Queue-to-lcore mapping on made-up topologies, and testpmd-style port pairing.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "pipeline/mapping.hpp"

using namespace c10m;
using namespace c10m::pipeline;

namespace {

std::string error_of(const MapInput &in) {
    try {
        map_queues(in);
    } catch (const UsageError &e) {
        return e.what();
    }
    return "<no error>";
}

// Two sockets: lcores 0-3 on socket 0 (0 is main), 4-7 on socket 1.
MapInput two_sockets() {
    MapInput in;
    in.main_lcore = {0, 0};
    for (unsigned l = 1; l < 8; ++l)
        in.workers.push_back({l, l < 4 ? 0 : 1});
    return in;
}

const LcorePlan *plan_of(const Plan &p, unsigned lcore) {
    for (const auto &l : p.lcores)
        if (l.lcore == lcore) return &l;
    return nullptr;
}

}  // namespace

TEST(Pairing, LikeTestpmdPaired) {
    EXPECT_EQ(paired_index(0, 1), 0u);
    EXPECT_EQ(paired_index(0, 2), 1u);
    EXPECT_EQ(paired_index(1, 2), 0u);
    EXPECT_EQ(paired_index(2, 3), 2u);  // a lone last port forwards to itself
    EXPECT_EQ(paired_index(2, 4), 3u);
    EXPECT_EQ(paired_index(3, 4), 2u);
}

TEST(Pairing, SelectPortsByMask) {
    EXPECT_EQ(select_ports({0, 1, 2}, std::nullopt), (std::vector<uint16_t>{0, 1, 2}));
    EXPECT_EQ(select_ports({0, 1, 2}, 0x5), (std::vector<uint16_t>{0, 2}));
    try {
        select_ports({0, 1}, 0x4);
        FAIL();
    } catch (const UsageError &e) {
        EXPECT_STREQ(
            e.what(),
            "--portmask: expected a mask of probed ports (0,1), but port 2 does not exist");
    }
}

TEST(Mapping, SingleLcoreMainPolls) {
    MapInput in;
    in.main_lcore = {0, 0};
    in.ports = {{0, 0}};
    auto p = map_queues(in);
    EXPECT_TRUE(p.main_polls);
    ASSERT_EQ(p.lcores.size(), 1u);
    EXPECT_EQ(p.lcores[0].lcore, 0u);
    EXPECT_EQ(p.lcores[0].streams, (std::vector<Stream>{{0, 0, 0, 0}}));
    EXPECT_EQ(p.rxq, (std::vector<uint16_t>{1}));
    EXPECT_EQ(p.txq, (std::vector<uint16_t>{1}));
}

TEST(Mapping, DefaultRoundRobinOnPortSocket) {
    auto in = two_sockets();
    in.ports = {{0, 0}, {1, 1}};
    in.rxq = 3;
    auto p = map_queues(in);
    EXPECT_FALSE(p.main_polls);
    EXPECT_TRUE(p.warnings.empty());
    // port 0 (socket 0) queues -> lcores 1,2,3; port 1 (socket 1) -> 4,5,6
    for (unsigned l = 1; l <= 3; ++l) {
        auto *lp = plan_of(p, l);
        ASSERT_NE(lp, nullptr);
        EXPECT_EQ(lp->streams, (std::vector<Stream>{{0, static_cast<uint16_t>(l - 1), 1,
                                                     static_cast<uint16_t>(l - 1)}}));
    }
    for (unsigned l = 4; l <= 6; ++l) {
        auto *lp = plan_of(p, l);
        ASSERT_NE(lp, nullptr);
        EXPECT_EQ(lp->socket, 1);
        EXPECT_EQ(lp->streams, (std::vector<Stream>{{1, static_cast<uint16_t>(l - 4), 0,
                                                     static_cast<uint16_t>(l - 4)}}));
    }
    EXPECT_EQ(plan_of(p, 7), nullptr);
    EXPECT_EQ(p.txq, (std::vector<uint16_t>{3, 3}));
}

TEST(Mapping, RoundRobinWrapsOverFewerLcores) {
    auto in = two_sockets();
    in.ports = {{0, 0}, {1, 0}};
    in.rxq = 2;
    in.nb_cores = 3;  // lcores 1,2,3 (all socket 0)
    auto p = map_queues(in);
    // (0,0)->1 (0,1)->2 (1,0)->3 (1,1)->1
    EXPECT_EQ(plan_of(p, 1)->streams, (std::vector<Stream>{{0, 0, 1, 0}, {1, 1, 0, 1}}));
    EXPECT_EQ(plan_of(p, 2)->streams, (std::vector<Stream>{{0, 1, 1, 1}}));
    EXPECT_EQ(plan_of(p, 3)->streams, (std::vector<Stream>{{1, 0, 0, 0}}));
}

TEST(Mapping, PortWithNoLocalLcoreFallsBackWithWarning) {
    auto in = two_sockets();
    in.nb_cores = 2;  // lcores 1, 2: socket 0 only
    in.ports = {{0, 1}};
    auto p = map_queues(in);
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_EQ(p.warnings[0],
              "lcore 1 on socket 0 polls port 0 queue 0 on socket 1: cross-socket, expect lower "
              "performance");
}

TEST(Mapping, UnknownPortSocketUsesAnyLcoreWithoutWarning) {
    auto in = two_sockets();
    in.ports = {{0, kSocketAny}, {1, kSocketAny}};
    auto p = map_queues(in);
    EXPECT_TRUE(p.warnings.empty());
    EXPECT_EQ(plan_of(p, 1)->streams, (std::vector<Stream>{{0, 0, 1, 0}}));
    EXPECT_EQ(plan_of(p, 2)->streams, (std::vector<Stream>{{1, 0, 0, 0}}));
}

TEST(Mapping, ExplicitConfigCrossSocketIsAcceptedWithWarning) {
    auto in = two_sockets();
    in.ports = {{0, 0}, {1, 1}};
    in.queue_map = {{0, 0, 5}, {1, 0, 5}, {0, 1, 1}, {1, 1, 4}};
    auto p = map_queues(in);
    EXPECT_EQ(p.rxq, (std::vector<uint16_t>{2, 2}));
    EXPECT_EQ(p.txq, (std::vector<uint16_t>{2, 2}));
    EXPECT_EQ(plan_of(p, 5)->streams, (std::vector<Stream>{{0, 0, 1, 0}, {1, 0, 0, 0}}));
    EXPECT_EQ(plan_of(p, 1)->streams, (std::vector<Stream>{{0, 1, 1, 1}}));
    EXPECT_EQ(plan_of(p, 4)->streams, (std::vector<Stream>{{1, 1, 0, 1}}));
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_EQ(p.warnings[0],
              "lcore 5 on socket 1 polls port 0 queue 0 on socket 0: cross-socket, expect lower "
              "performance");
}

TEST(Mapping, ExplicitConfigMayUseMainLcore) {
    auto in = two_sockets();
    in.ports = {{0, 0}};
    in.queue_map = {{0, 0, 0}};
    auto p = map_queues(in);
    EXPECT_TRUE(p.main_polls);
    EXPECT_EQ(plan_of(p, 0)->streams, (std::vector<Stream>{{0, 0, 0, 0}}));
}

TEST(Mapping, TxQueuesFollowThePairedPortsRxQueues) {
    auto in = two_sockets();
    in.ports = {{0, 0}, {1, 0}};
    in.queue_map = {{0, 0, 1}, {0, 1, 2}, {0, 2, 3}, {1, 0, 1}};
    auto p = map_queues(in);
    EXPECT_EQ(p.rxq, (std::vector<uint16_t>{3, 1}));
    EXPECT_EQ(p.txq, (std::vector<uint16_t>{1, 3}));
    in.txq = 4;
    EXPECT_EQ(map_queues(in).txq, (std::vector<uint16_t>{4, 4}));
}

TEST(Mapping, Errors) {
    auto in = two_sockets();
    in.ports = {{0, 0}, {1, 0}};

    auto e = in;
    e.ports.clear();
    EXPECT_EQ(error_of(e), "no ports to forward on");

    e = in;
    e.nb_cores = 8;
    EXPECT_EQ(
        error_of(e),
        "--nb-cores: expected at most 7 (worker lcores given to the EAL with -l/--lcores), got 8");

    e = in;
    e.rxq = 4;
    e.txq = 2;
    EXPECT_EQ(
        error_of(e),
        "--txq: expected at least 4 (one per rx queue of port 1, so no tx queue is shared), got 2");

    e = in;
    e.rxq = 8;
    e.max_rxq = 4;
    EXPECT_EQ(error_of(e), "--rxq: expected at most 4 (port 0's limit), got 8");

    e = in;
    e.txq = 8;
    e.max_txq = 4;
    EXPECT_EQ(error_of(e), "--txq: expected at most 4 (port 0's limit), got 8");

    e = in;
    e.queue_map = {{0, 0, 1}, {2, 0, 1}, {1, 0, 1}};
    EXPECT_EQ(error_of(e),
              "--config: port 2 is not a forwarding port (see --portmask and the probed ports)");

    e = in;
    e.queue_map = {{0, 0, 1}};
    EXPECT_EQ(error_of(e),
              "--config: port 1 is a forwarding port but has no (port,queue,lcore) entry");

    e = in;
    e.queue_map = {{0, 0, 1}, {0, 2, 1}, {1, 0, 1}};
    EXPECT_EQ(error_of(e), "--config: queue ids of port 0 must be in sequence and start with 0");

    e = in;
    e.queue_map = {{0, 0, 9}, {1, 0, 1}};
    EXPECT_EQ(error_of(e), "--config: lcore 9 is not enabled in the EAL lcore list (-l/--lcores)");

    e = in;
    e.nb_cores = 1;
    e.queue_map = {{0, 0, 1}, {1, 0, 2}};
    EXPECT_EQ(error_of(e), "--config: lcore 2 is beyond --nb-cores 1");

    e = in;
    e.rxq = 2;
    e.queue_map = {{0, 0, 1}, {1, 0, 1}};
    EXPECT_EQ(error_of(e), "--rxq: expected 1 to match --config for port 0, got 2");

    e = in;
    e.ports = {{0, 0}};
    e.queue_map.clear();
    for (uint16_t q = 0; q < 17; ++q)
        e.queue_map.push_back({0, q, 1});
    EXPECT_EQ(error_of(e), "--config: too many queues for lcore 1, expected at most 16");
}

TEST(Mapping, EchoRepliesLeaveByTheRxPort) {
    auto in = two_sockets();
    in.ports = {{0, 0}, {1, 0}};
    in.rxq = 2;
    in.nb_cores = 2;
    in.reply_on_rx_port = true;
    auto p = map_queues(in);
    EXPECT_EQ(plan_of(p, 1)->streams, (std::vector<Stream>{{0, 0, 0, 0}, {1, 0, 1, 0}}));
    EXPECT_EQ(plan_of(p, 2)->streams, (std::vector<Stream>{{0, 1, 0, 1}, {1, 1, 1, 1}}));
    EXPECT_EQ(p.txq, (std::vector<uint16_t>{2, 2}));
}
