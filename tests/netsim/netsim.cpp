// A deterministic network simulation: tcp-gen's engine and the echo server's
// TCP-lite engine in one process, joined by a simulated link with seeded loss,
// reordering, duplication, delay and bandwidth, on a virtual clock. No EAL, no
// threads, no wall time: the same seed gives the same run, frame for frame (the
// trace hash covers every delivered frame and when it arrived).
//
//   netsim table            goodput against loss and reordering (docs/performance.md)
//   netsim check SEED...    for each seed: every byte echoed exactly, every
//                           connection ended, every mbuf back, and the same trace
//                           hash when the seed is run twice; exit 1 otherwise
//   netsim run SEED LOSS REORDER DUP   one run, its figures and trace hash
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "gen/tcp_gen.hpp"
#include "tcp/engine.hpp"
#include "unit/heap_pool.hpp"
#include "wire/bytes.hpp"

using namespace c10m;

namespace {

constexpr uint32_t kServer = 0xc6120001, kClient = 0xc6120002;
constexpr uint8_t kServerMac[6] = {0x02, 0, 0, 0, 0, 1};
constexpr uint8_t kClientMac[6] = {0x02, 0, 0, 0, 0, 2};
constexpr uint64_t kHz = 1'000'000;  // the virtual TSC counts microseconds

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

struct LinkParams {
    double loss = 0, reorder = 0, dup = 0;
    uint64_t delay_us = 500;     // one way
    uint64_t jitter_us = 100;    // uniform, on top
    uint64_t reorder_us = 2000;  // extra delay of a reordered frame
    double bw_bps = 1e9;         // serialisation
};

struct Result {
    uint64_t txns = 0, verified = 0, mismatched = 0, failed = 0, closed = 0, established = 0;
    uint64_t frames = 0, lost = 0, duplicated = 0, reordered = 0;
    uint64_t sim_us = 0, trace = 0, server_left = 0, mbufs_left = 0;
    bool done = false;
};

// One direction of the link: frames (copies) in flight, delivered in time order.
struct Wire {
    struct Frame {
        uint64_t at;
        uint64_t seq;  // ties: send order
        std::vector<uint8_t> bytes;
        bool operator>(const Frame &o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };
    std::priority_queue<Frame, std::vector<Frame>, std::greater<>> q;
    uint64_t free_at = 0, n = 0;
};

Result run(uint64_t seed, const LinkParams &lp, uint32_t conns, uint32_t txn_size,
           uint32_t txn_rate, uint32_t hold_ms) {
    test::HeapPool pool(8191);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    Sink to_server, to_client;
    Result r;
    uint64_t now = 1'000'000;

    net::PortHost host;
    host.has_ip = true;
    host.ip = kServer;
    host.bcast = 0xc61200ff;
    std::memcpy(host.mac, kServerMac, 6);
    tcp::Settings st;
    st.max_flows = conns + 16;
    st.ports = {7};
    st.cookie_key = {seed, ~seed};
    st.hash_seed = seed;
    st.idle_ms = 3600000;
    st.max_held = 4096;
    const size_t bytes = tcp::Engine::memory_bytes(st);
    std::unique_ptr<uint8_t, decltype(&std::free)> mem(
        static_cast<uint8_t *>(std::aligned_alloc(64, (bytes + 63) & ~size_t{63})), &std::free);
    std::memset(mem.get(), 0, bytes);
    auto server = std::make_unique<tcp::Engine>(st, mem.get(), pool.get(), kHz, now);
    server->add_stream(&to_client, &host);

    std::vector<gen::GenConn> records(conns);
    gen::Shared sh;
    sh.conns = records.data();
    sh.total = conns;
    sh.tuples = gen::Tuples({{kClient, 1}}, 7, 7);
    sh.server = kServer;
    sh.seed = seed;
    uint64_t mac = 0;
    for (int i = 0; i < 6; ++i)
        mac |= uint64_t{kServerMac[i]} << (8 * i);
    sh.server_mac = mac;
    gen::Settings gs;
    gs.hold_ms = hold_ms;
    gs.txn_rate = txn_rate;
    gs.txn_size = txn_size;
    gs.sweep = true;
    auto g = std::make_unique<gen::Generator>(sh, gs, pool.get(), &to_server, kClientMac, kHz, now);
    stats::Tally ts, tg;

    Wire up, down;  // client -> server, server -> client
    uint64_t fnv = 0xcbf29ce484222325ull;
    auto mix = [&](uint64_t v) {
        fnv ^= v;
        fnv *= 0x100000001b3ull;
    };
    auto put = [&](Wire &w, rte_mbuf *m) {
        std::vector<uint8_t> b(rte_pktmbuf_mtod(m, uint8_t *),
                               rte_pktmbuf_mtod(m, uint8_t *) + rte_pktmbuf_data_len(m));
        rte_pktmbuf_free(m);  // the port has copied it
        ++r.frames;
        if (u(rng) < lp.loss) {
            ++r.lost;
            return;
        }
        const uint64_t ser =
            static_cast<uint64_t>(static_cast<double>(b.size() + 24) * 8e6 / lp.bw_bps);
        w.free_at = std::max(w.free_at, now) + ser;
        uint64_t at = w.free_at + lp.delay_us + (lp.jitter_us ? rng() % lp.jitter_us : 0);
        if (u(rng) < lp.reorder) {
            at += lp.reorder_us;
            ++r.reordered;
        }
        if (u(rng) < lp.dup) {
            ++r.duplicated;
            w.q.push({at + 1, w.n++, b});
        }
        w.q.push({at, w.n++, std::move(b)});
    };
    auto deliver = [&](Wire &w, bool to_srv) {
        while (!w.q.empty() && w.q.top().at <= now) {
            const Wire::Frame &f = w.q.top();
            mix(f.at);
            mix(to_srv);
            for (uint8_t c : f.bytes)
                mix(c);
            rte_mbuf *m = rte_pktmbuf_alloc(pool.get());
            if (m) {
                std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.bytes.size())),
                            f.bytes.data(), f.bytes.size());
                const uint32_t total = wire::load16(f.bytes.data() + 16);
                if (to_srv)
                    server->input(m, 0, total, net::Csum::unknown, now, ts);
                else
                    g->input(m, total, now, tg);
            }
            w.q.pop();
        }
    };
    auto flush = [&] {
        to_server.send();
        to_client.send();
        for (rte_mbuf *m : to_server.sent)
            put(up, m);
        for (rte_mbuf *m : to_client.sent)
            put(down, m);
        to_server.sent.clear();
        to_client.sent.clear();
    };
    const uint64_t limit = now + 3600ull * 1000000;  // an hour of virtual time at most
    while (now < limit) {
        g->poll(now, tg);
        server->run_timers(now, ts);
        flush();
        deliver(up, true);
        deliver(down, false);
        flush();
        if (g->phase() == gen::Phase::done && up.q.empty() && down.q.empty()) break;
        now += 50;  // 50 us steps
    }
    // The server's last FINs sent again find our closed records: let it finish.
    for (int i = 0; i < 3000 && server->active(); ++i) {
        now += 100000;
        server->run_timers(now, ts);
        flush();
        for (int k = 0; k < 200; ++k) {
            now += 50;
            deliver(up, true);
            deliver(down, false);
            flush();
        }
    }
    const gen::Counters &c = g->counters();
    r.done = g->phase() == gen::Phase::done;
    r.txns = c.txns.load();
    r.verified = tg.event[static_cast<size_t>(stats::Event::gen_bytes_verified)];
    r.mismatched = c.mismatched.load();
    for (const auto &f : c.failed)
        r.failed += f.load();
    r.closed = c.closed.load();
    r.established = c.established.load();
    r.sim_us = now - 1'000'000;
    r.trace = fnv;
    r.server_left = server->active();
    g.reset();
    server.reset();
    while (!up.q.empty())
        up.q.pop();
    while (!down.q.empty())
        down.q.pop();
    r.mbufs_left = pool.in_use();
    return r;
}

void print(const char *label, const Result &r, uint32_t txn_size) {
    const double secs = static_cast<double>(r.sim_us) / 1e6;
    std::printf("%-28s txns %7" PRIu64 "  goodput %8.1f kB/s  lost %5" PRIu64 " dup %4" PRIu64
                " reordered %5" PRIu64 "  failed %" PRIu64 " mismatched %" PRIu64
                "  %.1f s  trace %016" PRIx64 "\n",
                label, r.txns, static_cast<double>(r.txns) * txn_size / secs / 1e3, r.lost,
                r.duplicated, r.reordered, r.failed, r.mismatched, secs, r.trace);
}

}  // namespace

int main(int argc, char **argv) {
    const std::string cmd = argc > 1 ? argv[1] : "check";
    if (cmd == "table") {
        // 100 connections, 1460-byte transactions offered at 20,000/s for 5 s of
        // virtual time, over a 1 Gb/s link with 0.5 ms one way.
        for (double loss : {0.0, 0.005, 0.01, 0.02, 0.05, 0.10})
            for (double reorder : {0.0, 0.05}) {
                LinkParams lp;
                lp.loss = loss;
                lp.reorder = reorder;
                const Result r = run(1, lp, 100, 1460, 20000, 5000);
                char label[64];
                std::snprintf(label, sizeof label, "loss %.1f%% reorder %.0f%%", loss * 100,
                              reorder * 100);
                print(label, r, 1460);
            }
        return 0;
    }
    if (cmd == "run" && argc == 6) {
        LinkParams lp;
        lp.loss = std::atof(argv[3]);
        lp.reorder = std::atof(argv[4]);
        lp.dup = std::atof(argv[5]);
        const Result r = run(std::strtoull(argv[2], nullptr, 10), lp, 200, 512, 5000, 2000);
        print("run", r, 512);
        return 0;
    }
    if (cmd == "check") {
        int bad = 0;
        std::vector<uint64_t> seeds;
        for (int i = 2; i < argc; ++i)
            seeds.push_back(std::strtoull(argv[i], nullptr, 10));
        if (seeds.empty()) seeds = {1, 2, 3};
        for (uint64_t seed : seeds) {
            LinkParams lp;
            lp.loss = 0.02;
            lp.reorder = 0.05;
            lp.dup = 0.01;
            const Result a = run(seed, lp, 200, 512, 5000, 2000);
            const Result b = run(seed, lp, 200, 512, 5000, 2000);
            char label[32];
            std::snprintf(label, sizeof label, "seed %" PRIu64, seed);
            print(label, a, 512);
            auto fail = [&](const char *what) {
                std::printf("FAIL seed %" PRIu64 ": %s\n", seed, what);
                ++bad;
            };
            if (!a.done) fail("the generator never finished");
            if (a.mismatched) fail("echoed bytes differed");
            if (a.verified != a.txns * 512) fail("verified bytes != transactions x size");
            if (a.established + a.failed < 200) fail("a connection neither opened nor failed");
            if (a.closed + a.failed != 200) fail("a connection did not end");
            if (a.server_left) fail("the server still has connections");
            if (a.mbufs_left) fail("mbufs still out");
            if (a.lost == 0 || a.duplicated == 0 || a.reordered == 0) fail("the link did nothing");
            if (a.trace != b.trace || a.txns != b.txns) fail("the same seed gave another trace");
        }
        std::printf("%s\n", bad ? "netsim: FAILED" : "netsim: ok");
        return bad ? 1 : 0;
    }
    std::fprintf(stderr, "usage: netsim table | check [SEED...] | run SEED LOSS REORDER DUP\n");
    return 2;
}
