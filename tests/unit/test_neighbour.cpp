// The neighbour table and the ICMP token bucket.
#include <gtest/gtest.h>

#include "host/neighbour.hpp"
#include "net/token_bucket.hpp"

using namespace c10m::host;
using c10m::net::TokenBucket;

TEST(Neighbour, LearnLookupUpdate) {
    NeighbourTable t;
    t.set_max_age(100);
    const uint8_t a[6] = {2, 0, 0, 0, 0, 1}, b[6] = {2, 0, 0, 0, 0, 2};
    EXPECT_EQ(t.lookup(0x0a000001, 0), nullptr);
    t.learn(0x0a000001, a, 10);
    ASSERT_NE(t.lookup(0x0a000001, 10), nullptr);
    EXPECT_EQ(t.lookup(0x0a000001, 10)[5], 1);
    t.learn(0x0a000001, b, 20);
    EXPECT_EQ(t.lookup(0x0a000001, 20)[5], 2);
    EXPECT_EQ(t.live_entries(20), 1u);
    t.learn(0, a, 20);  // 0.0.0.0 is never learned
    EXPECT_EQ(t.live_entries(20), 1u);
}

TEST(Neighbour, EntriesAgeOut) {
    NeighbourTable t;
    t.set_max_age(100);
    const uint8_t a[6] = {2, 0, 0, 0, 0, 1};
    t.learn(0x0a000001, a, 10);
    EXPECT_NE(t.lookup(0x0a000001, 110), nullptr);
    EXPECT_EQ(t.lookup(0x0a000001, 111), nullptr);
    EXPECT_EQ(t.live_entries(111), 0u);
    t.learn(0x0a000001, a, 200);  // relearned
    EXPECT_NE(t.lookup(0x0a000001, 250), nullptr);
}

TEST(Neighbour, FullTableEvictsTheOldest) {
    NeighbourTable t;
    t.set_max_age(1000000);
    uint8_t mac[6] = {2, 0, 0, 0, 0, 0};
    for (uint32_t i = 0; i < NeighbourTable::kSlots; ++i) {
        mac[5] = static_cast<uint8_t>(i);
        t.learn(0x0a000000 + i, mac, 100 + i);
    }
    EXPECT_EQ(t.live_entries(200), NeighbourTable::kSlots);
    for (uint32_t i = 0; i < NeighbourTable::kSlots; ++i)
        ASSERT_NE(t.lookup(0x0a000000 + i, 200), nullptr) << i;
    mac[5] = 0xee;
    t.learn(0x0b000000, mac, 500);
    EXPECT_EQ(t.lookup(0x0a000000, 500), nullptr) << "the oldest (learned at 100) gave way";
    ASSERT_NE(t.lookup(0x0b000000, 500), nullptr);
    EXPECT_EQ(t.lookup(0x0b000000, 500)[5], 0xee);
    for (uint32_t i = 1; i < NeighbourTable::kSlots; ++i)
        EXPECT_NE(t.lookup(0x0a000000 + i, 500), nullptr) << i;
}

TEST(Neighbour, AgedSlotsAreReused) {
    NeighbourTable t;
    t.set_max_age(10);
    uint8_t mac[6] = {2, 0, 0, 0, 0, 0};
    for (uint32_t round = 0; round < 10; ++round)
        for (uint32_t i = 0; i < NeighbourTable::kSlots; ++i)
            t.learn(0x0a000000 + round * 1000 + i, mac, round * 100);
    EXPECT_EQ(t.live_entries(900), NeighbourTable::kSlots);
    EXPECT_NE(t.lookup(0x0a000000 + 9000 + 5, 900), nullptr);
}

TEST(TokenBucket, UnlimitedByDefault) {
    TokenBucket b;
    b.configure(0, 5, 1000, 0);
    for (int i = 0; i < 100000; ++i)
        ASSERT_TRUE(b.take(0));
}

TEST(TokenBucket, RateAndBurst) {
    TokenBucket b;
    b.configure(100, 5, 1000, 0);  // 100/s, burst 5, 1000 ticks per second
    int ok = 0;
    for (int i = 0; i < 20; ++i)
        ok += b.take(0);
    EXPECT_EQ(ok, 5);
    EXPECT_FALSE(b.take(9));  // 9 ms: 0.9 token
    EXPECT_TRUE(b.take(10));  // 10 ms: one token
    EXPECT_FALSE(b.take(10));
    // Over one second at most rate + burst.
    ok = 0;
    for (uint64_t t = 1000; t < 2000; ++t)
        ok += b.take(t);
    EXPECT_GE(ok, 100);
    EXPECT_LE(ok, 105);
}

TEST(TokenBucket, LongIdleDoesNotOverflow) {
    TokenBucket b;
    b.configure(1000000, 50, 3000000000ull, 0);
    int ok = 0;
    for (int i = 0; i < 100; ++i)
        ok += b.take(UINT64_MAX / 2);
    EXPECT_EQ(ok, 50);
}
