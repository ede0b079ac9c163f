// The router on mbufs: rte_lpm against a naive longest match, and L3fwd's handler,
// timers and neighbour resolution with tx buffers that record what leaves by which
// port. The frame-level parts have unit tests (tests/unit/test_route.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <random>

#include "eal/test_util.hpp"
#include "route/l3fwd_mode.hpp"
#include "unit/frames.hpp"

using namespace c10m;
using namespace c10m::test;
using route::L3fwd;

TEST(Lpm, MatchesTheNaiveLongestMatchOnRandomRoutes) {
    std::mt19937 rng(11);
    route::FibSpec spec;
    for (uint32_t i = 0; i < 64; ++i)
        spec.nexthops.push_back(
            {route::Nexthop::Kind::forward, static_cast<uint16_t>(i % 4), i + 1});
    std::map<std::pair<uint32_t, uint8_t>, bool> seen;
    while (spec.prefixes.size() < 1000) {
        static const uint8_t lens[] = {8, 12, 16, 16, 20, 24, 24, 24, 25, 28, 32};
        const uint8_t len = lens[rng() % sizeof lens];
        // Cluster in 10.0.0.0/8 and 198.18.0.0/15 so that prefixes nest.
        uint32_t a =
            (rng() & 1) ? (0x0a000000 | (rng() & 0x00ffffff)) : (0xc6120000 | (rng() & 0x0001ffff));
        a &= net::Ipv4Prefix{0, len}.mask();
        if (!seen.emplace(std::make_pair(a, len), true).second) continue;
        spec.prefixes.push_back({a, len, static_cast<uint32_t>(rng() % spec.nexthops.size())});
    }
    route::Lpm lpm(spec, SOCKET_ID_ANY, "test_lpm");
    auto check = [&](uint32_t addr) {
        const auto want = route::naive_lookup(spec, addr);
        const route::Nexthop *got = lpm.lookup(addr);
        if (!want) {
            EXPECT_EQ(got, nullptr) << std::hex << addr;
        } else {
            ASSERT_NE(got, nullptr) << std::hex << addr;
            EXPECT_EQ(*got, spec.nexthops[*want]) << std::hex << addr;
        }
    };
    for (int i = 0; i < 100000; ++i) {
        const uint32_t r = static_cast<uint32_t>(rng());
        check((rng() & 1) ? (0x0a000000 | (r & 0x00ffffff)) : (0xc6120000 | (r & 0x0001ffff)));
    }
    for (const auto &p : spec.prefixes) {  // each prefix's edges
        check(p.addr);
        check(p.addr | ~net::Ipv4Prefix{0, p.len}.mask());
        check(p.addr - 1);
    }
    check(0x08080808);
    // The four-wide path's view of the same table: an address's first-level entry is
    // its route's entry_of, unless its /24 holds a longer prefix (a second-level
    // group: bit 25), and has no valid bit where there is no route.
    auto check_x4 = [](const route::Lpm &t, uint32_t a) {
        alignas(16) uint32_t e[4];
        _mm_store_si128(reinterpret_cast<__m128i *>(e),
                        t.entries_x4(_mm_setr_epi32(0, static_cast<int>(a), 0, 0)));
        const route::Nexthop *nh = t.lookup(a);
        if (e[1] & 0x02000000) return;
        if (nh)
            EXPECT_EQ(e[1], t.entry_of(nh)) << std::hex << a;
        else
            EXPECT_EQ(e[1] & 0x01000000, 0u) << std::hex << a;
    };
    for (int i = 0; i < 20000; ++i) {
        const uint32_t r = static_cast<uint32_t>(rng());
        check_x4(lpm,
                 (rng() & 1) ? (0x0a000000 | (r & 0x00ffffff)) : (0xc6120000 | (r & 0x0001ffff)));
        check_x4(lpm, static_cast<uint32_t>(rng()));
    }
    // A default route: rte_lpm takes depths 1..32, so 0.0.0.0/0 goes in as its two
    // halves, each where no /1 of that address was given.
    spec.prefixes.push_back({0, 0, 5});
    for (const bool explicit_half : {false, true}) {
        if (explicit_half)  // before the default, which must not take its place
            spec.prefixes.insert(spec.prefixes.end() - 1, {0x80000000, 1, 6});
        route::Lpm with_default(spec, SOCKET_ID_ANY,
                                explicit_half ? "test_lpm_half" : "test_lpm_default");
        EXPECT_EQ(*with_default.lookup(0x08080808), spec.nexthops[5]);
        EXPECT_EQ(*with_default.lookup(0xc0000201),
                  spec.nexthops[explicit_half ? 6 : 5]);  // 192.0.2.1
        for (int i = 0; i < 10000; ++i) {
            const auto a = static_cast<uint32_t>(rng());
            const route::Nexthop *got = with_default.lookup(a);
            ASSERT_NE(got, nullptr);
            EXPECT_EQ(*got, spec.nexthops[*route::naive_lookup(spec, a)]) << std::hex << a;
            check_x4(with_default, a);
        }
    }
}

namespace {

// A tx buffer that keeps what is sent, as a port would receive it.
struct RecordingSink : net::TxSink {
    std::vector<rte_mbuf *> sent;
    RecordingSink() {
        burst = 32;
        send_fn = [](net::TxSink &s) noexcept {
            auto &r = static_cast<RecordingSink &>(s);
            r.sent.insert(r.sent.end(), r.pkts, r.pkts + r.count);
            r.count = 0;
        };
    }
    ~RecordingSink() { release(); }
    void release() {
        send();
        for (auto *m : sent)
            rte_pktmbuf_free(m);
        sent.clear();
    }
    // What left, as bytes; frees it.
    std::vector<Bytes> take() {
        send();
        std::vector<Bytes> out;
        for (auto *m : sent) {
            out.push_back(bytes_of(m));
            rte_pktmbuf_free(m);
        }
        sent.clear();
        return out;
    }
};

constexpr uint8_t kMac0[6] = {0x02, 0xc1, 0, 0, 0, 0x10};
constexpr uint8_t kMac1[6] = {0x02, 0xc1, 0, 0, 0, 0x11};
constexpr uint8_t kHostA[6] = {0x02, 0, 0, 0, 0xa, 0x02};
constexpr uint8_t kHostB[6] = {0x02, 0, 0, 0, 0xb, 0x02};
constexpr uint8_t kHostC[6] = {0x02, 0, 0, 0, 0xc, 0x07};
constexpr uint32_t kA = 0xc6120102;        // 198.18.1.2, on port 0
constexpr uint32_t kB = 0xc6130102;        // 198.19.1.2, on port 1 (static neighbour)
constexpr uint32_t kC = 0xc6130107;        // 198.19.1.7, on port 1 (resolved by ARP)
constexpr uint32_t kBehindB = 0xc6130501;  // 198.19.5.1 via B
constexpr uint64_t kHz = 1000;             // one tick a millisecond

// One router lcore with ports 0 (198.18.1.1/24) and 1 (198.19.1.1/24, MTU 1400).
struct Router {
    TestPool pool{2047};
    config::AppConfig cfg;
    std::vector<io::PortCaps> ports;
    RecordingSink out[2];
    std::unique_ptr<L3fwd::Lcore> l = std::make_unique<L3fwd::Lcore>();
    L3fwd::Stream s[2];
    stats::Tally t;
    unsigned base;

    // csum_flags: the ports' PMD can flag IPv4 header checksums.
    explicit Router(const std::vector<std::string> &more = {},
                    const std::string &ip0 = "0:198.18.1.1/24", bool csum_flags = false) {
        std::vector<std::string> args = {"--forward-mode", "l3fwd",
                                         "--ip",           ip0,
                                         "--ip",           "1:198.19.1.1/24",
                                         "--route",        "198.19.5.0/24,1,198.19.1.2",
                                         "--neighbor",     "1,198.19.1.2,02:00:00:00:0b:02",
                                         "--mtu",          "1:1400",
                                         "--icmp-rate",    "0"};
        args.insert(args.end(), more.begin(), more.end());
        cfg = config::parse_app_args(args).cfg;
        for (uint16_t p = 0; p < 2; ++p) {
            io::PortCaps c;
            c.id = p;
            c.rx_ip_csum_flags = csum_flags;
            std::copy(p ? kMac1 : kMac0, (p ? kMac1 : kMac0) + 6, c.mac.addr_bytes);
            ports.push_back(c);
        }
        net::TxSink *outs[RTE_MAX_ETHPORTS] = {&out[0], &out[1]};
        L3fwd::init(*l, pipeline::LcoreEnv{cfg, 0, 0, pool.get(), 1000, kHz, 0, 1, outs, &ports});
        for (uint16_t p = 0; p < 2; ++p)
            L3fwd::init(*l, s[p], pipeline::StreamEnv{cfg, ports[p], ports[p], &out[p], true});
        base = pool.in_use();
    }
    ~Router() {
        out[0].release();
        out[1].release();
        L3fwd::release(*l);
        L3fwd::fini(*l);
        EXPECT_EQ(pool.in_use(), base) << "every mbuf freed";
    }

    // Frames arriving on a port at time now; what the handler kept in place leaves
    // by that port (it is in that port's sink, as the loop would send it).
    // ol_flags: the rx flags the PMD set on each.
    void rx(uint16_t port, const std::vector<Bytes> &frames, uint64_t now = 0,
            uint64_t ol_flags = 0) {
        RecordingSink &tx = out[port];
        const auto n = static_cast<uint16_t>(frames.size());
        for (uint16_t i = 0; i < n; ++i) {
            tx.pkts[tx.count + i] = pool.frame(frames[i]);
            tx.pkts[tx.count + i]->ol_flags |= ol_flags;
        }
        L3fwd::handle(*l, s[port], tx.pkts + tx.count, n, tx, now, t);
    }
    bool poll(uint64_t now) { return L3fwd::poll(*l, now, t); }
    uint32_t drop(stats::Drop d) const { return t.drop[static_cast<size_t>(d)]; }
    uint32_t event(stats::Event e) const { return t.event[static_cast<size_t>(e)]; }
};

Bytes ip_frame(const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t src, uint32_t dst,
               size_t payload, uint8_t ttl = 64, uint16_t frag = 0x4000) {
    return cat(
        eth(dst_mac, src_mac, 0x0800),
        ipv4(src, dst, 17, udp(src, dst, 40000, 9, test::payload(payload)), ttl, 0x55, frag));
}

Bytes arp_frame(uint16_t op, const uint8_t *sha, uint32_t spa, uint32_t tpa,
                const uint8_t *eth_dst) {
    const uint8_t zero[6] = {};
    return pad60(cat(eth(eth_dst, sha, 0x0806), test::arp(op, sha, spa, zero, tpa)));
}

}  // namespace

TEST(L3fwdMode, ForwardsToAStaticNeighbourWithTtlChecksumAndMacsRewritten) {
    Router r;
    auto in = pad60(ip_frame(kMac0, kHostA, kA, kBehindB, 4));  // Ethernet padding
    r.rx(0, {in});
    EXPECT_TRUE(r.out[0].take().empty());
    auto sent = r.out[1].take();
    ASSERT_EQ(sent.size(), 1u);
    const Bytes &f = sent[0];
    ASSERT_EQ(f.size(), 14u + 20 + 8 + 4) << "padding trimmed";
    EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, kHostB));
    EXPECT_TRUE(std::equal(f.begin() + 6, f.begin() + 12, kMac1));
    EXPECT_EQ(f[22], 63);
    EXPECT_EQ(ref_checksum(f.data() + 14, 20), 0);
    EXPECT_EQ(f[23], in[23]);
    EXPECT_TRUE(std::equal(f.begin() + 26, f.end(), in.begin() + 26)) << "nothing else changed";
    EXPECT_EQ(r.event(stats::Event::l3_forwarded), 1u);
}

// The rx checksum flags are read where the port's PMD can set them, and only there:
// elsewhere they say nothing, and every header is verified.
TEST(L3fwdMode, RxChecksumFlagsCountOnlyWhereThePortCanSetThem) {
    const Bytes good = ip_frame(kMac0, kHostA, kA, kBehindB, 4);
    Bytes broken = good;
    broken[24] ^= 0x01;  // the header checksum
    {
        Router r({}, "0:198.18.1.1/24", true);
        r.rx(0, {broken}, 0, RTE_MBUF_F_RX_IP_CKSUM_GOOD);
        EXPECT_EQ(r.out[1].take().size(), 1u) << "vouched for: not verified again";
        r.rx(0, {good}, 0, RTE_MBUF_F_RX_IP_CKSUM_BAD);
        EXPECT_TRUE(r.out[1].take().empty());
        EXPECT_EQ(r.drop(stats::Drop::ip_bad_checksum), 1u);
        EXPECT_EQ(r.event(stats::Event::l3_forwarded), 1u);
    }
    {
        Router r;
        r.rx(0, {broken}, 0, RTE_MBUF_F_RX_IP_CKSUM_GOOD);
        EXPECT_TRUE(r.out[1].take().empty());
        EXPECT_EQ(r.drop(stats::Drop::ip_bad_checksum), 1u) << "verified: the flag is not read";
        r.rx(0, {good}, 0, RTE_MBUF_F_RX_IP_CKSUM_BAD);
        EXPECT_EQ(r.out[1].take().size(), 1u);
        EXPECT_EQ(r.event(stats::Event::l3_forwarded), 1u);
    }
}

TEST(L3fwdMode, ResolvesByArpHoldingAFewAndReleasesInOrder) {
    Router r;
    std::vector<Bytes> burst;
    for (int i = 0; i < 6; ++i)
        burst.push_back(ip_frame(kMac0, kHostA, kA, kC, 10 + i));
    r.rx(0, burst, 5);
    EXPECT_EQ(r.event(stats::Event::l3_held), 6u);
    EXPECT_EQ(r.drop(stats::Drop::l3_hold_full), 2u) << "4 wait, the 2 oldest gave way";
    auto reqs = r.out[1].take();
    ASSERT_EQ(reqs.size(), 1u) << "one ARP request for the burst";
    EXPECT_EQ(reqs[0][0], 0xff);
    EXPECT_EQ(get16(reqs[0], 20), 1);
    EXPECT_EQ(get32(reqs[0], 38), kC);
    EXPECT_EQ(get32(reqs[0], 28), 0xc6130101u) << "from port 1's address";
    // The reply: the 4 left leave in order, to C's MAC.
    r.rx(1, {arp_frame(2, kHostC, kC, 0xc6130101, kMac1)}, 10);
    auto sent = r.out[1].take();
    ASSERT_EQ(sent.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_TRUE(std::equal(sent[i].begin(), sent[i].begin() + 6, kHostC));
        EXPECT_TRUE(std::equal(sent[i].begin() + 6, sent[i].begin() + 12, kMac1));
        EXPECT_EQ(sent[i].size(), 14u + 28 + 12 + i) << "the 3rd to 6th, in order";
        EXPECT_EQ(sent[i][22], 63);
        EXPECT_EQ(ref_checksum(sent[i].data() + 14, 20), 0);
    }
    EXPECT_EQ(r.event(stats::Event::arp_learned), 1u);
    // Now the fast path.
    r.rx(0, {ip_frame(kMac0, kHostA, kA, kC, 1)}, 20);
    EXPECT_EQ(r.out[1].take().size(), 1u);
    EXPECT_EQ(r.event(stats::Event::l3_forwarded), 5u);
}

// The handler remembers, within a burst, the gateway the last forward went to and its
// neighbour entry: an ARP reply in the same burst that changes the gateway's MAC must
// reach the forwards after it (the entry is read in place; the eviction test below is
// the one that needs the burst to forget it).
TEST(L3fwdMode, AnArpInTheMiddleOfABurstChangesTheMacOfTheForwardsAfterIt) {
    constexpr uint8_t kHostD1[6] = {0x02, 0, 0, 0, 0xd, 0x01};
    constexpr uint8_t kHostD2[6] = {0x02, 0, 0, 0, 0xd, 0x02};
    constexpr uint32_t kD = 0xc6120107;  // 198.18.1.7, on port 0: the way to 198.19.6.0/24
    Router r({"--route", "198.19.6.0/24,0,198.18.1.7"});
    r.rx(0, {ip_frame(kMac0, kHostA, kA, 0xc6130601, 1)}, 5);
    ASSERT_EQ(r.out[0].take().size(), 1u) << "the ARP request for D";
    r.rx(0, {arp_frame(2, kHostD1, kD, 0xc6120101, kMac0)}, 6);
    ASSERT_EQ(r.out[0].take().size(), 1u) << "the held packet, released";
    r.rx(0,
         {ip_frame(kMac0, kHostA, kA, 0xc6130602, 2), ip_frame(kMac0, kHostA, kA, 0xc6130603, 3),
          arp_frame(2, kHostD2, kD, 0xc6120101, kMac0), ip_frame(kMac0, kHostA, kA, 0xc6130604, 4),
          ip_frame(kMac0, kHostA, kA, 0xc6130605, 5)},
         7);
    auto sent = r.out[0].take();
    ASSERT_EQ(sent.size(), 4u) << "four forwards back out of port 0; the ARP reply is not answered";
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(get32(sent[i], 30), 0xc6130602u + i) << "in order";
        EXPECT_TRUE(std::equal(sent[i].begin(), sent[i].begin() + 6, i < 2 ? kHostD1 : kHostD2))
            << "forward " << i;
        EXPECT_TRUE(std::equal(sent[i].begin() + 6, sent[i].begin() + 12, kMac0));
    }
    EXPECT_EQ(r.event(stats::Event::arp_learned), 2u);
    EXPECT_EQ(r.event(stats::Event::l3_forwarded), 5u);
}

namespace {

// D (198.18.1.7, on port 0) as the gateway of a route, learned by ARP: a first packet
// there (to first_dst) asks for it, D answers (to `own`, the router's address on port
// 0), and the held packet leaves.
constexpr uint8_t kMacD[6] = {0x02, 0, 0, 0, 0xd, 0x01};
constexpr uint32_t kGwD = 0xc6120107;
void learn_d(Router &r, uint32_t first_dst, uint32_t own) {
    r.rx(0, {ip_frame(kMac0, kHostA, kA, first_dst, 1)}, 5);
    r.rx(0, {arp_frame(2, kMacD, kGwD, own, kMac0)}, 6);
    ASSERT_EQ(r.out[0].take().size(), 2u) << "the ARP request for D, the held packet";
}
// Hosts on port 0's 198.18.0.0/16 that share D's bucket (Neighbours::bucket).
std::vector<uint32_t> in_ds_bucket(size_t n) {
    const auto bucket = [](uint32_t ip) { return (ip * 2654435761u) >> 24; };
    std::vector<uint32_t> out;
    for (uint32_t ip = 0xc6120200; out.size() < n; ++ip)
        if (bucket(ip) == bucket(kGwD)) out.push_back(ip);
    return out;
}

}  // namespace

// The same memory, taken by another neighbour mid-burst: packets that resolve a new
// neighbour evict the gateway's entry from its bucket, and the next packet via the
// gateway must not go out with the newcomer's (empty) MAC.
TEST(L3fwdMode, AGatewayEvictedInTheMiddleOfABurstIsNotUsedAfterIt) {
    Router r({"--route", "198.19.6.0/24,0,198.18.1.7"}, "0:198.18.0.1/16");
    learn_d(r, 0xc6130601, 0xc6120001);
    // Four hosts in D's bucket, which has four ways: the fourth takes D's, the only
    // one not waiting for an answer.
    std::vector<Bytes> burst = {ip_frame(kMac0, kHostA, kA, 0xc6130602, 2)};
    for (uint32_t ip : in_ds_bucket(4))
        burst.push_back(ip_frame(kMac0, kHostA, kA, ip, 3));
    burst.push_back(ip_frame(kMac0, kHostA, kA, 0xc6130603, 4));
    r.rx(0, burst, 7);
    size_t forwards = 0, requests = 0;
    for (const Bytes &f : r.out[0].take()) {
        if (get16(f, 12) == 0x0806) {
            ++requests;
            continue;
        }
        ++forwards;
        EXPECT_EQ(get32(f, 30), 0xc6130602u) << "only the packet before the eviction leaves";
        EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, kMacD));
    }
    EXPECT_EQ(forwards, 1u);
    EXPECT_EQ(requests, 4u) << "one for each newcomer";
    EXPECT_EQ(r.drop(stats::Drop::l3_neigh_full), 1u) << "D's bucket holds four newcomers";
    EXPECT_EQ(r.event(stats::Event::l3_held), 5u);
}

// The same eviction under the four-wide path's per-gateway slots: a group mixing B
// and D after D's entry went to a newcomer must not go out with the newcomer's MAC
// (the slow path that evicted it ends the slots' generation).
TEST(L3fwdMode, AGatewayEvictedMidBurstIsNotUsedByAMixedGroupAfterIt) {
    Router r({"--route", "198.19.8.0/24,0,198.18.1.7"}, "0:198.18.0.1/16");
    learn_d(r, 0xc6130800, 0xc6120001);
    auto via_d = [](uint32_t host) { return ip_frame(kMac0, kHostA, kA, 0xc6130800 | host, 2); };
    auto b = [](uint32_t host) { return ip_frame(kMac0, kHostA, kA, kBehindB + host, 3); };
    // B, then a group mixing B and D (one at a time, which fills both slots), four
    // newcomers in D's bucket (the fourth evicts D), B again, then mixed groups.
    std::vector<Bytes> burst = {b(0), via_d(1), b(1), via_d(2)};
    for (uint32_t ip : in_ds_bucket(4))
        burst.push_back(ip_frame(kMac0, kHostA, kA, ip, 4));
    for (const Bytes &f : {b(2), b(3), via_d(3), b(4), via_d(4), b(5), via_d(5), b(6)})
        burst.push_back(f);
    r.rx(0, burst, 7);
    std::vector<uint32_t> to_d;
    for (const Bytes &f : r.out[0].take()) {
        if (get16(f, 12) == 0x0806) continue;
        to_d.push_back(get32(f, 30));
        EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, kMacD));
    }
    EXPECT_EQ(to_d, (std::vector<uint32_t>{0xc6130801, 0xc6130802}))
        << "only the packets via D before the eviction leave";
    const auto to_b = r.out[1].take();
    EXPECT_EQ(to_b.size(), 7u);
    for (const Bytes &f : to_b)
        EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, kHostB));
}

// A gateway's slot lasts no longer than its neighbour entry's reachable time: the
// first forward after it is still sent, and the entry is confirmed by a unicast ARP
// probe (as the kernel's stale -> probe), even with no timer scan in between.
TEST(L3fwdMode, AGatewayPastItsReachableTimeIsProbedThoughItsSlotWasFilled) {
    Router r({"--route", "198.19.6.0/24,0,198.18.1.7"});
    learn_d(r, 0xc6130601, 0xc6120101);
    r.rx(0, {ip_frame(kMac0, kHostA, kA, 0xc6130602, 2)}, 7);  // fills D's slot
    ASSERT_EQ(r.out[0].take().size(), 1u);
    r.rx(0, {ip_frame(kMac0, kHostA, kA, 0xc6130603, 3)}, 7 + 31 * kHz);
    size_t forwards = 0, probes = 0;
    for (const Bytes &f : r.out[0].take()) {
        EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, kMacD)) << "to D, by unicast";
        ++(get16(f, 12) == 0x0806 ? probes : forwards);
    }
    EXPECT_EQ(forwards, 1u);
    EXPECT_EQ(probes, 1u);
}

TEST(L3fwdMode, ANextHopThatNeverAnswersGetsThreeRequestsThenHostUnreachable) {
    Router r;
    const auto in = ip_frame(kMac0, kHostA, kA, kC, 20);
    r.rx(0, {in}, 0);
    EXPECT_EQ(r.out[1].take().size(), 1u);
    unsigned requests = 1;
    for (uint64_t now = 100; now <= 3500; now += 100) {
        r.poll(now);
        requests += static_cast<unsigned>(r.out[1].take().size());
        if (now < 3000) {
            EXPECT_TRUE(r.out[0].take().empty()) << now;
        }
    }
    EXPECT_EQ(requests, 3u);
    auto back = r.out[0].take();
    ASSERT_EQ(back.size(), 1u);
    const Bytes &e = back[0];
    EXPECT_TRUE(std::equal(e.begin(), e.begin() + 6, kHostA)) << "back to the sender";
    EXPECT_TRUE(std::equal(e.begin() + 6, e.begin() + 12, kMac0));
    EXPECT_EQ(get32(e, 26), 0xc6120101u) << "from the rx port's address";
    EXPECT_EQ(get32(e, 30), kA);
    EXPECT_EQ(e[34], 3);
    EXPECT_EQ(e[35], 1) << "host unreachable";
    EXPECT_EQ(ref_checksum(e.data() + 34, e.size() - 34), 0);
    EXPECT_EQ(get32(e, 42 + 16), kC) << "quotes the datagram";
    EXPECT_EQ(r.drop(stats::Drop::l3_unresolved), 1u);
    EXPECT_EQ(r.event(stats::Event::neigh_failed), 1u);
    EXPECT_EQ(r.l->neigh.live(), 1u) << "only the static neighbour is left";
}

TEST(L3fwdMode, IcmpErrorsGoBackOutOfTheRxPort) {
    Router r;
    r.rx(0, {ip_frame(kMac0, kHostA, kA, kBehindB, 10, 1),                 // TTL 1
             ip_frame(kMac0, kHostA, kA, 0xc6140001, 10),                  // no route
             ip_frame(kMac0, kHostA, kA, kBehindB, 1400 - 28 + 1),         // DF, 1401 > 1400
             ip_frame(kMac0, kHostA, kA, kBehindB, 1400 - 28 + 1, 64, 0),  // no DF
             ip_frame(kMac0, kHostA, kA, kBehindB, 1400 - 28)});           // fits
    auto back = r.out[0].take();
    ASSERT_EQ(back.size(), 3u);
    EXPECT_EQ(back[0][34], 11);
    EXPECT_EQ(back[1][34], 3);
    EXPECT_EQ(back[1][35], 0);
    EXPECT_EQ(back[2][34], 3);
    EXPECT_EQ(back[2][35], 4);
    EXPECT_EQ(get16(back[2], 40), 1400) << "the egress MTU";
    for (const auto &e : back) {
        EXPECT_EQ(ref_checksum(e.data() + 14, 20), 0);
        EXPECT_EQ(ref_checksum(e.data() + 34, e.size() - 34), 0);
        EXPECT_LE(e.size(), 14u + 576);
    }
    EXPECT_EQ(r.out[1].take().size(), 1u);
    EXPECT_EQ(r.drop(stats::Drop::l3_ttl_exceeded), 1u);
    EXPECT_EQ(r.drop(stats::Drop::l3_no_route), 1u);
    EXPECT_EQ(r.drop(stats::Drop::l3_frag_needed), 1u);
    EXPECT_EQ(r.drop(stats::Drop::l3_too_big), 1u);
}

TEST(L3fwdMode, BadPacketsAreCountedByReason) {
    Router r;
    auto bad_csum = ip_frame(kMac0, kHostA, kA, kBehindB, 10);
    bad_csum[24] ^= 1;
    auto v6 = ip_frame(kMac0, kHostA, kA, kBehindB, 10);
    v6[12] = 0x86;
    v6[13] = 0xdd;
    r.rx(0,
         {bad_csum, v6, ip_frame(kMac0, kHostA, 0x7f000001, kBehindB, 10),
          ip_frame(kMac0, kHostA, kA, 0x7f000001, 10), ip_frame(kMac0, kHostA, kA, 0xe0000001, 10),
          ip_frame(kMac0, kHostA, 0xc6130101, kBehindB, 10),  // claims our address
          ip_frame(kMac0, kHostA, kA, 0xc61201ff, 10),        // our subnet's broadcast
          ip_frame(kHostB, kHostA, kA, kBehindB, 10)});       // not our MAC
    EXPECT_TRUE(r.out[0].take().empty());
    EXPECT_TRUE(r.out[1].take().empty());
    EXPECT_EQ(r.drop(stats::Drop::ip_bad_checksum), 1u);
    EXPECT_EQ(r.drop(stats::Drop::ipv6), 1u);
    EXPECT_EQ(r.drop(stats::Drop::ip_src_martian), 1u);
    EXPECT_EQ(r.drop(stats::Drop::ip_dst_martian), 1u);
    EXPECT_EQ(r.drop(stats::Drop::ip_dst_group), 2u);
    EXPECT_EQ(r.drop(stats::Drop::ip_src_ours), 1u);
    EXPECT_EQ(r.drop(stats::Drop::eth_not_ours), 1u);
}

TEST(L3fwdMode, TheHostPathAnswersPingUdpAndTcpAsLinuxDoes) {
    Router r;
    const uint32_t us = 0xc6130101;  // port 1's address, asked for on port 0 (weak host)
    auto ping = cat(eth(kMac0, kHostA, 0x0800), ipv4(kA, us, 1, icmp_echo(7, 1, payload(8))));
    auto udp_in = ip_frame(kMac0, kHostA, kA, us, 10);
    Bytes tcp(20);
    put16(tcp, 0, 41000);
    put16(tcp, 2, 22);
    put32(tcp, 4, 100);
    tcp[12] = 5 << 4;
    tcp[13] = 0x02;  // SYN
    put16(tcp, 16, ref_checksum(tcp.data(), 20, pseudo(kA, us, 6, 20)));
    auto syn = cat(eth(kMac0, kHostA, 0x0800), ipv4(kA, us, 6, tcp));
    auto gre = cat(eth(kMac0, kHostA, 0x0800), ipv4(kA, us, 47, payload(8)));
    r.rx(0, {ping, udp_in, syn, gre});
    auto back = r.out[0].take();
    ASSERT_EQ(back.size(), 4u);
    EXPECT_EQ(back[0][34], 0) << "echo reply";
    EXPECT_EQ(get32(back[0], 26), us);
    EXPECT_EQ(back[1][34], 3);
    EXPECT_EQ(back[1][35], 3) << "port unreachable";
    EXPECT_EQ(back[2][47], 0x14) << "RST|ACK";
    EXPECT_EQ(get32(back[2], 42), 101u);
    EXPECT_EQ(back[3][35], 2) << "protocol unreachable";
    EXPECT_EQ(r.event(stats::Event::icmp_echo_reply), 1u);
    EXPECT_EQ(r.drop(stats::Drop::l3_to_us_udp), 1u);
    EXPECT_EQ(r.drop(stats::Drop::l3_to_us_tcp), 1u);
    EXPECT_EQ(r.drop(stats::Drop::l3_to_us_other), 1u);
    EXPECT_EQ(r.event(stats::Event::tcp_rst_sent), 1u);
}

TEST(L3fwdMode, ArpForUsIsAnsweredAndTheAskerKept) {
    Router r;
    const uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    r.rx(0, {arp_frame(1, kHostA, kA, 0xc6120101, bc), arp_frame(1, kHostA, kA, 0xc6120109, bc)});
    auto back = r.out[0].take();
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(get16(back[0], 20), 2);
    EXPECT_TRUE(std::equal(back[0].begin() + 22, back[0].begin() + 28, kMac0));
    EXPECT_EQ(r.drop(stats::Drop::arp_not_ours), 0u) << "the second updated A's entry";
    EXPECT_EQ(r.event(stats::Event::arp_learned), 1u);
    auto *e = r.l->neigh.find(0, kA);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->usable());
    // Forwarding to A uses it at once (the second ARP confirmed it).
    r.rx(1, {ip_frame(kMac1, kHostB, kB, kA, 10)}, 1);
    EXPECT_EQ(r.out[0].take().size(), 1u);
    // 30 s later it is stale: used still, and confirmed by a unicast probe.
    r.rx(1, {ip_frame(kMac1, kHostB, kB, kA, 10)}, 30001);
    auto sent = r.out[0].take();
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_TRUE(std::equal(sent[0].begin(), sent[0].begin() + 6, kHostA));
    EXPECT_EQ(get16(sent[1], 12), 0x0806);
    EXPECT_TRUE(std::equal(sent[1].begin(), sent[1].begin() + 6, kHostA)) << "a unicast probe";
}

// The handler's fast path (route::fast_path) must take exactly the frames that
// classify() forwards without IPv4 options, and to the same next hop: over frames
// from a few shapes with random bytes of their Ethernet and IPv4 headers changed,
// with and without the rx flags' verdict on the checksum.
TEST(L3fwdMode, TheFastPathTakesExactlyThePlainForwards) {
    Router r;
    std::mt19937 rng(7);
    const Bytes shapes[] = {
        ip_frame(kMac0, kHostA, kA, kBehindB, 4),     // via a gateway
        ip_frame(kMac0, kHostA, kA, kC, 100),         // on the link
        ip_frame(kMac1, kHostB, kB, kA, 1400),        // the other way, MTU 1500
        ip_frame(kMac0, kHostA, kA, kBehindB, 1390),  // past port 1's MTU 1400
    };
    uint32_t taken = 0;
    for (int i = 0; i < 40000; ++i) {
        const uint16_t port = (i % 4 == 2) ? 1 : 0;
        Bytes f = shapes[i % 4];
        const int flips = i < 4 ? 0 : 1 + static_cast<int>(rng() % 3);
        for (int k = 0; k < flips; ++k) {
            const size_t at = rng() % 34;  // the Ethernet and IPv4 headers
            f[at] = static_cast<uint8_t>((rng() & 1) ? rng() : f[at] ^ (1u << (rng() % 8)));
        }
        // Most flips would fail the checksum alone: re-sign two of three frames, so that
        // their flips reach the address, TTL, length and route checks.
        if (i % 3 != 0 && f.size() >= 34) {
            put16(f, 24, 0);
            const size_t ihl = (f[14] & 0xfu) * 4u;
            put16(f, 24,
                  ref_checksum(f.data() + 14, std::min(std::max(ihl, size_t{20}), f.size() - 14)));
        }
        if (i % 7 == 0) f.resize(rng() % f.size());
        const net::Csum cs = (i % 5 == 0)   ? net::Csum::good
                             : (i % 5 == 1) ? net::Csum::bad
                                            : net::Csum::unknown;
        const auto len = static_cast<uint32_t>(f.size());
        alignas(16) uint8_t buf[1600] = {};
        std::copy(f.begin(), f.end(), buf);
        uint32_t dst = 0, total = 0;
        const route::Nexthop *nh =
            route::fast_path(buf, len, r.l->view.ports[port], r.l->view, cs, dst, total);
        const route::Decision d = route::classify(buf, len, port, r.l->view, cs);
        const bool plain = d.fate == route::Fate::forward && !d.options;
        ASSERT_EQ(nh != nullptr, plain) << "frame " << i;
        if (!nh) continue;
        ++taken;
        EXPECT_EQ(nh->port, d.port) << "frame " << i;
        EXPECT_EQ(nh->gateway ? nh->gateway : dst, d.hop) << "frame " << i;
        EXPECT_EQ(total, d.total) << "frame " << i;
    }
    EXPECT_GT(taken, 4000u) << "the shapes forward often enough to test both ways";
    EXPECT_LT(taken, 20000u);
}

namespace {

// A frame that routes via the gateway B from port 0, re-signed after `change`
// edited it (the checksum is then right, so that what it changed is what is judged).
Bytes via_b(size_t payload, const std::function<void(Bytes &)> &change = {}) {
    Bytes f = ip_frame(kMac0, kHostA, kA, kBehindB, payload);
    if (change) {
        change(f);
        if (f.size() >= 34) {
            put16(f, 24, 0);
            put16(f, 24, ref_checksum(f.data() + 14, 20));
        }
    }
    return f;
}

// The same, its IP identification chosen so that its checksum field, as it lies in
// memory read little-endian, is `raw` (0xfffe: decrement_ttl's wrap; a computed
// checksum is never 0xffff).
Bytes via_b_with_raw_checksum(size_t payload, uint16_t raw) {
    for (uint32_t id = 0; id < 0x10000; ++id) {
        Bytes f = via_b(payload, [id](Bytes &g) { put16(g, 18, static_cast<uint16_t>(id)); });
        if ((f[24] | f[25] << 8) == raw) return f;
    }
    ADD_FAILURE() << "no identification gives checksum bytes " << std::hex << raw;
    return {};
}

// What left by a port, ARP requests apart: they are sent when a burst is done, so
// their place among the forwards depends on where bursts end.
std::pair<std::vector<Bytes>, std::vector<Bytes>> split_arp(std::vector<Bytes> sent) {
    std::vector<Bytes> other, arp;
    for (auto &f : sent)
        (f.size() >= 14 && get16(f, 12) == 0x0806 ? arp : other).push_back(std::move(f));
    std::sort(arp.begin(), arp.end());
    return {other, arp};
}

}  // namespace

// The four-wide path (L3fwd::four, judge_x4) takes four plain forwards to the burst's
// gateway, and turns the group away, having written nothing, when any one of the four
// is not one: each defect in each lane.
TEST(L3fwdMode, FourAtATimeTakesFourPlainForwardsAndNothingElse) {
    struct Defect {
        const char *name;
        std::function<Bytes()> frame;
        uint64_t ol_flags = 0;
        bool flags_port = false;  // a port whose PMD flags checksums
        bool two_segments = false;
    };
    const uint32_t own = 0xc6120101;        // 198.18.1.1, port 0's address
    const uint32_t own_bcast = 0xc61201ff;  // its subnet's broadcast
    const std::vector<Defect> defects = {
        {"two segments", [] { return via_b(4); }, 0, false, true},
        {"Ethernet padding", [] { return pad60(via_b(4)); }},
        {"shorter than its IPv4 header",
         [] {
             Bytes f = via_b(4);
             f.resize(30);
             return f;
         }},
        {"another MAC", [] { return via_b(4, [](Bytes &f) { f[5] ^= 1; }); }},
        {"a group source MAC", [] { return via_b(4, [](Bytes &f) { f[6] |= 1; }); }},
        {"VLAN", [] { return via_b(4, [](Bytes &f) { put16(f, 12, 0x8100); }); }},
        {"IPv4 options", [] { return via_b(4, [](Bytes &f) { f[14] = 0x46; }); }},
        {"version 6", [] { return via_b(4, [](Bytes &f) { f[14] = 0x65; }); }},
        {"a wrong checksum",
         [] {
             Bytes f = via_b(4);
             f[25] ^= 0x40;
             return f;
         }},
        {"the rx flags' bad checksum", [] { return via_b(4); }, RTE_MBUF_F_RX_IP_CKSUM_BAD, true},
        {"TTL 1", [] { return via_b(4, [](Bytes &f) { f[22] = 1; }); }},
        {"TTL 0", [] { return via_b(4, [](Bytes &f) { f[22] = 0; }); }},
        {"total length past the frame",
         [] { return via_b(4, [](Bytes &f) { put16(f, 16, 47); }); }},
        {"total length short of the frame",
         [] { return via_b(4, [](Bytes &f) { put16(f, 16, 31); }); }},
        {"total length below the header",
         [] { return via_b(4, [](Bytes &f) { put16(f, 16, 19); }); }},
        {"source 0/8", [] { return via_b(4, [](Bytes &f) { f[26] = 0; }); }},
        {"source 127/8", [] { return via_b(4, [](Bytes &f) { f[26] = 127; }); }},
        {"source 224/4", [] { return via_b(4, [](Bytes &f) { f[26] = 224; }); }},
        {"source 255.255.255.255",
         [] { return via_b(4, [](Bytes &f) { put32(f, 26, 0xffffffff); }); }},
        {"destination 0/8", [] { return via_b(4, [](Bytes &f) { f[30] = 0; }); }},
        {"destination 127/8", [] { return via_b(4, [](Bytes &f) { f[30] = 127; }); }},
        {"destination 239/8", [] { return via_b(4, [](Bytes &f) { f[30] = 239; }); }},
        {"source ours", [own] { return via_b(4, [own](Bytes &f) { put32(f, 26, own); }); }},
        {"source our broadcast",
         [own_bcast] { return via_b(4, [own_bcast](Bytes &f) { put32(f, 26, own_bcast); }); }},
        {"past the egress MTU", [] { return via_b(1400 - 28 + 1); }},
        {"a connected destination", [] { return via_b(4, [](Bytes &f) { put32(f, 30, kB); }); }},
        {"a destination with no route",
         [] { return via_b(4, [](Bytes &f) { put32(f, 30, 0x0a000001); }); }},
        {"to us", [own] { return via_b(4, [own](Bytes &f) { put32(f, 30, own); }); }},
    };
    auto group = [](Router &r, const std::vector<Bytes> &frames, uint64_t flags, int two_at,
                    bool &taken) {
        rte_mbuf *m[4];
        for (int k = 0; k < 4; ++k) {
            m[k] = r.pool.frame(frames[k]);
            m[k]->ol_flags |= flags;
        }
        if (two_at >= 0) m[two_at]->nb_segs = 2;
        // The burst's gateway, as a first forward there would leave it.
        L3fwd::Burst b;
        L3fwd::adopt(*r.l, b, r.l->view.lpm->lookup(kBehindB), 0);
        EXPECT_NE(b.hop, nullptr);
        rte_mbuf *pkts[4] = {m[0], m[1], m[2], m[3]};
        taken = r.s[0].csum_flags
                    ? L3fwd::four<true>(*r.l, r.l->view.ports[0], pkts, pkts, b, r.out[0])
                    : L3fwd::four<false>(*r.l, r.l->view.ports[0], pkts, pkts, b, r.out[0]);
        if (two_at >= 0) m[two_at]->nb_segs = 1;
        std::vector<Bytes> after;
        if (taken) {
            EXPECT_EQ(b.forwarded, 4u);
            EXPECT_EQ(r.out[1].count, 4u);
            return r.out[1].take();
        }
        for (auto *x : m) {
            after.push_back(bytes_of(x));
            rte_pktmbuf_free(x);
        }
        EXPECT_EQ(b.forwarded, 0u);
        EXPECT_EQ(r.out[1].count, 0u);
        return after;
    };
    // Four good ones: one with the checksum's wrap (0xfffe as it lies), one just
    // short of it, one as long as the egress MTU allows.
    const std::vector<Bytes> good = {via_b_with_raw_checksum(4, 0xfffe), via_b(100),
                                     via_b(1400 - 28), via_b_with_raw_checksum(40, 0xfffd)};
    {
        Router r, one;
        bool taken = false;
        const auto out = group(r, good, 0, -1, taken);
        ASSERT_TRUE(taken);
        for (const auto &f : good)
            one.rx(0, {f});
        EXPECT_EQ(out, one.out[1].take()) << "as one at a time";
    }
    for (const auto &d : defects)
        for (int lane = 0; lane < 4; ++lane) {
            Router r({}, "0:198.18.1.1/24", d.flags_port);
            std::vector<Bytes> frames = good;
            frames[lane] = d.frame();
            bool taken = true;
            const auto after = group(r, frames, d.ol_flags, d.two_segments ? lane : -1, taken);
            EXPECT_FALSE(taken) << d.name << ", lane " << lane;
            EXPECT_EQ(after, frames) << d.name << ", lane " << lane << ": nothing written";
        }
}

// Gateways besides B: D (198.19.1.3) on port 1 for 198.19.6.0/24, and E (198.18.1.3)
// back on port 0 for 198.18.7.0/24, both static neighbours.
const std::vector<std::string> kMoreGateways = {
    "--route", "198.19.6.0/24,1,198.19.1.3", "--neighbor", "1,198.19.1.3,02:00:00:00:0d:03",
    "--route", "198.18.7.0/24,0,198.18.1.3", "--neighbor", "0,198.18.1.3,02:00:00:00:0e:03"};
constexpr uint32_t kBehindD = 0xc6130601;  // 198.19.6.1 via D
constexpr uint32_t kBehindE = 0xc6120701;  // 198.18.7.1 via E

// The four-wide path takes a group whose frames go to different gateways when each
// gateway was found usable in this generation (as a forward there leaves it), and
// sends each frame where one at a time would; a group with a gateway not yet seen
// goes one at a time, nothing written.
TEST(L3fwdMode, FourAtATimeTakesMixedGatewaysSeenInThisGeneration) {
    auto to = [](uint32_t dst, size_t payload) {
        return ip_frame(kMac0, kHostA, kA, dst, payload);
    };
    const std::vector<Bytes> frames = {to(kBehindB, 4), to(kBehindD, 100), to(kBehindE, 30),
                                       to(kBehindB, 60)};
    auto group = [&](Router &r, bool seen_d, bool seen_e, bool &taken) {
        rte_mbuf *m[4];
        for (int k = 0; k < 4; ++k)
            m[k] = r.pool.frame(frames[k]);
        L3fwd::Burst b;
        L3fwd::new_generation(*r.l);
        if (seen_d) L3fwd::adopt(*r.l, b, r.l->view.lpm->lookup(kBehindD), 0);
        if (seen_e) L3fwd::adopt(*r.l, b, r.l->view.lpm->lookup(kBehindE), 0);
        L3fwd::adopt(*r.l, b, r.l->view.lpm->lookup(kBehindB), 0);
        // where the loop has them: in the rx port's buffer, past what it holds
        rte_mbuf **pkts = r.out[0].pkts + r.out[0].count;
        std::copy(m, m + 4, pkts);
        taken = L3fwd::four<false>(*r.l, r.l->view.ports[0], pkts, pkts, b, r.out[0]);
        if (!taken) {
            for (int k = 0; k < 4; ++k) {
                EXPECT_EQ(bytes_of(m[k]), frames[k]) << "lane " << k << ": nothing written";
                rte_pktmbuf_free(m[k]);
            }
            return;
        }
        EXPECT_EQ(b.forwarded, 4u);
        r.out[0].count = static_cast<uint16_t>(r.out[0].count + b.kept);  // as burst() does
    };
    {
        Router r(kMoreGateways), one(kMoreGateways);
        bool taken = false;
        group(r, true, true, taken);
        ASSERT_TRUE(taken);
        for (const auto &f : frames)
            one.rx(0, {f});
        for (uint16_t p = 0; p < 2; ++p)
            EXPECT_EQ(r.out[p].take(), one.out[p].take()) << "port " << p << ": as one at a time";
    }
    for (const auto &[d, e] : {std::pair{false, true}, std::pair{true, false}}) {
        Router r(kMoreGateways);
        bool taken = true;
        group(r, d, e, taken);
        EXPECT_FALSE(taken) << "D seen " << d << ", E seen " << e;
        EXPECT_TRUE(r.out[0].take().empty());
        EXPECT_TRUE(r.out[1].take().empty());
    }
    {  // seen, but in an earlier generation
        Router r(kMoreGateways);
        L3fwd::Burst b;
        L3fwd::adopt(*r.l, b, r.l->view.lpm->lookup(kBehindD), 0);
        L3fwd::adopt(*r.l, b, r.l->view.lpm->lookup(kBehindE), 0);
        bool taken = true;
        group(r, false, false, taken);
        EXPECT_FALSE(taken) << "slots from an earlier generation";
    }
}

// Whole bursts through the handler, where groups of four go four-wide, against the
// same frames one per burst (never four-wide): the same frames leave by the same
// ports in the same order, and every count agrees. The frames are plain forwards via
// three gateways (one of them back out of the rx port) and to a connected host, with
// a few of them spoiled at random in their Ethernet and IPv4 headers.
TEST(L3fwdMode, BurstsForwardAsOneFrameAtATimeWould) {
    Router burst(kMoreGateways), single(kMoreGateways);
    std::mt19937 rng(11);
    uint64_t frames = 0;
    const uint32_t via[] = {kBehindB, kBehindB, kBehindD, kBehindE};
    for (int round = 0; round < 400; ++round) {
        const auto n = static_cast<uint16_t>(1 + rng() % 40);
        const int spoil = static_cast<int>(rng() % 4);  // about one in 4, 8, 16 or none
        // mostly B, or a mix of gateways
        const uint32_t mix = round % 3 ? 4 : 1;
        std::vector<Bytes> in;
        for (uint16_t i = 0; i < n; ++i) {
            Bytes f = rng() % 5 ? ip_frame(kMac0, kHostA, kA, via[rng() % mix] | (rng() & 0x7f),
                                           4 + rng() % 200)
                                : ip_frame(kMac0, kHostA, kA, kB, 30);
            if (spoil && rng() % (2u << spoil) == 0) {
                const size_t at = rng() % 34;
                f[at] = static_cast<uint8_t>(rng());
                if (rng() % 3) {
                    put16(f, 24, 0);
                    const size_t ihl = std::max<size_t>((f[14] & 0xfu) * 4u, 20);
                    put16(f, 24, ref_checksum(f.data() + 14, std::min(ihl, f.size() - 14)));
                }
                if (rng() % 8 == 0) f = pad60(Bytes(f.begin(), f.begin() + 14 + rng() % 40));
            }
            in.push_back(std::move(f));
        }
        frames += n;
        burst.rx(0, in);
        for (const auto &f : in)
            single.rx(0, {f});
        for (uint16_t p = 0; p < 2; ++p)
            ASSERT_EQ(split_arp(burst.out[p].take()), split_arp(single.out[p].take()))
                << "round " << round << ", port " << p;
    }
    EXPECT_EQ(std::memcmp(burst.t.drop, single.t.drop, sizeof burst.t.drop), 0);
    EXPECT_EQ(std::memcmp(burst.t.event, single.t.event, sizeof burst.t.event), 0);
    EXPECT_GT(burst.event(stats::Event::l3_forwarded), frames / 2);
}
