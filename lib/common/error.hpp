#pragma once

#include <stdexcept>
#include <string>

namespace c10m {

// A bad flag, value or config line: main() prints the one-line message and exits 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A failure while setting up the EAL, ports or pools (carries the rte_errno text):
// main() prints the one-line message and exits 1.
class SetupError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace c10m
