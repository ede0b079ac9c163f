#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>

#include "net/burst.hpp"

namespace c10m::net {

// Where a mode's packets leave: the stream's tx buffer. Whoever produces packets
// (a mode's handler, the TCP engine) pushes them here; the owner (the poll loop)
// says how a full buffer is sent, through `send_fn`, called once per burst, never
// per packet. Holds up to two bursts: a received burst sits at pkts[count..] while
// its handler decides its fate (see pipeline/mode.hpp).
struct TxSink {
    using Fn = void (*)(TxSink &) noexcept;

    uint16_t count = 0;
    uint16_t burst = kDefaultBurst;  // sent once this many have gathered
    Fn send_fn = nullptr;            // sends pkts[0..count) and sets count to 0
    // Asks the device to let go of mbufs it has sent (for a retransmission of a
    // segment the port may still hold); may be nullptr.
    Fn reclaim_fn = nullptr;
    rte_mbuf *pkts[2 * kMaxBurst];

    [[gnu::always_inline]] void push(rte_mbuf *m) noexcept {
        pkts[count++] = m;
        if (count >= burst) [[unlikely]]
            send_fn(*this);
    }
    // Four at once (m: an array of four), in order; sent, as push's, once a burst
    // has gathered (up to three past it: the buffer holds two).
    void push4(rte_mbuf *const *m) noexcept {
        std::memcpy(pkts + count, m, 4 * sizeof(rte_mbuf *));
        count = static_cast<uint16_t>(count + 4);
        if (count >= burst) [[unlikely]]
            send_fn(*this);
    }
    void send() noexcept {
        if (count) send_fn(*this);
    }
    void reclaim() noexcept {
        if (reclaim_fn) reclaim_fn(*this);
    }
};

}  // namespace c10m::net
