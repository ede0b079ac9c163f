#pragma once

// What the poll loops ask of a forwarding mode. A mode is a type with static
// members, chosen once at start (app/main.cpp) and compiled into the loops
// (poll_loop<Mode>, worker_loop<Mode>), so the handler is inlined: no indirect call
// per packet. The loops know no mode; a mode knows nothing of lcores, rings or how
// its packets are sent. Modes derive from ModeBase, which says what a mode that
// does not care does.
//
//   kName                 its --forward-mode name
//   kRepliesOnRxPort      packets leave by the port they came in on (else the paired port)
//   kTxAnyPort            a packet may leave by any port (a router): every lcore gets
//                         a tx buffer on every port, LcoreEnv::port_out
//   kSendShortBursts      a short rx burst means the queue ran dry: send what it
//                         produced now instead of at the drain deadline (modes that
//                         answer requests; forwarding modes keep l2fwd's buffering)
//   struct Lcore          per-lcore state, inside the lcore's context (on its socket)
//   struct Stream         per-stream state; a stream is what one rx queue (or, in
//                         pipeline mode, one port's share of a worker) delivers,
//                         and the tx buffer its packets leave by
//   init(Lcore, LcoreEnv), init(Lcore, Stream, StreamEnv), fini(Lcore)
//                         set-up and teardown, on the main lcore
//   handle(Lcore, Stream, pkts, n, tx, now, tally)
//                         the burst handler. pkts == tx.pkts + tx.count: the n
//                         received packets already sit in the stream's tx buffer. It
//                         rewrites in place those to send, moves them to the front of
//                         pkts and adds their number to tx.count; it frees the others
//                         and counts why in the tally; only then may it push more
//                         packets onto tx (which sends itself when a burst gathers).
//   poll(Lcore, now, tally) -> bool
//                         once per loop iteration (timers); true when it pushed
//                         packets, which the loop then sends at once
//   announce(Lcore, Stream, tx, pool, tally)
//                         once when the loop starts (a host's gratuitous ARP)
//   finish(Lcore, now, tally)
//                         when its loop stops, before the last flush (a drained stop
//                         resets the TCP connections still open)
//   release(Lcore)        after every loop stopped: let go of the mbufs it holds
//   report(Lcore, sample) adds the mode's own figures to a stats sample
//   status(Lcore)         after the loops stopped: non-zero makes the exit status 1
//                         (a generator whose connections failed)
//   mbuf_priv_bytes(cfg), held_mbufs_per_lcore(cfg)
//                         what the mempools must provide beyond descriptors and bursts
#include <rte_mbuf.h>

#include <cstdint>
#include <vector>

#include "config/options.hpp"
#include "io/port.hpp"
#include "net/tx_sink.hpp"
#include "stats/counters.hpp"
#include "stats/report.hpp"

namespace c10m::pipeline {

// What a mode's per-lcore set-up may use.
struct LcoreEnv {
    const config::AppConfig &cfg;
    unsigned lcore;
    int socket;
    rte_mempool *pool;    // the lcore's socket's mempool (for packets it originates)
    uint32_t pool_spare;  // its mbufs the ports do not hold once started
    uint64_t tsc_hz;
    uint64_t now;
    unsigned nb_lcores;  // lcores that run the mode (workers, in pipeline mode)
    // Where the lcore's packets for each port leave, by port id (nullptr: a port it
    // cannot send on). Every forwarding port has one when the mode has kTxAnyPort.
    net::TxSink *const *port_out = nullptr;
    const std::vector<io::PortCaps> *ports = nullptr;  // every forwarding port
};

// What a mode's per-stream set-up may use.
struct StreamEnv {
    const config::AppConfig &cfg;
    const io::PortCaps &rx;  // the port its packets come from
    const io::PortCaps &tx;  // the port they leave by
    net::TxSink *out;        // the stream's tx buffer
    // This stream speaks for its rx port when the loop starts (announce): the one
    // polling queue 0 of the port, or the port's first worker in pipeline mode.
    bool speaks_for_port;
    int rx_queue = -1;  // the rx queue it polls (run to completion; -1: a worker's stream)
};

struct ModeBase {
    static constexpr bool kRepliesOnRxPort = false;
    static constexpr bool kTxAnyPort = false;
    static constexpr bool kSendShortBursts = false;
    struct Lcore {};
    struct Stream {};

    template <class L>
    static void init(L &, const LcoreEnv &) {}
    template <class L, class S>
    static void init(L &, S &, const StreamEnv &) {}
    template <class L>
    static void fini(L &) noexcept {}
    template <class L>
    static bool poll(L &, uint64_t, stats::Tally &) noexcept {
        return false;
    }
    template <class L, class S>
    static void announce(L &, S &, net::TxSink &, rte_mempool *, stats::Tally &) noexcept {}
    template <class L>
    static void finish(L &, uint64_t, stats::Tally &) noexcept {}
    template <class L>
    static void release(L &) noexcept {}
    template <class L>
    static void report(const L &, stats::Sample &) {}
    template <class L>
    static int status(const L &) noexcept {
        return 0;
    }
    static uint16_t mbuf_priv_bytes(const config::AppConfig &) { return 0; }
    static uint32_t held_mbufs_per_lcore(const config::AppConfig &) { return 0; }
};

}  // namespace c10m::pipeline
