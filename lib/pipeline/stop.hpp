#pragma once

#include <atomic>
#include <cstdint>

namespace c10m::pipeline {

// Set by SIGINT/SIGTERM (or --duration) and polled by every lcore once per iteration.
inline std::atomic<bool> g_stop{false};

inline bool stop_requested() noexcept {
    return g_stop.load(std::memory_order_relaxed);
}
inline void request_stop() noexcept {
    g_stop.store(true, std::memory_order_relaxed);
}

// Graceful stop (--drain-timeout): SIGTERM sets g_draining instead of g_stop. Modes
// take no new work (TCP refuses new connections) and finish what they have; the
// supervisor stops everything once nothing is left open, or at the timeout.
inline std::atomic<bool> g_drain_enabled{false};
inline std::atomic<bool> g_draining{false};
// When the draining SIGTERM came (CLOCK_MONOTONIC ns): a second one stops at once only
// if it comes later than kDuplicateTermNs, because one kill often arrives twice: GNU
// timeout signals its child and then the child's process group, and so does a shell
// killing a job.
inline std::atomic<int64_t> g_drain_signal_ns{0};
inline constexpr int64_t kDuplicateTermNs = 1'000'000'000;

inline bool drain_requested() noexcept {
    return g_draining.load(std::memory_order_relaxed);
}

}  // namespace c10m::pipeline
