#pragma once

#include <string>

namespace c10m {

// Captures what is written to file descriptor 2 (stderr: the EAL log, libbpf,
// libxdp) between construction and finish(), then writes it out again so the user
// still sees it, and returns it so a caller can quote a line. Set-up path only.
class StderrCapture {
  public:
    StderrCapture();
    ~StderrCapture();
    StderrCapture(const StderrCapture &) = delete;
    StderrCapture &operator=(const StderrCapture &) = delete;

    std::string finish();

  private:
    int saved_ = -1;
    int tmp_ = -1;
};

// The text after `key` up to the end of its line in `log`, or "" when absent.
std::string line_after(const std::string &log, const std::string &key);

}  // namespace c10m
