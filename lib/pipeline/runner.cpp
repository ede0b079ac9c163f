#include "pipeline/runner.hpp"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <thread>

#include <sys/random.h>

#include "common/capture.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "fwd/io.hpp"
#include "fwd/mac.hpp"
#include "fwd/macswap.hpp"
#include "host/echo_mode.hpp"
#include "io/iface.hpp"
#include "io/mempool.hpp"
#include "io/port.hpp"
#include "pipeline/lcore.hpp"
#include "pipeline/mapping.hpp"
#include "stats/report.hpp"
#include "stats/telemetry.hpp"
#include "tcp/engine.hpp"

namespace c10m::pipeline {

namespace {

constexpr uint64_t kDrainUs = 100;
constexpr unsigned kAfXdpRingSize =
    2048;  // XSK_RING_CONS__DEFAULT_NUM_DESCS  // flush partly filled tx buffers after this long

// ARP entries age out after this long (the kernel's gc_stale_time is 60 s; many hosts keep them
// minutes).
constexpr uint64_t kNeighbourAgeSeconds = 300;

extern "C" void on_signal(int) {
    request_stop();
}

// The port's identity as a host, from --ip.
host::PortHost port_host(const config::AppConfig &cfg, const io::Port &port) {
    host::PortHost h;
    std::copy(port.caps().mac.addr_bytes, port.caps().mac.addr_bytes + 6, h.mac);
    for (const auto &a : cfg.ips) {
        if (a.port != port.id()) continue;
        h.has_ip = true;
        h.ip = a.addr;
        // RFC 3021: a /31 (or /32) has no subnet broadcast address.
        h.bcast = a.len >= 31 ? 0xffffffffu : host::Ipv4Prefix{a.addr, a.len}.broadcast();
    }
    return h;
}

std::string mac_text(const rte_ether_addr &a) {
    char buf[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(buf, sizeof buf, &a);
    return buf;
}

// Frees an LcoreContext allocated with rte_zmalloc_socket.
struct ContextDeleter {
    void operator()(LcoreContext *c) const {
        c->~LcoreContext();
        rte_free(c);
    }
};
using ContextPtr = std::unique_ptr<LcoreContext, ContextDeleter>;

bool tcp_on(const config::AppConfig &cfg) {
    return cfg.mode == config::ForwardMode::echo && !cfg.tcp_ports.empty();
}

// Echo segments TCP may hold per lcore (sent, not yet acknowledged, or waiting for
// the peer's window): the pool is sized for them, and past this a connection's new
// data is dropped (and re-ACKed) rather than starving the rx queues of mbufs.
constexpr uint32_t kTcpHeldPerLcore = 8192;

uint64_t random64() {
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v))
        throw SetupError("getrandom failed: cannot key the SYN cookies");
    return v;
}

// TCP's MSS on a port: what its MTU and our mbufs carry in one segment.
uint16_t tcp_mss_limit(const config::AppConfig &cfg, uint16_t port) {
    uint16_t mtu = 1500;
    if (rte_eth_dev_get_mtu(port, &mtu) != 0 || mtu < 576) mtu = 1500;
    const uint32_t by_mbuf = cfg.mbuf_size - RTE_PKTMBUF_HEADROOM - 14 - 40;
    return static_cast<uint16_t>(std::min<uint32_t>(mtu - 40u, by_mbuf));
}

ContextPtr make_context(int socket) {
    void *mem = rte_zmalloc_socket("c10m_lcore", sizeof(LcoreContext), RTE_CACHE_LINE_SIZE, socket);
    if (!mem) throw SetupError("cannot allocate lcore context on socket " + std::to_string(socket));
    return ContextPtr(new (mem) LcoreContext());
}

// The main lcore's duties: stats every --stats-period, stop after --duration.
class Supervisor {
  public:
    static constexpr bool kActive = true;

    Supervisor(const config::AppConfig &cfg, const std::vector<io::Port> &ports,
               const std::vector<LcoreContext *> &lcores, const std::map<int, io::Mempool> &pools)
        : cfg_(cfg), ports_(ports), lcores_(lcores), pools_(pools), hz_(rte_get_tsc_hz()) {
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

    bool due(uint64_t now) const noexcept { return now >= next_; }
    void set_tcp(const stats::TcpSample &t) { tcp_ = t; }

    void run(uint64_t now) noexcept {
        if (end_tsc_ && now >= end_tsc_) request_stop();
        if (now >= next_stats_) {
            print(sample(now, false));
            while (next_stats_ <= now)
                next_stats_ += period_tsc_;
        }
        next_ = std::min(next_stats_, end_tsc_ ? end_tsc_ : UINT64_MAX);
    }

    stats::Sample sample(uint64_t now, bool final) const {
        stats::Sample s;
        s.t = static_cast<double>(now - start_) / static_cast<double>(hz_);
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
            for (const auto *l : lcores_)
                ps.tx_full += l->counters.tx_full[p.id()].get();
            s.ports.push_back(ps);
        }
        for (const auto *l : lcores_) {
            stats::LcoreSample ls;
            ls.lcore = l->lcore;
            ls.pkts = l->counters.pkts.get();
            ls.busy_cycles = l->counters.busy_cycles.get();
            for (size_t r = 0; r < stats::kDropReasons; ++r)
                ls.drops[r] = l->counters.drops[r].get();
            for (size_t e = 0; e < stats::kEvents; ++e)
                ls.events[e] = l->counters.events[e].get();
            s.lcores.push_back(ls);
        }
        for (const auto &[socket, pool] : pools_)
            s.pools.push_back({"c10m_s" + std::to_string(socket), socket, pool.size(),
                               pool.in_use(), pool.baseline()});
        s.tcp = tcp_;
        return s;
    }

    // Rates over the last period; the final sample's rates cover the whole run.
    void print(const stats::Sample &s) noexcept {
        const stats::Sample *prev = (prev_ && !s.final) ? &*prev_ : nullptr;
        const std::string text = cfg_.stats_format == config::StatsFormat::json
                                     ? stats::format_json(s, prev)
                                     : stats::format_text(s, prev);
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        prev_ = s;
    }

    uint64_t start() const { return start_; }

  private:
    const config::AppConfig &cfg_;
    const std::vector<io::Port> &ports_;
    const std::vector<LcoreContext *> &lcores_;
    const std::map<int, io::Mempool> &pools_;
    uint64_t hz_, start_ = 0, period_tsc_ = 0, end_tsc_ = 0, next_stats_ = 0, next_ = 0;
    stats::TcpSample tcp_;
    std::optional<stats::Sample> prev_;
};

// Sets up an rx queue; on an AF_XDP port this is when the interface takes (or refuses)
// the XDP program, so the kernel's reason is caught from the log and carried up.
void setup_rx(const config::AppConfig &cfg, io::Port &port, uint16_t q, int socket,
              rte_mempool *pool) {
    if (port.caps().driver != "net_af_xdp" || !io::attached_by_us(port.caps().name))
        return port.setup_rx_queue(q, socket, pool);
    StderrCapture capture;
    try {
        port.setup_rx_queue(q, socket, pool);
    } catch (const SetupError &e) {
        std::string why = line_after(capture.finish(), "Kernel error message: ");
        if (why.empty()) why = e.what();
        if (cfg.iface_pmd == config::IfacePmd::automatic)
            throw io::AfXdpUnavailable(port.caps().name, why);
        throw SetupError("--iface: AF_XDP port " + port.caps().name + " failed (" + why +
                         "); use --iface-pmd af_packet or auto");
    }
    capture.finish();
    if (q == 0)
        C10M_LOG(INFO, "port %s: the interface took the XDP program", port.caps().name.c_str());
}

template <class Mode>
int worker_entry(void *arg) {
    NoDuties none;
    poll_loop<Mode>(*static_cast<LcoreContext *>(arg), none);
    return 0;
}

template <class Mode>
void launch(const std::vector<LcoreContext *> &ctxs, LcoreContext *main_ctx, Supervisor &sup) {
    for (auto *c : ctxs) {
        if (c == main_ctx) continue;
        int ret = rte_eal_remote_launch(worker_entry<Mode>, c, c->lcore);
        if (ret != 0) {
            request_stop();
            rte_eal_mp_wait_lcore();
            throw SetupError("cannot launch lcore " + std::to_string(c->lcore) + ": " +
                             std::to_string(ret));
        }
    }
    if (main_ctx) {
        poll_loop<Mode>(*main_ctx, sup);
    } else {
        while (!stop_requested()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            const uint64_t now = rte_rdtsc();
            if (sup.due(now)) sup.run(now);
        }
    }
    rte_eal_mp_wait_lcore();
}

}  // namespace

int run(const config::AppConfig &cfg) {
    const auto probed = io::probed_ports();
    if (probed.empty())
        throw UsageError(
            "no ports: bind a NIC to a DPDK driver with dpdk-devbind.py, add a virtual device with "
            "the EAL "
            "option --vdev, or put a port on a Linux interface with --iface IFNAME");
    const auto fwd_ports = select_ports(probed, cfg.portmask);

    MapInput in;
    std::vector<io::PortCaps> caps;
    for (auto id : fwd_ports) {
        caps.push_back(io::query_port(id));
        const auto &c = caps.back();
        in.ports.push_back({id, c.socket});
        in.max_rxq = std::min(in.max_rxq, c.max_rxq);
        in.max_txq = std::min(in.max_txq, c.max_txq);
    }
    const unsigned main_lcore = rte_get_main_lcore();
    in.main_lcore = {main_lcore, static_cast<int>(rte_lcore_to_socket_id(main_lcore))};
    unsigned l;
    RTE_LCORE_FOREACH_WORKER(l) {
        in.workers.push_back({l, static_cast<int>(rte_lcore_to_socket_id(l))});
    }
    in.nb_cores = cfg.nb_cores;
    in.rxq = cfg.rxq;
    in.txq = cfg.txq;
    in.queue_map = cfg.queue_map;
    in.reply_on_rx_port = cfg.mode == config::ForwardMode::echo;

    for (const auto &a : cfg.ips)
        if (std::find(fwd_ports.begin(), fwd_ports.end(), a.port) == fwd_ports.end())
            throw UsageError("--ip: expected a forwarding port, got port " +
                             std::to_string(a.port));

    for (const auto &p : cfg.eth_peers) {
        if (cfg.mode != config::ForwardMode::mac)
            throw UsageError(
                "--eth-peer: expected only with --forward-mode=mac, which is the mode that uses "
                "it");
        if (std::find(fwd_ports.begin(), fwd_ports.end(), p.port) == fwd_ports.end())
            throw UsageError("--eth-peer: expected a forwarding port, got port " +
                             std::to_string(p.port));
    }

    const Plan plan = map_queues(in);
    for (const auto &w : plan.warnings)
        C10M_LOG(WARNING, "%s", w.c_str());

    // Pools outlive ports (declared first): a port closing hands its mbufs back.
    std::map<int, io::Mempool> pools;
    // Ports: configure (queue counts), which settles the descriptor counts.
    std::vector<io::Port> ports;
    ports.reserve(fwd_ports.size());
    for (size_t i = 0; i < fwd_ports.size(); ++i) {
        ports.emplace_back(fwd_ports[i], plan.rxq[i], plan.txq[i], cfg.rxd, cfg.txd);
        if (io::attached_by_us(ports.back().caps().name)) ports.back().detach_on_close();
    }
    auto port_by_id = [&](uint16_t id) -> io::Port & {
        for (auto &p : ports)
            if (p.id() == id) return p;
        throw SetupError("internal: port " + std::to_string(id) + " not configured");
    };

    // One mempool per socket whose lcores poll, sized from what those lcores hold.
    std::map<int, io::PoolDemand> demand;
    for (const auto &lp : plan.lcores) {
        auto &d = demand[lp.socket];
        d.lcores += 1;
        d.burst = cfg.burst;
        for (const auto &s : lp.streams) {
            d.streams += 1;
            d.rx_descriptors += port_by_id(s.rx_port).nb_rxd();
            d.tx_descriptors += port_by_id(s.tx_port).nb_txd();
            // net_af_xdp fills its own fill ring and holds completed tx mbufs in its
            // completion ring, beyond the descriptor counts it reports.
            if (port_by_id(s.rx_port).caps().driver == "net_af_xdp")
                d.rx_descriptors += kAfXdpRingSize;
            if (port_by_id(s.tx_port).caps().driver == "net_af_xdp")
                d.tx_descriptors += kAfXdpRingSize;
        }
        if (tcp_on(cfg)) d.rx_descriptors += kTcpHeldPerLcore;
    }
    for (const auto &[socket, d] : demand) {
        const uint32_t n = cfg.total_num_mbufs.value_or(io::mempool_size(d));
        pools.emplace(socket, io::Mempool("c10m_s" + std::to_string(socket), n,
                                          io::mempool_cache_for(n), cfg.mbuf_size, socket));
        C10M_LOG(INFO, "mempool c10m_s%d: %u mbufs of %u bytes on socket %d", socket, n,
                 cfg.mbuf_size, socket);
    }

    // Queues: each rx queue on its poller's socket with that socket's pool; each tx
    // queue on the socket of the lcore that sends on it.
    std::map<std::pair<uint16_t, uint16_t>, bool> tx_done;
    for (const auto &lp : plan.lcores) {
        for (const auto &s : lp.streams) {
            setup_rx(cfg, port_by_id(s.rx_port), s.rx_queue, lp.socket, pools.at(lp.socket).get());
            port_by_id(s.tx_port).setup_tx_queue(s.tx_queue, lp.socket);
            tx_done[{s.tx_port, s.tx_queue}] = true;
        }
    }
    for (auto &p : ports)
        for (uint16_t q = 0; q < p.nb_txq(); ++q)
            if (!tx_done.count({p.id(), q})) p.setup_tx_queue(q, in.main_lcore.socket);
    for (auto &p : ports) {
        if (cfg.mode == config::ForwardMode::echo) {
            bool has = false;
            for (const auto &a : cfg.ips) {
                if (a.port != p.id()) continue;
                has = true;
                C10M_LOG(INFO, "port %u: %s/%u", p.id(), host::ipv4_text(a.addr).c_str(), a.len);
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
    for (auto &[socket, pool] : pools)
        pool.mark_baseline();

    // Lcore contexts, each on its own socket.
    std::vector<ContextPtr> owned;
    std::vector<LcoreContext *> ctxs;
    LcoreContext *main_ctx = nullptr;
    const uint64_t drain_tsc = (rte_get_tsc_hz() + 999999) / 1000000 * kDrainUs;
    for (const auto &lp : plan.lcores) {
        owned.push_back(make_context(lp.socket));
        LcoreContext &c = *owned.back();
        c.lcore = lp.lcore;
        c.burst = cfg.burst;
        c.drain_tsc = drain_tsc;
        c.nb_streams = static_cast<uint16_t>(lp.streams.size());
        c.pool = pools.at(lp.socket).get();
        const uint64_t hz = rte_get_tsc_hz(), now = rte_rdtsc();
        c.echo.icmp_error.configure(cfg.icmp_rate, config::kIcmpBurst, hz, now);
        c.echo.icmp_echo.configure(cfg.icmp_echo_rate, config::kIcmpBurst, hz, now);
        for (uint16_t p : cfg.udp_ports)
            c.udp_ports.add(p);
        std::string desc;
        for (size_t i = 0; i < lp.streams.size(); ++i) {
            const auto &s = lp.streams[i];
            StreamState &st = c.streams[i];
            st.rx_port = s.rx_port;
            st.rx_queue = s.rx_queue;
            st.tx.port = s.tx_port;
            st.tx.queue = s.tx_queue;
            st.tx.reclaim = port_by_id(s.tx_port).caps().driver == "net_af_xdp";
            st.fwd.tx_src = port_by_id(s.tx_port).caps().mac;
            st.fwd.peer = rte_ether_addr{{0x02, 0, 0, 0, 0, static_cast<uint8_t>(s.tx_port)}};
            for (const auto &p : cfg.eth_peers)
                if (p.port == s.tx_port)
                    std::copy(p.mac.begin(), p.mac.end(), st.fwd.peer.addr_bytes);
            st.host = port_host(cfg, port_by_id(s.rx_port));
            st.neigh.set_max_age(kNeighbourAgeSeconds * hz);
            st.fwd.host = &st.host;
            st.fwd.neigh = &st.neigh;
            st.fwd.echo = &c.echo;
            st.fwd.udp = &c.udp_ports;
            desc += " (" + std::to_string(s.rx_port) + "," + std::to_string(s.rx_queue) + ")->(" +
                    std::to_string(s.tx_port) + "," + std::to_string(s.tx_queue) + ")";
        }
        C10M_LOG(INFO, "lcore %u (socket %d) %s:%s", lp.lcore, lp.socket,
                 config::to_string(cfg.mode).data(), desc.c_str());
        ctxs.push_back(&c);
        if (lp.lcore == main_lcore) main_ctx = &c;
    }

    // TCP-lite: one engine per lcore, its flow table in hugepages on the lcore's socket.
    std::vector<std::unique_ptr<tcp::Engine>> engines;
    stats::TcpSample tcp_sample;
    if (tcp_on(cfg)) {
        tcp::Settings ts;
        ts.max_flows = std::max<uint32_t>(1, cfg.max_flows / static_cast<uint32_t>(ctxs.size()));
        ts.window = cfg.tcp_window;
        ts.idle_ms = cfg.tcp_idle_timeout * 1000u;
        ts.ports = cfg.tcp_ports;
        ts.cookie_key = {random64(), random64()};
        ts.hash_seed = random64();
        ts.max_held = kTcpHeldPerLcore;
        for (size_t i = 0; i < ctxs.size(); ++i) {
            LcoreContext &c = *ctxs[i];
            const auto &lp = plan.lcores[i];
            uint16_t mss = 0xffff;
            for (const auto &s : lp.streams)
                mss = std::min(mss, tcp_mss_limit(cfg, s.tx_port));
            ts.mss_limit = mss;
            engines.push_back(std::make_unique<tcp::Engine>(ts, c.pool, lp.socket, rte_get_tsc_hz(),
                                                            rte_rdtsc(), &c.counters));
            c.tcp = engines.back().get();
            for (size_t k = 0; k < lp.streams.size(); ++k) {
                StreamState &st = c.streams[k];
                st.fwd.tcp = c.tcp;
                st.fwd.tcp_stream =
                    c.tcp->add_stream(lp.streams[k].tx_port, lp.streams[k].tx_queue, &st.host);
            }
            tcp_sample.max_flows += c.tcp->capacity();
            tcp_sample.table_bytes += c.tcp->table_bytes();
        }
        tcp_sample.on = true;
        tcp_sample.bytes_per_flow = tcp::kBytesPerFlow;
        tcp_sample.record_bytes = sizeof(tcp::Conn);
        std::string ports_text;
        for (uint16_t p : cfg.tcp_ports)
            ports_text += (ports_text.empty() ? "" : ",") + std::to_string(p);
        C10M_LOG(INFO,
                 "tcp: echo on port %s; %lu flows (%lu bytes each: a %zu-byte record, hash slots "
                 "and free list), %lu MB of hugepages; window %u bytes, idle timeout %u s",
                 ports_text.c_str(), static_cast<unsigned long>(tcp_sample.max_flows),
                 static_cast<unsigned long>(tcp::kBytesPerFlow), sizeof(tcp::Conn),
                 static_cast<unsigned long>(tcp_sample.table_bytes >> 20), cfg.tcp_window,
                 cfg.tcp_idle_timeout);
    }

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    Supervisor sup(cfg, ports, ctxs, pools);
    sup.set_tcp(tcp_sample);
    stats::telemetry_register();
    stats::telemetry_attach([&sup] { return sup.sample(rte_rdtsc(), false); });
    // Detached on every way out of here, before the supervisor and what it reads go.
    struct Detach {
        ~Detach() { stats::telemetry_detach(); }
    } detach;
    switch (cfg.mode) {
        case config::ForwardMode::io:
            launch<fwd::Io>(ctxs, main_ctx, sup);
            break;
        case config::ForwardMode::mac:
            launch<fwd::Mac>(ctxs, main_ctx, sup);
            break;
        case config::ForwardMode::echo:
            launch<host::Echo>(ctxs, main_ctx, sup);
            break;
        case config::ForwardMode::macswap:
            launch<fwd::MacSwap>(ctxs, main_ctx, sup);
            break;
    }

    // Drained (each loop flushed its tx buffers on the way out); read the port
    // counters, then stop and close the ports so their queues give back every mbuf.
    stats::Sample final_sample = sup.sample(rte_rdtsc(), true);
    // Connections still open let go of the echo data they hold (no RST: we are
    // going, and a peer learns that from its next segment).
    for (auto &e : engines)
        e->release_all();
    for (auto &p : ports)
        p.close();
    final_sample.pools.clear();
    int status = 0;
    // net_af_xdp (22.11) returns neither the mbufs of its fill queue nor completed tx
    // mbufs it has not pulled from its completion ring when it closes. The loops end
    // with an empty tx burst on such ports, which pulls the ring, but on a NIC in
    // zero-copy mode completions may still be on their way: allow one ring, and no
    // more, above what the ports held at start.
    uint64_t pmd_kept = 0;
    for (const auto &p : ports)
        if (p.caps().driver == "net_af_xdp") pmd_kept += uint64_t{kAfXdpRingSize} * p.nb_txq();
    for (const auto &[socket, pool] : pools) {
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
