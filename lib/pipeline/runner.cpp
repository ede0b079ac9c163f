#include "pipeline/runner.hpp"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <cstdio>

#include "common/capture.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "io/iface.hpp"
#include "net/addr.hpp"
#include "pipeline/stop.hpp"

namespace c10m::pipeline {

namespace {

std::string mac_text(const rte_ether_addr &a) {
    char buf[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(buf, sizeof buf, &a);
    return buf;
}

}  // namespace

extern "C" void on_stop_signal(int sig) {
    // With --drain-timeout the first SIGTERM drains; SIGINT, or a second SIGTERM a
    // second or more later, stops at once (clock_gettime is async-signal-safe).
    if (sig == SIGTERM && g_drain_enabled.load(std::memory_order_relaxed)) {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        const int64_t now = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
        if (!g_draining.load(std::memory_order_relaxed)) {
            g_drain_signal_ns.store(now, std::memory_order_relaxed);
            g_draining.store(true, std::memory_order_relaxed);
            return;
        }
        if (now - g_drain_signal_ns.load(std::memory_order_relaxed) < kDuplicateTermNs) return;
    }
    request_stop();
}

// ---------------------------------------------------------------- supervisor

Supervisor::Supervisor(const config::AppConfig &cfg, const std::vector<io::Port> &ports,
                       const std::vector<LcoreView> &lcores,
                       const std::map<int, io::Mempool> &pools,
                       const std::vector<std::unique_ptr<Ring>> &rings,
                       std::function<void(stats::Sample &)> mode_report)
    : cfg_(cfg),
      ports_(ports),
      lcores_(lcores),
      pools_(pools),
      rings_(rings),
      mode_report_(std::move(mode_report)),
      hz_(rte_get_tsc_hz()) {
    start_ = rte_rdtsc();
    period_tsc_ = cfg.stats_period > 0
                      ? static_cast<uint64_t>(cfg.stats_period * static_cast<double>(hz_))
                      : 0;
    end_tsc_ = cfg.duration > 0
                   ? start_ + static_cast<uint64_t>(cfg.duration * static_cast<double>(hz_))
                   : 0;
    next_stats_ = period_tsc_ ? start_ + period_tsc_ : UINT64_MAX;
    next_ = std::min(next_stats_, end_tsc_ ? end_tsc_ : UINT64_MAX);
}

// Connections open now, from the lcores' event counters (published every 100 us).
uint64_t Supervisor::open_connections() const noexcept {
    using stats::Event;
    uint64_t opened = 0, ended = 0;
    auto ev = [](const stats::LcoreCounters &c, Event e) {
        return c.events[static_cast<size_t>(e)].get();
    };
    for (const auto &l : lcores_) {
        opened += ev(*l.counters, Event::tcp_conn_opened);
        ended += ev(*l.counters, Event::tcp_conn_closed) + ev(*l.counters, Event::tcp_conn_reset) +
                 ev(*l.counters, Event::tcp_conn_reclaimed) +
                 ev(*l.counters, Event::tcp_conn_gave_up) +
                 ev(*l.counters, Event::tcp_conn_reset_at_drain);
    }
    return opened > ended ? opened - ended : 0;
}

void Supervisor::run(uint64_t now) noexcept {
    if (drain_requested()) {
        if (!drain_end_) {
            drain_end_ = now + static_cast<uint64_t>(cfg_.drain_timeout * static_cast<double>(hz_));
            C10M_LOG(NOTICE,
                     "SIGTERM: draining: new connections are refused; %lu open, up to %.1f s for "
                     "them to close",
                     static_cast<unsigned long>(open_connections()), cfg_.drain_timeout);
        }
        if (open_connections() == 0 || now >= drain_end_) {
            if (now >= drain_end_)
                C10M_LOG(NOTICE, "drain timeout: %lu connections still open are reset",
                         static_cast<unsigned long>(open_connections()));
            request_stop();
        }
    }
    if (end_tsc_ && now >= end_tsc_) request_stop();
    if (now >= next_stats_) {
        print(sample(now, false));
        while (next_stats_ <= now)
            next_stats_ += period_tsc_;
    }
    next_ = std::min(next_stats_, end_tsc_ ? end_tsc_ : UINT64_MAX);
}

stats::Sample Supervisor::sample(uint64_t now, bool final) const {
    stats::Sample s;
    s.t = static_cast<double>(now - start_) / static_cast<double>(hz_);
    s.tsc_hz = hz_;
    s.final = final;
    s.mode = std::string(config::to_string(cfg_.mode));
    for (const auto &p : ports_) {
        stats::PortSample ps;
        ps.port = p.id();
        ps.name = p.caps().name;
        rte_eth_stats st{};
        if (rte_eth_stats_get(p.id(), &st) == 0) {
            ps.rx = st.ipackets;
            ps.tx = st.opackets;
            ps.rx_bytes = st.ibytes;
            ps.tx_bytes = st.obytes;
            ps.rx_missed = st.imissed;
            ps.rx_nombuf = st.rx_nombuf;
            ps.rx_errors = st.ierrors;
            ps.tx_errors = st.oerrors;
        }
        for (const auto &l : lcores_)
            ps.tx_full += l.counters->tx_full[p.id()].get();
        s.ports.push_back(ps);
    }
    for (const auto &l : lcores_) {
        stats::LcoreSample ls;
        ls.lcore = l.lcore;
        ls.role = l.role;
        ls.pkts = l.counters->pkts.get();
        ls.busy_cycles = l.counters->busy_cycles.get();
        for (size_t r = 0; r < stats::kDropReasons; ++r)
            ls.drops[r] = l.counters->drops[r].get();
        for (size_t e = 0; e < stats::kEvents; ++e)
            ls.events[e] = l.counters->events[e].get();
        s.lcores.push_back(ls);
    }
    for (const auto &[socket, pool] : pools_)
        s.pools.push_back({"c10m_s" + std::to_string(socket), socket, pool.size(), pool.in_use(),
                           pool.baseline()});
    for (const auto &r : rings_) {
        stats::RingSample rs;
        rs.name = r->name();
        rs.from = r->from();
        rs.to = r->to();
        rs.size = r->capacity();
        rs.enqueued = r->stats().enqueued.get();
        rs.dequeued = r->stats().dequeued.get();
        rs.ring_full = r->stats().ring_full.get();
        rs.high_water = r->stats().high_water.get();
        s.rings.push_back(rs);
    }
    if (mode_report_) mode_report_(s);
    return s;
}

void Supervisor::print(const stats::Sample &s) noexcept {
    const stats::Sample *prev = (prev_ && !s.final) ? &*prev_ : nullptr;
    const std::string text = cfg_.stats_format == config::StatsFormat::json
                                 ? stats::format_json(s, prev)
                                 : stats::format_text(s, prev);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    prev_ = s;
}

// ---------------------------------------------------------------- runner

Runner::Runner(const config::AppConfig &cfg, const ModeNeeds &mode) : cfg_(cfg), mode_(mode) {}

io::Port &Runner::port(uint16_t id) {
    for (auto &p : ports_)
        if (p.id() == id) return p;
    throw SetupError("internal: port " + std::to_string(id) + " not configured");
}

rte_mempool *Runner::pool(int socket) const {
    auto it = pools_.find(socket);
    if (it == pools_.end())
        throw SetupError("internal: no mempool on socket " + std::to_string(socket));
    return it->second.get();
}

uint64_t Runner::drain_tsc() const noexcept {
    return (rte_get_tsc_hz() + 999999) / 1000000 * 100;  // kDrainUs
}

void Runner::plan() {
    const auto probed = io::probed_ports();
    if (probed.empty())
        throw UsageError(
            "no ports: bind a NIC to a DPDK driver with dpdk-devbind.py, add a virtual device "
            "with the EAL option --vdev, or put a port on a Linux interface with --iface IFNAME");
    fwd_ports_ = select_ports(probed, cfg_.portmask);

    for (auto id : fwd_ports_) {
        const auto c = io::query_port(id);
        in_.ports.push_back({id, c.socket, c.max_txq, c.queue_pairs});
        in_.max_rxq = std::min(in_.max_rxq, c.max_rxq);
        in_.max_txq = std::min(in_.max_txq, c.max_txq);
    }
    main_lcore_ = rte_get_main_lcore();
    in_.main_lcore = {main_lcore_, static_cast<int>(rte_lcore_to_socket_id(main_lcore_))};
    unsigned l;
    RTE_LCORE_FOREACH_WORKER(l) {
        in_.workers.push_back({l, static_cast<int>(rte_lcore_to_socket_id(l))});
    }
    in_.nb_cores = cfg_.nb_cores;
    in_.rxq = cfg_.rxq;
    in_.txq = cfg_.txq;
    in_.queue_map = cfg_.queue_map;
    in_.reply_on_rx_port = mode_.replies_on_rx_port;
    in_.tx_any_port = mode_.tx_any_port;

    for (const auto &a : cfg_.ips)
        if (std::find(fwd_ports_.begin(), fwd_ports_.end(), a.port) == fwd_ports_.end())
            throw UsageError("--ip: expected a forwarding port, got port " +
                             std::to_string(a.port));
    for (const auto &p : cfg_.eth_peers) {
        if (cfg_.mode != config::ForwardMode::mac)
            throw UsageError(
                "--eth-peer: expected only with --forward-mode=mac, which is the mode that uses "
                "it");
        if (std::find(fwd_ports_.begin(), fwd_ports_.end(), p.port) == fwd_ports_.end())
            throw UsageError("--eth-peer: expected a forwarding port, got port " +
                             std::to_string(p.port));
    }

    if (cfg_.pipeline) {
        pp_ = plan_pipeline(in_, {cfg_.rx_lcores, cfg_.ring_size});
        for (const auto &w : pp_.warnings)
            C10M_LOG(WARNING, "%s", w.c_str());
        for (size_t pi = 0; pi < fwd_ports_.size(); ++pi)
            C10M_LOG(INFO, "port %u: %s", fwd_ports_[pi],
                     pp_.own_tx_queues[pi]
                         ? "each worker sends on a tx queue of its own"
                         : "workers send through a tx ring to the rx lcore owning the tx queue "
                           "(fewer tx queues than workers)");
    } else {
        rtc_ = map_queues(in_);
        for (const auto &w : rtc_.warnings)
            C10M_LOG(WARNING, "%s", w.c_str());
    }
}

void Runner::pools() {
    // Ports are configured first: that settles the descriptor counts the pools are
    // sized from. Their queues are set up in ports(), once the pools exist.
    const Plan &rx = cfg_.pipeline ? pp_.rx : rtc_;
    ports_.reserve(fwd_ports_.size());
    for (size_t i = 0; i < fwd_ports_.size(); ++i) {
        ports_.emplace_back(fwd_ports_[i], rx.rxq[i], rx.txq[i], cfg_.rxd, cfg_.txd);
        if (io::attached_by_us(ports_.back().caps().name)) ports_.back().detach_on_close();
    }

    std::map<int, io::PoolDemand> demand;
    auto rx_side = [&](io::PoolDemand &d, uint16_t port) {
        d.rx_descriptors += this->port(port).nb_rxd() + this->port(port).caps().held_per_rxq;
    };
    auto tx_side = [&](io::PoolDemand &d, uint16_t port) {
        d.tx_descriptors += this->port(port).nb_txd() + this->port(port).caps().held_per_txq;
    };
    if (!cfg_.pipeline) {
        for (const auto &lp : rtc_.lcores) {
            auto &d = demand[lp.socket];
            d.lcores += 1;
            d.burst = cfg_.burst;
            d.extra += mode_.held_per_lcore;
            for (const auto &s : lp.streams) {
                d.streams += 1;
                rx_side(d, s.rx_port);
                tx_side(d, s.tx_port);
            }
            for (const auto &t : lp.tx_only) {
                d.streams += 1;  // its tx buffer
                tx_side(d, t.port);
            }
        }
    } else {
        // Every mbuf comes from an rx lcore's pool; the rings, the workers' buffers
        // and held segments are counted on the socket of the lcore that fills them.
        for (const auto &lp : pp_.rx.lcores) {
            auto &d = demand[lp.socket];
            d.lcores += 1;
            d.burst = cfg_.burst;
            for (const auto &s : lp.streams) {
                d.streams += 1 + static_cast<unsigned>(pp_.workers.size());  // staging per worker
                rx_side(d, s.rx_port);
            }
        }
        for (const auto &w : pp_.workers) {
            auto &d = demand[w.socket];
            d.lcores += 1;
            d.burst = cfg_.burst;
            d.extra += mode_.held_per_lcore;
            d.streams += static_cast<unsigned>(w.tx.size());
            for (const auto &t : w.tx)
                if (t.ring < 0) tx_side(d, t.port);
        }
        for (const auto &r : pp_.rings) {
            const int socket = [&] {
                for (const auto &lp : pp_.rx.lcores)
                    if (lp.lcore == r.producer) return lp.socket;
                for (const auto &w : pp_.workers)
                    if (w.lcore == r.producer) return w.socket;
                return r.socket;
            }();
            demand[socket].extra += cfg_.ring_size;
            if (r.kind == RingPlan::Kind::tx) tx_side(demand[r.socket], r.port);
        }
    }
    for (const auto &[socket, d] : demand) {
        const uint32_t n = cfg_.total_num_mbufs.value_or(io::mempool_size(d));
        pools_.emplace(socket,
                       io::Mempool("c10m_s" + std::to_string(socket), n, io::mempool_cache_for(n),
                                   cfg_.mbuf_size, socket, mode_.mbuf_priv));
        C10M_LOG(INFO, "mempool c10m_s%d: %u mbufs of %u bytes on socket %d", socket, n,
                 cfg_.mbuf_size, socket);
    }
}

// Sets up an rx queue; where that attaches an XDP program, the interface may refuse
// it, and the kernel's reason is caught from the log and carried up.
void Runner::setup_rx(io::Port &port, uint16_t q, int socket) {
    rte_mempool *mp = pool(socket);
    if (!port.caps().rx_setup_attaches_xdp || !io::attached_by_us(port.caps().name))
        return port.setup_rx_queue(q, socket, mp);
    StderrCapture capture;
    try {
        port.setup_rx_queue(q, socket, mp);
    } catch (const SetupError &e) {
        std::string why = line_after(capture.finish(), "Kernel error message: ");
        if (why.empty()) why = e.what();
        if (cfg_.iface_pmd == config::IfacePmd::automatic)
            throw io::AfXdpUnavailable(port.caps().name, why);
        throw SetupError("--iface: AF_XDP port " + port.caps().name + " failed (" + why +
                         "); use --iface-pmd af_packet or auto");
    }
    capture.finish();
    if (q == 0)
        C10M_LOG(INFO, "port %s: the interface took the XDP program", port.caps().name.c_str());
}

void Runner::ports() {
    // Each rx queue on its poller's socket with that socket's pool; each tx queue on
    // the socket of the lcore that sends on it.
    std::map<std::pair<uint16_t, uint16_t>, bool> tx_done;
    auto setup_tx = [&](uint16_t port, uint16_t queue, int socket) {
        if (tx_done[{port, queue}]) return;
        this->port(port).setup_tx_queue(queue, socket);
        tx_done[{port, queue}] = true;
    };
    const Plan &rx = cfg_.pipeline ? pp_.rx : rtc_;
    for (const auto &lp : rx.lcores)
        for (const auto &s : lp.streams)
            setup_rx(port(s.rx_port), s.rx_queue, lp.socket);
    if (!cfg_.pipeline) {
        for (const auto &lp : rtc_.lcores) {
            for (const auto &s : lp.streams)
                setup_tx(s.tx_port, s.tx_queue, lp.socket);
            for (const auto &t : lp.tx_only)
                setup_tx(t.port, t.queue, lp.socket);
        }
    } else {
        for (const auto &w : pp_.workers)
            for (const auto &t : w.tx)
                if (t.ring < 0) setup_tx(t.port, t.queue, w.socket);
        for (const auto &r : pp_.rings)
            if (r.kind == RingPlan::Kind::tx) {
                int socket = r.socket;
                for (const auto &lp : pp_.rx.lcores)
                    if (lp.lcore == r.consumer) socket = lp.socket;
                setup_tx(r.port, r.queue, socket);
            }
    }
    for (auto &p : ports_)
        for (uint16_t q = 0; q < p.nb_txq(); ++q)
            setup_tx(p.id(), q, in_.main_lcore.socket);

    for (auto &p : ports_) {
        if (cfg_.mode == config::ForwardMode::echo) {
            bool has = false;
            for (const auto &a : cfg_.ips) {
                if (a.port != p.id()) continue;
                has = true;
                C10M_LOG(INFO, "port %u: %s/%u", p.id(), net::ipv4_text(a.addr).c_str(), a.len);
            }
            if (!has)
                C10M_LOG(WARNING, "port %u has no --ip: it will count and drop what it receives",
                         p.id());
        }
        p.start();
        const auto &c = p.caps();
        C10M_LOG(INFO,
                 "port %u (%s, %s, socket %d, %s): %u rxq x %u desc, %u txq x %u desc, RSS %s",
                 p.id(), c.name.c_str(), c.driver.c_str(), c.socket, mac_text(c.mac).c_str(),
                 p.nb_rxq(), p.nb_rxd(), p.nb_txq(), p.nb_txd(), p.rss() ? "symmetric" : "off");
    }
    for (auto &[socket, pool] : pools_) {
        pool.mark_baseline();
        // What the ports leave is what every lcore receives, holds and sends with.
        const uint32_t spare = pool.size() - std::min(pool.size(), pool.baseline());
        if (spare < 4u * cfg_.burst * static_cast<uint32_t>(ports_.size()) + 512u)
            C10M_LOG(WARNING,
                     "mempool c10m_s%d: the ports hold %u of its %u mbufs once started, leaving "
                     "%u to receive and send with: raise --total-num-mbufs or lower --rxd",
                     socket, pool.baseline(), pool.size(), spare);
    }

    for (const auto &r : pp_.rings)
        rings_.push_back(
            std::make_unique<Ring>(r.name, cfg_.ring_size, r.socket, r.producer, r.consumer));
}

int Runner::teardown(Supervisor &sup) {
    // The loops drained their buffers and the rings on the way out; read the port
    // counters, then stop and close the ports so their queues give back every mbuf.
    stats::Sample final_sample = sup.sample(rte_rdtsc(), true);
    int status = 0;
    for (const auto &r : rings_) {
        void *m;
        unsigned left = 0;
        while (rte_ring_dequeue(r->get(), &m) == 0) {
            rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
            ++left;
        }
        if (left) {
            C10M_LOG(ERR, "ring %s: %u packets left in it after the loops stopped",
                     r->name().c_str(), left);
            status = 1;
        }
    }
    for (auto &p : ports_)
        p.close();
    final_sample.pools.clear();
    // What a PMD may keep after close (an AF_XDP port's completion ring: on a NIC in
    // zero-copy mode completions may still be on their way), and no more.
    uint64_t pmd_kept = 0;
    for (const auto &p : ports_)
        pmd_kept += uint64_t{p.caps().held_per_txq} * p.nb_txq();
    for (const auto &[socket, pool] : pools_) {
        final_sample.pools.push_back({"c10m_s" + std::to_string(socket), socket, pool.size(),
                                      pool.in_use(), pool.baseline()});
        if (pool.in_use() > pool.baseline() + pmd_kept) {
            C10M_LOG(ERR, "mempool c10m_s%d: %u mbufs still in use after the ports closed (leak)",
                     socket, pool.in_use());
            status = 1;
        } else if (pool.in_use() != 0) {
            C10M_LOG(NOTICE,
                     "mempool c10m_s%d: %u mbufs kept by a PMD after close (it held %u at start)",
                     socket, pool.in_use(), pool.baseline());
        }
    }
    sup.print(final_sample);
    return status;
}

}  // namespace c10m::pipeline
