#pragma once

#include <rte_ether.h>

#include "stats/counters.hpp"

namespace c10m::host {
struct PortHost;
struct EchoLcore;
class NeighbourTable;
class UdpPorts;
}  // namespace c10m::host

namespace c10m::tcp {
class Engine;
}

namespace c10m::fwd {

// What a mode needs to know about one stream (one rx queue and where it sends).
// Every mode's handler has the same shape:
//   static uint16_t handle(rte_mbuf **pkts, uint16_t n, const FwdParams &p,
//                          uint64_t now, stats::Tally &t) noexcept;
// It rewrites the packets to send in place, frees the ones it drops (counted in t),
// compacts pkts so the first (returned) entries are the ones to send.
struct FwdParams {
    rte_ether_addr tx_src;  // MAC of the port the stream transmits on
    rte_ether_addr peer;    // --eth-peer of that port (testpmd's default 02:00:00:00:00:<port>)
    // echo: the rx port's address, and this lcore's state for it
    const host::PortHost *host = nullptr;
    host::NeighbourTable *neigh = nullptr;
    host::EchoLcore *echo = nullptr;
    const host::UdpPorts *udp = nullptr;
    tcp::Engine *tcp = nullptr;  // echo: this lcore's TCP-lite, nullptr when TCP is off
    uint8_t tcp_stream = 0;      // the stream's index in it
};

}  // namespace c10m::fwd
