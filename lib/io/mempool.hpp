#pragma once

#include <cstdint>
#include <string>

struct rte_mempool;

namespace c10m::io {

inline constexpr unsigned kPoolCache = 256;

// What one socket's mempool must hold at the same time.
struct PoolDemand {
    uint64_t rx_descriptors = 0;  // sum over the rx queues its lcores poll
    uint64_t tx_descriptors = 0;  // sum over the tx queues its lcores send on
    unsigned lcores = 0;          // lcores drawing from it (each keeps a cache)
    unsigned streams = 0;         // rx queues (each has a burst array and a tx buffer)
    uint16_t burst = 32;
    uint64_t extra = 0;  // held elsewhere: ring slots, a mode's held segments
};

// Mbufs for a pool: every descriptor full, every lcore cache full, every burst array
// and tx buffer full, rounded up to 2^k - 1 (the mempool's sweet spot), at least 2047.
uint32_t mempool_size(const PoolDemand &d, unsigned cache = kPoolCache);

// Largest cache the mempool library accepts for n mbufs (<= n / 1.5, <= the max).
unsigned mempool_cache_for(uint32_t n, unsigned wanted = kPoolCache);

// Owns one pktmbuf pool in hugepage memory on one NUMA socket.
class Mempool {
  public:
    // priv: bytes of private space per mbuf (rte_mbuf_to_priv), a multiple of 8.
    Mempool(const std::string &name, uint32_t n, unsigned cache, uint32_t data_room, int socket,
            uint16_t priv = 0);
    ~Mempool();
    Mempool(Mempool &&o) noexcept;
    Mempool &operator=(Mempool &&) = delete;
    Mempool(const Mempool &) = delete;

    rte_mempool *get() const { return pool_; }
    int socket() const { return socket_; }
    uint32_t size() const { return size_; }
    unsigned in_use() const;
    // What the ports hold once started (rx rings filled, AF_XDP fill queues): the
    // level in-use returns to when nothing is in flight.
    void mark_baseline() { baseline_ = in_use(); }
    unsigned baseline() const { return baseline_; }

  private:
    rte_mempool *pool_ = nullptr;
    int socket_;
    uint32_t size_;
    unsigned baseline_ = 0;
};

}  // namespace c10m::io
