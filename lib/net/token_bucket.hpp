#pragma once

#include <cstdint>

namespace c10m::net {

// A token bucket on the TSC: `rate` tokens per second, at most `burst` saved up.
// rate 0 means unlimited. Tokens are kept in units of 1/hz so refills need no division.
class TokenBucket {
  public:
    void configure(uint64_t rate, uint64_t burst, uint64_t hz, uint64_t now) noexcept {
        rate_ = rate;
        hz_ = hz;
        cap_ = (burst ? burst : 1) * hz;
        tokens_ = cap_;
        last_ = now;
    }

    bool take(uint64_t now) noexcept {
        if (rate_ == 0) return true;
        const uint64_t elapsed = now - last_;
        last_ = now;
        // Saturate instead of overflowing after a long quiet spell.
        if (elapsed >= cap_ / rate_ + 1)
            tokens_ = cap_;
        else if ((tokens_ += elapsed * rate_) > cap_)
            tokens_ = cap_;
        if (tokens_ < hz_) return false;
        tokens_ -= hz_;
        return true;
    }

  private:
    uint64_t rate_ = 0, hz_ = 1, cap_ = 1, tokens_ = 0, last_ = 0;
};

}  // namespace c10m::net
