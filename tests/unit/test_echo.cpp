// The echo host, frame by frame: each handler with well-formed packets and with
// every malformed case; reply bytes checked field by field, checksums against the
// reference implementation.
#include <gtest/gtest.h>

#include <random>

#include "host/echo.hpp"
#include "unit/frames.hpp"

using namespace c10m;
using namespace c10m::test;
using host::Outcome;
using stats::Drop;
using stats::Event;

namespace {

class EchoHost : public ::testing::Test {
  protected:
    void SetUp() override {
        ph.has_ip = true;
        ph.ip = kOurIp;
        ph.bcast = 0xc61200ff;
        std::copy(kOurMac, kOurMac + 6, ph.mac);
        ports.add(7);
        lc.icmp_error.configure(0, 50, 1000, 0);
        lc.icmp_echo.configure(0, 50, 1000, 0);
    }

    host::Verdict run(Bytes &f, host::Csum ip = host::Csum::unknown,
                      host::Csum l4 = host::Csum::unknown) {
        auto v = host::echo_frame(f.data(), static_cast<uint32_t>(f.size()), ph, ports, lc, nt, now,
                                  ip, l4);
        if (v.outcome == Outcome::reply) {
            EXPECT_LE(v.len, f.size()) << "a reply is never larger than its request";
            f.resize(v.len);
        }
        return v;
    }
    Drop drop_of(Bytes f) {
        auto v = run(f);
        EXPECT_EQ(v.outcome, Outcome::drop);
        return v.outcome == Outcome::drop ? v.drop : Drop::count_;
    }

    Bytes icmp_frame(size_t data_len, uint8_t type = 8) {
        return cat(eth(kOurMac, kPeerMac, 0x0800),
                   ipv4(kPeerIp, kOurIp, 1, icmp_echo(0x4242, 7, payload(data_len), type)));
    }
    Bytes udp_frame(uint16_t dport, size_t len, bool csum = true, uint16_t sport = 40000) {
        return cat(
            eth(kOurMac, kPeerMac, 0x0800),
            ipv4(kPeerIp, kOurIp, 17, udp(kPeerIp, kOurIp, sport, dport, payload(len), csum)));
    }
    static void expect_reply_ip(const Bytes &r, uint8_t proto, size_t total) {
        EXPECT_EQ(Bytes(r.begin(), r.begin() + 6), Bytes(kPeerMac, kPeerMac + 6));
        EXPECT_EQ(Bytes(r.begin() + 6, r.begin() + 12), Bytes(kOurMac, kOurMac + 6));
        EXPECT_EQ(get16(r, 12), 0x0800);
        EXPECT_EQ(r[14], 0x45);
        EXPECT_EQ(get16(r, 16), total);
        EXPECT_EQ(r[22], 64) << "TTL";
        EXPECT_EQ(r[23], proto);
        EXPECT_EQ(get32(r, 26), kOurIp);
        EXPECT_EQ(get32(r, 30), kPeerIp);
        EXPECT_EQ(ref_checksum(r.data() + 14, 20), 0) << "IPv4 header checksum";
    }

    host::PortHost ph;
    host::UdpPorts ports;
    host::EchoLcore lc;
    host::NeighbourTable nt;
    uint64_t now = 1000;
};

}  // namespace

// ---- ARP ----

TEST_F(EchoHost, ArpRequestForUsIsAnsweredAndTheSenderLearned) {
    const uint8_t zero[6] = {};
    const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    auto f = pad60(cat(eth(bcast, kPeerMac, 0x0806), arp(1, kPeerMac, kPeerIp, zero, kOurIp)));
    auto v = run(f);
    ASSERT_EQ(v.outcome, Outcome::reply);
    EXPECT_EQ(v.event, Event::arp_reply);
    ASSERT_EQ(f.size(), 42u);  // padding trimmed
    EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), Bytes(kPeerMac, kPeerMac + 6));
    EXPECT_EQ(Bytes(f.begin() + 6, f.begin() + 12), Bytes(kOurMac, kOurMac + 6));
    EXPECT_EQ(get16(f, 12), 0x0806);
    EXPECT_EQ(get16(f, 14), 1);
    EXPECT_EQ(get16(f, 16), 0x0800);
    EXPECT_EQ(f[18], 6);
    EXPECT_EQ(f[19], 4);
    EXPECT_EQ(get16(f, 20), 2) << "reply";
    EXPECT_EQ(Bytes(f.begin() + 22, f.begin() + 28), Bytes(kOurMac, kOurMac + 6));
    EXPECT_EQ(get32(f, 28), kOurIp);
    EXPECT_EQ(Bytes(f.begin() + 32, f.begin() + 38), Bytes(kPeerMac, kPeerMac + 6));
    EXPECT_EQ(get32(f, 38), kPeerIp);
    const uint8_t *mac = nt.lookup(kPeerIp, now);
    ASSERT_NE(mac, nullptr);
    EXPECT_EQ(Bytes(mac, mac + 6), Bytes(kPeerMac, kPeerMac + 6));
}

TEST_F(EchoHost, ArpUnicastToUsAndProbesAreAnswered) {
    const uint8_t zero[6] = {};
    auto f = cat(eth(kOurMac, kPeerMac, 0x0806), arp(1, kPeerMac, kPeerIp, kOurMac, kOurIp));
    EXPECT_EQ(run(f).outcome, Outcome::reply);
    // RFC 5227 probe: sender IP 0; answered, nothing learned.
    host::NeighbourTable fresh;
    nt = fresh;
    auto probe = cat(eth(kOurMac, kPeerMac, 0x0806), arp(1, kPeerMac, 0, zero, kOurIp));
    EXPECT_EQ(run(probe).outcome, Outcome::reply);
    EXPECT_EQ(get32(probe, 38), 0u);
    EXPECT_EQ(nt.live_entries(now), 0u);
}

TEST_F(EchoHost, ArpReplyToUsIsLearnedNotAnswered) {
    auto f = cat(eth(kOurMac, kPeerMac, 0x0806), arp(2, kPeerMac, kPeerIp, kOurMac, kOurIp));
    auto v = run(f);
    EXPECT_EQ(v.outcome, Outcome::consumed);
    EXPECT_EQ(v.event, Event::arp_learned);
    EXPECT_NE(nt.lookup(kPeerIp, now), nullptr);
}

TEST_F(EchoHost, ArpMalformedAndForOthers) {
    const uint8_t zero[6] = {};
    const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint8_t other_mac[6] = {0x02, 9, 9, 9, 9, 9};
    auto good = cat(eth(bcast, kPeerMac, 0x0806), arp(1, kPeerMac, kPeerIp, zero, kOurIp));
    EXPECT_EQ(drop_of(Bytes(good.begin(), good.begin() + 41)), Drop::arp_malformed) << "short";
    auto f = good;
    put16(f, 14, 6);
    EXPECT_EQ(drop_of(f), Drop::arp_malformed) << "htype";
    f = good;
    put16(f, 16, 0x86dd);
    EXPECT_EQ(drop_of(f), Drop::arp_malformed) << "ptype";
    f = good;
    f[19] = 16;
    EXPECT_EQ(drop_of(f), Drop::arp_malformed) << "plen";
    f = good;
    put16(f, 20, 3);
    EXPECT_EQ(drop_of(f), Drop::arp_malformed) << "opcode";
    f = good;
    f[22] = 0x01;
    EXPECT_EQ(drop_of(f), Drop::arp_malformed) << "sender MAC multicast";
    f = good;
    put32(f, 28, 0x7f000001);
    EXPECT_EQ(drop_of(f), Drop::arp_malformed) << "sender IP martian";
    EXPECT_EQ(
        drop_of(cat(eth(bcast, kPeerMac, 0x0806), arp(1, kPeerMac, kPeerIp, zero, kOurIp + 5))),
        Drop::arp_not_ours);
    EXPECT_EQ(drop_of(cat(eth(bcast, kPeerMac, 0x0806), arp(1, kPeerMac, kOurIp, zero, kOurIp))),
              Drop::arp_not_ours)
        << "someone else's gratuitous ARP claiming our address";
    EXPECT_EQ(
        drop_of(cat(eth(other_mac, kPeerMac, 0x0806), arp(1, kPeerMac, kPeerIp, zero, kOurIp))),
        Drop::eth_not_ours);
    EXPECT_EQ(nt.live_entries(now), 0u);
}

// ---- ICMP ----

TEST_F(EchoHost, PingOfEverySizeIsAnsweredWithTheSameIdSequenceAndData) {
    for (size_t n : {0, 1, 18, 56, 100, 1471, 1472}) {
        auto f = icmp_frame(n);
        const auto req = f;
        auto v = run(f);
        ASSERT_EQ(v.outcome, Outcome::reply) << n;
        EXPECT_EQ(v.event, Event::icmp_echo_reply);
        ASSERT_EQ(f.size(), req.size());
        expect_reply_ip(f, 1, 20 + 8 + n);
        EXPECT_EQ(get16(f, 18), get16(req, 18)) << "IP id kept";
        EXPECT_EQ(f[34], 0) << "echo reply";
        EXPECT_EQ(f[35], 0);
        EXPECT_EQ(get16(f, 38), 0x4242);
        EXPECT_EQ(get16(f, 40), 7);
        EXPECT_EQ(Bytes(f.begin() + 42, f.end()), Bytes(req.begin() + 42, req.end()));
        EXPECT_EQ(ref_checksum(f.data() + 34, f.size() - 34), 0) << "ICMP checksum, size " << n;
    }
}

TEST_F(EchoHost, PaddedPingReplyIsTrimmed) {
    auto f = pad60(icmp_frame(4));
    ASSERT_EQ(f.size(), 60u);
    auto v = run(f);
    ASSERT_EQ(v.outcome, Outcome::reply);
    EXPECT_EQ(f.size(), 14u + 20 + 8 + 4);
}

TEST_F(EchoHost, IcmpBadAndOther) {
    auto f = icmp_frame(10);
    f[40] ^= 0xff;
    EXPECT_EQ(drop_of(f), Drop::icmp_bad_checksum);
    EXPECT_EQ(drop_of(icmp_frame(10, 13)), Drop::icmp_not_echo) << "timestamp request";
    EXPECT_EQ(drop_of(icmp_frame(10, 0)), Drop::icmp_not_echo) << "an echo reply is not answered";
    auto trunc =
        cat(eth(kOurMac, kPeerMac, 0x0800), ipv4(kPeerIp, kOurIp, 1, Bytes{8, 0, 0xf7, 0xff}));
    EXPECT_EQ(drop_of(trunc), Drop::icmp_truncated);
}

TEST_F(EchoHost, EchoRepliesAreRateLimitedWhenAsked) {
    lc.icmp_echo.configure(10, 2, 1000, now);  // 10/s, burst 2, hz 1000
    auto a = icmp_frame(8), b = a, c = a, d = a;
    EXPECT_EQ(run(a).outcome, Outcome::reply);
    EXPECT_EQ(run(b).outcome, Outcome::reply);
    EXPECT_EQ(drop_of(c), Drop::icmp_rate_limited);
    now += 100;  // 0.1 s: one token back
    EXPECT_EQ(run(d).outcome, Outcome::reply);
}

// ---- UDP ----

TEST_F(EchoHost, UdpEchoSwapsAddressesAndPortsAndKeepsTheChecksumValid) {
    for (size_t n : {0, 1, 17, 64, 1472}) {
        auto f = udp_frame(7, n);
        const auto req = f;
        auto v = run(f);
        ASSERT_EQ(v.outcome, Outcome::reply) << n;
        EXPECT_EQ(v.event, Event::udp_echo_reply);
        expect_reply_ip(f, 17, 28 + n);
        EXPECT_EQ(get16(f, 34), 7);
        EXPECT_EQ(get16(f, 36), 40000);
        EXPECT_EQ(get16(f, 38), 8 + n);
        EXPECT_EQ(get16(f, 40), get16(req, 40)) << "checksum field untouched";
        EXPECT_EQ(Bytes(f.begin() + 42, f.end()), Bytes(req.begin() + 42, req.end()));
        EXPECT_EQ(ref_checksum(f.data() + 34, 8 + n, pseudo(kOurIp, kPeerIp, 17, 8 + n)), 0)
            << "UDP checksum";
    }
}

TEST_F(EchoHost, UdpWithoutChecksumIsEchoedWithout) {
    auto f = udp_frame(7, 10, false);
    ASSERT_EQ(run(f).outcome, Outcome::reply);
    EXPECT_EQ(get16(f, 40), 0);
}

TEST_F(EchoHost, UdpMalformed) {
    auto f = udp_frame(7, 20);
    f[50] ^= 1;
    EXPECT_EQ(drop_of(f), Drop::udp_bad_checksum);
    f = udp_frame(7, 20);
    put16(f, 38, 27);  // UDP length one short of the IP payload
    EXPECT_EQ(drop_of(f), Drop::udp_bad_length);
    f = udp_frame(7, 20);
    put16(f, 38, 29);
    EXPECT_EQ(drop_of(f), Drop::udp_bad_length);
    auto t =
        cat(eth(kOurMac, kPeerMac, 0x0800), ipv4(kPeerIp, kOurIp, 17, Bytes{0x9c, 0x40, 0, 7}));
    EXPECT_EQ(drop_of(t), Drop::udp_truncated);
    for (int sp : {0, 7, 13, 17, 19, 37})
        EXPECT_EQ(drop_of(udp_frame(7, 20, true, static_cast<uint16_t>(sp))),
                  Drop::udp_bad_src_port)
            << sp;
}

TEST_F(EchoHost, UdpChecksumFlagsFromThePort) {
    auto f = udp_frame(7, 20);
    f[50] ^= 1;  // wrong, but the port says it checked: believed
    EXPECT_EQ(run(f, host::Csum::unknown, host::Csum::good).outcome, Outcome::reply);
    auto g = udp_frame(7, 20);
    auto v = run(g, host::Csum::unknown, host::Csum::bad);
    EXPECT_EQ(v.drop, Drop::udp_bad_checksum);
    auto h = udp_frame(7, 20);
    v = run(h, host::Csum::bad, host::Csum::unknown);
    EXPECT_EQ(v.drop, Drop::ip_bad_checksum);
}

TEST_F(EchoHost, ClosedPortGetsAPortUnreachableQuotingTheDatagram) {
    auto f = udp_frame(9, 100);
    const auto req = f;
    auto v = run(f);
    ASSERT_EQ(v.outcome, Outcome::reply);
    EXPECT_EQ(v.event, Event::icmp_unreachable);
    ASSERT_EQ(f.size(), 70u);
    expect_reply_ip(f, 1, 56);
    EXPECT_EQ(f[34], 3);
    EXPECT_EQ(f[35], 3);
    EXPECT_EQ(get32(f, 38), 0u);
    EXPECT_EQ(Bytes(f.begin() + 42, f.end()), Bytes(req.begin() + 14, req.begin() + 14 + 28))
        << "quoted header + 8";
    EXPECT_EQ(ref_checksum(f.data() + 34, 36), 0) << "ICMP checksum";
}

TEST_F(EchoHost, PortUnreachableNeverAmplifies) {
    // 14 + 20 + 8 + 27 = 69 bytes: the 70-byte unreachable would be larger.
    auto f = udp_frame(9, 27);
    EXPECT_EQ(drop_of(f), Drop::unreach_would_amplify);
    auto g = pad60(udp_frame(9, 0));
    EXPECT_EQ(drop_of(g), Drop::unreach_would_amplify);
    auto h = udp_frame(9, 28);
    EXPECT_EQ(run(h).outcome, Outcome::reply);
}

TEST_F(EchoHost, PortUnreachablesAreRateLimited) {
    lc.icmp_error.configure(1000, 3, 1000, now);
    int sent = 0, limited = 0;
    for (int i = 0; i < 10; ++i) {
        auto f = udp_frame(9, 100);
        auto v = run(f);
        sent += v.outcome == Outcome::reply;
        limited += v.outcome == Outcome::drop && v.drop == Drop::icmp_rate_limited;
    }
    EXPECT_EQ(sent, 3);
    EXPECT_EQ(limited, 7);
}

TEST_F(EchoHost, SeveralUdpPorts) {
    ports.add(5001);
    auto f = udp_frame(5001, 10);
    EXPECT_EQ(run(f).event, Event::udp_echo_reply);
}

// ---- IPv4 validation ----

TEST_F(EchoHost, Ipv4Malformed) {
    auto good = udp_frame(7, 40);
    auto f = good;
    f[14] = 0x65;
    EXPECT_EQ(drop_of(f), Drop::ip_bad_version);
    f = good;
    f[14] = 0x44;
    EXPECT_EQ(drop_of(f), Drop::ip_bad_ihl);
    f = good;
    f[14] = 0x4f;  // 60-byte header: more than the 20 bytes + payload can hold? (82 total) -> total
                   // < ihl?
    put16(f, 16, 40);
    EXPECT_EQ(drop_of(f), Drop::ip_truncated) << "total length below the header length";
    f = good;
    put16(f, 16, static_cast<uint16_t>(get16(f, 16) + 1));
    EXPECT_EQ(drop_of(f), Drop::ip_truncated) << "total length beyond the frame";
    EXPECT_EQ(drop_of(Bytes(good.begin(), good.begin() + 30)), Drop::ip_truncated)
        << "frame cut inside the header";
    f = good;
    f[24] ^= 0x10;
    EXPECT_EQ(drop_of(f), Drop::ip_bad_checksum);
}

TEST_F(EchoHost, Ipv4OptionsFragmentsAndTtl) {
    // Options: a 24-byte header with a NOP-padded option, valid checksum.
    auto l4 = udp(kPeerIp, kOurIp, 40000, 7, payload(10));
    Bytes ip(24);
    ip[0] = 0x46;
    put16(ip, 2, static_cast<uint16_t>(24 + l4.size()));
    ip[8] = 64;
    ip[9] = 17;
    put32(ip, 12, kPeerIp);
    put32(ip, 16, kOurIp);
    ip[20] = ip[21] = ip[22] = ip[23] = 1;  // NOPs
    put16(ip, 10, ref_checksum(ip.data(), 24));
    EXPECT_EQ(drop_of(cat(eth(kOurMac, kPeerMac, 0x0800), cat(ip, l4))), Drop::ip_options);
    auto mf =
        cat(eth(kOurMac, kPeerMac, 0x0800),
            ipv4(kPeerIp, kOurIp, 17, udp(kPeerIp, kOurIp, 40000, 7, payload(16)), 64, 1, 0x2000));
    EXPECT_EQ(drop_of(mf), Drop::ip_fragment) << "first fragment";
    auto off =
        cat(eth(kOurMac, kPeerMac, 0x0800), ipv4(kPeerIp, kOurIp, 17, payload(16), 64, 1, 0x0003));
    EXPECT_EQ(drop_of(off), Drop::ip_fragment) << "later fragment";
    auto ttl0 = cat(eth(kOurMac, kPeerMac, 0x0800),
                    ipv4(kPeerIp, kOurIp, 17, udp(kPeerIp, kOurIp, 40000, 7, payload(4)), 0));
    EXPECT_EQ(drop_of(ttl0), Drop::ip_bad_ttl);
    auto ttl1 = cat(eth(kOurMac, kPeerMac, 0x0800),
                    ipv4(kPeerIp, kOurIp, 17, udp(kPeerIp, kOurIp, 40000, 7, payload(4)), 1));
    EXPECT_EQ(run(ttl1).outcome, Outcome::reply) << "TTL 1 is fine for us";
}

TEST_F(EchoHost, AddressesThatAreNeverAnswered) {
    auto from = [&](uint32_t src, uint32_t dst) {
        return cat(eth(kOurMac, kPeerMac, 0x0800), ipv4(src, dst, 1, icmp_echo(1, 1, payload(8))));
    };
    for (uint32_t src : {0x00000000u, 0x00010203u, 0x7f000001u, 0xe0000001u, 0xefffffffu,
                         0xf0000001u, 0xffffffffu})
        EXPECT_EQ(drop_of(from(src, kOurIp)), Drop::ip_src_martian) << std::hex << src;
    EXPECT_EQ(drop_of(from(0xc61200ff, kOurIp)), Drop::ip_src_broadcast);
    EXPECT_EQ(drop_of(from(kPeerIp, 0xc61200ff)), Drop::ip_dst_group) << "subnet broadcast";
    EXPECT_EQ(drop_of(from(kPeerIp, 0xffffffff)), Drop::ip_dst_group) << "limited broadcast";
    EXPECT_EQ(drop_of(from(kPeerIp, 0xe0000001)), Drop::ip_dst_group) << "multicast";
    EXPECT_EQ(drop_of(from(kPeerIp, kOurIp + 1)), Drop::ip_not_ours);
    auto tcp = cat(eth(kOurMac, kPeerMac, 0x0800), ipv4(kPeerIp, kOurIp, 6, payload(20)));
    const host::Verdict v = run(tcp);
    EXPECT_EQ(v.outcome, Outcome::tcp) << "TCP goes to the TCP engine, IPv4 checked";
    EXPECT_EQ(v.len, 40);
    auto gre = cat(eth(kOurMac, kPeerMac, 0x0800), ipv4(kPeerIp, kOurIp, 47, payload(20)));
    EXPECT_EQ(drop_of(gre), Drop::ip_proto_other);
}

// ---- Ethernet ----

TEST_F(EchoHost, EthernetLevel) {
    const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    const uint8_t other[6] = {0x02, 0x55, 0x55, 0x55, 0x55, 0x55};
    EXPECT_EQ(drop_of(Bytes(13, 0)), Drop::runt);
    auto ping = icmp_frame(8);
    auto f = ping;
    f[6] = 0x03;
    EXPECT_EQ(drop_of(f), Drop::eth_src_group);
    f = ping;
    std::copy(bcast, bcast + 6, f.begin());
    EXPECT_EQ(drop_of(f), Drop::eth_dst_group) << "IP in a broadcast frame is never answered";
    f = ping;
    std::copy(mcast, mcast + 6, f.begin());
    EXPECT_EQ(drop_of(f), Drop::eth_dst_group);
    f = ping;
    std::copy(other, other + 6, f.begin());
    EXPECT_EQ(drop_of(f), Drop::eth_not_ours);
    f = ping;
    put16(f, 12, 0x8100);
    EXPECT_EQ(drop_of(f), Drop::vlan);
    put16(f, 12, 0x88a8);
    EXPECT_EQ(drop_of(f), Drop::vlan);
    put16(f, 12, 0x86dd);
    EXPECT_EQ(drop_of(f), Drop::ipv6);
    put16(f, 12, 0x88cc);
    EXPECT_EQ(drop_of(f), Drop::ethertype_other);
}

TEST_F(EchoHost, PortWithoutAddressAnswersNothing) {
    ph.has_ip = false;
    const uint8_t zero[6] = {};
    const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    EXPECT_EQ(drop_of(icmp_frame(8)), Drop::no_address);
    EXPECT_EQ(drop_of(cat(eth(bcast, kPeerMac, 0x0806), arp(1, kPeerMac, kPeerIp, zero, kOurIp))),
              Drop::no_address);
}

// ---- Hostile input: nothing crashes, nothing amplifies, nothing answers a group. ----

TEST_F(EchoHost, RandomMutationsNeverCrashAmplifyOrAnswerGroups) {
    std::mt19937 rng(862);
    const uint8_t zero[6] = {};
    const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const std::vector<Bytes> seeds = {
        icmp_frame(56), udp_frame(7, 64), udp_frame(9, 64), pad60(udp_frame(7, 0)),
        pad60(cat(eth(bcast, kPeerMac, 0x0806), arp(1, kPeerMac, kPeerIp, zero, kOurIp)))};
    int replies = 0;
    for (int i = 0; i < 200000; ++i) {
        Bytes f = seeds[rng() % seeds.size()];
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k)
            f[rng() % f.size()] = static_cast<uint8_t>(rng());
        if (rng() % 8 == 0) f.resize(rng() % (f.size() + 1));
        const bool dst_group = !f.empty() && (f[0] & 1);
        const bool arp_frame = f.size() >= 14 && get16(f, 12) == 0x0806;
        const size_t before = f.size();
        auto v = run(f);
        if (v.outcome != Outcome::reply) continue;
        ++replies;
        ASSERT_LE(f.size(), before);
        ASSERT_TRUE(!dst_group || arp_frame) << "answered a group-addressed frame";
        ASSERT_EQ(Bytes(f.begin() + 6, f.begin() + 12), Bytes(kOurMac, kOurMac + 6));
        if (get16(f, 12) == 0x0800) {
            ASSERT_EQ(ref_checksum(f.data() + 14, 20), 0);
        }
    }
    EXPECT_GT(replies, 1000);  // the mutations leave plenty of valid frames too
}

// ---- the gratuitous ARP ----

TEST_F(EchoHost, GratuitousArp) {
    Bytes f(42);
    ASSERT_EQ(host::build_garp(f.data(), ph), 42u);
    EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), Bytes(6, 0xff));
    EXPECT_EQ(Bytes(f.begin() + 6, f.begin() + 12), Bytes(kOurMac, kOurMac + 6));
    EXPECT_EQ(get16(f, 12), 0x0806);
    EXPECT_EQ(get16(f, 20), 1);
    EXPECT_EQ(get32(f, 28), kOurIp);
    EXPECT_EQ(get32(f, 38), kOurIp);
    EXPECT_EQ(Bytes(f.begin() + 32, f.begin() + 38), Bytes(6, 0));
}
