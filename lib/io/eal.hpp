#pragma once

#include <string>
#include <vector>

namespace c10m::io {

// Owns the EAL for the life of the process: rte_eal_init() on construction,
// rte_eal_cleanup() on destruction. Only one may exist per process.
class Eal {
  public:
    // args[0] is the program name; the rest are EAL options, passed untouched.
    explicit Eal(const std::vector<std::string> &args);
    ~Eal();
    Eal(const Eal &) = delete;
    Eal &operator=(const Eal &) = delete;

  private:
    std::vector<std::string> storage_;
    std::vector<char *> argv_;
};

// Text of rte_errno (or of errno-style code e, when given).
std::string rte_error_text(int e);
std::string rte_error_text();

}  // namespace c10m::io
