#pragma once

// The steps of a run that do not depend on the mode: plan, pools, ports (and the
// rings of pipeline mode), the supervisor that prints stats, and teardown. The
// mode-dependent steps, lcores and launch, are in run.hpp.
#include <rte_mempool.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.hpp"
#include "io/mempool.hpp"
#include "io/port.hpp"
#include "pipeline/mapping.hpp"
#include "pipeline/ring.hpp"
#include "pipeline/stop.hpp"
#include "stats/counters.hpp"
#include "stats/report.hpp"

namespace c10m::pipeline {

// What the mode-independent steps need to know about a mode, without naming it.
struct ModeNeeds {
    std::string_view name;
    bool replies_on_rx_port = false;
    uint16_t mbuf_priv = 0;       // private bytes per mbuf
    uint32_t held_per_lcore = 0;  // mbufs a mode's lcore may hold (beyond bursts)
    bool tx_any_port = false;     // a packet may leave by any port (a router)
};

// One lcore as the stats see it.
struct LcoreView {
    unsigned lcore;
    const char *role;  // "forward", "rx", "worker"
    const stats::LcoreCounters *counters;
};

// The main lcore's duties: stats every --stats-period, stop after --duration.
class Supervisor {
  public:
    static constexpr bool kActive = true;

    Supervisor(const config::AppConfig &cfg, const std::vector<io::Port> &ports,
               const std::vector<LcoreView> &lcores, const std::map<int, io::Mempool> &pools,
               const std::vector<std::unique_ptr<Ring>> &rings,
               std::function<void(stats::Sample &)> mode_report);

    bool due(uint64_t now) const noexcept { return now >= next_ || drain_requested(); }
    void run(uint64_t now) noexcept;
    stats::Sample sample(uint64_t now, bool final) const;
    // Rates over the last period; the final sample's rates cover the whole run.
    void print(const stats::Sample &s) noexcept;

  private:
    const config::AppConfig &cfg_;
    const std::vector<io::Port> &ports_;
    const std::vector<LcoreView> &lcores_;
    const std::map<int, io::Mempool> &pools_;
    const std::vector<std::unique_ptr<Ring>> &rings_;
    uint64_t open_connections() const noexcept;

    std::function<void(stats::Sample &)> mode_report_;
    uint64_t hz_, start_ = 0, period_tsc_ = 0, end_tsc_ = 0, next_stats_ = 0, next_ = 0;
    uint64_t drain_end_ = 0;  // TSC at which a drain ends (0: not draining)
    std::optional<stats::Sample> prev_;
};

// Plans the run and owns what it sets up, in the order it must be torn down: rings,
// then ports, then pools (a port closing hands its mbufs back to its pool).
class Runner {
  public:
    Runner(const config::AppConfig &cfg, const ModeNeeds &mode);

    // 1. Which lcore polls which queue, which are rx lcores and workers, which rings.
    void plan();
    // 2. One mempool per socket whose lcores forward, sized for what they hold.
    void pools();
    // 3. Ports configured, queues set up on their lcores' sockets, started; rings.
    void ports();
    // 6. After the loops stopped and the mode let go of what it held: the final
    // stats, the ports closed, every pool back to its baseline. Returns the exit
    // status (1 on a leak).
    int teardown(Supervisor &sup);

    const config::AppConfig &cfg() const noexcept { return cfg_; }
    bool pipelined() const noexcept { return cfg_.pipeline; }
    const Plan &rtc_plan() const noexcept { return rtc_; }
    const PipelinePlan &pipeline_plan() const noexcept { return pp_; }
    io::Port &port(uint16_t id);
    std::vector<io::Port> &port_list() noexcept { return ports_; }
    rte_mempool *pool(int socket) const;
    std::map<int, io::Mempool> &pool_map() noexcept { return pools_; }
    std::vector<std::unique_ptr<Ring>> &rings() noexcept { return rings_; }
    unsigned main_lcore() const noexcept { return main_lcore_; }
    uint64_t drain_tsc() const noexcept;

  private:
    void setup_rx(io::Port &port, uint16_t q, int socket);

    const config::AppConfig &cfg_;
    ModeNeeds mode_;
    std::vector<uint16_t> fwd_ports_;
    MapInput in_;
    unsigned main_lcore_ = 0;
    Plan rtc_;
    PipelinePlan pp_;
    // Declared in reverse order of teardown.
    std::map<int, io::Mempool> pools_;
    std::vector<io::Port> ports_;
    std::vector<std::unique_ptr<Ring>> rings_;
};

}  // namespace c10m::pipeline
