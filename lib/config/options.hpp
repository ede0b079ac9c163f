#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/burst.hpp"

namespace c10m::config {

enum class ForwardMode { io, mac, macswap, echo, l3fwd, tcp_gen };
enum class StatsFormat { text, json };
enum class IfacePmd { automatic, af_xdp, af_packet };

std::string_view to_string(ForwardMode m);

using MacAddr = std::array<uint8_t, 6>;

// One "(port,queue,lcore)" triple of --config, as l3fwd takes it.
struct QueueMapEntry {
    uint16_t port;
    uint16_t queue;
    unsigned lcore;
    friend bool operator==(const QueueMapEntry &, const QueueMapEntry &) = default;
};

// --ip [PORT:]ADDR/LEN
struct IpAssign {
    uint16_t port = 0;
    uint32_t addr = 0;  // host order
    uint8_t len = 0;
    friend bool operator==(const IpAssign &, const IpAssign &) = default;
};

// --route PREFIX/LEN,PORT[,GATEWAY]
struct RouteSpec {
    uint32_t prefix = 0;  // host order, host bits zero
    uint8_t len = 0;
    uint16_t port = 0;
    uint32_t gateway = 0;  // 0: the destination itself is the next hop (on PORT's link)
    friend bool operator==(const RouteSpec &, const RouteSpec &) = default;
};

// --neighbor PORT,IP,MAC
struct NeighborSpec {
    uint16_t port = 0;
    uint32_t ip = 0;
    std::array<uint8_t, 6> mac{};
    friend bool operator==(const NeighborSpec &, const NeighborSpec &) = default;
};

// --mtu PORT:N
struct MtuSpec {
    uint16_t port = 0;
    uint16_t mtu = 1500;
    friend bool operator==(const MtuSpec &, const MtuSpec &) = default;
};

// --gen-dst ADDR:PORT[-PORT]
struct GenDst {
    uint32_t addr = 0;  // host order
    uint16_t port_lo = 0, port_hi = 0;
    friend bool operator==(const GenDst &, const GenDst &) = default;
};

// --gen-src ADDR/LEN: the addresses from ADDR to the end of its /LEN prefix (its
// network and broadcast addresses excluded below /31).
struct AddrRange {
    uint32_t first = 0;  // host order
    uint32_t count = 0;
    friend bool operator==(const AddrRange &, const AddrRange &) = default;
};

enum class GenClose { fin, rst };

// tcp-gen enumerates its connections' source ports in this range on each source
// address (the 4-tuple is implicit in a connection's index).
inline constexpr uint16_t kGenPortLo = 1024;
inline constexpr uint32_t kGenPortsPerAddr = 65536 - kGenPortLo;

struct EthPeer {
    uint16_t port;
    MacAddr mac;
};

inline constexpr uint16_t kMaxBurst = net::kMaxBurst;
inline constexpr uint16_t kDefaultBurst = net::kDefaultBurst;
inline constexpr uint32_t kDefaultMbufSize = 2176;  // 2048 data + 128 headroom

struct AppConfig {
    std::optional<uint64_t> portmask;          // --portmask (hex); unset = every port
    std::optional<unsigned> nb_cores;          // --nb-cores; unset = every worker lcore
    std::optional<uint16_t> rxq;               // --rxq; unset = 1, or from --config
    std::optional<uint16_t> txq;               // --txq; unset = as many as needed
    uint16_t rxd = 0;                          // --rxd; 0 = the PMD's preferred size
    uint16_t txd = 0;                          // --txd
    uint16_t burst = kDefaultBurst;            // --burst
    ForwardMode mode = ForwardMode::io;        // --forward-mode
    std::vector<EthPeer> eth_peers;            // --eth-peer
    std::optional<uint32_t> total_num_mbufs;   // --total-num-mbufs (per pool)
    uint32_t mbuf_size = kDefaultMbufSize;     // --mbuf-size (data room incl. headroom)
    double stats_period = 1.0;                 // --stats-period; 0 = only at exit
    std::vector<QueueMapEntry> queue_map;      // --config
    std::vector<std::string> ifaces;           // --iface
    bool iface_force = false;                  // --iface-force
    IfacePmd iface_pmd = IfacePmd::automatic;  // --iface-pmd
    double duration = 0;                       // --duration; 0 = until SIGINT/SIGTERM
    double drain_timeout = 0;                  // --drain-timeout; 0 = SIGTERM stops at once
    bool pipeline = false;                     // --pipeline
    unsigned rx_lcores = 1;                    // --rx-lcores
    unsigned ring_size = 1024;                 // --ring-size
    StatsFormat stats_format = StatsFormat::text;
    std::string config_file;  // --config-file
    // echo and l3fwd
    std::vector<IpAssign> ips;           // --ip
    std::vector<uint16_t> udp_ports{7};  // --udp-port
    uint32_t icmp_rate = 1000;           // --icmp-rate: port unreachables/s per lcore
    uint32_t icmp_echo_rate = 0;  // --icmp-echo-rate: echo replies/s per lcore, 0 = unlimited
    std::vector<uint16_t> tcp_ports{7};  // --tcp-port
    uint32_t max_flows = 262144;         // --max-flows (per process)
    uint32_t tcp_window = 65536;         // --tcp-window (bytes)
    uint32_t tcp_idle_timeout = 300;     // --tcp-idle-timeout (seconds)
    // l3fwd
    std::vector<RouteSpec> routes;        // --route
    std::vector<NeighborSpec> neighbors;  // --neighbor
    std::vector<MtuSpec> mtus;            // --mtu
    // tcp-gen
    std::vector<AddrRange> gen_src;      // --gen-src
    std::optional<GenDst> gen_dst;       // --gen-dst
    uint32_t gen_conns = 1000;           // --gen-conns
    uint32_t gen_cps = 0;                // --gen-cps: 0 = as fast as it can
    double gen_hold = 0;                 // --gen-hold (seconds)
    uint32_t gen_txn_size = 64;          // --gen-txn-size (bytes)
    uint32_t gen_txn_rate = 0;           // --gen-txn-rate: 0 = idle hold
    bool gen_sweep = false;              // --gen-sweep
    GenClose gen_close = GenClose::fin;  // --gen-close
    uint64_t gen_seed = 1;               // --gen-seed
};

inline constexpr uint16_t kDefaultMtu = 1500;

inline constexpr uint32_t kIcmpBurst = 50;  // as the kernel's net.ipv4.icmp_msgs_burst

// "[PORT:]ADDR/LEN" -> assignment; throws UsageError naming --ip.
IpAssign parse_ip_assign(std::string_view text);
// "PREFIX/LEN,PORT[,GATEWAY]"; throws UsageError naming --route.
RouteSpec parse_route(std::string_view text);
// "PORT,IP,MAC"; throws UsageError naming --neighbor.
NeighborSpec parse_neighbor(std::string_view text);
// "PORT:N"; throws UsageError naming --mtu.
MtuSpec parse_mtu(std::string_view text);
// "ADDR:PORT[-PORT]"; throws UsageError naming --gen-dst.
GenDst parse_gen_dst(std::string_view text);
// "ADDR/LEN"; throws UsageError naming --gen-src.
AddrRange parse_gen_src(std::string_view text);
// "N" or "N-M" (1..65535, N <= M) -> the ports; throws UsageError naming flag.
std::vector<uint16_t> parse_port_range(std::string_view flag, std::string_view text);
// tcp-gen's source addresses: --ip's (port 0) first, then every --gen-src range.
std::vector<AddrRange> gen_sources(const AppConfig &cfg);
// The MTU of a port: its --mtu, else 1500.
uint16_t mtu_of(const AppConfig &cfg, uint16_t port);

enum class Action { run, help, version };

struct ParseResult {
    Action action = Action::run;
    AppConfig cfg;
};

// Parses the application options (what follows "--", without the program name).
// Throws UsageError with a one-line message naming the flag and what was expected.
ParseResult parse_app_args(const std::vector<std::string> &args);

// Parses the text of an INI config file (same option names as the command line)
// into "--name=value" arguments. Throws UsageError naming the file and line.
std::vector<std::string> config_file_args(std::string_view text, std::string_view file_name);

// "(port,queue,lcore),..." -> triples. Throws UsageError naming --config.
std::vector<QueueMapEntry> parse_queue_map(std::string_view text);

// "aa:bb:cc:dd:ee:ff" -> bytes; nullopt when malformed.
std::optional<MacAddr> parse_mac(std::string_view text);

std::string help_text();

// Splits "prog [EAL args] -- [app args]": the EAL part keeps argv[0]; the app part
// has no program name. With no "--", everything is EAL's.
struct SplitArgs {
    std::vector<std::string> eal;
    std::vector<std::string> app;
    bool has_separator = false;
};
SplitArgs split_args(int argc, const char *const *argv);

}  // namespace c10m::config
