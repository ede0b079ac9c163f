#include "io/port.hpp"

#include <rte_dev.h>
#include <rte_ethdev.h>

#include <cstring>

#include "common/error.hpp"
#include "io/eal.hpp"

namespace c10m::io {

namespace {

[[noreturn]] void port_fail(uint16_t id, const std::string &what, int ret) {
    throw SetupError("port " + std::to_string(id) + ": " + what + ": " + rte_error_text(ret));
}

}  // namespace

std::vector<uint16_t> probed_ports() {
    std::vector<uint16_t> out;
    for (uint64_t p = rte_eth_find_next_owned_by(0, RTE_ETH_DEV_NO_OWNER); p < RTE_MAX_ETHPORTS;
         p = rte_eth_find_next_owned_by(static_cast<uint16_t>(p + 1), RTE_ETH_DEV_NO_OWNER))
        out.push_back(static_cast<uint16_t>(p));
    return out;
}

PortCaps query_port(uint16_t id) {
    PortCaps c;
    c.id = id;
    rte_eth_dev_info info{};
    int ret = rte_eth_dev_info_get(id, &info);
    if (ret != 0) port_fail(id, "cannot read device info", ret);
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    rte_eth_dev_get_name_by_port(id, name);
    c.name = name;
    c.driver = info.driver_name ? info.driver_name : "";
    c.socket = rte_eth_dev_socket_id(id);
    c.max_rxq = info.max_rx_queues;
    c.max_txq = info.max_tx_queues;
    ret = rte_eth_macaddr_get(id, &c.mac);
    if (ret != 0) port_fail(id, "cannot read MAC address", ret);
    uint16_t mtu = 0;
    if (rte_eth_dev_get_mtu(id, &mtu) == 0 && mtu >= 576) c.mtu = mtu;
    if (c.driver == "net_af_xdp") {
        // XSK_RING_CONS__DEFAULT_NUM_DESCS: the fill and completion rings.
        constexpr uint32_t kXskRing = 2048;
        c.tx_frees_late = true;
        c.held_per_rxq = kXskRing;
        c.held_per_txq = kXskRing;
        c.rx_setup_attaches_xdp = true;
    }
    c.rx_ip_csum_flags = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0;
    c.queue_pairs =
        c.driver == "net_tap" || c.driver == "net_af_packet" || c.driver == "net_af_xdp";
    return c;
}

std::vector<uint8_t> symmetric_rss_key(size_t len) {
    std::vector<uint8_t> k(len);
    for (size_t i = 0; i < len; ++i)
        k[i] = (i % 2 == 0) ? 0x6d : 0x5a;
    return k;
}

Port::Port(uint16_t id, uint16_t nb_rxq, uint16_t nb_txq, uint16_t rxd, uint16_t txd)
    : id_(id), nb_rxq_(nb_rxq), nb_txq_(nb_txq) {
    caps_ = query_port(id);
    rte_eth_dev_info info{};
    int ret = rte_eth_dev_info_get(id, &info);
    if (ret != 0) port_fail(id, "cannot read device info", ret);

    device_ = info.device;
    rte_eth_conf conf{};
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
    if (nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
        // Only hash types the device advertises; a symmetric key where it takes one,
        // so both directions of a flow land on the same queue (and lcore).
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf =
            (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
        if (info.hash_key_size > 0) {
            rss_key_ = symmetric_rss_key(info.hash_key_size);
            conf.rx_adv_conf.rss_conf.rss_key = rss_key_.data();
            conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
        }
        rss_ = conf.rx_adv_conf.rss_conf.rss_hf != 0;
        if (!rss_) conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
    }
    // No offloads are requested: the forwarding modes rewrite bytes in software, and
    // MBUF_FAST_FREE stays off because later modes keep references to sent mbufs.
    conf.txmode.offloads = 0;
    conf.rxmode.offloads = 0;

    ret = rte_eth_dev_configure(id, nb_rxq, nb_txq, &conf);
    if (ret != 0)
        port_fail(id,
                  "cannot configure " + std::to_string(nb_rxq) + " rx / " + std::to_string(nb_txq) +
                      " tx queues",
                  ret);
    open_ = true;

    nb_rxd_ =
        rxd ? rxd : (info.default_rxportconf.ring_size ? info.default_rxportconf.ring_size : 1024);
    nb_txd_ =
        txd ? txd : (info.default_txportconf.ring_size ? info.default_txportconf.ring_size : 1024);
    ret = rte_eth_dev_adjust_nb_rx_tx_desc(id, &nb_rxd_, &nb_txd_);
    if (ret != 0) port_fail(id, "cannot adjust descriptor counts", ret);
}

Port::Port(Port &&o) noexcept
    : id_(o.id_),
      nb_rxq_(o.nb_rxq_),
      nb_txq_(o.nb_txq_),
      nb_rxd_(o.nb_rxd_),
      nb_txd_(o.nb_txd_),
      rss_(o.rss_),
      started_(o.started_),
      open_(o.open_),
      detach_(o.detach_),
      device_(o.device_),
      caps_(std::move(o.caps_)),
      rss_key_(std::move(o.rss_key_)) {
    o.open_ = false;
    o.started_ = false;
}

void Port::setup_rx_queue(uint16_t q, int socket, rte_mempool *pool) {
    rte_eth_dev_info info{};
    rte_eth_dev_info_get(id_, &info);
    rte_eth_rxconf rxconf = info.default_rxconf;
    rxconf.offloads = 0;
    int ret = rte_eth_rx_queue_setup(id_, q, nb_rxd_, static_cast<unsigned>(socket), &rxconf, pool);
    if (ret != 0) port_fail(id_, "cannot set up rx queue " + std::to_string(q), ret);
}

void Port::setup_tx_queue(uint16_t q, int socket) {
    rte_eth_dev_info info{};
    rte_eth_dev_info_get(id_, &info);
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = 0;
    int ret = rte_eth_tx_queue_setup(id_, q, nb_txd_, static_cast<unsigned>(socket), &txconf);
    if (ret != 0) port_fail(id_, "cannot set up tx queue " + std::to_string(q), ret);
}

void Port::start() {
    int ret = rte_eth_dev_start(id_);
    if (ret != 0) port_fail(id_, "cannot start", ret);
    started_ = true;
    read_rss();
    ret = rte_eth_promiscuous_enable(id_);
    // Some PMDs cannot do promiscuous mode (-ENOTSUP); forwarding still works for
    // frames addressed to the port, so this is not fatal.
    (void)ret;
}

// The redirection table, read back once started (PMDs program their default then).
// Only with our own key: a device's default key is not known here.
void Port::read_rss() {
    caps_.rss_key.clear();
    caps_.rss_reta.clear();
    if (!rss_ || rss_key_.empty() || caps_.driver == "net_tap") return;
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(id_, &info) != 0 || info.reta_size == 0) return;
    std::vector<rte_eth_rss_reta_entry64> conf((info.reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) /
                                               RTE_ETH_RETA_GROUP_SIZE);
    for (auto &c : conf)
        c.mask = ~uint64_t{0};
    if (rte_eth_dev_rss_reta_query(id_, conf.data(), info.reta_size) != 0) return;
    rte_eth_rss_conf rc{};
    if (rte_eth_dev_rss_hash_conf_get(id_, &rc) != 0) return;
    caps_.rss_reta.resize(info.reta_size);
    for (uint16_t i = 0; i < info.reta_size; ++i)
        caps_.rss_reta[i] =
            conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] % nb_rxq_;
    caps_.rss_key = rss_key_;
    caps_.rss_l4 = (rc.rss_hf & (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP)) != 0;
}

void Port::stop() {
    if (started_) {
        rte_eth_dev_stop(id_);
        started_ = false;
    }
}

void Port::close() {
    stop();
    if (open_) {
        rte_eth_dev_close(id_);
        open_ = false;
        if (detach_ && device_) rte_dev_remove(device_);
    }
}

Port::~Port() {
    close();
}

}  // namespace c10m::io
