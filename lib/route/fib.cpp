#include "route/fib.hpp"

#include <rte_errno.h>
#include <rte_malloc.h>

#include <algorithm>
#include <map>

#include "common/error.hpp"
#include "net/addr.hpp"

namespace c10m::route {

namespace {

std::string prefix_text(uint32_t a, uint8_t len) {
    return net::ipv4_text(a) + "/" + std::to_string(len);
}

}  // namespace

FibSpec build_fib(const config::AppConfig &cfg, const std::vector<uint16_t> &ports) {
    FibSpec f;
    std::map<std::pair<uint32_t, uint8_t>, size_t> where;  // (addr, len) -> prefixes index
    auto nexthop = [&](Nexthop h) -> uint32_t {
        h.fast_mtu = h.kind == Nexthop::Kind::forward ? config::mtu_of(cfg, h.port) : 0;
        for (size_t i = 0; i < f.nexthops.size(); ++i)
            if (f.nexthops[i] == h) return static_cast<uint32_t>(i);
        f.nexthops.push_back(h);
        return static_cast<uint32_t>(f.nexthops.size() - 1);
    };
    auto is_port = [&](uint16_t p) {
        return std::find(ports.begin(), ports.end(), p) != ports.end();
    };

    // The router's own: connected subnets, its addresses, the subnets' broadcasts.
    for (const auto &a : cfg.ips) {
        if (!is_port(a.port))
            throw UsageError("--ip: expected a forwarding port, got port " +
                             std::to_string(a.port));
        const net::Ipv4Prefix p{a.addr, a.len};
        const uint32_t net_addr = a.addr & p.mask();
        if (where.count({net_addr, a.len}))
            throw UsageError("--ip: two ports on one subnet (" + prefix_text(net_addr, a.len) +
                             "): the router could not tell which one a packet is for");
        where[{net_addr, a.len}] = f.prefixes.size();
        f.prefixes.push_back({net_addr, a.len, nexthop({Nexthop::Kind::forward, a.port, 0})});
    }
    for (const auto &a : cfg.ips) {
        const net::Ipv4Prefix p{a.addr, a.len};
        auto [it, fresh] = where.emplace(std::make_pair(a.addr, uint8_t{32}), f.prefixes.size());
        if (fresh)
            f.prefixes.push_back({a.addr, 32, nexthop({Nexthop::Kind::local, a.port, 0})});
        else  // a /32 --ip: its connected route is the address itself
            f.prefixes[it->second].nexthop = nexthop({Nexthop::Kind::local, a.port, 0});
        if (a.len < 31 &&
            where.emplace(std::make_pair(p.broadcast(), uint8_t{32}), f.prefixes.size()).second)
            f.prefixes.push_back(
                {p.broadcast(), 32, nexthop({Nexthop::Kind::broadcast, a.port, 0})});
    }
    const size_t own = f.prefixes.size();

    auto on_subnet = [&](uint16_t port, uint32_t addr) {
        for (const auto &a : cfg.ips) {
            const net::Ipv4Prefix p{a.addr, a.len};
            if (a.port == port && (addr & p.mask()) == (a.addr & p.mask()) && addr != a.addr)
                return true;
        }
        return false;
    };
    auto has_neighbor = [&](uint16_t port, uint32_t addr) {
        return std::any_of(cfg.neighbors.begin(), cfg.neighbors.end(),
                           [&](const auto &n) { return n.port == port && n.ip == addr; });
    };
    for (const auto &r : cfg.routes) {
        std::string text = prefix_text(r.prefix, r.len);
        text += ',';
        text += std::to_string(r.port);
        if (r.gateway) {
            text += ',';
            text += net::ipv4_text(r.gateway);
        }
        if (!is_port(r.port))
            throw UsageError("--route " + text + ": expected a forwarding port, got port " +
                             std::to_string(r.port));
        if (r.gateway && !on_subnet(r.port, r.gateway) && !has_neighbor(r.port, r.gateway))
            throw UsageError(
                "--route " + text + ": expected a gateway on port " + std::to_string(r.port) +
                "'s subnet (see --ip) or given by --neighbor, got " + net::ipv4_text(r.gateway));
        auto it = where.find({r.prefix, r.len});
        if (it != where.end() && it->second < own)
            throw UsageError("--route " + text +
                             ": expected a prefix that is not connected or the router's own "
                             "(--ip gives those)");
        if (it != where.end())
            throw UsageError("--route " + text + ": expected one route per prefix");
        where[{r.prefix, r.len}] = f.prefixes.size();
        f.prefixes.push_back(
            {r.prefix, r.len, nexthop({Nexthop::Kind::forward, r.port, r.gateway})});
    }
    for (const auto &n : cfg.neighbors)
        if (!is_port(n.port))
            throw UsageError("--neighbor: expected a forwarding port, got port " +
                             std::to_string(n.port));
    return f;
}

std::optional<uint32_t> naive_lookup(const FibSpec &fib, uint32_t addr) {
    std::optional<uint32_t> best;
    int best_len = -1;
    for (const auto &p : fib.prefixes) {
        const uint32_t mask = net::Ipv4Prefix{0, p.len}.mask();
        if ((addr & mask) == p.addr && p.len > best_len) {
            best_len = p.len;
            best = p.nexthop;
        }
    }
    return best;
}

Lpm::Lpm(const FibSpec &spec, int socket, const std::string &name) {
    // A tbl8 group per /24 that holds a longer prefix (rte_lpm's second level).
    std::vector<uint32_t> groups;
    for (const auto &p : spec.prefixes)
        if (p.len > 24) groups.push_back(p.addr >> 8);
    std::sort(groups.begin(), groups.end());
    groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
    rte_lpm_config c{};
    c.max_rules = static_cast<uint32_t>(std::max<size_t>(spec.prefixes.size() + 1, 16));
    c.number_tbl8s = static_cast<uint32_t>(std::max<size_t>(groups.size() + 16, 256));
    lpm_ = rte_lpm_create(name.c_str(), socket, &c);
    if (!lpm_)
        throw SetupError("cannot create the route table " + name + " on socket " +
                         std::to_string(socket) + ": " + rte_strerror(rte_errno));
    if (spec.nexthops.size() >= (1u << 24)) throw SetupError("too many next hops for rte_lpm");
    nexthops_ = static_cast<Nexthop *>(rte_zmalloc_socket(
        "c10m_nexthops", sizeof(Nexthop) * std::max<size_t>(spec.nexthops.size(), 1),
        RTE_CACHE_LINE_SIZE, socket));
    if (!nexthops_) {
        rte_lpm_free(lpm_);
        throw SetupError("cannot allocate the next hops on socket " + std::to_string(socket));
    }
    std::copy(spec.nexthops.begin(), spec.nexthops.end(), nexthops_);
    nb_nexthops_ = spec.nexthops.size();
    auto add = [&](uint32_t addr, uint8_t len, uint32_t nexthop) {
        const int ret = rte_lpm_add(lpm_, addr, len, nexthop);
        if (ret != 0) {
            rte_free(nexthops_);
            rte_lpm_free(lpm_);
            throw SetupError("cannot add " + prefix_text(addr, len) +
                             " to the route table: " + rte_strerror(-ret));
        }
    };
    for (const auto &p : spec.prefixes) {
        if (p.len != 0) {
            add(p.addr, p.len, p.nexthop);
            continue;
        }
        // rte_lpm takes depths 1..32: the default route goes in as its two halves,
        // each where no /1 was given (that one is the longer match). So a lookup finds
        // it in the table, as the four-wide path's first-level entries do.
        for (const uint32_t half : {0u, 0x80000000u})
            if (std::none_of(spec.prefixes.begin(), spec.prefixes.end(),
                             [&](const Prefix &q) { return q.len == 1 && q.addr == half; }))
                add(half, 1, p.nexthop);
    }
    nb_prefixes_ = spec.prefixes.size();
}

Lpm::~Lpm() {
    rte_free(nexthops_);
    rte_lpm_free(lpm_);
}

}  // namespace c10m::route
