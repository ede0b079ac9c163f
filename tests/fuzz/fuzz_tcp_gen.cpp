// libFuzzer target: tcp-gen's input (the segments a server sends it) and its timers,
// driven by steps decoded from the input against one generator (no EAL: mbufs from
// a heap pool). The harness plays the server: it reads the generator's records, so
// its segments are mostly what the generator expects (SYN-ACKs acknowledging the
// ISS, echoes at RCV.NXT, FINs, RSTs in window), then bends every field, and it
// also sends raw bytes. After every step:
//   * no mbuf is held by the generator (it keeps none: the pool's in-use count is
//     0 once the harness has freed what it sent);
//   * its counts agree: concurrent <= established <= connections, opening within
//     bounds, each record in a state the phase allows;
// and at the end every mbuf is back (ASan: none freed twice).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "gen/tcp_gen.hpp"
#include "tcp/segment.hpp"
#include "unit/heap_pool.hpp"
#include "wire/bytes.hpp"

using namespace c10m;

namespace {

constexpr uint32_t kServer = 0xc6120001, kClient = 0xc6120002;
constexpr uint8_t kServerMac[6] = {0x02, 0, 0, 0, 0, 1};
constexpr uint8_t kClientMac[6] = {0x02, 0, 0, 0, 0, 2};
constexpr uint64_t kHz = 1'000'000'000;
constexpr uint32_t kConns = 6;

struct Input {
    const uint8_t *p;
    size_t n;
    uint8_t u8() { return n ? (--n, *p++) : 0; }
    uint16_t u16() { return static_cast<uint16_t>(u8() << 8 | u8()); }
    uint32_t u32() { return uint32_t{u16()} << 16 | u16(); }
};

struct Sink : net::TxSink {
    std::vector<rte_mbuf *> sent;
    Sink() {
        burst = 32;
        send_fn = [](net::TxSink &s) noexcept {
            auto &k = static_cast<Sink &>(s);
            k.sent.insert(k.sent.end(), s.pkts, s.pkts + s.count);
            s.count = 0;
        };
    }
};

[[noreturn]] void fail(const char *what) {
    std::fprintf(stderr, "fuzz_tcp_gen: invariant broken: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static test::HeapPool pool(2047);
    Input in{data, size};
    Sink sink;
    std::vector<gen::GenConn> conns(kConns + 1);  // 64-byte records (aligned enough here)
    gen::Shared sh;
    sh.conns = conns.data();
    sh.total = kConns;
    sh.tuples = gen::Tuples({{kClient, 1}}, 7, 8);
    sh.server = kServer;
    sh.seed = in.u8();
    uint64_t mac = 0;
    for (int i = 0; i < 6; ++i)
        mac |= uint64_t{kServerMac[i]} << (8 * i);
    sh.server_mac = mac;
    gen::Settings s;
    s.hold_ms = in.u8();
    s.txn_rate = in.u8() * 10u;
    s.txn_size = 1 + in.u8() % 200;
    s.sweep = in.u8() & 1;
    s.close_rst = in.u8() & 1;
    s.max_opening = 1 + in.u8() % 8;
    s.max_busy = 1 + in.u8() % 8;
    uint64_t now = 10 * kHz;
    stats::Tally t;
    auto g = std::make_unique<gen::Generator>(sh, s, pool.get(), &sink, kClientMac, kHz, now);

    auto drain = [&] {
        sink.send();
        for (rte_mbuf *m : sink.sent)
            rte_pktmbuf_free(m);
        sink.sent.clear();
    };
    auto check = [&] {
        drain();
        if (pool.in_use() != 0) fail("the generator holds an mbuf");
        const gen::Counters &c = g->counters();
        if (c.concurrent.load() > c.established.load()) fail("concurrent > established");
        if (c.established.load() > kConns) fail("established > connections");
        if (c.opening.load() > kConns) fail("opening > connections");
        if (c.closed.load() > c.established.load()) fail("closed > established");
    };
    // A segment from the server to connection g.
    auto segment = [&](uint32_t gi, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
                       const uint8_t *payload, uint32_t plen, bool mss_opt, uint16_t mss,
                       bool bad_sum) {
        rte_mbuf *m = rte_pktmbuf_alloc(pool.get());
        if (!m) return;
        const uint32_t opt = mss_opt ? 4 : 0;
        char *d = rte_pktmbuf_append(m, static_cast<uint16_t>(tcp::kHdr + opt + plen));
        if (!d) {
            rte_pktmbuf_free(m);
            return;
        }
        auto *f = reinterpret_cast<uint8_t *>(d);
        if (mss_opt) {
            f[tcp::kHdr] = 2;
            f[tcp::kHdr + 1] = 4;
            wire::store16(f + tcp::kHdr + 2, mss);
        }
        if (plen) std::memcpy(f + tcp::kHdr + opt, payload, plen);
        const auto tu = sh.tuples.of(gi);
        tcp::write_segment_headers(f, kServerMac, kServer, kClientMac, tu.saddr, tu.sport, tu.dport,
                                   seq, ack, flags, wnd, opt, plen,
                                   wire::sum_native(f + tcp::kHdr + opt, plen));
        if (bad_sum) f[50] ^= 1;
        g->input(m, wire::load16(f + 16), now, t);
    };

    while (in.n) {
        const uint8_t op = in.u8();
        switch (op % 6) {
            case 0:  // time passes
                now += (uint64_t{in.u16()} % 5000) * kHz / 1000;
                [[fallthrough]];
            case 1:
                g->poll(now, t);
                break;
            case 2:
            case 3: {  // a segment the generator mostly expects
                const uint32_t gi = in.u8() % kConns;
                const gen::GenConn &c = conns[gi];
                const uint8_t how = in.u8();
                uint8_t flags = in.u8() & 0x3f;
                if (!(how & 0x80)) flags |= tcp::kAck;
                uint32_t seq, ack;
                if (c.state == gen::GState::syn_sent) {
                    seq = in.u32();
                    ack = (how & 1) ? in.u32() : c.iss + 1;
                    if (how & 2) flags = tcp::kSyn | tcp::kAck;
                } else {
                    seq = (how & 1) ? in.u32() : c.rcv_nxt + static_cast<int8_t>(in.u8()) % 4;
                    ack = (how & 2) ? in.u32() : c.snd_una + in.u8() % 80;
                }
                uint8_t payload[256];
                uint32_t plen = (how & 4) ? in.u8() : 0;
                if (how & 8) {
                    // the right bytes (an echo), most of the time
                    gen::Generator::stream_bytes(sh.seed, gi, seq - c.irs - 1, payload, plen);
                    if (how & 16) payload[0] ^= 1;
                } else {
                    for (uint32_t i = 0; i < plen; ++i)
                        payload[i] = in.u8();
                }
                segment(gi, flags, seq, ack, in.u16(), payload, plen, how & 32, in.u16(),
                        (how & 64) && (in.u8() & 1));
                break;
            }
            case 4: {  // raw bytes as a segment: lengths and offsets that lie
                const uint32_t len = in.u8() + 1;
                rte_mbuf *m = rte_pktmbuf_alloc(pool.get());
                if (!m) break;
                char *d = rte_pktmbuf_append(m, static_cast<uint16_t>(tcp::kHdr + len));
                if (!d) {
                    rte_pktmbuf_free(m);
                    break;
                }
                auto *f = reinterpret_cast<uint8_t *>(d);
                for (uint32_t i = 0; i < tcp::kHdr + len; ++i)
                    f[i] = in.u8();
                // The caller's checks hold: addresses and a total within the frame.
                wire::store32(f + 26, kServer);
                wire::store32(f + 30, kClient);
                const uint32_t total = std::min<uint32_t>(in.u16(), 20 + 20 + len);
                g->input(m, total, now, t);
                break;
            }
            default:
                g->poll(now, t);
                break;
        }
        check();
    }
    // Run it out: whatever the server said, the generator ends (timeouts).
    for (int i = 0; i < 4000 && g->phase() != gen::Phase::done; ++i) {
        now += kHz / 2;
        g->poll(now, t);
        drain();
    }
    if (g->phase() != gen::Phase::done) fail("the generator never finished");
    check();
    g.reset();
    drain();
    if (pool.in_use() != 0) fail("an mbuf is still out at the end");
    return 0;
}
