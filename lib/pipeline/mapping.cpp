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

Plan map_queues(const MapInput &in) {
    Plan plan;
    const size_t np = in.ports.size();
    auto tx_index = [&](size_t pi) { return in.reply_on_rx_port ? pi : paired_index(pi, np); };
    if (np == 0) throw UsageError("no ports to forward on");

    // The polling lcores: the first --nb-cores workers; the main lcore when there is none.
    std::vector<LcoreInfo> pollers = in.workers;
    if (in.nb_cores) {
        const size_t avail = std::max<size_t>(in.workers.size(), 1);
        if (*in.nb_cores > avail)
            throw UsageError("--nb-cores: expected at most " + std::to_string(avail) +
                             " (worker lcores given to the EAL with -l/--lcores), got " +
                             std::to_string(*in.nb_cores));
        if (!in.workers.empty()) pollers.resize(*in.nb_cores);
    }

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
            plan.lcores.push_back({l.id, l.socket, {}});
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
        if (pollers.empty()) pollers.push_back(in.main_lcore);
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
    for (size_t pi = 0; pi < np; ++pi) {
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
    return plan;
}

}  // namespace c10m::pipeline
