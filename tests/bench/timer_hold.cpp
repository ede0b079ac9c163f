// What holding idle connections costs the timer wheel: N timers embedded in
// 128-byte records (TCP-lite's flow-table record size, so each visit touches its
// own cache line as in the engine), armed 60 s ahead as idle timers (spread over a
// second), then 60 s of 1 ms ticks. Prints the time per tick during the hold, as a
// share of one core, and the entries visited per timer. Built by scripts/bench-timers
// against this tree's wheel or another revision's.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "tcp/timer_wheel.hpp"

using c10m::tcp::TimerLink;
using c10m::tcp::TimerWheel;

namespace {
struct Rec {
    TimerLink link;
    char pad[128 - sizeof(TimerLink)];
};
}  // namespace

int main(int argc, char **argv) {
    const auto n = static_cast<uint32_t>(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000);
    auto recs = std::make_unique<Rec[]>(n);
    auto links = [&](uint32_t i) -> TimerLink & { return recs[i].link; };
    static TimerWheel<4096> wheel{0};
    for (uint32_t i = 0; i < n; ++i)
        wheel.arm(links, i, 60000 + i % 1000);
    size_t fired = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (uint32_t t = 1; t < 60000; ++t)  // the hold: nothing is due
        fired += wheel.advance(links, t, [](uint32_t) {});
    const auto t1 = std::chrono::steady_clock::now();
    for (uint32_t t = 60000; t <= 61000; ++t)
        fired += wheel.advance(links, t, [](uint32_t) {});
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / 59999;
    std::printf("{\"timers\":%u,\"fired\":%zu,\"hold_ns_per_tick\":%.0f,\"core_share\":%.5f}\n", n,
                fired, ns, ns / 1e6);
    return fired == n ? 0 : 1;
}
