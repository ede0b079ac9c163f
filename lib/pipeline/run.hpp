#pragma once

// A whole run for one mode: plan, pools, ports (runner.cpp), then the lcores and
// their launch (here, where the mode's type is known), then teardown. Until
// SIGINT/SIGTERM or --duration. Throws UsageError (exit 2) or SetupError (exit 1);
// the EAL must be running.
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/log.hpp"
#include "pipeline/context.hpp"
#include "pipeline/loop.hpp"
#include "pipeline/mode.hpp"
#include "pipeline/runner.hpp"
#include "pipeline/stages.hpp"
#include "pipeline/stop.hpp"
#include "stats/telemetry.hpp"

namespace c10m::pipeline {

extern "C" void on_stop_signal(int);

// An object of type T constructed in memory on `socket`, freed with rte_free.
template <class T>
struct SocketDeleter {
    void operator()(T *p) const {
        p->~T();
        rte_free(p);
    }
};
template <class T>
using SocketPtr = std::unique_ptr<T, SocketDeleter<T>>;

template <class T>
SocketPtr<T> make_on_socket(int socket, const char *what) {
    void *mem = rte_zmalloc_socket(what, sizeof(T), alignof(T), socket);
    if (!mem)
        throw SetupError(std::string("cannot allocate ") + what + " on socket " +
                         std::to_string(socket));
    return SocketPtr<T>(new (mem) T());
}

// The lcores of one run: contexts on their sockets, with the mode's state in them.
template <class Mode>
class Lcores {
  public:
    using Ctx = LcoreContext<Mode>;

    explicit Lcores(Runner &r) : r_(r) {
        for (const auto &p : r.port_list())
            caps_.push_back(p.caps());
        if (r.pipelined())
            build_pipeline();
        else
            build_rtc();
    }
    ~Lcores() {
        for (auto &c : mode_ctxs_)
            Mode::fini(c->mode);
    }
    Lcores(const Lcores &) = delete;
    Lcores &operator=(const Lcores &) = delete;

    // Every lcore's loop, the main lcore's too when it forwards, until stop; then the
    // mode lets go of what it holds.
    void launch(Supervisor &sup) {
        for (auto &c : mode_ctxs_)
            if (c->lcore != r_.main_lcore()) remote(c->lcore, mode_entry, c.get());
        for (auto &c : rx_ctxs_)
            if (c->lcore != r_.main_lcore()) remote(c->lcore, rx_entry, c.get());
        Ctx *main_ctx = nullptr;
        for (auto &c : mode_ctxs_)
            if (c->lcore == r_.main_lcore()) main_ctx = c.get();
        if (main_ctx) {
            poll_loop<Mode>(*main_ctx, sup);
        } else {
            while (!stop_requested()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                const uint64_t now = rte_rdtsc();
                if (sup.due(now)) sup.run(now);
            }
        }
        rte_eal_mp_wait_lcore();
        for (auto &c : mode_ctxs_)
            Mode::release(c->mode);
    }

    const std::vector<LcoreView> &views() const noexcept { return views_; }
    void report(stats::Sample &s) const {
        for (const auto &c : mode_ctxs_)
            Mode::report(c->mode, s);
    }
    int status() const {
        int st = 0;
        for (const auto &c : mode_ctxs_)
            st = std::max(st, Mode::status(c->mode));
        return st;
    }

  private:
    struct Arg {
        Lcores *self;
        void *ctx;
    };

    static int mode_entry(void *p) {
        auto *a = static_cast<Arg *>(p);
        NoDuties none;
        Ctx &ctx = *static_cast<Ctx *>(a->ctx);
        if (a->self->r_.pipelined())
            worker_loop<Mode>(ctx, a->self->sync_, none);
        else
            poll_loop<Mode>(ctx, none);
        return 0;
    }
    static int rx_entry(void *p) {
        auto *a = static_cast<Arg *>(p);
        NoDuties none;
        rx_loop(*static_cast<RxContext *>(a->ctx), a->self->sync_, none);
        return 0;
    }
    void remote(unsigned lcore, int (*fn)(void *), void *ctx) {
        args_.push_back(std::make_unique<Arg>(Arg{this, ctx}));
        const int ret = rte_eal_remote_launch(fn, args_.back().get(), lcore);
        if (ret != 0) {
            request_stop();
            rte_eal_mp_wait_lcore();
            throw SetupError("cannot launch lcore " + std::to_string(lcore) + ": " +
                             std::to_string(ret));
        }
    }

    Ctx &new_mode_ctx(unsigned lcore, int socket, const char *role) {
        mode_ctxs_.push_back(make_on_socket<Ctx>(socket, "c10m_lcore"));
        Ctx &c = *mode_ctxs_.back();
        c.lcore = lcore;
        c.burst = r_.cfg().burst;
        c.drain_tsc = r_.drain_tsc();
        c.pool = r_.pool(socket);
        views_.push_back({lcore, role, &c.counters});
        return c;
    }

    // Its packets for each port leave by the first of its buffers on that port.
    using PortOut = std::array<net::TxSink *, RTE_MAX_ETHPORTS>;
    static PortOut port_out(Ctx &c) {
        PortOut out{};
        for (uint16_t s = 0; s < c.nb_streams; ++s)
            if (!out[c.streams[s].tx.port]) out[c.streams[s].tx.port] = &c.streams[s].tx;
        for (uint16_t t = 0; t < c.nb_tx_only; ++t)
            if (!out[c.tx_only[t]->port]) out[c.tx_only[t]->port] = c.tx_only[t];
        return out;
    }

    LcoreEnv lcore_env(unsigned lcore, int socket, unsigned nb_lcores, const PortOut &out) const {
        const io::Mempool &mp = r_.pool_map().at(socket);
        const uint32_t spare = mp.size() > mp.baseline() ? mp.size() - mp.baseline() : 0;
        return {r_.cfg(),         lcore,       socket,    mp.get(),   spare,
                rte_get_tsc_hz(), rte_rdtsc(), nb_lcores, out.data(), &caps_};
    }

    // A stream's tx buffer, to a port's queue.
    void direct_tx(TxBuffer &tx, uint16_t port, uint16_t queue, stats::LcoreCounters &c) {
        tx.port = port;
        tx.queue = queue;
        tx.burst = r_.cfg().burst;
        tx.counters = &c;
        tx.reclaim = r_.port(port).caps().tx_frees_late;
    }

    static std::string stream_text(uint16_t rx_port, int rx_queue, uint16_t tx_port,
                                   uint16_t tx_queue, const char *via = "") {
        return " (" + std::to_string(rx_port) + "," +
               (rx_queue < 0 ? std::string("*") : std::to_string(rx_queue)) + ")->(" +
               std::to_string(tx_port) + "," + std::to_string(tx_queue) + via + ")";
    }

    void build_rtc() {
        const Plan &plan = r_.rtc_plan();
        const auto nb = static_cast<unsigned>(plan.lcores.size());
        for (const auto &lp : plan.lcores) {
            Ctx &c = new_mode_ctx(lp.lcore, lp.socket, "forward");
            std::string desc;
            for (const auto &s : lp.streams) {
                StreamCtx<Mode> &st = c.streams[c.nb_streams++];
                st.rx_port = s.rx_port;
                st.rx_queue = s.rx_queue;
                direct_tx(st.tx, s.tx_port, s.tx_queue, c.counters);
                desc += stream_text(s.rx_port, s.rx_queue, s.tx_port, s.tx_queue);
            }
            for (const auto &t : lp.tx_only) {
                tx_only_.push_back(make_on_socket<TxBuffer>(lp.socket, "c10m_tx_only"));
                direct_tx(*tx_only_.back(), t.port, t.queue, c.counters);
                c.tx_only[c.nb_tx_only++] = tx_only_.back().get();
                desc += " (->" + std::to_string(t.port) + "," + std::to_string(t.queue) + ")";
            }
            Mode::init(c.mode, lcore_env(lp.lcore, lp.socket, nb, port_out(c)));
            for (uint16_t i = 0; i < c.nb_streams; ++i) {
                StreamCtx<Mode> &st = c.streams[i];
                Mode::init(
                    c.mode, st.mode,
                    StreamEnv{r_.cfg(), r_.port(st.rx_port).caps(), r_.port(st.tx.port).caps(),
                              &st.tx, st.rx_queue == 0, st.rx_queue});
            }
            C10M_LOG(INFO, "lcore %u (socket %d) %s:%s", lp.lcore, lp.socket,
                     std::string(Mode::kName).c_str(), desc.c_str());
        }
    }

    void build_pipeline() {
        const PipelinePlan &pp = r_.pipeline_plan();
        auto &rings = r_.rings();
        const auto nports = r_.port_list().size();
        // Rx lcores.
        for (const auto &lp : pp.rx.lcores) {
            rx_ctxs_.push_back(make_on_socket<RxContext>(lp.socket, "c10m_rx_lcore"));
            RxContext &c = *rx_ctxs_.back();
            c.lcore = lp.lcore;
            c.burst = r_.cfg().burst;
            c.drain_tsc = r_.drain_tsc();
            views_.push_back({lp.lcore, "rx", &c.counters});
            std::string desc;
            for (const auto &s : lp.streams) {
                c.queues[c.nb_queues++] = {s.rx_port, s.rx_queue};
                desc += " (" + std::to_string(s.rx_port) + "," + std::to_string(s.rx_queue) + ")";
            }
            desc += " ->";
            for (size_t w = 0; w < pp.workers.size(); ++w)
                for (int ri : pp.workers[w].inputs)
                    if (pp.rings[ri].producer == lp.lcore) {
                        c.to[c.nb_workers++] = {rings[ri]->get(), &rings[ri]->stats(), 0, {}};
                        desc += " lcore " + std::to_string(pp.workers[w].lcore);
                    }
            // The tx queues it owns: those the workers' tx rings feed.
            for (size_t ri = 0; ri < pp.rings.size(); ++ri) {
                const RingPlan &rp = pp.rings[ri];
                if (rp.kind != RingPlan::Kind::tx || rp.consumer != lp.lcore) continue;
                uint16_t o = 0;
                while (o < c.nb_outs && !(c.outs[o].port == rp.port && c.outs[o].queue == rp.queue))
                    ++o;
                if (o == c.nb_outs) {
                    direct_tx(c.outs[o], rp.port, rp.queue, c.counters);
                    ++c.nb_outs;
                }
                c.from[c.nb_from++] = {rings[ri]->get(), &rings[ri]->stats(), o};
            }
            if (c.nb_outs) desc += "; sends for workers on";
            for (uint16_t o = 0; o < c.nb_outs; ++o)
                desc += " (" + std::to_string(c.outs[o].port) + "," +
                        std::to_string(c.outs[o].queue) + ")";
            C10M_LOG(INFO, "lcore %u (socket %d) rx:%s", lp.lcore, lp.socket, desc.c_str());
        }
        sync_.rx_running = static_cast<unsigned>(rx_ctxs_.size());
        sync_.workers_running = static_cast<unsigned>(pp.workers.size());
        // Workers: one stream per forwarding port, fed by every rx lcore's ring.
        const auto nb = static_cast<unsigned>(pp.workers.size());
        for (size_t wi = 0; wi < pp.workers.size(); ++wi) {
            const WorkerPlan &wp = pp.workers[wi];
            Ctx &c = new_mode_ctx(wp.lcore, wp.socket, "worker");
            for (int ri : wp.inputs)
                c.inputs[c.nb_inputs++] = {rings[ri]->get(), &rings[ri]->stats()};
            std::string desc;
            for (size_t pi = 0; pi < nports; ++pi) {
                const uint16_t rx_port = r_.port_list()[pi].id();
                const size_t ti = Mode::kRepliesOnRxPort ? pi : paired_index(pi, nports);
                const WorkerTx &t = wp.tx[ti];
                c.stream_of_port[rx_port] = static_cast<uint8_t>(c.nb_streams);
                StreamCtx<Mode> &st = c.streams[c.nb_streams++];
                st.rx_port = rx_port;
                direct_tx(st.tx, t.port, t.queue, c.counters);
                if (t.ring >= 0) {
                    st.tx.ring = rings[t.ring]->get();
                    st.tx.ring_stats = &rings[t.ring]->stats();
                    st.tx.reclaim = false;  // the owner of the queue does that
                }
                desc += stream_text(rx_port, -1, t.port, t.queue, t.ring >= 0 ? " via ring" : "");
            }
            Mode::init(c.mode, lcore_env(wp.lcore, wp.socket, nb, port_out(c)));
            for (uint16_t i = 0; i < c.nb_streams; ++i) {
                StreamCtx<Mode> &st = c.streams[i];
                Mode::init(c.mode, st.mode,
                           StreamEnv{r_.cfg(), r_.port(st.rx_port).caps(),
                                     r_.port(st.tx.port).caps(), &st.tx, wi == 0, -1});
            }
            C10M_LOG(INFO, "lcore %u (socket %d) worker %s:%s", wp.lcore, wp.socket,
                     std::string(Mode::kName).c_str(), desc.c_str());
        }
    }

    Runner &r_;
    PipelineSync sync_;
    std::vector<io::PortCaps> caps_;
    std::vector<SocketPtr<TxBuffer>> tx_only_;
    std::vector<SocketPtr<Ctx>> mode_ctxs_;
    std::vector<SocketPtr<RxContext>> rx_ctxs_;
    std::vector<LcoreView> views_;
    std::vector<std::unique_ptr<Arg>> args_;
};

template <class Mode>
ModeNeeds needs_of(const config::AppConfig &cfg) {
    return {Mode::kName, Mode::kRepliesOnRxPort, Mode::mbuf_priv_bytes(cfg),
            Mode::held_mbufs_per_lcore(cfg), Mode::kTxAnyPort};
}

template <class Mode>
int run(const config::AppConfig &cfg) {
    Runner r(cfg, needs_of<Mode>(cfg));
    r.plan();
    r.pools();
    r.ports();
    Lcores<Mode> lcores(r);
    if (cfg.pipeline)
        C10M_LOG(INFO, "lcore %u (socket %d) main: stats and signals", r.main_lcore(),
                 static_cast<int>(rte_lcore_to_socket_id(r.main_lcore())));

    g_drain_enabled = cfg.drain_timeout > 0;
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    Supervisor sup(cfg, r.port_list(), lcores.views(), r.pool_map(), r.rings(),
                   [&lcores](stats::Sample &s) { lcores.report(s); });
    stats::telemetry_register();
    stats::telemetry_attach([&sup] { return sup.sample(rte_rdtsc(), false); });
    // Detached on every way out of here, before the supervisor and what it reads go.
    struct Detach {
        ~Detach() { stats::telemetry_detach(); }
    } detach;
    lcores.launch(sup);
    const int st = r.teardown(sup);
    return std::max(st, lcores.status());
}

}  // namespace c10m::pipeline
