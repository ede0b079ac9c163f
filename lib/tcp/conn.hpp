#pragma once

// One TCP connection's state: a 128-byte record in the lcore's flow table.
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdint>

#include "tcp/flow_table.hpp"
#include "tcp/timer_wheel.hpp"

namespace c10m::tcp {

// Passive open only, and no TIME_WAIT: SYN-RECEIVED lives in the SYN cookie, and
// our FIN always follows the peer's (RFC 9293 3.3.2, the passive-close path).
enum class State : uint8_t {
    free,
    established,  // echoing
    close_wait,   // the peer's FIN is in: echo what is left, then send ours
    last_ack,     // our FIN is out: the connection goes when it is acknowledged
};

namespace cf {                          // Conn::flags
inline constexpr uint8_t ws_ok = 1;     // window scaling negotiated
inline constexpr uint8_t fin_out = 2;   // our FIN has been sent (at least once)
inline constexpr uint8_t recovery = 4;  // in fast recovery (RFC 5681 3.2, RFC 6582)
inline constexpr uint8_t timing = 8;    // one segment is being timed for an RTT sample
inline constexpr uint8_t rto = 16;      // the timer is the retransmission timer
inline constexpr uint8_t persist = 32;  // ... or the persist timer (with rto set too)
inline constexpr uint8_t sampled = 64;  // srtt and rttvar hold a measurement
// We advertised a window below one MSS: the peer may be waiting for it to open, so
// say so as soon as it has (RFC 9293 3.8.6.2.2), not at its next probe.
inline constexpr uint8_t wnd_update = 128;
}  // namespace cf

struct Conn {
    FlowKey key;          // peer address and port, our port, stream
    uint8_t rmac[6];      // the peer's (next hop's) MAC, from its latest acceptable segment
    State state;          //
    uint8_t flags;        // cf::
    uint32_t snd_una;     // oldest unacknowledged sequence number
    uint32_t snd_nxt;     // next to send (falls back to snd_una on a timeout)
    uint32_t snd_max;     // highest sent + 1
    uint32_t snd_end;     // end of the echo data queued (sent or not), FIN excluded
    uint32_t snd_wnd;     // the peer's receive window, in bytes (scaled)
    uint32_t snd_wl1;     // seq of the segment that last updated snd_wnd (as Linux, no WL2)
    uint32_t rcv_adv;     // right edge of the window we last advertised
    uint32_t rcv_nxt;     // next sequence number expected from the peer
    uint32_t cwnd;        // congestion window, bytes (RFC 5681)
    uint32_t ssthresh;    //
    uint32_t recover;     // snd_max when fast recovery began or the last timeout (RFC 6582)
    uint32_t srtt_us;     // RFC 6298
    uint32_t rttvar_us;   //
    uint32_t last_oow;    // tick (ms) of the last ACK for an unacceptable segment, or challenge
    uint16_t rto_ms;      // current retransmission timeout, backoff included
    uint16_t mss;         // largest segment we send and accept (both sides agreed)
    uint16_t held;        // segments it holds: echo queue and out-of-order
    uint16_t max_wnd;     // largest window field the peer sent (RFC 5961 5: MAX.SND.WND)
    uint8_t dupacks : 5;  // duplicate ACKs in a row (saturates at 31)
    uint8_t cwnd_limited : 1;  // cwnd, not the peer's window, held data back since it grew
    uint8_t rtt_gen : 1;       // generation of the segment being timed (SegMeta::rtt_gen)
    uint8_t rexmit_due : 1;    // a fast retransmission could not go yet (the port held it)
    uint8_t ws_tries;          // low nibble: the peer's window scale; high: consecutive timeouts,
                               // or window probes while persisting
    uint16_t ooo;              // 1 + index of the lcore's out-of-order slot it uses; 0: none
    TimerLink timer;           // retransmission, persist or idle (see cf::rto, cf::persist)
    uint32_t last_rx;          // tick (ms) of the last acceptable segment
    rte_mbuf *head;            // echo segments held: oldest unacknowledged first, ...
    rte_mbuf *unsent;          // ... the first not sent yet (nullptr: all sent), ...
    rte_mbuf *tail;            // ... the newest

    uint8_t peer_ws() const noexcept { return ws_tries & 0xf; }
    uint8_t retries() const noexcept { return static_cast<uint8_t>(ws_tries >> 4); }
    void set_peer_ws(uint8_t v) noexcept {
        ws_tries = static_cast<uint8_t>((ws_tries & 0xf0) | (v & 0xf));
    }
    void set_retries(uint8_t v) noexcept {
        ws_tries = static_cast<uint8_t>((ws_tries & 0x0f) | (std::min<uint8_t>(v, 15) << 4));
    }
};
static_assert(sizeof(Conn) <= 128, "a connection record must stay within 128 bytes");

// What c10m keeps with each segment it holds, in the mbuf's private area: an echo
// segment (queued to send, or sent and not yet acknowledged), or a segment of the
// peer's that arrived out of order.
struct SegMeta {
    rte_mbuf *next;    // the connection's next held segment
    uint32_t seq;      // sequence number of its first byte (ours; the peer's if out of order)
    uint16_t len;      // payload bytes
    uint16_t psum;     // the payload's checksum sum (sum_native, folded); out of order:
                       // the payload's offset in the frame
    bool fin;          // out of order: the peer's FIN follows its last byte
    bool timed;        // echo: its first transmission is timed for an RTT sample ...
    uint8_t rtt_gen;   // ... in this generation of the connection's timing (Conn::rtt_gen)
    uint32_t sent_us;  // ... and went out at this time (us)
};

}  // namespace c10m::tcp
