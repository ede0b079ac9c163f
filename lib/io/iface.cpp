#include "io/iface.hpp"

#include <net/if.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace c10m::io {

std::string af_packet_vdev(std::string_view iface, unsigned index, uint16_t qpairs) {
    return "net_af_packet_c10m" + std::to_string(index) + ",iface=" + std::string(iface) +
           ",qpairs=" + std::to_string(qpairs);
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

}  // namespace c10m::io
