#pragma once

// TCP-lite: one lcore's TCP echo service (RFC 862 over RFC 9293), passive side only.
//
// A SYN is answered with a SYN cookie and no state; the final ACK of the handshake,
// if its cookie verifies, creates a 128-byte record in the lcore's flow table. Data
// that arrives in order is echoed in the mbuf it came in: the headers in front of
// the payload are rewritten, the segment is sent with an extra reference, and that
// reference is kept until the peer acknowledges it, so a retransmission re-sends
// the same mbuf (no copy). Out-of-order data is dropped and re-acknowledged.
// Retransmission timer per RFC 6298, congestion control per RFC 5681 with NewReno
// recovery (RFC 6582), persist timer and window probes, challenge ACKs (RFC 5961).
// Timers live in one timer wheel per lcore, advanced from the poll loop.
//
// Everything here runs on its lcore only: no locks, no allocation after start but
// mbufs from the lcore's pool (for ACKs, FINs and RSTs that have no segment to ride).
// The engine does no I/O and needs no EAL: segments come in through input(), time
// is passed in, and what it sends goes into each stream's net::TxSink, which the
// caller owns and flushes. Its memory is the caller's too (hugepages in the app,
// the heap in tests).
#include <rte_mbuf.h>

#include <cstddef>
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "net/port_host.hpp"
#include "net/port_set.hpp"
#include "net/rx_csum.hpp"
#include "net/token_bucket.hpp"
#include "net/tx_sink.hpp"
#include "stats/counters.hpp"
#include "tcp/conn.hpp"
#include "tcp/segment.hpp"
#include "tcp/syncookie.hpp"

namespace c10m::tcp {

struct Settings {
    uint32_t max_flows = 1024;  // records on this lcore
    uint32_t window = 65536;    // --tcp-window: echo data held per connection, bytes
    uint32_t idle_ms = 300000;  // --tcp-idle-timeout
    uint16_t mss_limit = 1460;  // what the port and mbufs carry: MTU - 40
    std::vector<uint16_t> ports{7};
    SipKey cookie_key{};
    uint64_t hash_seed = 0;
    // RSTs for segments of no connection, per second (0: unlimited, as Linux).
    uint32_t rst_rate = 0;
    // Challenge ACKs per second on the lcore, on average: each second's budget is
    // drawn at random in [rate/2, 3 rate/2) (0: only the per-connection limit).
    uint32_t challenge_rate = 1000;
    uint32_t max_held = 8192;  // echo and out-of-order segments held at once on this lcore
};

inline constexpr uint8_t kMaxRetries = 8;  // timeouts in a row before a RST
inline constexpr uint32_t kTimerSlots = 4096;
inline constexpr uint8_t kMaxStreams = 16;
// Out-of-order segments: kept (rather than dropped) while the hole before them is
// open, up to kOooPerConn per connection, in one of kOooSlots per-lcore slots (a
// connection takes a slot only while it has a hole).
inline constexpr uint16_t kOooSlots = 4096;
inline constexpr uint16_t kOooPerConn = 64;
// At most one ACK per this many ms for an unacceptable pure ACK, and one challenge
// ACK, per connection (Linux: net.ipv4.tcp_invalid_ratelimit).
inline constexpr uint32_t kOowIntervalMs = 500;
// A held segment counts as at least this many bytes against the window we give.
inline constexpr uint32_t kHeldSegmentCost = 512;
// Past half the lcore's held budget, a connection holds at most its share of it, and
// never less than this.
inline constexpr uint32_t kMinHeldShare = 16;
// cwnd never grows past this (it also grows only while it is what limits sending).
inline constexpr uint32_t kMaxCwnd = 1u << 30;
// Connections remembered after they end (by 4-tuple hash, where they ended), and
// for how long: as long as the peer's TIME_WAIT (Linux: 60 s).
inline constexpr uint32_t kClosedSlots = 16384;
inline constexpr uint32_t kTimeWaitMs = 60000;

// Memory per connection: the record, two hash slots and a free-list entry.
inline constexpr size_t kBytesPerFlow = sizeof(Conn) + 2 * sizeof(FlowSlot) + sizeof(uint32_t);

// Mbufs the engine holds carry a SegMeta in their private area (rte_mbuf_to_priv):
// pools feeding an engine need at least this much private space per mbuf. A whole
// cache line keeps the packet data cache-aligned behind it.
inline constexpr uint16_t kMbufPrivBytes = 64;
static_assert(sizeof(SegMeta) <= kMbufPrivBytes);

// The smallest shift that brings `window` into 16 bits (RFC 7323).
constexpr uint8_t window_shift(uint32_t window) noexcept {
    uint8_t s = 0;
    while ((window >> s) > 0xffff && s < 14)
        ++s;
    return s;
}

class Engine {
  public:
    // Bytes of zeroed memory, cache-line aligned, that an engine with these settings
    // needs (flow table, timer wheel, out-of-order slots).
    static size_t memory_bytes(const Settings &s) noexcept;

    // mem: memory_bytes(s) zeroed bytes, cache-line aligned, owned by the caller and
    // kept until the engine is gone. pool: where ACKs, FINs and RSTs come from; its
    // mbufs need kMbufPrivBytes of private space.
    Engine(const Settings &s, void *mem, rte_mempool *pool, uint64_t tsc_hz,
           uint64_t now_tsc) noexcept;
    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    // Registers a stream (a port's identity and the tx buffer its segments leave
    // by); returns its index for input(), or -1 past kMaxStreams.
    int add_stream(net::TxSink *out, const net::PortHost *host) noexcept;

    // Lowers the MSS this engine offers and accepts to what a port carries.
    void limit_mss(uint16_t mss) noexcept { mss_limit_ = std::min(mss_limit_, mss); }

    // A TCP segment to our address on `stream`: m holds a frame whose Ethernet and
    // IPv4 headers (20 bytes, no fragment) have been validated, ip_total is the IPv4
    // total length. Takes ownership of m.
    void input(rte_mbuf *m, uint8_t stream, uint32_t ip_total, net::Csum l4csum, uint64_t now,
               stats::Tally &t) noexcept;

    // Fires the timers that are due. The poll loop calls this on every iteration,
    // TCP traffic or not: until the next millisecond it is one inline compare.
    // True when segments were pushed to a stream since the last call, so that the
    // loop sends them at once rather than at its drain deadline, or when the wheel
    // moved (once a millisecond): the loop counts that iteration as busy, so what
    // holding connections costs shows in the lcore's busy share.
    bool run_timers(uint64_t now, stats::Tally &t) noexcept {
        bool worked = pushed_;
        if (now >= next_tick_tsc_) [[unlikely]] {
            tick(now, t);
            worked = true;
        }
        pushed_ = false;
        return worked;
    }

    // Resets nothing, sends nothing: lets go of every connection and the mbufs it
    // holds (at shutdown, so that the pool's in-use count returns to its baseline).
    void release_all() noexcept;

    // Draining (graceful stop): new connections are refused with a RST; the open
    // ones go on.
    void refuse_new(bool on) noexcept { refusing_ = on; }
    // Resets every open connection (a RST each) and lets it go: a drain ran out.
    void reset_all(uint64_t now, stats::Tally &t) noexcept;

    // Calls fn(const Conn &) for each open connection (off the data path: reports).
    template <class Fn>
    void for_each_conn(Fn &&fn) const {
        for (uint32_t i = 0; i < table_.capacity(); ++i)
            if (table_.at(i).state != State::free) fn(table_.at(i));
    }

    uint32_t active() const noexcept { return table_.size(); }
    uint32_t capacity() const noexcept { return table_.capacity(); }
    size_t table_bytes() const noexcept { return table_bytes_; }
    bool serves(uint16_t port) const noexcept { return ports_.has(port); }
    // For tests: the record of a connection, or nullptr.
    const Conn *find(uint8_t stream, uint32_t raddr, uint16_t rport, uint16_t lport) const noexcept;
    uint32_t tick() const noexcept { return tick_; }
    // Segments held now (may be read from another thread: a relaxed atomic).
    uint32_t held() const noexcept { return held_.load(std::memory_order_relaxed); }
    // Timer records the wheel has looked at so far (may be read from another thread).
    uint64_t timer_visits() const noexcept { return wheel_->visits(); }
    static SegMeta &meta(rte_mbuf *m) noexcept {
        return *static_cast<SegMeta *>(rte_mbuf_to_priv(m));
    }

  private:
    struct Stream {
        net::TxSink *out = nullptr;
        const net::PortHost *host = nullptr;
    };
    struct Seg;

    void set_time(uint64_t now) noexcept;
    void no_conn(rte_mbuf *m, const Seg &s, const FlowKey &k, uint32_t h, stats::Tally &t) noexcept;
    void on_conn(uint32_t idx, rte_mbuf *m, Seg &s, stats::Tally &t) noexcept;
    bool on_ack(uint32_t idx, Conn &c, const Seg &s, stats::Tally &t) noexcept;
    void send_queued(Conn &c, uint32_t idx, stats::Tally &t) noexcept;
    bool transmit(Conn &c, rte_mbuf *seg, stats::Tally &t) noexcept;
    void send_control(Conn &c, rte_mbuf *m, uint32_t seq, uint8_t flags, stats::Tally &t,
                      bool dup = false) noexcept;
    void update_timer(Conn &c, uint32_t idx) noexcept;
    void restart_rto(Conn &c, uint32_t idx) noexcept;
    void fire(uint32_t idx, stats::Tally &t) noexcept;
    void release(uint32_t idx) noexcept;
    void rtt_sample(Conn &c, uint32_t rtt_us) noexcept;
    uint32_t rcv_window(const Conn &c) const noexcept;
    uint16_t advertise(Conn &c, bool dup) const noexcept;
    void push(uint8_t stream, rte_mbuf *m) noexcept;
    void tick(uint64_t now, stats::Tally &t) noexcept;
    rte_mbuf *alloc_control(stats::Tally &t) noexcept;

    TimerLink &link(uint32_t idx) noexcept { return table_.at(idx).timer; }
    void accept(Conn &c, rte_mbuf *m, const uint8_t *frame, uint32_t payload_off, uint32_t plen,
                stats::Tally &t) noexcept;
    bool ooo_insert(Conn &c, rte_mbuf *m, uint32_t seq, uint32_t payload_off, uint32_t plen,
                    bool fin) noexcept;
    void hold(Conn &c) noexcept;
    void unhold(Conn &c) noexcept;
    bool may_hold(const Conn &c) const noexcept;
    bool oow_allowed(Conn &c) noexcept;
    bool challenge_allowed(Conn &c) noexcept;
    uint32_t accept_window(const Conn &c) const noexcept;
    bool split_front(Conn &c, uint32_t allowed, stats::Tally &t) noexcept;
    void stop_timing(Conn &c) noexcept;
    bool ooo_drain(Conn &c, stats::Tally &t) noexcept;
    void ooo_release(Conn &c) noexcept;

  public:
    // One remembered end of a connection (see kClosedSlots).
    struct Closed {
        uint32_t hash;  // the 4-tuple's flow-table hash
        uint32_t tick;  // when it ended (ms since start, + 1; 0: empty)
        // rcv_nxt - snd_end when it ended: the peer's ISN less ours (as every byte
        // received is echoed), plus 1 if the peer's FIN had come. A handshake ACK
        // (SEQ - ACK) of that connection and of no other gives this.
        uint32_t gap;
    };

  private:
    struct OooSlot {
        rte_mbuf *head;  // sorted by sequence number, no overlaps
        uint32_t count;
    };

    // Hot state first.
    FlowTable<Conn> table_;
    TimerWheel<kTimerSlots> *wheel_ = nullptr;
    net::PortSet ports_;  // TCP ports served
    SynCookies cookies_;
    uint64_t now_tsc_ = 0;
    uint64_t base_tsc_ = 0;
    uint64_t next_tick_tsc_ = 0;  // run_timers has nothing to do before this
    bool pushed_ = false;         // a segment went to a stream since run_timers
    bool refusing_ = false;       // draining: no new connections
    uint64_t tsc_hz_ = 1;
    uint64_t tsc_per_ms_ = 1;
    uint64_t tsc_per_us_ = 1;
    uint32_t tick_ = 0;    // ms since start
    uint32_t now_us_ = 0;  // us since start (wraps every 71 minutes; differences only)
    uint32_t window_ = 0;
    std::atomic<uint32_t> held_{0};  // written by its lcore only
    uint32_t holders_ = 0;           // connections holding at least one segment
    uint32_t max_held_ = 0;
    uint32_t idle_ms_ = 0;
    uint32_t challenge_rate_ = 0;
    uint32_t challenge_left_ = 0;    // challenge ACKs left this second
    uint32_t challenge_second_ = 0;  // ... which is this one (tick / 1000)
    bool challenge_started_ = false;
    uint16_t mss_limit_ = 0;
    uint8_t our_ws_ = 0;
    uint8_t nb_streams_ = 0;
    uint64_t rng_ = 0;  // draws the challenge budgets
    net::TokenBucket rst_limit_;
    rte_mempool *pool_ = nullptr;
    Stream streams_[kMaxStreams];
    OooSlot *ooo_ = nullptr;
    uint16_t *ooo_free_ = nullptr;
    Closed *closed_ = nullptr;
    uint32_t ooo_nfree_ = 0;
    size_t table_bytes_ = 0;
};

}  // namespace c10m::tcp
