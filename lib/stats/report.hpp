#pragma once

#include <array>
#include <utility>
#include <cstdint>
#include <string>
#include <vector>

#include "stats/counters.hpp"
#include "stats/histogram.hpp"

namespace c10m::stats {

struct PortSample {
    uint16_t port = 0;
    std::string name;
    uint64_t rx = 0, tx = 0, rx_bytes = 0, tx_bytes = 0;
    uint64_t rx_missed = 0;  // imissed: the device found no free descriptor
    uint64_t rx_nombuf = 0;  // the PMD found no mbuf to refill with
    uint64_t rx_errors = 0;  // ierrors: bad frames the device dropped
    uint64_t tx_errors = 0;  // oerrors: frames the device failed to send
    uint64_t tx_full = 0;    // not taken by rte_eth_tx_burst, freed by c10m
};

struct LcoreSample {
    unsigned lcore = 0;
    // "forward" (run to completion), or in pipeline mode "rx" or "worker"
    std::string role = "forward";
    uint64_t pkts = 0;
    uint64_t busy_cycles = 0;
    std::array<uint64_t, kDropReasons> drops{};
    std::array<uint64_t, kEvents> events{};
};

struct PoolSample {
    std::string name;
    int socket = 0;
    uint64_t size = 0;
    uint64_t in_use = 0;
    uint64_t baseline = 0;  // in use once the ports started, before any traffic
};

// TCP-lite's flow tables (echo mode with TCP).
struct TcpSample {
    bool on = false;
    uint64_t max_flows = 0;       // records allocated, over all lcores
    uint64_t bytes_per_flow = 0;  // record + hash slots + free-list entry
    uint64_t record_bytes = 0;    // the record alone
    uint64_t table_bytes = 0;     // all of it, over all lcores (hugepages)
    uint64_t held = 0;            // segments held now (echo data and out of order)
    uint64_t timer_visits = 0;    // timer records looked at so far: what holding costs
};

// A pipeline ring between two lcores.
struct RingSample {
    std::string name;
    unsigned from = 0, to = 0;  // producer and consumer lcores
    uint64_t size = 0;          // slots it can hold
    uint64_t enqueued = 0, dequeued = 0;
    uint64_t ring_full = 0;   // refused (full), freed and counted
    uint64_t high_water = 0;  // most it held at once
};

// tcp-gen's figures, over all its lcores.
struct GenSample {
    bool on = false;
    std::string phase;    // the least advanced lcore's
    uint64_t target = 0;  // --gen-conns
    uint64_t syn_sent = 0, opening = 0, concurrent = 0, peak_concurrent = 0, established = 0,
             closed = 0, retransmits = 0;
    std::vector<std::pair<std::string, uint64_t>> failed;  // by reason
    uint64_t txns = 0, sweep_ok = 0, sweep_failed = 0, mismatched_bytes = 0;
    uint64_t state_bytes = 0;  // its connection records
    uint64_t timer_visits = 0;
    std::array<uint64_t, kLatBuckets> lat_due{}, lat_sent{};  // us, from due and from sent
    uint64_t failed_total() const {
        uint64_t n = 0;
        for (const auto &f : failed)
            n += f.second;
        return n;
    }
    uint64_t bytes_per_conn() const { return peak_concurrent ? state_bytes / peak_concurrent : 0; }
};

struct Sample {
    double t = 0;         // seconds since forwarding started
    uint64_t tsc_hz = 0;  // what busy_cycles count in
    bool final = false;
    std::string mode;
    std::vector<PortSample> ports;
    std::vector<LcoreSample> lcores;
    std::vector<PoolSample> pools;
    std::vector<RingSample> rings;
    TcpSample tcp;
    GenSample gen;
};

// The lcores of one role added up: what a stage of the pipeline costs per packet.
struct StageSample {
    std::string role;
    unsigned lcores = 0;
    uint64_t pkts = 0, busy_cycles = 0;
    double cycles_per_pkt() const {
        return pkts ? static_cast<double>(busy_cycles) / static_cast<double>(pkts) : 0.0;
    }
};
std::vector<StageSample> stages(const Sample &s);

// Connections open now: opened minus every way of ending, over all lcores.
uint64_t tcp_active(const Sample &s);

// Rates come from the difference with prev (nullptr: since start).
std::string format_text(const Sample &cur, const Sample *prev);
std::string format_json(const Sample &cur, const Sample *prev);

}  // namespace c10m::stats
