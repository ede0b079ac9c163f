#pragma once

// A hashed timer wheel (Varghese and Lauck) for one lcore: kSlots lists of entries
// by expiry tick modulo kSlots, advanced from the poll loop with the current tick.
// An entry whose expiry is more than one turn away stays in its slot until a visit
// finds it due. Entries are records elsewhere (the flow table's), linked through a
// TimerLink they embed, by index: arm, cancel and fire are O(1) per entry, and no
// memory is allocated.
#include <cstddef>
#include <cstdint>

namespace c10m::tcp {

inline constexpr uint32_t kNoEntry = UINT32_MAX;

struct TimerLink {
    uint32_t next = kNoEntry;
    uint32_t prev = kNoEntry;  // kNoEntry: not armed; kHeadMark: first in its slot
    uint32_t expiry = 0;       // tick
};

template <uint32_t kSlots>
class TimerWheel {
    static_assert((kSlots & (kSlots - 1)) == 0, "slots: a power of two");
    static constexpr uint32_t kHeadMark = UINT32_MAX - 1;

  public:
    explicit TimerWheel(uint32_t now = 0) noexcept : now_(now) {
        for (auto &h : head_)
            h = kNoEntry;
    }

    static bool armed(const TimerLink &l) noexcept { return l.prev != kNoEntry; }
    uint32_t now() const noexcept { return now_; }
    size_t size() const noexcept { return size_; }

    // (Re)arms entry idx for tick `expiry` (a tick already past fires at the next
    // advance). links(i) returns entry i's TimerLink.
    template <class Links>
    void arm(Links &&links, uint32_t idx, uint32_t expiry) noexcept {
        TimerLink &l = links(idx);
        if (armed(l)) unlink(links, idx);
        if (static_cast<int32_t>(expiry - now_) <= 0) expiry = now_ + 1;
        l.expiry = expiry;
        const uint32_t s = expiry & (kSlots - 1);
        l.next = head_[s];
        l.prev = kHeadMark;
        if (head_[s] != kNoEntry) links(head_[s]).prev = idx;
        head_[s] = idx;
        ++size_;
    }

    template <class Links>
    void cancel(Links &&links, uint32_t idx) noexcept {
        if (armed(links(idx))) unlink(links, idx);
    }

    // Moves time to tick `now`, calling fire(idx) for every entry due by then (the
    // entry is unarmed first, so fire may arm it again). Returns how many fired.
    template <class Links, class Fire>
    size_t advance(Links &&links, uint32_t now, Fire &&fire) noexcept {
        size_t fired = 0;
        const uint32_t steps = now - now_;
        if (static_cast<int32_t>(steps) <= 0) return 0;
        const uint32_t visits = steps < kSlots ? steps : kSlots;
        const uint32_t from = now - visits + 1;
        now_ = now;
        for (uint32_t t = 0; t < visits; ++t) {
            const uint32_t s = (from + t) & (kSlots - 1);
            uint32_t i = head_[s];
            while (i != kNoEntry) {
                TimerLink &l = links(i);
                const uint32_t next = l.next;
                if (static_cast<int32_t>(l.expiry - now) <= 0) {
                    unlink(links, i);
                    ++fired;
                    fire(i);
                }
                i = next;
            }
        }
        return fired;
    }

  private:
    template <class Links>
    void unlink(Links &&links, uint32_t idx) noexcept {
        TimerLink &l = links(idx);
        if (l.prev == kHeadMark)
            head_[l.expiry & (kSlots - 1)] = l.next;
        else
            links(l.prev).next = l.next;
        if (l.next != kNoEntry) links(l.next).prev = l.prev;
        l.next = l.prev = kNoEntry;
        --size_;
    }

    uint32_t head_[kSlots];
    uint32_t now_;
    size_t size_ = 0;
};

}  // namespace c10m::tcp
