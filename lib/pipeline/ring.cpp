#include "pipeline/ring.hpp"

#include <rte_malloc.h>

#include <new>

#include "common/error.hpp"
#include "io/eal.hpp"

namespace c10m::pipeline {

unsigned ring_put(rte_ring *r, rte_mbuf *const *pkts, unsigned n, unsigned *free_slots) noexcept {
    return rte_ring_sp_enqueue_burst(r, reinterpret_cast<void *const *>(pkts), n, free_slots);
}

unsigned ring_take(rte_ring *r, rte_mbuf **pkts, unsigned n) noexcept {
    return rte_ring_sc_dequeue_burst(r, reinterpret_cast<void **>(pkts), n, nullptr);
}

Ring::Ring(const std::string &name, unsigned size, int socket, unsigned from, unsigned to)
    : name_(name), from_(from), to_(to) {
    ring_ = rte_ring_create(name.c_str(), size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!ring_)
        throw SetupError("cannot create ring " + name + " (" + std::to_string(size) +
                         " slots on socket " + std::to_string(socket) +
                         "): " + io::rte_error_text());
    void *mem =
        rte_zmalloc_socket("c10m_ring_stats", sizeof(RingStats), RTE_CACHE_LINE_SIZE, socket);
    if (!mem) {
        rte_ring_free(ring_);
        throw SetupError("cannot allocate the counters of ring " + name);
    }
    stats_ = new (mem) RingStats();
}

Ring::~Ring() {
    if (stats_) {
        stats_->~RingStats();
        rte_free(stats_);
    }
    if (ring_) rte_ring_free(ring_);
}

}  // namespace c10m::pipeline
