#include "gen/gen_mode.hpp"

#include <rte_malloc.h>

#include <algorithm>
#include <new>
#include <string>

#include "common/error.hpp"
#include "common/log.hpp"
#include "net/addr.hpp"

namespace c10m::gen {

Shared *TcpGen::shared_ = nullptr;
unsigned TcpGen::users_ = 0;

namespace {
unsigned g_next_index = 0;  // lcores are set up one after another, on the main lcore
void *g_conns_mem = nullptr;
}  // namespace

void TcpGen::init(Lcore &l, const pipeline::LcoreEnv &env) {
    const auto &cfg = env.cfg;
    if (!shared_) {
        // The records of every connection, one array in hugepages: each lcore
        // touches only those it owns (one cache line each).
        const size_t bytes = sizeof(GenConn) * size_t{cfg.gen_conns};
        g_conns_mem = rte_zmalloc_socket("c10m_gen_conns", bytes, RTE_CACHE_LINE_SIZE, env.socket);
        if (!g_conns_mem)
            throw SetupError("cannot allocate tcp-gen's " + std::to_string(cfg.gen_conns) +
                             " connection records (" + std::to_string(bytes >> 20) +
                             " MB on socket " + std::to_string(env.socket) +
                             "): reserve more hugepages (hugepages/setup) or lower --gen-conns");
        shared_ = new Shared();
        shared_->conns = static_cast<GenConn *>(g_conns_mem);
        shared_->total = cfg.gen_conns;
        shared_->tuples =
            Tuples(config::gen_sources(cfg), cfg.gen_dst->port_lo, cfg.gen_dst->port_hi);
        shared_->server = cfg.gen_dst->addr;
        shared_->seed = cfg.gen_seed;
        shared_->lcores = std::max(env.nb_lcores, 1u);
        shared_->by_hash = cfg.pipeline;
        g_next_index = 0;
        C10M_LOG(INFO,
                 "tcp-gen: %u connections to %s:%u-%u, %zu bytes each (%zu MB of hugepages), "
                 "owned by %s over %u lcores",
                 cfg.gen_conns, net::ipv4_text(cfg.gen_dst->addr).c_str(), cfg.gen_dst->port_lo,
                 cfg.gen_dst->port_hi, sizeof(GenConn), bytes >> 20,
                 cfg.pipeline ? "the pipeline's flow hash" : "index mod lcores (queue pairs)",
                 shared_->lcores);
    }
    ++users_;
    l.index = g_next_index++;
    l.echo.icmp_error.configure(1000, config::kIcmpBurst, env.tsc_hz, env.now);
    l.echo.icmp_echo.configure(0, config::kIcmpBurst, env.tsc_hz, env.now);
    l.pool = env.pool;
    l.socket = env.socket;
    l.arp_every = env.tsc_hz / 2;
    l.next_arp = env.now;
}

void TcpGen::init(Lcore &l, Stream &s, const pipeline::StreamEnv &env) {
    std::copy(env.rx.mac.addr_bytes, env.rx.mac.addr_bytes + 6, s.host.mac);
    for (const auto &a : env.cfg.ips) {
        if (a.port != env.rx.id) continue;
        s.host.has_ip = true;
        s.host.ip = a.addr;
        s.host.bcast = a.len >= 31 ? 0xffffffffu : net::Ipv4Prefix{a.addr, a.len}.broadcast();
    }
    s.neigh.set_max_age(300 * rte_get_tsc_hz());
    s.port0 = env.rx.id == 0;
    if (!s.port0 || l.gen) return;
    const auto &cfg = env.cfg;
    const unsigned n = shared_->lcores;
    if (!cfg.pipeline && n > 1 && !env.rx.rss_reta.empty()) {
        // A NIC spreading flows by Toeplitz RSS: each lcore owns the connections
        // whose answers the port's hash and table send to its queue.
        if (!shared_->by_hash) {
            shared_->by_hash = true;
            shared_->rss_key = env.rx.rss_key;
            shared_->rss_reta = env.rx.rss_reta;
            shared_->rss_l4 = env.rx.rss_l4;
            C10M_LOG(INFO,
                     "tcp-gen: connections owned by port 0's RSS (Toeplitz over %s, %zu-entry "
                     "table): lcore i polls queue i",
                     env.rx.rss_l4 ? "addresses and ports" : "addresses", env.rx.rss_reta.size());
        }
        if (env.rx_queue != static_cast<int>(l.index))
            throw SetupError("tcp-gen: lcore " + std::to_string(l.index) + " polls rx queue " +
                             std::to_string(env.rx_queue) +
                             " of port 0; RSS ownership needs lcore i on queue i: give as many "
                             "lcores as queues, or use --pipeline");
    }
    if (!cfg.pipeline && n > 1 && env.rx.rss_reta.empty() && env.rx.driver != "net_memif" &&
        l.index == 0)
        C10M_LOG(WARNING,
                 "tcp-gen: port 0 (%s) may not bring a flow's answers back to the queue it was "
                 "sent on: answers an lcore does not own are dropped (gen_wrong_lcore); use "
                 "--pipeline",
                 env.rx.driver.c_str());
    Settings gs;
    gs.index = l.index;
    gs.cps = cfg.gen_cps ? std::max<uint32_t>(1, cfg.gen_cps / n) : 0;
    gs.hold_ms = static_cast<uint32_t>(cfg.gen_hold * 1000.0);
    gs.txn_size = cfg.gen_txn_size;
    gs.txn_rate = cfg.gen_txn_rate ? std::max<uint32_t>(1, cfg.gen_txn_rate / n) : 0;
    gs.sweep = cfg.gen_sweep;
    gs.close_rst = cfg.gen_close == config::GenClose::rst;
    const uint32_t by_mbuf = cfg.mbuf_size - RTE_PKTMBUF_HEADROOM - 14 - 40;
    gs.mss_limit = static_cast<uint16_t>(std::min<uint32_t>({env.tx.mtu - 40u, by_mbuf, 1460u}));
    void *obj = rte_zmalloc_socket("c10m_gen", sizeof(Generator), RTE_CACHE_LINE_SIZE, l.socket);
    if (!obj) throw SetupError("cannot allocate tcp-gen's state for an lcore");
    l.gen = new (obj)
        Generator(*shared_, gs, l.pool, env.out, s.host.mac, rte_get_tsc_hz(), rte_rdtsc());
    l.out = env.out;
    l.host = s.host;
    C10M_LOG(INFO, "tcp-gen: lcore %u owns %lu connections; MSS %u", l.index,
             static_cast<unsigned long>(l.gen->counters().owned.load()), gs.mss_limit);
}

void TcpGen::fini(Lcore &l) noexcept {
    if (l.gen) {
        l.gen->~Generator();
        rte_free(l.gen);
        l.gen = nullptr;
    }
    if (users_ && --users_ == 0) {
        delete shared_;
        shared_ = nullptr;
        rte_free(g_conns_mem);
        g_conns_mem = nullptr;
    }
}

void TcpGen::learn_server(const uint8_t *f) noexcept {
    if (!shared_) return;
    const uint8_t *a = f + 14;
    if (wire::load32(a + 14) != shared_->server) return;
    uint64_t v = 0;
    for (int i = 0; i < 6; ++i)
        v |= uint64_t{a[8 + i]} << (8 * i);
    if (v && shared_->server_mac.load(std::memory_order_relaxed) != v)
        shared_->server_mac.store(v, std::memory_order_relaxed);
}

bool TcpGen::poll(Lcore &l, uint64_t now, stats::Tally &t) noexcept {
    if (!l.gen) return false;
    bool pushed = false;
    // Until the server's MAC is known, the first lcore asks for it twice a second.
    if (l.index == 0 && l.out && now >= l.next_arp &&
        !shared_->server_mac.load(std::memory_order_relaxed)) {
        l.next_arp = now + l.arp_every;
        if (rte_mbuf *m = rte_pktmbuf_alloc(l.pool)) {
            if (char *d = rte_pktmbuf_append(m, 42)) {
                auto *f = reinterpret_cast<uint8_t *>(d);
                host::build_garp(f, l.host);
                wire::store32(f + 38, shared_->server);  // who has the server, tell us
                l.out->push(m);
                t.add(stats::Event::arp_request_sent);
                pushed = true;
            } else {
                rte_pktmbuf_free(m);
            }
        }
    }
    pushed |= l.gen->poll(now, t);
    if (!l.stop_asked && l.gen->phase() == Phase::done &&
        shared_->done.load(std::memory_order_acquire) >= shared_->lcores) {
        // Done everywhere: stay a moment (TIME_WAIT's job, shortened) so that our
        // last ACKs are read before the link goes (memif drops what its peer has not
        // read) and a FIN the server sends again is answered by its closed record.
        if (!l.linger_until) {
            l.linger_until = now + l.arp_every * 2 * kLingerSeconds;
            C10M_LOG(NOTICE, "tcp-gen: done on every lcore; stopping in %u s", kLingerSeconds);
        } else if (now >= l.linger_until) {
            l.stop_asked = true;
            pipeline::request_stop();
        }
    }
    return pushed;
}

void TcpGen::report(const Lcore &l, stats::Sample &s) {
    if (!l.gen || !shared_) return;
    const Counters &c = l.gen->counters();
    auto ld = [](const std::atomic<uint64_t> &a) { return a.load(std::memory_order_relaxed); };
    stats::GenSample &g = s.gen;
    const auto ph = static_cast<Phase>(c.phase.load(std::memory_order_relaxed));
    if (!g.on || ph < phase_of_) phase_of_ = ph;
    if (!g.on) {
        g.on = true;
        g.target = shared_->total;
        g.state_bytes = shared_->total * sizeof(GenConn);
        for (size_t i = 0; i < kFails; ++i)
            g.failed.emplace_back(fail_name(static_cast<Fail>(i)), 0);
    }
    g.phase = phase_name(phase_of_);
    g.syn_sent += ld(c.syn_sent);
    g.opening += ld(c.opening);
    g.concurrent += ld(c.concurrent);
    g.peak_concurrent += ld(c.peak);
    g.established += ld(c.established);
    g.closed += ld(c.closed);
    g.retransmits += ld(c.retransmits);
    for (size_t i = 0; i < kFails; ++i)
        g.failed[i].second += ld(c.failed[i]);
    g.txns += ld(c.txns);
    g.sweep_ok += ld(c.sweep_ok);
    g.sweep_failed += ld(c.sweep_failed);
    g.mismatched_bytes += ld(c.mismatched);
    g.timer_visits += l.gen->timer_visits();
    c.lat_due.merge_into(g.lat_due);
    c.lat_sent.merge_into(g.lat_sent);
}

int TcpGen::status(const Lcore &l) noexcept {
    if (!l.gen) return 0;
    const Counters &c = l.gen->counters();
    uint64_t failed = 0;
    for (const auto &f : c.failed)
        failed += f.load(std::memory_order_relaxed);
    const uint64_t bad = c.mismatched.load(std::memory_order_relaxed);
    if (failed || bad) {
        C10M_LOG(ERR, "tcp-gen: lcore %u: %lu connections failed, %lu echoed bytes differed",
                 l.index, static_cast<unsigned long>(failed), static_cast<unsigned long>(bad));
        return 1;
    }
    if (l.gen->phase() != Phase::done) {
        C10M_LOG(ERR, "tcp-gen: lcore %u stopped before it was done (%s)", l.index,
                 phase_name(l.gen->phase()));
        return 1;
    }
    return 0;
}

}  // namespace c10m::gen
