#include "io/mempool.hpp"

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>

#include "common/error.hpp"
#include "io/eal.hpp"

namespace c10m::io {

uint32_t mempool_size(const PoolDemand &d, unsigned cache) {
    const uint64_t need = d.rx_descriptors + d.tx_descriptors +
                          uint64_t{d.lcores} * (cache + d.burst) +
                          uint64_t{d.streams} * 3u * d.burst + d.extra;
    uint64_t n = 2047;
    while (n < need)
        n = n * 2 + 1;
    return static_cast<uint32_t>(std::min<uint64_t>(n, (uint64_t{1} << 31) - 1));
}

unsigned mempool_cache_for(uint32_t n, unsigned wanted) {
    unsigned c = std::min<unsigned>(wanted, RTE_MEMPOOL_CACHE_MAX_SIZE);
    while (c > 0 && c * 3 > n * 2)
        c /= 2;  // CACHE_FLUSHTHRESH_MULTIPLIER is 1.5
    return c;
}

Mempool::Mempool(const std::string &name, uint32_t n, unsigned cache, uint32_t data_room,
                 int socket, uint16_t priv)
    : socket_(socket), size_(n) {
    pool_ = rte_pktmbuf_pool_create(name.c_str(), n, cache, priv, static_cast<uint16_t>(data_room),
                                    socket);
    if (!pool_)
        throw SetupError("cannot create mempool " + name + " (" + std::to_string(n) + " mbufs of " +
                         std::to_string(data_room) + " bytes on socket " + std::to_string(socket) +
                         "): " + rte_error_text() +
                         "; reserve more hugepages (hugepages/setup) or lower --total-num-mbufs");
}

Mempool::Mempool(Mempool &&o) noexcept
    : pool_(o.pool_), socket_(o.socket_), size_(o.size_), baseline_(o.baseline_) {
    o.pool_ = nullptr;
}

Mempool::~Mempool() {
    if (pool_) rte_mempool_free(pool_);
}

unsigned Mempool::in_use() const {
    return pool_ ? rte_mempool_in_use_count(pool_) : 0;
}

}  // namespace c10m::io
