#pragma once

#include <rte_config.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace c10m::stats {

enum class Drop : unsigned {
#define C10M_DROP(name, desc) name,
#include "stats/drops.def"
#undef C10M_DROP
    count_
};
inline constexpr size_t kDropReasons = static_cast<size_t>(Drop::count_);

inline constexpr std::array<std::string_view, kDropReasons> kDropNames = {
#define C10M_DROP(name, desc) #name,
#include "stats/drops.def"
#undef C10M_DROP
};
inline constexpr std::array<std::string_view, kDropReasons> kDropDescriptions = {
#define C10M_DROP(name, desc) desc,
#include "stats/drops.def"
#undef C10M_DROP
};

enum class Event : unsigned {
#define C10M_EVENT(name, desc) name,
#include "stats/events.def"
#undef C10M_EVENT
    count_
};
inline constexpr size_t kEvents = static_cast<size_t>(Event::count_);

inline constexpr std::array<std::string_view, kEvents> kEventNames = {
#define C10M_EVENT(name, desc) #name,
#include "stats/events.def"
#undef C10M_EVENT
};

// Counts kept locally by an lcore and added to its shared counters at drain time.
struct Tally {
    uint32_t drop[kDropReasons] = {};
    uint32_t event[kEvents] = {};
    bool any = false;
    void add(Drop d) noexcept {
        ++drop[static_cast<size_t>(d)];
        any = true;
    }
    void add(Event e, uint32_t n = 1) noexcept {
        event[static_cast<size_t>(e)] += n;
        any = true;
    }
};

// A counter written by one lcore and read by the main lcore: relaxed atomics compile
// to plain loads and stores on x86, so the owner pays nothing for the sharing.
class Counter {
  public:
    void add(uint64_t n) noexcept {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<uint64_t> v_{0};
};

// One lcore's counters, on its own cache lines.
struct alignas(RTE_CACHE_LINE_SIZE) LcoreCounters {
    Counter pkts;         // packets handled (received from its rx queues)
    Counter busy_cycles;  // TSC cycles spent in iterations that received packets
    Counter iterations;
    std::array<Counter, kDropReasons> drops;
    std::array<Counter, kEvents> events;
    std::array<Counter, RTE_MAX_ETHPORTS> tx_full;  // per tx port: not taken by tx_burst
};

}  // namespace c10m::stats
