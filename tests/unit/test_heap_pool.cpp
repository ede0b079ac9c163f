// The EAL-free mbuf pool the TCP tests stand on: it must count, free, refcount and
// clone as a real pktmbuf pool does, or the leak checks built on it mean nothing.
#include <gtest/gtest.h>

#include <vector>

#include "unit/heap_pool.hpp"

using c10m::test::HeapPool;

TEST(HeapPool, AllocFreeAndInUseCount) {
    HeapPool pool(8);
    EXPECT_EQ(pool.in_use(), 0u);
    std::vector<rte_mbuf *> ms;
    for (int i = 0; i < 8; ++i) {
        rte_mbuf *m = rte_pktmbuf_alloc(pool.get());
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->pool, pool.get());
        EXPECT_EQ(m->priv_size, 64);
        EXPECT_EQ(m->data_off, RTE_PKTMBUF_HEADROOM);
        EXPECT_EQ(rte_pktmbuf_data_len(m), 0);
        ms.push_back(m);
    }
    EXPECT_EQ(pool.in_use(), 8u);
    EXPECT_EQ(rte_pktmbuf_alloc(pool.get()), nullptr) << "empty";
    rte_pktmbuf_free(ms.back());
    ms.pop_back();
    EXPECT_EQ(pool.in_use(), 7u);
    rte_pktmbuf_free_bulk(ms.data(), static_cast<unsigned>(ms.size()));
    EXPECT_EQ(pool.in_use(), 0u);
}

TEST(HeapPool, RefcountHoldsAnMbufAndClonesShareData) {
    HeapPool pool(8);
    rte_mbuf *m = pool.frame({1, 2, 3, 4});
    rte_mbuf_refcnt_update(m, 1);
    rte_pktmbuf_free(m);
    EXPECT_EQ(pool.in_use(), 1u) << "one reference left";
    rte_mbuf *c = rte_pktmbuf_clone(m, pool.get());
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(RTE_MBUF_CLONED(c));
    EXPECT_EQ(rte_pktmbuf_mtod(c, uint8_t *)[2], 3);
    rte_pktmbuf_free(m);
    EXPECT_EQ(pool.in_use(), 2u) << "the clone keeps the data";
    rte_pktmbuf_free(c);
    EXPECT_EQ(pool.in_use(), 0u);
}

TEST(HeapPool, PrivateAreaIsTheMbufsOwn) {
    HeapPool pool(2);
    rte_mbuf *a = rte_pktmbuf_alloc(pool.get());
    rte_mbuf *b = rte_pktmbuf_alloc(pool.get());
    auto *pa = static_cast<uint8_t *>(rte_mbuf_to_priv(a));
    EXPECT_EQ(pa, reinterpret_cast<uint8_t *>(a) + sizeof(rte_mbuf));
    EXPECT_LE(pa + 64, static_cast<uint8_t *>(a->buf_addr));
    EXPECT_NE(rte_mbuf_to_priv(a), rte_mbuf_to_priv(b));
    rte_pktmbuf_free(a);
    rte_pktmbuf_free(b);
}
