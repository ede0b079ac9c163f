// Mempool sizing: every descriptor, cache and burst buffer can be full at once.
#include <gtest/gtest.h>

#include "io/mempool.hpp"

using namespace c10m::io;

TEST(MempoolSize, MinimumAndPowerOfTwoMinusOne) {
    PoolDemand d;
    EXPECT_EQ(mempool_size(d), 2047u);
    d.rx_descriptors = 1024;
    d.tx_descriptors = 1024;
    d.lcores = 1;
    d.streams = 1;
    d.burst = 32;
    // 2048 + (256 + 32) + 3*32 = 2432 -> 4095
    EXPECT_EQ(mempool_size(d), 4095u);
}

TEST(MempoolSize, GrowsWithQueuesLcoresAndBursts) {
    PoolDemand d{.rx_descriptors = 4 * 4096,
                 .tx_descriptors = 4 * 4096,
                 .lcores = 4,
                 .streams = 4,
                 .burst = 512};
    // 32768 + 4*(256+512) + 4*3*512 = 32768 + 3072 + 6144 = 41984 -> 65535
    EXPECT_EQ(mempool_size(d), 65535u);
    d.rx_descriptors = 30000;
    d.tx_descriptors = 0;
    // 30000 + 3072 + 6144 = 39216 -> 65535
    EXPECT_EQ(mempool_size(d), 65535u);
    d.rx_descriptors = 20000;
    // 29216 -> 32767
    EXPECT_EQ(mempool_size(d), 32767u);
}

TEST(MempoolSize, ExactBoundary) {
    PoolDemand d{.rx_descriptors = 4095 - 256 - 32 - 96,
                 .tx_descriptors = 0,
                 .lcores = 1,
                 .streams = 1,
                 .burst = 32};
    EXPECT_EQ(mempool_size(d), 4095u);
    d.rx_descriptors += 1;
    EXPECT_EQ(mempool_size(d), 8191u);
}

TEST(MempoolSize, CacheFitsThePool) {
    EXPECT_EQ(mempool_cache_for(8191), 256u);
    EXPECT_EQ(mempool_cache_for(1023), 256u);        // 256*1.5 = 384 <= 1023
    EXPECT_EQ(mempool_cache_for(300), 128u);         // 256*1.5 > 300; 128*1.5 = 192 fits
    EXPECT_EQ(mempool_cache_for(8191, 1000), 512u);  // capped at RTE_MEMPOOL_CACHE_MAX_SIZE
}
