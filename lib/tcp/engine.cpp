#include "tcp/engine.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "tcp/segment.hpp"
#include "tcp/seq.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/ipv4.hpp"

namespace c10m::tcp {

namespace {

constexpr size_t kLine = 64;
constexpr size_t align_up(size_t x) noexcept {
    return (x + kLine - 1) & ~(kLine - 1);
}

// Where each part of an engine's memory starts, and how much there is in all.
struct Layout {
    uint32_t flows;
    size_t records, slots, free_list, wheel, ooo, ooo_free, closed, total;
    explicit Layout(const Settings &s) noexcept {
        flows = std::max<uint32_t>(s.max_flows, 1);
        records = 0;
        slots = records + align_up(sizeof(Conn) * flows);
        free_list = slots + align_up(sizeof(FlowSlot) * flow_slots_for(flows));
        wheel = free_list + align_up(sizeof(uint32_t) * flows);
        ooo = wheel + align_up(sizeof(TimerWheel<kTimerSlots>));
        ooo_free = ooo + align_up(sizeof(OooSlotBytes) * kOooSlots);
        closed = ooo_free + align_up(sizeof(uint16_t) * kOooSlots);
        total = closed + align_up(sizeof(Engine::Closed) * kClosedSlots);
    }
    struct OooSlotBytes {
        void *head;
        uint32_t count;
    };
};

}  // namespace

// A parsed segment.
struct Engine::Seg {
    uint8_t *frame;
    uint8_t *payload;
    uint32_t raddr;
    uint32_t seq, ack;
    uint32_t plen;
    uint16_t rport, lport;
    uint16_t wnd;
    uint8_t flags;
    uint8_t stream;
    // options (SYN only)
    int32_t peer_mss = -1;
    int8_t peer_ws = -1;
    bool sack_ok = false;
    bool timestamps = false;
};

size_t Engine::memory_bytes(const Settings &s) noexcept {
    return Layout(s).total;
}

Engine::Engine(const Settings &s, void *mem, rte_mempool *pool, uint64_t tsc_hz,
               uint64_t now_tsc) noexcept
    : cookies_(s.cookie_key),
      base_tsc_(now_tsc),
      tsc_hz_(tsc_hz),
      tsc_per_ms_(std::max<uint64_t>(tsc_hz / 1000, 1)),
      tsc_per_us_(std::max<uint64_t>(tsc_hz / 1000000, 1)),
      window_(s.window),
      max_held_(s.max_held),
      idle_ms_(s.idle_ms),
      challenge_rate_(s.challenge_rate),
      mss_limit_(s.mss_limit),
      our_ws_(window_shift(s.window)),
      rng_(s.cookie_key.k0 ^ s.cookie_key.k1 ^ 0x9e3779b97f4a7c15ull),
      pool_(pool) {
    static_assert(sizeof(Layout::OooSlotBytes) == sizeof(OooSlot));
    for (uint16_t p : s.ports)
        ports_.add(p);
    const Layout l(s);
    auto *base = static_cast<uint8_t *>(mem);
    table_bytes_ = l.wheel;  // records, hash slots and free list
    table_ = FlowTable<Conn>(
        reinterpret_cast<Conn *>(base + l.records), reinterpret_cast<FlowSlot *>(base + l.slots),
        reinterpret_cast<uint32_t *>(base + l.free_list), l.flows, s.hash_seed);
    wheel_ = new (base + l.wheel) TimerWheel<kTimerSlots>(0);
    ooo_ = reinterpret_cast<OooSlot *>(base + l.ooo);
    ooo_free_ = reinterpret_cast<uint16_t *>(base + l.ooo_free);
    closed_ = reinterpret_cast<Closed *>(base + l.closed);
    for (uint32_t i = 0; i < kOooSlots; ++i)
        ooo_free_[i] = static_cast<uint16_t>(kOooSlots - 1 - i);
    ooo_nfree_ = kOooSlots;
    rst_limit_.configure(s.rst_rate, 50, tsc_hz, now_tsc);
}

Engine::~Engine() {
    release_all();
    if (wheel_) wheel_->~TimerWheel();
}

int Engine::add_stream(net::TxSink *out, const net::PortHost *host) noexcept {
    if (nb_streams_ >= kMaxStreams) return -1;
    streams_[nb_streams_] = {out, host};
    return nb_streams_++;
}

const Conn *Engine::find(uint8_t stream, uint32_t raddr, uint16_t rport,
                         uint16_t lport) const noexcept {
    FlowKey k{raddr, rport, lport, stream, {}};
    const uint32_t idx = table_.find(k);
    return idx == FlowTable<Conn>::kNone ? nullptr : &table_.at(idx);
}

void Engine::set_time(uint64_t now) noexcept {
    if (now == now_tsc_) return;
    now_tsc_ = now;
    const uint64_t d = now - base_tsc_;
    tick_ = static_cast<uint32_t>(d / tsc_per_ms_);
    now_us_ = static_cast<uint32_t>(d / tsc_per_us_);
}

// ---------------------------------------------------------------- limits

// A segment held by c (echo queue or out of order) is counted on the lcore and on c.
void Engine::hold(Conn &c) noexcept {
    // One writer: a plain load and store (no locked instruction), seen whole by
    // readers on other lcores (stats).
    held_.store(held_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (c.held++ == 0) ++holders_;
}

void Engine::unhold(Conn &c) noexcept {
    held_.store(held_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    if (--c.held == 0) --holders_;
}

// Whether c may hold one more segment. Below half of the lcore's budget anyone may;
// past it, a connection only up to its share of that half among those that hold
// something (and at least kMinHeldShare), so that one peer, alone or not, cannot
// take what others will need (finding 3). Data refused here is within the window
// we promised: RFC 9293 lets a receiver out of buffers drop it (Linux drops it too,
// past its rmem), and the peer sends it again.
bool Engine::may_hold(const Conn &c) const noexcept {
    const uint32_t held = held_.load(std::memory_order_relaxed);
    if (held >= max_held_) return false;
    if (held < max_held_ / 2) return true;
    const uint32_t share =
        std::max<uint32_t>(kMinHeldShare, max_held_ / 2 / std::max<uint32_t>(holders_, 1));
    return c.held < share;
}

// Challenge ACKs (RFC 5961) and ACKs for unacceptable pure ACKs: at most one per
// kOowIntervalMs per connection (Linux: tcp_invalid_ratelimit), and within a
// per-lcore budget per second whose size is drawn at random each second (Linux
// after CVE-2016-5696), so that a peer can neither learn another connection's state
// by counting them nor drain them for everyone. True when one may be sent now.
bool Engine::oow_allowed(Conn &c) noexcept {
    if (tick_ - c.last_oow < kOowIntervalMs) return false;
    c.last_oow = tick_;
    return true;
}

bool Engine::challenge_allowed(Conn &c) noexcept {
    if (!oow_allowed(c)) return false;
    if (challenge_rate_ == 0) return true;
    const uint32_t second = tick_ / 1000;
    if (second != challenge_second_ || !challenge_started_) {
        challenge_started_ = true;
        challenge_second_ = second;
        // xorshift64*: a cheap draw, seeded from the cookie key
        rng_ ^= rng_ >> 12;
        rng_ ^= rng_ << 25;
        rng_ ^= rng_ >> 27;
        const uint64_t r = rng_ * 0x2545f4914f6cdd1dull;
        challenge_left_ = challenge_rate_ / 2 + static_cast<uint32_t>((r >> 32) % challenge_rate_);
    }
    if (challenge_left_ == 0) return false;
    --challenge_left_;
    return true;
}

// ---------------------------------------------------------------- output

void Engine::push(uint8_t stream, rte_mbuf *m) noexcept {
    net::clear_rx_flags(m);
    pushed_ = true;
    streams_[stream].out->push(m);
}

rte_mbuf *Engine::alloc_control(stats::Tally &t) noexcept {
    rte_mbuf *m = rte_pktmbuf_alloc(pool_);
    if (!m) [[unlikely]] {
        t.add(stats::Drop::tcp_no_mbuf);
        return nullptr;
    }
    return m;
}

// The window we can give now: --tcp-window less what c holds, each held segment
// counted as at least kHeldSegmentCost bytes (as Linux counts a buffer's truesize):
// a peer that sends tiny segments sees the window close after a few of them instead
// of filling the lcore's budget (finding 3).
uint32_t Engine::rcv_window(const Conn &c) const noexcept {
    const uint32_t data = c.snd_end - c.snd_una;
    const uint32_t charged = std::max<uint32_t>(data, uint32_t{c.held} * kHeldSegmentCost);
    uint32_t avail = charged < window_ ? window_ - charged : 0;
    if (c.flags & cf::ws_ok)
        avail = avail >> our_ws_ << our_ws_;
    else
        avail = std::min<uint32_t>(avail, 0xffff);
    return avail;
}

// What a segment may fill: the window we can give now, or what we promised before
// if that reaches further (a peer may send into a window we advertised).
uint32_t Engine::accept_window(const Conn &c) const noexcept {
    const uint32_t promised = seq_leq(c.rcv_nxt, c.rcv_adv) ? c.rcv_adv - c.rcv_nxt : 0;
    return std::max(rcv_window(c), promised);
}

// The window field of a segment we are about to send. The right edge never moves
// left (RFC 9293 3.8.6.2.2): a promised window is rounded up to the scale, not down
// (finding 4). A duplicate ACK repeats the window of the ACKs before it: a sender
// counts an ACK whose window changed as a window update, not as a duplicate (Linux
// does), and fast retransmit needs three duplicates. A window below one MSS is
// noted, to announce it when it opens.
uint16_t Engine::advertise(Conn &c, bool dup) const noexcept {
    const uint8_t shift = (c.flags & cf::ws_ok) ? our_ws_ : 0;
    uint32_t w = rcv_window(c);
    const uint32_t promised = seq_leq(c.rcv_nxt, c.rcv_adv) ? c.rcv_adv - c.rcv_nxt : 0;
    if (dup || promised > w) w = promised;
    const uint32_t unit = (uint32_t{1} << shift) - 1;
    const uint16_t field = static_cast<uint16_t>(std::min<uint32_t>((w + unit) >> shift, 0xffff));
    const uint32_t edge = c.rcv_nxt + (uint32_t{field} << shift);
    if (seq_gt(edge, c.rcv_adv)) c.rcv_adv = edge;
    if ((uint32_t{field} << shift) < c.mss)
        c.flags |= cf::wnd_update;
    else
        c.flags &= static_cast<uint8_t>(~cf::wnd_update);
    return field;
}

// A segment without payload for connection c (ACK, FIN, RST, window probe) in m
// (an incoming mbuf to reuse, or a fresh one).
void Engine::send_control(Conn &c, rte_mbuf *m, uint32_t seq, uint8_t flags, stats::Tally &t,
                          bool dup) noexcept {
    if (!m) m = alloc_control(t);
    if (!m) return;
    if (rte_pktmbuf_headroom(m) + kHdr > m->buf_len) {
        rte_pktmbuf_free(m);
        t.add(stats::Drop::tcp_no_mbuf);
        return;
    }
    m->data_len = kHdr;
    m->pkt_len = kHdr;
    write_headers(rte_pktmbuf_mtod(m, uint8_t *), *streams_[c.key.stream].host, c.rmac, c.key.raddr,
                  c.key.rport, c.key.lport, seq, c.rcv_nxt, flags, advertise(c, dup), 0, 0, 0);
    push(c.key.stream, m);
    t.add(stats::Event::tcp_seg_out);
}

// Sends held segment `seg` (first time or again) with a reference of its own, if the
// port has let go of its previous transmission; false when it has not.
bool Engine::transmit(Conn &c, rte_mbuf *seg, stats::Tally &t) noexcept {
    if (rte_mbuf_refcnt_read(seg) != 1) {
        // Its last transmission is still in the tx buffer or the device: send what
        // is buffered and ask the device to let go of what it has sent.
        net::TxSink &out = *streams_[c.key.stream].out;
        out.send();
        out.reclaim();
        if (rte_mbuf_refcnt_read(seg) != 1) {
            t.add(stats::Event::tcp_tx_busy);
            return false;
        }
    }
    SegMeta &sm = meta(seg);
    write_headers(rte_pktmbuf_mtod(seg, uint8_t *), *streams_[c.key.stream].host, c.rmac,
                  c.key.raddr, c.key.rport, c.key.lport, sm.seq, c.rcv_nxt, kAck | kPsh,
                  advertise(c, false), 0, sm.len, sm.psum);
    rte_mbuf_refcnt_update(seg, 1);
    push(c.key.stream, seg);
    t.add(stats::Event::tcp_seg_out);
    if (seq_lt(sm.seq, c.snd_max)) {
        t.add(stats::Event::tcp_retransmit);
        sm.timed = false;  // Karn: a segment sent again is never timed
    }
    return true;
}

// The first unsent segment is larger than what the windows let out, with nothing
// in flight to open them: its first `allowed` bytes go as a segment of their own,
// copied into a fresh mbuf (finding 7: persist forever otherwise). The copy is at
// most one MSS and only happens against a window below one segment; a zero-copy
// split would need a header mbuf chained to an indirect one, which not every PMD
// sends (net_af_xdp's copy path sends only the first segment of a chain).
bool Engine::split_front(Conn &c, uint32_t allowed, stats::Tally &t) noexcept {
    rte_mbuf *seg = c.unsent;
    SegMeta &sm = meta(seg);
    if (allowed == 0 || allowed >= sm.len || rte_mbuf_refcnt_read(seg) != 1) return false;
    rte_mbuf *front = alloc_control(t);
    if (!front) return false;
    if (rte_pktmbuf_headroom(front) + kHdr + allowed > front->buf_len) {
        rte_pktmbuf_free(front);
        return false;
    }
    uint8_t *payload = rte_pktmbuf_mtod(seg, uint8_t *) + kHdr;
    uint8_t *dst = rte_pktmbuf_mtod(front, uint8_t *);
    std::memcpy(dst + kHdr, payload, allowed);
    front->data_len = static_cast<uint16_t>(kHdr + allowed);
    front->pkt_len = kHdr + allowed;
    SegMeta &fm = meta(front);
    fm = SegMeta{};
    fm.seq = sm.seq;
    fm.len = static_cast<uint16_t>(allowed);
    fm.psum = wire::fold(wire::sum_native(dst + kHdr, allowed));
    // The rest stays where it is: its headers will be written over the bytes that
    // just went into the copy.
    seg->data_off = static_cast<uint16_t>(seg->data_off + allowed);
    seg->data_len = static_cast<uint16_t>(seg->data_len - allowed);
    seg->pkt_len -= allowed;
    sm.seq += allowed;
    sm.len = static_cast<uint16_t>(sm.len - allowed);
    sm.psum = wire::fold(wire::sum_native(payload + allowed, sm.len));
    // front goes in before seg
    fm.next = seg;
    if (c.head == seg) {
        c.head = front;
    } else {
        rte_mbuf *p = c.head;
        while (meta(p).next != seg)
            p = meta(p).next;
        meta(p).next = front;
    }
    c.unsent = front;
    hold(c);
    t.add(stats::Event::tcp_split);
    return true;
}

// Sends what the windows allow from the unsent queue, then our FIN once the peer's
// is in and everything before it has gone out.
void Engine::send_queued(Conn &c, uint32_t idx, stats::Tally &t) noexcept {
    while (c.unsent) {
        rte_mbuf *seg = c.unsent;
        const SegMeta &sm = meta(seg);
        const uint32_t end = sm.seq + sm.len;
        const uint32_t limit = std::min(c.cwnd, c.snd_wnd);
        if (end - c.snd_una > limit) {
            if (c.cwnd < c.snd_wnd) c.cwnd_limited = 1;
            // Nothing in flight to bring a window update: send what fits.
            const uint32_t room = limit > sm.seq - c.snd_una ? limit - (sm.seq - c.snd_una) : 0;
            if (c.snd_nxt != c.snd_una || !split_front(c, room, t)) break;
            continue;
        }
        if (!transmit(c, seg, t)) break;
        c.snd_nxt = end;
        if (seq_gt(end, c.snd_max)) {
            c.snd_max = end;
            if (!(c.flags & cf::timing)) {
                // Time this segment (RFC 6298: one at a time, never one sent again).
                SegMeta &tm = meta(seg);
                c.flags |= cf::timing;
                tm.timed = true;
                tm.rtt_gen = c.rtt_gen;
                tm.sent_us = now_us_;
            }
        }
        c.unsent = meta(seg).next;
    }
    if (c.state != State::established && !c.unsent && c.snd_nxt == c.snd_end) {
        // FIN (first time, or again after a timeout rewound snd_nxt)
        send_control(c, nullptr, c.snd_end, kFin | kAck, t);
        c.snd_nxt = c.snd_end + 1;
        if (seq_gt(c.snd_nxt, c.snd_max)) c.snd_max = c.snd_nxt;
        c.flags |= cf::fin_out;
        c.state = State::last_ack;
    }
    update_timer(c, idx);
}

// Karn's rule, and timing stopped by a loss: whatever segment was being timed no
// longer gives a sample.
void Engine::stop_timing(Conn &c) noexcept {
    c.flags &= static_cast<uint8_t>(~cf::timing);
    c.rtt_gen = c.rtt_gen ? 0u : 1u;
}

// ---------------------------------------------------------------- timers

void Engine::restart_rto(Conn &c, uint32_t idx) noexcept {
    c.flags = static_cast<uint8_t>((c.flags | cf::rto) & ~cf::persist);
    wheel_->arm([this](uint32_t i) -> TimerLink & { return link(i); }, idx, tick_ + c.rto_ms);
}

// Keeps the one timer of c right for its state: retransmission while anything is
// unacknowledged (RFC 6298 5.1: started if not running), persist when data waits for
// the peer's window with nothing in flight, the idle timer otherwise.
void Engine::update_timer(Conn &c, uint32_t idx) noexcept {
    auto links = [this](uint32_t i) -> TimerLink & { return link(i); };
    if (c.snd_max != c.snd_una) {
        if ((c.flags & (cf::rto | cf::persist)) != cf::rto ||
            !TimerWheel<kTimerSlots>::armed(c.timer))
            restart_rto(c, idx);
    } else if (c.unsent) {
        if (!(c.flags & cf::persist) || !TimerWheel<kTimerSlots>::armed(c.timer)) {
            c.flags |= cf::rto | cf::persist;
            c.set_retries(0);  // counts the probes while persisting
            wheel_->arm(links, idx, tick_ + c.rto_ms);
        }
    } else if ((c.flags & cf::rto) || !TimerWheel<kTimerSlots>::armed(c.timer)) {
        c.flags = static_cast<uint8_t>(c.flags & ~(cf::rto | cf::persist));
        wheel_->arm(links, idx, c.last_rx + idle_ms_);
    }
}

void Engine::tick(uint64_t now, stats::Tally &t) noexcept {
    set_time(now);
    next_tick_tsc_ = base_tsc_ + (uint64_t{tick_} + 1) * tsc_per_ms_;
    if (tick_ == wheel_->now()) return;
    wheel_->advance([this](uint32_t i) -> TimerLink & { return link(i); }, tick_,
                    [&](uint32_t idx) { fire(idx, t); });
}

void Engine::fire(uint32_t idx, stats::Tally &t) noexcept {
    Conn &c = table_.at(idx);
    if (!(c.flags & cf::rto) || (c.flags & cf::persist)) {
        // Idle (or persisting): reclaim a connection that has said nothing for
        // --tcp-idle-timeout.
        if (tick_ - c.last_rx >= idle_ms_) {
            send_control(c, nullptr, c.snd_nxt, kRst | kAck, t);
            t.add(stats::Event::tcp_rst_sent);
            t.add(stats::Event::tcp_conn_reclaimed);
            release(idx);
            return;
        }
        if (!(c.flags & cf::rto)) {
            update_timer(c, idx);
            return;
        }
        // Persist: a window probe, an ACK for data the peer already has (seq
        // snd_una - 1), to which it answers with its window (RFC 9293 3.8.6.1). Its
        // backoff is its own: the RTO that retransmission uses stays (finding 7).
        send_control(c, nullptr, c.snd_una - 1, kAck, t);
        t.add(stats::Event::tcp_window_probe);
        c.set_retries(static_cast<uint8_t>(c.retries() + 1));
        const uint32_t wait = std::min<uint32_t>(uint32_t{c.rto_ms} << c.retries(), kRtoMaxMs);
        wheel_->arm([this](uint32_t i) -> TimerLink & { return link(i); }, idx, tick_ + wait);
        return;
    }
    // Retransmission timeout (RFC 6298 5.4-5.7, RFC 5681 3.1).
    c.set_retries(static_cast<uint8_t>(c.retries() + 1));
    if (c.retries() > kMaxRetries) {
        send_control(c, nullptr, c.snd_nxt, kRst | kAck, t);
        t.add(stats::Event::tcp_rst_sent);
        t.add(stats::Event::tcp_conn_gave_up);
        release(idx);
        return;
    }
    t.add(stats::Event::tcp_rto);
    // ssthresh from the first timeout only: a segment already sent again by the
    // timer leaves it as it is (RFC 5681 3.1, equation 4's note); recover := the
    // highest sequence sent, so that duplicate ACKs from before the timeout start
    // no fast retransmit (RFC 6582 3.2 step 4).
    if (c.retries() == 1) {
        const uint32_t flight = c.snd_max - c.snd_una;
        c.ssthresh = std::max<uint32_t>(flight / 2, 2u * c.mss);
    }
    c.recover = c.snd_max;
    c.cwnd = c.mss;
    c.dupacks = 0;
    c.rexmit_due = 0;
    c.flags = static_cast<uint8_t>(c.flags & ~(cf::recovery | cf::rto));
    stop_timing(c);
    c.rto_ms = static_cast<uint16_t>(std::min<uint32_t>(c.rto_ms * 2u, kRtoMaxMs));
    // Go back: everything unacknowledged is sent again as the window reopens.
    c.snd_nxt = c.snd_una;
    c.unsent = c.head;
    if (c.state == State::last_ack && !c.head) c.state = State::close_wait;  // FIN again
    send_queued(c, idx, t);
    restart_rto(c, idx);
}

void Engine::release(uint32_t idx) noexcept {
    Conn &c = table_.at(idx);
    // Remembered for a while, as TIME_WAIT would remember it: a duplicate of the
    // handshake's ACK, delayed past the close, must not open the connection again.
    const uint32_t h = table_.hash(c.key);
    closed_[h & (kClosedSlots - 1)] = {h, tick_ + 1, c.rcv_nxt - c.snd_end};
    wheel_->cancel([this](uint32_t i) -> TimerLink & { return link(i); }, idx);
    for (rte_mbuf *m = c.head; m;) {
        rte_mbuf *next = meta(m).next;
        rte_pktmbuf_free(m);
        unhold(c);
        m = next;
    }
    c.head = c.unsent = c.tail = nullptr;
    ooo_release(c);
    c.state = State::free;
    table_.erase(idx);
}

void Engine::reset_all(uint64_t now, stats::Tally &t) noexcept {
    set_time(now);
    for (uint32_t i = 0; i < table_.capacity(); ++i) {
        Conn &c = table_.at(i);
        if (c.state == State::free) continue;
        send_control(c, nullptr, c.snd_nxt, kRst | kAck, t);
        t.add(stats::Event::tcp_rst_sent);
        t.add(stats::Event::tcp_conn_reset_at_drain);
        release(i);
    }
}

void Engine::release_all() noexcept {
    if (!wheel_) return;
    for (uint32_t i = 0; i < table_.capacity(); ++i)
        if (table_.at(i).state != State::free) release(i);
}

void Engine::rtt_sample(Conn &c, uint32_t r) noexcept {
    c.rto_ms = rto_from_sample(c.srtt_us, c.rttvar_us, !(c.flags & cf::sampled), r);
    c.flags |= cf::sampled;
}

// ---------------------------------------------------------------- input

void Engine::input(rte_mbuf *m, uint8_t stream, uint32_t ip_total, net::Csum l4csum, uint64_t now,
                   stats::Tally &t) noexcept {
    using stats::Drop;
    set_time(now);
    t.add(stats::Event::tcp_seg_in);
    uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
    uint8_t *ip = f + 14;
    uint8_t *th = ip + 20;
    auto drop = [&](Drop d) {
        rte_pktmbuf_free(m);
        t.add(d);
    };
    uint32_t doff = 0;
    if (const Drop d = check_segment(ip, ip_total, l4csum, doff); d != Drop::count_) return drop(d);
    const uint32_t tlen = ip_total - 20;
    Seg s;
    s.frame = f;
    s.payload = th + doff;
    s.plen = tlen - doff;
    s.raddr = wire::load32(ip + 12);
    s.rport = wire::load16(th);
    s.lport = wire::load16(th + 2);
    s.seq = wire::load32(th + 4);
    s.ack = wire::load32(th + 8);
    s.flags = th[13] & 0x3f;
    s.wnd = wire::load16(th + 14);
    s.stream = stream;
    if (s.rport == 0) return drop(Drop::tcp_bad_port);
    if (s.flags & kSyn) {
        // Options of a SYN: MSS and window scale are used; SACK-permitted and
        // timestamps are recognised and not used (so never negotiated).
        const SynOptions so = parse_syn_options(th + 20, th + doff);
        s.peer_mss = so.mss;
        s.peer_ws = so.ws;
        s.sack_ok = so.sack_ok;
        s.timestamps = so.timestamps;
    }
    const FlowKey k{s.raddr, s.rport, s.lport, stream, {}};
    const uint32_t h = table_.hash(k);
    const uint32_t idx = table_.find(k, h);
    if (idx == FlowTable<Conn>::kNone) return no_conn(m, s, k, h, t);
    // On a connection: flags that make no sense are dropped (SYN with FIN or RST;
    // none of ACK, SYN, RST; FIN without ACK).
    const uint8_t fl = s.flags;
    if ((fl & kSyn && fl & (kFin | kRst)) || !(fl & (kAck | kSyn | kRst)) ||
        (fl & kFin && !(fl & kAck)))
        return drop(Drop::tcp_bad_flags);
    on_conn(idx, m, s, t);
}

// A segment for no connection (RFC 9293 3.10.7.1 and 3.10.7.2, as Linux does it):
//   to a port not served (CLOSED): a RST for anything but a RST;
//   to a served port (LISTEN): a RST is dropped; an ACK either completes a
//   handshake (its SYN cookie verifies) or gets a RST; a SYN gets a SYN-ACK whose
//   ISN is a cookie, unless it also carries FIN or RST (dropped); anything else
//   (FIN, no flags at all: scanners' probes) is dropped without an answer.
// RSTs are not rate-limited by default (Settings::rst_rate 0, as Linux): they are
// no larger than what they answer, and a closed port must look closed.
void Engine::no_conn(rte_mbuf *m, const Seg &s, const FlowKey &k, uint32_t h,
                     stats::Tally &t) noexcept {
    using stats::Drop;
    using stats::Event;
    const net::PortHost &ph = *streams_[s.stream].host;
    const uint32_t seg_len = s.plen + ((s.flags & kSyn) ? 1 : 0) + ((s.flags & kFin) ? 1 : 0);
    uint8_t rmac[6];
    std::memcpy(rmac, s.frame + 6, 6);
    auto dropped = [&](Drop why) {
        rte_pktmbuf_free(m);
        t.add(why);
    };
    // A RST in place of m: <SEQ=SEG.ACK><CTL=RST>, or <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    auto reset = [&](Drop why) {
        t.add(why);
        if (s.flags & kRst) {
            rte_pktmbuf_free(m);
            return;
        }
        if (!rst_limit_.take(now_tsc_)) {
            rte_pktmbuf_free(m);
            t.add(Drop::tcp_rate_limited);
            return;
        }
        m->data_len = kHdr;
        m->pkt_len = kHdr;
        if (s.flags & kAck)
            write_headers(s.frame, ph, rmac, s.raddr, s.rport, s.lport, s.ack, 0, kRst, 0, 0, 0, 0);
        else
            write_headers(s.frame, ph, rmac, s.raddr, s.rport, s.lport, 0, s.seq + seg_len,
                          kRst | kAck, 0, 0, 0, 0);
        push(s.stream, m);
        t.add(Event::tcp_rst_sent);
        t.add(Event::tcp_seg_out);
    };
    if (s.flags & kRst) return dropped(Drop::tcp_no_conn);
    if (!ports_.has(s.lport)) return reset(Drop::tcp_closed_port);
    if ((s.flags & kSyn) && (s.flags & kFin)) return dropped(Drop::tcp_bad_flags);
    if (!(s.flags & (kSyn | kAck))) return dropped(Drop::tcp_bad_flags);
    const Tuple tuple{s.raddr, ph.ip, s.rport, s.lport};
    const uint32_t slot = static_cast<uint32_t>(now_tsc_ / tsc_hz_ / kCookieSlotSeconds);
    if (refusing_) return reset(Drop::tcp_draining);  // a SYN, or a handshake's ACK
    if ((s.flags & (kSyn | kAck)) == kSyn) {
        // A peer MSS below the smallest we take is raised to it, as Linux raises it
        // to tcp_min_snd_mss (48); none given means 536 (RFC 9293 3.7.1).
        const uint32_t peer_mss = s.peer_mss < 0 ? 536u : static_cast<uint32_t>(s.peer_mss);
        const int mi =
            std::max(mss_index(std::min<uint32_t>(std::max(peer_mss, kMinMss), mss_limit_)), 0);
        const int wi = wscale_index(s.peer_ws);
        const uint32_t cookie =
            cookies_.make(tuple, s.seq, slot, static_cast<unsigned>(mi), static_cast<unsigned>(wi));
        // SYN-ACK in place: MSS, and window scale if the peer offered it. Its window
        // field is never scaled (RFC 7323 2.2). Data on the SYN is not taken (no
        // state to keep it in): the SYN-ACK acknowledges the SYN only, and the peer
        // sends it again.
        const uint32_t opt_len = s.peer_ws >= 0 ? 8 : 4;
        if (rte_pktmbuf_headroom(m) + kHdr + opt_len > m->buf_len) {
            rte_pktmbuf_free(m);
            t.add(Drop::tcp_no_mbuf);
            return;
        }
        uint8_t *opt = s.frame + kHdr;
        opt[0] = 2;
        opt[1] = 4;
        wire::store16(opt + 2, kMssTable[static_cast<size_t>(mi)]);
        if (opt_len == 8) {
            opt[4] = 1;
            opt[5] = 3;
            opt[6] = 3;
            opt[7] = our_ws_;
        }
        m->data_len = static_cast<uint16_t>(kHdr + opt_len);
        m->pkt_len = kHdr + opt_len;
        write_headers(s.frame, ph, rmac, s.raddr, s.rport, s.lport, cookie, s.seq + 1, kSyn | kAck,
                      static_cast<uint16_t>(std::min<uint32_t>(window_, 0xffff)), opt_len, 0, 0);
        push(s.stream, m);
        t.add(Event::tcp_cookie_sent);
        t.add(Event::tcp_seg_out);
        return;
    }
    if (s.flags & kSyn) return reset(Drop::tcp_no_conn);  // SYN-ACK: we never connect
    // The third segment of a handshake (ACK, maybe data or FIN): its cookie is ACK - 1.
    const CookieResult cr = cookies_.check(tuple, s.seq - 1, s.ack - 1, slot);
    if (cr.status == CookieCheck::forged) {
        // Data whose cookie is of a recent shape but does not verify is most likely a
        // segment of a handshake still in progress that overtook the handshake's ACK
        // (the cookie covers the client's ISN, i.e. SEQ - 1 of that ACK only): a RST
        // would kill the connection being opened, so it is dropped, and comes again.
        if ((s.plen > 0 || (s.flags & kFin)) && SynCookies::recent(s.ack - 1, slot))
            return dropped(Drop::tcp_cookie_pending);
        return reset(Drop::tcp_cookie_failed);
    }
    if (cr.status == CookieCheck::expired) return reset(Drop::tcp_cookie_expired);
    // The same 4-tuple closed lately, and this segment has that connection's two ISNs:
    // an old duplicate of its handshake, not a new connection (TIME_WAIT's job, RFC
    // 9293 3.6.1). Dropped without an answer: the client is in TIME_WAIT for that
    // connection. Not "any sequence number below where it ended": a new connection
    // on reused ports may start anywhere (a client's TIME_WAIT ends early on a RST),
    // and one taken for an old duplicate would be dropped at every retransmission.
    const Closed &cl = closed_[h & (kClosedSlots - 1)];
    const uint32_t gap = s.seq - s.ack;  // (ISN + 1) - (cookie + 1)
    if (cl.hash == h && cl.tick != 0 && tick_ + 1 - cl.tick < kTimeWaitMs &&
        (cl.gap == gap || cl.gap == gap + 1))
        return dropped(Drop::tcp_old_duplicate);
    const uint32_t idx = table_.insert(k, h);
    if (idx == FlowTable<Conn>::kNone) {
        t.add(Event::tcp_conn_refused);
        return reset(Drop::tcp_table_full);
    }
    Conn &c = table_.at(idx);
    const FlowKey key = c.key;
    std::memset(static_cast<void *>(&c), 0, sizeof c);
    c.key = key;
    c.timer = TimerLink{};
    std::memcpy(c.rmac, rmac, 6);
    c.state = State::established;
    const int8_t ws = kWscaleTable[cr.ws_idx];
    if (ws >= 0) {
        c.flags |= cf::ws_ok;
        c.set_peer_ws(static_cast<uint8_t>(ws));
    }
    c.snd_una = c.snd_nxt = c.snd_max = c.snd_end = s.ack;
    c.rcv_nxt = s.seq;
    c.snd_wnd = uint32_t{s.wnd} << c.peer_ws();
    c.max_wnd = s.wnd;
    c.snd_wl1 = s.seq;
    c.rcv_adv = s.seq + std::min<uint32_t>(window_, 0xffff);  // the SYN-ACK's
    c.recover = s.ack - 1;                                    // ISS (RFC 6582 3.2 step 1)
    c.mss = kMssTable[cr.mss_idx];
    // Initial window, RFC 5681 3.1.
    c.cwnd = c.mss > 2190 ? 2u * c.mss : c.mss > 1095 ? 3u * c.mss : 4u * c.mss;
    c.ssthresh = UINT32_MAX;
    c.rto_ms = kRtoInitialMs;
    c.last_rx = tick_;
    c.last_oow = tick_ - kOowIntervalMs;
    t.add(Event::tcp_cookie_accepted);
    t.add(Event::tcp_conn_opened);
    Seg s2 = s;
    on_conn(idx, m, s2, t);
}

// In-order payload (plen bytes at frame + payload_off in m) becomes an echo segment:
// the headers will be rebuilt in front of the payload, which does not move.
void Engine::accept(Conn &c, rte_mbuf *m, const uint8_t *frame, uint32_t payload_off, uint32_t plen,
                    stats::Tally &t) noexcept {
    m->data_off = static_cast<uint16_t>(m->data_off + payload_off - kHdr);
    m->data_len = static_cast<uint16_t>(kHdr + plen);
    m->pkt_len = kHdr + plen;
    SegMeta &sm = meta(m);
    sm = SegMeta{};
    sm.seq = c.snd_end;
    sm.len = static_cast<uint16_t>(plen);
    sm.psum = wire::fold(wire::sum_native(frame + payload_off, plen));
    if (c.tail)
        meta(c.tail).next = m;
    else
        c.head = m;
    c.tail = m;
    if (!c.unsent) c.unsent = m;
    c.snd_end += plen;
    c.rcv_nxt += plen;
    t.add(stats::Event::tcp_bytes_echoed, plen);
}

// Keeps segment m (peer sequence seq, plen payload bytes at payload_off, and the
// peer's FIN after them when fin) past a hole, in order; false (the caller drops it)
// when it overlaps one kept already, or there is no room.
bool Engine::ooo_insert(Conn &c, rte_mbuf *m, uint32_t seq, uint32_t payload_off, uint32_t plen,
                        bool fin) noexcept {
    if (!c.ooo) {
        if (ooo_nfree_ == 0) return false;
        const uint16_t slot = ooo_free_[--ooo_nfree_];
        ooo_[slot] = {nullptr, 0};
        c.ooo = static_cast<uint16_t>(slot + 1);
    }
    OooSlot &o = ooo_[c.ooo - 1];
    if (o.count >= kOooPerConn) return false;
    rte_mbuf **pp = &o.head;
    while (*pp && seq_lt(meta(*pp).seq, seq)) {
        const SegMeta &k = meta(*pp);
        // Overlaps its data, or comes after a FIN kept already.
        if (seq_gt(k.seq + k.len, seq) || k.fin) return false;
        pp = &meta(*pp).next;
    }
    if (*pp) {
        const SegMeta &k = meta(*pp);
        // Overlaps the next one, is the same, or carries a FIN that something follows.
        if (seq_lt(k.seq, seq + plen) || k.seq == seq || fin) return false;
    }
    SegMeta &sm = meta(m);
    sm = SegMeta{};
    sm.next = *pp;
    sm.seq = seq;
    sm.len = static_cast<uint16_t>(plen);
    sm.psum = static_cast<uint16_t>(payload_off);
    sm.fin = fin;
    *pp = m;
    ++o.count;
    hold(c);
    return true;
}

// The hole before the kept segments may have closed: what is now in order goes to
// the echo queue, what the peer sent again meanwhile is dropped. True when the
// peer's FIN is now in order (the caller takes it); what was kept past it goes.
bool Engine::ooo_drain(Conn &c, stats::Tally &t) noexcept {
    if (!c.ooo) return false;
    OooSlot &o = ooo_[c.ooo - 1];
    bool fin = false;
    while (o.head && seq_leq(meta(o.head).seq, c.rcv_nxt)) {
        rte_mbuf *m = o.head;
        const SegMeta sm = meta(m);
        o.head = sm.next;
        --o.count;
        const uint32_t old = c.rcv_nxt - sm.seq;
        if (sm.len > old && sm.len - old <= accept_window(c)) {
            // Still held, now in the echo queue.
            uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
            accept(c, m, frame, sm.psum + old, sm.len - old, t);
            if (sm.fin) {
                fin = true;
                break;
            }
            continue;
        }
        // Nothing new (sent again meanwhile), or more than the window takes now (it
        // will come again): dropped; a FIN right at rcv_nxt is in order all the same.
        const bool fin_now = sm.fin && sm.len == old;
        rte_pktmbuf_free(m);
        unhold(c);
        if (fin_now) {
            fin = true;
            break;
        }
    }
    if (fin) ooo_release(c);
    if (c.ooo && !o.head) {
        ooo_free_[ooo_nfree_++] = static_cast<uint16_t>(c.ooo - 1);
        c.ooo = 0;
    }
    return fin;
}

void Engine::ooo_release(Conn &c) noexcept {
    if (!c.ooo) return;
    OooSlot &o = ooo_[c.ooo - 1];
    for (rte_mbuf *m = o.head; m;) {
        rte_mbuf *next = meta(m).next;
        rte_pktmbuf_free(m);
        unhold(c);
        m = next;
    }
    o.head = nullptr;
    ooo_free_[ooo_nfree_++] = static_cast<uint16_t>(c.ooo - 1);
    c.ooo = 0;
}

// Processes an acceptable ACK field (SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.MAX,
// checked by the caller); false when the connection is gone (our FIN acknowledged).
bool Engine::on_ack(uint32_t idx, Conn &c, const Seg &s, stats::Tally &t) noexcept {
    const uint32_t new_wnd = uint32_t{s.wnd} << ((c.flags & cf::ws_ok) ? c.peer_ws() : 0);
    const bool acks_new = seq_gt(s.ack, c.snd_una);
    if (acks_new) {
        const uint32_t acked = s.ack - c.snd_una;
        const uint32_t flight_before = c.snd_max - c.snd_una;
        while (c.head) {
            SegMeta &sm = meta(c.head);
            if (seq_gt(sm.seq + sm.len, s.ack)) break;
            if (sm.timed && (c.flags & cf::timing) && sm.rtt_gen == c.rtt_gen) {
                c.flags &= static_cast<uint8_t>(~cf::timing);
                rtt_sample(c, now_us_ - sm.sent_us);
            }
            rte_mbuf *done = c.head;
            c.head = sm.next;
            if (c.unsent == done) c.unsent = c.head;
            if (c.tail == done) c.tail = nullptr;
            rte_pktmbuf_free(done);
            unhold(c);
        }
        c.snd_una = s.ack;
        if (seq_lt(c.snd_nxt, s.ack)) c.snd_nxt = s.ack;
        if ((c.flags & cf::fin_out) && s.ack == c.snd_end + 1) {
            t.add(stats::Event::tcp_conn_closed);
            release(idx);
            return false;
        }
        c.set_retries(0);
        if (c.flags & cf::recovery) {
            if (seq_geq(s.ack, c.recover)) {
                // Full acknowledgment (RFC 6582 3.2 step 3).
                const uint32_t flight = c.snd_max - c.snd_una;
                c.cwnd = std::min(c.ssthresh, std::max<uint32_t>(flight, c.mss) + c.mss);
                c.flags &= static_cast<uint8_t>(~cf::recovery);
                c.rexmit_due = 0;
            } else {
                // Partial acknowledgment: the next hole goes now.
                c.rexmit_due = c.head && !transmit(c, c.head, t);
                c.cwnd = (c.cwnd > acked ? c.cwnd - acked : 0) + (acked >= c.mss ? c.mss : 0);
                c.cwnd = std::max<uint32_t>(c.cwnd, c.mss);
            }
        } else if (c.cwnd_limited || flight_before + c.mss > c.cwnd ||
                   (c.cwnd < c.ssthresh && 2 * flight_before >= c.cwnd)) {
            // Grow only a window that is in use (RFC 7661; Linux's tcp_is_cwnd_limited):
            // an echo flow is held back by the peer's window, and cwnd grew without
            // end (finding 1). kMaxCwnd bounds it whatever happens.
            if (c.cwnd < c.ssthresh)
                c.cwnd += std::min<uint32_t>(acked, c.mss);  // slow start
            else
                c.cwnd += std::max<uint32_t>(1, c.mss * c.mss / c.cwnd);  // congestion avoidance
            c.cwnd = std::min(c.cwnd, kMaxCwnd);
            c.cwnd_limited = 0;
        }
        c.dupacks = 0;
        // RFC 6298 5.2-5.3: restarted while data is outstanding, stopped when all of
        // it is acknowledged (send_queued starts it afresh for the next segment).
        if (c.snd_max != c.snd_una) {
            restart_rto(c, idx);
        } else if (c.flags & cf::rto) {
            c.flags = static_cast<uint8_t>(c.flags & ~(cf::rto | cf::persist));
            wheel_->cancel([this](uint32_t i) -> TimerLink & { return link(i); }, idx);
        }
    } else if (s.ack == c.snd_una && s.plen == 0 && !(s.flags & kFin) && c.snd_max != c.snd_una &&
               new_wnd == c.snd_wnd) {
        // Duplicate ACK (RFC 5681 2): fast retransmit on the third, then inflate.
        if (c.dupacks < 31) c.dupacks = static_cast<uint8_t>(c.dupacks + 1u) & 31u;
        if (c.dupacks == 3 && !(c.flags & cf::recovery) && seq_gt(s.ack, c.recover)) {
            const uint32_t flight = c.snd_max - c.snd_una;
            c.ssthresh = std::max<uint32_t>(flight / 2, 2u * c.mss);
            c.recover = c.snd_max;
            c.flags |= cf::recovery;
            stop_timing(c);
            // A retransmission the port is not done with yet goes at the next ACK or,
            // at the latest, the timeout (finding 7: it was forgotten).
            c.rexmit_due = c.head && !transmit(c, c.head, t);
            t.add(stats::Event::tcp_fast_retransmit);
            c.cwnd = c.ssthresh + 3u * c.mss;
        } else if (c.dupacks > 3 && (c.flags & cf::recovery)) {
            c.cwnd = std::min(c.cwnd + c.mss, kMaxCwnd);
        }
    }
    if (c.rexmit_due && (c.flags & cf::recovery) && c.head) c.rexmit_due = !transmit(c, c.head, t);
    // Window update (RFC 9293 3.10.7.4, with Linux's test in place of SND.WL2: a
    // segment that acknowledges new data, is newer, or is as new and opens the
    // window or closes it). Never from an ACK older than SND.UNA (finding 2).
    if (seq_geq(s.ack, c.snd_una) &&
        (acks_new || seq_gt(s.seq, c.snd_wl1) ||
         (s.seq == c.snd_wl1 && (new_wnd > c.snd_wnd || new_wnd == 0)))) {
        c.snd_wnd = new_wnd;
        c.snd_wl1 = s.seq;
        if (s.wnd > c.max_wnd) c.max_wnd = s.wnd;
    }
    return true;
}

void Engine::on_conn(uint32_t idx, rte_mbuf *m, Seg &s, stats::Tally &t) noexcept {
    using stats::Drop;
    using stats::Event;
    Conn &c = table_.at(idx);
    const uint32_t wnd = accept_window(c);
    const uint32_t seg_len = s.plen + ((s.flags & kSyn) ? 1 : 0) + ((s.flags & kFin) ? 1 : 0);
    auto dropped = [&](Drop why) {
        rte_pktmbuf_free(m);
        t.add(why);
    };
    // Acceptability (RFC 9293 3.10.7.4, first check). With our window closed, a
    // segment at RCV.NXT is taken all the same for its ACK, RST and FIN (RFC 9293:
    // "special allowance"; finding 4); its data is not.
    bool ok;
    if (seg_len == 0 || wnd == 0)
        ok = wnd == 0 ? s.seq == c.rcv_nxt : seq_in(s.seq, c.rcv_nxt, c.rcv_nxt + wnd);
    else
        ok = seq_in(s.seq, c.rcv_nxt, c.rcv_nxt + wnd) ||
             seq_in(s.seq + seg_len - 1, c.rcv_nxt, c.rcv_nxt + wnd);
    if (!ok) {
        if (s.flags & kRst) return dropped(Drop::tcp_out_of_window);
        // A duplicate ACK, except that pure ACKs (and SYNs) get one at most every
        // kOowIntervalMs: two stacks could otherwise ACK each other forever (Linux's
        // tcp_oow_rate_limited; data, sent again, is always answered).
        if (s.plen == 0 && !oow_allowed(c)) return dropped(Drop::tcp_rate_limited);
        t.add(Event::tcp_dup_ack_sent);
        send_control(c, m, c.snd_nxt, kAck, t, true);
        return;
    }
    std::memcpy(c.rmac, s.frame + 6, 6);  // the peer's next hop may have changed
    if (s.flags & kRst) {
        if (s.seq == c.rcv_nxt) {
            rte_pktmbuf_free(m);
            t.add(Event::tcp_conn_reset);
            release(idx);
        } else if (challenge_allowed(c)) {  // RFC 5961 3.2
            t.add(Event::tcp_challenge_ack);
            send_control(c, m, c.snd_nxt, kAck, t);
        } else {
            dropped(Drop::tcp_rate_limited);
        }
        return;
    }
    if (s.flags & kSyn) {  // RFC 5961 4.2
        if (challenge_allowed(c)) {
            t.add(Event::tcp_challenge_ack);
            send_control(c, m, c.snd_nxt, kAck, t);
        } else {
            dropped(Drop::tcp_rate_limited);
        }
        return;
    }
    // The ACK field (RFC 9293 3.10.7.4, fifth check; RFC 5961 5.2).
    if (seq_gt(s.ack, c.snd_max)) {
        // Acknowledges what we never sent: an ACK back (rate-limited), and the
        // segment goes.
        if (!oow_allowed(c)) return dropped(Drop::tcp_ack_unsent);
        t.add(Event::tcp_dup_ack_sent);
        send_control(c, m, c.snd_nxt, kAck, t);
        return;
    }
    const uint32_t max_snd_wnd =
        std::max<uint32_t>(uint32_t{c.max_wnd} << ((c.flags & cf::ws_ok) ? c.peer_ws() : 0), c.mss);
    if (seq_lt(s.ack, c.snd_una - max_snd_wnd)) {
        // Far below anything the peer could still be acknowledging: a blind injection
        // (finding 2). A challenge ACK, and neither its data nor its window is taken.
        if (!challenge_allowed(c)) return dropped(Drop::tcp_ack_too_old);
        t.add(Event::tcp_challenge_ack);
        send_control(c, m, c.snd_nxt, kAck, t);
        return;
    }
    c.last_rx = tick_;
    if (!on_ack(idx, c, s, t)) {
        rte_pktmbuf_free(m);
        return;
    }
    bool need_ack = false;
    bool dup = false;  // the ACK we owe repeats the last one
    bool kept = false;
    bool ooo_fin = false;  // a FIN kept past a hole came in order
    const uint32_t fin_seq = s.seq + s.plen;
    if (s.plen > 0) {
        need_ack = true;
        if (c.state != State::established) {
            // Data after the peer's FIN: nothing new can come (RFC 9293); re-ACK.
        } else {
            if (seq_lt(s.seq, c.rcv_nxt)) {
                const uint32_t old = c.rcv_nxt - s.seq;
                if (old >= s.plen) {
                    s.plen = 0;
                } else {
                    s.payload += old;
                    s.plen -= old;
                    s.seq = c.rcv_nxt;
                }
            }
            dup = true;
            const uint32_t room = accept_window(c);
            if (s.plen == 0) {
                t.add(Event::tcp_dup_ack_sent);
            } else if (s.seq != c.rcv_nxt) {
                // Past a hole: kept for when the hole fills (if it fits the window
                // and the limits), with its FIN if it has one, and a duplicate ACK
                // either way.
                t.add(Event::tcp_dup_ack_sent);
                if (seq_leq(s.seq + s.plen, c.rcv_nxt + room) && s.plen <= c.mss && may_hold(c) &&
                    ooo_insert(c, m, s.seq, static_cast<uint32_t>(s.payload - s.frame), s.plen,
                               s.flags & kFin)) {
                    kept = true;
                    t.add(Event::tcp_ooo_kept);
                } else {
                    t.add(Drop::tcp_out_of_order);
                }
            } else if (s.plen > room) {
                t.add(Drop::tcp_beyond_window);
            } else if (s.plen > c.mss) {
                t.add(Drop::tcp_oversize);
            } else if (!may_hold(c)) {
                t.add(Drop::tcp_held_limit);
            } else {
                accept(c, m, s.frame, static_cast<uint32_t>(s.payload - s.frame), s.plen, t);
                hold(c);
                kept = true;
                ooo_fin = ooo_drain(c, t);
                dup = false;
            }
        }
    }
    if (ooo_fin || ((s.flags & kFin) && c.state == State::established && fin_seq == c.rcv_nxt)) {
        // The peer's FIN, in order (on this segment, or kept past a hole that this
        // segment filled). A bare FIN is taken even into a zero window, as Linux
        // takes it: it costs no buffer, and refusing it deadlocked the close
        // (finding 4).
        c.rcv_nxt += 1;
        c.state = State::close_wait;
        need_ack = true;
        dup = false;
    } else if ((s.flags & kFin) && c.state == State::established && s.plen == 0 &&
               seq_gt(fin_seq, c.rcv_nxt)) {
        // A bare FIN past a hole: kept, as data would be, and a duplicate ACK.
        need_ack = true;
        dup = true;
        t.add(Event::tcp_dup_ack_sent);
        if (may_hold(c) && ooo_insert(c, m, s.seq, kHdr, 0, true)) {
            kept = true;
            t.add(Event::tcp_ooo_kept);
        } else {
            t.add(Drop::tcp_out_of_order);
        }
    } else if ((s.flags & kFin) && c.state != State::established) {
        need_ack = true;  // a retransmitted FIN: our ACK was lost
    }
    // A window we had closed has opened again (our echo was acknowledged).
    if ((c.flags & cf::wnd_update) && rcv_window(c) >= std::min<uint32_t>(window_ / 2, c.mss))
        need_ack = true;
    const uint32_t before = c.snd_max;
    const uint32_t nxt_before = c.snd_nxt;
    send_queued(c, idx, t);
    if (c.state == State::free) {
        if (!kept) rte_pktmbuf_free(m);
        return;
    }
    const bool sent_something = c.snd_max != before || c.snd_nxt != nxt_before;
    if (need_ack && !sent_something) {
        send_control(c, kept ? nullptr : m, c.snd_nxt, kAck, t, dup);
        return;
    }
    if (!kept) rte_pktmbuf_free(m);
}

}  // namespace c10m::tcp
