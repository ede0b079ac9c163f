#pragma once

// A two-level hierarchical timer wheel (Varghese and Lauck, scheme 7) for one
// lcore. Level 0 has kSlots slots of one tick; level 1 has kSlots1 slots of one
// level-0 turn (kSlots ticks) each. An entry due within a turn goes to level 0, a
// later one to level 1; when a turn begins, its level-1 slot is cascaded: entries
// due within that turn move to level 0, and entries a whole level-1 revolution or
// more away stay. So an idle entry (a connection's idle timer, seconds away) is
// touched when armed, once when cascaded and once when it fires, instead of once
// per level-0 turn as in a single-level wheel; each level-0 slot holds entries of
// one expiry only, so a visit finds only due entries.
//
// Entries are records elsewhere (the flow table's), linked through a TimerLink
// they embed, by index: arm, cancel and fire are O(1) per entry, and no memory is
// allocated. Ticks are 32-bit and wrap; advance() walks the ticks it is given one
// by one (callers advance every few ticks: the engine's clock starts at 0).
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace c10m::tcp {

inline constexpr uint32_t kNoEntry = UINT32_MAX;

struct TimerLink {
    uint32_t next = kNoEntry;
    uint32_t prev = kNoEntry;  // kNoEntry: not armed; a head mark: first in its slot
    uint32_t expiry = 0;       // tick
};

template <uint32_t kSlots, uint32_t kSlots1 = 256>
class TimerWheel {
    static_assert(std::has_single_bit(kSlots) && std::has_single_bit(kSlots1),
                  "slots: powers of two");
    static constexpr uint32_t kShift = static_cast<uint32_t>(std::countr_zero(kSlots));
    // prev of the first entry in a slot: which level's head points at it
    static constexpr uint32_t kHead0 = UINT32_MAX - 1;
    static constexpr uint32_t kHead1 = UINT32_MAX - 2;

  public:
    explicit TimerWheel(uint32_t now = 0) noexcept : now_(now) {
        for (auto &h : head_)
            h = kNoEntry;
        for (auto &h : head1_)
            h = kNoEntry;
    }

    static bool armed(const TimerLink &l) noexcept { return l.prev != kNoEntry; }
    uint32_t now() const noexcept { return now_; }
    size_t size() const noexcept { return size_; }
    // Entries looked at by advance() so far, cascades included: what holding costs
    // (may be read from another thread).
    uint64_t visits() const noexcept { return visits_.load(std::memory_order_relaxed); }

    // (Re)arms entry idx for tick `expiry` (a tick already past fires at the next
    // advance). links(i) returns entry i's TimerLink.
    template <class Links>
    void arm(Links &&links, uint32_t idx, uint32_t expiry) noexcept {
        TimerLink &l = links(idx);
        if (armed(l)) unlink(links, idx);
        if (static_cast<int32_t>(expiry - now_) <= 0) expiry = now_ + 1;
        l.expiry = expiry;
        if (expiry - now_ < kSlots)
            push(links, idx, head_[expiry & (kSlots - 1)], kHead0);
        else
            push(links, idx, head1_[(expiry >> kShift) & (kSlots1 - 1)], kHead1);
        ++size_;
    }

    template <class Links>
    void cancel(Links &&links, uint32_t idx) noexcept {
        if (armed(links(idx))) unlink(links, idx);
    }

    // Moves time to tick `now`, calling fire(idx) for every entry due by then (the
    // entry is unarmed first, so fire may arm it again: relative to `now`, so it
    // fires at most once per call). Returns how many fired.
    template <class Links, class Fire>
    size_t advance(Links &&links, uint32_t now, Fire &&fire) noexcept {
        const uint32_t from = now_;
        if (static_cast<int32_t>(now - from) <= 0) return 0;
        now_ = now;
        size_t fired = 0;
        uint64_t visits = 0;
        for (uint32_t t = from + 1;; ++t) {
            if ((t & (kSlots - 1)) == 0) visits += cascade(links, t);
            uint32_t i = head_[t & (kSlots - 1)];
            while (i != kNoEntry) {
                TimerLink &l = links(i);
                const uint32_t next = l.next;
                ++visits;
                if (static_cast<int32_t>(l.expiry - now) <= 0) {
                    unlink(links, i);
                    ++fired;
                    fire(i);
                }
                i = next;
            }
            if (t == now) break;
        }
        visits_.store(visits_.load(std::memory_order_relaxed) + visits, std::memory_order_relaxed);
        return fired;
    }

  private:
    template <class Links>
    void push(Links &&links, uint32_t idx, uint32_t &head, uint32_t mark) noexcept {
        TimerLink &l = links(idx);
        l.next = head;
        l.prev = mark;
        if (head != kNoEntry) links(head).prev = idx;
        head = idx;
    }

    // Turn t begins: what its level-1 slot holds for this turn moves to level 0.
    // Returns how many entries it looked at.
    template <class Links>
    uint64_t cascade(Links &&links, uint32_t t) noexcept {
        uint64_t visits = 0;
        uint32_t i = head1_[(t >> kShift) & (kSlots1 - 1)];
        while (i != kNoEntry) {
            TimerLink &l = links(i);
            const uint32_t next = l.next;
            ++visits;
            const auto ahead = static_cast<int32_t>(l.expiry - t);
            if (ahead < static_cast<int32_t>(kSlots)) {
                unlink(links, i);
                // (never past: an entry reaches level 1 only due after its turn
                // begins; if it were, it fires now)
                if (ahead < 0) l.expiry = t;
                push(links, i, head_[l.expiry & (kSlots - 1)], kHead0);
                ++size_;
            }
            i = next;
        }
        return visits;
    }

    template <class Links>
    void unlink(Links &&links, uint32_t idx) noexcept {
        TimerLink &l = links(idx);
        if (l.prev == kHead0)
            head_[l.expiry & (kSlots - 1)] = l.next;
        else if (l.prev == kHead1)
            head1_[(l.expiry >> kShift) & (kSlots1 - 1)] = l.next;
        else
            links(l.prev).next = l.next;
        if (l.next != kNoEntry) links(l.next).prev = l.prev;
        l.next = l.prev = kNoEntry;
        --size_;
    }

    uint32_t head_[kSlots];
    uint32_t head1_[kSlots1];
    uint32_t now_;
    size_t size_ = 0;
    std::atomic<uint64_t> visits_{0};  // written by its lcore only
};

}  // namespace c10m::tcp
