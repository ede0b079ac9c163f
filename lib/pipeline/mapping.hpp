#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/options.hpp"

namespace c10m::pipeline {

inline constexpr int kSocketAny = -1;              // rte_eth_dev_socket_id() when unknown
inline constexpr size_t kMaxStreamsPerLcore = 16;  // as l3fwd's MAX_RX_QUEUE_PER_LCORE

struct LcoreInfo {
    unsigned id;
    int socket;
};

struct PortInfo {
    uint16_t id;
    int socket;  // kSocketAny when the device does not say
};

// One rx queue polled by one lcore, and where its packets leave.
struct Stream {
    uint16_t rx_port;
    uint16_t rx_queue;
    uint16_t tx_port;
    uint16_t tx_queue;
    friend bool operator==(const Stream &, const Stream &) = default;
};

struct LcorePlan {
    unsigned lcore;
    int socket;
    std::vector<Stream> streams;
};

struct Plan {
    std::vector<uint16_t> rxq;      // per forwarding-port index: rx queues
    std::vector<uint16_t> txq;      // per forwarding-port index: tx queues
    std::vector<LcorePlan> lcores;  // only lcores that poll something
    bool main_polls = false;        // the main lcore runs a poll loop too
    std::vector<std::string> warnings;
};

// testpmd's paired topology over the forwarding ports (by position in the list):
// 0<->1, 2<->3, ..., and a lone last port with itself.
size_t paired_index(size_t index, size_t nb_ports);

// Ports selected by --portmask among the probed ones (in port-id order).
// Throws UsageError when the mask names a port that does not exist.
std::vector<uint16_t> select_ports(const std::vector<uint16_t> &probed,
                                   std::optional<uint64_t> portmask);

struct MapInput {
    std::vector<PortInfo> ports;  // the forwarding ports, in order
    LcoreInfo main_lcore;
    std::vector<LcoreInfo> workers;                // enabled worker lcores, in order
    std::optional<unsigned> nb_cores;              // --nb-cores
    std::optional<uint16_t> rxq;                   // --rxq
    std::optional<uint16_t> txq;                   // --txq
    std::vector<config::QueueMapEntry> queue_map;  // --config
    bool reply_on_rx_port = false;                 // echo: packets leave by the port they came in
    uint16_t max_rxq = 1024;                       // smallest device limit over the ports
    uint16_t max_txq = 1024;
};

// Decides which lcore polls which (port, rx queue) and which tx queue it sends on.
// Tx queue q of a port is written only by the lcore polling rx queue q of its paired
// port, so no tx queue is shared. Throws UsageError naming the flag at fault.
Plan map_queues(const MapInput &in);

}  // namespace c10m::pipeline
