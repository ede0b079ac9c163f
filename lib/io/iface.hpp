#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace c10m::io {

// The --vdev argument that puts an AF_PACKET port (net_af_packet) on a Linux
// interface, with one queue pair per rx queue.
std::string af_packet_vdev(std::string_view iface, unsigned index, uint16_t qpairs);

// True when the routing table text (/proc/net/route, /proc/net/ipv6_route format)
// has a default route out of iface.
bool has_default_route_v4(std::string_view proc_net_route, std::string_view iface);
bool has_default_route_v6(std::string_view proc_net_ipv6_route, std::string_view iface);

// Reads this network namespace's routing tables.
bool carries_default_route(std::string_view iface);

bool iface_exists(std::string_view iface);

}  // namespace c10m::io
