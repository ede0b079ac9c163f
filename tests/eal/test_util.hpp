#pragma once

#include <gtest/gtest.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

namespace c10m::test {

// A test pool with a unique name; freed (after checking nothing leaked) on scope exit.
class TestPool {
  public:
    explicit TestPool(unsigned n = 1023) {
        static std::atomic<unsigned> seq{0};
        const std::string name = "tpool" + std::to_string(seq++);
        pool_ = rte_pktmbuf_pool_create(name.c_str(), n, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                        SOCKET_ID_ANY);
        if (!pool_) throw std::runtime_error("cannot create test pool");
    }
    ~TestPool() {
        EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u) << "mbuf leak";
        rte_mempool_free(pool_);
    }
    TestPool(const TestPool &) = delete;
    TestPool &operator=(const TestPool &) = delete;

    rte_mempool *get() const { return pool_; }
    unsigned in_use() const { return rte_mempool_in_use_count(pool_); }

    rte_mbuf *frame(const std::vector<uint8_t> &bytes) const {
        rte_mbuf *m = rte_pktmbuf_alloc(pool_);
        EXPECT_NE(m, nullptr);
        char *p = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
        if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
        return m;
    }

  private:
    rte_mempool *pool_;
};

inline std::vector<uint8_t> bytes_of(const rte_mbuf *m) {
    const auto *p = rte_pktmbuf_mtod(m, const uint8_t *);
    return {p, p + rte_pktmbuf_data_len(m)};
}

// dst 02:..:01, src 02:..:02, IPv4 ethertype, then n bytes counting up.
inline std::vector<uint8_t> test_frame(size_t payload, uint8_t seed = 0) {
    std::vector<uint8_t> f = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00};
    for (size_t i = 0; i < payload; ++i)
        f.push_back(static_cast<uint8_t>(seed + i));
    return f;
}

}  // namespace c10m::test
