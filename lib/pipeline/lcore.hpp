#pragma once

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <cstdint>

#include "config/options.hpp"
#include "fwd/params.hpp"
#include "host/echo.hpp"
#include "pipeline/mapping.hpp"
#include "pipeline/stop.hpp"
#include "stats/counters.hpp"
#include "tcp/engine.hpp"

namespace c10m::pipeline {

// Packets waiting for one (port, tx queue). Flushed when a burst has gathered, and
// by the drain deadline otherwise; what the queue will not take is freed and
// counted as tx_full.
struct TxBuffer {
    uint16_t port = 0;
    uint16_t queue = 0;
    uint16_t count = 0;
    // net_af_xdp frees the mbufs it sent only when a later tx burst pulls its
    // completion ring; with reclaim set, the loop sends an empty burst once the
    // stream falls quiet (see reclaim_when_idle), so the pool's in-use count comes
    // back to its baseline instead of staying up by the last burst.
    bool reclaim = false;
    bool sent = false;      // transmitted since the last drain deadline
    bool unpulled = false;  // transmitted in an earlier period, no empty burst since
    rte_mbuf *pkts[2 * config::kMaxBurst];
};

struct StreamState {
    uint16_t rx_port;
    uint16_t rx_queue;
    fwd::FwdParams fwd;
    host::PortHost host;         // echo: the rx port's identity (a copy, on this lcore)
    host::NeighbourTable neigh;  // echo: learned on this stream's port by this lcore
    TxBuffer tx;
};

// Everything one lcore touches on its hot path, allocated on its own socket.
struct alignas(RTE_CACHE_LINE_SIZE) LcoreContext {
    unsigned lcore = 0;
    uint16_t burst = config::kDefaultBurst;
    uint16_t nb_streams = 0;
    uint64_t drain_tsc = 0;       // flush partly filled tx buffers this often
    rte_mempool *pool = nullptr;  // where this lcore's rx queues take mbufs from
    stats::LcoreCounters counters;
    host::EchoLcore echo;
    host::UdpPorts udp_ports;
    tcp::Engine *tcp = nullptr;  // echo with TCP: this lcore's connections
    StreamState streams[kMaxStreamsPerLcore];
};

inline void flush(TxBuffer &tx, stats::LcoreCounters &c) noexcept {
    if (tx.count == 0) return;
    tx.sent = true;
    const uint16_t sent = rte_eth_tx_burst(tx.port, tx.queue, tx.pkts, tx.count);
    if (sent < tx.count) [[unlikely]] {
        rte_pktmbuf_free_bulk(&tx.pkts[sent], tx.count - sent);
        c.tx_full[tx.port].add(tx.count - sent);
    }
    tx.count = 0;
}

// At a drain deadline: a reclaiming stream (net_af_xdp) that transmitted in the
// period before this one and not in this one gets one empty tx burst, which makes
// the PMD pull its completion ring and free what it sent. Under load every burst
// pulls it anyway; this costs one system call per quiet spell. `tcp_sent`: the TCP
// engine transmitted on the lcore's streams in this period (it bursts on its own).
inline void pull_completions(TxBuffer &tx) noexcept {
    rte_eth_tx_burst(tx.port, tx.queue, tx.pkts, 0);
    tx.unpulled = false;
}

inline void reclaim_when_idle(TxBuffer &tx, bool tcp_sent) noexcept {
    if (!tx.reclaim) return;
    if (tx.sent || tcp_sent)
        tx.unpulled = true;
    else if (tx.unpulled)
        pull_completions(tx);
    tx.sent = false;
}

// Adds an lcore's local drop and event tallies to its shared counters and clears them.
inline void publish(stats::Tally &t, stats::LcoreCounters &c) noexcept {
    if (!t.any) return;
    for (size_t r = 0; r < stats::kDropReasons; ++r)
        if (t.drop[r]) c.drops[r].add(t.drop[r]);
    for (size_t e = 0; e < stats::kEvents; ++e)
        if (t.event[e]) c.events[e].add(t.event[e]);
    t = stats::Tally{};
}

// The main lcore's periodic duties when it also polls; workers pass NoDuties.
struct NoDuties {
    static constexpr bool kActive = false;
    bool due(uint64_t) const noexcept { return false; }
    void run(uint64_t) noexcept {}
};

// One poll-mode loop: rx burst -> mode handler -> buffered tx burst, per stream;
// drain by TSC deadline. Mode is a compile-time type: no indirect call per packet.
// Modes that answer requests (echo) set kSendShortBursts: a short rx burst means the
// queue is empty for now, so what it produced is sent at once instead of waiting for
// the drain deadline (kDrainUs, 100 us, which was added to the round trip of every
// request at low rates: p50 69 us against testpmd's 14 us over AF_XDP, see
// docs/performance.md). A loop that falls behind gets full bursts, and then nothing
// changes. Forwarding modes keep l2fwd's buffering.
template <class Mode>
constexpr bool sends_short_bursts() noexcept {
    if constexpr (requires { Mode::kSendShortBursts; })
        return Mode::kSendShortBursts;
    else
        return false;
}

template <class Mode>
constexpr bool uses_tcp() noexcept {
    if constexpr (requires { Mode::kUsesTcp; })
        return Mode::kUsesTcp;
    else
        return false;
}

template <class Mode, class Duties>
void poll_loop(LcoreContext &ctx, Duties &duties) noexcept {
    constexpr bool kSendShort = sends_short_bursts<Mode>();
    uint64_t last_drain = rte_rdtsc();
    const uint16_t burst = ctx.burst;
    stats::LcoreCounters &c = ctx.counters;
    uint64_t pkts_total = 0, busy = 0, iterations = 0;

    // Modes that are hosts announce themselves once (gratuitous ARP).
    if constexpr (requires { Mode::announce(ctx.streams[0].fwd, uint16_t{0}, ctx.pool); }) {
        for (uint16_t s = 0; s < ctx.nb_streams; ++s) {
            StreamState &st = ctx.streams[s];
            if (rte_mbuf *m = Mode::announce(st.fwd, st.rx_queue, ctx.pool)) {
                st.tx.pkts[st.tx.count++] = m;
                flush(st.tx, c);
                c.events[static_cast<size_t>(stats::Event::garp_sent)].add(1);
            }
        }
    }

    stats::Tally tally;
    while (!stop_requested()) {
        const uint64_t start = rte_rdtsc();
        uint32_t got = 0;
        for (uint16_t s = 0; s < ctx.nb_streams; ++s) {
            StreamState &st = ctx.streams[s];
            TxBuffer &tx = st.tx;
            // Receive straight into the tx buffer (it holds fewer than a burst between
            // iterations, and room for two): the mode rewrites and compacts in place.
            rte_mbuf **slot = tx.pkts + tx.count;
            const uint16_t n = rte_eth_rx_burst(st.rx_port, st.rx_queue, slot, burst);
            if (n == 0) continue;
            got += n;
            tx.count =
                static_cast<uint16_t>(tx.count + Mode::handle(slot, n, st.fwd, start, tally));
            if (tx.count >= burst || (kSendShort && n < burst)) flush(tx, c);
        }
        if constexpr (uses_tcp<Mode>()) {
            // TCP timers (at most once per millisecond), then what TCP produced.
            if (ctx.tcp) {
                ctx.tcp->run_timers(start, tally);
                ctx.tcp->flush();
            }
        }
        ++iterations;
        if (got) {
            pkts_total += got;
            const uint64_t end = rte_rdtsc();
            busy += end - start;
        }
        if (start - last_drain > ctx.drain_tsc) {
            bool tcp_sent = false;
            if constexpr (uses_tcp<Mode>())
                if (ctx.tcp) tcp_sent = ctx.tcp->take_sent();
            for (uint16_t s = 0; s < ctx.nb_streams; ++s) {
                flush(ctx.streams[s].tx, c);
                reclaim_when_idle(ctx.streams[s].tx, tcp_sent);
            }
            last_drain = start;
            // Publish local tallies at drain time: the shared counters stay off the
            // per-burst path.
            c.pkts.add(pkts_total);
            c.busy_cycles.add(busy);
            c.iterations.add(iterations);
            publish(tally, c);
            pkts_total = busy = iterations = 0;
        }
        if constexpr (Duties::kActive) {
            if (duties.due(start)) duties.run(start);
        }
    }
    for (uint16_t s = 0; s < ctx.nb_streams; ++s)
        flush(ctx.streams[s].tx, c);
    if constexpr (uses_tcp<Mode>())
        if (ctx.tcp) ctx.tcp->flush();
    for (uint16_t s = 0; s < ctx.nb_streams; ++s)
        if (ctx.streams[s].tx.reclaim) pull_completions(ctx.streams[s].tx);
    c.pkts.add(pkts_total);
    c.busy_cycles.add(busy);
    c.iterations.add(iterations);
    publish(tally, c);
}

}  // namespace c10m::pipeline
