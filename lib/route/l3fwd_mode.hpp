#pragma once

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <cstring>

#include "host/echo_mode.hpp"
#include "net/rx_csum.hpp"
#include "net/tx_sink.hpp"
#include "pipeline/mode.hpp"
#include "route/fast_x4.hpp"
#include "route/fib.hpp"
#include "route/neighbours.hpp"
#include "route/router.hpp"
#include "wire/bytes.hpp"

namespace c10m::route {

// --forward-mode=l3fwd: an IPv4 router (RFC 1812) between the forwarding ports.
// classify() (router.hpp) decides; a forwarded packet is rewritten in its own mbuf
// (TTL, checksum, MACs) and pushed to the egress port's tx buffer, or waits in the
// neighbour table while its next hop is resolved; host replies and ICMP errors are
// built over the packet that caused them and leave by the port it came in on.
struct L3fwd : pipeline::ModeBase {
    static constexpr const char *kName = "l3fwd";
    static constexpr bool kRepliesOnRxPort = true;  // host replies and ICMP errors
    static constexpr bool kTxAnyPort = true;        // forwarded packets: any port

    // A gateway next hop as a forward found it usable in the current generation
    // (Lcore::gen): its neighbour entry and egress buffer. One per next hop of the
    // route table, indexed as its entries name it: one() and adopt() find a gateway's
    // neighbour here without a hash lookup, and the four-wide path routes groups whose
    // frames go to different gateways.
    struct HopSlot {
        const Neighbours::Entry *e = nullptr;
        net::TxSink *out = nullptr;
        uint64_t gen = 0;  // valid while it equals Lcore::gen
    };

    struct Lcore {
        RouterView view;  // ports, addresses and the socket's route table
        Neighbours neigh;
        host::EchoLcore icmp;  // rate limits: errors (--icmp-rate), echo replies
        net::TxSink *out[RTE_MAX_ETHPORTS] = {};
        rte_mempool *pool = nullptr;  // for ARP requests
        int socket = -1;
        uint16_t ip_id = 0;  // of the packets it originates
        uint64_t next_scan = 0, scan_period = 0;
        uint32_t pushed = 0;  // packets the slow path pushed (poll's return)
        // The gateway the last burst ended with (Burst::hop), as a first guess for the
        // next; a route's next hop, stable while the table lives.
        const Nexthop *last_hop = nullptr;
        // A slot filled in this generation is as one() would find it: the generation
        // ends whenever the neighbour table may change (a packet on the slow path, ARP
        // requests sent at a burst's end, a timer scan) and when the earliest deadline
        // of a slot's neighbour entry comes (slots_until).
        uint64_t gen = 1;
        uint64_t slots_until = 0;
        HopSlot *hops = nullptr;  // lpm's nb_nexthops(), on the lcore's socket
    };
    struct Stream {
        uint16_t port = 0;
        bool announces = false;
        bool csum_flags = false;  // its rx port's PMD can flag IPv4 header checksums
    };

    // Set-up and teardown (l3fwd_mode.cpp).
    static void init(Lcore &l, const pipeline::LcoreEnv &env);
    static void init(Lcore &l, Stream &s, const pipeline::StreamEnv &env);
    static void fini(Lcore &l) noexcept;
    static void release(Lcore &l) noexcept;
    static void report(const Lcore &l, stats::Sample &s);
    static uint32_t held_mbufs_per_lcore(const config::AppConfig &cfg);

    // The slow paths, out of line (l3fwd_mode.cpp). Those that return true leave the
    // packet rewritten in place, to go back out of the rx port.
    static void forward_slow(Lcore &l, Neighbours::Entry *e, rte_mbuf *m, uint8_t *f,
                             const Decision &d, uint16_t rx_port, net::TxSink &tx, uint64_t now,
                             stats::Tally &t, rte_mbuf **kept_at, uint16_t &kept) noexcept;
    static bool error(Lcore &l, rte_mbuf *m, uint8_t *f, const Decision &d, uint16_t rx_port,
                      uint64_t now, stats::Tally &t) noexcept;
    static bool local(Lcore &l, rte_mbuf *m, uint8_t *f, const Decision &d, uint16_t rx_port,
                      uint64_t now, stats::Tally &t) noexcept;
    static bool arp(Lcore &l, rte_mbuf *m, uint8_t *f, uint16_t rx_port, uint64_t now,
                    stats::Tally &t) noexcept;
    static void service(Lcore &l, Neighbours::Entry &e, uint64_t now, stats::Tally &t) noexcept;

    // Frames' bytes are asked for this many ahead (two groups of four); their route
    // table entries one group ahead, when a group goes one at a time.
    static constexpr uint16_t kPrefetchAhead = 8;

    [[gnu::always_inline]] static inline void prefetch_route(const Lcore &l,
                                                             const rte_mbuf *m) noexcept {
        if (rte_pktmbuf_data_len(m) < 34) [[unlikely]]
            return;
        l.view.lpm->prefetch(wire::load32(rte_pktmbuf_mtod(m, const uint8_t *) + 30));
    }

    // Sends a forwarded packet to its egress buffer o; one that leaves by the rx port
    // (o is the rx buffer, tx) stays in place, compacted to the front of kept_at.
    [[gnu::always_inline]] static inline void emit(rte_mbuf *m, net::TxSink *o,
                                                   const net::TxSink &tx, rte_mbuf **kept_at,
                                                   uint16_t &kept) noexcept {
        if (o == &tx)
            kept_at[kept++] = m;
        else
            o->push(m);
    }

    // The forward path's rewrite: TTL - 1 and its checksum, the MACs (the neighbour
    // entry's 12 bytes: its MAC, then the egress port's), Ethernet padding trimmed.
    [[gnu::always_inline]] static inline void rewrite(rte_mbuf *m, uint8_t *f, uint32_t total,
                                                      const Neighbours::Entry &e) noexcept {
        decrement_ttl(f + 14);
        std::memcpy(f, e.mac, 12);
        m->data_len = static_cast<uint16_t>(14 + total);
        m->pkt_len = m->data_len;
        net::clear_rx_flags(m);
    }

    // What the handling of one burst carries from packet to packet: its counts, and
    // the gateway next hop the last forward went to, with its neighbour entry (usable
    // at this burst's `now`) and egress buffer, so that the next packet routed there
    // skips the neighbour lookup. Whatever takes the slow path may change the
    // neighbour table, so it forgets them.
    struct Burst {
        uint16_t kept = 0, forwarded = 0;
        const Nexthop *hop = nullptr;
        const Neighbours::Entry *e = nullptr;
        net::TxSink *out = nullptr;
        uint32_t entry = 0;  // hop's first-level route table entry (Lpm::entry_of)
        uint16_t mtu = 0;    // hop's fast_mtu
    };

    // The burst's gateway becomes nh, with its neighbour entry e and egress buffer o.
    [[gnu::always_inline]] static inline void take(const Lcore &l, Burst &b, const Nexthop *nh,
                                                   const Neighbours::Entry *e,
                                                   net::TxSink *o) noexcept {
        b.hop = nh;
        b.e = e;
        b.out = o;
        b.entry = l.view.lpm->entry_of(nh);
        b.mtu = nh->fast_mtu;
    }

    [[gnu::always_inline]] static inline HopSlot &slot(Lcore &l, const Nexthop *nh) noexcept {
        return l.hops[l.view.lpm->entry_of(nh) & 0xffffff];
    }

    // take(), for a gateway whose neighbour entry was just found usable, and its slot.
    [[gnu::always_inline]] static inline void remember(Lcore &l, Burst &b, const Nexthop *nh,
                                                       const Neighbours::Entry *e,
                                                       net::TxSink *o) noexcept {
        take(l, b, nh, e, o);
        slot(l, nh) = HopSlot{e, o, l.gen};
        if (e->deadline < l.slots_until) l.slots_until = e->deadline;
    }

    [[gnu::always_inline]] static inline void new_generation(Lcore &l) noexcept {
        ++l.gen;
        l.slots_until = UINT64_MAX;
    }

    // The last burst's gateway, for this one, if its neighbour entry is usable as
    // one() would find it for a first packet routed there: no frame in the burst has
    // been seen, so nothing has changed the table since.
    static inline void adopt(Lcore &l, Burst &b, const Nexthop *nh, uint64_t now) noexcept {
        if (const HopSlot &h = slot(l, nh); h.gen == l.gen) {
            take(l, b, nh, h.e, h.out);
            return;
        }
        Neighbours::Entry *e = l.neigh.find_cached(nh->port, nh->gateway);
        if (e && now < e->deadline && e->fresh()) remember(l, b, nh, e, l.out[nh->port]);
    }

    // A port whose PMD cannot flag checksums gets a loop that does not read them:
    // it verifies every header itself, as it would on the flags' "unknown".
    static inline void handle(Lcore &l, Stream &s, rte_mbuf **pkts, uint16_t n, net::TxSink &tx,
                              uint64_t now, stats::Tally &t) noexcept {
        if (s.csum_flags)
            burst<true>(l, s, pkts, n, tx, now, t);
        else
            burst<false>(l, s, pkts, n, tx, now, t);
    }

    template <bool kFlags>
    [[gnu::always_inline]] static inline void burst(Lcore &l, Stream &s, rte_mbuf **pkts,
                                                    uint16_t n, net::TxSink &tx, uint64_t now,
                                                    stats::Tally &t) noexcept {
        Burst b;
        if (now >= l.slots_until) [[unlikely]]
            new_generation(l);
        if (l.last_hop) adopt(l, b, l.last_hop, now);
        const PortIf &in = l.view.ports[s.port];
        for (uint16_t i = 0; i < n && i < kPrefetchAhead; ++i)
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
        for (uint16_t i = 0; i < n && i < 4; ++i)
            prefetch_route(l, pkts[i]);
        // One at a time until a forward names the burst's gateway, then four at a
        // time; a group that is not four plain forwards there goes one at a time,
        // with the next group's route entries asked for meanwhile. Either way frame
        // i + kPrefetchAhead is asked for when frame i is taken.
        uint16_t i = 0;
        while (i + 4 <= n) {
            if (b.hop) [[likely]] {
                if (i + kPrefetchAhead + 4 <= n) [[likely]] {
                    for (uint16_t k = 0; k < 4; ++k)
                        rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead + k], void *));
                } else {
                    for (uint16_t k = i + kPrefetchAhead; k < n; ++k)
                        rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));
                }
                if (four<kFlags>(l, in, pkts + i, pkts, b, tx)) [[likely]] {
                    i = static_cast<uint16_t>(i + 4);
                    continue;
                }
                for (uint16_t k = 0; k < 4; ++k) {
                    if (i + 4 + k < n) prefetch_route(l, pkts[i + 4 + k]);
                    one<kFlags>(l, s, in, pkts[i + k], pkts, b, tx, now, t);
                }
                i = static_cast<uint16_t>(i + 4);
            } else {
                if (i + kPrefetchAhead < n)
                    rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void *));
                if (i + 4 < n) prefetch_route(l, pkts[i + 4]);
                one<kFlags>(l, s, in, pkts[i], pkts, b, tx, now, t);
                ++i;
            }
        }
        for (; i < n; ++i)
            one<kFlags>(l, s, in, pkts[i], pkts, b, tx, now, t);
        if (b.hop) l.last_hop = b.hop;
        tx.count = static_cast<uint16_t>(tx.count + b.kept);
        if (b.forwarded) t.add(stats::Event::l3_forwarded, b.forwarded);
        // ARP requests and packets released by an ARP reply, now that the rx port's
        // buffer is compacted.
        bool serviced = false;
        l.neigh.drain_queue([&](Neighbours::Entry &e) {
            serviced = true;
            service(l, e, now, t);
        });
        if (serviced) [[unlikely]]
            new_generation(l);
    }

    // Four packets' fate, when they are plain forwards to the burst's gateway b.hop
    // (judge_x4, fast_x4.hpp): rewritten and sent as one() would, and true. Otherwise
    // false, and nothing done.
    template <bool kFlags>
    [[gnu::always_inline]] static inline bool four(Lcore &l, const PortIf &in, rte_mbuf **at,
                                                   rte_mbuf **pkts, Burst &b,
                                                   net::TxSink &tx) noexcept {
        rte_mbuf *const m[4] = {at[0], at[1], at[2], at[3]};
        if ((m[0]->nb_segs | m[1]->nb_segs | m[2]->nb_segs | m[3]->nb_segs) != 1) return false;
        if constexpr (kFlags) {
            if (net::rx_ip_csum(m[0]) == net::Csum::bad ||
                net::rx_ip_csum(m[1]) == net::Csum::bad ||
                net::rx_ip_csum(m[2]) == net::Csum::bad || net::rx_ip_csum(m[3]) == net::Csum::bad)
                return false;
        }
        // Their lengths: data_len, which is pkt_len in a single segment (the invariant
        // rte_mbuf_check holds mbufs to), so rewrite()'s length stores would be no-ops.
        __m128i len = _mm_cvtsi32_si128(m[0]->data_len);
        len = _mm_insert_epi16(len, m[1]->data_len, 2);
        len = _mm_insert_epi16(len, m[2]->data_len, 4);
        len = _mm_insert_epi16(len, m[3]->data_len, 6);
        uint8_t *const f[4] = {rte_pktmbuf_mtod(m[0], uint8_t *), rte_pktmbuf_mtod(m[1], uint8_t *),
                               rte_pktmbuf_mtod(m[2], uint8_t *),
                               rte_pktmbuf_mtod(m[3], uint8_t *)};
        FourFrames x;
        const Judged j = judge_x4(f, len, in, l.view, b.entry, b.mtu, x);
        if (j == Judged::one_hop) [[likely]] {
            const uint8_t *const macs[4] = {b.e->mac, b.e->mac, b.e->mac, b.e->mac};
            rewrite_x4(x, macs);
            for (int k = 0; k < 4; ++k)
                net::clear_rx_flags(m[k]);
            if (b.out == &tx) {  // out of the rx port: kept in place, as emit() does
                std::memmove(pkts + b.kept, at, 4 * sizeof(rte_mbuf *));
                b.kept = static_cast<uint16_t>(b.kept + 4);
            } else {
                b.out->push4(at);
            }
        } else if (j == Judged::no || !mixed(l, x, m, at, pkts, b, tx)) {
            return false;
        }
        b.forwarded = static_cast<uint16_t>(b.forwarded + 4);
        return true;
    }

    // Four plain forwards whose routes differ (judge_x4 said mixed, each within the
    // smallest MTU): taken when each lane's route is a gateway found usable in this
    // generation (a slot in l.hops), as one() would send it there; then rewritten and
    // sent, and true. Otherwise false, and nothing done. One branch for each test of
    // the four: a per-lane loop of them cost 18 instructions a packet.
    [[gnu::always_inline]] static inline bool mixed(Lcore &l, const FourFrames &x,
                                                    rte_mbuf *const m[4], rte_mbuf **at,
                                                    rte_mbuf **pkts, Burst &b,
                                                    net::TxSink &tx) noexcept {
        // Valid and not extended to a second level: the low 24 bits index nexthops.
        const __m128i e = x.entries;
        if (_mm_movemask_epi8(
                _mm_cmpeq_epi32(_mm_and_si128(e, _mm_set1_epi32(RTE_LPM_VALID_EXT_ENTRY_BITMASK)),
                                _mm_set1_epi32(RTE_LPM_LOOKUP_SUCCESS))) != 0xffff)
            return false;
        const __m128i idx = _mm_and_si128(e, _mm_set1_epi32(0xffffff));
        const HopSlot *const h[4] = {
            &l.hops[_mm_cvtsi128_si32(idx)], &l.hops[_mm_extract_epi32(idx, 1)],
            &l.hops[_mm_extract_epi32(idx, 2)], &l.hops[_mm_extract_epi32(idx, 3)]};
        if (((h[0]->gen ^ l.gen) | (h[1]->gen ^ l.gen) | (h[2]->gen ^ l.gen) |
             (h[3]->gen ^ l.gen)) != 0)
            return false;
        const uint8_t *const macs[4] = {h[0]->e->mac, h[1]->e->mac, h[2]->e->mac, h[3]->e->mac};
        rewrite_x4(x, macs);
        for (int k = 0; k < 4; ++k)
            net::clear_rx_flags(m[k]);
        if (h[0]->out == h[1]->out && h[0]->out == h[2]->out && h[0]->out == h[3]->out &&
            h[0]->out != &tx) {
            h[0]->out->push4(at);
        } else {
            for (int k = 0; k < 4; ++k)
                emit(m[k], h[k]->out, tx, pkts, b.kept);
        }
        return true;
    }

    // One packet's fate. Kept packets (host replies, ICMP errors, forwards out of the
    // rx port) are compacted to the front of pkts.
    template <bool kFlags>
    [[gnu::always_inline]] static inline void one(Lcore &l, Stream &s, const PortIf &in,
                                                  rte_mbuf *m, rte_mbuf **pkts, Burst &b,
                                                  net::TxSink &tx, uint64_t now,
                                                  stats::Tally &t) noexcept {
        if (m->nb_segs != 1) [[unlikely]] {
            rte_pktmbuf_free(m);
            t.add(stats::Drop::multi_segment);
            return;
        }
        auto *f = rte_pktmbuf_mtod(m, uint8_t *);
        const uint32_t len = rte_pktmbuf_data_len(m);
        const net::Csum ipcsum = kFlags ? net::rx_ip_csum(m) : net::Csum::unknown;
        uint32_t dst, total;
        if (const Nexthop *nh = fast_path(f, len, in, l.view, ipcsum, dst, total)) [[likely]] {
            if (nh == b.hop) [[likely]] {
                rewrite(m, f, total, *b.e);
                ++b.forwarded;
                emit(m, b.out, tx, pkts, b.kept);
                return;
            }
            // Another gateway this generation found usable.
            if (const HopSlot &h = slot(l, nh); h.gen == l.gen) [[likely]] {
                rewrite(m, f, total, *h.e);
                ++b.forwarded;
                emit(m, h.out, tx, pkts, b.kept);
                take(l, b, nh, h.e, h.out);
                return;
            }
            // Read before the frame is written: a store through uint8_t * may
            // alias anything, and the compiler would load these again.
            const uint16_t out = nh->port;
            const uint32_t gateway = nh->gateway;
            Neighbours::Entry *e = l.neigh.find_cached(out, gateway ? gateway : dst);
            if (e && now < e->deadline && e->fresh()) [[likely]] {
                rewrite(m, f, total, *e);
                ++b.forwarded;
                net::TxSink *o = l.out[out];
                emit(m, o, tx, pkts, b.kept);
                if (gateway) remember(l, b, nh, e, o);
                return;
            }
        }
        b.hop = nullptr;
        new_generation(l);
        // Everything else, and a next hop not yet usable: the full decision.
        const Decision d = classify(f, len, s.port, l.view, ipcsum);
        if (d.fate == Fate::forward) {
            Neighbours::Entry *e = l.neigh.find_cached(d.port, d.hop);
            if (e && now < e->deadline && e->fresh() && !d.options) {
                rewrite(m, f, d.total, *e);
                ++b.forwarded;
                emit(m, l.out[d.port], tx, pkts, b.kept);
            } else {
                forward_slow(l, e, m, f, d, s.port, tx, now, t, pkts, b.kept);
            }
            return;
        }
        bool keep;
        switch (d.fate) {
            case Fate::local:
                keep = local(l, m, f, d, s.port, now, t);
                break;
            case Fate::arp:
                keep = arp(l, m, f, s.port, now, t);
                break;
            case Fate::error:
                keep = error(l, m, f, d, s.port, now, t);
                break;
            default:
                t.add(d.drop);
                keep = false;
                break;
        }
        if (keep)
            pkts[b.kept++] = m;
        else
            rte_pktmbuf_free(m);
    }

    // Neighbour timers: ARP retries and probes, failures, ageing; a scan of the table
    // every scan_period (an inline compare until then).
    static inline bool poll(Lcore &l, uint64_t now, stats::Tally &t) noexcept {
        if (now < l.next_scan) [[likely]]
            return false;
        l.next_scan = now + l.scan_period;
        new_generation(l);
        l.pushed = 0;
        l.neigh.for_each_due(now, [&](Neighbours::Entry &e) { service(l, e, now, t); });
        return l.pushed != 0;
    }

    // A gratuitous ARP for the stream's port when the loop starts, as echo sends.
    static inline void announce(Lcore &l, Stream &s, net::TxSink &tx, rte_mempool *pool,
                                stats::Tally &t) noexcept {
        if (s.announces) host::send_garp(l.view.ports[s.port].host, tx, pool, t);
    }
};

}  // namespace c10m::route
