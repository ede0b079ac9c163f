#pragma once

// tcp-gen: TCP-lite's active side, a load generator on one lcore.
//
// It opens connections to one server (--gen-dst), holds them, runs transactions on
// them (send B bytes, wait for all B to come back, verify every byte against a
// seeded stream), sweeps one transaction over every connection, and closes them.
// It is built for many connections, not for bulk data:
//
//   * 64 bytes per connection (GenConn, one cache line), and no hash table: the
//     4-tuple is the connection's index. Index g enumerates (source address,
//     source port, destination port); a segment's tuple gives its index back in a
//     few arithmetic operations (Tuples).
//   * No buffers: a transaction is at most one MSS-sized burst of bytes that are a
//     function of (seed, index, offset), so a retransmission writes them again and
//     the echo is checked without keeping a copy. Nothing is held per connection
//     but the record; an idle connection has no timer armed.
//   * The same TCP as the server's: tcp/segment.hpp writes the headers and reads
//     the SYN options, tcp/timer_wheel.hpp holds the timers, the RTO comes from
//     RFC 6298's estimator (tcp::rto_from_sample), with Karn's rule and backoff.
//     Congestion control reduces to that: a transaction never has more than one
//     initial window in flight (RFC 5681's IW is 3 segments; a transaction is at
//     most 1460 bytes), and a loss is repaired by the timer.
//
// The records of every lcore are one array (each lcore touches only those it
// owns: one cache line each, so no line is shared). Which lcore owns index g is
// where the server's answer arrives: g mod lcores when each lcore has its own
// queue pair and the server answers on the queue it was asked on (memif, c10m's
// run-to-completion echo), or the pipeline's symmetric flow hash when the
// generator runs with --pipeline (its rx lcores hand each segment to the worker
// that hash names). A segment that reaches another lcore is counted and dropped.
//
// Like tcp::Engine it needs no EAL: segments come in through input(), time is
// passed in, segments go out through a net::TxSink the caller owns.
#include <rte_mbuf.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "config/options.hpp"
#include "net/tx_sink.hpp"
#include "stats/counters.hpp"
#include "stats/histogram.hpp"
#include "tcp/timer_wheel.hpp"

namespace c10m::gen {

enum class GState : uint8_t {
    unused,       // not opened yet
    syn_sent,     //
    established,  // idle, or a transaction in flight (gf::txn)
    fin_wait,     // our FIN is out: waiting for its ACK and the server's FIN
    closed,       // ended well
    failed,       // ended badly (counted by reason)
};

namespace gf {                         // GenConn::flags
inline constexpr uint8_t sampled = 1;  // srtt and rttvar hold a measurement
inline constexpr uint8_t resent = 2;   // what is in flight was sent again (Karn)
inline constexpr uint8_t txn = 4;      // a transaction is in flight
inline constexpr uint8_t sweep = 8;    // ... and it is the sweep's
inline constexpr uint8_t fin_acked = 16;
inline constexpr uint8_t fin_rcvd = 32;
inline constexpr uint8_t counted = 64;  // counted as concurrent (established once)
}  // namespace gf

struct GenConn {
    tcp::TimerLink timer;  // handshake, retransmission or echo wait; unarmed when idle
    uint32_t iss;          // our initial sequence number: stream offset = seq - iss - 1
    uint32_t irs;          // the server's
    uint32_t snd_una;      //
    uint32_t snd_nxt;      //
    uint32_t txn_end;      // end of the transaction's bytes (== snd_una when idle)
    uint32_t rcv_nxt;      //
    uint32_t due_us;       // when the transaction was due (us since start)
    uint32_t sent_us;      // ... and when it was first sent
    uint32_t srtt_us;      // RFC 6298
    uint32_t rttvar_us;    //
    uint16_t rto_ms;       //
    uint16_t mss;          // the smaller of the server's and ours
    GState state;
    uint8_t flags;    // gf::
    uint8_t retries;  // timeouts in a row
    uint8_t pad_[5];
};
static_assert(sizeof(GenConn) == 64, "a generator connection is one cache line (dperf's 64 B)");

// Failure reasons.
enum class Fail : uint8_t {
    syn_timeout,  // no SYN-ACK after every retry
    refused,      // RST to our SYN
    reset,        // RST on an open connection
    timeout,      // data never acknowledged after every retry
    txn_timeout,  // the echo never came back whole
    peer_closed,  // the server closed first
    close_timeout,
    count_,
};
inline constexpr size_t kFails = static_cast<size_t>(Fail::count_);
const char *fail_name(Fail f) noexcept;

// The 4-tuples: index g -> (source address, source port, destination port), and back.
class Tuples {
  public:
    Tuples() = default;
    Tuples(const std::vector<config::AddrRange> &sources, uint16_t dport_lo, uint16_t dport_hi);
    struct Tuple {
        uint32_t saddr;
        uint16_t sport, dport;
    };
    Tuple of(uint64_t g) const noexcept;
    // The index of the connection from (saddr, sport) to dport; false when none.
    bool index(uint32_t saddr, uint16_t sport, uint16_t dport, uint64_t &g) const noexcept;
    bool ours(uint32_t addr) const noexcept;
    uint64_t capacity() const noexcept { return addrs_ * config::kGenPortsPerAddr * ndports_; }
    const std::vector<config::AddrRange> &sources() const noexcept { return src_; }

  private:
    std::vector<config::AddrRange> src_;
    uint64_t addrs_ = 0;
    uint16_t dport_lo_ = 0;
    uint32_t ndports_ = 1;
};

// What every lcore's generator shares: the records, the tuples, the server's MAC
// once learned, and where each lcore is.
struct Shared {
    GenConn *conns = nullptr;  // conns[total]
    uint64_t total = 0;        // --gen-conns
    Tuples tuples;
    uint32_t server = 0;  // --gen-dst's address
    uint64_t seed = 1;
    std::atomic<uint64_t> server_mac{0};  // 0: not known yet (6 bytes, little end first)
    std::atomic<unsigned> opened{0};      // lcores done opening
    std::atomic<unsigned> done{0};        // lcores done altogether
    unsigned lcores = 1;
    // Ownership by a hash of the tuple (else index mod lcores): the port's RSS when
    // rss_reta is set (run to completion on a NIC's queues: lcore i polls queue i),
    // else the pipeline's flow hash.
    bool by_hash = false;
    std::vector<uint8_t> rss_key;    // the port's Toeplitz key
    std::vector<uint16_t> rss_reta;  // its redirection table: hash mod size -> queue
    bool rss_l4 = false;             // the hash covers the ports
    unsigned owner(uint64_t g) const noexcept;
};

struct Settings {
    unsigned index = 0;      // this lcore among the generator's
    uint32_t cps = 0;        // this lcore's share of --gen-cps (0: unlimited)
    uint32_t hold_ms = 0;    //
    uint32_t txn_size = 64;  //
    uint32_t txn_rate = 0;   // this lcore's share of --gen-txn-rate
    bool sweep = false;      //
    bool close_rst = false;  //
    uint16_t mss_limit = 1460;
    // Handshakes in flight at once, and sweep transactions or closes: half a tx
    // ring of 1024, so that a burst of them never overflows the port (whose drops
    // cost an RTO each) while keeping a server busy.
    uint32_t max_opening = 512;
    uint32_t max_busy = 512;
};

enum class Phase : uint8_t { resolving, opening, waiting, holding, sweeping, closing, done };
const char *phase_name(Phase p) noexcept;

// This lcore's figures, read by the stats thread (relaxed atomics, one writer).
struct Counters {
    std::atomic<uint64_t> owned{0}, syn_sent{0}, opening{0}, established{0}, concurrent{0}, peak{0},
        closed{0}, txns{0}, sweep_ok{0}, sweep_failed{0}, mismatched{0}, retransmits{0};
    std::array<std::atomic<uint64_t>, kFails> failed{};
    std::atomic<uint8_t> phase{0};
    stats::LatencyHistogram lat_due, lat_sent;
};

inline constexpr uint8_t kSynRetries = 6;  // as Linux's tcp_syn_retries
inline constexpr uint8_t kMaxRetries = 8;
inline constexpr uint32_t kTimerSlots = 4096;

class Generator {
  public:
    // shared: lives as long as the generator. pool: where its segments come from.
    // out: the tx buffer of the port it speaks on; mac and the source addresses are
    // the port's.
    Generator(Shared &shared, const Settings &s, rte_mempool *pool, net::TxSink *out,
              const uint8_t mac[6], uint64_t tsc_hz, uint64_t now_tsc);
    Generator(const Generator &) = delete;
    Generator &operator=(const Generator &) = delete;

    // A TCP segment (frame of validated Ethernet and 20-byte IPv4 headers, to one of
    // our addresses; ip_total is its IPv4 total length, its TCP checksum verified
    // by the caller). Takes ownership of m.
    void input(rte_mbuf *m, uint32_t ip_total, uint64_t now, stats::Tally &t) noexcept;

    // Timers and the work of the phase. True when it pushed segments.
    bool poll(uint64_t now, stats::Tally &t) noexcept;

    Phase phase() const noexcept { return phase_; }
    const Counters &counters() const noexcept { return c_; }
    uint64_t timer_visits() const noexcept { return wheel_.visits(); }
    // What the stream of connection g holds at offset `off` (tests check echoes).
    static void stream_bytes(uint64_t seed, uint64_t g, uint64_t off, uint8_t *out,
                             uint32_t len) noexcept;

  private:
    GenConn &conn(uint64_t g) noexcept { return sh_.conns[g]; }
    void set_time(uint64_t now) noexcept;
    bool owns(uint64_t g) const noexcept { return sh_.owner(g) == s_.index; }
    // The next connection this lcore owns from cursor on (g), moving cursor past it.
    bool next_owned(uint64_t &cursor, uint64_t &g) const noexcept;
    void open(uint64_t g, stats::Tally &t) noexcept;
    void send_syn(uint64_t g, GenConn &c, stats::Tally &t) noexcept;
    void send_data(uint64_t g, GenConn &c, stats::Tally &t) noexcept;
    void send_ctl(uint64_t g, GenConn &c, rte_mbuf *m, uint32_t seq, uint8_t flags,
                  stats::Tally &t) noexcept;
    void start_txn(uint64_t g, GenConn &c, uint32_t due_us, bool sweep, stats::Tally &t) noexcept;
    void end_txn(GenConn &c, bool ok) noexcept;
    void close(uint64_t g, GenConn &c, stats::Tally &t) noexcept;
    void fail(uint64_t g, GenConn &c, Fail why, bool rst, stats::Tally &t) noexcept;
    void finish_close(uint64_t g, GenConn &c) noexcept;
    void arm(uint64_t g, GenConn &c, uint32_t ms) noexcept;
    void disarm(uint64_t g) noexcept;
    void fire(uint64_t g, stats::Tally &t) noexcept;
    void rtt(GenConn &c) noexcept;
    rte_mbuf *alloc(stats::Tally &t) noexcept;
    void push(rte_mbuf *m) noexcept;
    bool server_mac(uint8_t mac[6]) const noexcept;
    void step_phase(stats::Tally &t) noexcept;
    static void bump(std::atomic<uint64_t> &a, int64_t d = 1) noexcept {
        a.store(a.load(std::memory_order_relaxed) + static_cast<uint64_t>(d),
                std::memory_order_relaxed);
    }

    Shared &sh_;
    Settings s_;
    rte_mempool *pool_;
    net::TxSink *out_;
    uint8_t mac_[6];
    uint8_t rmac_[6] = {};
    bool have_rmac_ = false;
    bool pushed_ = false;
    Phase phase_ = Phase::resolving;
    uint64_t base_tsc_, tsc_per_ms_, tsc_per_us_, now_tsc_ = 0;
    uint32_t tick_ = 0, now_us_ = 0;
    uint64_t owned_ = 0;
    uint64_t open_cursor_ = 0, work_cursor_ = 0, txn_cursor_ = 0;
    uint64_t opened_ = 0;   // connections opened (SYN sent the first time)
    uint64_t settled_ = 0;  // ... and established or failed
    uint32_t opening_ = 0;  // in syn_sent
    uint32_t busy_ = 0;     // transactions in flight
    uint32_t closing_ = 0;  // in fin_wait
    uint64_t open_start_us_ = 0, hold_start_ms_ = 0, hold_start_us_ = 0;
    uint64_t txns_issued_ = 0;
    uint64_t us_total_ = 0;  // us since start, 64 bits (pacing)
    tcp::TimerWheel<kTimerSlots> wheel_;
    Counters c_;
};

}  // namespace c10m::gen
