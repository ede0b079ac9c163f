#pragma once

// The router's neighbour table (ARP cache), one per lcore (per worker in pipeline
// mode), so it needs no lock: each lcore resolves and ages its own next hops. It is
// bounded (kEntries, set-associative, kWays per bucket), allocates nothing, and keeps
// a few packets per unresolved next hop (kHoldPerEntry, as the kernel's unres_qlen)
// and at most kMaxHeld in all. The states follow the kernel's NUD machine, reduced:
//
//   incomplete  ARP requests broadcast every `retrans`, kProbes of them; packets wait.
//               No answer: failed (the mode answers what waited with host unreachable).
//   reachable   confirmed by an ARP from it within `reachable`.
//   stale       not confirmed lately; still used. Used while stale: probe.
//   probe       unicast ARP requests every `retrans`, kProbes of them, still used;
//               no answer: the entry goes, and the next packet resolves it anew.
//   permanent   --neighbor: never aged, never changed by ARP.
//
// Stale entries nobody uses go after `gc_stale`. The table decides; the mode sends
// (it owns mbufs, ports and the ICMP errors): work() says what an entry needs now.
#include <rte_mbuf.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace c10m::route {

class Neighbours {
  public:
    static constexpr uint32_t kWays = 4;
    static constexpr uint32_t kBuckets = 256;
    static constexpr uint32_t kEntries = kWays * kBuckets;
    static constexpr uint8_t kHoldPerEntry = 4;
    static constexpr uint32_t kMaxHeld = 1024;
    static constexpr uint8_t kProbes = 3;  // the kernel's mcast_solicit and ucast_solicit

    // Ordered so that usable() and fresh() are one compare each.
    enum class State : uint8_t { free, incomplete, stale, probe, reachable, permanent };

    struct alignas(64) Entry {
        uint32_t ip = 0;
        uint16_t port = 0;
        State state = State::free;
        uint8_t probes = 0;  // ARP requests sent in this resolution or probe
        // A forwarded frame's new Ethernet addresses, as they are written: the
        // neighbour's MAC, then the egress port's (one 8- and one 4-byte copy).
        uint8_t mac[6] = {};
        uint8_t port_mac[6] = {};
        uint8_t nheld = 0;
        bool queued = false;    // on the work list
        uint64_t deadline = 0;  // TSC of the next step (see work)
        rte_mbuf *held[kHoldPerEntry] = {};

        bool usable() const noexcept { return state >= State::stale; }
        // Used as it is, nothing to do (with a deadline still ahead: a permanent
        // entry's is never reached).
        bool fresh() const noexcept { return state >= State::reachable; }
    };
    static_assert(sizeof(Entry) == 64);
    static_assert(offsetof(Entry, port_mac) == offsetof(Entry, mac) + 6);

    struct Timers {
        uint64_t retrans = 0;    // between ARP requests (kernel: 1 s)
        uint64_t reachable = 0;  // confirmed for (kernel: 15-45 s)
        uint64_t gc_stale = 0;   // unused stale entries kept (kernel: 60 s)
    };

    void configure(const Timers &t) noexcept { t_ = t; }
    // The MAC of a port, copied into the entries created for it.
    void set_port_mac(uint16_t port, const uint8_t mac[6]) noexcept {
        std::memcpy(port_macs_[port], mac, 6);
    }
    const Timers &timers() const noexcept { return t_; }

    // The entry for (port, ip), or nullptr; the last one found is remembered, since
    // a burst's packets mostly share their next hop (a gateway).
    [[gnu::always_inline]] Entry *find_cached(uint16_t port, uint32_t ip) noexcept {
        const uint64_t k = key(port, ip);
        if (k == last_key_) [[likely]]
            return last_;
        Entry *e = find(port, ip);
        if (e) {
            last_key_ = k;
            last_ = e;
        }
        return e;
    }

    // The entry for (port, ip), or nullptr.
    [[gnu::always_inline]] Entry *find(uint16_t port, uint32_t ip) noexcept {
        const uint64_t k = key(port, ip);
        const uint32_t b = bucket(port, ip) * kWays;
        for (uint32_t w = 0; w < kWays; ++w)
            if (keys_[b + w] == k) return &entries_[b + w];
        return nullptr;
    }

    // A new entry for (port, ip), which must not exist: a free way of its bucket, or
    // (evict) the way whose next step is soonest among those nobody waits on and not
    // permanent. nullptr when the bucket has no room.
    Entry *create(uint16_t port, uint32_t ip, State st, uint64_t deadline, bool evict) noexcept {
        const uint32_t b = bucket(port, ip) * kWays;
        Entry *victim = nullptr;
        for (uint32_t w = 0; w < kWays; ++w) {
            Entry &e = entries_[b + w];
            if (e.state == State::free) {
                victim = &e;
                break;
            }
            if (!evict || e.state == State::permanent || e.state == State::incomplete || e.queued)
                continue;
            if (!victim || e.deadline < victim->deadline) victim = &e;
        }
        if (!victim) return nullptr;
        if (victim->state != State::free) release(*victim);
        forget_last();
        victim->ip = ip;
        victim->port = port;
        victim->state = st;
        victim->probes = 0;
        victim->nheld = 0;
        victim->queued = false;
        victim->deadline = deadline;
        std::memset(victim->mac, 0, 6);
        std::memcpy(victim->port_mac, port_macs_[port], 6);
        keys_[victim - entries_] = key(port, ip);
        ++live_;
        return victim;
    }

    // An ARP from the entry's address: reachable until now + reachable.
    void confirm(Entry &e, const uint8_t mac[6], uint64_t now) noexcept {
        if (e.state == State::permanent) return;
        std::memcpy(e.mac, mac, 6);
        e.state = State::reachable;
        e.probes = 0;
        e.deadline = now + t_.reachable;
    }

    // Keeps m until the entry resolves. When its queue is full the oldest gives way:
    // returned, for the caller to free and count (nullptr otherwise). Returns m itself
    // when the lcore holds kMaxHeld already.
    rte_mbuf *hold(Entry &e, rte_mbuf *m) noexcept {
        if (held_ >= kMaxHeld) return m;
        if (e.nheld < kHoldPerEntry) {
            e.held[e.nheld++] = m;
            ++held_;
            return nullptr;
        }
        rte_mbuf *oldest = e.held[0];
        std::memmove(e.held, e.held + 1, sizeof(rte_mbuf *) * (kHoldPerEntry - 1));
        e.held[kHoldPerEntry - 1] = m;
        return oldest;
    }

    // Hands the entry's held packets, oldest first, to out; returns how many.
    uint8_t take_held(Entry &e, rte_mbuf **out) noexcept {
        const uint8_t n = e.nheld;
        std::memcpy(out, e.held, sizeof(rte_mbuf *) * n);
        e.nheld = 0;
        held_ -= n;
        return n;
    }

    // Empties the entry (its held packets must have been taken).
    void remove(Entry &e) noexcept {
        forget_last();
        release(e);
        e.state = State::free;
        keys_[&e - entries_] = 0;
        --live_;
    }

    // Puts an entry on the work list, once: the mode runs work() on it after the
    // burst (it may not send on the rx port's buffer while it is being compacted).
    void queue(Entry &e) noexcept {
        if (e.queued) return;
        e.queued = true;
        pending_[npending_++] = static_cast<uint16_t>(&e - entries_);
    }

    // Calls fn(entry) for each queued entry, and empties the list.
    template <class Fn>
    void drain_queue(Fn &&fn) {
        for (uint32_t i = 0; i < npending_; ++i) {
            Entry &e = entries_[pending_[i]];
            e.queued = false;
            fn(e);
        }
        npending_ = 0;
    }

    // Calls fn(entry) for each live entry whose deadline passed.
    template <class Fn>
    void for_each_due(uint64_t now, Fn &&fn) {
        if (live_ == 0) return;
        for (uint32_t i = 0; i < kEntries; ++i) {
            Entry &e = entries_[i];
            if (e.state != State::free && e.state != State::permanent && now >= e.deadline) fn(e);
        }
    }

    // Every held packet, for teardown.
    template <class Fn>
    void for_each_held(Fn &&fn) {
        for (auto &e : entries_)
            for (uint8_t i = 0; i < e.nheld; ++i)
                fn(e.held[i]);
    }

    uint32_t live() const noexcept { return live_; }
    uint32_t held() const noexcept { return held_; }

  private:
    static uint64_t key(uint16_t port, uint32_t ip) noexcept {
        return uint64_t{1} << 48 | uint64_t{port} << 32 | ip;
    }
    static uint32_t bucket(uint16_t port, uint32_t ip) noexcept {
        return ((ip ^ (uint32_t{port} << 24)) * 2654435761u) >> 24;  // top 8 bits
    }
    static_assert(kBuckets == 256, "bucket() takes the top 8 bits");
    void forget_last() noexcept {
        last_key_ = 0;
        last_ = nullptr;
    }
    void release(Entry &e) noexcept {
        held_ -= e.nheld;
        e.nheld = 0;  // the caller took them (remove) or they were none (evict)
    }

    Timers t_;
    uint8_t port_macs_[RTE_MAX_ETHPORTS][6] = {};
    uint64_t last_key_ = 0;  // find_cached's last hit (0: none)
    Entry *last_ = nullptr;
    uint64_t keys_[kEntries] = {};  // per way: 0 when free, else key(port, ip)
    Entry entries_[kEntries];
    uint16_t pending_[kEntries] = {};
    uint32_t npending_ = 0;
    uint32_t live_ = 0;
    uint32_t held_ = 0;
};

}  // namespace c10m::route
