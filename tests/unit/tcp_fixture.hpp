#pragma once

// The fixture of TCP-lite's segment-level tests (test_tcp.cpp, test_tcp_audit.cpp):
// one engine without the EAL, a stream whose tx buffer the test collects, a clock
// the test moves, and helpers to build the client's segments and read ours.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/port_host.hpp"
#include "net/tx_sink.hpp"
#include "stats/counters.hpp"
#include "tcp/engine.hpp"
#include "unit/frames.hpp"
#include "unit/heap_pool.hpp"

namespace c10m::test::tcpfx {

using stats::Drop;
using stats::Event;

constexpr uint8_t FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;
constexpr uint16_t kCliPort = 40000;

struct Out {
    uint8_t flags = 0;
    uint32_t seq = 0, ack = 0;
    uint16_t wnd = 0;
    uint16_t sport = 0, dport = 0;
    Bytes options, payload;
};

inline Bytes tcp_frame(uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const Bytes &data,
                       const Bytes &opts = {}, uint16_t sport = kCliPort, uint16_t dport = 7) {
    Bytes th(20 + opts.size());
    put16(th, 0, sport);
    put16(th, 2, dport);
    put32(th, 4, seq);
    put32(th, 8, ack);
    th[12] = static_cast<uint8_t>((20 + opts.size()) / 4 << 4);
    th[13] = flags;
    put16(th, 14, wnd);
    std::copy(opts.begin(), opts.end(), th.begin() + 20);
    th.insert(th.end(), data.begin(), data.end());
    put16(th, 16, ref_checksum(th.data(), th.size(), pseudo(kPeerIp, kOurIp, 6, th.size())));
    return cat(eth(kOurMac, kPeerMac, 0x0800), ipv4(kPeerIp, kOurIp, 6, th));
}

// A stream's tx buffer whose bursts the test collects, as a port would take them.
struct CollectingSink : net::TxSink {
    std::vector<rte_mbuf *> sent;
    unsigned reclaims = 0;
    CollectingSink() {
        send_fn = [](net::TxSink &s) noexcept {
            auto &c = static_cast<CollectingSink &>(s);
            c.sent.insert(c.sent.end(), s.pkts, s.pkts + s.count);
            s.count = 0;
        };
        reclaim_fn = [](net::TxSink &s) noexcept { ++static_cast<CollectingSink &>(s).reclaims; };
    }
};

struct FreeDeleter {
    void operator()(void *p) const { std::free(p); }
};

class Tcp : public ::testing::Test {
  protected:
    HeapPool pool{4095};
    CollectingSink sink;
    net::PortHost ph;
    std::unique_ptr<void, FreeDeleter> mem;
    std::unique_ptr<tcp::Engine> e;
    stats::Tally t;
    uint64_t hz = 2'000'000'000;  // a 2 GHz TSC; the engine takes time as given
    uint64_t now = 0;
    uint32_t isn = 1000;    // the client's
    uint32_t cookie = 0;    // our ISS
    uint32_t peer_nxt = 0;  // next client seq
    uint32_t our_nxt = 0;   // next seq we send
    tcp::Settings settings;

    void SetUp() override {
        ph.has_ip = true;
        ph.ip = kOurIp;
        ph.bcast = 0xc61200ff;
        std::copy(kOurMac, kOurMac + 6, ph.mac);
        now = 1000 * hz;  // a TSC far from 0
        settings.max_flows = 4;
        settings.window = 65536;
        settings.idle_ms = 600000;
        settings.cookie_key = {11, 22};
        settings.hash_seed = 33;
        settings.rst_rate = 0;  // unlimited
        make_engine();
    }
    void make_engine() {
        e.reset();
        const size_t bytes = tcp::Engine::memory_bytes(settings);
        mem.reset(std::aligned_alloc(64, (bytes + 63) & ~size_t{63}));
        std::memset(mem.get(), 0, bytes);
        e = std::make_unique<tcp::Engine>(settings, mem.get(), pool.get(), hz, now);
        ASSERT_EQ(e->add_stream(&sink, &ph), 0);
    }
    void TearDown() override {
        e.reset();
        drain();
        EXPECT_EQ(pool.in_use(), 0u) << "every mbuf back in the pool";
    }

    // What the engine sent since last time, parsed and checked; the "port" lets go
    // of each segment once it has read it.
    std::vector<Out> drain() {
        sink.send();
        std::vector<Out> outs;
        {
            std::vector<rte_mbuf *> ms;
            ms.swap(sink.sent);
            const size_t n = ms.size();
            for (size_t i = 0; i < n; ++i) {
                Bytes f = bytes_of(ms[i]);
                rte_pktmbuf_free(ms[i]);
                EXPECT_GE(f.size(), 54u);
                if (f.size() < 54) continue;
                EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, kPeerMac));
                EXPECT_TRUE(std::equal(f.begin() + 6, f.begin() + 12, kOurMac));
                EXPECT_EQ(ref_checksum(f.data() + 14, 20), 0) << "IPv4 checksum";
                EXPECT_EQ(get32(f, 26), kOurIp);
                EXPECT_EQ(get32(f, 30), kPeerIp);
                const size_t total = get16(f, 16);
                EXPECT_EQ(total + 14, f.size());
                EXPECT_EQ(
                    ref_checksum(f.data() + 34, total - 20, pseudo(kOurIp, kPeerIp, 6, total - 20)),
                    0)
                    << "TCP checksum";
                Out o;
                o.sport = get16(f, 34);
                o.dport = get16(f, 36);
                o.seq = get32(f, 38);
                o.ack = get32(f, 42);
                const size_t doff = (f[46] >> 4) * 4u;
                o.flags = f[47];
                o.wnd = get16(f, 48);
                o.options.assign(f.begin() + 54, f.begin() + 34 + static_cast<long>(doff));
                o.payload.assign(f.begin() + 34 + static_cast<long>(doff), f.end());
                outs.push_back(o);
            }
        }
        return outs;
    }
    std::vector<Out> feed(const Bytes &frame, net::Csum l4 = net::Csum::unknown) {
        rte_mbuf *m = pool.frame(frame);
        e->input(m, 0, get16(frame, 16), l4, now, t);
        return drain();
    }
    std::vector<Out> advance_ms(uint64_t ms) {
        std::vector<Out> all;
        for (uint64_t i = 0; i < ms; ++i) {  // one millisecond at a time, as the loop would
            now += hz / 1000;
            e->run_timers(now, t);
            auto o = drain();
            all.insert(all.end(), o.begin(), o.end());
        }
        return all;
    }
    uint32_t drops(Drop d) const { return t.drop[static_cast<size_t>(d)]; }
    uint32_t events(Event ev) const { return t.event[static_cast<size_t>(ev)]; }
    const tcp::Conn *conn(uint16_t cport = kCliPort) const { return e->find(0, kPeerIp, cport, 7); }
    // For a state the wire would take long to build (a grown cwnd): set it directly.
    tcp::Conn *conn_for_setup(uint16_t cport = kCliPort) {
        return const_cast<tcp::Conn *>(e->find(0, kPeerIp, cport, 7));
    }

    static Bytes syn_options(uint16_t mss = 1460, int ws = 7) {
        Bytes o = {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss)};
        o.insert(o.end(), {4, 2});                           // SACK permitted
        o.insert(o.end(), {8, 10, 0, 0, 0, 1, 0, 0, 0, 0});  // timestamps
        if (ws >= 0) o.insert(o.end(), {1, 3, 3, static_cast<uint8_t>(ws)});
        while (o.size() % 4)
            o.push_back(1);
        return o;
    }

    // Three-way handshake from the client; leaves the connection established.
    void handshake(uint16_t mss = 1460, int ws = 7, uint16_t cport = kCliPort) {
        auto out = feed(tcp_frame(isn, 0, SYN, 64240, {}, syn_options(mss, ws), cport));
        ASSERT_EQ(out.size(), 1u);
        ASSERT_EQ(out[0].flags, SYN | ACK);
        ASSERT_EQ(out[0].ack, isn + 1);
        cookie = out[0].seq;
        peer_nxt = isn + 1;
        our_nxt = cookie + 1;
        EXPECT_EQ(conn(cport), nullptr) << "a SYN costs no state";
        out = feed(tcp_frame(peer_nxt, our_nxt, ACK, 502, {}, {}, cport));
        EXPECT_TRUE(out.empty());
        ASSERT_NE(conn(cport), nullptr);
        EXPECT_EQ(conn(cport)->state, tcp::State::established);
    }
    // Client data; returns what we sent.
    std::vector<Out> send(const Bytes &data, uint16_t wnd = 502, uint8_t extra = 0) {
        auto o = feed(tcp_frame(peer_nxt, our_nxt, ACK | PSH | extra, wnd, data));
        peer_nxt += static_cast<uint32_t>(data.size());
        return o;
    }
    std::vector<Out> ack(uint32_t a, uint16_t wnd = 502) {
        return feed(tcp_frame(peer_nxt, a, ACK, wnd, {}));
    }
};

}  // namespace c10m::test::tcpfx
