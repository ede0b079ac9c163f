// c10m: [EAL options] -- [application options]
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "c10m_version.hpp"
#include "common/error.hpp"
#include "config/options.hpp"
#include "fwd/io.hpp"
#include "fwd/mac.hpp"
#include "fwd/macswap.hpp"
#include "gen/gen_mode.hpp"
#include "host/echo_mode.hpp"
#include "io/eal.hpp"
#include "io/iface.hpp"
#include "pipeline/run.hpp"
#include "route/l3fwd_mode.hpp"

namespace {

// The one place that names every mode: each is compiled into its own loops.
int run_mode(const c10m::config::AppConfig &cfg) {
    using c10m::config::ForwardMode;
    switch (cfg.mode) {
        case ForwardMode::io:
            return c10m::pipeline::run<c10m::fwd::Io>(cfg);
        case ForwardMode::mac:
            return c10m::pipeline::run<c10m::fwd::Mac>(cfg);
        case ForwardMode::macswap:
            return c10m::pipeline::run<c10m::fwd::MacSwap>(cfg);
        case ForwardMode::echo:
            return c10m::pipeline::run<c10m::host::Echo>(cfg);
        case ForwardMode::l3fwd:
            return c10m::pipeline::run<c10m::route::L3fwd>(cfg);
        case ForwardMode::tcp_gen:
            return c10m::pipeline::run<c10m::gen::TcpGen>(cfg);
    }
    return 2;
}

int usage_error(const std::string &msg) {
    std::fprintf(stderr, "c10m: %s\n", msg.c_str());
    return 2;
}

bool is_help_or_version(const std::vector<std::string> &eal) {
    // "c10m --help" / "c10m --version" with no "--": answer them here rather than
    // letting the EAL print its own usage.
    return eal.size() == 2 && (eal[1] == "--help" || eal[1] == "-h" || eal[1] == "--version");
}

}  // namespace

int main(int argc, char **argv) {
    using namespace c10m;
    try {
        auto split = config::split_args(argc, argv);
        std::vector<std::string> app_args = split.app;
        if (!split.has_separator && is_help_or_version(split.eal)) {
            app_args = {split.eal[1]};
            split.eal.resize(1);
        }
        const auto parsed = config::parse_app_args(app_args);
        if (parsed.action == config::Action::help) {
            std::fputs(config::help_text().c_str(), stdout);
            return 0;
        }
        if (parsed.action == config::Action::version) {
            std::printf("c10m %s\n", C10M_VERSION);
            return 0;
        }
        const auto &cfg = parsed.cfg;

        // --iface IF: checked before the EAL starts, attached after.
        uint16_t qpairs = cfg.rxq.value_or(1);
        for (const auto &e : cfg.queue_map)
            qpairs = std::max<uint16_t>(qpairs, static_cast<uint16_t>(e.queue + 1));
        if (!cfg.ifaces.empty() && cfg.txq && *cfg.txq != qpairs)
            throw UsageError(
                "--txq: expected " + std::to_string(qpairs) +
                " (the rx queue count) with --iface: AF_PACKET and AF_XDP spread received "
                "frames over every queue, so each needs an rx queue, got " +
                std::to_string(*cfg.txq));
        for (const auto &ifname : cfg.ifaces) {
            if (!io::iface_exists(ifname))
                throw UsageError("--iface: expected an existing network interface, got '" + ifname +
                                 "' (not found in this network namespace)");
            if (!cfg.iface_force && io::carries_default_route(ifname))
                throw UsageError(
                    "--iface: '" + ifname +
                    "' carries the default route; taking it over would cut this host off the "
                    "network (add --iface-force to do it anyway)");
        }

        io::Eal eal(split.eal);
        // --iface ports are hot-plugged once the EAL runs, so that auto can try AF_XDP
        // and fall back to AF_PACKET; they take the port ids after the EAL's own.
        auto iface_ports = io::attach_ifaces(cfg.ifaces, cfg.iface_pmd, qpairs);
        for (;;) {
            try {
                return run_mode(cfg);
            } catch (const io::AfXdpUnavailable &e) {
                // Everything run() set up is torn down by now; swap the port and retry.
                io::fall_back_to_af_packet(iface_ports, e);
            }
        }
    } catch (const UsageError &e) {
        return usage_error(e.what());
    } catch (const SetupError &e) {
        std::fprintf(stderr, "c10m: %s\n", e.what());
        return 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "c10m: %s\n", e.what());
        return 1;
    }
}
