#pragma once

#include "config/options.hpp"

namespace c10m::pipeline {

// Runs forwarding as cfg says on the ports the EAL probed, until SIGINT/SIGTERM or
// --duration: sets up ports, mempools and lcores, launches the poll loops, prints
// stats, then drains, stops and closes everything. Returns the exit status.
// Throws UsageError (exit 2) or SetupError (exit 1). The EAL must be initialised.
int run(const config::AppConfig &cfg);

}  // namespace c10m::pipeline
