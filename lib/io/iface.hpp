#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "config/options.hpp"

namespace c10m::io {

// The device arguments that put an AF_PACKET port (net_af_packet) on a Linux
// interface, with one queue pair per rx queue.
// Frames in each AF_PACKET ring (the PMD's default is 512): a burst of connection
// handshakes overflowed 512 (the kernel drops into a full ring), 2048 takes 4 MB of
// kernel memory per queue and direction.
inline constexpr unsigned kAfPacketFrames = 2048;
std::string af_packet_vdev(std::string_view iface, unsigned index, uint16_t qpairs);

// The same for an AF_XDP port (net_af_xdp) on queues 0..queues-1 of the interface.
std::string af_xdp_vdev(std::string_view iface, unsigned index, uint16_t queues);

// True when the routing table text (/proc/net/route, /proc/net/ipv6_route format)
// has a default route out of iface.
bool has_default_route_v4(std::string_view proc_net_route, std::string_view iface);
bool has_default_route_v6(std::string_view proc_net_ipv6_route, std::string_view iface);

// Reads this network namespace's routing tables.
bool carries_default_route(std::string_view iface);

bool iface_exists(std::string_view iface);

// True for the port names attach_ifaces() gives.
bool attached_by_us(std::string_view port_name);

// A port c10m put on an interface.
struct IfacePort {
    std::string iface;
    unsigned index;
    uint16_t queues;
    std::string port_name;  // the ethdev name (net_af_xdp_c10mN / net_af_packet_c10mN)
    bool may_fall_back;     // AF_XDP under --iface-pmd auto: AF_PACKET if it fails
};

// Set-up found that an AF_XDP port cannot work (the interface refused the XDP
// program when its queues were set up); with --iface-pmd auto, main() swaps in an
// AF_PACKET port and starts the set-up again.
class AfXdpUnavailable : public SetupError {
  public:
    AfXdpUnavailable(std::string port, std::string reason)
        : SetupError(port + ": AF_XDP unavailable: " + reason),
          port_name(std::move(port)),
          why(std::move(reason)) {}
    std::string port_name;
    std::string why;
};

// Adds a port on each interface after the EAL has started (hot-plug): AF_XDP for
// auto and af_xdp, AF_PACKET for af_packet (or when the AF_XDP probe itself fails
// under auto). Throws SetupError when no PMD could take an interface.
std::vector<IfacePort> attach_ifaces(const std::vector<std::string> &ifaces, config::IfacePmd pmd,
                                     uint16_t queues);

void attach_af_packet(IfacePort &p, const char *note);

// Replaces the AF_XDP port named in e with an AF_PACKET port on the same interface,
// saying why in one log line.
void fall_back_to_af_packet(std::vector<IfacePort> &ports, const AfXdpUnavailable &e);

}  // namespace c10m::io
