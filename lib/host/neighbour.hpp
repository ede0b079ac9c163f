#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace c10m::host {

// A small per-lcore, per-port table of IPv4 -> MAC learned from ARP addressed to us.
// Open addressing over a fixed array; entries older than the age limit count as
// absent and are reused; when full, the oldest entry gives way. No allocation.
class NeighbourTable {
  public:
    static constexpr size_t kSlots = 64;

    void set_max_age(uint64_t ticks) noexcept { max_age_ = ticks; }

    void learn(uint32_t ip, const uint8_t mac[6], uint64_t now) noexcept {
        if (ip == 0) return;
        // Slots are never emptied again once used, so a probe may stop at the first
        // empty slot: the address is not further along.
        size_t free_slot = kSlots, oldest_slot = 0;
        uint64_t oldest = UINT64_MAX;
        for (size_t i = 0, s = slot_of(ip); i < kSlots; ++i, s = (s + 1) % kSlots) {
            Entry &e = slots_[s];
            if (e.ip == ip) return write(e, ip, mac, now);
            if (free_slot == kSlots && !live(e, now)) free_slot = s;
            if (e.ip == 0) break;
            if (e.seen < oldest) {
                oldest = e.seen;
                oldest_slot = s;
            }
        }
        write(slots_[free_slot != kSlots ? free_slot : oldest_slot], ip, mac, now);
    }

    // The MAC for ip, or nullptr when unknown or aged out.
    const uint8_t *lookup(uint32_t ip, uint64_t now) const noexcept {
        for (size_t i = 0, s = slot_of(ip); i < kSlots; ++i, s = (s + 1) % kSlots) {
            const Entry &e = slots_[s];
            if (e.ip == ip) return live(e, now) ? e.mac : nullptr;
            if (e.ip == 0) return nullptr;
        }
        return nullptr;
    }

    size_t live_entries(uint64_t now) const noexcept {
        size_t n = 0;
        for (const auto &e : slots_)
            n += e.ip != 0 && live(e, now);
        return n;
    }

  private:
    struct Entry {
        uint32_t ip = 0;
        uint8_t mac[6] = {};
        uint64_t seen = 0;
    };
    static size_t slot_of(uint32_t ip) noexcept { return (ip * 2654435761u) >> 26; }  // top 6 bits
    bool live(const Entry &e, uint64_t now) const noexcept {
        return e.ip != 0 && now - e.seen <= max_age_;
    }
    static void write(Entry &e, uint32_t ip, const uint8_t mac[6], uint64_t now) noexcept {
        e.ip = ip;
        std::memcpy(e.mac, mac, 6);
        e.seen = now;
    }

    std::array<Entry, kSlots> slots_{};
    uint64_t max_age_ = UINT64_MAX;
};

static_assert(NeighbourTable::kSlots == 64, "slot_of() takes the top 6 bits");

}  // namespace c10m::host
