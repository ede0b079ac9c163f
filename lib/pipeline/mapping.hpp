#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/options.hpp"

namespace c10m::pipeline {

inline constexpr int kSocketAny = -1;              // rte_eth_dev_socket_id() when unknown
inline constexpr size_t kMaxStreamsPerLcore = 16;  // as l3fwd's MAX_RX_QUEUE_PER_LCORE
inline constexpr size_t kMaxRxLcores = 16;         // pipeline: rx lcores
inline constexpr size_t kMaxWorkers = 64;          // pipeline: workers

struct LcoreInfo {
    unsigned id;
    int socket;
};

struct PortInfo {
    uint16_t id;
    int socket;                // kSocketAny when the device does not say
    uint16_t max_txq = 1024;   // the device's limit
    bool queue_pairs = false;  // it takes as many tx queues as rx queues, no other count
};

// One rx queue polled by one lcore, and where its packets leave.
struct Stream {
    uint16_t rx_port;
    uint16_t rx_queue;
    uint16_t tx_port;
    uint16_t tx_queue;
    friend bool operator==(const Stream &, const Stream &) = default;
};

// A tx queue an lcore sends on without polling that port (routing modes).
struct TxQueue {
    uint16_t port;
    uint16_t queue;
    friend bool operator==(const TxQueue &, const TxQueue &) = default;
};

struct LcorePlan {
    unsigned lcore;
    int socket;
    std::vector<Stream> streams;
    std::vector<TxQueue> tx_only;  // tx_any_port: the ports none of its streams sends on
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
    // l3fwd: a packet may leave by any port, so every lcore has a tx queue on every
    // port: the k-th polling lcore (in id order) sends on tx queue k of each.
    bool tx_any_port = false;
    uint16_t max_rxq = 1024;  // smallest device limit over the ports
    uint16_t max_txq = 1024;
};

// Decides which lcore polls which (port, rx queue) and which tx queue it sends on.
// Tx queue q of a port is written only by the lcore polling rx queue q of its paired
// port (with tx_any_port: by the q-th lcore), so no tx queue is shared. Throws
// UsageError naming the flag at fault.
Plan map_queues(const MapInput &in);

// The lcores that forward: the first --nb-cores worker lcores, or the main lcore
// when the EAL gave no worker.
std::vector<LcoreInfo> forwarding_lcores(const MapInput &in);

// ---- pipeline mode: rx lcores -> rings -> workers -> tx

struct PipelineInput {
    unsigned rx_lcores = 1;     // --rx-lcores
    unsigned ring_size = 1024;  // --ring-size
};

// One SP/SC ring: from an rx lcore to a worker (rx), or from a worker to the lcore
// that owns a port's tx queue (tx). It lives on the consumer's socket.
struct RingPlan {
    enum class Kind { rx, tx } kind;
    std::string name;
    unsigned producer;  // lcore ids
    unsigned consumer;
    int socket;
    uint16_t port = 0;  // tx: the port and queue it feeds
    uint16_t queue = 0;
    friend bool operator==(const RingPlan &, const RingPlan &) = default;
};

// Where a worker's packets for one port leave: its own tx queue, or a ring to the
// rx lcore owning `queue`.
struct WorkerTx {
    uint16_t port;
    uint16_t queue;
    int ring = -1;  // index into PipelinePlan::rings, -1: the worker's own queue
    friend bool operator==(const WorkerTx &, const WorkerTx &) = default;
};

struct WorkerPlan {
    unsigned lcore;
    int socket;
    std::vector<int> inputs;   // rx rings it consumes, one per rx lcore
    std::vector<WorkerTx> tx;  // per forwarding port (by index): where its packets for it go
};

struct PipelinePlan {
    Plan rx;  // the rx lcores' queues; rxq and txq per port; Stream::tx_* unused
    std::vector<WorkerPlan> workers;
    std::vector<RingPlan> rings;
    // Per forwarding port index: true when every worker has a tx queue of its own on
    // it; false when workers hand packets to the lcore polling rx queue q of the
    // port, which owns tx queue q.
    std::vector<bool> own_tx_queues;
    std::vector<std::string> warnings;
};

// Splits the forwarding lcores into the first p.rx_lcores, which poll the rx queues
// (mapped as map_queues maps them, --config included), and workers, and plans the
// rings between them. Throws UsageError naming the flag at fault.
PipelinePlan plan_pipeline(const MapInput &in, const PipelineInput &p);

}  // namespace c10m::pipeline
