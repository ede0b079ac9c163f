// tcp-gen against TCP-lite's server, both without the EAL, joined by a simulated
// link in this process (a network simulation: the test owns the clock, the wire,
// and its losses). Each frame crosses the wire as a copy in a fresh mbuf, as a
// port would carry it, so neither side can see the other's mbufs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "gen/tcp_gen.hpp"
#include "pipeline/flow_hash.hpp"
#include "stats/histogram.hpp"
#include "tcp/engine.hpp"
#include "tcp/segment.hpp"
#include "unit/heap_pool.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

using namespace c10m;

namespace {

constexpr uint32_t kServer = 0xc6120001;  // 198.18.0.1
constexpr uint32_t kClient = 0xc6120002;  // 198.18.0.2
constexpr uint8_t kServerMac[6] = {0x02, 0, 0, 0, 0, 1};
constexpr uint8_t kClientMac[6] = {0x02, 0, 0, 0, 0, 2};

struct Sink : net::TxSink {
    std::vector<rte_mbuf *> sent;
    Sink() {
        send_fn = [](net::TxSink &s) noexcept {
            auto &c = static_cast<Sink &>(s);
            c.sent.insert(c.sent.end(), s.pkts, s.pkts + s.count);
            s.count = 0;
        };
    }
};

struct FreeDeleter {
    void operator()(void *p) const { std::free(p); }
};

// One generator lcore and one server engine on a lossy wire.
class GenSim : public ::testing::Test {
  protected:
    test::HeapPool pool{16383};
    Sink to_server, to_client;
    net::PortHost server_host;
    std::unique_ptr<void, FreeDeleter> server_mem, conns_mem;
    std::unique_ptr<tcp::Engine> server;
    gen::Shared shared;
    std::unique_ptr<gen::Generator> g;
    stats::Tally ts, tg;
    uint64_t hz = 1'000'000'000;
    uint64_t now = 0;
    std::mt19937 rng{7};
    double loss = 0;            // each frame, each way
    bool corrupt_echo = false;  // flip a byte of the server's next data segment
    uint64_t frames = 0, lost = 0;

    void make(uint32_t conns, gen::Settings gs, std::vector<uint16_t> ports = {7},
              uint16_t dport_hi = 7) {
        now = 5 * hz;
        server_host.has_ip = true;
        server_host.ip = kServer;
        server_host.bcast = 0xc61200ff;
        std::memcpy(server_host.mac, kServerMac, 6);
        tcp::Settings st;
        st.max_flows = conns + 16;
        st.ports = ports;
        st.cookie_key = {1, 2};
        st.hash_seed = 3;
        st.idle_ms = 3600000;
        st.max_held = 8192;
        const size_t bytes = tcp::Engine::memory_bytes(st);
        server_mem.reset(std::aligned_alloc(64, (bytes + 63) & ~size_t{63}));
        std::memset(server_mem.get(), 0, bytes);
        server = std::make_unique<tcp::Engine>(st, server_mem.get(), pool.get(), hz, now);
        ASSERT_EQ(server->add_stream(&to_client, &server_host), 0);

        const size_t cb = sizeof(gen::GenConn) * conns;
        conns_mem.reset(std::aligned_alloc(64, (cb + 63) & ~size_t{63}));
        std::memset(conns_mem.get(), 0, cb);
        shared.conns = static_cast<gen::GenConn *>(conns_mem.get());
        shared.total = conns;
        shared.tuples = gen::Tuples({{kClient, 1}}, 7, dport_hi);
        shared.server = kServer;
        shared.seed = 99;
        shared.lcores = 1;
        uint64_t mac = 0;
        for (int i = 0; i < 6; ++i)
            mac |= uint64_t{kServerMac[i]} << (8 * i);
        shared.server_mac = mac;
        g = std::make_unique<gen::Generator>(shared, gs, pool.get(), &to_server, kClientMac, hz,
                                             now);
    }

    void TearDown() override {
        if (g) g.reset();
        if (server) server.reset();
        pump();  // whatever was left on the wire
        EXPECT_EQ(pool.in_use(), 0u) << "every mbuf back in the pool";
    }

    // A copy of m's frame in a fresh mbuf (as a port carries it); m is freed.
    rte_mbuf *carry(rte_mbuf *m) {
        rte_mbuf *c = rte_pktmbuf_alloc(pool.get());
        EXPECT_NE(c, nullptr);
        char *d = rte_pktmbuf_append(c, rte_pktmbuf_data_len(m));
        std::memcpy(d, rte_pktmbuf_mtod(m, const char *), rte_pktmbuf_data_len(m));
        rte_pktmbuf_free(m);
        return c;
    }

    bool lose() {
        ++frames;
        if (loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < loss) {
            ++lost;
            return true;
        }
        return false;
    }

    // Moves frames across until the wire is quiet.
    void pump() {
        for (int round = 0; round < 1000; ++round) {
            to_server.send();
            to_client.send();
            if (to_server.sent.empty() && to_client.sent.empty()) return;
            std::vector<rte_mbuf *> a, b;
            a.swap(to_server.sent);
            b.swap(to_client.sent);
            for (rte_mbuf *m : a) {
                if (lose() || !server) {
                    rte_pktmbuf_free(m);
                    continue;
                }
                rte_mbuf *c = carry(m);
                const auto *f = rte_pktmbuf_mtod(c, const uint8_t *);
                server->input(c, 0, wire::load16(f + 16), net::Csum::unknown, now, ts);
            }
            for (rte_mbuf *m : b) {
                if (lose() || !g) {
                    rte_pktmbuf_free(m);
                    continue;
                }
                rte_mbuf *c = carry(m);
                auto *f = rte_pktmbuf_mtod(c, uint8_t *);
                const uint32_t total = wire::load16(f + 16);
                if (corrupt_echo && total > 40) {
                    corrupt_echo = false;
                    f[14 + 40] ^= 0x5a;
                    // a correct checksum over the wrong byte: only the content check sees it
                    uint8_t *th = f + 34;
                    wire::store16(th + 16, 0);
                    const uint64_t sum = wire::sum_native(
                        th, total - 20,
                        wire::pseudo_header_native(f + 14, 6, static_cast<uint16_t>(total - 20)));
                    const uint16_t ck = static_cast<uint16_t>(~wire::fold(sum));
                    std::memcpy(th + 16, &ck, 2);
                }
                g->input(c, total, now, tg);
            }
        }
        ADD_FAILURE() << "the wire never went quiet";
    }

    // Runs the clock in 1 ms steps until the generator is done (or max_ms pass).
    bool run(uint32_t max_ms) {
        for (uint32_t ms = 0; ms < max_ms; ++ms) {
            for (int k = 0; k < 4; ++k) {
                g->poll(now, tg);
                pump();
            }
            now += hz / 1000;
            if (server) server->run_timers(now, ts);
            pump();
            if (g->phase() == gen::Phase::done) return true;
        }
        return false;
    }

    uint64_t failed() const {
        uint64_t n = 0;
        for (const auto &f : g->counters().failed)
            n += f.load();
        return n;
    }
    uint64_t fails(gen::Fail f) const {
        return g->counters().failed[static_cast<size_t>(f)].load();
    }
    const gen::Counters &c() const { return g->counters(); }
};

gen::Settings settings(uint32_t hold_ms = 0, bool sweep = true) {
    gen::Settings s;
    s.hold_ms = hold_ms;
    s.sweep = sweep;
    s.txn_size = 64;
    return s;
}

}  // namespace

TEST(GenTuples, IndexAndTupleAreInverses) {
    const gen::Tuples tu({{0x0a000001, 1}, {0x0a000110, 5}}, 5000, 5159);
    EXPECT_EQ(tu.capacity(), 6ull * config::kGenPortsPerAddr * 160);
    std::mt19937_64 r(1);
    for (int i = 0; i < 100000; ++i) {
        const uint64_t g = r() % tu.capacity();
        const auto t = tu.of(g);
        uint64_t back = 0;
        ASSERT_TRUE(tu.index(t.saddr, t.sport, t.dport, back));
        ASSERT_EQ(back, g);
        EXPECT_GE(t.sport, config::kGenPortLo);
        EXPECT_TRUE(t.dport >= 5000 && t.dport <= 5159);
        EXPECT_TRUE(tu.ours(t.saddr));
    }
    uint64_t g = 0;
    EXPECT_FALSE(tu.index(0x0a000002, 2000, 5000, g)) << "not one of our addresses";
    EXPECT_FALSE(tu.index(0x0a000001, 80, 5000, g)) << "below the source port range";
    EXPECT_FALSE(tu.index(0x0a000001, 2000, 4999, g)) << "not a server port";
    EXPECT_TRUE(tu.ours(0x0a000114));
    EXPECT_FALSE(tu.ours(0x0a000115));
}

// 20,000 connections from ADDRS addresses to the server's ports 7-9, owned by a
// hash of their tuples over LCORES lcores.
void hashed_ownership(gen::Shared &sh, uint32_t addrs, unsigned lcores) {
    sh.total = 20000;
    sh.tuples = gen::Tuples({{kClient, addrs}}, 7, 9);
    sh.server = kServer;
    sh.lcores = lcores;
    sh.by_hash = true;
}

TEST(GenTuples, OwnershipByFlowHashIsWhereThePipelineSendsTheServersAnswer) {
    gen::Shared sh;
    hashed_ownership(sh, 1, 3);
    unsigned per[3] = {};
    for (uint64_t g = 0; g < sh.total; ++g) {
        const auto t = sh.tuples.of(g);
        // The server's answer, as the wire carries it.
        uint8_t f[64] = {};
        tcp::write_segment_headers(f, kServerMac, kServer, kClientMac, t.saddr, t.sport, t.dport, 1,
                                   2, tcp::kAck, 100, 0, 0, 0);
        const unsigned o = sh.owner(g);
        ASSERT_LT(o, 3u);
        ASSERT_EQ(pipeline::worker_of(pipeline::flow_hash(f, 54), 3), o) << g;
        ++per[o];
    }
    for (unsigned n : per)
        EXPECT_NEAR(n, 20000 / 3, 400) << "owners spread evenly";
    sh.by_hash = false;
    EXPECT_EQ(sh.owner(10), 1u);
}

// Toeplitz as Microsoft's RSS specification defines it, over bytes in network order.
uint32_t toeplitz(const std::vector<uint8_t> &key, const std::vector<uint8_t> &in) {
    uint32_t h = 0;
    uint32_t win = uint32_t{key[0]} << 24 | uint32_t{key[1]} << 16 | uint32_t{key[2]} << 8 | key[3];
    size_t next = 32;  // the key bit that shifts into the window next
    for (uint8_t byte : in)
        for (int b = 7; b >= 0; --b) {
            if (byte >> b & 1) h ^= win;
            const bool kb = next < key.size() * 8 && (key[next / 8] >> (7 - next % 8) & 1);
            win = win << 1 | (kb ? 1u : 0u);
            ++next;
        }
    return h;
}

std::vector<uint8_t> rss_input(uint32_t sa, uint32_t da, uint16_t sp, uint16_t dp, bool l4) {
    std::vector<uint8_t> v;
    for (uint32_t a : {sa, da})
        for (int i = 3; i >= 0; --i)
            v.push_back(static_cast<uint8_t>(a >> (8 * i)));
    if (l4)
        for (uint16_t p : {sp, dp}) {
            v.push_back(static_cast<uint8_t>(p >> 8));
            v.push_back(static_cast<uint8_t>(p));
        }
    return v;
}

TEST(GenTuples, OwnershipByRssIsTheQueueTheNicsHashOfTheAnswerPicks) {
    // The reference hash first, on the specification's verification vector.
    const std::vector<uint8_t> ms_key = {
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
        0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
        0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
    const uint32_t src = 0x420995bb, dst = 0xa18e6450;  // 66.9.149.187 -> 161.142.100.80
    ASSERT_EQ(toeplitz(ms_key, rss_input(src, dst, 2794, 1766, true)), 0x51ccc178u);
    ASSERT_EQ(toeplitz(ms_key, rss_input(src, dst, 2794, 1766, false)), 0x323e8fc2u);

    std::vector<uint8_t> sym(40);
    for (size_t i = 0; i < sym.size(); ++i)
        sym[i] = i % 2 ? 0x5a : 0x6d;
    for (bool l4 : {true, false}) {
        gen::Shared sh;
        hashed_ownership(sh, 2, 4);
        sh.rss_key = sym;
        sh.rss_l4 = l4;
        for (uint16_t i = 0; i < 128; ++i)
            sh.rss_reta.push_back(static_cast<uint16_t>((i * 7 + 3) % 4));  // not i mod 4
        unsigned per[4] = {};
        for (uint64_t g = 0; g < sh.total; ++g) {
            const auto t = sh.tuples.of(g);
            const uint32_t answer =
                toeplitz(sym, rss_input(kServer, t.saddr, t.dport, t.sport, l4));
            const uint32_t request =
                toeplitz(sym, rss_input(t.saddr, kServer, t.sport, t.dport, l4));
            ASSERT_EQ(answer, request) << "the symmetric key hashes both directions alike";
            const unsigned o = sh.owner(g);
            ASSERT_EQ(o, sh.rss_reta[answer % 128]) << g << (l4 ? " (l4)" : " (l3)");
            ++per[o];
        }
        if (l4)
            for (unsigned n : per)
                EXPECT_NEAR(n, 20000 / 4, 500) << "owners spread evenly";
        else
            EXPECT_EQ(per[0] + per[1] + per[2] + per[3], 20000u);
    }
}

TEST(GenHistogram, BucketsAndQuantiles) {
    uint64_t prev = 0;
    for (uint32_t v : {0u, 1u, 15u, 16u, 17u, 31u, 32u, 100u, 1000u, 65535u, 1u << 30, ~0u}) {
        const size_t b = stats::lat_bucket(v);
        ASSERT_LT(b, stats::kLatBuckets);
        EXPECT_GE(stats::lat_bucket_top(b), v) << v;
        EXPECT_LE(stats::lat_bucket_top(b), uint64_t{v} + v / 16 + 1) << "within 1/16 of the value";
        EXPECT_GE(stats::lat_bucket_top(b), prev);
        prev = stats::lat_bucket_top(b);
    }
    stats::LatencyHistogram h;
    for (uint32_t i = 1; i <= 1000; ++i)
        h.add(i);
    std::array<uint64_t, stats::kLatBuckets> m{};
    h.merge_into(m);
    EXPECT_NEAR(static_cast<double>(stats::lat_quantile(m, 0.5)), 500, 500 / 16.0 + 1);
    EXPECT_NEAR(static_cast<double>(stats::lat_quantile(m, 0.99)), 990, 990 / 16.0 + 1);
    EXPECT_EQ(stats::lat_quantile(std::array<uint64_t, stats::kLatBuckets>{}, 0.5), 0u);
}

TEST_F(GenSim, OpensSweepsAndClosesEveryConnection) {
    make(2000, settings(50), {7, 8, 9}, 9);
    ASSERT_TRUE(run(20000)) << gen::phase_name(g->phase());
    EXPECT_EQ(c().established.load(), 2000u);
    EXPECT_EQ(c().peak.load(), 2000u) << "all held at once";
    EXPECT_EQ(c().sweep_ok.load(), 2000u);
    EXPECT_EQ(c().sweep_failed.load(), 0u);
    EXPECT_EQ(c().closed.load(), 2000u);
    EXPECT_EQ(c().concurrent.load(), 0u);
    EXPECT_EQ(failed(), 0u);
    EXPECT_EQ(c().mismatched.load(), 0u);
    EXPECT_EQ(tg.event[static_cast<size_t>(stats::Event::gen_bytes_verified)], 2000u * 64);
    EXPECT_EQ(server->active(), 0u) << "the server's table is empty after the close";
    EXPECT_EQ(ts.event[static_cast<size_t>(stats::Event::tcp_conn_closed)], 2000u);
    EXPECT_EQ(c().retransmits.load(), 0u) << "nothing lost, nothing sent again";
}

TEST_F(GenSim, TransactionsAtARateWhileHoldingAndLatencyIsMeasured) {
    gen::Settings s = settings(1000, false);
    s.txn_rate = 5000;  // 5 per ms over 200 connections, for 1 s
    make(200, s);
    ASSERT_TRUE(run(20000));
    EXPECT_NEAR(static_cast<double>(c().txns.load()), 5000, 10);
    EXPECT_EQ(failed(), 0u);
    EXPECT_EQ(c().mismatched.load(), 0u);
    std::array<uint64_t, stats::kLatBuckets> due{}, sent{};
    c().lat_due.merge_into(due);
    c().lat_sent.merge_into(sent);
    // The simulated wire is instant and the clock moves in 1 ms steps: a transaction
    // completes within the millisecond it was sent in.
    EXPECT_LT(stats::lat_quantile(sent, 0.99), 1000u);
    EXPECT_GE(stats::lat_quantile(due, 0.99), stats::lat_quantile(sent, 0.99));
    EXPECT_EQ(server->active(), 0u);
}

TEST_F(GenSim, EverythingSurvivesTenPercentLossBothWays) {
    loss = 0.10;
    make(300, settings(10));
    ASSERT_TRUE(run(600000)) << gen::phase_name(g->phase());
    EXPECT_GT(lost, 50u);
    EXPECT_GT(c().retransmits.load(), 0u);
    EXPECT_EQ(c().established.load() + fails(gen::Fail::syn_timeout), 300u);
    EXPECT_EQ(c().mismatched.load(), 0u) << "losses are repaired, never mistaken for data";
    EXPECT_EQ(c().sweep_ok.load() + c().sweep_failed.load(), c().established.load());
    // With 10% loss and 6-9 tries, a failure is rare (0.1^7) but the close can lose
    // the last ACK for good; everything that opened closed.
    EXPECT_EQ(failed(), 0u);
    EXPECT_EQ(c().closed.load(), 300u);
    // Whatever the server still holds ends by its own timers: our closed records
    // answer its FINs sent again, as TIME_WAIT would.
    for (int i = 0; i < 200 && server->active(); ++i) {
        now += hz;
        server->run_timers(now, ts);
        pump();
    }
    EXPECT_EQ(server->active(), 0u);
}

TEST_F(GenSim, AWrongEchoedByteIsCountedAndFailsTheRun) {
    make(10, settings(0));
    corrupt_echo = false;
    // Open everything first, then corrupt the sweep's first echo.
    for (int i = 0; i < 50 && g->phase() != gen::Phase::sweeping; ++i) {
        g->poll(now, tg);
        pump();
        now += hz / 1000;
    }
    corrupt_echo = true;
    ASSERT_TRUE(run(20000));
    EXPECT_EQ(c().mismatched.load(), 1u);
    EXPECT_EQ(tg.event[static_cast<size_t>(stats::Event::gen_bytes_mismatched)], 1u);
}

TEST_F(GenSim, ARefusedConnectionIsAFailureByReason) {
    make(5, settings(0), {7}, 8);  // the server serves 7 only; every other conn goes to 8
    ASSERT_TRUE(run(20000));
    EXPECT_EQ(fails(gen::Fail::refused), 2u);
    EXPECT_EQ(c().established.load(), 3u);
    EXPECT_EQ(c().closed.load(), 3u);
}

TEST_F(GenSim, ASilentServerIsASynTimeoutAfterSixRetries) {
    make(3, settings(0));
    server.reset();  // nobody answers
    ASSERT_TRUE(run(200000));
    EXPECT_EQ(fails(gen::Fail::syn_timeout), 3u);
    EXPECT_EQ(c().syn_sent.load(), 3u * (1 + gen::kSynRetries));
    EXPECT_EQ(c().concurrent.load(), 0u);
}

TEST_F(GenSim, CloseByRstLeavesTheServerEmpty) {
    gen::Settings s = settings(0);
    s.close_rst = true;
    make(500, s);
    ASSERT_TRUE(run(20000));
    EXPECT_EQ(c().closed.load(), 500u);
    EXPECT_EQ(server->active(), 0u);
    EXPECT_EQ(ts.event[static_cast<size_t>(stats::Event::tcp_conn_reset)], 500u);
}

TEST_F(GenSim, OpeningRateIsPaced) {
    gen::Settings s = settings(0, false);
    s.cps = 10000;  // 10 per ms
    make(1000, s);
    for (int ms = 0; ms < 50; ++ms) {
        g->poll(now, tg);
        pump();
        now += hz / 1000;
    }
    EXPECT_NEAR(static_cast<double>(c().syn_sent.load()), 500, 15);
    ASSERT_TRUE(run(20000));
    EXPECT_EQ(c().closed.load(), 1000u);
}
