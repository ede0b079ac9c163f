#pragma once

// A log-linear histogram of microseconds (HdrHistogram's shape, coarser): values
// below 16 have a bucket each; above, each power of two is cut into 16 buckets, so
// a value is known within 1/16 (6%) of itself, from 1 us to 71 minutes in 464
// buckets. One writer (its lcore) adds with relaxed atomics; a reader on another
// thread merges and takes percentiles.
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace c10m::stats {

inline constexpr size_t kLatBuckets = 16 + 28 * 16;

constexpr size_t lat_bucket(uint32_t us) noexcept {
    if (us < 16) return us;
    const unsigned e = 31u - static_cast<unsigned>(std::countl_zero(us));  // 4..31
    const unsigned sub = (us >> (e - 4)) & 15u;
    return 16 + (e - 4) * 16 + sub;
}

// The largest value that falls in bucket b.
constexpr uint64_t lat_bucket_top(size_t b) noexcept {
    if (b < 16) return b;
    const uint64_t e = (b - 16) / 16 + 4;
    const uint64_t sub = (b - 16) % 16;
    return ((16 + sub + 1) << (e - 4)) - 1;
}

class LatencyHistogram {
  public:
    void add(uint32_t us) noexcept {
        auto &c = counts_[lat_bucket(us)];
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    // Adds this histogram's counts to `into`.
    void merge_into(std::array<uint64_t, kLatBuckets> &into) const noexcept {
        for (size_t i = 0; i < kLatBuckets; ++i)
            into[i] += counts_[i].load(std::memory_order_relaxed);
    }

  private:
    std::array<std::atomic<uint64_t>, kLatBuckets> counts_{};
};

// The value at quantile q (0..1) of merged counts: the top of the bucket where the
// count reaches q of the total (0 when empty).
inline uint64_t lat_quantile(const std::array<uint64_t, kLatBuckets> &h, double q) noexcept {
    uint64_t total = 0;
    for (uint64_t c : h)
        total += c;
    if (total == 0) return 0;
    auto want = static_cast<uint64_t>(q * static_cast<double>(total) + 0.5);
    if (want == 0) want = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kLatBuckets; ++i) {
        seen += h[i];
        if (seen >= want) return lat_bucket_top(i);
    }
    return lat_bucket_top(kLatBuckets - 1);
}

}  // namespace c10m::stats
