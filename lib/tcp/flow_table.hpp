#pragma once

// One lcore's connections: a fixed pool of records and an open-addressing hash
// table (linear probing, backward-shift deletion, load at most 1/2) from the
// 4-tuple to a record. Both live in memory the caller provides (hugepages on the
// lcore's socket in the app, plain memory in tests) and sized at start: nothing is
// allocated afterwards, and past capacity an insert fails (the caller refuses the
// connection).
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace c10m::tcp {

// A connection's key on its lcore: the peer's address and port, our port, and the
// stream (rx queue of a port) it arrived on, which also fixes our address.
struct FlowKey {
    uint32_t raddr = 0;
    uint16_t rport = 0;
    uint16_t lport = 0;
    uint8_t stream = 0;
    uint8_t pad_[3] = {};
    friend bool operator==(const FlowKey &, const FlowKey &) = default;
};

struct FlowSlot {
    uint32_t hash;
    uint32_t index;  // record index + 1; 0 = empty
};

// Slots for `records` connections: the next power of two at least twice as many.
constexpr size_t flow_slots_for(size_t records) noexcept {
    size_t n = 2;
    while (n < 2 * records)
        n *= 2;
    return n;
}

// Record needs a member `FlowKey key`.
template <class Record>
class FlowTable {
  public:
    FlowTable() = default;
    // records[capacity], slots[flow_slots_for(capacity)], free_stack[capacity]; all
    // zero-initialised or not, they are reset here.
    FlowTable(Record *records, FlowSlot *slots, uint32_t *free_stack, uint32_t capacity,
              uint64_t seed) noexcept
        : rec_(records),
          slots_(slots),
          free_(free_stack),
          cap_(capacity),
          mask_(static_cast<uint32_t>(flow_slots_for(capacity) - 1)),
          seed_(seed) {
        std::memset(static_cast<void *>(slots_), 0, sizeof(FlowSlot) * (mask_ + 1));
        for (uint32_t i = 0; i < cap_; ++i)
            free_[i] = cap_ - 1 - i;
        nfree_ = cap_;
    }

    uint32_t capacity() const noexcept { return cap_; }
    uint32_t size() const noexcept { return cap_ - nfree_; }
    size_t slot_count() const noexcept { return size_t{mask_} + 1; }
    Record &at(uint32_t idx) noexcept { return rec_[idx]; }
    const Record &at(uint32_t idx) const noexcept { return rec_[idx]; }
    Record *records() noexcept { return rec_; }

    uint32_t hash(const FlowKey &k) const noexcept {
        // Seeded multiply-xorshift mix; the seed is random per process so that
        // clients cannot aim at one chain (and they need a completed handshake, a
        // valid SYN cookie, for each entry anyway).
        uint64_t x = (uint64_t{k.raddr} << 32 | uint32_t{k.rport} << 16 | k.lport) ^ seed_ ^
                     uint64_t { k.stream } << 24;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdull;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ull;
        x ^= x >> 33;
        return static_cast<uint32_t>(x);
    }

    // Index of the record for k, or kNone.
    static constexpr uint32_t kNone = UINT32_MAX;
    uint32_t find(const FlowKey &k) const noexcept { return find(k, hash(k)); }
    uint32_t find(const FlowKey &k, uint32_t h) const noexcept {
        for (uint32_t i = h & mask_;; i = (i + 1) & mask_) {
            const FlowSlot &s = slots_[i];
            if (s.index == 0) return kNone;
            if (s.hash == h && rec_[s.index - 1].key == k) return s.index - 1;
        }
    }

    // A new record for k (not present; the caller looked first), key set and the
    // rest as the caller left it when it was last freed; kNone when full.
    uint32_t insert(const FlowKey &k, uint32_t h) noexcept {
        if (nfree_ == 0) return kNone;
        const uint32_t idx = free_[--nfree_];
        uint32_t i = h & mask_;
        while (slots_[i].index != 0)
            i = (i + 1) & mask_;
        slots_[i] = {h, idx + 1};
        rec_[idx].key = k;
        return idx;
    }

    // Removes record idx (present) and returns it to the pool.
    void erase(uint32_t idx) noexcept {
        const uint32_t h = hash(rec_[idx].key);
        uint32_t i = h & mask_;
        while (slots_[i].index != idx + 1)
            i = (i + 1) & mask_;
        // Backward shift: pull later entries of the cluster into the hole unless
        // that would move one before its home slot.
        for (uint32_t j = i;;) {
            j = (j + 1) & mask_;
            if (slots_[j].index == 0) break;
            const uint32_t home = slots_[j].hash & mask_;
            const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (stays) continue;
            slots_[i] = slots_[j];
            i = j;
        }
        slots_[i] = {0, 0};
        free_[nfree_++] = idx;
    }

  private:
    Record *rec_ = nullptr;
    FlowSlot *slots_ = nullptr;
    uint32_t *free_ = nullptr;
    uint32_t cap_ = 0;
    uint32_t nfree_ = 0;
    uint32_t mask_ = 0;
    uint64_t seed_ = 0;
};

}  // namespace c10m::tcp
