#pragma once

// What each lcore owns on its hot path, allocated on its own socket and cache-line
// aligned: its streams with their tx buffers, its mode state, its counters. Nothing
// here is shared with another lcore but the rings (pipeline mode), and the counters,
// which the main lcore only reads.
#include <rte_config.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>

#include "net/burst.hpp"
#include "pipeline/mapping.hpp"
#include "pipeline/ring.hpp"
#include "pipeline/tx_buffer.hpp"
#include "stats/counters.hpp"

namespace c10m::pipeline {

// Flush partly filled tx buffers, and publish local tallies, this often.
inline constexpr uint64_t kDrainUs = 100;

template <class Mode>
struct StreamCtx {
    uint16_t rx_port = 0;
    uint16_t rx_queue = 0;  // run to completion: the rx queue it polls
    TxBuffer tx;
    typename Mode::Stream mode;
};

// A ring an lcore consumes, with the counters of its consumer side.
struct InRing {
    rte_ring *ring = nullptr;
    RingStats *stats = nullptr;
};

// A lcore that runs a mode: run to completion (it polls rx queues), or a pipeline
// worker (it dequeues from the rx lcores' rings, one stream per port).
template <class Mode>
struct alignas(RTE_CACHE_LINE_SIZE) LcoreContext {
    unsigned lcore = 0;
    uint16_t burst = net::kDefaultBurst;
    uint16_t nb_streams = 0;
    uint64_t drain_tsc = 0;
    rte_mempool *pool = nullptr;  // for packets the mode originates
    stats::LcoreCounters counters;
    typename Mode::Lcore mode;
    // Pipeline worker only: its input rings, and which stream serves each rx port.
    uint16_t nb_inputs = 0;
    InRing inputs[kMaxRxLcores];
    uint8_t stream_of_port[RTE_MAX_ETHPORTS] = {};
    // Run to completion with Mode::kTxAnyPort: tx buffers on the ports it polls no
    // queue of (on the lcore's socket, owned by Lcores<Mode>).
    uint16_t nb_tx_only = 0;
    TxBuffer *tx_only[RTE_MAX_ETHPORTS] = {};
    StreamCtx<Mode> streams[kMaxStreamsPerLcore];
};

// A pipeline rx lcore: it polls rx queues, classifies each frame by its flow hash
// and hands it to a worker's ring; it also sends what workers hand back for the tx
// queues it owns. It knows no mode.
struct alignas(RTE_CACHE_LINE_SIZE) RxContext {
    struct Queue {
        uint16_t port;
        uint16_t queue;
    };
    // What goes to one worker, gathered per burst.
    struct ToWorker {
        rte_ring *ring = nullptr;
        RingStats *stats = nullptr;
        uint16_t n = 0;
        rte_mbuf *pkts[net::kMaxBurst];
    };
    // A worker's tx ring for one of the tx queues this lcore owns.
    struct FromWorker {
        rte_ring *ring = nullptr;
        RingStats *stats = nullptr;
        uint16_t out = 0;  // index into outs
    };

    unsigned lcore = 0;
    uint16_t burst = net::kDefaultBurst;
    uint16_t nb_queues = 0;
    uint16_t nb_workers = 0;
    uint16_t nb_from = 0;
    uint16_t nb_outs = 0;
    uint64_t drain_tsc = 0;
    stats::LcoreCounters counters;
    Queue queues[kMaxStreamsPerLcore];
    FromWorker from[kMaxWorkers * kMaxStreamsPerLcore];
    TxBuffer outs[kMaxStreamsPerLcore];  // the tx queues it owns
    ToWorker to[kMaxWorkers];
};

// How the stages of pipeline mode stop in order: rx lcores stop polling, workers
// drain their rings and stop, then the rx lcores send what workers handed back.
struct PipelineSync {
    alignas(RTE_CACHE_LINE_SIZE) std::atomic<unsigned> rx_running{0};
    alignas(RTE_CACHE_LINE_SIZE) std::atomic<unsigned> workers_running{0};
};

}  // namespace c10m::pipeline
