#pragma once

#include <rte_mbuf.h>

#include "gen/tcp_gen.hpp"
#include "host/echo.hpp"
#include "host/neighbour.hpp"
#include "net/port_host.hpp"
#include "net/port_set.hpp"
#include "net/rx_csum.hpp"
#include "net/tx_sink.hpp"
#include "pipeline/mode.hpp"
#include "pipeline/stop.hpp"

namespace c10m::gen {

// --forward-mode=tcp-gen: TCP-lite's active side as a load generator (tcp_gen.hpp)
// on port 0. Each lcore (worker, in pipeline mode) runs a Generator over the
// connections it owns. Around it, port 0 is a host on --ip and every --gen-src
// address: ARP and ICMP echo are answered as echo mode answers them (UDP gets a
// port unreachable), and the server's MAC is learned by ARP. It stops by itself
// a second after every connection is closed; its exit status is 0 only if no connection
// failed and no echoed byte differed.
struct TcpGen : pipeline::ModeBase {
    static constexpr const char *kName = "tcp-gen";
    static constexpr bool kRepliesOnRxPort = true;
    static constexpr bool kSendShortBursts = true;

    struct Lcore {
        Generator *gen = nullptr;
        host::EchoLcore echo;   // ICMP rate limits
        net::PortSet udp_none;  // no UDP service: port unreachable
        unsigned index = 0;     // among the generator's lcores
        uint64_t next_arp = 0;  // tsc: the next ARP request for the server
        uint64_t arp_every = 0;
        net::TxSink *out = nullptr;   // port 0's stream
        net::PortHost host;           // port 0 as a host (--ip)
        rte_mempool *pool = nullptr;  // the lcore's socket's
        int socket = 0;
        uint64_t linger_until = 0;  // tsc: done, and stopping then
        bool stop_asked = false;
    };
    static constexpr unsigned kLingerSeconds = 1;
    struct Stream {
        net::PortHost host;
        host::NeighbourTable neigh;
        bool port0 = false;
    };

    static void init(Lcore &l, const pipeline::LcoreEnv &env);
    static void init(Lcore &l, Stream &s, const pipeline::StreamEnv &env);
    static void fini(Lcore &l) noexcept;
    static void report(const Lcore &l, stats::Sample &s);
    static int status(const Lcore &l) noexcept;

    static inline void handle(Lcore &l, Stream &s, rte_mbuf **pkts, uint16_t n, net::TxSink &tx,
                              uint64_t now, stats::Tally &t) noexcept {
        uint16_t kept = 0, nseg = 0;
        rte_mbuf *segs[net::kMaxBurst];
        uint16_t seg_len[net::kMaxBurst];
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf *m = pkts[i];
            if (m->nb_segs != 1 || !s.port0 || !l.gen) [[unlikely]] {
                t.add(m->nb_segs != 1 ? stats::Drop::multi_segment : stats::Drop::eth_not_ours);
                rte_pktmbuf_free(m);
                continue;
            }
            uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
            const uint32_t len = rte_pktmbuf_data_len(m);
            // Which of our addresses it is for: the host answers as that address.
            net::PortHost h = s.host;
            const uint32_t to = target_address(f, len);
            if (to != h.ip && shared_ && shared_->tuples.ours(to)) h.ip = to;
            const host::Verdict v = host::echo_frame(f, len, h, l.udp_none, l.echo, s.neigh, now,
                                                     net::rx_ip_csum(m), net::rx_l4_csum(m));
            if (v.outcome != host::Outcome::drop && wire::load16(f + 12) == 0x0806) learn_server(f);
            if (v.outcome == host::Outcome::reply) {
                m->data_len = v.len;
                m->pkt_len = v.len;
                net::clear_rx_flags(m);
                t.add(v.event);
                pkts[kept++] = m;
                continue;
            }
            if (v.outcome == host::Outcome::tcp) {
                segs[nseg] = m;
                seg_len[nseg++] = v.len;
                continue;
            }
            rte_pktmbuf_free(m);
            if (v.outcome == host::Outcome::consumed)
                t.add(v.event);
            else
                t.add(v.drop);
        }
        tx.count = static_cast<uint16_t>(tx.count + kept);
        for (uint16_t i = 0; i < nseg; ++i)
            l.gen->input(segs[i], seg_len[i], now, t);
    }

    static bool poll(Lcore &l, uint64_t now, stats::Tally &t) noexcept;

  private:
    static Shared *shared_;
    static unsigned users_;
    static inline Phase phase_of_ = Phase::done;  // report's: the least advanced lcore

    // The IPv4 destination, or an ARP's target address (0 otherwise).
    static uint32_t target_address(const uint8_t *f, uint32_t len) noexcept {
        if (len < 42) return 0;
        const uint16_t type = wire::load16(f + 12);
        if (type == 0x0800) return wire::load32(f + 30);
        if (type == 0x0806) return wire::load32(f + 38);
        return 0;
    }
    static void learn_server(const uint8_t *f) noexcept;
};

}  // namespace c10m::gen
