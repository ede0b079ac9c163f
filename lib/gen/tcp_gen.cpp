#include "gen/tcp_gen.hpp"

#include <rte_thash.h>

#include <algorithm>
#include <cstring>

#include "net/rx_csum.hpp"
#include "pipeline/flow_hash.hpp"
#include "tcp/segment.hpp"
#include "tcp/seq.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"

namespace c10m::gen {

using stats::Drop;
using stats::Event;
using tcp::kAck;
using tcp::kFin;
using tcp::kHdr;
using tcp::kPsh;
using tcp::kRst;
using tcp::kSyn;
using tcp::seq_geq;
using tcp::seq_gt;
using tcp::seq_leq;
using tcp::seq_lt;

namespace {

constexpr uint16_t kWindow = 65535;   // we verify and discard: the window never closes
constexpr uint32_t kPollBudget = 64;  // new opens, transactions or closes per poll

}  // namespace

const char *fail_name(Fail f) noexcept {
    switch (f) {
        case Fail::syn_timeout:
            return "syn_timeout";
        case Fail::refused:
            return "refused";
        case Fail::reset:
            return "reset";
        case Fail::timeout:
            return "timeout";
        case Fail::txn_timeout:
            return "txn_timeout";
        case Fail::peer_closed:
            return "peer_closed";
        case Fail::close_timeout:
            return "close_timeout";
        case Fail::count_:
            break;
    }
    return "?";
}

const char *phase_name(Phase p) noexcept {
    switch (p) {
        case Phase::resolving:
            return "resolving";
        case Phase::opening:
            return "opening";
        case Phase::waiting:
            return "waiting";
        case Phase::holding:
            return "holding";
        case Phase::sweeping:
            return "sweeping";
        case Phase::closing:
            return "closing";
        case Phase::done:
            return "done";
    }
    return "?";
}

// ---------------------------------------------------------------- tuples

Tuples::Tuples(const std::vector<config::AddrRange> &sources, uint16_t dport_lo, uint16_t dport_hi)
    : src_(sources), dport_lo_(dport_lo), ndports_(uint32_t{dport_hi} - dport_lo + 1u) {
    for (const auto &r : src_)
        addrs_ += r.count;
}

// g = ((address index) * ports per address + source port - kGenPortLo) * destination
// ports + destination port index: consecutive indices differ in the destination
// port first, so a small run still spreads over the server's ports.
Tuples::Tuple Tuples::of(uint64_t g) const noexcept {
    const auto dport = static_cast<uint16_t>(dport_lo_ + g % ndports_);
    const uint64_t r = g / ndports_;
    const auto sport = static_cast<uint16_t>(config::kGenPortLo + r % config::kGenPortsPerAddr);
    uint64_t a = r / config::kGenPortsPerAddr;
    uint32_t saddr = 0;
    for (const auto &rg : src_) {
        if (a < rg.count) {
            saddr = rg.first + static_cast<uint32_t>(a);
            break;
        }
        a -= rg.count;
    }
    return {saddr, sport, dport};
}

bool Tuples::index(uint32_t saddr, uint16_t sport, uint16_t dport, uint64_t &g) const noexcept {
    if (sport < config::kGenPortLo || dport < dport_lo_ || uint32_t{dport} - dport_lo_ >= ndports_)
        return false;
    uint64_t a = 0;
    bool found = false;
    for (const auto &rg : src_) {
        if (saddr - rg.first < rg.count) {
            a += saddr - rg.first;
            found = true;
            break;
        }
        a += rg.count;
    }
    if (!found) return false;
    g = (a * config::kGenPortsPerAddr + (sport - config::kGenPortLo)) * ndports_ +
        (dport - dport_lo_);
    return true;
}

bool Tuples::ours(uint32_t addr) const noexcept {
    for (const auto &rg : src_)
        if (addr - rg.first < rg.count) return true;
    return false;
}

unsigned Shared::owner(uint64_t g) const noexcept {
    if (lcores <= 1) return 0;
    if (!by_hash) return static_cast<unsigned>(g % lcores);
    const Tuples::Tuple tu = tuples.of(g);
    if (!rss_reta.empty()) {
        // The queue the NIC's Toeplitz hash of the server's answer picks (from the
        // server to our address and port), and lcore i polls queue i.
        rte_ipv4_tuple t{};
        t.src_addr = server;
        t.dst_addr = tu.saddr;
        t.sport = tu.dport;
        t.dport = tu.sport;
        const uint32_t h =
            rte_softrss(reinterpret_cast<uint32_t *>(&t),
                        rss_l4 ? RTE_THASH_V4_L4_LEN : RTE_THASH_V4_L3_LEN, rss_key.data());
        return rss_reta[h % rss_reta.size()];
    }
    // What the pipeline's rx stage computes for the server's answer (and for ours:
    // the hash is symmetric).
    const uint32_t h =
        pipeline::detail::symmetric(tu.saddr, server, tu.sport, tu.dport, 0x0800u << 8 | 6);
    return pipeline::worker_of(h, lcores);
}

// ---------------------------------------------------------------- set-up

Generator::Generator(Shared &shared, const Settings &s, rte_mempool *pool, net::TxSink *out,
                     const uint8_t mac[6], uint64_t tsc_hz, uint64_t now_tsc)
    : sh_(shared),
      s_(s),
      pool_(pool),
      out_(out),
      base_tsc_(now_tsc),
      tsc_per_ms_(std::max<uint64_t>(tsc_hz / 1000, 1)),
      tsc_per_us_(std::max<uint64_t>(tsc_hz / 1000000, 1)),
      wheel_(0) {
    std::memcpy(mac_, mac, 6);
    if (sh_.by_hash) {
        for (uint64_t g = 0; g < sh_.total; ++g)
            owned_ += owns(g);
        open_cursor_ = work_cursor_ = txn_cursor_ = 0;
    } else {
        const uint64_t n = std::max(sh_.lcores, 1u);
        owned_ = s_.index < sh_.total ? (sh_.total - s_.index + n - 1) / n : 0;
        open_cursor_ = work_cursor_ = txn_cursor_ = s_.index;
    }
    c_.owned.store(owned_, std::memory_order_relaxed);
}

bool Generator::next_owned(uint64_t &cursor, uint64_t &g) const noexcept {
    if (!sh_.by_hash) {
        if (cursor >= sh_.total) return false;
        g = cursor;
        cursor += std::max(sh_.lcores, 1u);
        return true;
    }
    while (cursor < sh_.total) {
        g = cursor++;
        if (owns(g)) return true;
    }
    return false;
}

void Generator::set_time(uint64_t now) noexcept {
    if (now == now_tsc_) return;
    now_tsc_ = now;
    const uint64_t d = now - base_tsc_;
    tick_ = static_cast<uint32_t>(d / tsc_per_ms_);
    us_total_ = d / tsc_per_us_;
    now_us_ = static_cast<uint32_t>(us_total_);
}

bool Generator::server_mac(uint8_t mac[6]) const noexcept {
    const uint64_t v = sh_.server_mac.load(std::memory_order_relaxed);
    if (!v) return false;
    for (int i = 0; i < 6; ++i)
        mac[i] = static_cast<uint8_t>(v >> (8 * i));
    return true;
}

void Generator::stream_bytes(uint64_t seed, uint64_t g, uint64_t off, uint8_t *out,
                             uint32_t len) noexcept {
    const uint64_t key = pipeline::detail::mix64(seed ^ (g * 0x9e3779b97f4a7c15ull));
    uint64_t k = off / 8;
    uint64_t w = pipeline::detail::mix64(key ^ k);
    unsigned b = static_cast<unsigned>(off % 8);
    for (uint32_t i = 0; i < len; ++i) {
        out[i] = static_cast<uint8_t>(w >> (8 * b));
        if (++b == 8) {
            b = 0;
            w = pipeline::detail::mix64(key ^ ++k);
        }
    }
}

// ---------------------------------------------------------------- output

rte_mbuf *Generator::alloc(stats::Tally &t) noexcept {
    rte_mbuf *m = rte_pktmbuf_alloc(pool_);
    if (!m) [[unlikely]]
        t.add(Drop::gen_no_mbuf);
    return m;
}

void Generator::push(rte_mbuf *m) noexcept {
    net::clear_rx_flags(m);
    pushed_ = true;
    out_->push(m);
}

void Generator::send_ctl(uint64_t g, GenConn &c, rte_mbuf *m, uint32_t seq, uint8_t flags,
                         stats::Tally &t) noexcept {
    if (!m) m = alloc(t);
    if (!m) return;
    if (rte_pktmbuf_headroom(m) + kHdr > m->buf_len) {
        rte_pktmbuf_free(m);
        t.add(Drop::gen_no_mbuf);
        return;
    }
    m->data_len = kHdr;
    m->pkt_len = kHdr;
    const Tuples::Tuple tu = sh_.tuples.of(g);
    tcp::write_segment_headers(rte_pktmbuf_mtod(m, uint8_t *), mac_, tu.saddr, rmac_, sh_.server,
                               tu.dport, tu.sport, seq, (flags & kAck) ? c.rcv_nxt : 0, flags,
                               kWindow, 0, 0, 0);
    push(m);
}

void Generator::send_syn(uint64_t g, GenConn &c, stats::Tally &t) noexcept {
    rte_mbuf *m = alloc(t);
    if (!m) return;  // the timer tries again
    uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
    uint8_t *opt = f + kHdr;
    opt[0] = 2;  // MSS; no window scale (the window never closes), no SACK, no timestamps
    opt[1] = 4;
    wire::store16(opt + 2, s_.mss_limit);
    m->data_len = kHdr + 4;
    m->pkt_len = kHdr + 4;
    const Tuples::Tuple tu = sh_.tuples.of(g);
    tcp::write_segment_headers(f, mac_, tu.saddr, rmac_, sh_.server, tu.dport, tu.sport, c.iss, 0,
                               kSyn, kWindow, 4, 0, 0);
    push(m);
    bump(c_.syn_sent);
}

// Sends the transaction's bytes from snd_nxt on, in segments of at most one MSS.
void Generator::send_data(uint64_t g, GenConn &c, stats::Tally &t) noexcept {
    const Tuples::Tuple tu = sh_.tuples.of(g);
    while (seq_lt(c.snd_nxt, c.txn_end)) {
        const uint32_t len = std::min<uint32_t>(c.txn_end - c.snd_nxt, c.mss);
        rte_mbuf *m = alloc(t);
        if (!m) return;  // the timer sends it
        if (rte_pktmbuf_headroom(m) + kHdr + len > m->buf_len) {
            rte_pktmbuf_free(m);
            t.add(Drop::gen_no_mbuf);
            return;
        }
        uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
        stream_bytes(sh_.seed, g, c.snd_nxt - c.iss - 1, f + kHdr, len);
        m->data_len = static_cast<uint16_t>(kHdr + len);
        m->pkt_len = kHdr + len;
        tcp::write_segment_headers(f, mac_, tu.saddr, rmac_, sh_.server, tu.dport, tu.sport,
                                   c.snd_nxt, c.rcv_nxt, kAck | kPsh, kWindow, 0, len,
                                   wire::sum_native(f + kHdr, len));
        push(m);
        c.snd_nxt += len;
    }
}

// ---------------------------------------------------------------- timers

void Generator::arm(uint64_t g, GenConn &c, uint32_t ms) noexcept {
    (void)c;
    wheel_.arm([this](uint32_t i) -> tcp::TimerLink & { return sh_.conns[i].timer; },
               static_cast<uint32_t>(g), tick_ + ms);
}

void Generator::disarm(uint64_t g) noexcept {
    wheel_.cancel([this](uint32_t i) -> tcp::TimerLink & { return sh_.conns[i].timer; },
                  static_cast<uint32_t>(g));
}

void Generator::rtt(GenConn &c) noexcept {
    if (c.flags & gf::resent) return;  // Karn
    c.rto_ms =
        tcp::rto_from_sample(c.srtt_us, c.rttvar_us, !(c.flags & gf::sampled), now_us_ - c.sent_us);
    c.flags |= gf::sampled;
}

void Generator::fire(uint64_t g, stats::Tally &t) noexcept {
    GenConn &c = conn(g);
    const uint8_t limit = c.state == GState::syn_sent ? kSynRetries : kMaxRetries;
    if (++c.retries > limit) {
        Fail why = Fail::timeout;
        if (c.state == GState::syn_sent)
            why = Fail::syn_timeout;
        else if (c.state == GState::fin_wait)
            why = Fail::close_timeout;
        else if (c.snd_una == c.txn_end)
            why = Fail::txn_timeout;
        fail(g, c, why, c.state != GState::syn_sent, t);
        return;
    }
    c.rto_ms = static_cast<uint16_t>(std::min<uint32_t>(c.rto_ms * 2u, tcp::kRtoMaxMs));
    c.flags |= gf::resent;
    switch (c.state) {
        case GState::syn_sent:
            send_syn(g, c, t);
            bump(c_.retransmits);
            break;
        case GState::established:
            if (c.snd_una != c.txn_end) {  // go back: send again what is unacknowledged
                c.snd_nxt = c.snd_una;
                send_data(g, c, t);
                bump(c_.retransmits);
            }  // else the echo is late: the server's timer sends it again; we wait
            break;
        case GState::fin_wait:
            if (!(c.flags & gf::fin_acked)) {
                send_ctl(g, c, nullptr, c.snd_nxt - 1, kFin | kAck, t);
                bump(c_.retransmits);
            }
            break;
        default:
            return;
    }
    arm(g, c, c.rto_ms);
}

// ---------------------------------------------------------------- life of a connection

void Generator::open(uint64_t g, stats::Tally &t) noexcept {
    GenConn &c = conn(g);
    std::memset(static_cast<void *>(&c), 0, sizeof c);
    c.timer = tcp::TimerLink{};
    // RFC 6528: a clock (4 us) plus a keyed hash of the connection.
    c.iss = static_cast<uint32_t>(pipeline::detail::mix64(sh_.seed ^ ~g)) + now_us_ / 4;
    c.snd_una = c.snd_nxt = c.txn_end = c.iss + 1;
    c.rto_ms = tcp::kRtoInitialMs;
    c.mss = s_.mss_limit;
    c.state = GState::syn_sent;
    c.sent_us = now_us_;
    ++opened_;
    ++opening_;
    bump(c_.opening);
    send_syn(g, c, t);
    arm(g, c, c.rto_ms);
}

void Generator::start_txn(uint64_t g, GenConn &c, uint32_t due_us, bool sweep,
                          stats::Tally &t) noexcept {
    c.txn_end = c.snd_una + s_.txn_size;
    c.flags = static_cast<uint8_t>((c.flags | gf::txn | (sweep ? gf::sweep : 0)) & ~gf::resent);
    c.due_us = due_us;
    c.sent_us = now_us_;
    c.retries = 0;
    ++busy_;
    send_data(g, c, t);
    arm(g, c, c.rto_ms);
}

void Generator::end_txn(GenConn &c, bool ok) noexcept {
    const bool sweep = c.flags & gf::sweep;
    c.flags = static_cast<uint8_t>(c.flags & ~(gf::txn | gf::sweep));
    --busy_;
    if (ok) {
        bump(c_.txns);
        if (sweep) bump(c_.sweep_ok);
        c_.lat_due.add(now_us_ - c.due_us);
        c_.lat_sent.add(now_us_ - c.sent_us);
    } else if (sweep) {
        bump(c_.sweep_failed);
    }
}

void Generator::fail(uint64_t g, GenConn &c, Fail why, bool rst, stats::Tally &t) noexcept {
    if (c.flags & gf::txn) end_txn(c, false);
    if (rst) send_ctl(g, c, nullptr, c.snd_nxt, kRst | kAck, t);
    disarm(g);
    if (c.state == GState::syn_sent) {
        --opening_;
        ++settled_;
        bump(c_.opening, -1);
    }
    if (c.state == GState::fin_wait) --closing_;
    if (c.flags & gf::counted) bump(c_.concurrent, -1);
    c.flags = static_cast<uint8_t>(c.flags & ~gf::counted);
    c.state = GState::failed;
    bump(c_.failed[static_cast<size_t>(why)]);
}

void Generator::close(uint64_t g, GenConn &c, stats::Tally &t) noexcept {
    if (s_.close_rst) {
        send_ctl(g, c, nullptr, c.snd_nxt, kRst | kAck, t);
        c.state = GState::closed;
        c.flags = static_cast<uint8_t>(c.flags & ~gf::counted);
        bump(c_.concurrent, -1);
        bump(c_.closed);
        return;
    }
    send_ctl(g, c, nullptr, c.snd_nxt, kFin | kAck, t);
    c.snd_nxt += 1;
    c.state = GState::fin_wait;
    c.retries = 0;
    c.flags = static_cast<uint8_t>(c.flags & ~gf::resent);
    ++closing_;
    arm(g, c, c.rto_ms);
}

void Generator::finish_close(uint64_t g, GenConn &c) noexcept {
    disarm(g);
    --closing_;
    c.state = GState::closed;
    c.flags = static_cast<uint8_t>(c.flags & ~gf::counted);
    bump(c_.concurrent, -1);
    bump(c_.closed);
}

// ---------------------------------------------------------------- input

void Generator::input(rte_mbuf *m, uint32_t ip_total, uint64_t now, stats::Tally &t) noexcept {
    set_time(now);
    uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
    uint8_t *ip = f + 14;
    uint8_t *th = ip + 20;
    auto drop = [&](Drop d) {
        rte_pktmbuf_free(m);
        t.add(d);
    };
    uint32_t doff = 0;
    if (const Drop d = tcp::check_segment(ip, ip_total, net::rx_l4_csum(m), doff);
        d != Drop::count_)
        return drop(d);
    const uint32_t tlen = ip_total - 20;
    if (wire::load32(ip + 12) != sh_.server) return drop(Drop::gen_no_conn);
    uint64_t g = 0;
    if (!sh_.tuples.index(wire::load32(ip + 16), wire::load16(th + 2), wire::load16(th), g) ||
        g >= sh_.total)
        return drop(Drop::gen_no_conn);
    if (!owns(g)) return drop(Drop::gen_wrong_lcore);
    GenConn &c = conn(g);
    const uint8_t fl = th[13] & 0x3f;
    const uint32_t seq = wire::load32(th + 4);
    const uint32_t ack = wire::load32(th + 8);
    const uint8_t *payload = th + doff;
    const uint32_t plen = tlen - doff;
    t.add(Event::gen_seg_in);

    switch (c.state) {
        case GState::syn_sent: {
            if ((fl & kAck) && ack != c.iss + 1) return drop(Drop::gen_late);
            if (fl & kRst) {
                if (!(fl & kAck)) return drop(Drop::gen_late);
                rte_pktmbuf_free(m);
                fail(g, c, Fail::refused, false, t);
                return;
            }
            if ((fl & (kSyn | kAck)) != (kSyn | kAck)) return drop(Drop::gen_late);
            const tcp::SynOptions so = tcp::parse_syn_options(th + 20, th + doff);
            const uint32_t peer_mss = so.mss < 0 ? 536u : static_cast<uint32_t>(so.mss);
            c.mss = static_cast<uint16_t>(std::clamp<uint32_t>(
                peer_mss, std::min<uint32_t>(tcp::kMinMss, s_.mss_limit), s_.mss_limit));
            c.irs = seq;
            c.rcv_nxt = seq + 1;
            c.snd_una = c.snd_nxt = c.txn_end = c.iss + 1;
            rtt(c);
            c.flags = static_cast<uint8_t>((c.flags & ~gf::resent) | gf::counted);
            c.retries = 0;
            c.state = GState::established;
            disarm(g);
            --opening_;
            ++settled_;
            bump(c_.opening, -1);
            bump(c_.established);
            bump(c_.concurrent);
            const uint64_t cur = c_.concurrent.load(std::memory_order_relaxed);
            if (cur > c_.peak.load(std::memory_order_relaxed))
                c_.peak.store(cur, std::memory_order_relaxed);
            send_ctl(g, c, m, c.snd_nxt, kAck, t);
            return;
        }
        case GState::established:
        case GState::fin_wait:
            break;
        case GState::closed:
            // Our record stays: a FIN sent again (our last ACK was lost) is answered
            // as TIME_WAIT would answer it, so the server's side goes too.
            if ((fl & kFin) && !(fl & kRst) && seq + plen + 1 == c.rcv_nxt)
                return send_ctl(g, c, m, c.snd_nxt, kAck, t);
            return drop(Drop::gen_late);
        default:
            // A connection we no longer have (failed) or never opened: a RST, as a
            // host answers a segment for no connection (RFC 9293 3.10.7.1).
            if ((fl & kRst) || !(fl & kAck)) return drop(Drop::gen_late);
            t.add(Drop::gen_late);
            {
                const Tuples::Tuple tu = sh_.tuples.of(g);
                m->data_len = kHdr;
                m->pkt_len = kHdr;
                tcp::write_segment_headers(f, mac_, tu.saddr, rmac_, sh_.server, tu.dport, tu.sport,
                                           ack, 0, kRst, 0, 0, 0, 0);
                push(m);
            }
            return;
    }

    // Established or closing.
    if (fl & kRst) {
        if (!tcp::seq_in(seq, c.rcv_nxt, c.rcv_nxt + kWindow)) return drop(Drop::gen_late);
        rte_pktmbuf_free(m);
        fail(g, c, Fail::reset, false, t);
        return;
    }
    if (fl & kSyn) {  // the SYN-ACK again: our ACK was lost
        if ((fl & kAck) && seq + 1 == c.rcv_nxt && c.snd_nxt == c.iss + 1)
            return send_ctl(g, c, m, c.snd_nxt, kAck, t);
        return drop(Drop::gen_late);
    }
    if (!(fl & kAck)) return drop(Drop::gen_late);
    if (seq_gt(ack, c.snd_una) && seq_leq(ack, c.snd_nxt)) {
        c.snd_una = ack;
        c.retries = 0;
        if (c.state == GState::fin_wait && ack == c.snd_nxt) c.flags |= gf::fin_acked;
    }
    bool need_ack = false;
    if (plen > 0) {
        need_ack = true;
        if (seq_leq(seq, c.rcv_nxt) && seq_gt(seq + plen, c.rcv_nxt) && !(c.flags & gf::fin_rcvd)) {
            const uint32_t skip = c.rcv_nxt - seq;
            const uint32_t n = plen - skip;
            // Echoed bytes: offsets [o, o + n) of what we sent; past what we sent
            // they are all wrong.
            const uint64_t o = c.rcv_nxt - c.irs - 1;
            const uint64_t sent = c.txn_end - c.iss - 1;
            const uint32_t valid =
                o >= sent ? 0 : static_cast<uint32_t>(std::min<uint64_t>(n, sent - o));
            uint32_t bad = n - valid;
            uint8_t want[2048];
            for (uint32_t done = 0; done < valid;) {
                const uint32_t k = std::min<uint32_t>(valid - done, sizeof want);
                stream_bytes(sh_.seed, g, o + done, want, k);
                for (uint32_t i = 0; i < k; ++i)
                    bad += want[i] != payload[skip + done + i];
                done += k;
            }
            if (bad) {
                bump(c_.mismatched, bad);
                t.add(Event::gen_bytes_mismatched, bad);
            }
            c.rcv_nxt += n;
            t.add(Event::gen_bytes_verified, n);
        } else if (seq_gt(seq, c.rcv_nxt)) {
            t.add(Drop::gen_out_of_order);  // re-ACKed; the server sends it again
        }
    }
    if ((fl & kFin) && !(c.flags & gf::fin_rcvd)) {
        need_ack = true;
        if (seq + plen == c.rcv_nxt) {
            c.rcv_nxt += 1;
            c.flags |= gf::fin_rcvd;
        }
    }
    if ((c.flags & gf::txn) && c.snd_una == c.txn_end &&
        c.rcv_nxt - c.irs - ((c.flags & gf::fin_rcvd) ? 1u : 0u) == c.txn_end - c.iss) {
        rtt(c);
        end_txn(c, true);
        disarm(g);
    }
    if (c.state == GState::established && (c.flags & gf::fin_rcvd)) {
        // The server closed first (its idle timeout, a drain): not what we asked.
        rte_pktmbuf_free(m);
        fail(g, c, Fail::peer_closed, true, t);
        return;
    }
    if (c.state == GState::fin_wait && (c.flags & gf::fin_acked) && (c.flags & gf::fin_rcvd)) {
        send_ctl(g, c, m, c.snd_nxt, kAck, t);
        finish_close(g, c);
        return;
    }
    if (need_ack) return send_ctl(g, c, m, c.snd_nxt, kAck, t);
    rte_pktmbuf_free(m);
    if ((c.flags & gf::txn) && c.snd_una == c.txn_end) arm(g, c, c.rto_ms);  // echo progress
}

// ---------------------------------------------------------------- the phases

bool Generator::poll(uint64_t now, stats::Tally &t) noexcept {
    set_time(now);
    bool worked = false;
    if (tick_ != wheel_.now()) {
        wheel_.advance([this](uint32_t i) -> tcp::TimerLink & { return sh_.conns[i].timer; }, tick_,
                       [&](uint32_t g) { fire(g, t); });
        worked = true;
    }
    step_phase(t);
    c_.phase.store(static_cast<uint8_t>(phase_), std::memory_order_relaxed);
    worked |= pushed_;
    pushed_ = false;
    return worked;
}

void Generator::step_phase(stats::Tally &t) noexcept {
    uint32_t budget = kPollBudget;
    switch (phase_) {
        case Phase::resolving:
            if (!server_mac(rmac_)) return;
            have_rmac_ = true;
            open_start_us_ = us_total_;
            phase_ = Phase::opening;
            [[fallthrough]];
        case Phase::opening: {
            uint64_t allowed;
            if (s_.cps) {
                const uint64_t due = (us_total_ - open_start_us_) * s_.cps / 1000000 + 1;
                allowed = due > opened_ ? due - opened_ : 0;
            } else {
                allowed = s_.max_opening > opening_ ? s_.max_opening - opening_ : 0;
            }
            allowed = std::min<uint64_t>(allowed, budget);
            uint64_t g = 0;
            while (allowed-- && opened_ < owned_ && next_owned(open_cursor_, g))
                open(g, t);
            if (settled_ < owned_) return;
            phase_ = Phase::waiting;
            sh_.opened.fetch_add(1, std::memory_order_acq_rel);
            [[fallthrough]];
        }
        case Phase::waiting:
            if (sh_.opened.load(std::memory_order_acquire) < sh_.lcores) return;
            phase_ = Phase::holding;
            hold_start_ms_ = tick_;
            hold_start_us_ = us_total_;
            txns_issued_ = 0;
            [[fallthrough]];
        case Phase::holding: {
            const bool over = tick_ - hold_start_ms_ >= s_.hold_ms;
            if (s_.txn_rate && !over) {
                const uint64_t due = (us_total_ - hold_start_us_) * s_.txn_rate / 1000000;
                // Each transaction is due at its place in the schedule: latency from
                // then counts the wait for a free connection too (no coordinated
                // omission).
                for (uint32_t scans = 0; txns_issued_ < due && budget && scans < 4 * kPollBudget;
                     ++scans) {
                    uint64_t g = 0;
                    if (!next_owned(txn_cursor_, g)) {
                        txn_cursor_ = sh_.by_hash ? 0 : s_.index;
                        continue;
                    }
                    GenConn &c = conn(g);
                    if (c.state != GState::established || (c.flags & gf::txn)) continue;
                    const uint64_t due_us = hold_start_us_ + txns_issued_ * 1000000 / s_.txn_rate;
                    start_txn(g, c, static_cast<uint32_t>(due_us), false, t);
                    ++txns_issued_;
                    --budget;
                }
            }
            if (!over || busy_) return;
            work_cursor_ = sh_.by_hash ? 0 : s_.index;
            phase_ = s_.sweep ? Phase::sweeping : Phase::closing;
            return;
        }
        case Phase::sweeping:
            for (uint32_t scans = 0; budget && busy_ < s_.max_busy && scans < 16 * kPollBudget;
                 ++scans) {
                uint64_t g = 0;
                if (!next_owned(work_cursor_, g)) break;
                GenConn &c = conn(g);
                if (c.state != GState::established) continue;
                start_txn(g, c, now_us_, true, t);
                --budget;
            }
            if (work_cursor_ < sh_.total || busy_) return;
            work_cursor_ = sh_.by_hash ? 0 : s_.index;
            phase_ = Phase::closing;
            return;
        case Phase::closing:
            for (uint32_t scans = 0; budget && closing_ < s_.max_busy && scans < 16 * kPollBudget;
                 ++scans) {
                uint64_t g = 0;
                if (!next_owned(work_cursor_, g)) break;
                GenConn &c = conn(g);
                if (c.state != GState::established) continue;
                close(g, c, t);
                --budget;
            }
            if (work_cursor_ < sh_.total || closing_) return;
            phase_ = Phase::done;
            sh_.done.fetch_add(1, std::memory_order_acq_rel);
            return;
        case Phase::done:
            return;
    }
}

}  // namespace c10m::gen
