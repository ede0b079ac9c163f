#include "stats/telemetry.hpp"

#include <rte_telemetry.h>

#include <mutex>
#include <string>

namespace c10m::stats {

namespace {

std::mutex g_mutex;  // set-up and telemetry threads only, never an lcore
std::function<Sample()> g_sample;

int on_stats(const char *, const char *, rte_tel_data *d) {
    std::lock_guard<std::mutex> lock(g_mutex);
    rte_tel_data_start_dict(d);
    if (!g_sample) {
        rte_tel_data_add_dict_string(d, "state", "idle");
        return 0;
    }
    const Sample s = g_sample();
    rte_tel_data_add_dict_string(d, "state", "running");
    rte_tel_data_add_dict_string(d, "mode", s.mode.c_str());
    rte_tel_data_add_dict_u64(d, "uptime_ms", static_cast<uint64_t>(s.t * 1000));
    uint64_t rx = 0, tx = 0, port_drops = 0, pkts = 0, busy = 0, in_use = 0;
    for (const auto &p : s.ports) {
        rx += p.rx;
        tx += p.tx;
        port_drops += p.rx_missed + p.rx_nombuf + p.rx_errors + p.tx_full + p.tx_errors;
    }
    std::array<uint64_t, kDropReasons> drops{};
    std::array<uint64_t, kEvents> events{};
    for (const auto &l : s.lcores) {
        pkts += l.pkts;
        busy += l.busy_cycles;
        for (size_t r = 0; r < kDropReasons; ++r)
            drops[r] += l.drops[r];
        for (size_t e = 0; e < kEvents; ++e)
            events[e] += l.events[e];
    }
    for (const auto &m : s.pools)
        in_use += m.in_use;
    rte_tel_data_add_dict_u64(d, "ports", s.ports.size());
    rte_tel_data_add_dict_u64(d, "lcores", s.lcores.size());
    rte_tel_data_add_dict_u64(d, "rx", rx);
    rte_tel_data_add_dict_u64(d, "tx", tx);
    rte_tel_data_add_dict_u64(d, "port_drops", port_drops);
    rte_tel_data_add_dict_u64(d, "pkts", pkts);
    rte_tel_data_add_dict_u64(d, "busy_cycles", busy);
    rte_tel_data_add_dict_u64(d, "cycles_per_pkt", pkts ? busy / pkts : 0);
    rte_tel_data_add_dict_u64(d, "mbufs_in_use", in_use);
    if (s.tcp.on) {
        rte_tel_data_add_dict_u64(d, "tcp_active", tcp_active(s));
        rte_tel_data_add_dict_u64(d, "tcp_max_flows", s.tcp.max_flows);
        rte_tel_data_add_dict_u64(d, "tcp_bytes_per_flow", s.tcp.bytes_per_flow);
        rte_tel_data_add_dict_u64(d, "tcp_table_bytes", s.tcp.table_bytes);
        rte_tel_data_add_dict_u64(d, "tcp_timer_visits", s.tcp.timer_visits);
    }
    for (size_t r = 0; r < kDropReasons; ++r)
        rte_tel_data_add_dict_u64(d, ("drop_" + std::string(kDropNames[r])).c_str(), drops[r]);
    for (size_t e = 0; e < kEvents; ++e)
        rte_tel_data_add_dict_u64(d, std::string(kEventNames[e]).c_str(), events[e]);
    return 0;
}

}  // namespace

void telemetry_register() {
    static std::once_flag once;
    std::call_once(once, [] {
        rte_telemetry_register_cmd(
            "/c10m/stats", on_stats,
            "c10m totals: rx, tx, drops by reason, echo replies, TCP connections, cycles per "
            "packet. "
            "No parameters");
    });
}

void telemetry_attach(std::function<Sample()> sample) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_sample = std::move(sample);
}

void telemetry_detach() {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_sample = nullptr;
}

}  // namespace c10m::stats
