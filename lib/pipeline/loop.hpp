#pragma once

// The run-to-completion poll loop (the default): each lcore receives a burst from
// each of its rx queues, hands it to the mode, and sends what the mode kept from
// that stream's tx buffer. poll_loop<Mode> is instantiated once per mode, so the
// handler is inlined: no indirect call per packet. Pipeline mode's stages are in
// stages.hpp and share the pieces below.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "pipeline/context.hpp"
#include "pipeline/stop.hpp"
#include "stats/counters.hpp"

namespace c10m::pipeline {

// Adds an lcore's local drop and event tallies to its shared counters and clears them.
inline void publish(stats::Tally &t, stats::LcoreCounters &c) noexcept {
    if (!t.any) return;
    for (size_t r = 0; r < stats::kDropReasons; ++r)
        if (t.drop[r]) c.drops[r].add(t.drop[r]);
    for (size_t e = 0; e < stats::kEvents; ++e)
        if (t.event[e]) c.events[e].add(t.event[e]);
    t = stats::Tally{};
}

// The main lcore's periodic duties when it also polls; other lcores pass NoDuties.
struct NoDuties {
    static constexpr bool kActive = false;
    bool due(uint64_t) const noexcept { return false; }
    void run(uint64_t) noexcept {}
};

// Packets, busy cycles and iterations, kept locally and published at drain time, so
// the shared counters stay off the per-burst path.
struct LoopTally {
    uint64_t pkts = 0, busy = 0, iterations = 0;
    void publish_to(stats::LcoreCounters &c) noexcept {
        c.pkts.add(pkts);
        c.busy_cycles.add(busy);
        c.iterations.add(iterations);
        pkts = busy = iterations = 0;
    }
};

// Modes that are hosts announce themselves once when their loop starts.
template <class Mode>
void announce_all(LcoreContext<Mode> &ctx, stats::Tally &tally) noexcept {
    for (uint16_t s = 0; s < ctx.nb_streams; ++s) {
        StreamCtx<Mode> &st = ctx.streams[s];
        Mode::announce(ctx.mode, st.mode, st.tx, ctx.pool, tally);
        st.tx.flush();
    }
}

// The mode decides the fate of n packets at st.tx.pkts + st.tx.count; the stream's
// buffer is sent when a burst has gathered, or at once when the mode answers
// requests and the source ran dry (kSendShortBursts: otherwise the drain deadline
// would be added to the round trip of every request at low rates).
template <class Mode>
[[gnu::always_inline]] inline void handle_stream(LcoreContext<Mode> &ctx, StreamCtx<Mode> &st,
                                                 uint16_t n, bool ran_dry, uint64_t now,
                                                 stats::Tally &tally) noexcept {
    TxBuffer &tx = st.tx;
    Mode::handle(ctx.mode, st.mode, tx.pkts + tx.count, n, tx, now, tally);
    if (tx.count >= ctx.burst || (Mode::kSendShortBursts && ran_dry)) tx.flush();
}

// Once per iteration after the streams: the mode's timers; what they produced is
// sent at once.
template <class Mode>
inline void flush_all(LcoreContext<Mode> &ctx) noexcept {
    for (uint16_t s = 0; s < ctx.nb_streams; ++s)
        ctx.streams[s].tx.flush();
    if constexpr (Mode::kTxAnyPort) {
        for (uint16_t t = 0; t < ctx.nb_tx_only; ++t)
            ctx.tx_only[t]->flush();
    }
}

template <class Mode>
inline bool poll_mode(LcoreContext<Mode> &ctx, uint64_t now, stats::Tally &tally) noexcept {
    if (!Mode::poll(ctx.mode, now, tally)) return false;
    flush_all(ctx);
    return true;
}

// At a drain deadline: flush partly filled buffers, pull completions where a port
// needs it, publish tallies.
template <class Mode>
inline void drain_tick(LcoreContext<Mode> &ctx, LoopTally &lt, stats::Tally &tally) noexcept {
    for (uint16_t s = 0; s < ctx.nb_streams; ++s) {
        ctx.streams[s].tx.flush();
        ctx.streams[s].tx.reclaim_when_idle();
    }
    if constexpr (Mode::kTxAnyPort) {
        for (uint16_t t = 0; t < ctx.nb_tx_only; ++t) {
            ctx.tx_only[t]->flush();
            ctx.tx_only[t]->reclaim_when_idle();
        }
    }
    lt.publish_to(ctx.counters);
    publish(tally, ctx.counters);
}

template <class Mode>
inline void finish(LcoreContext<Mode> &ctx, LoopTally &lt, stats::Tally &tally) noexcept {
    Mode::finish(ctx.mode, rte_rdtsc(), tally);
    flush_all(ctx);
    for (uint16_t s = 0; s < ctx.nb_streams; ++s)
        if (ctx.streams[s].tx.reclaim) ctx.streams[s].tx.pull_completions();
    for (uint16_t t = 0; t < ctx.nb_tx_only; ++t)
        if (ctx.tx_only[t]->reclaim) ctx.tx_only[t]->pull_completions();
    lt.publish_to(ctx.counters);
    publish(tally, ctx.counters);
}

// One run-to-completion loop: per stream, rx burst -> mode -> buffered tx burst;
// drain by TSC deadline, until stop_requested().
template <class Mode, class Duties>
void poll_loop(LcoreContext<Mode> &ctx, Duties &duties) noexcept {
    uint64_t last_drain = rte_rdtsc();
    const uint16_t burst = ctx.burst;
    LoopTally lt;
    stats::Tally tally;
    announce_all(ctx, tally);
    while (!stop_requested()) {
        const uint64_t start = rte_rdtsc();
        uint32_t got = 0;
        for (uint16_t s = 0; s < ctx.nb_streams; ++s) {
            StreamCtx<Mode> &st = ctx.streams[s];
            // Receive straight into the tx buffer (it holds fewer than a burst between
            // iterations, and room for two): the mode rewrites and compacts in place.
            const uint16_t n =
                rte_eth_rx_burst(st.rx_port, st.rx_queue, st.tx.pkts + st.tx.count, burst);
            if (n == 0) continue;
            got += n;
            handle_stream(ctx, st, n, n < burst, start, tally);
        }
        // Busy: an iteration that received packets or whose mode did work (sent,
        // or moved its timers).
        const bool worked = poll_mode(ctx, start, tally);
        ++lt.iterations;
        if (got || worked) {
            lt.pkts += got;
            lt.busy += rte_rdtsc() - start;
        }
        if (start - last_drain > ctx.drain_tsc) {
            drain_tick(ctx, lt, tally);
            last_drain = start;
        }
        if constexpr (Duties::kActive) {
            if (duties.due(start)) duties.run(start);
        }
    }
    finish(ctx, lt, tally);
}

}  // namespace c10m::pipeline
