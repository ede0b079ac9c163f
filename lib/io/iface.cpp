#include "io/iface.hpp"

#include <net/if.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/error.hpp"
#include "common/log.hpp"
#include "io/eal.hpp"

#include <fstream>
#include <sstream>
#include <vector>

namespace c10m::io {

std::string af_packet_vdev(std::string_view iface, unsigned index, uint16_t qpairs) {
    return "net_af_packet_c10m" + std::to_string(index) + ",iface=" + std::string(iface) +
           ",qpairs=" + std::to_string(qpairs) + ",framecnt=" + std::to_string(kAfPacketFrames);
}

namespace {

std::vector<std::string> fields(const std::string &line) {
    std::istringstream is(line);
    std::vector<std::string> f;
    std::string w;
    while (is >> w)
        f.push_back(w);
    return f;
}

std::string slurp(const char *path) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

bool has_default_route_v4(std::string_view text, std::string_view iface) {
    // Iface Destination Gateway Flags RefCnt Use Metric Mask ...
    std::istringstream is{std::string(text)};
    std::string line;
    std::getline(is, line);  // header
    while (std::getline(is, line)) {
        auto f = fields(line);
        if (f.size() >= 8 && f[0] == iface && f[1] == "00000000" && f[7] == "00000000") return true;
    }
    return false;
}

bool has_default_route_v6(std::string_view text, std::string_view iface) {
    // dest prefixlen src srcprefixlen nexthop metric refcnt use flags iface
    std::istringstream is{std::string(text)};
    std::string line;
    while (std::getline(is, line)) {
        auto f = fields(line);
        if (f.size() >= 10 && f[9] == iface && f[0] == std::string(32, '0') && f[1] == "00")
            return true;
    }
    return false;
}

bool carries_default_route(std::string_view iface) {
    return has_default_route_v4(slurp("/proc/net/route"), iface) ||
           has_default_route_v6(slurp("/proc/net/ipv6_route"), iface);
}

bool iface_exists(std::string_view iface) {
    return if_nametoindex(std::string(iface).c_str()) != 0;
}

std::string af_xdp_vdev(std::string_view iface, unsigned index, uint16_t queues) {
    return "net_af_xdp_c10m" + std::to_string(index) + ",iface=" + std::string(iface) +
           ",start_queue=0,queue_count=" + std::to_string(queues);
}

bool attached_by_us(std::string_view name) {
    return name.starts_with("net_af_xdp_c10m") || name.starts_with("net_af_packet_c10m");
}

std::vector<IfacePort> attach_ifaces(const std::vector<std::string> &ifaces, config::IfacePmd pmd,
                                     uint16_t queues) {
    using config::IfacePmd;
    std::vector<IfacePort> out;
    unsigned index = 0;
    for (const auto &ifname : ifaces) {
        IfacePort p{ifname, index++, queues, "", pmd == IfacePmd::automatic};
        if (pmd != IfacePmd::af_packet) {
            // The XDP program is attached when the queues are set up, not here: an
            // interface that refuses it is found then (see AfXdpUnavailable).
            const std::string args = af_xdp_vdev(ifname, p.index, queues);
            const int ret = rte_dev_probe(args.c_str());
            if (ret == 0) {
                p.port_name = args.substr(0, args.find(','));
                C10M_LOG(
                    INFO,
                    "--iface %s: AF_XDP (net_af_xdp)%s; the XDP program goes on with the queues",
                    ifname.c_str(),
                    pmd == IfacePmd::automatic ? ", as --iface-pmd auto prefers" : "");
                out.push_back(p);
                continue;
            }
            if (pmd == IfacePmd::af_xdp)
                throw SetupError("--iface " + ifname + ": AF_XDP port failed (" +
                                 rte_error_text(ret) + "); use --iface-pmd af_packet or auto");
            C10M_LOG(WARNING, "--iface %s: AF_XDP unavailable (%s): falling back to AF_PACKET",
                     ifname.c_str(), rte_error_text(ret).c_str());
        }
        attach_af_packet(p, pmd == IfacePmd::af_packet ? ", as --iface-pmd asked" : "");
        out.push_back(p);
    }
    return out;
}

void attach_af_packet(IfacePort &p, const char *note) {
    const std::string args = af_packet_vdev(p.iface, p.index, p.queues);
    const int ret = rte_dev_probe(args.c_str());
    if (ret != 0)
        throw SetupError("--iface " + p.iface + ": AF_PACKET port failed: " + rte_error_text(ret));
    p.port_name = args.substr(0, args.find(','));
    p.may_fall_back = false;
    C10M_LOG(INFO, "--iface %s: AF_PACKET (net_af_packet)%s", p.iface.c_str(), note);
}

void fall_back_to_af_packet(std::vector<IfacePort> &ports, const AfXdpUnavailable &e) {
    for (auto &p : ports) {
        if (p.port_name != e.port_name) continue;
        rte_eal_hotplug_remove("vdev", p.port_name.c_str());
        C10M_LOG(WARNING, "--iface %s: AF_XDP unavailable (%s): falling back to AF_PACKET",
                 p.iface.c_str(), e.why.c_str());
        attach_af_packet(p, "");
        return;
    }
    throw SetupError(e.what());
}

}  // namespace c10m::io
