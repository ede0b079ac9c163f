// libFuzzer target: TCP-lite driven by a sequence of segments and clock steps decoded
// from the input, against one engine (no EAL: mbufs from a heap pool). The harness
// plays a client that mostly knows what the engine expects (it reads the engine's
// segments: SYN cookies, sequence and acknowledgment numbers), so that the fuzzer
// reaches established connections, holes, zero windows and closes, and then bends
// every field. After every step:
//   * every mbuf is accounted for: the pool's in-use count equals what the engine
//     holds (the harness frees what the engine sends at once), and the sum of the
//     connections' held counts equals the engine's;
//   * sequence invariants of each connection (SND.UNA <= SND.NXT <= SND.MAX <=
//     end of data + 1, cwnd within its bounds);
//   * the right edge of the window we advertise never moves left;
// and at the end every mbuf is back (ASan: none freed twice).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "tcp/engine.hpp"
#include "tcp/seq.hpp"
#include "unit/heap_pool.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

using namespace c10m;

namespace {

constexpr uint32_t kOurIp = 0xc6120001, kPeerIp = 0xc6120002;
constexpr uint8_t kOurMac[6] = {0x02, 0xc1, 0x0a, 0, 0, 1};
constexpr uint8_t kPeerMac[6] = {0x02, 0, 0, 0, 0, 2};
constexpr uint64_t kHz = 1'000'000'000;

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

// What the client knows of one connection (by its port).
struct Peer {
    uint32_t isn = 0;        // of its last SYN
    bool ws = false;         // that SYN offered window scaling
    bool cookie_ws = false;  // ... of the SYN our last SYN-ACK answered
    bool conn_ws = false;    // ... of the SYN the open connection came from
    uint32_t cookie = 0;     // our last SYN-ACK's sequence number
    uint32_t expect = 0;     // our last ACK field: what we expect from it
    uint32_t ours = 0;       // the end of what we sent
    uint32_t edge = 0;       // the right edge we advertised
    bool have_edge = false;
};

uint16_t csum_tcp(const uint8_t *th, size_t len, uint32_t src, uint32_t dst) {
    uint64_t s = wire::sum_native(th, len);
    uint8_t ph[12];
    wire::store32(ph, src);
    wire::store32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = 6;
    wire::store16(ph + 10, static_cast<uint16_t>(len));
    s = wire::sum_native(ph, 12, s);
    return static_cast<uint16_t>(~wire::fold(s));
}

std::vector<uint8_t> frame(uint16_t sport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
                           const std::vector<uint8_t> &opts, size_t plen, uint8_t fill) {
    std::vector<uint8_t> f(14 + 20 + 20 + opts.size() + plen, fill);
    std::memcpy(f.data(), kOurMac, 6);
    std::memcpy(f.data() + 6, kPeerMac, 6);
    wire::store16(f.data() + 12, 0x0800);
    uint8_t *ip = f.data() + 14;
    ip[0] = 0x45;
    ip[1] = 0;
    wire::store16(ip + 2, static_cast<uint16_t>(f.size() - 14));
    wire::store32(ip + 4, 0);
    ip[8] = 64;
    ip[9] = 6;
    wire::store16(ip + 10, 0);
    wire::store32(ip + 12, kPeerIp);
    wire::store32(ip + 16, kOurIp);
    uint8_t *th = ip + 20;
    wire::store16(th, sport);
    wire::store16(th + 2, 7);
    wire::store32(th + 4, seq);
    wire::store32(th + 8, ack);
    th[12] = static_cast<uint8_t>((20 + opts.size()) / 4 << 4);
    th[13] = flags;
    wire::store16(th + 14, wnd);
    wire::store16(th + 16, 0);
    wire::store16(th + 18, 0);
    if (!opts.empty()) std::memcpy(th + 20, opts.data(), opts.size());
    const uint16_t c = csum_tcp(th, f.size() - 34, kPeerIp, kOurIp);
    std::memcpy(th + 16, &c, 2);
    return f;
}

[[noreturn]] void fail() {
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static test::HeapPool pool(2047);
    tcp::Settings s;
    s.max_flows = 4;
    s.window = 100000;  // a window scale of 1: rounding can matter
    s.idle_ms = 3000;
    s.cookie_key = {1, 2};
    s.hash_seed = 3;
    s.max_held = 96;
    s.challenge_rate = 10;
    static std::vector<uint8_t> mem;
    const size_t bytes = tcp::Engine::memory_bytes(s);
    mem.assign(bytes + 64, 0);
    void *aligned =
        reinterpret_cast<void *>((reinterpret_cast<uintptr_t>(mem.data()) + 63) & ~uintptr_t{63});
    net::PortHost ph;
    ph.has_ip = true;
    ph.ip = kOurIp;
    ph.bcast = 0xc61200ff;
    std::memcpy(ph.mac, kOurMac, 6);
    Sink sink;
    static const int debug =
        std::getenv("C10M_FUZZ_DEBUG") ? std::atoi(std::getenv("C10M_FUZZ_DEBUG")) : 0;
    uint64_t now = 1000 * kHz;
    stats::Tally t;
    std::map<uint16_t, Peer> peers;
    {
        tcp::Engine e(s, aligned, pool.get(), kHz, now);
        if (e.add_stream(&sink, &ph) != 0) fail();
        Input in{data, size};
        while (in.n) {
            // Which connections exist before the step: one that appears during it is a
            // new incarnation (a handshake's ACK can open one again after a close,
            // while its cookie is valid), whose edges start afresh.
            bool existed[4];
            for (uint16_t i = 0; i < 4; ++i)
                existed[i] = e.find(0, kPeerIp, static_cast<uint16_t>(40000 + i), 7) != nullptr;
            const uint8_t op = in.u8();
            const uint16_t port = static_cast<uint16_t>(40000 + (op >> 6));
            Peer &pr = peers[port];
            if ((op & 7) == 0) {
                now += (uint64_t{in.u8()} * 7 + 1) * (kHz / 1000);
                if (debug > 1)
                    std::fprintf(stderr, "clock %lu ms\n", (unsigned long)(now / (kHz / 1000)));
                e.run_timers(now, t);
            } else {
                const uint8_t kind = in.u8();
                uint8_t flags = in.u8() & 0x3f;
                std::vector<uint8_t> opts;
                uint32_t seq, ack;
                if ((kind & 3) == 0) {  // a SYN, options from the input
                    flags = 0x02;
                    pr.isn = in.u32();
                    seq = pr.isn;
                    ack = 0;
                    const uint8_t o = in.u8();
                    if (o & 1) opts = {2, 4, static_cast<uint8_t>(in.u8() % 8), in.u8()};
                    if (o & 2)
                        opts.insert(opts.end(), {1, 3, 3, static_cast<uint8_t>(in.u8() % 16)});
                    if (o & 4) opts.insert(opts.end(), {4, 2, 1, 1});
                    while (opts.size() % 4)
                        opts.push_back(1);
                    pr.ws = (o & 2) != 0;
                } else if ((kind & 3) == 1) {  // completes the handshake
                    seq = pr.isn + 1;
                    ack = pr.cookie + 1;
                    flags = static_cast<uint8_t>(0x10 | (flags & 0x09));
                } else {  // on a connection: near what is expected, or anywhere
                    const uint8_t mode = in.u8();
                    const int32_t d = static_cast<int8_t>(in.u8());
                    const uint8_t back = in.u8();  // how far behind what we sent it acks
                    seq = (mode & 1) ? in.u32()
                                     : pr.expect + static_cast<uint32_t>(d * ((mode >> 4) + 1));
                    ack = (mode & 2) ? in.u32() : pr.ours - ((back & 0x80) ? back & 0x7fu : 0u);
                    if (!(mode & 4)) flags |= 0x10;
                }
                const uint16_t wnd =
                    (kind & 4) ? in.u16() : static_cast<uint16_t>((kind & 8) ? 0 : 4000);
                const size_t plen = (kind & 0x10) ? (in.u8() * 6u) % 1500 : 0;
                const auto f = frame(port, seq, ack, flags, wnd, opts, plen, in.u8());
                if (f.size() > 2048 - 128) continue;
                if (debug > 1)
                    std::fprintf(
                        stderr, "in port %u seq %u ack %u flags 0x%02x wnd %u len %zu (conn %d)\n",
                        port, seq, ack, flags, wnd, plen, e.find(0, kPeerIp, port, 7) != nullptr);
                rte_mbuf *m = pool.frame(f);
                e.input(m, 0, static_cast<uint32_t>(f.size() - 14),
                        (kind & 0x20) ? net::Csum::good : net::Csum::unknown, now, t);
            }
            // The "port" takes what the engine sent, and the client reads it.
            for (uint16_t i = 0; i < 4; ++i)
                if (!existed[i]) peers[static_cast<uint16_t>(40000 + i)].have_edge = false;
            sink.send();
            for (rte_mbuf *m : sink.sent) {
                const uint8_t *o = rte_pktmbuf_mtod(m, const uint8_t *);
                if (rte_pktmbuf_data_len(m) >= 54) {
                    const uint16_t dport = wire::load16(o + 36);
                    Peer &q = peers[dport];
                    const uint32_t oseq = wire::load32(o + 38), oack = wire::load32(o + 42);
                    const uint8_t ofl = o[47];
                    const uint32_t olen = wire::load16(o + 16) - 20u - (o[46] >> 4) * 4u;
                    if (debug > 1)
                        std::fprintf(stderr,
                                     "  out port %u seq %u ack %u flags 0x%02x wnd %u len %u\n",
                                     dport, oseq, oack, ofl, wire::load16(o + 48), olen);
                    if ((ofl & 0x12) == 0x12) {  // SYN-ACK: a new incarnation
                        q.cookie = oseq;
                        q.cookie_ws = q.ws;
                        q.expect = oack;
                        q.ours = oseq + 1;
                        q.have_edge = false;
                    } else if (!(ofl & 0x04) && (ofl & 0x10) && e.find(0, kPeerIp, dport, 7)) {
                        q.expect = oack;
                        const uint32_t end = oseq + olen + (ofl & 0x01);
                        if (tcp::seq_gt(end, q.ours)) q.ours = end;
                        if (!q.have_edge) q.conn_ws = q.cookie_ws;
                        const uint32_t edge =
                            oack + (uint32_t{wire::load16(o + 48)} << (q.conn_ws ? 1 : 0));
                        if (q.have_edge && tcp::seq_lt(edge, q.edge)) {  // moved left
                            if (debug)
                                std::fprintf(stderr,
                                             "edge moved left: port %u seq %u ack %u flags 0x%02x "
                                             "wnd %u ws %d: edge %u < %u\n",
                                             dport, oseq, oack, ofl, wire::load16(o + 48),
                                             q.conn_ws, edge, q.edge);
                            fail();
                        }
                        q.edge = edge;
                        q.have_edge = true;
                    } else if (!e.find(0, kPeerIp, dport, 7)) {
                        q.have_edge = false;
                    }
                }
                rte_pktmbuf_free(m);
            }
            sink.sent.clear();
            // Every mbuf accounted for, and each connection consistent.
            if (pool.in_use() != e.held()) fail();
            uint32_t held = 0;
            e.for_each_conn([&](const tcp::Conn &c) {
                held += c.held;
                if (tcp::seq_gt(c.snd_una, c.snd_nxt) || tcp::seq_gt(c.snd_nxt, c.snd_max) ||
                    tcp::seq_gt(c.snd_max, c.snd_end + 1) || tcp::seq_gt(c.snd_una, c.snd_end + 1))
                    fail();
                if (c.cwnd < c.mss || c.cwnd > tcp::kMaxCwnd) fail();
                if (c.state == tcp::State::free) fail();
            });
            if (held != e.held()) fail();
        }
    }
    if (pool.in_use() != 0) fail();
    return 0;
}
