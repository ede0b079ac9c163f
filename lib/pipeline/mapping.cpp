#include "pipeline/mapping.hpp"

#include <algorithm>
#include <map>

#include "common/error.hpp"

namespace c10m::pipeline {

size_t paired_index(size_t index, size_t nb_ports) {
    if (index % 2 == 0) return index + 1 < nb_ports ? index + 1 : index;
    return index - 1;
}

std::vector<uint16_t> select_ports(const std::vector<uint16_t> &probed,
                                   std::optional<uint64_t> portmask) {
    if (!portmask) return probed;
    std::vector<uint16_t> out;
    for (unsigned p = 0; p < 64; ++p) {
        if (!(*portmask >> p & 1)) continue;
        if (std::find(probed.begin(), probed.end(), p) == probed.end()) {
            std::string have;
            for (auto q : probed) {
                if (!have.empty()) have += ',';
                have += std::to_string(q);
            }
            throw UsageError("--portmask: expected a mask of probed ports (" +
                             (have.empty() ? "none" : have) + "), but port " + std::to_string(p) +
                             " does not exist");
        }
        out.push_back(static_cast<uint16_t>(p));
    }
    return out;
}

namespace {

std::string socket_name(int s) {
    return s == kSocketAny ? "any" : std::to_string(s);
}

}  // namespace

namespace {

// Routing modes: the k-th lcore of the plan sends on tx queue k of every port, on
// the ports it polls through its streams' buffers, on the others through tx-only
// ones. A port whose queues come in pairs (net_tap, --iface) must then have as many
// rx queues as there are lcores.
void plan_tx_any_port(const MapInput &in, Plan &plan) {
    const auto nl = static_cast<uint16_t>(plan.lcores.size());
    for (size_t pi = 0; pi < in.ports.size(); ++pi) {
        const PortInfo &p = in.ports[pi];
        if (in.txq && *in.txq < nl)
            throw UsageError("--txq: expected at least " + std::to_string(nl) +
                             " (a packet may leave by any port, so each of the " +
                             std::to_string(nl) +
                             " forwarding lcores needs a tx queue on every "
                             "port), got " +
                             std::to_string(*in.txq));
        if (p.queue_pairs && plan.rxq[pi] != nl)
            throw UsageError("--nb-cores: port " + std::to_string(p.id) +
                             " takes as many tx "
                             "queues as rx queues (" +
                             std::to_string(plan.rxq[pi]) + "), but " + std::to_string(nl) +
                             " lcores forward and each needs a tx queue on "
                             "every port; use --nb-cores " +
                             std::to_string(plan.rxq[pi]) + ", --rxq " + std::to_string(nl) +
                             " or --pipeline");
        plan.txq[pi] = in.txq.value_or(nl);
        if (plan.txq[pi] > std::min(in.max_txq, p.max_txq))
            throw UsageError("--nb-cores: expected at most " +
                             std::to_string(std::min(in.max_txq, p.max_txq)) +
                             " forwarding lcores (port " + std::to_string(p.id) +
                             "'s tx queues: each lcore needs one on every port), got " +
                             std::to_string(plan.txq[pi]));
    }
    for (uint16_t k = 0; k < nl; ++k) {
        LcorePlan &lp = plan.lcores[k];
        for (auto &s : lp.streams) {
            s.tx_port = s.rx_port;
            s.tx_queue = k;
        }
        for (const auto &p : in.ports)
            if (std::none_of(lp.streams.begin(), lp.streams.end(),
                             [&](const Stream &s) { return s.rx_port == p.id; }))
                lp.tx_only.push_back({p.id, k});
    }
}

}  // namespace

std::vector<LcoreInfo> forwarding_lcores(const MapInput &in) {
    std::vector<LcoreInfo> pollers = in.workers;
    if (in.nb_cores) {
        const size_t avail = std::max<size_t>(in.workers.size(), 1);
        if (*in.nb_cores > avail)
            throw UsageError("--nb-cores: expected at most " + std::to_string(avail) +
                             " (worker lcores given to the EAL with -l/--lcores), got " +
                             std::to_string(*in.nb_cores));
        if (!in.workers.empty()) pollers.resize(*in.nb_cores);
    }
    if (pollers.empty()) pollers.push_back(in.main_lcore);
    return pollers;
}

Plan map_queues(const MapInput &in) {
    Plan plan;
    const size_t np = in.ports.size();
    auto tx_index = [&](size_t pi) { return in.reply_on_rx_port ? pi : paired_index(pi, np); };
    if (np == 0) throw UsageError("no ports to forward on");

    // The polling lcores: the first --nb-cores workers; the main lcore when there is none.
    std::vector<LcoreInfo> pollers = forwarding_lcores(in);

    auto port_index = [&](uint16_t port) -> size_t {
        for (size_t i = 0; i < np; ++i)
            if (in.ports[i].id == port) return i;
        return np;
    };

    // lcore id -> its plan index
    std::map<unsigned, size_t> lcore_slot;
    auto plan_for = [&](const LcoreInfo &l) -> LcorePlan & {
        auto it = lcore_slot.find(l.id);
        if (it == lcore_slot.end()) {
            it = lcore_slot.emplace(l.id, plan.lcores.size()).first;
            plan.lcores.push_back({l.id, l.socket, {}, {}});
        }
        return plan.lcores[it->second];
    };

    plan.rxq.assign(np, 0);
    std::vector<std::pair<size_t, uint16_t>> order;  // (port index, queue) -> lcore
    std::vector<LcoreInfo> assigned;

    if (!in.queue_map.empty()) {
        for (const auto &e : in.queue_map) {
            size_t pi = port_index(e.port);
            if (pi == np)
                throw UsageError("--config: port " + std::to_string(e.port) +
                                 " is not a forwarding port (see --portmask and the probed ports)");
            plan.rxq[pi] = std::max<uint16_t>(plan.rxq[pi], static_cast<uint16_t>(e.queue + 1));
        }
        for (size_t pi = 0; pi < np; ++pi) {
            uint16_t n = 0;
            for (const auto &e : in.queue_map)
                n += e.port == in.ports[pi].id;
            if (n == 0)
                throw UsageError("--config: port " + std::to_string(in.ports[pi].id) +
                                 " is a forwarding port but has no (port,queue,lcore) entry");
            if (n != plan.rxq[pi])
                throw UsageError("--config: queue ids of port " + std::to_string(in.ports[pi].id) +
                                 " must be in sequence and start with 0");
            if (in.rxq && *in.rxq != n)
                throw UsageError("--rxq: expected " + std::to_string(n) +
                                 " to match --config for port " + std::to_string(in.ports[pi].id) +
                                 ", got " + std::to_string(*in.rxq));
        }
        for (const auto &e : in.queue_map) {
            const LcoreInfo *l = nullptr;
            if (e.lcore == in.main_lcore.id) l = &in.main_lcore;
            for (const auto &w : in.workers)
                if (w.id == e.lcore) l = &w;
            if (!l)
                throw UsageError("--config: lcore " + std::to_string(e.lcore) +
                                 " is not enabled in the EAL lcore list (-l/--lcores)");
            if (in.nb_cores && l->id != in.main_lcore.id &&
                std::none_of(pollers.begin(), pollers.end(),
                             [&](auto &p) { return p.id == l->id; }))
                throw UsageError("--config: lcore " + std::to_string(e.lcore) +
                                 " is beyond --nb-cores " + std::to_string(*in.nb_cores));
            order.emplace_back(port_index(e.port), e.queue);
            assigned.push_back(*l);
        }
    } else {
        const uint16_t rxq = in.rxq.value_or(1);
        std::map<int, size_t> rr;  // round-robin position per socket
        size_t rr_any = 0;
        for (size_t pi = 0; pi < np; ++pi) {
            plan.rxq[pi] = rxq;
            const int psock = in.ports[pi].socket;
            std::vector<LcoreInfo> local;
            for (const auto &l : pollers)
                if (psock == kSocketAny || l.socket == psock) local.push_back(l);
            for (uint16_t q = 0; q < rxq; ++q) {
                LcoreInfo l{};
                if (!local.empty()) {
                    size_t &pos = psock == kSocketAny ? rr_any : rr[psock];
                    l = local[pos++ % local.size()];
                } else {
                    l = pollers[rr_any++ % pollers.size()];
                }
                order.emplace_back(pi, q);
                assigned.push_back(l);
            }
        }
    }

    for (size_t pi = 0; pi < np; ++pi) {
        if (plan.rxq[pi] > in.max_rxq)
            throw UsageError("--rxq: expected at most " + std::to_string(in.max_rxq) + " (port " +
                             std::to_string(in.ports[pi].id) + "'s limit), got " +
                             std::to_string(plan.rxq[pi]));
    }
    // Tx queue q of port P serves rx queue q of P's pair.
    plan.txq.assign(np, 0);
    for (size_t pi = 0; pi < np && !in.tx_any_port; ++pi) {
        const uint16_t need = plan.rxq[tx_index(pi)];
        if (in.txq && *in.txq < need)
            throw UsageError("--txq: expected at least " + std::to_string(need) +
                             " (one per rx queue of port " +
                             std::to_string(in.ports[tx_index(pi)].id) +
                             ", so no tx queue is shared), got " + std::to_string(*in.txq));
        plan.txq[pi] = in.txq.value_or(need);
        if (plan.txq[pi] > in.max_txq)
            throw UsageError("--txq: expected at most " + std::to_string(in.max_txq) + " (port " +
                             std::to_string(in.ports[pi].id) + "'s limit), got " +
                             std::to_string(plan.txq[pi]));
    }

    for (size_t i = 0; i < order.size(); ++i) {
        const auto [pi, q] = order[i];
        const LcoreInfo &l = assigned[i];
        const PortInfo &p = in.ports[pi];
        if (p.socket != kSocketAny && l.socket != kSocketAny && p.socket != l.socket)
            plan.warnings.push_back(
                "lcore " + std::to_string(l.id) + " on socket " + socket_name(l.socket) +
                " polls port " + std::to_string(p.id) + " queue " + std::to_string(q) +
                " on socket " + socket_name(p.socket) + ": cross-socket, expect lower performance");
        LcorePlan &lp = plan_for(l);
        const size_t ti = tx_index(pi);
        lp.streams.push_back({p.id, q, in.ports[ti].id, q});
        if (lp.streams.size() > kMaxStreamsPerLcore)
            throw UsageError("--config: too many queues for lcore " + std::to_string(l.id) +
                             ", expected at most " + std::to_string(kMaxStreamsPerLcore));
        if (l.id == in.main_lcore.id) plan.main_polls = true;
    }
    std::sort(plan.lcores.begin(), plan.lcores.end(),
              [](auto &a, auto &b) { return a.lcore < b.lcore; });
    if (in.tx_any_port) plan_tx_any_port(in, plan);
    return plan;
}

PipelinePlan plan_pipeline(const MapInput &in, const PipelineInput &p) {
    const auto fwd = forwarding_lcores(in);
    if (fwd.size() < 2)
        throw UsageError(
            "--pipeline: expected at least 2 forwarding lcores (an rx lcore and a worker), got " +
            std::to_string(fwd.size()) +
            "; give the EAL more worker lcores, e.g. -l 0-2 or --lcores '0@0,1@0,2@1'");
    if (p.rx_lcores == 0 || p.rx_lcores >= fwd.size())
        throw UsageError("--rx-lcores: expected 1.." + std::to_string(fwd.size() - 1) + " (the " +
                         std::to_string(fwd.size()) +
                         " forwarding lcores less at least one worker), got " +
                         std::to_string(p.rx_lcores));
    if (p.ring_size < 2 || (p.ring_size & (p.ring_size - 1)) != 0)
        throw UsageError("--ring-size: expected a power of two, got " +
                         std::to_string(p.ring_size));
    const std::vector<LcoreInfo> rx(fwd.begin(), fwd.begin() + p.rx_lcores);
    const std::vector<LcoreInfo> workers(fwd.begin() + p.rx_lcores, fwd.end());
    if (rx.size() > kMaxRxLcores)
        throw UsageError("--rx-lcores: expected at most " + std::to_string(kMaxRxLcores) +
                         ", got " + std::to_string(rx.size()));
    if (workers.size() > kMaxWorkers)
        throw UsageError("--pipeline: expected at most " + std::to_string(kMaxWorkers) +
                         " workers, got " + std::to_string(workers.size()) +
                         " (use --nb-cores or --rx-lcores)");
    if (in.ports.size() > kMaxStreamsPerLcore)
        throw UsageError("--pipeline: expected at most " + std::to_string(kMaxStreamsPerLcore) +
                         " forwarding ports (a worker has a stream per port), got " +
                         std::to_string(in.ports.size()) + " (use --portmask)");
    auto is_rx = [&](unsigned id) {
        return std::any_of(rx.begin(), rx.end(), [&](const LcoreInfo &l) { return l.id == id; });
    };
    for (const auto &e : in.queue_map)
        if (!is_rx(e.lcore))
            throw UsageError("--config: lcore " + std::to_string(e.lcore) +
                             " is not an rx lcore; with --pipeline the first --rx-lcores " +
                             std::to_string(rx.size()) + " forwarding lcores poll the rx queues");

    PipelinePlan pp;
    MapInput rin = in;
    rin.workers = rx;
    rin.nb_cores.reset();
    rin.txq.reset();
    rin.reply_on_rx_port = true;
    rin.tx_any_port = false;  // workers have a stream on every port
    pp.rx = map_queues(rin);
    pp.warnings = pp.rx.warnings;
    for (const auto &l : rx)
        if (std::none_of(pp.rx.lcores.begin(), pp.rx.lcores.end(),
                         [&](const LcorePlan &lp) { return lp.lcore == l.id; }))
            pp.warnings.push_back("rx lcore " + std::to_string(l.id) +
                                  " has no rx queue to poll (more --rx-lcores than queues)");

    const size_t np = in.ports.size();
    const size_t nw = workers.size();
    // Tx queues: one per worker where the port has them (and --txq allows), else one
    // per rx queue, written by the rx lcore polling that queue.
    pp.own_tx_queues.assign(np, false);
    for (size_t pi = 0; pi < np; ++pi) {
        const PortInfo &port = in.ports[pi];
        const uint16_t rxq = pp.rx.rxq[pi];
        const bool own = port.queue_pairs ? rxq >= nw && (!in.txq || *in.txq == rxq)
                                          : port.max_txq >= nw && (!in.txq || *in.txq >= nw);
        pp.own_tx_queues[pi] = own;
        uint16_t n =
            own ? (port.queue_pairs ? rxq : in.txq.value_or(static_cast<uint16_t>(nw))) : rxq;
        if (!own && in.txq) {
            if (*in.txq > pp.rx.rxq[pi])
                throw UsageError("--txq: expected at least " + std::to_string(nw) +
                                 " (one per worker) or at most " + std::to_string(pp.rx.rxq[pi]) +
                                 " (one per rx queue of port " + std::to_string(port.id) +
                                 ", sent by its rx lcore), got " + std::to_string(*in.txq));
            n = *in.txq;
        }
        if (n > port.max_txq)
            throw UsageError("--txq: expected at most " + std::to_string(port.max_txq) + " (port " +
                             std::to_string(port.id) + "'s limit), got " + std::to_string(n));
        pp.rx.txq[pi] = n;
    }

    auto socket_of = [](const LcoreInfo &consumer, const LcoreInfo &producer) {
        return consumer.socket != kSocketAny ? consumer.socket : producer.socket;
    };
    bool warned_cross = false;
    auto note_cross = [&](const LcoreInfo &a, const LcoreInfo &b) {
        if (warned_cross || a.socket == kSocketAny || b.socket == kSocketAny ||
            a.socket == b.socket)
            return;
        warned_cross = true;
        pp.warnings.push_back("lcore " + std::to_string(a.id) + " (socket " +
                              std::to_string(a.socket) + ") and lcore " + std::to_string(b.id) +
                              " (socket " + std::to_string(b.socket) +
                              ") share a ring across sockets: expect lower performance");
    };
    auto lcore_info = [&](unsigned id) {
        for (const auto &l : rx)
            if (l.id == id) return l;
        return LcoreInfo{id, kSocketAny};
    };
    // The lcore that polls rx queue q of port index pi (and so owns its tx queue q).
    auto poller_of = [&](size_t pi, uint16_t q) -> unsigned {
        for (const auto &lp : pp.rx.lcores)
            for (const auto &s : lp.streams)
                if (s.rx_port == in.ports[pi].id && s.rx_queue == q) return lp.lcore;
        throw UsageError("internal: no lcore polls port " + std::to_string(in.ports[pi].id) +
                         " queue " + std::to_string(q));
    };

    for (size_t wi = 0; wi < nw; ++wi) {
        const LcoreInfo &w = workers[wi];
        WorkerPlan wp{w.id, w.socket, {}, {}};
        for (const auto &lp : pp.rx.lcores) {
            const LcoreInfo r = lcore_info(lp.lcore);
            note_cross(r, w);
            wp.inputs.push_back(static_cast<int>(pp.rings.size()));
            pp.rings.push_back({RingPlan::Kind::rx,
                                "c10m_rx" + std::to_string(r.id) + "_w" + std::to_string(w.id),
                                r.id, w.id, socket_of(w, r)});
        }
        for (size_t ti = 0; ti < np; ++ti) {
            const uint16_t port = in.ports[ti].id;
            if (pp.own_tx_queues[ti]) {
                wp.tx.push_back({port, static_cast<uint16_t>(wi), -1});
                continue;
            }
            const auto q = static_cast<uint16_t>(wi % pp.rx.txq[ti]);
            const LcoreInfo owner = lcore_info(poller_of(ti, q));
            note_cross(w, owner);
            wp.tx.push_back({port, q, static_cast<int>(pp.rings.size())});
            pp.rings.push_back({RingPlan::Kind::tx,
                                "c10m_tx_w" + std::to_string(w.id) + "_p" + std::to_string(port),
                                w.id, owner.id, socket_of(owner, w), port, q});
        }
        pp.workers.push_back(std::move(wp));
    }
    return pp;
}

}  // namespace c10m::pipeline
