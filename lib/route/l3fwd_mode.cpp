#include "route/l3fwd_mode.hpp"

#include <rte_cycles.h>
#include <rte_malloc.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "common/log.hpp"
#include "net/addr.hpp"

namespace c10m::route {

namespace {

// Neighbour timing, as the kernel's defaults: ARP requests 1 s apart, 3 of them;
// an answer is good for 30 s (the kernel picks 15-45 s); unused stale entries go
// after 60 s. The table is scanned 10 times a second.
constexpr double kRetransSeconds = 1.0;
constexpr double kReachableSeconds = 30.0;
constexpr double kGcStaleSeconds = 60.0;
constexpr double kScanSeconds = 0.1;

// One route table per socket, built from the configuration by the first lcore there
// and shared read-only by every lcore on it.
struct Tables {
    FibSpec spec;
    std::map<int, std::unique_ptr<Lpm>> by_socket;
    std::map<int, unsigned> users;
};
Tables *g_tables = nullptr;

const Lpm *table_for(const pipeline::LcoreEnv &env) {
    if (!g_tables) {
        std::vector<uint16_t> ports;
        for (const auto &p : *env.ports)
            ports.push_back(p.id);
        for (uint16_t p : ports)
            if (std::none_of(env.cfg.ips.begin(), env.cfg.ips.end(),
                             [&](const auto &a) { return a.port == p; }))
                throw UsageError(
                    "--ip: expected an address on every forwarding port in l3fwd "
                    "mode (it answers ARP and ICMP there), port " +
                    std::to_string(p) + " has none");
        for (const auto &m : env.cfg.mtus)
            if (std::find(ports.begin(), ports.end(), m.port) == ports.end())
                throw UsageError("--mtu: expected a forwarding port, got port " +
                                 std::to_string(m.port));
        auto t = std::make_unique<Tables>();
        t->spec = build_fib(env.cfg, ports);
        g_tables = t.release();
    }
    auto &lpm = g_tables->by_socket[env.socket];
    if (!lpm) {
        lpm = std::make_unique<Lpm>(g_tables->spec, env.socket,
                                    "c10m_lpm_s" + std::to_string(env.socket));
        C10M_LOG(INFO, "l3fwd: route table on socket %d: %zu prefixes, %zu next hops", env.socket,
                 lpm->nb_prefixes(), lpm->nb_nexthops());
    }
    ++g_tables->users[env.socket];
    return lpm.get();
}

void table_done(int socket) noexcept {
    if (!g_tables) return;
    if (--g_tables->users[socket] == 0) g_tables->by_socket.erase(socket);
    if (g_tables->by_socket.empty()) {
        delete g_tables;
        g_tables = nullptr;
    }
}

uint64_t ticks(double seconds, uint64_t hz) {
    return static_cast<uint64_t>(seconds * static_cast<double>(hz));
}

}  // namespace

uint32_t L3fwd::held_mbufs_per_lcore(const config::AppConfig &) {
    return Neighbours::kMaxHeld;
}

void L3fwd::init(Lcore &l, const pipeline::LcoreEnv &env) {
    const auto &cfg = env.cfg;
    l.view.lpm = table_for(env);
    l.socket = env.socket;
    l.pool = env.pool;
    l.hops = static_cast<HopSlot *>(rte_zmalloc_socket(
        "c10m_l3fwd_hops", l.view.lpm->nb_nexthops() * sizeof(HopSlot), 64, env.socket));
    if (!l.hops)
        throw SetupError("l3fwd: no memory on socket " + std::to_string(env.socket) +
                         " for lcore " + std::to_string(env.lcore) + "'s next-hop slots");
    for (const auto &p : *env.ports) {
        PortIf &pi = l.view.ports[p.id];
        pi.forwarding = true;
        pi.set_mac(p.mac.addr_bytes);
        l.neigh.set_port_mac(p.id, p.mac.addr_bytes);
        pi.mtu = config::mtu_of(cfg, p.id);
        l.out[p.id] = env.port_out[p.id];
        if (!l.out[p.id])
            throw SetupError("internal: lcore " + std::to_string(env.lcore) +
                             " has no tx buffer on port " + std::to_string(p.id));
    }
    l.view.min_mtu = UINT16_MAX;
    for (const auto &p : *env.ports)
        l.view.min_mtu = std::min(l.view.min_mtu, l.view.ports[p.id].mtu);
    for (const auto &a : cfg.ips) {
        PortIf &pi = l.view.ports[a.port];
        pi.host.has_ip = true;
        pi.host.ip = a.addr;
        pi.host.bcast = a.len >= 31 ? 0xffffffffu : net::Ipv4Prefix{a.addr, a.len}.broadcast();
        l.view.add_own(a.addr);
        if (a.len < 31) l.view.add_own(pi.host.bcast);
    }
    l.icmp.icmp_error.configure(cfg.icmp_rate, config::kIcmpBurst, env.tsc_hz, env.now);
    l.icmp.icmp_echo.configure(cfg.icmp_echo_rate, config::kIcmpBurst, env.tsc_hz, env.now);
    l.neigh.configure({ticks(kRetransSeconds, env.tsc_hz), ticks(kReachableSeconds, env.tsc_hz),
                       ticks(kGcStaleSeconds, env.tsc_hz)});
    for (const auto &n : cfg.neighbors) {
        Neighbours::Entry *e =
            l.neigh.create(n.port, n.ip, Neighbours::State::permanent, UINT64_MAX, false);
        if (!e)
            throw UsageError("--neighbor: too many static neighbours alike (hash bucket full at " +
                             net::ipv4_text(n.ip) + ")");
        std::copy(n.mac.begin(), n.mac.end(), e->mac);
    }
    l.scan_period = ticks(kScanSeconds, env.tsc_hz);
    l.next_scan = env.now + l.scan_period;
}

void L3fwd::init(Lcore &, Stream &s, const pipeline::StreamEnv &env) {
    s.port = env.rx.id;
    s.announces = env.speaks_for_port;
    s.csum_flags = env.rx.rx_ip_csum_flags;
}

void L3fwd::release(Lcore &l) noexcept {
    l.neigh.for_each_held([](rte_mbuf *m) { rte_pktmbuf_free(m); });
}

void L3fwd::fini(Lcore &l) noexcept {
    rte_free(l.hops);
    l.hops = nullptr;
    if (l.view.lpm) table_done(l.socket);
    l.view.lpm = nullptr;
}

void L3fwd::report(const Lcore &, stats::Sample &) {}

void L3fwd::forward_slow(Lcore &l, Neighbours::Entry *e, rte_mbuf *m, uint8_t *f, const Decision &d,
                         uint16_t rx_port, net::TxSink &tx, uint64_t now, stats::Tally &t,
                         rte_mbuf **kept_at, uint16_t &kept) noexcept {
    using State = Neighbours::State;
    if (!e) {
        e = l.neigh.create(d.port, d.hop, State::incomplete, now, true);
        if (!e) {
            rte_pktmbuf_free(m);
            t.add(stats::Drop::l3_neigh_full);
            return;
        }
        l.neigh.queue(*e);  // its first ARP request, once the burst is done
    }
    if (d.options) t.add(stats::Event::l3_options_forwarded);
    if (e->state == State::reachable && now >= e->deadline) {
        e->state = State::stale;
        e->deadline = now + l.neigh.timers().gc_stale;
    }
    if (e->state == State::stale) {  // used: confirm it (unicast probes), meanwhile use it
        e->state = State::probe;
        e->probes = 0;
        e->deadline = now;
        l.neigh.queue(*e);
    }
    if (e->usable()) {
        rewrite(m, f, d.total, *e);
        t.add(stats::Event::l3_forwarded);
        emit(m, l.out[d.port], tx, kept_at, kept);
        return;
    }
    // Incomplete: it waits, its TTL spent already (as the kernel's); its MACs are
    // written when it leaves, so a failure can still answer its sender.
    decrement_ttl(f + 14);
    m->data_len = static_cast<uint16_t>(14 + d.total);
    m->pkt_len = m->data_len;
    m->port = rx_port;
    rte_mbuf *out = l.neigh.hold(*e, m);
    if (out) {
        rte_pktmbuf_free(out);
        t.add(stats::Drop::l3_hold_full);
    }
    if (out != m) t.add(stats::Event::l3_held);
}

bool L3fwd::error(Lcore &l, rte_mbuf *m, uint8_t *f, const Decision &d, uint16_t rx_port,
                  uint64_t now, stats::Tally &t) noexcept {
    t.add(d.drop);
    const uint8_t *ip = f + 14;
    const uint32_t ihl = (ip[0] & 0xfu) * 4;
    const bool frag_needed = d.type == 3 && d.code == 4;
    // Fragmentation needed is not rate-limited (path MTU discovery depends on it and
    // it is smaller than what it answers), as in the kernel.
    if (!may_send_icmp_error(f, ip, ihl, d.total) ||
        (!frag_needed && !l.icmp.icmp_error.take(now))) {
        t.add(stats::Event::icmp_error_suppressed);
        return false;
    }
    const PortIf &rx = l.view.ports[rx_port];
    const uint32_t quote = std::min<uint32_t>(d.total, kIcmpQuoteMax);
    uint8_t *start;
    if (rte_pktmbuf_headroom(m) >= 28) {
        start = f - 28;
        m->data_off = static_cast<uint16_t>(m->data_off - 28);
    } else if (rte_pktmbuf_tailroom(m) + rte_pktmbuf_data_len(m) >= 42 + quote) {
        start = f;
    } else {
        t.add(stats::Event::icmp_error_suppressed);
        return false;
    }
    const uint32_t n = icmp_error_over(f, start, d.total, rx.host.mac, rx.host.ip, l.ip_id++,
                                       d.type, d.code, frag_needed ? d.mtu : 0);
    m->data_len = static_cast<uint16_t>(n);
    m->pkt_len = n;
    net::clear_rx_flags(m);
    switch (d.type) {
        case 11:
            t.add(stats::Event::icmp_time_exceeded);
            break;
        default:
            t.add(d.code == 0   ? stats::Event::icmp_net_unreachable
                  : d.code == 1 ? stats::Event::icmp_host_unreachable
                  : d.code == 4 ? stats::Event::icmp_frag_needed
                                : stats::Event::icmp_unreachable);
    }
    return true;
}

bool L3fwd::local(Lcore &l, rte_mbuf *m, uint8_t *f, const Decision &d, uint16_t rx_port,
                  uint64_t now, stats::Tally &t) noexcept {
    const PortIf &rx = l.view.ports[rx_port];
    const HostVerdict v = host_path(f, d.total, rx, l.icmp, l.ip_id, net::rx_l4_csum(m), now);
    switch (v.kind) {
        case HostVerdict::Kind::reply:
            if (v.event == stats::Event::tcp_rst_sent) ++l.ip_id;  // the RST took it
            m->data_len = v.len;
            m->pkt_len = v.len;
            net::clear_rx_flags(m);
            t.add(v.event);
            if (v.drop != stats::Drop::count_) t.add(v.drop);  // a RST: the segment is dropped
            return true;
        case HostVerdict::Kind::error: {
            Decision e = d;
            e.drop = v.drop;
            e.type = v.type;
            e.code = v.code;
            return error(l, m, f, e, rx_port, now, t);
        }
        case HostVerdict::Kind::drop:
            break;
    }
    t.add(v.drop);
    return false;
}

bool L3fwd::arp(Lcore &l, rte_mbuf *m, uint8_t *f, uint16_t rx_port, uint64_t now,
                stats::Tally &t) noexcept {
    using State = Neighbours::State;
    const PortIf &rx = l.view.ports[rx_port];
    const ArpInfo a = parse_arp(f, rte_pktmbuf_data_len(m), rx);
    if (!a.ok) {
        t.add(a.drop);
        return false;
    }
    bool learned = false;
    if (a.spa != 0) {
        Neighbours::Entry *e = l.neigh.find(rx_port, a.spa);
        if (e) {
            // Any ARP from a neighbour we know confirms it (the kernel's arp_process).
            l.neigh.confirm(*e, a.sha, now);
            if (e->nheld) l.neigh.queue(*e);
            learned = true;
        } else if (a.op == 1 && a.tpa == rx.host.ip) {
            // Who asks for us will likely be sent to: kept, stale, if there is room.
            e = l.neigh.create(rx_port, a.spa, State::stale, now + l.neigh.timers().gc_stale,
                               false);
            if (e) std::memcpy(e->mac, a.sha, 6);
        }
    }
    if (a.op == 1 && a.tpa == rx.host.ip) {
        const uint32_t n = arp_reply_in_place(f, rx);
        m->data_len = static_cast<uint16_t>(n);
        m->pkt_len = n;
        net::clear_rx_flags(m);
        t.add(stats::Event::arp_reply);
        return true;
    }
    if (learned)
        t.add(stats::Event::arp_learned);
    else
        t.add(stats::Drop::arp_not_ours);
    return false;
}

void L3fwd::service(Lcore &l, Neighbours::Entry &e, uint64_t now, stats::Tally &t) noexcept {
    using State = Neighbours::State;
    auto request = [&](const uint8_t *to) {
        rte_mbuf *r = rte_pktmbuf_alloc(l.pool);
        char *data = r ? rte_pktmbuf_append(r, 42) : nullptr;
        if (!data) {
            if (r) rte_pktmbuf_free(r);
            t.add(stats::Event::arp_no_mbuf);
            return;
        }
        write_arp_request(reinterpret_cast<uint8_t *>(data), l.view.ports[e.port], e.ip, to);
        l.out[e.port]->push(r);
        ++l.pushed;
        t.add(stats::Event::arp_request_sent);
    };
    if (e.usable() && e.nheld) {
        rte_mbuf *held[Neighbours::kHoldPerEntry];
        const uint8_t n = l.neigh.take_held(e, held);
        for (uint8_t i = 0; i < n; ++i) {
            auto *f = rte_pktmbuf_mtod(held[i], uint8_t *);
            std::memcpy(f, e.mac, 12);
            net::clear_rx_flags(held[i]);
            l.out[e.port]->push(held[i]);
            t.add(stats::Event::l3_forwarded);
        }
        l.pushed += n;
    }
    if (now < e.deadline) return;
    switch (e.state) {
        case State::incomplete:
            if (e.probes < Neighbours::kProbes) {
                request(nullptr);
                ++e.probes;
                e.deadline = now + l.neigh.timers().retrans;
                return;
            } else {
                // Never answered: what waited gets host unreachable, back the way it came.
                rte_mbuf *held[Neighbours::kHoldPerEntry];
                const uint8_t n = l.neigh.take_held(e, held);
                for (uint8_t i = 0; i < n; ++i) {
                    rte_mbuf *m = held[i];
                    auto *f = rte_pktmbuf_mtod(m, uint8_t *);
                    const auto total = static_cast<uint16_t>(rte_pktmbuf_data_len(m) - 14);
                    Decision d{Fate::error};
                    d.drop = stats::Drop::l3_unresolved;
                    d.type = 3;
                    d.code = 1;
                    d.total = total;
                    const uint16_t rx_port = m->port;
                    if (error(l, m, f, d, rx_port, now, t)) {
                        l.out[rx_port]->push(m);
                        ++l.pushed;
                    } else {
                        rte_pktmbuf_free(m);
                    }
                }
                t.add(stats::Event::neigh_failed);
                l.neigh.remove(e);
            }
            return;
        case State::probe:
            if (e.probes < Neighbours::kProbes) {
                request(e.mac);
                ++e.probes;
                e.deadline = now + l.neigh.timers().retrans;
            } else {
                l.neigh.remove(e);  // the next packet resolves it anew
            }
            return;
        case State::reachable:
            e.state = State::stale;
            e.deadline = now + l.neigh.timers().gc_stale;
            return;
        case State::stale:
            l.neigh.remove(e);
            return;
        case State::free:
        case State::permanent:
            return;
    }
}

}  // namespace c10m::route
