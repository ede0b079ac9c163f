#pragma once

// The rings of pipeline mode: one single-producer/single-consumer rte_ring per
// (rx lcore, worker) pair, and per (worker, port) when a worker hands its packets
// to the lcore owning the port's tx queue. A full ring is a counted drop, never a
// wait.
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "stats/counters.hpp"

namespace c10m::pipeline {

// One ring's counters: the producer's and the consumer's on cache lines of their own.
struct RingStats {
    alignas(RTE_CACHE_LINE_SIZE) stats::Counter enqueued;
    stats::Counter ring_full;
    stats::Counter high_water;  // most packets it held at once
    alignas(RTE_CACHE_LINE_SIZE) stats::Counter dequeued;

    void produced(unsigned done, unsigned refused, unsigned used) noexcept {
        enqueued.add(done);
        if (refused) ring_full.add(refused);
        if (used > high_water.get()) high_water.add(used - high_water.get());
    }
};

// The stages' ring operations, one call per burst. Kept out of line so that a
// profile tells the rings' share of a stage's cycles (scripts/bench-pipeline):
// the call costs a few cycles per burst, a fraction of one per packet.
[[gnu::noinline]] unsigned ring_put(rte_ring *r, rte_mbuf *const *pkts, unsigned n,
                                    unsigned *free_slots) noexcept;
[[gnu::noinline]] unsigned ring_take(rte_ring *r, rte_mbuf **pkts, unsigned n) noexcept;

// Owns one rte_ring (SP/SC), and its counters.
class Ring {
  public:
    // size: a power of two (the ring holds size - 1); from and to: the producer and
    // consumer lcores. Throws SetupError.
    Ring(const std::string &name, unsigned size, int socket, unsigned from, unsigned to);
    ~Ring();
    Ring(const Ring &) = delete;
    Ring &operator=(const Ring &) = delete;

    rte_ring *get() const noexcept { return ring_; }
    const std::string &name() const noexcept { return name_; }
    RingStats &stats() noexcept { return *stats_; }
    const RingStats &stats() const noexcept { return *stats_; }
    unsigned capacity() const noexcept { return rte_ring_get_capacity(ring_); }
    unsigned count() const noexcept { return rte_ring_count(ring_); }
    unsigned from() const noexcept { return from_; }
    unsigned to() const noexcept { return to_; }

  private:
    std::string name_;
    rte_ring *ring_ = nullptr;
    RingStats *stats_ = nullptr;
    unsigned from_ = 0, to_ = 0;
};

}  // namespace c10m::pipeline
