// Cycles per frame of host::echo_frame, the per-packet work of echo mode (validation
// and the in-place rewrite), for 64-byte UDP and ICMP echo requests, hot in cache.
// A benchmark, not a test: scripts/bench-frame builds and runs it on one CPU.
//
// Each round copies a burst of 32 requests into place (as a PMD's receive would),
// then answers the burst; a second loop does the copies alone, and the difference
// is echo_frame's share. Figures are TSC cycles per frame, best of the rounds.
#include <x86intrin.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "host/echo.hpp"
#include "unit/frames.hpp"

namespace {

using namespace c10m;
using namespace c10m::test;

constexpr int kBurst = 32;
alignas(64) uint8_t g_buf[kBurst][128];

struct Setup {
    host::PortHost ph;
    host::UdpPorts ports;
    host::EchoLcore lc;
    host::NeighbourTable nt;
    Setup() {
        ph.has_ip = true;
        ph.ip = kOurIp;
        ph.bcast = 0xc61200ff;
        std::memcpy(ph.mac, kOurMac, 6);
        ports.add(7);
        lc.icmp_error.configure(1000, 50, 1000000000, 0);
        lc.icmp_echo.configure(0, 50, 1000000000, 0);  // unlimited, the default
    }
};

// The anchor: what testpmd's 5tswap does to a frame (swap the MAC, IPv4 and UDP
// addresses, check nothing), written the same way.
[[gnu::always_inline]] inline uint32_t swap_only(uint8_t *f) {
    uint8_t t[6];
    std::memcpy(t, f, 6);
    std::memcpy(f, f + 6, 6);
    std::memcpy(f + 6, t, 6);
    uint32_t a, b;
    std::memcpy(&a, f + 26, 4);
    std::memcpy(&b, f + 30, 4);
    std::memcpy(f + 26, &b, 4);
    std::memcpy(f + 30, &a, 4);
    uint16_t p, q;
    std::memcpy(&p, f + 34, 2);
    std::memcpy(&q, f + 36, 2);
    std::memcpy(f + 34, &q, 2);
    std::memcpy(f + 36, &p, 2);
    return 64;
}

// TSC cycles per frame: copies + the work, minus copies alone. anchor: swap_only.
double measure(Setup &s, const Bytes &frame, host::Csum cs, int bursts, uint64_t &sink,
               bool anchor = false) {
    const auto copy_burst = [&] {
        for (int j = 0; j < kBurst; ++j)
            std::memcpy(g_buf[j], frame.data(), frame.size());
        asm volatile("" ::: "memory");
    };
    const uint64_t t0 = __rdtsc();
    for (int i = 0; i < bursts; ++i)
        copy_burst();
    const uint64_t t1 = __rdtsc();
    for (int i = 0; i < bursts; ++i) {
        copy_burst();
        if (anchor) {
            for (int j = 0; j < kBurst; ++j)
                sink += swap_only(g_buf[j]);
            continue;
        }
        for (int j = 0; j < kBurst; ++j) {
            const host::Verdict v =
                host::echo_frame(g_buf[j], static_cast<uint32_t>(frame.size()), s.ph, s.ports, s.lc,
                                 s.nt, uint64_t(i), cs, cs);
            sink += v.len + static_cast<unsigned>(v.outcome);
        }
    }
    const uint64_t t2 = __rdtsc();
    return double((t2 - t1) - (t1 - t0)) / (double(bursts) * kBurst);
}

}  // namespace

int main(int argc, char **argv) {
    const int bursts = argc > 1 ? std::atoi(argv[1]) : 500000;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
    if (bursts <= 0 || rounds <= 0) {
        std::fprintf(stderr, "usage: %s [BURSTS [ROUNDS]]\n", argv[0]);
        return 2;
    }
    Setup s;
    const Bytes udp_req =
        cat(eth(kOurMac, kPeerMac, 0x0800),
            ipv4(kPeerIp, kOurIp, 17, udp(kPeerIp, kOurIp, 40000, 7, payload(22))));
    const Bytes icmp_req = cat(eth(kOurMac, kPeerMac, 0x0800),
                               ipv4(kPeerIp, kOurIp, 1, icmp_echo(0xc10a, 1, payload(22))));
    struct Case {
        const char *name;
        const Bytes *frame;
        host::Csum cs;
    } cases[] = {
        {"udp, checksums verified", &udp_req, host::Csum::unknown},
        {"udp, rx flags say good", &udp_req, host::Csum::good},
        {"icmp, checksums verified", &icmp_req, host::Csum::unknown},
    };
    uint64_t sink = 0;
    std::printf("frames of %zu bytes, bursts of %d, %d x %d bursts; TSC cycles per frame\n",
                udp_req.size(), kBurst, rounds, bursts);
    for (const Case &c : cases) {
        // Check once that the case is answered, so the loop measures the reply path.
        std::memcpy(g_buf[0], c.frame->data(), c.frame->size());
        const host::Verdict v = host::echo_frame(g_buf[0], static_cast<uint32_t>(c.frame->size()),
                                                 s.ph, s.ports, s.lc, s.nt, 0, c.cs, c.cs);
        if (v.outcome != host::Outcome::reply) {
            std::fprintf(stderr, "bench: case '%s' was not answered\n", c.name);
            return 1;
        }
        double best = 1e30;
        for (int r = 0; r < rounds; ++r)
            best = std::min(best, measure(s, *c.frame, c.cs, bursts, sink));
        std::printf("%-28s %6.1f\n", c.name, best);
    }
    double best = 1e30;
    for (int r = 0; r < rounds; ++r)
        best = std::min(best, measure(s, udp_req, host::Csum::unknown, bursts, sink, true));
    std::printf("%-28s %6.1f\n", "anchor: swap only (5tswap)", best);
    return sink == 0;  // keeps the results alive
}
