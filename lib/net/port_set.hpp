#pragma once

#include <array>
#include <cstdint>

namespace c10m::net {

// A set of UDP or TCP port numbers: one bit per port, so a lookup is one load.
class PortSet {
  public:
    void add(uint16_t port) noexcept { bits_[port >> 6] |= uint64_t{1} << (port & 63); }
    bool has(uint16_t port) const noexcept { return bits_[port >> 6] >> (port & 63) & 1; }

  private:
    std::array<uint64_t, 1024> bits_{};
};

}  // namespace c10m::net
