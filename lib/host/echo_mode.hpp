#pragma once

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "host/echo.hpp"
#include "host/neighbour.hpp"
#include "net/port_host.hpp"
#include "net/port_set.hpp"
#include "net/rx_csum.hpp"
#include "net/tx_sink.hpp"
#include "pipeline/mode.hpp"
#include "pipeline/stop.hpp"
#include "tcp/engine.hpp"

namespace c10m::host {

// Sends a gratuitous ARP for a port with an address (once, when the loop starts):
// echo's and l3fwd's announce.
inline void send_garp(const net::PortHost &ph, net::TxSink &tx, rte_mempool *pool,
                      stats::Tally &t) noexcept {
    if (!ph.has_ip || !pool) return;
    rte_mbuf *m = rte_pktmbuf_alloc(pool);
    if (!m) return;
    char *data = rte_pktmbuf_append(m, 42);
    if (!data) {
        rte_pktmbuf_free(m);
        return;
    }
    build_garp(reinterpret_cast<uint8_t *>(data), ph);
    tx.push(m);
    t.add(stats::Event::garp_sent);
}

// --forward-mode=echo: each frame is answered on the port it came in on, in the
// mbuf it came in (zero copy), or freed and counted; TCP segments go to the lcore's
// TCP-lite engine, which answers through the same stream's tx buffer.
struct Echo : pipeline::ModeBase {
    static constexpr const char *kName = "echo";
    static constexpr bool kRepliesOnRxPort = true;
    // Replies go out as soon as the source runs dry (see pipeline::handle_stream).
    static constexpr bool kSendShortBursts = true;

    struct Lcore {
        EchoLcore echo;              // rate limits
        net::PortSet udp_ports;      // --udp-port
        tcp::Engine *tcp = nullptr;  // --tcp-port: this lcore's connections
        void *tcp_mem = nullptr;     // its flow table, in hugepages on the lcore's socket
        bool draining = false;       // SIGTERM with --drain-timeout: no new connections
    };
    struct Stream {
        net::PortHost host;      // the rx port's identity (a copy, on this lcore)
        NeighbourTable neigh;    // learned on this stream's port by this lcore
        uint8_t tcp_stream = 0;  // its index in the lcore's engine
        bool announces = false;  // sends the port's gratuitous ARP
    };

    // Set-up and teardown (echo_mode.cpp).
    static void init(Lcore &l, const pipeline::LcoreEnv &env);
    static void init(Lcore &l, Stream &s, const pipeline::StreamEnv &env);
    static void fini(Lcore &l) noexcept;
    static void release(Lcore &l) noexcept;
    static void report(const Lcore &l, stats::Sample &s);
    static uint16_t mbuf_priv_bytes(const config::AppConfig &cfg);
    static uint32_t held_mbufs_per_lcore(const config::AppConfig &cfg);

    // Frames this many ahead of the one being answered are prefetched: the first read
    // of a frame's bytes is otherwise a cache miss (the copy into the mbuf ran on
    // another core or long enough ago), and it was three quarters of handle's time
    // over AF_XDP before (docs/performance.md).
    static constexpr uint16_t kPrefetchAhead = 8;

    // The cache lines of a frame's headers: Ethernet, IPv4 and UDP or TCP end within
    // the first 64 bytes (options aside), which may straddle two lines.
    static inline void prefetch_frame(const rte_mbuf *m) noexcept {
        const auto *d = rte_pktmbuf_mtod(m, const uint8_t *);
        rte_prefetch0(d);
        rte_prefetch0(d + 63);
    }

    static inline void handle(Lcore &l, Stream &s, rte_mbuf **pkts, uint16_t n, net::TxSink &tx,
                              uint64_t now, stats::Tally &t) noexcept {
        uint16_t kept = 0, nseg = 0;
        rte_mbuf *segs[net::kMaxBurst];  // TCP segments, for the engine once replies are in
        uint16_t seg_len[net::kMaxBurst];
        for (uint16_t i = 0; i < n && i < kPrefetchAhead; ++i)
            prefetch_frame(pkts[i]);
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf *m = pkts[i];
            if (i + kPrefetchAhead < n) prefetch_frame(pkts[i + kPrefetchAhead]);
            if (m->nb_segs != 1) [[unlikely]] {
                rte_pktmbuf_free(m);
                t.add(stats::Drop::multi_segment);
                continue;
            }
            const Verdict v = echo_frame(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m),
                                         s.host, l.udp_ports, l.echo, s.neigh, now,
                                         net::rx_ip_csum(m), net::rx_l4_csum(m));
            if (v.outcome == Outcome::reply) [[likely]] {
                m->data_len = v.len;
                m->pkt_len = v.len;
                net::clear_rx_flags(m);
                t.add(v.event);
                pkts[kept++] = m;
                continue;
            }
            if (v.outcome == Outcome::tcp && l.tcp) {
                segs[nseg] = m;
                seg_len[nseg++] = v.len;
                continue;
            }
            rte_pktmbuf_free(m);
            if (v.outcome == Outcome::consumed)
                t.add(v.event);
            else if (v.outcome == Outcome::tcp)
                t.add(stats::Drop::ip_proto_other);
            else
                t.add(v.drop);
        }
        tx.count = static_cast<uint16_t>(tx.count + kept);
        for (uint16_t i = 0; i < nseg; ++i)
            l.tcp->input(segs[i], s.tcp_stream, seg_len[i], net::rx_l4_csum(segs[i]), now, t);
    }

    // Timers of TCP-lite: one inline compare until the next millisecond; and a look
    // at whether a graceful stop began.
    static inline bool poll(Lcore &l, uint64_t now, stats::Tally &t) noexcept {
        if (!l.tcp) return false;
        if (pipeline::drain_requested() && !l.draining) [[unlikely]] {
            l.draining = true;
            l.tcp->refuse_new(true);
        }
        return l.tcp->run_timers(now, t);
    }

    // A drain that ran out resets what is still open (a stop without a drain lets
    // go silently: see release).
    static void finish(Lcore &l, uint64_t now, stats::Tally &t) noexcept {
        if (l.draining && l.tcp) l.tcp->reset_all(now, t);
    }

    // A gratuitous ARP for the stream's port, sent once when the loop starts by the
    // stream that speaks for the port.
    static inline void announce(Lcore &, Stream &s, net::TxSink &tx, rte_mempool *pool,
                                stats::Tally &t) noexcept {
        if (s.announces) send_garp(s.host, tx, pool, t);
    }
};

}  // namespace c10m::host
