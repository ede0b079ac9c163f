#pragma once

#include <rte_ether.h>

#include <cstdint>
#include <string>
#include <vector>

struct rte_mempool;
struct rte_device;

namespace c10m::io {

// What a port can do, read before it is configured, and the quirks of its PMD that
// the rest of c10m must allow for (decided here, once, from the driver).
struct PortCaps {
    uint16_t id = 0;
    std::string name;
    std::string driver;
    int socket = -1;
    uint16_t max_rxq = 1;
    uint16_t max_txq = 1;
    uint16_t mtu = 1500;
    rte_ether_addr mac{};
    // The PMD frees the mbufs it sent only when a later tx burst pulls its
    // completion ring (net_af_xdp), so a quiet queue needs an empty burst.
    bool tx_frees_late = false;
    // Mbufs the PMD keeps beyond its descriptor counts: per rx queue (an AF_XDP fill
    // ring) and per tx queue (an AF_XDP completion ring). Pools are sized for them,
    // and the exit check allows what a PMD keeps after close.
    uint32_t held_per_rxq = 0;
    uint32_t held_per_txq = 0;
    // Setting up an rx queue attaches an XDP program, which the interface may
    // refuse (the reason is in the kernel's message on stderr).
    bool rx_setup_attaches_xdp = false;
    // Queues come in pairs: the port takes as many tx queues as rx queues, no other
    // count (net_tap refuses it; AF_PACKET and AF_XDP open one socket per pair).
    bool queue_pairs = false;
    // The PMD can flag IPv4 header checksums as good or bad on receive
    // (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM). Where it cannot, the flags say nothing and
    // the router's loop does not read them.
    bool rx_ip_csum_flags = false;
    // RSS as the started port does it (Port::start): its Toeplitz key and redirection
    // table (the queue of each hash value mod the table's size), and whether the
    // hash covers TCP/UDP ports. Empty unless a known key spreads flows over the rx
    // queues; net_tap is left out, as tun picks its queues itself.
    std::vector<uint8_t> rss_key;
    std::vector<uint16_t> rss_reta;
    bool rss_l4 = false;
};

PortCaps query_port(uint16_t id);

// Every port the EAL probed, in id order.
std::vector<uint16_t> probed_ports();

// Symmetric Toeplitz key: 0x6d,0x5a repeated hashes both directions of a flow alike.
std::vector<uint8_t> symmetric_rss_key(size_t len);

// Owns one configured ethdev port: configure -> queues -> start; on destruction
// stop and close it (the PMD releases its queues and, for tap/af_packet, its netdev
// or sockets).
class Port {
  public:
    Port(uint16_t id, uint16_t nb_rxq, uint16_t nb_txq, uint16_t rxd, uint16_t txd);
    ~Port();
    Port(Port &&o) noexcept;
    Port &operator=(Port &&) = delete;
    Port(const Port &) = delete;

    void setup_rx_queue(uint16_t q, int socket, rte_mempool *pool);
    void setup_tx_queue(uint16_t q, int socket);
    void start();
    void stop();   // idempotent
    void close();  // idempotent; stops first; detaches the device too when asked
    // Remove the device from the bus on close (for devices c10m hot-plugged itself:
    // some PMDs, net_af_xdp among them, give back their mbufs only then).
    void detach_on_close() { detach_ = true; }

    uint16_t id() const { return id_; }
    uint16_t nb_rxd() const { return nb_rxd_; }
    uint16_t nb_txd() const { return nb_txd_; }
    uint16_t nb_rxq() const { return nb_rxq_; }
    uint16_t nb_txq() const { return nb_txq_; }
    bool rss() const { return rss_; }
    const PortCaps &caps() const { return caps_; }

  private:
    void read_rss();

    uint16_t id_;
    uint16_t nb_rxq_, nb_txq_;
    uint16_t nb_rxd_ = 0, nb_txd_ = 0;
    bool rss_ = false;
    bool started_ = false;
    bool open_ = false;
    bool detach_ = false;
    rte_device *device_ = nullptr;
    PortCaps caps_;
    std::vector<uint8_t> rss_key_;
};

}  // namespace c10m::io
