#pragma once

// Pipeline mode (--pipeline): rx lcores poll the rx queues and hand each frame,
// by its symmetric flow hash, to one worker through a single-producer/single-
// consumer ring per (rx lcore, worker); workers run the mode and send on a tx queue
// of their own, or through a ring back to the rx lcore that owns the port's tx
// queue. A flow always takes the same rings, so its packets leave in the order they
// came in. Stopping goes stage by stage (PipelineSync): rx lcores stop polling,
// workers empty their rings and stop, rx lcores send what the workers handed back.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include <cstdint>
#include <cstring>

#include "pipeline/context.hpp"
#include "pipeline/flow_hash.hpp"
#include "pipeline/loop.hpp"
#include "pipeline/stop.hpp"

namespace c10m::pipeline {

// Frames this many ahead of the one being classified are prefetched: the first read
// of a received frame is a cache miss.
inline constexpr uint16_t kClassifyPrefetch = 4;

// Sends what workers handed back for the tx queues this rx lcore owns; returns how
// many packets it took from the rings.
inline uint32_t rx_stage_drain_tx(RxContext &ctx) noexcept {
    uint32_t got = 0;
    for (uint16_t i = 0; i < ctx.nb_from; ++i) {
        RxContext::FromWorker &fw = ctx.from[i];
        TxBuffer &tx = ctx.outs[fw.out];
        const unsigned n = ring_take(fw.ring, tx.pkts + tx.count, ctx.burst);
        if (n == 0) continue;
        fw.stats->dequeued.add(n);
        tx.count = static_cast<uint16_t>(tx.count + n);
        got += n;
        if (tx.count >= ctx.burst) tx.flush();
    }
    // Workers buffered already (and sent short bursts at once where their mode
    // asks): send what came now rather than wait.
    if (got)
        for (uint16_t o = 0; o < ctx.nb_outs; ++o)
            ctx.outs[o].flush();
    return got;
}

// One rx lcore.
template <class Duties>
void rx_loop(RxContext &ctx, PipelineSync &sync, Duties &duties) noexcept {
    uint64_t last_drain = rte_rdtsc();
    const uint16_t burst = ctx.burst;
    const uint32_t nw = ctx.nb_workers;
    LoopTally lt;
    stats::Tally tally;
    rte_mbuf *pkts[net::kMaxBurst];
    auto drain = [&](uint64_t now) {
        for (uint16_t o = 0; o < ctx.nb_outs; ++o) {
            ctx.outs[o].flush();
            ctx.outs[o].reclaim_when_idle();
        }
        lt.publish_to(ctx.counters);
        publish(tally, ctx.counters);
        last_drain = now;
    };
    while (!stop_requested()) {
        const uint64_t start = rte_rdtsc();
        uint32_t got = 0;
        for (uint16_t q = 0; q < ctx.nb_queues; ++q) {
            const uint16_t port = ctx.queues[q].port;
            const uint16_t n = rte_eth_rx_burst(port, ctx.queues[q].queue, pkts, burst);
            if (n == 0) continue;
            got += n;
            for (uint16_t i = 0; i < n && i < kClassifyPrefetch; ++i)
                rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
            for (uint16_t i = 0; i < n; ++i) {
                if (i + kClassifyPrefetch < n)
                    rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kClassifyPrefetch], void *));
                rte_mbuf *m = pkts[i];
                m->port = port;  // the worker's stream (not every PMD sets it)
                const uint32_t h =
                    flow_hash(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m));
                RxContext::ToWorker &tw = ctx.to[worker_of(h, nw)];
                tw.pkts[tw.n++] = m;
            }
            for (uint32_t w = 0; w < nw; ++w) {
                RxContext::ToWorker &tw = ctx.to[w];
                if (tw.n == 0) continue;
                unsigned free_slots = 0;
                const unsigned done = ring_put(tw.ring, tw.pkts, tw.n, &free_slots);
                tw.stats->produced(done, tw.n - done, rte_ring_get_capacity(tw.ring) - free_slots);
                if (done < tw.n) [[unlikely]] {
                    rte_pktmbuf_free_bulk(&tw.pkts[done], tw.n - done);
                    tally.drop[static_cast<size_t>(stats::Drop::ring_full)] += tw.n - done;
                    tally.any = true;
                }
                tw.n = 0;
            }
        }
        // Its packets are those it received; what it sends for workers costs it busy
        // cycles, which the rx stage's cycles per packet include.
        const uint32_t sent_for_workers = rx_stage_drain_tx(ctx);
        ++lt.iterations;
        if (got | sent_for_workers) {
            lt.pkts += got;
            lt.busy += rte_rdtsc() - start;
        }
        if (start - last_drain > ctx.drain_tsc) drain(start);
        if constexpr (Duties::kActive) {
            if (duties.due(start)) duties.run(start);
        }
    }
    // Rx is over: what was enqueued is the workers' now (release: they see it all).
    sync.rx_running.fetch_sub(1, std::memory_order_release);
    // Keep sending what workers hand back until every worker has stopped and the
    // rings are empty.
    for (;;) {
        const bool workers_done = sync.workers_running.load(std::memory_order_acquire) == 0;
        const uint32_t got = rx_stage_drain_tx(ctx);
        if (workers_done && got == 0) break;
    }
    for (uint16_t o = 0; o < ctx.nb_outs; ++o) {
        ctx.outs[o].flush();
        if (ctx.outs[o].reclaim) ctx.outs[o].pull_completions();
    }
    lt.publish_to(ctx.counters);
    publish(tally, ctx.counters);
}

// One worker: dequeue from each rx lcore's ring, sort the burst into the streams of
// the ports its frames came from, run the mode on each, send.
template <class Mode, class Duties>
void worker_loop(LcoreContext<Mode> &ctx, PipelineSync &sync, Duties &duties) noexcept {
    uint64_t last_drain = rte_rdtsc();
    const uint16_t burst = ctx.burst;
    LoopTally lt;
    stats::Tally tally;
    rte_mbuf *in[net::kMaxBurst];
    uint8_t sid[net::kMaxBurst];
    uint16_t pending[kMaxStreamsPerLcore] = {};
    announce_all(ctx, tally);
    for (;;) {
        // Read before the rings: once every rx lcore has stopped, a pass that finds
        // the rings empty is the last.
        const bool rx_done =
            stop_requested() && sync.rx_running.load(std::memory_order_acquire) == 0;
        const uint64_t start = rte_rdtsc();
        uint32_t got = 0;
        for (uint16_t r = 0; r < ctx.nb_inputs; ++r) {
            InRing &ir = ctx.inputs[r];
            const unsigned n = ring_take(ir.ring, in, burst);
            if (n == 0) continue;
            ir.stats->dequeued.add(n);
            got += n;
            for (unsigned i = 0; i < n; ++i) {
                sid[i] = ctx.stream_of_port[in[i]->port];
                ++pending[sid[i]];
            }
            // Each stream's frames into its tx buffer, where the mode expects them,
            // just before its turn: a mode that sends on any port (kTxAnyPort) may
            // push onto another stream's buffer, which must then hold none pending.
            for (uint16_t s = 0; s < ctx.nb_streams; ++s) {
                if (pending[s] == 0) continue;
                TxBuffer &tx = ctx.streams[s].tx;
                if (pending[s] == n) {
                    std::memcpy(tx.pkts + tx.count, in, n * sizeof(rte_mbuf *));
                } else {
                    uint16_t k = 0;
                    for (unsigned i = 0; i < n; ++i)
                        if (sid[i] == s) tx.pkts[tx.count + k++] = in[i];
                }
                handle_stream(ctx, ctx.streams[s], pending[s], n < burst, start, tally);
                pending[s] = 0;
            }
        }
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
        if (rx_done && got == 0) break;
    }
    finish(ctx, lt, tally);
    sync.workers_running.fetch_sub(1, std::memory_order_release);
}

}  // namespace c10m::pipeline
