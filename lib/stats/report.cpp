#include "stats/report.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace c10m::stats {

namespace {

double rate(uint64_t now, uint64_t before, double dt) {
    return dt > 0 ? static_cast<double>(now - before) / dt : 0.0;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

const PortSample *find_port(const Sample *s, uint16_t port) {
    if (!s) return nullptr;
    for (const auto &p : s->ports)
        if (p.port == port) return &p;
    return nullptr;
}

const LcoreSample *find_lcore(const Sample *s, unsigned lcore) {
    if (!s) return nullptr;
    for (const auto &l : s->lcores)
        if (l.lcore == lcore) return &l;
    return nullptr;
}

std::string json_escape(const std::string &s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        o += c;
    }
    return o;
}

uint64_t ev(const LcoreSample &l, Event e) {
    return l.events[static_cast<size_t>(e)];
}

}  // namespace

std::vector<StageSample> stages(const Sample &s) {
    std::vector<StageSample> out;
    for (const auto &l : s.lcores) {
        StageSample *g = nullptr;
        for (auto &o : out)
            if (o.role == l.role) g = &o;
        if (!g) {
            out.push_back({l.role, 0, 0, 0});
            g = &out.back();
        }
        g->lcores += 1;
        g->pkts += l.pkts;
        g->busy_cycles += l.busy_cycles;
    }
    return out;
}

uint64_t tcp_active(const Sample &s) {
    uint64_t opened = 0, ended = 0;
    for (const auto &l : s.lcores) {
        opened += ev(l, Event::tcp_conn_opened);
        ended += ev(l, Event::tcp_conn_closed) + ev(l, Event::tcp_conn_reset) +
                 ev(l, Event::tcp_conn_reclaimed) + ev(l, Event::tcp_conn_gave_up) +
                 ev(l, Event::tcp_conn_reset_at_drain);
    }
    return opened >= ended ? opened - ended : 0;
}

std::string format_text(const Sample &cur, const Sample *prev) {
    std::ostringstream os;
    const double dt = cur.t - (prev ? prev->t : 0.0);
    os << (cur.final ? "== final stats" : "== stats") << " t=" << fixed(cur.t, 1)
       << "s mode=" << cur.mode << "\n";
    for (const auto &p : cur.ports) {
        const PortSample zero{};
        const PortSample *b = find_port(prev, p.port);
        if (!b) b = &zero;
        os << "  port " << p.port << " (" << p.name << "): rx " << p.rx << " tx " << p.tx
           << "  rx-pps " << fixed(rate(p.rx, b->rx, dt), 0) << " tx-pps "
           << fixed(rate(p.tx, b->tx, dt), 0) << "\n"
           << "    drops: rx_missed " << p.rx_missed << " rx_nombuf " << p.rx_nombuf
           << " rx_errors " << p.rx_errors << " tx_full " << p.tx_full << " tx_errors "
           << p.tx_errors << "\n";
    }
    for (const auto &l : cur.lcores) {
        os << "  lcore " << l.lcore << (l.role == "forward" ? "" : " (" + l.role + ")") << ": pkts "
           << l.pkts << " cycles/pkt "
           << fixed(l.pkts ? static_cast<double>(l.busy_cycles) / static_cast<double>(l.pkts) : 0.0,
                    1);
        for (size_t e = 0; e < kEvents; ++e)
            if (l.events[e]) os << " " << kEventNames[e] << " " << l.events[e];
        for (size_t r = 0; r < kDropReasons; ++r)
            if (l.drops[r]) os << " drop_" << kDropNames[r] << " " << l.drops[r];
        os << "\n";
    }
    if (!cur.rings.empty())
        for (const auto &st : stages(cur))
            os << "  stage " << st.role << ": pkts " << st.pkts << " cycles/pkt "
               << fixed(st.cycles_per_pkt(), 1) << "\n";
    for (const auto &r : cur.rings)
        os << "  ring " << r.name << " (lcore " << r.from << " -> " << r.to << ", " << r.size
           << " slots): enqueued " << r.enqueued << " dequeued " << r.dequeued << " ring_full "
           << r.ring_full << " high-water " << r.high_water << "\n";
    if (cur.tcp.on)
        os << "  tcp: active " << tcp_active(cur) << " of " << cur.tcp.max_flows
           << " flows; flow table " << cur.tcp.table_bytes << " bytes in hugepages, "
           << cur.tcp.bytes_per_flow << " per flow (record " << cur.tcp.record_bytes << "); "
           << cur.tcp.held << " segments held; " << cur.tcp.timer_visits << " timer visits\n";
    if (cur.gen.on) {
        const GenSample &g = cur.gen;
        constexpr int kBar = 20;
        const int filled =
            g.target
                ? static_cast<int>(std::min<uint64_t>(g.concurrent, g.target) * kBar / g.target)
                : 0;
        os << "  gen: [" << std::string(static_cast<size_t>(filled), '#')
           << std::string(static_cast<size_t>(kBar - filled), '.') << "] " << g.concurrent << "/"
           << g.target << " established (peak " << g.peak_concurrent << "), " << g.opening
           << " opening, " << g.closed << " closed, failed " << g.failed_total();
        for (const auto &f : g.failed)
            if (f.second) os << " " << f.first << " " << f.second;
        os << "; txns " << g.txns << " ("
           << fixed(rate(g.txns, prev && prev->gen.on ? prev->gen.txns : 0, dt), 0)
           << "/s) latency p50/p99/p99.9 " << lat_quantile(g.lat_due, 0.5) << "/"
           << lat_quantile(g.lat_due, 0.99) << "/" << lat_quantile(g.lat_due, 0.999)
           << " us from due, " << lat_quantile(g.lat_sent, 0.5) << "/"
           << lat_quantile(g.lat_sent, 0.99) << "/" << lat_quantile(g.lat_sent, 0.999)
           << " us from sent; sweep " << g.sweep_ok << " ok " << g.sweep_failed
           << " failed; mismatched bytes " << g.mismatched_bytes << "; " << g.bytes_per_conn()
           << " bytes/conn; " << g.phase << "\n";
    }
    for (const auto &m : cur.pools)
        os << "  mempool " << m.name << " (socket " << m.socket << "): in use " << m.in_use
           << " of " << m.size << " (ports hold " << m.baseline << ")\n";
    return os.str();
}

std::string format_json(const Sample &cur, const Sample *prev) {
    std::ostringstream os;
    const double dt = cur.t - (prev ? prev->t : 0.0);
    os << "{\"t\":" << fixed(cur.t, 3) << ",\"tsc_hz\":" << cur.tsc_hz
       << ",\"final\":" << (cur.final ? "true" : "false") << ",\"mode\":\"" << cur.mode
       << "\",\"ports\":[";
    bool first = true;
    for (const auto &p : cur.ports) {
        const PortSample zero{};
        const PortSample *b = find_port(prev, p.port);
        if (!b) b = &zero;
        os << (first ? "" : ",") << "{\"port\":" << p.port << ",\"name\":\"" << json_escape(p.name)
           << "\",\"rx\":" << p.rx << ",\"tx\":" << p.tx << ",\"rx_bytes\":" << p.rx_bytes
           << ",\"tx_bytes\":" << p.tx_bytes << ",\"rx_pps\":" << fixed(rate(p.rx, b->rx, dt), 1)
           << ",\"tx_pps\":" << fixed(rate(p.tx, b->tx, dt), 1)
           << ",\"drops\":{\"rx_missed\":" << p.rx_missed << ",\"rx_nombuf\":" << p.rx_nombuf
           << ",\"rx_errors\":" << p.rx_errors << ",\"tx_full\":" << p.tx_full
           << ",\"tx_errors\":" << p.tx_errors << "}}";
        first = false;
    }
    os << "],\"lcores\":[";
    first = true;
    for (const auto &l : cur.lcores) {
        const LcoreSample *b = find_lcore(prev, l.lcore);
        os << (first ? "" : ",") << "{\"lcore\":" << l.lcore << ",\"role\":\"" << l.role
           << "\",\"pkts\":" << l.pkts << ",\"busy_cycles\":" << l.busy_cycles
           << ",\"cycles_per_pkt\":"
           << fixed(l.pkts ? static_cast<double>(l.busy_cycles) / static_cast<double>(l.pkts) : 0.0,
                    2)
           << ",\"pps\":" << fixed(rate(l.pkts, b ? b->pkts : 0, dt), 1) << ",\"drops\":{";
        for (size_t r = 0; r < kDropReasons; ++r)
            os << (r ? "," : "") << "\"" << kDropNames[r] << "\":" << l.drops[r];
        os << "},\"events\":{";
        for (size_t e = 0; e < kEvents; ++e)
            os << (e ? "," : "") << "\"" << kEventNames[e] << "\":" << l.events[e];
        os << "}}";
        first = false;
    }
    os << "],\"mempools\":[";
    first = true;
    for (const auto &m : cur.pools) {
        os << (first ? "" : ",") << "{\"name\":\"" << json_escape(m.name)
           << "\",\"socket\":" << m.socket << ",\"size\":" << m.size << ",\"in_use\":" << m.in_use
           << ",\"baseline\":" << m.baseline << "}";
        first = false;
    }
    os << "]";
    const auto st = stages(cur);
    if (!cur.rings.empty()) {
        os << ",\"stages\":{";
        first = true;
        for (const auto &g : st) {
            os << (first ? "" : ",") << "\"" << g.role << "\":{\"lcores\":" << g.lcores
               << ",\"pkts\":" << g.pkts << ",\"busy_cycles\":" << g.busy_cycles
               << ",\"cycles_per_pkt\":" << fixed(g.cycles_per_pkt(), 2) << "}";
            first = false;
        }
        os << "},\"rings\":[";
        first = true;
        for (const auto &r : cur.rings) {
            os << (first ? "" : ",") << "{\"name\":\"" << json_escape(r.name)
               << "\",\"from\":" << r.from << ",\"to\":" << r.to << ",\"size\":" << r.size
               << ",\"enqueued\":" << r.enqueued << ",\"dequeued\":" << r.dequeued
               << ",\"ring_full\":" << r.ring_full << ",\"high_water\":" << r.high_water << "}";
            first = false;
        }
        os << "]";
    }
    if (cur.tcp.on)
        os << ",\"tcp\":{\"active\":" << tcp_active(cur) << ",\"max_flows\":" << cur.tcp.max_flows
           << ",\"bytes_per_flow\":" << cur.tcp.bytes_per_flow
           << ",\"record_bytes\":" << cur.tcp.record_bytes
           << ",\"table_bytes\":" << cur.tcp.table_bytes << ",\"held\":" << cur.tcp.held
           << ",\"timer_visits\":" << cur.tcp.timer_visits << "}";
    if (cur.gen.on) {
        const GenSample &g = cur.gen;
        os << ",\"gen\":{\"phase\":\"" << g.phase << "\",\"target\":" << g.target
           << ",\"peak_concurrent\":" << g.peak_concurrent << ",\"concurrent\":" << g.concurrent
           << ",\"established\":" << g.established << ",\"opening\":" << g.opening
           << ",\"syn_sent\":" << g.syn_sent << ",\"retransmits\":" << g.retransmits
           << ",\"closed\":" << g.closed << ",\"failed_total\":" << g.failed_total()
           << ",\"failed\":{";
        first = true;
        for (const auto &f : g.failed) {
            os << (first ? "" : ",") << "\"" << f.first << "\":" << f.second;
            first = false;
        }
        os << "},\"txns\":" << g.txns << ",\"txn_rate\":"
           << fixed(rate(g.txns, prev && prev->gen.on ? prev->gen.txns : 0, dt), 1)
           << ",\"sweep_ok\":" << g.sweep_ok << ",\"sweep_failed\":" << g.sweep_failed
           << ",\"mismatched_bytes\":" << g.mismatched_bytes
           << ",\"p50_us\":" << lat_quantile(g.lat_due, 0.5)
           << ",\"p99_us\":" << lat_quantile(g.lat_due, 0.99)
           << ",\"p999_us\":" << lat_quantile(g.lat_due, 0.999)
           << ",\"sent_p50_us\":" << lat_quantile(g.lat_sent, 0.5)
           << ",\"sent_p99_us\":" << lat_quantile(g.lat_sent, 0.99)
           << ",\"sent_p999_us\":" << lat_quantile(g.lat_sent, 0.999)
           << ",\"bytes_per_conn\":" << g.bytes_per_conn() << ",\"state_bytes\":" << g.state_bytes
           << ",\"timer_visits\":" << g.timer_visits << "}";
    }
    os << "}\n";
    return os.str();
}

}  // namespace c10m::stats
