// TCP-lite's parts that need no EAL: sequence arithmetic, SipHash, SYN cookies, the
// timer wheel and the flow table.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "tcp/flow_table.hpp"
#include "tcp/seq.hpp"
#include "tcp/siphash.hpp"
#include "tcp/syncookie.hpp"
#include "tcp/timer_wheel.hpp"

using namespace c10m::tcp;

TEST(TcpSeq, ComparesAcrossTheWrap) {
    EXPECT_TRUE(seq_lt(0xfffffff0u, 0x10u));
    EXPECT_TRUE(seq_gt(0x10u, 0xfffffff0u));
    EXPECT_TRUE(seq_leq(5u, 5u));
    EXPECT_FALSE(seq_lt(5u, 5u));
    EXPECT_TRUE(seq_lt(0x7ffffffeu, 0x7fffffffu));
    EXPECT_TRUE(seq_in(0xfffffffeu, 0xfffffff0u, 0x20u));
    EXPECT_TRUE(seq_in(0x1fu, 0xfffffff0u, 0x20u));
    EXPECT_FALSE(seq_in(0x20u, 0xfffffff0u, 0x20u));
    EXPECT_FALSE(seq_in(0xffffffefu, 0xfffffff0u, 0x20u));
    EXPECT_FALSE(seq_in(7u, 7u, 7u)) << "an empty window holds nothing";
    EXPECT_EQ(seq_max(0xfffffff0u, 3u), 3u);
}

TEST(TcpSipHash, ReferenceVector) {
    // The SipHash paper, appendix A: key 00..0f, message 00..0e.
    const SipKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    uint8_t msg[15];
    for (int i = 0; i < 15; ++i)
        msg[i] = static_cast<uint8_t>(i);
    EXPECT_EQ(siphash24(key, msg, sizeof msg), 0xa129ca6149be45e5ull);
    EXPECT_EQ(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ull);  // reference vectors.h, len 0
}

class Cookies : public ::testing::Test {
  protected:
    SynCookies c{SipKey{0x1234, 0x5678}};
    Tuple t{0xc6120002, 0xc6120001, 40000, 7};
};

TEST_F(Cookies, ValidWithinTwoSlotsCarryingMssAndWindowScale) {
    for (unsigned mi = 0; mi < 8; ++mi)
        for (unsigned wi = 0; wi < 8; ++wi) {
            const uint32_t ck = c.make(t, 1000, 77, mi, wi);
            for (uint32_t later = 0; later <= kCookieMaxAge; ++later) {
                auto r = c.check(t, 1000, ck, 77 + later);
                ASSERT_EQ(r.status, CookieCheck::ok) << mi << wi << later;
                EXPECT_EQ(r.mss_idx, mi);
                EXPECT_EQ(r.ws_idx, wi);
            }
        }
}

TEST_F(Cookies, Expired) {
    const uint32_t ck = c.make(t, 1000, 77, 3, 5);
    EXPECT_EQ(c.check(t, 1000, ck, 77 + kCookieMaxAge + 1).status, CookieCheck::expired);
    EXPECT_EQ(c.check(t, 1000, ck, 77 + 7).status, CookieCheck::expired);
    // Eight slots later the 3-bit slot comes round again, but the hash covers the
    // full slot number: not accepted.
    EXPECT_NE(c.check(t, 1000, ck, 77 + 8).status, CookieCheck::ok);
}

TEST_F(Cookies, ForgedTamperedOrForAnotherConnection) {
    const uint32_t ck = c.make(t, 1000, 77, 3, 5);
    EXPECT_EQ(c.check(t, 1000, ck ^ 1, 77).status, CookieCheck::forged);
    // Claiming a larger MSS index, or another window scale, breaks the hash.
    EXPECT_EQ(c.check(t, 1000, (ck & ~(7u << 26)) | (6u << 26), 77).status, CookieCheck::forged);
    EXPECT_EQ(c.check(t, 1000, ck ^ (1u << 23), 77).status, CookieCheck::forged);
    EXPECT_EQ(c.check(t, 1001, ck, 77).status, CookieCheck::forged) << "other client ISN";
    Tuple other = t;
    other.sport = 40001;
    EXPECT_EQ(c.check(other, 1000, ck, 77).status, CookieCheck::forged);
    SynCookies other_key{SipKey{1, 2}};
    EXPECT_EQ(other_key.check(t, 1000, ck, 77).status, CookieCheck::forged);
    // A forger guessing at random: about 1 in 2^23 gets through.
    std::mt19937 rng(4987);
    int accepted = 0;
    for (int i = 0; i < 200000; ++i)
        accepted += c.check(t, 1000, static_cast<uint32_t>(rng()), 77).status == CookieCheck::ok;
    EXPECT_LE(accepted, 1);
}

TEST(CookieTables, IndexesRoundDown) {
    EXPECT_EQ(mss_index(1460), 7);
    EXPECT_EQ(mss_index(1459), 6);
    EXPECT_EQ(mss_index(9000), 7);
    EXPECT_EQ(mss_index(1380), 5);
    EXPECT_EQ(mss_index(536), 2);
    EXPECT_EQ(mss_index(535), 1);
    EXPECT_EQ(mss_index(48), 0);
    EXPECT_EQ(mss_index(47), -1);
    EXPECT_EQ(wscale_index(-1), 0);
    EXPECT_EQ(kWscaleTable[static_cast<size_t>(wscale_index(7))], 7);
    EXPECT_EQ(kWscaleTable[static_cast<size_t>(wscale_index(5))], 4);
    EXPECT_EQ(kWscaleTable[static_cast<size_t>(wscale_index(14))], 9);
    EXPECT_EQ(kWscaleTable[static_cast<size_t>(wscale_index(0))], 0);
}

// ---- timer wheel ----

struct WheelTest : ::testing::Test {
    std::vector<TimerLink> links = std::vector<TimerLink>(1000);
    TimerWheel<64> w{100};
    std::vector<uint32_t> fired;
    TimerLink &operator()(uint32_t i) { return links[i]; }
    void advance(uint32_t to) {
        w.advance([this](uint32_t i) -> TimerLink & { return links[i]; }, to,
                  [this](uint32_t i) { fired.push_back(i); });
    }
    void arm(uint32_t i, uint32_t at) {
        w.arm([this](uint32_t k) -> TimerLink & { return links[k]; }, i, at);
    }
};

TEST_F(WheelTest, FiresEachEntryOnceAtItsTick) {
    arm(1, 105);
    arm(2, 105);
    arm(3, 110);
    arm(4, 100 + 64 * 3 + 5);  // three turns away, same slot as 105
    advance(104);
    EXPECT_TRUE(fired.empty());
    advance(105);
    EXPECT_EQ(std::set<uint32_t>(fired.begin(), fired.end()), (std::set<uint32_t>{1, 2}));
    fired.clear();
    advance(120);
    EXPECT_EQ(fired, std::vector<uint32_t>{3});
    fired.clear();
    advance(100 + 64 * 3 + 4);
    EXPECT_TRUE(fired.empty()) << "an entry turns with the wheel until it is due";
    advance(100 + 64 * 3 + 5);
    EXPECT_EQ(fired, std::vector<uint32_t>{4});
    EXPECT_EQ(w.size(), 0u);
}

TEST_F(WheelTest, RearmAndCancel) {
    arm(1, 110);
    arm(1, 130);  // re-arm moves it
    auto links_fn = [this](uint32_t i) -> TimerLink & { return links[i]; };
    arm(2, 111);
    w.cancel(links_fn, 2);
    w.cancel(links_fn, 2);  // twice is harmless
    EXPECT_FALSE(TimerWheel<64>::armed(links[2]));
    advance(129);
    EXPECT_TRUE(fired.empty());
    advance(130);
    EXPECT_EQ(fired, std::vector<uint32_t>{1});
    arm(5, 90);  // in the past: fires at the next tick
    advance(131);
    EXPECT_EQ(fired.back(), 5u);
}

TEST_F(WheelTest, LongJumpFiresWhatIsDueAndWrapsTheTickCounter) {
    TimerWheel<64> wrap{0xfffffff0u};
    auto links_fn = [this](uint32_t i) -> TimerLink & { return links[i]; };
    for (uint32_t i = 0; i < 500; ++i)
        wrap.arm(links_fn, i, 0xfffffff0u + 1 + i * 7);  // crosses 2^32
    size_t n = 0;
    std::vector<uint32_t> order;
    n += wrap.advance(links_fn, 0xfffffff0u + 1000, [&](uint32_t i) { order.push_back(i); });
    EXPECT_EQ(n, 143u) << "ticks up to +1000 cover entries 0..142";
    n += wrap.advance(links_fn, 0xfffffff0u + 4000, [&](uint32_t i) { order.push_back(i); });
    EXPECT_EQ(n, 500u);
    EXPECT_EQ(wrap.size(), 0u);
    std::set<uint32_t> uniq(order.begin(), order.end());
    EXPECT_EQ(uniq.size(), 500u);
}

TEST_F(WheelTest, FireMayRearmItself) {
    arm(7, 101);
    int count = 0;
    auto links_fn = [this](uint32_t i) -> TimerLink & { return links[i]; };
    for (uint32_t now = 101; now <= 101 + 64 * 2; ++now)
        w.advance(links_fn, now, [&](uint32_t i) {
            ++count;
            w.arm(links_fn, i, now + 64);  // same slot, next turn
        });
    EXPECT_EQ(count, 3);
}

// The wheel against a naive model (expiry by entry), with small levels so that
// cascades, level-1 revolutions and the 2^32 wrap all happen.
TEST(TimerWheelModel, AgreesWithAMapUnderRandomArmsCancelsAndAdvances) {
    for (const uint32_t start : {0u, 0xffff0000u, 12345u}) {
        std::minstd_rand rng(start ^ 77u);
        auto rnd = [&] { return static_cast<uint32_t>(rng()); };
        constexpr uint32_t kN = 300;
        std::vector<TimerLink> links(kN);
        auto lf = [&](uint32_t i) -> TimerLink & { return links[i]; };
        TimerWheel<16, 4> w{start};
        std::map<uint32_t, uint32_t> model;  // idx -> expiry
        uint32_t now = start;
        for (int step = 0; step < 20000; ++step) {
            const uint32_t r = rnd() % 10;
            const uint32_t idx = rnd() % kN;
            if (r < 5) {
                // mostly near, sometimes far beyond level 1's reach (16 * 4 ticks)
                const uint32_t d = rnd() % 4 == 0 ? rnd() % 1000 : rnd() % 70;
                w.arm(lf, idx, now + d);
                model[idx] = d == 0 ? now + 1 : now + d;
            } else if (r < 6) {
                w.cancel(lf, idx);
                model.erase(idx);
            } else {
                const uint32_t to = now + (rnd() % 8 == 0 ? rnd() % 300 : rnd() % 5);
                std::set<uint32_t> fired;
                w.advance(lf, to, [&](uint32_t i) { EXPECT_TRUE(fired.insert(i).second); });
                std::set<uint32_t> due;
                for (auto it = model.begin(); it != model.end();) {
                    if (static_cast<int32_t>(it->second - to) <= 0) {
                        due.insert(it->first);
                        it = model.erase(it);
                    } else {
                        ++it;
                    }
                }
                ASSERT_EQ(fired, due) << "start " << start << " step " << step << " now " << to;
                now = to;
            }
            ASSERT_EQ(w.size(), model.size());
            for (uint32_t i = 0; i < kN; ++i)
                ASSERT_EQ((TimerWheel<16, 4>::armed(links[i])), model.count(i) == 1);
        }
    }
}

// Holding idle timers costs a visit when they cascade and one when they fire: a
// single-level wheel of 4096 one-tick slots looked at each of them once per turn
// (every ~4 s), 15 times over a 60 s idle timeout.
TEST(TimerWheelModel, HoldingIdleTimersCostsTwoVisitsEach) {
    constexpr uint32_t kN = 100000;
    std::vector<TimerLink> links(kN);
    auto lf = [&](uint32_t i) -> TimerLink & { return links[i]; };
    TimerWheel<4096> w{0};
    for (uint32_t i = 0; i < kN; ++i)
        w.arm(lf, i, 60000 + i % 1000);  // 60 s idle timers, spread over a second
    size_t fired = 0;
    for (uint32_t t = 1; t <= 61000; t += 1 + t % 3)  // polled every 1-3 ms
        fired += w.advance(lf, t, [](uint32_t) {});
    fired += w.advance(lf, 61000, [](uint32_t) {});
    EXPECT_EQ(fired, kN);
    EXPECT_LE(w.visits(), 2u * kN);
}

// ---- flow table ----

struct Rec {
    FlowKey key;
    uint32_t value;
};

TEST(FlowTable, AgreesWithAMapUnderRandomInsertsAndErases) {
    constexpr uint32_t kCap = 5000;
    std::vector<Rec> recs(kCap);
    std::vector<FlowSlot> slots(flow_slots_for(kCap));
    std::vector<uint32_t> free_stack(kCap);
    FlowTable<Rec> t(recs.data(), slots.data(), free_stack.data(), kCap, 99);
    EXPECT_EQ(t.slot_count(), 16384u);
    std::map<std::tuple<uint32_t, uint16_t, uint16_t, uint8_t>, uint32_t> ref;
    std::mt19937 rng(9293);
    for (int step = 0; step < 200000; ++step) {
        // A small key space so that erases and collisions are frequent.
        FlowKey k{static_cast<uint32_t>(0xc6120000u | (rng() % 64)),
                  static_cast<uint16_t>(rng() % 128),
                  static_cast<uint16_t>(7 + rng() % 2),
                  static_cast<uint8_t>(rng() % 2),
                  {}};
        auto rk = std::make_tuple(k.raddr, k.rport, k.lport, k.stream);
        const uint32_t found = t.find(k);
        auto it = ref.find(rk);
        ASSERT_EQ(found != FlowTable<Rec>::kNone, it != ref.end()) << step;
        if (it != ref.end()) {
            ASSERT_EQ(t.at(found).value, it->second);
            if (rng() % 2) {
                t.erase(found);
                ref.erase(it);
            }
        } else if (ref.size() < kCap) {
            const uint32_t idx = t.insert(k, t.hash(k));
            ASSERT_NE(idx, FlowTable<Rec>::kNone);
            t.at(idx).value = static_cast<uint32_t>(step);
            ref[rk] = static_cast<uint32_t>(step);
        }
        ASSERT_EQ(t.size(), ref.size());
    }
}

TEST(FlowTable, FullTableRefusesAndRecovers) {
    constexpr uint32_t kCap = 100;
    std::vector<Rec> recs(kCap);
    std::vector<FlowSlot> slots(flow_slots_for(kCap));
    std::vector<uint32_t> free_stack(kCap);
    FlowTable<Rec> t(recs.data(), slots.data(), free_stack.data(), kCap, 1);
    std::vector<uint32_t> idx;
    for (uint16_t p = 1; p <= kCap; ++p) {
        FlowKey k{1, p, 7, 0, {}};
        idx.push_back(t.insert(k, t.hash(k)));
        ASSERT_NE(idx.back(), FlowTable<Rec>::kNone);
    }
    FlowKey extra{2, 1, 7, 0, {}};
    EXPECT_EQ(t.insert(extra, t.hash(extra)), FlowTable<Rec>::kNone);
    for (uint16_t p = 1; p <= kCap; ++p)
        EXPECT_NE(t.find(FlowKey{1, p, 7, 0, {}}), FlowTable<Rec>::kNone);
    t.erase(idx[50]);
    EXPECT_EQ(t.find(FlowKey{1, 51, 7, 0, {}}), FlowTable<Rec>::kNone);
    EXPECT_NE(t.insert(extra, t.hash(extra)), FlowTable<Rec>::kNone);
    EXPECT_EQ(t.size(), kCap);
}
