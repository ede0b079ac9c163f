#include "tcp/engine.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "tcp/seq.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/ipv4.hpp"

namespace c10m::tcp {

namespace {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
constexpr uint32_t kHdr = 14 + 20 + 20;  // Ethernet, IPv4 and TCP headers, no options

constexpr size_t kLine = 64;
constexpr size_t align_up(size_t x) noexcept {
    return (x + kLine - 1) & ~(kLine - 1);
}

// Where each part of an engine's memory starts, and how much there is in all.
struct Layout {
    uint32_t flows;
    size_t records, slots, free_list, wheel, ooo, ooo_free, total;
    explicit Layout(const Settings &s) noexcept {
        flows = std::max<uint32_t>(s.max_flows, 1);
        records = 0;
        slots = records + align_up(sizeof(Conn) * flows);
        free_list = slots + align_up(sizeof(FlowSlot) * flow_slots_for(flows));
        wheel = free_list + align_up(sizeof(uint32_t) * flows);
        ooo = wheel + align_up(sizeof(TimerWheel<kTimerSlots>));
        ooo_free = ooo + align_up(sizeof(OooSlotBytes) * kOooSlots);
        total = ooo_free + align_up(sizeof(uint16_t) * kOooSlots);
    }
    struct OooSlotBytes {
        void *head;
        uint32_t count;
    };
};

// Ethernet, IPv4 and TCP headers at f for a segment from us (ph) to the peer of c
// (or of key/rmac), with `opt_len` bytes of options already at f + 54 and plen
// payload bytes after them whose sum_native is psum.
void write_headers(uint8_t *f, const net::PortHost &ph, const uint8_t *rmac, uint32_t raddr,
                   uint16_t rport, uint16_t lport, uint32_t seq, uint32_t ack, uint8_t flags,
                   uint16_t wnd, uint32_t opt_len, uint32_t plen, uint64_t psum) noexcept {
    std::memcpy(f, rmac, 6);
    std::memcpy(f + 6, ph.mac, 6);
    wire::store16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    const uint32_t tcp_len = 20 + opt_len + plen;
    wire::write_ipv4(ip, static_cast<uint16_t>(20 + tcp_len), 6, ph.ip, raddr, net::kReplyTtl,
                     0x4000 /* DF */);
    uint8_t *th = ip + 20;
    wire::store16(th, lport);
    wire::store16(th + 2, rport);
    wire::store32(th + 4, seq);
    wire::store32(th + 8, ack);
    th[12] = static_cast<uint8_t>((20 + opt_len) / 4 << 4);
    th[13] = flags;
    wire::store16(th + 14, wnd);
    wire::store16(th + 16, 0);
    wire::store16(th + 18, 0);
    const uint64_t sum = wire::sum_native(
        th, 20 + opt_len, psum + wire::pseudo_header_native(ip, 6, static_cast<uint16_t>(tcp_len)));
    const uint16_t c = static_cast<uint16_t>(~wire::fold(sum));
    std::memcpy(th + 16, &c, 2);  // native order, as summed
}

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
      mss_limit_(s.mss_limit),
      our_ws_(window_shift(s.window)),
      pool_(pool) {
    static_assert(sizeof(Layout::OooSlotBytes) == sizeof(OooSlot));
    for (uint16_t p : s.ports)
        ports_.add(p);
    const Layout l(s);
    auto *base = static_cast<uint8_t *>(mem);
    table_bytes_ = l.wheel;  // records, hash slots and free list
    table_ = FlowTable<Conn>(reinterpret_cast<Conn *>(base + l.records),
                             reinterpret_cast<FlowSlot *>(base + l.slots),
                             reinterpret_cast<uint32_t *>(base + l.free_list), l.flows,
                             static_cast<uint32_t>(s.hash_seed));
    wheel_ = new (base + l.wheel) TimerWheel<kTimerSlots>(0);
    ooo_ = reinterpret_cast<OooSlot *>(base + l.ooo);
    ooo_free_ = reinterpret_cast<uint16_t *>(base + l.ooo_free);
    for (uint32_t i = 0; i < kOooSlots; ++i)
        ooo_free_[i] = static_cast<uint16_t>(kOooSlots - 1 - i);
    ooo_nfree_ = kOooSlots;
    rst_limit_.configure(s.rst_rate, 50, tsc_hz, now_tsc);
    challenge_limit_.configure(s.rst_rate, 50, tsc_hz, now_tsc);
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

uint32_t Engine::rcv_window(const Conn &c) const noexcept {
    const uint32_t held = c.snd_end - c.snd_una;
    uint32_t avail = held < window_ ? window_ - held : 0;
    if (c.flags & cf::ws_ok)
        avail = avail >> our_ws_ << our_ws_;
    else
        avail = std::min<uint32_t>(avail, 0xffff);
    return avail;
}

// The window field of a segment we are about to send. The right edge never moves
// left (RFC 9293 3.8.6.2.2), and a duplicate ACK repeats the window of the ACKs
// before it: a sender counts an ACK whose window changed as a window update, not
// as a duplicate (Linux does), and fast retransmit needs three duplicates. A
// window below one MSS is noted, to announce it when it opens.
uint16_t Engine::advertise(Conn &c, bool dup) const noexcept {
    const uint8_t shift = (c.flags & cf::ws_ok) ? our_ws_ : 0;
    uint32_t w = rcv_window(c);
    const uint32_t promised = seq_leq(c.rcv_nxt, c.rcv_adv) ? c.rcv_adv - c.rcv_nxt : 0;
    if (dup ? promised < w : promised > w) w = promised;
    const uint16_t field = static_cast<uint16_t>(std::min<uint32_t>(w >> shift, 0xffff));
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
        if (rte_mbuf_refcnt_read(seg) != 1) return false;
    }
    const SegMeta &sm = meta(seg);
    write_headers(rte_pktmbuf_mtod(seg, uint8_t *), *streams_[c.key.stream].host, c.rmac,
                  c.key.raddr, c.key.rport, c.key.lport, sm.seq, c.rcv_nxt, kAck | kPsh,
                  advertise(c, false), 0, sm.len, sm.psum);
    rte_mbuf_refcnt_update(seg, 1);
    push(c.key.stream, seg);
    t.add(stats::Event::tcp_seg_out);
    if (seq_lt(sm.seq, c.snd_max)) t.add(stats::Event::tcp_retransmit);
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
        if (end - c.snd_una > limit) break;
        if (!transmit(c, seg, t)) break;
        c.snd_nxt = end;
        if (seq_gt(end, c.snd_max)) {
            c.snd_max = end;
            if (!(c.flags & cf::timing)) {
                c.flags |= cf::timing;
                c.rtt_seq = end;
                c.rtt_start = now_us_;
            }
        }
        c.unsent = sm.next;
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
        // snd_una - 1), to which it answers with its window (RFC 9293 3.8.6.1).
        send_control(c, nullptr, c.snd_una - 1, kAck, t);
        t.add(stats::Event::tcp_window_probe);
        c.rto_ms = static_cast<uint16_t>(std::min<uint32_t>(c.rto_ms * 2u, kRtoMaxMs));
        wheel_->arm([this](uint32_t i) -> TimerLink & { return link(i); }, idx, tick_ + c.rto_ms);
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
    const uint32_t flight = c.snd_max - c.snd_una;
    c.ssthresh = std::max<uint32_t>(flight / 2, 2u * c.mss);
    c.cwnd = c.mss;
    c.dupacks = 0;
    c.flags = static_cast<uint8_t>(c.flags & ~(cf::recovery | cf::timing | cf::rto));
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
    wheel_->cancel([this](uint32_t i) -> TimerLink & { return link(i); }, idx);
    for (rte_mbuf *m = c.head; m;) {
        rte_mbuf *next = meta(m).next;
        rte_pktmbuf_free(m);
        --held_;
        m = next;
    }
    c.head = c.unsent = c.tail = nullptr;
    ooo_release(c);
    c.state = State::free;
    table_.erase(idx);
}

void Engine::release_all() noexcept {
    if (!wheel_) return;
    for (uint32_t i = 0; i < table_.capacity(); ++i)
        if (table_.at(i).state != State::free) release(i);
}

void Engine::rtt_sample(Conn &c, uint32_t r) noexcept {
    // RFC 6298 2.2-2.3, in microseconds; RTO = SRTT + max(G, 4 RTTVAR), G = 1 ms.
    if (!(c.flags & cf::sampled)) {
        c.srtt_us = r;
        c.rttvar_us = r / 2;
        c.flags |= cf::sampled;
    } else {
        const uint32_t diff = c.srtt_us > r ? c.srtt_us - r : r - c.srtt_us;
        c.rttvar_us = c.rttvar_us - c.rttvar_us / 4 + diff / 4;
        c.srtt_us = c.srtt_us - c.srtt_us / 8 + r / 8;
    }
    const uint64_t rto_us = uint64_t{c.srtt_us} + std::max<uint64_t>(1000, 4ull * c.rttvar_us);
    c.rto_ms =
        static_cast<uint16_t>(std::clamp<uint64_t>((rto_us + 999) / 1000, kRtoMinMs, kRtoMaxMs));
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
    if (ip_total < 40) return drop(Drop::tcp_truncated);
    const uint32_t tlen = ip_total - 20;
    const uint32_t doff = static_cast<uint32_t>(th[12] >> 4) * 4;
    if (doff < 20 || doff > tlen) return drop(Drop::tcp_bad_offset);
    if (l4csum == net::Csum::bad) return drop(Drop::tcp_bad_checksum);
    if (l4csum != net::Csum::good &&
        !wire::checksum_ok_native(wire::sum_native(
            th, tlen, wire::pseudo_header_native(ip, 6, static_cast<uint16_t>(tlen)))))
        return drop(Drop::tcp_bad_checksum);
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
    const uint8_t fl = s.flags;
    if ((fl & kSyn && fl & (kFin | kRst)) || !(fl & (kAck | kSyn | kRst)) ||
        (fl & kFin && !(fl & kAck)))
        return drop(Drop::tcp_bad_flags);
    if (s.rport == 0) return drop(Drop::tcp_bad_port);
    if (fl & kSyn) {
        // Options of a SYN: MSS and window scale are used; SACK-permitted and
        // timestamps are recognised and not used (so never negotiated).
        const uint8_t *o = th + 20;
        const uint8_t *end = th + doff;
        while (o < end) {
            const uint8_t kind = o[0];
            if (kind == 0) break;
            if (kind == 1) {
                ++o;
                continue;
            }
            if (end - o < 2 || o[1] < 2 || o[1] > end - o) break;
            const uint8_t len = o[1];
            if (kind == 2 && len == 4) s.peer_mss = wire::load16(o + 2);
            if (kind == 3 && len == 3) s.peer_ws = static_cast<int8_t>(std::min<uint8_t>(o[2], 14));
            if (kind == 4 && len == 2) s.sack_ok = true;
            if (kind == 8 && len == 10) s.timestamps = true;
            o += len;
        }
    }
    const FlowKey k{s.raddr, s.rport, s.lport, stream, {}};
    const uint32_t h = table_.hash(k);
    const uint32_t idx = table_.find(k, h);
    if (idx == FlowTable<Conn>::kNone) return no_conn(m, s, k, h, t);
    on_conn(idx, m, s, t);
}

// A segment for no connection: a SYN gets a SYN cookie, an ACK with a valid cookie
// opens the connection, anything else a RST (RFC 9293 3.10.7.1; rate-limited).
void Engine::no_conn(rte_mbuf *m, const Seg &s, const FlowKey &k, uint32_t h,
                     stats::Tally &t) noexcept {
    using stats::Drop;
    using stats::Event;
    const net::PortHost &ph = *streams_[s.stream].host;
    const uint32_t seg_len = s.plen + ((s.flags & kSyn) ? 1 : 0) + ((s.flags & kFin) ? 1 : 0);
    uint8_t rmac[6];
    std::memcpy(rmac, s.frame + 6, 6);
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
    if (s.flags & kRst) return reset(Drop::tcp_no_conn);
    if (!ports_.has(s.lport)) return reset(Drop::tcp_closed_port);
    const Tuple tuple{s.raddr, ph.ip, s.rport, s.lport};
    const uint32_t slot = static_cast<uint32_t>(now_tsc_ / tsc_hz_ / kCookieSlotSeconds);
    if ((s.flags & (kSyn | kAck)) == kSyn) {
        const uint32_t peer_mss = s.peer_mss < 0 ? 536u : static_cast<uint32_t>(s.peer_mss);
        const int mi = mss_index(std::min<uint32_t>(peer_mss, mss_limit_));
        if (mi < 0) return reset(Drop::tcp_mss_too_small);
        const int wi = wscale_index(s.peer_ws);
        const uint32_t cookie =
            cookies_.make(tuple, s.seq, slot, static_cast<unsigned>(mi), static_cast<unsigned>(wi));
        // SYN-ACK in place: MSS, and window scale if the peer offered it. Its window
        // field is never scaled (RFC 7323 2.2).
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
        if ((s.plen > 0 || (s.flags & kFin)) && SynCookies::recent(s.ack - 1, slot)) {
            rte_pktmbuf_free(m);
            t.add(Drop::tcp_cookie_pending);
            return;
        }
        return reset(Drop::tcp_cookie_failed);
    }
    if (cr.status == CookieCheck::expired) return reset(Drop::tcp_cookie_expired);
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
    c.snd_wl1 = s.seq;
    c.rcv_adv = s.seq + std::min<uint32_t>(window_, 0xffff);  // the SYN-ACK's
    c.recover = s.ack - 1;                                    // ISS (RFC 6582 3.2 step 1)
    c.mss = kMssTable[cr.mss_idx];
    // Initial window, RFC 5681 3.1.
    c.cwnd = c.mss > 2190 ? 2u * c.mss : c.mss > 1095 ? 3u * c.mss : 4u * c.mss;
    c.ssthresh = UINT32_MAX;
    c.rto_ms = kRtoInitialMs;
    c.last_rx = tick_;
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
    sm.next = nullptr;
    sm.seq = c.snd_end;
    sm.len = static_cast<uint16_t>(plen);
    sm.psum = wire::fold(wire::sum_native(frame + payload_off, plen));
    sm.fin = false;
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
    sm.next = *pp;
    sm.seq = seq;
    sm.len = static_cast<uint16_t>(plen);
    sm.psum = static_cast<uint16_t>(payload_off);
    sm.fin = fin;
    *pp = m;
    ++o.count;
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
        if (sm.len > old && sm.len - old <= rcv_window(c)) {
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
        --held_;
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
        --held_;
        m = next;
    }
    o.head = nullptr;
    ooo_free_[ooo_nfree_++] = static_cast<uint16_t>(c.ooo - 1);
    c.ooo = 0;
}

// Processes the ACK field; false when the connection is gone (our FIN acknowledged).
bool Engine::on_ack(uint32_t idx, Conn &c, const Seg &s, stats::Tally &t) noexcept {
    const uint32_t new_wnd = uint32_t{s.wnd} << ((c.flags & cf::ws_ok) ? c.peer_ws() : 0);
    const bool acks_new = seq_gt(s.ack, c.snd_una);
    if (acks_new) {
        const uint32_t acked = s.ack - c.snd_una;
        while (c.head) {
            SegMeta &sm = meta(c.head);
            if (seq_gt(sm.seq + sm.len, s.ack)) break;
            rte_mbuf *done = c.head;
            c.head = sm.next;
            if (c.unsent == done) c.unsent = c.head;
            if (c.tail == done) c.tail = nullptr;
            rte_pktmbuf_free(done);
            --held_;
        }
        c.snd_una = s.ack;
        if (seq_lt(c.snd_nxt, s.ack)) c.snd_nxt = s.ack;
        if ((c.flags & cf::fin_out) && s.ack == c.snd_end + 1) {
            t.add(stats::Event::tcp_conn_closed);
            release(idx);
            return false;
        }
        if ((c.flags & cf::timing) && seq_geq(s.ack, c.rtt_seq)) {
            c.flags &= static_cast<uint8_t>(~cf::timing);
            rtt_sample(c, now_us_ - c.rtt_start);
        }
        c.set_retries(0);
        if (c.flags & cf::recovery) {
            if (seq_geq(s.ack, c.recover)) {
                // Full acknowledgment (RFC 6582 3.2 step 3).
                const uint32_t flight = c.snd_max - c.snd_una;
                c.cwnd = std::min(c.ssthresh, std::max<uint32_t>(flight, c.mss) + c.mss);
                c.flags &= static_cast<uint8_t>(~cf::recovery);
            } else {
                // Partial acknowledgment: the next hole goes now.
                if (c.head) transmit(c, c.head, t);
                c.cwnd = (c.cwnd > acked ? c.cwnd - acked : 0) + (acked >= c.mss ? c.mss : 0);
                c.cwnd = std::max<uint32_t>(c.cwnd, c.mss);
            }
        } else if (c.cwnd < c.ssthresh) {
            c.cwnd += std::min<uint32_t>(acked, c.mss);  // slow start
        } else {
            c.cwnd += std::max<uint32_t>(1, c.mss * c.mss / c.cwnd);  // congestion avoidance
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
        if (++c.dupacks == 3 && !(c.flags & cf::recovery) && seq_gt(s.ack, c.recover)) {
            const uint32_t flight = c.snd_max - c.snd_una;
            c.ssthresh = std::max<uint32_t>(flight / 2, 2u * c.mss);
            c.recover = c.snd_max;
            c.flags = static_cast<uint8_t>((c.flags | cf::recovery) & ~cf::timing);
            if (c.head) transmit(c, c.head, t);
            t.add(stats::Event::tcp_fast_retransmit);
            c.cwnd = c.ssthresh + 3u * c.mss;
        } else if (c.dupacks > 3 && (c.flags & cf::recovery)) {
            c.cwnd += c.mss;
        }
    }
    // Window update (RFC 9293 3.10.7.4, with Linux's test in place of SND.WL2: a
    // segment that acknowledges new data, is newer, or is as new and opens the
    // window or closes it).
    if (acks_new || seq_gt(s.seq, c.snd_wl1) ||
        (s.seq == c.snd_wl1 && (new_wnd > c.snd_wnd || new_wnd == 0))) {
        c.snd_wnd = new_wnd;
        c.snd_wl1 = s.seq;
    }
    return true;
}

void Engine::on_conn(uint32_t idx, rte_mbuf *m, Seg &s, stats::Tally &t) noexcept {
    using stats::Drop;
    using stats::Event;
    Conn &c = table_.at(idx);
    const uint32_t wnd = rcv_window(c);
    const uint32_t seg_len = s.plen + ((s.flags & kSyn) ? 1 : 0) + ((s.flags & kFin) ? 1 : 0);
    // Acceptability (RFC 9293 3.10.7.4, first check).
    bool ok;
    if (seg_len == 0)
        ok = wnd == 0 ? s.seq == c.rcv_nxt : seq_in(s.seq, c.rcv_nxt, c.rcv_nxt + wnd);
    else
        ok = wnd != 0 && (seq_in(s.seq, c.rcv_nxt, c.rcv_nxt + wnd) ||
                          seq_in(s.seq + seg_len - 1, c.rcv_nxt, c.rcv_nxt + wnd));
    // A segment that starts before rcv_nxt but carries new data is acceptable too
    // when its end reaches into the window (covered above); one entirely old is not.
    if (!ok) {
        if (s.flags & kRst) {
            rte_pktmbuf_free(m);
            t.add(Drop::tcp_out_of_window);
            return;
        }
        t.add(Event::tcp_dup_ack_sent);
        send_control(c, m, c.snd_nxt, kAck, t, true);
        return;
    }
    if (s.flags & kRst) {
        rte_pktmbuf_free(m);
        if (s.seq == c.rcv_nxt) {
            t.add(Event::tcp_conn_reset);
            release(idx);
        } else if (challenge_limit_.take(now_tsc_)) {  // RFC 5961 3.2
            t.add(Event::tcp_challenge_ack);
            send_control(c, nullptr, c.snd_nxt, kAck, t);
        } else {
            t.add(Drop::tcp_rate_limited);
        }
        return;
    }
    if (s.flags & kSyn) {  // RFC 5961 4.2
        if (challenge_limit_.take(now_tsc_)) {
            t.add(Event::tcp_challenge_ack);
            send_control(c, m, c.snd_nxt, kAck, t);
        } else {
            rte_pktmbuf_free(m);
            t.add(Drop::tcp_rate_limited);
        }
        return;
    }
    c.last_rx = tick_;
    if (seq_gt(s.ack, c.snd_max)) {  // acknowledges what we never sent
        t.add(Event::tcp_dup_ack_sent);
        send_control(c, m, c.snd_nxt, kAck, t);
        return;
    }
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
            if (s.plen == 0) {
                t.add(Event::tcp_dup_ack_sent);
            } else if (s.seq != c.rcv_nxt) {
                // Past a hole: kept for when the hole fills (if it fits the window
                // and the limits), with its FIN if it has one, and a duplicate ACK
                // either way.
                t.add(Event::tcp_dup_ack_sent);
                if (seq_leq(s.seq + s.plen, c.rcv_nxt + rcv_window(c)) && s.plen <= c.mss &&
                    held_ < max_held_ &&
                    ooo_insert(c, m, s.seq, static_cast<uint32_t>(s.payload - s.frame), s.plen,
                               s.flags & kFin)) {
                    ++held_;
                    kept = true;
                    t.add(Event::tcp_ooo_kept);
                } else {
                    t.add(Drop::tcp_out_of_order);
                }
            } else if (s.plen > rcv_window(c)) {
                t.add(Drop::tcp_beyond_window);
            } else if (s.plen > c.mss) {
                t.add(Drop::tcp_oversize);
            } else if (held_ >= max_held_) {
                t.add(Drop::tcp_held_limit);
            } else {
                accept(c, m, s.frame, static_cast<uint32_t>(s.payload - s.frame), s.plen, t);
                ++held_;
                kept = true;
                ooo_fin = ooo_drain(c, t);
                dup = false;
            }
        }
    }
    if (ooo_fin || ((s.flags & kFin) && c.state == State::established && fin_seq == c.rcv_nxt)) {
        // The peer's FIN, in order (on this segment, or kept past a hole that this
        // segment filled).
        c.rcv_nxt += 1;
        c.state = State::close_wait;
        need_ack = true;
    } else if ((s.flags & kFin) && c.state == State::established && s.plen == 0 &&
               seq_gt(fin_seq, c.rcv_nxt)) {
        // A bare FIN past a hole: kept, as data would be, and a duplicate ACK.
        need_ack = true;
        dup = true;
        t.add(Event::tcp_dup_ack_sent);
        if (held_ < max_held_ && ooo_insert(c, m, s.seq, kHdr, 0, true)) {
            ++held_;
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
