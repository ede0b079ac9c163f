#pragma once

#include <atomic>

namespace c10m::pipeline {

// Set by SIGINT/SIGTERM (or --duration) and polled by every lcore once per iteration.
inline std::atomic<bool> g_stop{false};

inline bool stop_requested() noexcept {
    return g_stop.load(std::memory_order_relaxed);
}
inline void request_stop() noexcept {
    g_stop.store(true, std::memory_order_relaxed);
}

}  // namespace c10m::pipeline
