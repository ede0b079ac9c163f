#include "host/echo_mode.hpp"

#include <rte_malloc.h>

#include <algorithm>
#include <new>
#include <string>

#include <sys/random.h>

#include "common/error.hpp"
#include "common/log.hpp"
#include "net/addr.hpp"

namespace c10m::host {

namespace {

// ARP entries age out after this long (the kernel's gc_stale_time is 60 s; many
// hosts keep them minutes).
constexpr uint64_t kNeighbourAgeSeconds = 300;

// Echo segments TCP may hold per lcore (sent, not yet acknowledged, or waiting for
// the peer's window): the pool is sized for them, and past this a connection's new
// data is dropped (and re-ACKed) rather than starving the rx queues of mbufs.
constexpr uint32_t kTcpHeldPerLcore = 8192;

bool tcp_on(const config::AppConfig &cfg) {
    return !cfg.tcp_ports.empty();
}

uint64_t random64() {
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v))
        throw SetupError("getrandom failed: cannot key the SYN cookies");
    return v;
}

}  // namespace

uint16_t Echo::mbuf_priv_bytes(const config::AppConfig &cfg) {
    return tcp_on(cfg) ? tcp::kMbufPrivBytes : 0;
}

uint32_t Echo::held_mbufs_per_lcore(const config::AppConfig &cfg) {
    return tcp_on(cfg) ? kTcpHeldPerLcore : 0;
}

void Echo::init(Lcore &l, const pipeline::LcoreEnv &env) {
    const auto &cfg = env.cfg;
    l.echo.icmp_error.configure(cfg.icmp_rate, config::kIcmpBurst, env.tsc_hz, env.now);
    l.echo.icmp_echo.configure(cfg.icmp_echo_rate, config::kIcmpBurst, env.tsc_hz, env.now);
    for (uint16_t p : cfg.udp_ports)
        l.udp_ports.add(p);
    if (!tcp_on(cfg)) return;

    // TCP-lite: one engine per lcore, it and its flow table in hugepages on the
    // lcore's socket.
    tcp::Settings ts;
    ts.max_flows = std::max<uint32_t>(1, cfg.max_flows / std::max(env.nb_lcores, 1u));
    ts.window = cfg.tcp_window;
    ts.idle_ms = cfg.tcp_idle_timeout * 1000u;
    ts.ports = cfg.tcp_ports;
    ts.cookie_key = {random64(), random64()};
    ts.hash_seed = random64();
    // Never more than half of this lcore's share of what the ports leave of the pool:
    // held echo must leave mbufs to receive with, or the ACKs and RSTs that would
    // free it could not come in (a tiny --total-num-mbufs deadlocked so, over tap).
    ts.max_held = std::max<uint32_t>(
        16, std::min<uint32_t>(kTcpHeldPerLcore, env.pool_spare / 2 / std::max(env.nb_lcores, 1u)));
    ts.mss_limit = 0xffff;  // lowered by each stream (init below)
    const size_t bytes = tcp::Engine::memory_bytes(ts);
    l.tcp_mem = rte_zmalloc_socket("c10m_tcp_flows", bytes, RTE_CACHE_LINE_SIZE, env.socket);
    void *obj =
        rte_zmalloc_socket("c10m_tcp_engine", sizeof(tcp::Engine), RTE_CACHE_LINE_SIZE, env.socket);
    if (!l.tcp_mem || !obj) {
        rte_free(obj);
        rte_free(l.tcp_mem);
        l.tcp_mem = nullptr;
        throw SetupError("cannot allocate the TCP flow table (" + std::to_string(ts.max_flows) +
                         " flows, " + std::to_string(bytes >> 20) + " MB on socket " +
                         std::to_string(env.socket) +
                         "): reserve more hugepages (hugepages/setup) or lower --max-flows");
    }
    l.tcp = new (obj) tcp::Engine(ts, l.tcp_mem, env.pool, env.tsc_hz, env.now);
    std::string ports;
    for (uint16_t p : cfg.tcp_ports) {
        if (!ports.empty()) ports += ',';
        ports += std::to_string(p);
    }
    C10M_LOG(INFO,
             "lcore %u: tcp echo on port %s; %u flows (%zu bytes each: a %zu-byte record, hash "
             "slots and free list), %zu MB of hugepages on socket %d; window %u bytes, idle "
             "timeout %u s",
             env.lcore, ports.c_str(), l.tcp->capacity(), tcp::kBytesPerFlow, sizeof(tcp::Conn),
             l.tcp->table_bytes() >> 20, env.socket, cfg.tcp_window, cfg.tcp_idle_timeout);
}

void Echo::init(Lcore &l, Stream &s, const pipeline::StreamEnv &env) {
    std::copy(env.rx.mac.addr_bytes, env.rx.mac.addr_bytes + 6, s.host.mac);
    for (const auto &a : env.cfg.ips) {
        if (a.port != env.rx.id) continue;
        s.host.has_ip = true;
        s.host.ip = a.addr;
        // RFC 3021: a /31 (or /32) has no subnet broadcast address.
        s.host.bcast = a.len >= 31 ? 0xffffffffu : net::Ipv4Prefix{a.addr, a.len}.broadcast();
    }
    s.neigh.set_max_age(kNeighbourAgeSeconds * rte_get_tsc_hz());
    s.announces = env.speaks_for_port;
    if (!l.tcp) return;
    const int idx = l.tcp->add_stream(env.out, &s.host);
    if (idx < 0) throw SetupError("internal: too many TCP streams on one lcore");
    s.tcp_stream = static_cast<uint8_t>(idx);
    // TCP's MSS on a port: what its MTU and our mbufs carry in one segment.
    const uint32_t by_mbuf = env.cfg.mbuf_size - RTE_PKTMBUF_HEADROOM - 14 - 40;
    l.tcp->limit_mss(static_cast<uint16_t>(std::min<uint32_t>(env.tx.mtu - 40u, by_mbuf)));
}

void Echo::release(Lcore &l) noexcept {
    // Connections still open let go of the echo data they hold (no RST: we are
    // going, and a peer learns that from its next segment). The first few are
    // described, for whoever wonders why they were still open.
    if (!l.tcp) return;
    if (l.tcp->active()) {
        C10M_LOG(NOTICE, "tcp: %u connections open at exit", l.tcp->active());
        unsigned shown = 0;
        const uint32_t now_ms = l.tcp->tick();
        l.tcp->for_each_conn([&](const tcp::Conn &c) {
            if (shown++ >= 5) return;
            C10M_LOG(NOTICE,
                     "tcp:   %s:%u -> port %u state %u flags 0x%02x snd una %u nxt %u max %u end "
                     "%u wnd %u rcv nxt %u held %s; silent %u ms",
                     net::ipv4_text(c.key.raddr).c_str(), c.key.rport, c.key.lport,
                     static_cast<unsigned>(c.state), c.flags, c.snd_una, c.snd_nxt, c.snd_max,
                     c.snd_end, c.snd_wnd, c.rcv_nxt, c.head ? "yes" : "no", now_ms - c.last_rx);
        });
    }
    l.tcp->release_all();
}

void Echo::fini(Lcore &l) noexcept {
    if (l.tcp) {
        l.tcp->~Engine();
        rte_free(l.tcp);
        l.tcp = nullptr;
    }
    rte_free(l.tcp_mem);
    l.tcp_mem = nullptr;
}

void Echo::report(const Lcore &l, stats::Sample &s) {
    if (!l.tcp) return;
    s.tcp.on = true;
    s.tcp.max_flows += l.tcp->capacity();
    s.tcp.table_bytes += l.tcp->table_bytes();
    s.tcp.held += l.tcp->held();
    s.tcp.timer_visits += l.tcp->timer_visits();
    s.tcp.bytes_per_flow = tcp::kBytesPerFlow;
    s.tcp.record_bytes = sizeof(tcp::Conn);
}

}  // namespace c10m::host
