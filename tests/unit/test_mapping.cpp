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

// ---- pipeline mode: rx lcores, workers, rings

namespace {

std::string pipeline_error(const MapInput &in, PipelineInput p) {
    try {
        plan_pipeline(in, p);
    } catch (const UsageError &e) {
        return e.what();
    }
    return "<no error>";
}

const RingPlan *ring_named(const PipelinePlan &p, const std::string &name) {
    for (const auto &r : p.rings)
        if (r.name == name) return &r;
    return nullptr;
}

}  // namespace

TEST(Pipeline, FirstLcoresPollTheRestAreWorkersWithARingPerPair) {
    auto in = two_sockets();
    in.nb_cores = 3;  // lcores 1, 2, 3 (socket 0)
    in.ports = {{0, 0}, {1, 0}};
    auto p = plan_pipeline(in, {1, 1024});
    ASSERT_EQ(p.rx.lcores.size(), 1u);
    EXPECT_EQ(p.rx.lcores[0].lcore, 1u);
    EXPECT_EQ(p.rx.lcores[0].streams.size(), 2u) << "both ports' queue 0";
    ASSERT_EQ(p.workers.size(), 2u);
    EXPECT_EQ(p.workers[0].lcore, 2u);
    EXPECT_EQ(p.workers[1].lcore, 3u);
    // One rx ring per (rx lcore, worker), on the worker's socket.
    const RingPlan *r = ring_named(p, "c10m_rx1_w3");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->kind, RingPlan::Kind::rx);
    EXPECT_EQ(r->producer, 1u);
    EXPECT_EQ(r->consumer, 3u);
    EXPECT_EQ(p.workers[1].inputs, (std::vector<int>{static_cast<int>(r - p.rings.data())}));
    // The devices have tx queues to spare: each worker sends on its own.
    EXPECT_EQ(p.own_tx_queues, (std::vector<bool>{true, true}));
    EXPECT_EQ(p.rx.txq, (std::vector<uint16_t>{2, 2}));
    EXPECT_EQ(p.workers[1].tx, (std::vector<WorkerTx>{{0, 1, -1}, {1, 1, -1}}));
    EXPECT_EQ(p.rings.size(), 2u) << "no tx rings";
    EXPECT_TRUE(p.warnings.empty());
}

TEST(Pipeline, FewerTxQueuesThanWorkersGoThroughARingToTheQueuesOwner) {
    auto in = two_sockets();
    in.nb_cores = 5;         // rx lcores 1, 2; workers 3, 4, 5
    in.ports = {{0, 0, 2}};  // AF_PACKET-like: 2 queue pairs, no more
    in.rxq = 2;
    auto p = plan_pipeline(in, {2, 256});
    ASSERT_EQ(p.workers.size(), 3u);
    EXPECT_EQ(p.own_tx_queues, (std::vector<bool>{false}));
    EXPECT_EQ(p.rx.txq, (std::vector<uint16_t>{2}));
    // Worker 3 (index 0) -> queue 0, polled (and so owned) by lcore 1; worker 4 ->
    // queue 1, owned by lcore 2; worker 5 -> queue 0 again.
    const RingPlan *t0 = ring_named(p, "c10m_tx_w3_p0");
    const RingPlan *t1 = ring_named(p, "c10m_tx_w4_p0");
    ASSERT_TRUE(t0 && t1);
    EXPECT_EQ(t0->kind, RingPlan::Kind::tx);
    EXPECT_EQ(t0->producer, 3u);
    EXPECT_EQ(t0->consumer, 1u);
    EXPECT_EQ(t0->queue, 0);
    EXPECT_EQ(t1->consumer, 2u);
    EXPECT_EQ(t1->queue, 1);
    EXPECT_EQ(p.workers[0].tx[0].ring, static_cast<int>(t0 - p.rings.data()));
    EXPECT_EQ(ring_named(p, "c10m_tx_w5_p0")->consumer, 1u);
    EXPECT_EQ(p.rings.size(), 6u + 3u) << "2 x 3 rx rings, one tx ring per worker";
}

TEST(Pipeline, QueuePairPortsGiveWorkersOwnQueuesOnlyWithAsManyRxQueues) {
    auto in = two_sockets();
    in.nb_cores = 3;                // rx 1; workers 2, 3
    in.ports = {{0, 0, 16, true}};  // net_tap: tx queues = rx queues, 16 at most
    auto p = plan_pipeline(in, {1, 1024});
    EXPECT_EQ(p.own_tx_queues, (std::vector<bool>{false})) << "1 rx queue: 1 tx queue";
    EXPECT_EQ(p.rx.txq, (std::vector<uint16_t>{1}));
    in.rxq = 2;
    p = plan_pipeline(in, {1, 1024});
    EXPECT_EQ(p.own_tx_queues, (std::vector<bool>{true}));
    EXPECT_EQ(p.rx.txq, (std::vector<uint16_t>{2}));
    EXPECT_EQ(p.workers[1].tx, (std::vector<WorkerTx>{{0, 1, -1}}));
}

TEST(Pipeline, MoreWorkersThanQueuesShareTheOwners) {
    auto in = two_sockets();  // 7 worker lcores
    in.ports = {{0, 0, 1}};   // one queue pair only
    auto p = plan_pipeline(in, {1, 1024});
    ASSERT_EQ(p.workers.size(), 6u);
    for (const auto &w : p.workers) {
        ASSERT_EQ(w.tx.size(), 1u);
        EXPECT_EQ(w.tx[0].queue, 0);
        EXPECT_EQ(p.rings[static_cast<size_t>(w.tx[0].ring)].consumer, 1u)
            << "lcore 1 owns the only tx queue";
    }
}

TEST(Pipeline, TwoSocketsRingsLiveWithTheirConsumerAndCrossingIsWarnedOnce) {
    auto in = two_sockets();  // rx: lcores 1-3 (socket 0); workers 4-7 (socket 1)
    in.ports = {{0, 0}, {1, 1}};
    auto p = plan_pipeline(in, {3, 1024});
    EXPECT_EQ(p.workers.size(), 4u);
    for (const auto &w : p.workers)
        EXPECT_EQ(w.socket, 1);
    for (const auto &r : p.rings) {
        if (r.kind == RingPlan::Kind::rx) {
            EXPECT_EQ(r.socket, 1) << r.name;
        }
    }
    // Port 1 (socket 1) is polled from socket 0, and rings cross: one warning each.
    int cross_ring = 0, cross_poll = 0;
    for (const auto &w : p.warnings) {
        cross_ring += w.find("share a ring across sockets") != std::string::npos;
        cross_poll += w.find("polls port 1") != std::string::npos;
    }
    EXPECT_EQ(cross_ring, 1);
    EXPECT_EQ(cross_poll, 1);
}

TEST(Pipeline, SocketWithNoLcoresIsPolledFromAnotherWithAWarning) {
    MapInput in;
    in.main_lcore = {0, 0};
    in.workers = {{1, 0}, {2, 0}};
    in.ports = {{0, 1}};  // the NIC sits on socket 1, where no lcore runs
    auto p = plan_pipeline(in, {1, 1024});
    ASSERT_EQ(p.rx.lcores.size(), 1u);
    EXPECT_EQ(p.rx.lcores[0].lcore, 1u);
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_NE(p.warnings[0].find("cross-socket"), std::string::npos);
}

TEST(Pipeline, ConfigAcrossSocketsNamesRxLcoresOnly) {
    auto in = two_sockets();
    in.ports = {{0, 0}, {1, 1}};
    in.queue_map = {{0, 0, 1}, {1, 0, 4}};  // lcore 4 is on socket 1
    auto p = plan_pipeline(in, {4, 1024});  // rx: 1, 2, 3, 4
    EXPECT_EQ(p.workers.size(), 3u);
    ASSERT_EQ(p.rx.lcores.size(), 2u);
    EXPECT_EQ(p.rx.lcores[1].lcore, 4u);
    EXPECT_EQ(p.rx.lcores[1].socket, 1);
    // Lcores 2 and 3 poll nothing: said, and they feed no ring.
    int idle = 0;
    for (const auto &w : p.warnings)
        idle += w.find("has no rx queue to poll") != std::string::npos;
    EXPECT_EQ(idle, 2);
    EXPECT_EQ(p.workers[0].inputs.size(), 2u);
    in.queue_map = {{0, 0, 1}, {1, 0, 5}};  // lcore 5 is a worker with --rx-lcores 4
    EXPECT_EQ(pipeline_error(in, {4, 1024}),
              "--config: lcore 5 is not an rx lcore; with --pipeline the first --rx-lcores 4 "
              "forwarding lcores poll the rx queues");
}

TEST(Pipeline, BadConfigurationsNameTheirFlag) {
    auto in = two_sockets();
    in.ports = {{0, 0}};
    in.nb_cores = 3;
    EXPECT_EQ(pipeline_error(in, {0, 1024}),
              "--rx-lcores: expected 1..2 (the 3 forwarding lcores less at least one worker), "
              "got 0");
    EXPECT_EQ(pipeline_error(in, {3, 1024}),
              "--rx-lcores: expected 1..2 (the 3 forwarding lcores less at least one worker), "
              "got 3");
    EXPECT_EQ(pipeline_error(in, {1, 1000}), "--ring-size: expected a power of two, got 1000");
    in.nb_cores = 1;
    EXPECT_EQ(pipeline_error(in, {1, 1024})
                  .rfind("--pipeline: expected at least 2 forwarding "
                         "lcores (an rx lcore and a worker), got 1",
                         0),
              0u);
    MapInput lone;
    lone.main_lcore = {0, 0};
    lone.ports = {{0, 0}};
    EXPECT_EQ(pipeline_error(lone, {1, 1024}).rfind("--pipeline: expected at least 2", 0), 0u);
}

// ---- routing modes: every lcore sends on every port

TEST(Mapping, RouterLcoresEachHaveATxQueueOnEveryPort) {
    auto in = two_sockets();
    in.ports = {{0, 0}, {1, 0}, {2, 0}};
    in.nb_cores = 2;
    in.reply_on_rx_port = true;
    in.tx_any_port = true;
    auto p = map_queues(in);
    // Round robin: lcore 1 polls ports 0 and 2, lcore 2 port 1.
    ASSERT_EQ(p.lcores.size(), 2u);
    EXPECT_EQ(plan_of(p, 1)->streams, (std::vector<Stream>{{0, 0, 0, 0}, {2, 0, 2, 0}}));
    EXPECT_EQ(plan_of(p, 1)->tx_only, (std::vector<TxQueue>{{1, 0}}));
    EXPECT_EQ(plan_of(p, 2)->streams, (std::vector<Stream>{{1, 0, 1, 1}}));
    EXPECT_EQ(plan_of(p, 2)->tx_only, (std::vector<TxQueue>{{0, 1}, {2, 1}}));
    EXPECT_EQ(p.txq, (std::vector<uint16_t>{2, 2, 2}));
}

TEST(Mapping, RouterOnOneLcoreNeedsNoTxOnlyQueues) {
    MapInput in;
    in.main_lcore = {0, 0};
    in.ports = {{0, 0}, {1, 0}};
    in.reply_on_rx_port = true;
    in.tx_any_port = true;
    auto p = map_queues(in);
    ASSERT_EQ(p.lcores.size(), 1u);
    EXPECT_EQ(p.lcores[0].streams, (std::vector<Stream>{{0, 0, 0, 0}, {1, 0, 1, 0}}));
    EXPECT_TRUE(p.lcores[0].tx_only.empty());
    EXPECT_EQ(p.txq, (std::vector<uint16_t>{1, 1}));
}

TEST(Mapping, RouterErrorsNameTheirFlag) {
    auto in = two_sockets();
    in.ports = {{0, 0}, {1, 0}};
    in.nb_cores = 2;
    in.reply_on_rx_port = true;
    in.tx_any_port = true;
    in.txq = 1;
    EXPECT_EQ(error_of(in),
              "--txq: expected at least 2 (a packet may leave by any port, so each of the 2 "
              "forwarding lcores needs a tx queue on every port), got 1");
    in.txq.reset();
    in.ports = {{0, 0, 1024, true}, {1, 0, 1024, true}};  // net_tap: queues in pairs
    EXPECT_EQ(error_of(in),
              "--nb-cores: port 0 takes as many tx queues as rx queues (1), but 2 lcores forward "
              "and each needs a tx queue on every port; use --nb-cores 1, --rxq 2 or --pipeline");
    in.rxq = 2;  // each lcore polls a queue of each port: as many as lcores
    EXPECT_EQ(map_queues(in).txq, (std::vector<uint16_t>{2, 2}));
    in.rxq.reset();
    in.ports = {{0, 0, 1}, {1, 0, 1}};  // one tx queue each
    EXPECT_EQ(error_of(in),
              "--nb-cores: expected at most 1 forwarding lcores (port 0's tx queues: each lcore "
              "needs one on every port), got 2");
}
