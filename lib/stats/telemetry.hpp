#pragma once

#include <functional>

#include "stats/report.hpp"

// The /c10m/stats telemetry command: what the text/JSON stats show, for
// dpdk-telemetry.py and other clients of the EAL's telemetry socket. The callback
// runs on the telemetry thread; it only reads relaxed atomics and port counters.
namespace c10m::stats {

// Registers the command (once per process; safe to call again).
void telemetry_register();

// While attached, the command answers with sample(); detached, it says it is idle.
// detach() waits for a callback in progress, so the sampler may be destroyed after.
void telemetry_attach(std::function<Sample()> sample);
void telemetry_detach();

}  // namespace c10m::stats
