#pragma once

// Where packets leave: each stream's tx buffer. Flushed when a burst has gathered,
// and by the loop's drain deadline otherwise, either straight onto the stream's tx
// queue, or (pipeline mode, when a port has fewer tx queues than workers) onto a
// ring to the lcore that owns the tx queue. What the queue or ring will not take is
// freed and counted: tx_full per port, ring_full per ring.
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstdint>

#include "net/tx_sink.hpp"
#include "pipeline/ring.hpp"
#include "stats/counters.hpp"

namespace c10m::pipeline {

struct TxBuffer : net::TxSink {
    uint16_t port = 0;
    uint16_t queue = 0;
    rte_ring *ring = nullptr;         // set: hand packets to the tx queue's owner
    RingStats *ring_stats = nullptr;  // that ring's counters
    stats::LcoreCounters *counters = nullptr;
    // The port frees what it sent only on a later tx burst (io::PortCaps::
    // tx_frees_late): once the stream falls quiet the loop sends one empty burst,
    // so the pool's in-use count comes back to its baseline (see reclaim_when_idle).
    bool reclaim = false;
    bool sent = false;      // transmitted since the last drain deadline
    bool unpulled = false;  // transmitted in an earlier period, no empty burst since

    TxBuffer() noexcept {
        send_fn = [](net::TxSink &s) noexcept { static_cast<TxBuffer &>(s).flush(); };
        reclaim_fn = [](net::TxSink &s) noexcept {
            auto &tx = static_cast<TxBuffer &>(s);
            tx.flush();
            if (!tx.ring) rte_eth_tx_done_cleanup(tx.port, tx.queue, 0);
        };
    }

    // Sends what is buffered; the loop calls this directly (inlined), producers that
    // do not know the type go through send_fn.
    void flush() noexcept {
        if (count == 0) return;
        sent = true;
        uint16_t done;
        if (!ring) [[likely]] {
            done = rte_eth_tx_burst(port, queue, pkts, count);
            if (done < count) [[unlikely]]
                counters->tx_full[port].add(count - done);
        } else {
            unsigned free_slots = 0;
            done = static_cast<uint16_t>(ring_put(ring, pkts, count, &free_slots));
            ring_stats->produced(done, count - done, rte_ring_get_capacity(ring) - free_slots);
            if (done < count) [[unlikely]]
                counters->drops[static_cast<size_t>(stats::Drop::ring_full)].add(count - done);
        }
        if (done < count) [[unlikely]]
            rte_pktmbuf_free_bulk(&pkts[done], count - done);
        count = 0;
    }

    // An empty tx burst: makes a tx_frees_late PMD pull its completion ring.
    void pull_completions() noexcept {
        if (!ring) rte_eth_tx_burst(port, queue, pkts, 0);
        unpulled = false;
    }

    // At a drain deadline: a reclaiming stream that transmitted in the period before
    // this one and not in this one gets one empty tx burst. Under load every burst
    // pulls the completions anyway; this costs one system call per quiet spell.
    void reclaim_when_idle() noexcept {
        if (!reclaim) return;
        if (sent)
            unpulled = true;
        else if (unpulled)
            pull_completions();
        sent = false;
    }
};

}  // namespace c10m::pipeline
