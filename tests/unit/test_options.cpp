// CLI parsing: every flag, and every error path with its one-line message.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/options.hpp"

using namespace c10m;
using namespace c10m::config;

namespace {

AppConfig parse(std::vector<std::string> args) {
    auto r = parse_app_args(args);
    EXPECT_EQ(r.action, Action::run);
    return r.cfg;
}

std::string error_of(std::vector<std::string> args) {
    try {
        parse_app_args(args);
    } catch (const UsageError &e) {
        return e.what();
    }
    return "<no error>";
}

std::string write_tmp(const std::string &text) {
    char name[] = "/tmp/c10m_cfg_XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    std::FILE *f = fdopen(fd, "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
    return name;
}

}  // namespace

TEST(Options, DefaultsMatchTestpmd) {
    auto c = parse({});
    EXPECT_EQ(c.mode, ForwardMode::io);
    EXPECT_EQ(c.burst, 32);
    EXPECT_FALSE(c.rxq.has_value());
    EXPECT_FALSE(c.txq.has_value());
    EXPECT_EQ(c.rxd, 0);
    EXPECT_EQ(c.txd, 0);
    EXPECT_EQ(c.mbuf_size, 2176u);
    EXPECT_FALSE(c.portmask.has_value());
    EXPECT_FALSE(c.nb_cores.has_value());
    EXPECT_FALSE(c.total_num_mbufs.has_value());
    EXPECT_DOUBLE_EQ(c.stats_period, 1.0);
    EXPECT_DOUBLE_EQ(c.duration, 0.0);
    EXPECT_EQ(c.stats_format, StatsFormat::text);
    EXPECT_TRUE(c.ifaces.empty());
    EXPECT_FALSE(c.iface_force);
}

TEST(Options, EveryFlag) {
    auto c = parse({"--portmask=0x5",
                    "--nb-cores",
                    "2",
                    "--rxq=2",
                    "--txq=3",
                    "--rxd=512",
                    "--txd=256",
                    "--burst=64",
                    "--forward-mode=mac",
                    "--eth-peer=1,02:aa:bb:cc:dd:ee",
                    "--eth-peer",
                    "0,02:00:00:00:00:09",
                    "--total-num-mbufs=8191",
                    "--mbuf-size=4096",
                    "--stats-period=0.5",
                    "--stats-format=json",
                    "--config=(0,0,1),(0,1,2)",
                    "--iface=veth0,veth1",
                    "--iface",
                    "veth2",
                    "--iface-force",
                    "--duration=3"});
    EXPECT_EQ(*c.portmask, 0x5u);
    EXPECT_EQ(*c.nb_cores, 2u);
    EXPECT_EQ(*c.rxq, 2);
    EXPECT_EQ(*c.txq, 3);
    EXPECT_EQ(c.rxd, 512);
    EXPECT_EQ(c.txd, 256);
    EXPECT_EQ(c.burst, 64);
    EXPECT_EQ(c.mode, ForwardMode::mac);
    ASSERT_EQ(c.eth_peers.size(), 2u);
    EXPECT_EQ(c.eth_peers[0].port, 1);
    EXPECT_EQ(c.eth_peers[0].mac, (MacAddr{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}));
    EXPECT_EQ(c.eth_peers[1].port, 0);
    EXPECT_EQ(*c.total_num_mbufs, 8191u);
    EXPECT_EQ(c.mbuf_size, 4096u);
    EXPECT_DOUBLE_EQ(c.stats_period, 0.5);
    EXPECT_EQ(c.stats_format, StatsFormat::json);
    ASSERT_EQ(c.queue_map.size(), 2u);
    EXPECT_EQ(c.queue_map[1], (QueueMapEntry{0, 1, 2}));
    EXPECT_EQ(c.ifaces, (std::vector<std::string>{"veth0", "veth1", "veth2"}));
    EXPECT_TRUE(c.iface_force);
    EXPECT_DOUBLE_EQ(c.duration, 3.0);
}

TEST(Options, ModesAndPortmaskForms) {
    EXPECT_EQ(parse({"--forward-mode=io"}).mode, ForwardMode::io);
    EXPECT_EQ(parse({"--forward-mode=macswap"}).mode, ForwardMode::macswap);
    EXPECT_EQ(*parse({"--portmask=3"}).portmask, 3u);
    EXPECT_EQ(*parse({"--portmask=0XfF"}).portmask, 0xffu);
    EXPECT_EQ(parse({"--stats-format=text"}).stats_format, StatsFormat::text);
}

TEST(Options, HelpAndVersion) {
    EXPECT_EQ(parse_app_args({"--help"}).action, Action::help);
    EXPECT_EQ(parse_app_args({"-h"}).action, Action::help);
    EXPECT_EQ(parse_app_args({"--version"}).action, Action::version);
    const std::string h = help_text();
    for (const char *flag :
         {"--portmask",    "--nb-cores",     "--rxq",          "--txq",      "--rxd",
          "--txd",         "--burst",        "--forward-mode", "--eth-peer", "--total-num-mbufs",
          "--mbuf-size",   "--stats-period", "--stats-format", "--config ",  "--iface ",
          "--iface-force", "--duration",     "--config-file",  "--help",     "--version"})
        EXPECT_NE(h.find(flag), std::string::npos) << flag;
}

TEST(Options, HelpDocumentsEchoAndIfaceFlags) {
    const std::string h = help_text();
    for (const char *flag :
         {"--ip ", "--udp-port", "--icmp-rate", "--icmp-echo-rate", "--iface-pmd"})
        EXPECT_NE(h.find(flag), std::string::npos) << flag;
    EXPECT_NE(h.find("no reassembly"), std::string::npos);
}

TEST(Options, ErrorsNameTheFlagAndWhatWasExpected) {
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{"--burst=0"}, "--burst: expected an integer in 1..512, got '0'"},
        {{"--burst=513"}, "--burst: expected an integer in 1..512, got '513'"},
        {{"--burst=abc"}, "--burst: expected an integer in 1..512, got 'abc'"},
        {{"--burst=-1"}, "--burst: expected an integer in 1..512, got '-1'"},
        {{"--rxq=0"}, "--rxq: expected an integer in 1..1024, got '0'"},
        {{"--txq=2000"}, "--txq: expected an integer in 1..1024, got '2000'"},
        {{"--rxd=70000"}, "--rxd: expected an integer in 0..65535, got '70000'"},
        {{"--txd=x"}, "--txd: expected an integer in 0..65535, got 'x'"},
        {{"--nb-cores=0"}, "--nb-cores: expected an integer in 1..127, got '0'"},
        {{"--total-num-mbufs=10"},
         "--total-num-mbufs: expected an integer in 1024..67108864, got '10'"},
        {{"--mbuf-size=100"}, "--mbuf-size: expected an integer in 320..65535, got '100'"},
        {{"--forward-mode=bogus"},
         "--forward-mode: expected one of io, mac, macswap, echo, l3fwd, tcp-gen, got 'bogus'"},
        {{"--portmask=0"},
         "--portmask: expected a non-zero hex mask of ports 0..31 such as 0x3, got '0'"},
        {{"--portmask=0xzz"},
         "--portmask: expected a non-zero hex mask of ports 0..31 such as 0x3, got '0xzz'"},
        {{"--portmask=0x100000000"},
         "--portmask: expected a non-zero hex mask of ports 0..31 such as 0x3, got '0x100000000'"},
        {{"--stats-period=-1"},
         "--stats-period: expected a number of seconds in 0..86400, got '-1'"},
        {{"--stats-period=nan"},
         "--stats-period: expected a number of seconds in 0..86400, got 'nan'"},
        {{"--duration=soon"},
         "--duration: expected a number of seconds in 0..31536000, got 'soon'"},
        {{"--stats-format=xml"}, "--stats-format: expected text or json, got 'xml'"},
        {{"--eth-peer=1"},
         "--eth-peer: expected PORT,MAC such as 1,02:00:00:00:00:01 (port below 32), got '1'"},
        {{"--eth-peer=40,02:00:00:00:00:01"},
         "--eth-peer: expected PORT,MAC such as 1,02:00:00:00:00:01 (port below 32), got "
         "'40,02:00:00:00:00:01'"},
        {{"--eth-peer=1,02:00:00:00:00"},
         "--eth-peer: expected PORT,MAC such as 1,02:00:00:00:00:01 (port below 32), got "
         "'1,02:00:00:00:00'"},
        {{"--iface=a/b"},
         "--iface: expected Linux interface names (1-15 characters, no '/', ' ', '=', ':') "
         "separated by commas, got 'a/b'"},
        {{"--iface=veth0,"},
         "--iface: expected Linux interface names (1-15 characters, no '/', ' ', '=', ':') "
         "separated by commas, got 'veth0,'"},
        {{"--iface=abcdefghijklmnop"},
         "--iface: expected Linux interface names (1-15 characters, no '/', ' ', '=', ':') "
         "separated by commas, got 'abcdefghijklmnop'"},
        {{"--bogus"}, "unknown option '--bogus'; see c10m --help"},
        {{"--burst"}, "--burst: expected a value"},
        {{"--iface-force=yes"}, "--iface-force: takes no value"},
        {{"--burst=1", "--burst=2"}, "--burst: expected once, given more than once"},
        {{"--config-file=/nonexistent/c10m.ini"},
         "--config-file: expected a readable file, got '/nonexistent/c10m.ini'"},
    };
    for (const auto &c : cases)
        EXPECT_EQ(error_of(c.args), c.message) << c.args[0];
}

TEST(Options, AnArgumentHoldingBoostsPlaceholdersGetsOneLine) {
    // Boost's own message for it never came back (found by fuzz_config).
    EXPECT_EQ(error_of({"--%original_token%x="}),
              "--%original_token%x: expected a value after '='");
    EXPECT_EQ(error_of({"--burst="}), "--burst: expected a value after '='");
    EXPECT_EQ(error_of({"--%option%\n%value%"}),
              "unknown option '--%option%?%value%'; see c10m --help");
}

TEST(Options, AbbreviationsAreNotGuessed) {
    // Boost would accept "--bur" for --burst; a typo must not silently mean something.
    EXPECT_EQ(error_of({"--bur=4"}), "unknown option '--bur'; see c10m --help");
}

TEST(Options, ConfigFileReadsSameNamesAndCommandLineWins) {
    const auto path = write_tmp(
        "# c10m config\n"
        "forward-mode = macswap\n"
        "burst=16\n"
        "; comment\n"
        "\n"
        "iface = vethA\n"
        "iface = vethB\n"
        "iface-force = true\n"
        "stats-format = json\n");
    auto c = parse({"--config-file", path, "--burst=8", "--iface=vethC"});
    EXPECT_EQ(c.mode, ForwardMode::macswap);
    EXPECT_EQ(c.burst, 8);                                     // the command line wins
    EXPECT_EQ(c.ifaces, (std::vector<std::string>{"vethC"}));  // repeatables too
    EXPECT_TRUE(c.iface_force);
    EXPECT_EQ(c.stats_format, StatsFormat::json);
    EXPECT_EQ(c.config_file, path);
    std::remove(path.c_str());
}

TEST(Options, ConfigFileErrorsNameFileAndLine) {
    EXPECT_EQ(config_file_args("burst = 4\n iface-force = no\n", "a.ini"),
              (std::vector<std::string>{"--burst=4"}));
    auto err = [](const std::string &text) {
        try {
            config_file_args(text, "a.ini");
        } catch (const UsageError &e) {
            return std::string(e.what());
        }
        return std::string("<no error>");
    };
    EXPECT_EQ(err("burst = 4\nnonsense\n"),
              "--config-file a.ini:2: expected 'name = value', got 'nonsense'");
    EXPECT_EQ(err("\nwarp = 9\n"),
              "--config-file a.ini:2: expected an option name from c10m --help, got 'warp'");
    EXPECT_EQ(err("burst =\n"), "--config-file a.ini:1: burst: expected a value");
    EXPECT_EQ(err("iface-force = maybe\n"),
              "--config-file a.ini:1: iface-force: expected true or false, got 'maybe'");
    EXPECT_EQ(err("config-file = other.ini\n"),
              "--config-file a.ini:1: expected an option name from c10m --help, got 'config-file'");
    EXPECT_EQ(err("iface-force = false\n"), "<no error>");

    const auto path = write_tmp("burst = 9999\n");
    EXPECT_EQ(error_of({"--config-file=" + path}),
              "--burst: expected an integer in 1..512, got '9999'");
    std::remove(path.c_str());
    const auto dup = write_tmp("burst = 4\nburst = 5\n");
    EXPECT_EQ(error_of({"--config-file=" + dup}),
              "--config-file " + dup + ": --burst: given more than once");
    std::remove(dup.c_str());
}

TEST(Options, SplitArgs) {
    const char *argv[] = {"c10m", "-l", "0", "--no-pci", "--", "--burst=4", "--", "x"};
    auto s = split_args(8, argv);
    EXPECT_TRUE(s.has_separator);
    EXPECT_EQ(s.eal, (std::vector<std::string>{"c10m", "-l", "0", "--no-pci"}));
    EXPECT_EQ(s.app, (std::vector<std::string>{"--burst=4", "--", "x"}));
    const char *argv2[] = {"c10m", "-l", "0"};
    auto s2 = split_args(3, argv2);
    EXPECT_FALSE(s2.has_separator);
    EXPECT_TRUE(s2.app.empty());
}

TEST(Options, ParseMac) {
    EXPECT_EQ(*parse_mac("00:1B:21:aa:0f:ff"), (MacAddr{0x00, 0x1b, 0x21, 0xaa, 0x0f, 0xff}));
    EXPECT_FALSE(parse_mac("00:1b:21:aa:0f"));
    EXPECT_FALSE(parse_mac("00-1b-21-aa-0f-ff"));
    EXPECT_FALSE(parse_mac("00:1b:21:aa:0f:fg"));
}

TEST(Options, EchoFlags) {
    auto c = parse({"--forward-mode=echo", "--ip=198.18.0.1/24", "--ip", "1:198.18.1.1/30",
                    "--udp-port=7", "--udp-port=5001", "--icmp-rate=10", "--icmp-echo-rate=500"});
    EXPECT_EQ(c.mode, ForwardMode::echo);
    ASSERT_EQ(c.ips.size(), 2u);
    EXPECT_EQ(c.ips[0], (IpAssign{0, 0xc6120001, 24}));
    EXPECT_EQ(c.ips[1], (IpAssign{1, 0xc6120101, 30}));
    EXPECT_EQ(c.udp_ports, (std::vector<uint16_t>{7, 5001}));
    EXPECT_EQ(c.icmp_rate, 10u);
    EXPECT_EQ(c.icmp_echo_rate, 500u);
    auto d = parse({"--forward-mode=echo", "--ip=198.18.0.1/32"});
    EXPECT_EQ(d.udp_ports, (std::vector<uint16_t>{7}));
    EXPECT_EQ(d.icmp_rate, 1000u);
    EXPECT_EQ(d.icmp_echo_rate, 0u);
    EXPECT_EQ(parse({"--forward-mode=echo", "--ip=198.18.0.0/31"}).ips[0].len, 31);  // RFC 3021
}

TEST(Options, EchoFlagErrors) {
    const std::string ip_expected =
        "--ip: expected [PORT:]ADDR/LEN, e.g. 198.18.0.1/24 or 1:198.18.1.1/24 (a unicast address, "
        "LEN 1..32, port "
        "below 32), got '";
    for (const char *bad :
         {"198.18.0.1", "198.18.0.1/0", "198.18.0.1/33", "198.18.0/24", "198.18.0.256/24",
          "198.18.0.01/24", "32:198.18.0.1/24", "x:198.18.0.1/24", "127.0.0.1/8", "0.0.0.0/8",
          "224.0.0.1/4", "198.18.0.255/24", "198.18.0.0/24", "198.18.0.1/24x"})
        EXPECT_EQ(error_of({"--forward-mode=echo", std::string("--ip=") + bad}),
                  ip_expected + bad + "'")
            << bad;
    EXPECT_EQ(error_of({"--forward-mode=echo"}),
              "--ip: expected an address for --forward-mode=echo, e.g. --ip 198.18.0.1/24");
    EXPECT_EQ(error_of({"--forward-mode=echo", "--ip=198.18.0.1/24", "--ip=0:198.18.0.2/24"}),
              "--ip: expected one address per port, got two for port 0");
    EXPECT_EQ(error_of({"--forward-mode=echo", "--ip=198.18.0.1/24", "--udp-port=0"}),
              "--udp-port: expected an integer in 1..65535, got '0'");
    EXPECT_EQ(error_of({"--forward-mode=echo", "--ip=198.18.0.1/24", "--icmp-rate=-5"}),
              "--icmp-rate: expected an integer in 0..100000000, got '-5'");
    for (const char *flag :
         {"--ip=198.18.0.1/24", "--udp-port=7", "--icmp-rate=5", "--icmp-echo-rate=5"}) {
        const std::string name = std::string(flag).substr(0, std::string(flag).find('='));
        EXPECT_EQ(error_of({"--forward-mode=macswap", flag}),
                  name + (name == "--udp-port"
                              ? ": expected only with --forward-mode=echo, the mode that uses it"
                          : name == "--ip"
                              ? ": expected only with --forward-mode=echo, l3fwd or tcp-gen, the "
                                "modes that use it"
                              : ": expected only with --forward-mode=echo or l3fwd, the modes "
                                "that use it"));
    }
}

// ---- l3fwd

TEST(Options, L3fwdRoutesNeighboursAndMtus) {
    auto c = parse({"--forward-mode", "l3fwd", "--ip", "0:198.18.1.1/24", "--ip", "1:198.19.1.1/24",
                    "--route", "198.19.5.0/24,1,198.19.1.2", "--route", "10.0.0.0/8,1", "--route",
                    "0.0.0.0/0,0,198.18.1.254", "--neighbor", "1,198.19.1.2,02:00:00:00:01:02",
                    "--mtu", "1:1400", "--icmp-rate", "10"});
    EXPECT_EQ(c.mode, ForwardMode::l3fwd);
    ASSERT_EQ(c.routes.size(), 3u);
    EXPECT_EQ(c.routes[0], (RouteSpec{0xc6130500, 24, 1, 0xc6130102}));
    EXPECT_EQ(c.routes[1], (RouteSpec{0x0a000000, 8, 1, 0}));
    EXPECT_EQ(c.routes[2], (RouteSpec{0, 0, 0, 0xc61201fe}));
    ASSERT_EQ(c.neighbors.size(), 1u);
    EXPECT_EQ(c.neighbors[0], (NeighborSpec{1, 0xc6130102, {0x02, 0, 0, 0, 0x01, 0x02}}));
    EXPECT_EQ(mtu_of(c, 1), 1400);
    EXPECT_EQ(mtu_of(c, 0), 1500);
    EXPECT_EQ(c.icmp_rate, 10u);
}

TEST(Options, L3fwdRoutesFromTheConfigFile) {
    const auto path = write_tmp(
        "forward-mode = l3fwd\nip = 0:198.18.1.1/24\nip = 1:198.19.1.1/24\n"
        "route = 198.19.5.0/24,1,198.19.1.2\nroute = 198.19.6.0/24,1,198.19.1.3\n");
    auto c = parse({"--config-file", path});
    std::remove(path.c_str());
    ASSERT_EQ(c.routes.size(), 2u);
    EXPECT_EQ(c.routes[1], (RouteSpec{0xc6130600, 24, 1, 0xc6130103}));
}

TEST(Options, L3fwdErrorsNameTheirFlag) {
    const std::vector<std::string> base = {"--forward-mode", "l3fwd", "--ip", "198.18.1.1/24"};
    auto with = [&](std::vector<std::string> more) {
        auto a = base;
        a.insert(a.end(), more.begin(), more.end());
        return error_of(a);
    };
    EXPECT_EQ(error_of({"--forward-mode", "l3fwd"}),
              "--ip: expected an address on each port for --forward-mode=l3fwd, e.g. --ip "
              "0:198.18.1.1/24 --ip 1:198.19.1.1/24");
    EXPECT_EQ(with({"--route", "198.19.5.1/24,1"}),
              "--route: expected a prefix with no host bits set (198.19.5.0/24), got "
              "'198.19.5.1/24,1'");
    const std::string route_expected =
        "--route: expected PREFIX/LEN,PORT[,GATEWAY] such as 198.19.5.0/24,1,198.19.1.2 (LEN "
        "0..32 with no host bits set, port below 32, a unicast gateway), got '";
    for (const char *bad :
         {"198.19.5.0", "198.19.5.0/33,1", "198.19.5.0/24", "198.19.5.0/24,32",
          "198.19.5.0/24,1,224.0.0.1", "198.19.5.0/24,1,2,3", "x/8,1", "198.19.5.0/24,1,127.0.0.1"})
        EXPECT_EQ(with({"--route", bad}), route_expected + bad + "'") << bad;
    EXPECT_EQ(with({"--route", "10.0.0.0/8,1", "--route", "10.0.0.0/8,0"}),
              "--route: expected one route per prefix, got two for '10.0.0.0/8,0'");
    const std::string neigh_expected =
        "--neighbor: expected PORT,IP,MAC such as 1,198.19.1.2,02:00:00:00:01:02 (port below 32, "
        "a unicast address and MAC), got '";
    for (const char *bad :
         {"1,198.19.1.2", "1,198.19.1.2,01:00:5e:00:00:01", "1,0.0.0.0,02:00:00:00:00:01",
          "40,198.19.1.2,02:00:00:00:00:01", "1,198.19.1.2,00:00:00:00:00:00"})
        EXPECT_EQ(with({"--neighbor", bad}), neigh_expected + bad + "'") << bad;
    for (const char *bad : {"1:67", "1:9001", "1", "32:1500", ":1500"})
        EXPECT_EQ(with({"--mtu", bad}),
                  std::string("--mtu: expected PORT:N such as 1:1400 (port below 32, N in "
                              "68..9000), got '") +
                      bad + "'")
            << bad;
    EXPECT_EQ(with({"--mtu", "1:1400", "--mtu", "1:1300"}),
              "--mtu: expected one per port, got two for port 1");
    EXPECT_EQ(
        error_of({"--forward-mode", "echo", "--ip", "198.18.0.1/24", "--route", "10.0.0.0/8,1"}),
        "--route: expected only with --forward-mode=l3fwd, the mode that uses it");
    EXPECT_EQ(error_of({"--mtu", "1:1400"}),
              "--mtu: expected only with --forward-mode=l3fwd, the mode that uses it");
    EXPECT_EQ(with({"--udp-port", "9"}),
              "--udp-port: expected only with --forward-mode=echo, the mode that uses it");
    EXPECT_EQ(error_of({"--ip", "198.18.0.1/24"}),
              "--ip: expected only with --forward-mode=echo, l3fwd or tcp-gen, the modes that use "
              "it");
}

TEST(Options, TcpGenFlags) {
    auto ok = [](std::vector<std::string> extra) {
        std::vector<std::string> a{"--forward-mode=tcp-gen", "--ip=198.18.0.2/24",
                                   "--gen-dst=198.18.0.1:5000-5009"};
        a.insert(a.end(), extra.begin(), extra.end());
        return parse_app_args(a).cfg;
    };
    auto c = ok({"--gen-conns=1000000", "--gen-src=198.18.0.64/26", "--gen-cps=50000",
                 "--gen-hold=2.5", "--gen-txn-size=100", "--gen-txn-rate=1000", "--gen-sweep",
                 "--gen-close=rst", "--gen-seed=42"});
    EXPECT_EQ(c.mode, ForwardMode::tcp_gen);
    EXPECT_EQ(c.gen_dst, (GenDst{0xc6120001, 5000, 5009}));
    ASSERT_EQ(c.gen_src.size(), 1u);
    EXPECT_EQ(c.gen_src[0], (AddrRange{0xc6120041, 62}))
        << ".65 to .126: not the /26's network or broadcast";
    EXPECT_EQ(c.gen_conns, 1000000u);
    EXPECT_EQ(c.gen_cps, 50000u);
    EXPECT_DOUBLE_EQ(c.gen_hold, 2.5);
    EXPECT_EQ(c.gen_txn_size, 100u);
    EXPECT_EQ(c.gen_txn_rate, 1000u);
    EXPECT_TRUE(c.gen_sweep);
    EXPECT_EQ(c.gen_close, GenClose::rst);
    EXPECT_EQ(c.gen_seed, 42u);
    const auto src = gen_sources(c);
    ASSERT_EQ(src.size(), 2u);
    EXPECT_EQ(src[0], (AddrRange{0xc6120002, 1})) << "--ip's address first";
    EXPECT_EQ(parse_gen_src("10.0.0.0/24"), (AddrRange{0x0a000001, 254}));
    EXPECT_EQ(parse_gen_src("10.0.0.5/32"), (AddrRange{0x0a000005, 1}));
    // Errors name their flag.
    auto err = [](std::vector<std::string> a) {
        try {
            parse_app_args(a);
        } catch (const UsageError &e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(err({"--forward-mode=echo", "--ip=198.18.0.1/24", "--gen-conns=5"}),
              "--gen-conns: expected only with --forward-mode=tcp-gen, the mode that uses it");
    EXPECT_EQ(err({"--forward-mode=tcp-gen", "--ip=198.18.0.2/24"}),
              "--gen-dst: expected the server for --forward-mode=tcp-gen, e.g. --gen-dst "
              "198.18.0.1:7");
    EXPECT_EQ(err({"--forward-mode=tcp-gen", "--gen-dst=198.18.0.1:7"}),
              "--ip: expected port 0's address for --forward-mode=tcp-gen, e.g. --ip "
              "198.18.0.2/24");
    EXPECT_EQ(err({"--forward-mode=tcp-gen", "--ip=198.18.0.2/24", "--gen-dst=198.19.0.1:7"}),
              "--gen-dst: expected another address on port 0's subnet 198.18.0.2/24, got "
              "'198.19.0.1'");
    EXPECT_EQ(err({"--forward-mode=tcp-gen", "--ip=198.18.0.2/24", "--gen-dst=198.18.0.1:9-7"}),
              "--gen-dst: expected a port 1..65535 or a range N-M with N <= M, got '9-7'");
    EXPECT_EQ(err({"--forward-mode=tcp-gen", "--ip=198.18.0.2/24", "--gen-dst=198.18.0.1:7",
                   "--gen-conns=100000"}),
              "--gen-conns: expected at most 64512 (1 source addresses x 64512 source ports x "
              "destination ports); add --gen-src or widen --gen-dst's port range, got '100000'");
    EXPECT_EQ(err({"--forward-mode=tcp-gen", "--ip=198.18.0.2/24", "--gen-dst=198.18.0.1:7",
                   "--gen-txn-size=2000"}),
              "--gen-txn-size: expected an integer in 1..1460, got '2000'");
    EXPECT_EQ(err({"--forward-mode=tcp-gen", "--ip=198.18.0.2/24", "--gen-dst=198.18.0.1:7",
                   "--gen-close=later"}),
              "--gen-close: expected fin or rst, got 'later'");
    EXPECT_EQ(err({"--forward-mode=tcp-gen", "--ip=198.18.0.2/24", "--gen-dst=198.18.0.1:7",
                   "--gen-src=127.0.0.1/8"}),
              "--gen-src: expected ADDR/LEN such as 198.18.0.64/26 (unicast addresses, LEN "
              "8..32), got '127.0.0.1/8'");
    // --tcp-port takes ranges.
    auto e = parse_app_args({"--forward-mode=echo", "--ip=198.18.0.1/24", "--tcp-port=5000-5002",
                             "--tcp-port=7"})
                 .cfg;
    EXPECT_EQ(e.tcp_ports, (std::vector<uint16_t>{5000, 5001, 5002, 7}));
    EXPECT_EQ(err({"--forward-mode=echo", "--ip=198.18.0.1/24", "--tcp-port=0"}),
              "--tcp-port: expected a port 1..65535 or a range N-M with N <= M, got '0'");
}
