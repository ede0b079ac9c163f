// The router's pure parts: the table it compiles from the configuration, the TTL
// rewrite's checksum update, the ICMP errors and RSTs it builds, the neighbour table's
// states. (rte_lpm and the mode on mbufs: tests/eal/test_l3fwd.cpp.)
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "common/error.hpp"
#include "config/options.hpp"
#include "route/fib.hpp"
#include "route/neighbours.hpp"
#include "route/replies.hpp"
#include "route/router.hpp"
#include "unit/frames.hpp"

using namespace c10m;
using namespace c10m::route;
using namespace c10m::test;

namespace {

config::AppConfig router_cfg(std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--forward-mode",  "l3fwd", "--ip",
                                     "0:198.18.1.1/24", "--ip",  "1:198.19.1.1/24"};
    args.insert(args.end(), more.begin(), more.end());
    return config::parse_app_args(args).cfg;
}

std::string fib_error(const config::AppConfig &cfg, std::vector<uint16_t> ports = {0, 1}) {
    try {
        build_fib(cfg, ports);
    } catch (const UsageError &e) {
        return e.what();
    }
    return "<no error>";
}

const Nexthop &nh_of(const FibSpec &f, uint32_t addr) {
    static const Nexthop none{Nexthop::Kind::broadcast, 0xffff, 0xffffffff};
    auto i = naive_lookup(f, addr);
    return i ? f.nexthops[*i] : none;
}

}  // namespace

TEST(Fib, ConnectedLocalAndBroadcastFromEachIp) {
    auto f = build_fib(router_cfg(), {0, 1});
    EXPECT_EQ(nh_of(f, 0xc6120163), (Nexthop{Nexthop::Kind::forward, 0, 0}));  // 198.18.1.99
    EXPECT_EQ(nh_of(f, 0xc6130102), (Nexthop{Nexthop::Kind::forward, 1, 0}));  // 198.19.1.2
    EXPECT_EQ(nh_of(f, 0xc6120101), (Nexthop{Nexthop::Kind::local, 0, 0}));
    EXPECT_EQ(nh_of(f, 0xc6130101), (Nexthop{Nexthop::Kind::local, 1, 0}));
    EXPECT_EQ(nh_of(f, 0xc61201ff), (Nexthop{Nexthop::Kind::broadcast, 0, 0}));
    EXPECT_FALSE(naive_lookup(f, 0xc6130501).has_value()) << "no route";
}

// The fast path's one compare: a forward carries its egress port's MTU, a local or
// broadcast prefix 0, so that no packet passes it.
TEST(Fib, NextHopsCarryTheirEgressMtuForTheFastPath) {
    auto f =
        build_fib(router_cfg({"--mtu", "1:1400", "--route", "10.0.0.0/8,1,198.19.1.2"}), {0, 1});
    EXPECT_EQ(nh_of(f, 0xc6120163).fast_mtu, 1500);  // connected, port 0: the default
    EXPECT_EQ(nh_of(f, 0xc6130102).fast_mtu, 1400);  // connected, port 1
    EXPECT_EQ(nh_of(f, 0x0a010203).fast_mtu, 1400);  // via a gateway on port 1
    EXPECT_EQ(nh_of(f, 0xc6120101).fast_mtu, 0);     // local
    EXPECT_EQ(nh_of(f, 0xc61201ff).fast_mtu, 0);     // broadcast
}

TEST(Fib, RoutesViaGatewaysShareNexthopsAndLongestPrefixWins) {
    auto f = build_fib(
        router_cfg({"--route", "198.19.5.0/24,1,198.19.1.2", "--route",
                    "198.19.0.0/16,1,198.19.1.2", "--route", "198.19.5.128/25,1,198.19.1.3",
                    "--route", "0.0.0.0/0,0,198.18.1.254", "--route", "10.0.0.0/8,1"}),
        {0, 1});
    const Nexthop via2{Nexthop::Kind::forward, 1, 0xc6130102};
    EXPECT_EQ(nh_of(f, 0xc6130501), via2);
    EXPECT_EQ(nh_of(f, 0xc6130601), via2);
    EXPECT_EQ(nh_of(f, 0xc6130581), (Nexthop{Nexthop::Kind::forward, 1, 0xc6130103}));
    EXPECT_EQ(nh_of(f, 0x08080808), (Nexthop{Nexthop::Kind::forward, 0, 0xc61201fe}));
    EXPECT_EQ(nh_of(f, 0x0a010203), (Nexthop{Nexthop::Kind::forward, 1, 0}));
    // The connected /24 inside the /16 still wins for its own addresses.
    EXPECT_EQ(nh_of(f, 0xc6130109), (Nexthop{Nexthop::Kind::forward, 1, 0}));
    size_t via2_count = 0;
    for (const auto &h : f.nexthops)
        via2_count += h == via2;
    EXPECT_EQ(via2_count, 1u);
}

TEST(Fib, ErrorsNameTheFlag) {
    EXPECT_EQ(fib_error(router_cfg({"--route", "198.19.5.0/24,1,198.18.1.2"})),
              "--route 198.19.5.0/24,1,198.18.1.2: expected a gateway on port 1's subnet (see "
              "--ip) or given by --neighbor, got 198.18.1.2");
    EXPECT_EQ(fib_error(router_cfg({"--route", "198.19.5.0/24,1,198.18.1.2", "--neighbor",
                                    "1,198.18.1.2,02:00:00:00:00:09"})),
              "<no error>")
        << "a static neighbour makes any gateway reachable (the kernel's onlink)";
    EXPECT_EQ(fib_error(router_cfg({"--route", "198.19.5.0/24,2,198.19.1.2"})),
              "--route 198.19.5.0/24,2,198.19.1.2: expected a forwarding port, got port 2");
    EXPECT_EQ(fib_error(router_cfg({"--route", "198.19.1.0/24,0"})),
              "--route 198.19.1.0/24,0: expected a prefix that is not connected or the router's "
              "own (--ip gives those)");
    EXPECT_EQ(fib_error(router_cfg({"--route", "198.19.1.1/32,0"})),
              "--route 198.19.1.1/32,0: expected a prefix that is not connected or the router's "
              "own (--ip gives those)");
    EXPECT_EQ(fib_error(router_cfg(), {0}), "--ip: expected a forwarding port, got port 1");
    EXPECT_EQ(fib_error(router_cfg({"--neighbor", "3,198.19.1.2,02:00:00:00:00:09"})),
              "--neighbor: expected a forwarding port, got port 3");
    auto twice = config::parse_app_args({"--forward-mode", "l3fwd", "--ip", "0:198.18.1.1/24",
                                         "--ip", "1:198.18.1.2/24"})
                     .cfg;
    EXPECT_EQ(fib_error(twice),
              "--ip: two ports on one subnet (198.18.1.0/24): the router could not tell which "
              "one a packet is for");
}

TEST(Fib, NaiveLookupIsTheLongestMatch) {
    FibSpec f;
    f.nexthops = {{Nexthop::Kind::forward, 0, 1},
                  {Nexthop::Kind::forward, 0, 2},
                  {Nexthop::Kind::forward, 0, 3}};
    f.prefixes = {{0x0a000000, 8, 0}, {0x0a010000, 16, 1}, {0x0a010100, 24, 2}};
    EXPECT_EQ(naive_lookup(f, 0x0a010101), 2u);
    EXPECT_EQ(naive_lookup(f, 0x0a010201), 1u);
    EXPECT_EQ(naive_lookup(f, 0x0a020201), 0u);
    EXPECT_FALSE(naive_lookup(f, 0x0b000000));
}

TEST(Forward, TtlDecrementKeepsTheChecksumRight) {
    std::mt19937 rng(7);
    for (int i = 0; i < 20000; ++i) {
        Bytes l4(static_cast<size_t>(rng() % 8));
        auto ip = ipv4(static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                       static_cast<uint8_t>(rng()), l4, static_cast<uint8_t>(2 + rng() % 254),
                       static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng()));
        ip[1] = static_cast<uint8_t>(rng());
        put16(ip, 10, 0);
        put16(ip, 10, ref_checksum(ip.data(), 20));
        const uint8_t ttl = ip[8];
        decrement_ttl(ip.data());
        EXPECT_EQ(ip[8], ttl - 1);
        const uint16_t got = get16(ip, 10);
        put16(ip, 10, 0);
        ASSERT_EQ(got, ref_checksum(ip.data(), 20)) << "case " << i;
    }
}

// Every checksum a header can carry (the ID field walks the sum through all of
// them), so 0xfeff in network order, the one a full sum gives where the update
// wraps (it becomes 0x0000), is among them, and 0x0000 itself.
TEST(Forward, TtlDecrementIsRightForEveryChecksum) {
    std::set<uint16_t> seen;
    for (uint32_t id = 0; id <= 0xffff; ++id) {
        auto ip = ipv4(0xc6120102, 0xc6130501, 17, Bytes(8), 64, static_cast<uint16_t>(id));
        put16(ip, 10, 0);
        put16(ip, 10, ref_checksum(ip.data(), 20));
        seen.insert(get16(ip, 10));
        decrement_ttl(ip.data());
        const uint16_t got = get16(ip, 10);
        put16(ip, 10, 0);
        ASSERT_EQ(got, ref_checksum(ip.data(), 20)) << "id " << id;
    }
    EXPECT_EQ(seen.size(), 0xffffu);  // all but 0xffff, which a full sum never gives
    EXPECT_TRUE(seen.count(0xfeff) && seen.count(0x0000));
}

namespace {

// A UDP datagram from 198.18.1.2 to 198.19.5.1 with `payload` bytes, in a frame to us.
Bytes udp_frame(size_t payload, uint8_t ttl = 64, uint16_t frag = 0x4000) {
    Bytes udp(8 + payload);
    put16(udp, 0, 40000);
    put16(udp, 2, 33434);
    put16(udp, 4, static_cast<uint16_t>(udp.size()));
    for (size_t i = 0; i < payload; ++i)
        udp[8 + i] = static_cast<uint8_t>(i);
    auto f = eth(kOurMac, kPeerMac, 0x0800);
    auto ip = ipv4(0xc6120102, 0xc6130501, 17, udp, ttl, 0x77, frag);
    f.insert(f.end(), ip.begin(), ip.end());
    return f;
}

}  // namespace

TEST(Replies, IcmpErrorQuotesUpTo576BytesAndChecksums) {
    for (size_t payload : {0u, 10u, 520u, 548u, 1472u}) {
        auto f = udp_frame(payload);
        const auto total = static_cast<uint32_t>(f.size() - 14);
        Bytes orig_ip(f.begin() + 14, f.end());
        // Room in front, as an mbuf's headroom.
        Bytes buf(28);
        buf.insert(buf.end(), f.begin(), f.end());
        const uint32_t n = icmp_error_over(buf.data() + 28, buf.data(), total, kOurMac, 0xc6120101,
                                           0x0102, 11, 0, 0);
        const uint32_t quote = std::min<uint32_t>(total, 548);
        ASSERT_EQ(n, 14 + 20 + 8 + quote);
        Bytes e(buf.begin(), buf.begin() + n);
        EXPECT_TRUE(std::equal(e.begin(), e.begin() + 6, kPeerMac));
        EXPECT_TRUE(std::equal(e.begin() + 6, e.begin() + 12, kOurMac));
        EXPECT_EQ(get16(e, 12), 0x0800);
        EXPECT_EQ(e[14], 0x45);
        EXPECT_EQ(e[15], 0xc0);
        EXPECT_EQ(get16(e, 16), 20 + 8 + quote);
        EXPECT_LE(get16(e, 16), 576u);
        EXPECT_EQ(get16(e, 18), 0x0102);
        EXPECT_EQ(get16(e, 20), 0) << "no DF";
        EXPECT_EQ(e[22], 64);
        EXPECT_EQ(e[23], 1);
        EXPECT_EQ(get32(e, 26), 0xc6120101u);
        EXPECT_EQ(get32(e, 30), 0xc6120102u);
        EXPECT_EQ(ref_checksum(e.data() + 14, 20), 0);
        EXPECT_EQ(e[34], 11);
        EXPECT_EQ(e[35], 0);
        EXPECT_EQ(ref_checksum(e.data() + 34, 8 + quote), 0);
        EXPECT_TRUE(std::equal(e.begin() + 42, e.end(), orig_ip.begin())) << "the quote";
        // No headroom: the datagram moves behind the new headers.
        Bytes g = f;
        g.resize(f.size() + 28);
        const uint32_t n2 =
            icmp_error_over(g.data(), g.data(), total, kOurMac, 0xc6120101, 0x0102, 11, 0, 0);
        ASSERT_EQ(n2, n);
        EXPECT_TRUE(std::equal(e.begin(), e.end(), g.begin()));
    }
}

TEST(Replies, FragmentationNeededCarriesTheMtu) {
    auto f = udp_frame(1472);
    Bytes buf(28);
    buf.insert(buf.end(), f.begin(), f.end());
    const uint32_t n =
        icmp_error_over(buf.data() + 28, buf.data(), 1500, kOurMac, 0xc6120101, 1, 3, 4, 1400);
    Bytes e(buf.begin(), buf.begin() + n);
    EXPECT_EQ(e[34], 3);
    EXPECT_EQ(e[35], 4);
    EXPECT_EQ(get16(e, 38), 0);
    EXPECT_EQ(get16(e, 40), 1400);
    EXPECT_EQ(ref_checksum(e.data() + 34, n - 34), 0);
}

TEST(Replies, NoErrorAboutErrorsLaterFragmentsOrGroups) {
    auto ok = udp_frame(10);
    EXPECT_TRUE(may_send_icmp_error(ok.data(), ok.data() + 14, 20, 38));
    auto frag = udp_frame(10, 64, 0x0010);  // offset 16 bytes
    EXPECT_FALSE(may_send_icmp_error(frag.data(), frag.data() + 14, 20, 38));
    auto first = udp_frame(10, 64, 0x2000);  // MF, offset 0: the first fragment
    EXPECT_TRUE(may_send_icmp_error(first.data(), first.data() + 14, 20, 38));
    auto group = udp_frame(10);
    group[0] = 0xff;
    EXPECT_FALSE(may_send_icmp_error(group.data(), group.data() + 14, 20, 38));
    for (uint8_t type = 0; type < 50; ++type) {
        auto f = eth(kOurMac, kPeerMac, 0x0800);
        auto ip = ipv4(0xc6120102, 0xc6130501, 1, icmp_echo(1, 1, {1, 2}, type));
        f.insert(f.end(), ip.begin(), ip.end());
        const bool query =
            type == 0 || type == 8 || type == 9 || type == 10 || (type >= 13 && type <= 18);
        EXPECT_EQ(may_send_icmp_error(f.data(), f.data() + 14, 20, 30), query) << int(type);
    }
    auto mc = eth(kOurMac, kPeerMac, 0x0800);
    auto ip = ipv4(0xc6120102, 0xe0000001, 17, Bytes(8));
    mc.insert(mc.end(), ip.begin(), ip.end());
    EXPECT_FALSE(may_send_icmp_error(mc.data(), mc.data() + 14, 20, 28));
}

TEST(Replies, TcpResetFollowsRfc9293ForAckAndNoAck) {
    for (bool with_ack : {false, true}) {
        Bytes tcp(20 + 5);
        put16(tcp, 0, 41000);
        put16(tcp, 2, 80);
        put32(tcp, 4, 1000);
        put32(tcp, 8, 777);
        tcp[12] = 5 << 4;
        tcp[13] = with_ack ? 0x18 : 0x03;  // PSH|ACK, or SYN|FIN
        put16(tcp, 16, ref_checksum(tcp.data(), tcp.size(), pseudo(0xc6120102, 0xc6120101, 6, 25)));
        auto f = eth(kOurMac, kPeerMac, 0x0800);
        auto ip = ipv4(0xc6120102, 0xc6120101, 6, tcp);
        f.insert(f.end(), ip.begin(), ip.end());
        const uint32_t n =
            tcp_reset_in_place(f.data(), f.data() + 14, f.data() + 34, 5, kOurMac, 9);
        ASSERT_EQ(n, 54u);
        f.resize(n);
        EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, kPeerMac));
        EXPECT_EQ(get32(f, 26), 0xc6120101u);
        EXPECT_EQ(get32(f, 30), 0xc6120102u);
        EXPECT_EQ(get16(f, 16), 40);
        EXPECT_EQ(get16(f, 20), 0x4000);
        EXPECT_EQ(ref_checksum(f.data() + 14, 20), 0);
        EXPECT_EQ(get16(f, 34), 80);
        EXPECT_EQ(get16(f, 36), 41000);
        if (with_ack) {
            EXPECT_EQ(get32(f, 38), 777u);
            EXPECT_EQ(f[47], 0x04);
        } else {
            EXPECT_EQ(get32(f, 38), 0u);
            EXPECT_EQ(get32(f, 42), 1000u + 5 + 2) << "SYN and FIN count one each";
            EXPECT_EQ(f[47], 0x14);
        }
        EXPECT_EQ(ref_checksum(f.data() + 34, 20, pseudo(0xc6120101, 0xc6120102, 6, 20)), 0);
    }
}

// ---- the neighbour table

namespace {

rte_mbuf *fake(uintptr_t i) {
    return reinterpret_cast<rte_mbuf *>(0x1000 + i * 64);
}

}  // namespace

TEST(Neighbours, FindCreateConfirmRemove) {
    Neighbours n;
    n.configure({10, 100, 1000});
    EXPECT_EQ(n.find(1, 0x0a000001), nullptr);
    auto *e = n.create(1, 0x0a000001, Neighbours::State::incomplete, 5, true);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(n.find(1, 0x0a000001), e);
    EXPECT_EQ(n.find(0, 0x0a000001), nullptr) << "per port";
    EXPECT_FALSE(e->usable());
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 9};
    n.confirm(*e, mac, 50);
    EXPECT_EQ(e->state, Neighbours::State::reachable);
    EXPECT_EQ(e->deadline, 150u);
    EXPECT_TRUE(e->usable());
    EXPECT_EQ(n.live(), 1u);
    n.remove(*e);
    EXPECT_EQ(n.find(1, 0x0a000001), nullptr);
    EXPECT_EQ(n.live(), 0u);
}

TEST(Neighbours, HoldKeepsAFewAndTheOldestGivesWay) {
    Neighbours n;
    auto *e = n.create(0, 1, Neighbours::State::incomplete, 0, true);
    for (uintptr_t i = 0; i < Neighbours::kHoldPerEntry; ++i)
        EXPECT_EQ(n.hold(*e, fake(i)), nullptr);
    EXPECT_EQ(n.hold(*e, fake(100)), fake(0)) << "the oldest is dropped";
    EXPECT_EQ(n.held(), Neighbours::kHoldPerEntry);
    rte_mbuf *out[Neighbours::kHoldPerEntry];
    ASSERT_EQ(n.take_held(*e, out), Neighbours::kHoldPerEntry);
    EXPECT_EQ(out[0], fake(1));
    EXPECT_EQ(out[Neighbours::kHoldPerEntry - 1], fake(100));
    EXPECT_EQ(n.held(), 0u);
}

TEST(Neighbours, TheLcoreHoldsAtMostKMaxHeld) {
    Neighbours n;
    uint32_t held = 0;
    uintptr_t id = 0;
    for (uint32_t ip = 1; held < Neighbours::kMaxHeld; ++ip) {
        auto *e = n.create(0, ip, Neighbours::State::incomplete, 0, true);
        if (!e) continue;  // a full bucket
        for (uint8_t k = 0; k < Neighbours::kHoldPerEntry && held < Neighbours::kMaxHeld; ++k) {
            ASSERT_EQ(n.hold(*e, fake(id++)), nullptr);
            ++held;
        }
    }
    auto *e = n.find(0, 1);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(n.hold(*e, fake(999999)), fake(999999)) << "refused: the lcore's bound";
}

TEST(Neighbours, ABucketEvictsTheSoonestDueButNeverWhatWaitsOrIsPermanent) {
    Neighbours n;
    // Find kWays + 1 addresses in one bucket.
    std::vector<uint32_t> same;
    auto *first = n.create(0, 1, Neighbours::State::reachable, 100, true);
    same.push_back(1);
    for (uint32_t ip = 2; same.size() < Neighbours::kWays + 1; ++ip) {
        // Same bucket: a create fails once the bucket is full, with no eviction.
        auto *e = n.create(0, ip, Neighbours::State::reachable, 100 + ip, false);
        if (!e) {
            same.push_back(ip);
            continue;
        }
        bool in_bucket = (e - first) >= 0 && (e - first) < static_cast<long>(Neighbours::kWays);
        if (in_bucket)
            same.push_back(ip);
        else
            n.remove(*e);
    }
    ASSERT_EQ(n.live(), Neighbours::kWays);
    EXPECT_EQ(n.create(0, same.back(), Neighbours::State::incomplete, 0, false), nullptr);
    // Evicts address 1 (deadline 100, the soonest).
    auto *e = n.create(0, same.back(), Neighbours::State::incomplete, 0, true);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(n.find(0, 1), nullptr);
    // Now make the others incomplete or permanent: nothing can be evicted.
    for (size_t i = 1; i + 1 < same.size(); ++i)
        n.find(0, same[i])->state =
            i % 2 ? Neighbours::State::incomplete : Neighbours::State::permanent;
    EXPECT_EQ(n.create(0, 1, Neighbours::State::incomplete, 0, true), nullptr);
}

TEST(Neighbours, QueueRunsEachEntryOnceAndDueScansOnlyPassedDeadlines) {
    Neighbours n;
    auto *a = n.create(0, 1, Neighbours::State::incomplete, 10, true);
    auto *b = n.create(0, 2, Neighbours::State::reachable, 20, true);
    n.create(0, 3, Neighbours::State::permanent, 0, true);
    n.queue(*a);
    n.queue(*a);
    n.queue(*b);
    int runs = 0;
    n.drain_queue([&](Neighbours::Entry &) { ++runs; });
    EXPECT_EQ(runs, 2);
    std::vector<uint32_t> due;
    n.for_each_due(15, [&](Neighbours::Entry &e) { due.push_back(e.ip); });
    EXPECT_EQ(due, (std::vector<uint32_t>{1}));
    due.clear();
    n.for_each_due(25, [&](Neighbours::Entry &e) { due.push_back(e.ip); });
    EXPECT_EQ(due.size(), 2u) << "never the permanent one";
}

TEST(Arp, ParseChecksWhatItBelieves) {
    PortIf rx;
    rx.host.has_ip = true;
    rx.host.ip = 0xc6120101;
    rx.host.bcast = 0xc61201ff;
    std::copy(kOurMac, kOurMac + 6, rx.host.mac);
    auto arp = [](uint16_t op, const uint8_t *sha, uint32_t spa, uint32_t tpa) {
        const uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        auto f = eth(bc, sha, 0x0806);
        Bytes a(28);
        put16(a, 0, 1);
        put16(a, 2, 0x0800);
        a[4] = 6;
        a[5] = 4;
        put16(a, 6, op);
        std::copy(sha, sha + 6, a.begin() + 8);
        put32(a, 14, spa);
        put32(a, 24, tpa);
        f.insert(f.end(), a.begin(), a.end());
        return f;
    };
    auto ok = arp(1, kPeerMac, 0xc6120102, 0xc6120101);
    auto a = parse_arp(ok.data(), 42, rx);
    ASSERT_TRUE(a.ok);
    EXPECT_EQ(a.op, 1);
    EXPECT_EQ(a.spa, 0xc6120102u);
    EXPECT_EQ(parse_arp(ok.data(), 41, rx).drop, stats::Drop::arp_malformed);
    auto claims_ours = arp(2, kPeerMac, 0xc6120101, 0xc6120101);
    EXPECT_EQ(parse_arp(claims_ours.data(), 42, rx).drop, stats::Drop::arp_not_ours);
    auto martian = arp(1, kPeerMac, 0x7f000001, 0xc6120101);
    EXPECT_EQ(parse_arp(martian.data(), 42, rx).drop, stats::Drop::arp_malformed);
    const uint8_t group[6] = {0x01, 0, 0x5e, 0, 0, 1};
    auto bad_sha = arp(1, group, 0xc6120102, 0xc6120101);
    EXPECT_EQ(parse_arp(bad_sha.data(), 42, rx).drop, stats::Drop::arp_malformed);
    auto bad_op = arp(3, kPeerMac, 0xc6120102, 0xc6120101);
    EXPECT_EQ(parse_arp(bad_op.data(), 42, rx).drop, stats::Drop::arp_malformed);
    auto other = ok;
    std::copy(kPeerMac, kPeerMac + 6, other.begin());  // unicast to someone else
    EXPECT_EQ(parse_arp(other.data(), 42, rx).drop, stats::Drop::eth_not_ours);
    // The reply we send back.
    const uint32_t n = arp_reply_in_place(ok.data(), rx);
    ASSERT_EQ(n, 42u);
    EXPECT_TRUE(std::equal(ok.begin(), ok.begin() + 6, kPeerMac));
    EXPECT_EQ(get16(ok, 20), 2);
    EXPECT_TRUE(std::equal(ok.begin() + 22, ok.begin() + 28, kOurMac));
    EXPECT_EQ(get32(ok, 28), 0xc6120101u);
    EXPECT_TRUE(std::equal(ok.begin() + 32, ok.begin() + 38, kPeerMac));
    EXPECT_EQ(get32(ok, 38), 0xc6120102u);
    // And a request we originate: broadcast, or unicast to a known MAC.
    Bytes req(42);
    write_arp_request(req.data(), rx, 0xc6120109, nullptr);
    EXPECT_EQ(req[0], 0xff);
    EXPECT_EQ(get16(req, 20), 1);
    EXPECT_EQ(get32(req, 28), 0xc6120101u);
    EXPECT_EQ(get32(req, 38), 0xc6120109u);
    write_arp_request(req.data(), rx, 0xc6120109, kPeerMac);
    EXPECT_TRUE(std::equal(req.begin(), req.begin() + 6, kPeerMac));
}
