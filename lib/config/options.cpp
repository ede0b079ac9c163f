#include "config/options.hpp"

#include <boost/program_options.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "net/addr.hpp"

namespace po = boost::program_options;

namespace c10m::config {

std::string_view to_string(ForwardMode m) {
    switch (m) {
        case ForwardMode::io:
            return "io";
        case ForwardMode::mac:
            return "mac";
        case ForwardMode::macswap:
            return "macswap";
        case ForwardMode::echo:
            return "echo";
        case ForwardMode::l3fwd:
            return "l3fwd";
        case ForwardMode::tcp_gen:
            return "tcp-gen";
    }
    return "?";
}

namespace {

[[noreturn]] void fail(std::string_view flag, std::string_view expected, std::string_view got) {
    throw UsageError("--" + std::string(flag) + ": expected " + std::string(expected) + ", got '" +
                     std::string(got) + "'");
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// Strict unsigned parse: the whole string, given base, no sign, no overflow.
std::optional<uint64_t> to_u64(std::string_view text, int base) {
    std::string s(trim(text));
    if (s.empty() || s[0] == '-' || s[0] == '+') return std::nullopt;
    errno = 0;
    char *end = nullptr;
    unsigned long long v = std::strtoull(s.c_str(), &end, base);
    if (errno != 0 || end == s.c_str() || *end != '\0') return std::nullopt;
    return static_cast<uint64_t>(v);
}

uint64_t parse_uint(std::string_view flag, const std::string &text, uint64_t lo, uint64_t hi) {
    auto v = to_u64(text, 10);
    if (!v || *v < lo || *v > hi)
        fail(flag, "an integer in " + std::to_string(lo) + ".." + std::to_string(hi), text);
    return *v;
}

double parse_seconds(std::string_view flag, const std::string &text, double hi) {
    std::string s(trim(text));
    char *end = nullptr;
    errno = 0;
    double v = s.empty() ? -1 : std::strtod(s.c_str(), &end);
    if (s.empty() || errno != 0 || *end != '\0' || !std::isfinite(v) || v < 0 || v > hi) {
        fail(flag, "a number of seconds in 0.." + std::to_string(static_cast<uint64_t>(hi)), text);
    }
    return v;
}

// Flags that take no value.
constexpr std::string_view kSwitches[] = {"help", "version", "iface-force", "pipeline",
                                          "gen-sweep"};

bool is_switch(std::string_view name) {
    for (auto s : kSwitches)
        if (s == name) return true;
    return false;
}

po::options_description make_description() {
    po::options_description d("Application options (after --)");
    auto s = [] { return po::value<std::string>()->value_name("ARG"); };
    auto multi = [] { return po::value<std::vector<std::string>>()->composing(); };
    // clang-format off
    d.add_options()
        ("help,h", "print this help and exit")
        ("version", "print the version and exit")
        ("forward-mode", s()->value_name("MODE"),
         "io | mac | macswap | echo | l3fwd | tcp-gen (default io). io: forward untouched to the paired "
         "port; mac: source MAC := the tx port's, destination := --eth-peer (default "
         "02:00:00:00:00:<tx port>); macswap: swap source and destination MAC; echo: be "
         "a host on --ip that answers ARP, ICMP echo, UDP echo and TCP echo (RFC 862, "
         "TCP-lite) on the port a request came in on; l3fwd: an IPv4 router between the "
         "ports (--ip, --route, --neighbor, --mtu; see below); tcp-gen: a TCP load generator "
         "on TCP-lite's active open that opens, holds, uses and closes --gen-conns connections "
         "to --gen-dst and verifies every echoed byte (see below)")
        ("ip", multi()->value_name("[PORT:]ADDR/LEN"),
         "echo, l3fwd, tcp-gen: the port's IPv4 address, e.g. 198.18.0.1/24 (port 0) or "
         "1:198.18.1.1/24; repeatable, one per port. l3fwd: it also gives the connected "
         "route, and every forwarding port needs one")
        ("route", multi()->value_name("PREFIX/LEN,PORT[,GATEWAY]"),
         "l3fwd: a static route, e.g. 198.19.5.0/24,1,198.19.1.2 (via a gateway on PORT's "
         "subnet) or 10.0.0.0/8,1 (the destination itself on PORT's link); 0.0.0.0/0 is the "
         "default route; repeatable, also as 'route = ...' lines in --config-file")
        ("neighbor", multi()->value_name("PORT,IP,MAC"),
         "l3fwd: a static neighbour (never ARPed for, never aged), e.g. "
         "1,198.19.1.2,02:00:00:00:01:02; repeatable")
        ("mtu", multi()->value_name("PORT:N"),
         "l3fwd: the largest IPv4 packet sent on PORT, 68..9000 (default 1500); longer ones "
         "get ICMP fragmentation needed when DF is set and are dropped otherwise (no "
         "fragmentation); the device's own MTU is not changed; repeatable")
        ("udp-port", multi()->value_name("N"), "echo: a UDP port served by echo, 1..65535; repeatable (default 7)")
        ("tcp-port", multi()->value_name("N[-M]"),
         "echo: a TCP port served by echo, 1..65535, or a range N-M; repeatable (default 7). "
         "TCP-lite (as a server): SYN cookies (no state before the handshake completes), MSS and window "
         "scale negotiated; SACK-permitted and timestamps are parsed and not used (never "
         "negotiated); in-order data is echoed, out-of-order data dropped and re-ACKed; no "
         "TIME_WAIT (we close after the peer)")
        ("max-flows", s()->value_name("N"),
         "echo: TCP connections at most, per process, split evenly over the lcores; records "
         "are allocated in hugepages at start (default 262144, 1..67108864). Past it a new "
         "connection is refused with a RST")
        ("tcp-window", s()->value_name("BYTES"),
         "echo: echo data a TCP connection may hold unacknowledged; the advertised window "
         "(default 65536, 1024..16777216)")
        ("tcp-idle-timeout", s()->value_name("SEC"),
         "echo: a TCP connection silent this long is reset and its record reclaimed "
         "(default 300, 1..604800)")
        ("icmp-rate", s()->value_name("N"),
         "echo, l3fwd: ICMP errors (port unreachables; l3fwd: also time exceeded and net, "
         "host and protocol unreachables) per second per lcore, 0 = unlimited (default 1000, "
         "bursts of 50, like the kernel's icmp_msgs_per_sec; fragmentation needed is not "
         "limited, as in the kernel)")
        ("icmp-echo-rate", s()->value_name("N"),
         "echo, l3fwd: ICMP echo replies per second per lcore, 0 = unlimited (default 0: the "
         "kernel does not limit echo replies either)")
        ("portmask", s()->value_name("HEX"), "ports to use, as a hex mask (default: every probed port)")
        ("nb-cores", s()->value_name("N"),
         "forwarding lcores to use, taken in order from the worker lcores of -l/--lcores "
         "(default: all of them; with -l 0 the main lcore forwards)")
        ("rxq", s()->value_name("N"), "rx queues per port, 1..1024 (default 1, or as many as --config names); RSS spreads flows over them")
        ("txq", s()->value_name("N"), "tx queues per port, 1..1024 (default: one per rx queue of the paired port; never fewer)")
        ("rxd", s()->value_name("N"), "rx descriptors per queue, 0..65535 (0 = the PMD's preferred size; adjusted to the device's limits)")
        ("txd", s()->value_name("N"), "tx descriptors per queue, 0..65535 (0 = the PMD's preferred size; adjusted to the device's limits)")
        ("burst", s()->value_name("N"), "packets per rx/tx burst, 1..512 (default 32)")
        ("eth-peer", multi()->value_name("PORT,MAC"), "destination MAC for --forward-mode=mac on PORT (repeatable)")
        ("total-num-mbufs", s()->value_name("N"), "mbufs per mempool, 1024..67108864 (default: sized from queues, descriptors, caches and bursts)")
        ("mbuf-size", s()->value_name("N"), "mbuf data room in bytes including the 128-byte headroom, 320..65535 (default 2176)")
        ("stats-period", s()->value_name("SEC"), "print stats every SEC seconds, 0 = only at exit (default 1)")
        ("stats-format", s()->value_name("FMT"), "text | json (one JSON object per line) (default text)")
        ("config", s()->value_name("(P,Q,L),..."),
         "explicit queue-to-lcore map, as l3fwd: rx queue Q of port P is polled by lcore L "
         "(default: round-robin over the worker lcores on each port's NUMA socket)")
        ("iface", multi()->value_name("IF[,IF...]"),
         "add a port on a Linux interface, no --vdev needed: through AF_XDP or AF_PACKET "
         "(see --iface-pmd), one queue pair per rx queue; repeatable")
        ("iface-force", "allow --iface on an interface that carries the default route")
        ("iface-pmd", s()->value_name("PMD"),
         "auto | af_xdp | af_packet (default auto): the PMD for --iface ports. auto uses "
         "AF_XDP (net_af_xdp) where the interface accepts an XDP program and falls back to "
         "AF_PACKET (net_af_packet), which works everywhere, saying which and why")
        ("drain-timeout", s()->value_name("SEC"),
         "graceful stop: on SIGTERM, refuse new TCP connections (a RST, counted as "
         "tcp_draining) and keep serving the open ones until they close or SEC seconds pass, "
         "then reset the rest and exit; a second SIGTERM, a second or more later, stops at once "
         "(default 0: SIGTERM stops at once; SIGINT always does)")
        ("pipeline",
         "pipeline mode: the first --rx-lcores forwarding lcores poll the rx queues and hand "
         "each frame, by a symmetric flow hash (both directions and every segment of a flow "
         "alike), to a worker lcore through single-producer/single-consumer rings; workers run "
         "--forward-mode and send on a tx queue of their own, or through a ring to the rx lcore "
         "that owns the port's tx queue. Needs at least 2 forwarding lcores (default: run to "
         "completion, each lcore polls and forwards)")
        ("rx-lcores", s()->value_name("N"),
         "--pipeline: forwarding lcores that poll rx queues, 1..lcores-1 (default 1); the rest "
         "are workers")
        ("ring-size", s()->value_name("N"),
         "--pipeline: slots per ring, a power of two 64..1048576 (default 1024; a ring holds "
         "N-1); what a full ring refuses is freed and counted as ring_full")
        ("gen-dst", s()->value_name("ADDR:PORT[-PORT]"),
         "tcp-gen: the server and its TCP port range, e.g. 198.18.0.1:7 or 198.18.0.1:5000-5159; "
         "it must be on port 0's subnet (resolved by ARP)")
        ("gen-src", multi()->value_name("ADDR/LEN"),
         "tcp-gen: more source addresses, from ADDR to the end of its /LEN prefix (e.g. "
         "198.18.0.64/26: 64 addresses, less network and broadcast); it answers ARP for them. "
         "Connections take source ports 1024..65535 on each source address; repeatable")
        ("gen-conns", s()->value_name("N"),
         "tcp-gen: concurrent connections to reach, 1..67108864 (default 1000); at most "
         "source addresses x 64512 x destination ports")
        ("gen-cps", s()->value_name("R"),
         "tcp-gen: connections opened per second, over all lcores; 0 = as fast as it can "
         "(default 0)")
        ("gen-hold", s()->value_name("SEC"), "tcp-gen: seconds to hold the connections once all are open (default 0)")
        ("gen-txn-size", s()->value_name("B"), "tcp-gen: bytes per transaction, 1..1460 (default 64)")
        ("gen-txn-rate", s()->value_name("R"),
         "tcp-gen: transactions per second across all connections while holding; 0 = an idle "
         "hold (default 0)")
        ("gen-sweep", "tcp-gen: at the end of the hold, one verified transaction on every connection")
        ("gen-close", s()->value_name("fin|rst"), "tcp-gen: how connections end (default fin)")
        ("gen-seed", s()->value_name("N"), "tcp-gen: seed of the byte stream it sends and verifies (default 1)")
        ("duration", s()->value_name("SEC"), "stop by itself after SEC seconds (default 0 = run until SIGINT/SIGTERM)")
        ("config-file", s()->value_name("FILE"), "read options from an INI file (name = value, same names as these flags; the command line wins)");
    // clang-format on
    return d;
}

// An argument as it may appear in a one-line message: control bytes become '?'.
std::string printable(std::string n) {
    for (char &ch : n)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
    return n;
}

std::string opt_name(const po::error_with_option_name &e) {
    std::string n = e.get_option_name();
    if (n.empty()) return "option";
    return printable(n);
}

// Boost's what() fills a template with the option's text and loops for ever when
// that text holds one of its placeholders (the argument "--%original_token%x="
// hung c10m; found by fuzz_config): the messages are ours.
std::string syntax_text(po::invalid_syntax::kind_t k) {
    switch (k) {
        case po::invalid_syntax::long_not_allowed:
            return "long options are not allowed";
        case po::invalid_syntax::long_adjacent_not_allowed:
            return "a value after '=' is not allowed";
        case po::invalid_syntax::short_adjacent_not_allowed:
            return "a value right after a short option is not allowed";
        case po::invalid_syntax::empty_adjacent_parameter:
            return "expected a value after '='";
        case po::invalid_syntax::missing_parameter:
            return "expected a value";
        case po::invalid_syntax::extra_parameter:
            return "takes no value";
        case po::invalid_syntax::unrecognized_line:
            return "not an option line";
    }
    return "not understood";
}

// Runs Boost.Program_options over args, mapping its exceptions to one-line UsageErrors.
po::parsed_options run_parser(const po::options_description &desc,
                              const std::vector<std::string> &args, std::string_view where) {
    try {
        return po::command_line_parser(args)
            .options(desc)
            .style(po::command_line_style::unix_style & ~po::command_line_style::allow_guessing)
            .run();
    } catch (const po::unknown_option &e) {
        std::string name = e.get_option_name();
        name = printable(name.substr(0, name.find('=')));
        throw UsageError(std::string(where) + "unknown option '" + name + "'; see c10m --help");
    } catch (const po::invalid_command_line_syntax &e) {
        throw UsageError(std::string(where) + opt_name(e) + ": " + syntax_text(e.kind()));
    } catch (const po::ambiguous_option &e) {
        throw UsageError(std::string(where) + opt_name(e) + ": ambiguous; see c10m --help");
    } catch (const po::error_with_option_name &e) {
        throw UsageError(std::string(where) + opt_name(e) + ": not understood; see c10m --help");
    } catch (const po::error &e) {
        throw UsageError(std::string(where) + e.what());
    }
}

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError("--config-file: expected a readable file, got '" + path + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

std::optional<MacAddr> parse_mac(std::string_view text) {
    MacAddr mac{};
    text = trim(text);
    if (text.size() != 17) return std::nullopt;
    for (size_t i = 0; i < 6; ++i) {
        auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        int hi = hex(text[i * 3]), lo = hex(text[i * 3 + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        if (i < 5 && text[i * 3 + 2] != ':') return std::nullopt;
        mac[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    return mac;
}

std::vector<QueueMapEntry> parse_queue_map(std::string_view text) {
    std::vector<QueueMapEntry> out;
    const std::string expected = "(port,queue,lcore)[,(port,queue,lcore)...] with decimal numbers";
    std::string_view rest = trim(text);
    if (rest.empty()) fail("config", expected, std::string(text));
    while (!rest.empty()) {
        if (rest.front() != '(') fail("config", expected, std::string(text));
        auto close = rest.find(')');
        if (close == std::string_view::npos) fail("config", expected, std::string(text));
        std::string_view inner = rest.substr(1, close - 1);
        uint64_t f[3];
        for (int i = 0; i < 3; ++i) {
            auto comma = inner.find(',');
            std::string_view field = (i < 2) ? inner.substr(0, comma) : inner;
            if ((i < 2 && comma == std::string_view::npos) ||
                (i == 2 && inner.find(',') != std::string_view::npos))
                fail("config", expected, std::string(text));
            auto v = to_u64(field, 10);
            if (!v) fail("config", expected, std::string(text));
            f[i] = *v;
            if (i < 2) inner.remove_prefix(comma + 1);
        }
        if (f[0] >= 32) fail("config", "port ids below 32 (RTE_MAX_ETHPORTS)", std::string(text));
        if (f[1] >= 1024) fail("config", "queue ids below 1024", std::string(text));
        if (f[2] >= 128) fail("config", "lcore ids below 128 (RTE_MAX_LCORE)", std::string(text));
        QueueMapEntry e{static_cast<uint16_t>(f[0]), static_cast<uint16_t>(f[1]),
                        static_cast<unsigned>(f[2])};
        for (const auto &o : out)
            if (o.port == e.port && o.queue == e.queue)
                fail("config", "each (port,queue) at most once", std::string(text));
        out.push_back(e);
        rest = trim(rest.substr(close + 1));
        if (!rest.empty()) {
            if (rest.front() != ',') fail("config", expected, std::string(text));
            rest = trim(rest.substr(1));
            if (rest.empty()) fail("config", expected, std::string(text));
        }
    }
    return out;
}

std::vector<std::string> config_file_args(std::string_view text, std::string_view file_name) {
    std::vector<std::string> args;
    const auto desc = make_description();
    size_t line_no = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = (nl == std::string_view::npos) ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        line = trim(line);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        const std::string where =
            "--config-file " + std::string(file_name) + ":" + std::to_string(line_no) + ": ";
        auto eq = line.find('=');
        if (eq == std::string_view::npos)
            throw UsageError(where + "expected 'name = value', got '" + std::string(line) + "'");
        std::string name(trim(line.substr(0, eq)));
        std::string value(trim(line.substr(eq + 1)));
        if (name.rfind("--", 0) == 0) name.erase(0, 2);
        if (name.empty() || name == "config-file" || name == "help" || name == "version" ||
            !desc.find_nothrow(name, false))
            throw UsageError(where + "expected an option name from c10m --help, got '" + name +
                             "'");
        if (is_switch(name)) {
            if (value == "1" || value == "true" || value == "yes" || value == "on")
                args.push_back("--" + name);
            else if (!(value == "0" || value == "false" || value == "no" || value == "off"))
                throw UsageError(where + name + ": expected true or false, got '" + value + "'");
            continue;
        }
        if (value.empty()) throw UsageError(where + name + ": expected a value");
        args.push_back("--" + name + "=" + value);
    }
    return args;
}

ParseResult parse_app_args(const std::vector<std::string> &args) {
    const auto desc = make_description();
    ParseResult r;
    po::variables_map vm;
    auto parsed = run_parser(desc, args, "");
    try {
        po::store(parsed, vm);
    } catch (const po::error_with_option_name &e) {
        throw UsageError(opt_name(e) + ": expected once, given more than once");
    }
    if (vm.count("help")) {
        r.action = Action::help;
        return r;
    }
    if (vm.count("version")) {
        r.action = Action::version;
        return r;
    }
    if (vm.count("config-file")) {
        r.cfg.config_file = vm["config-file"].as<std::string>();
        auto file_args = config_file_args(read_file(r.cfg.config_file), r.cfg.config_file);
        // The command line wins: drop file settings for options given there.
        std::vector<std::string> kept;
        for (auto &a : file_args) {
            std::string name =
                a.substr(2, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - 2);
            if (!vm.count(name)) kept.push_back(a);
        }
        auto fparsed = run_parser(desc, kept, "--config-file " + r.cfg.config_file + ": ");
        try {
            po::store(fparsed, vm);
        } catch (const po::error_with_option_name &e) {
            throw UsageError("--config-file " + r.cfg.config_file + ": " + opt_name(e) +
                             ": given more than once");
        }
    }
    po::notify(vm);

    auto str = [&](const char *n) -> const std::string * {
        return vm.count(n) ? &vm[n].as<std::string>() : nullptr;
    };
    AppConfig &c = r.cfg;
    if (auto s = str("forward-mode")) {
        if (*s == "io")
            c.mode = ForwardMode::io;
        else if (*s == "mac")
            c.mode = ForwardMode::mac;
        else if (*s == "macswap")
            c.mode = ForwardMode::macswap;
        else if (*s == "echo")
            c.mode = ForwardMode::echo;
        else if (*s == "l3fwd")
            c.mode = ForwardMode::l3fwd;
        else if (*s == "tcp-gen")
            c.mode = ForwardMode::tcp_gen;
        else
            fail("forward-mode", "one of io, mac, macswap, echo, l3fwd, tcp-gen", *s);
    }
    if (auto s = str("portmask")) {
        std::string t(trim(*s));
        if (t.rfind("0x", 0) == 0 || t.rfind("0X", 0) == 0) t.erase(0, 2);
        auto v = t.empty() ? std::nullopt : to_u64(t, 16);
        if (!v || *v == 0 || *v >= (uint64_t{1} << 32))
            fail("portmask", "a non-zero hex mask of ports 0..31 such as 0x3", *s);
        c.portmask = *v;
    }
    if (auto s = str("nb-cores"))
        c.nb_cores = static_cast<unsigned>(parse_uint("nb-cores", *s, 1, 127));
    if (auto s = str("rxq")) c.rxq = static_cast<uint16_t>(parse_uint("rxq", *s, 1, 1024));
    if (auto s = str("txq")) c.txq = static_cast<uint16_t>(parse_uint("txq", *s, 1, 1024));
    if (auto s = str("rxd")) c.rxd = static_cast<uint16_t>(parse_uint("rxd", *s, 0, 65535));
    if (auto s = str("txd")) c.txd = static_cast<uint16_t>(parse_uint("txd", *s, 0, 65535));
    if (auto s = str("burst"))
        c.burst = static_cast<uint16_t>(parse_uint("burst", *s, 1, kMaxBurst));
    if (vm.count("eth-peer")) {
        for (const auto &s : vm["eth-peer"].as<std::vector<std::string>>()) {
            auto comma = s.find(',');
            auto port = comma == std::string::npos
                            ? std::nullopt
                            : to_u64(std::string_view(s).substr(0, comma), 10);
            auto mac = comma == std::string::npos
                           ? std::nullopt
                           : parse_mac(std::string_view(s).substr(comma + 1));
            if (!port || *port >= 32 || !mac)
                fail("eth-peer", "PORT,MAC such as 1,02:00:00:00:00:01 (port below 32)", s);
            c.eth_peers.push_back({static_cast<uint16_t>(*port), *mac});
        }
    }
    if (auto s = str("total-num-mbufs"))
        c.total_num_mbufs =
            static_cast<uint32_t>(parse_uint("total-num-mbufs", *s, 1024, 1u << 26));
    if (auto s = str("mbuf-size"))
        c.mbuf_size = static_cast<uint32_t>(parse_uint("mbuf-size", *s, 320, 65535));
    if (auto s = str("stats-period")) c.stats_period = parse_seconds("stats-period", *s, 86400);
    if (auto s = str("stats-format")) {
        if (*s == "text")
            c.stats_format = StatsFormat::text;
        else if (*s == "json")
            c.stats_format = StatsFormat::json;
        else
            fail("stats-format", "text or json", *s);
    }
    if (auto s = str("config")) c.queue_map = parse_queue_map(*s);
    if (vm.count("iface")) {
        for (const auto &s : vm["iface"].as<std::vector<std::string>>()) {
            std::string_view rest = s;
            while (true) {
                auto comma = rest.find(',');
                std::string name(trim(rest.substr(0, comma)));
                bool ok = !name.empty() && name.size() < 16;
                for (char ch : name)
                    if (ch == '/' || ch == ' ' || ch == '=' || ch == ':' || ch < 0x21) ok = false;
                if (!ok)
                    fail("iface",
                         "Linux interface names (1-15 characters, no '/', ' ', '=', ':') separated "
                         "by commas",
                         s);
                c.ifaces.push_back(name);
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
        }
    }
    c.iface_force = vm.count("iface-force") > 0;
    if (auto s = str("iface-pmd")) {
        if (c.ifaces.empty())
            throw UsageError("--iface-pmd: expected only with --iface, the ports it applies to");
        if (*s == "auto")
            c.iface_pmd = IfacePmd::automatic;
        else if (*s == "af_xdp")
            c.iface_pmd = IfacePmd::af_xdp;
        else if (*s == "af_packet")
            c.iface_pmd = IfacePmd::af_packet;
        else
            fail("iface-pmd", "one of auto, af_xdp, af_packet", *s);
    }
    if (auto s = str("duration")) c.duration = parse_seconds("duration", *s, 31536000);
    if (auto s = str("drain-timeout")) c.drain_timeout = parse_seconds("drain-timeout", *s, 86400);
    c.pipeline = vm.count("pipeline") > 0;
    for (const char *flag : {"rx-lcores", "ring-size"})
        if (vm.count(flag) && !c.pipeline)
            throw UsageError("--" + std::string(flag) +
                             ": expected only with --pipeline, the mode that uses it");
    if (auto s = str("rx-lcores"))
        c.rx_lcores = static_cast<unsigned>(parse_uint("rx-lcores", *s, 0, 127));
    if (auto s = str("ring-size")) {
        auto v = to_u64(*s, 10);
        if (!v || *v < 64 || *v > (1u << 20) || (*v & (*v - 1)) != 0)
            fail("ring-size", "a power of two in 64..1048576", *s);
        c.ring_size = static_cast<unsigned>(*v);
    }

    const bool echo = c.mode == ForwardMode::echo;
    const bool l3fwd = c.mode == ForwardMode::l3fwd;
    for (const char *flag : {"udp-port", "tcp-port", "max-flows", "tcp-window", "tcp-idle-timeout"})
        if (vm.count(flag) && !echo)
            throw UsageError("--" + std::string(flag) +
                             ": expected only with --forward-mode=echo, the mode that uses it");
    const bool gen = c.mode == ForwardMode::tcp_gen;
    for (const char *flag : {"gen-dst", "gen-src", "gen-conns", "gen-cps", "gen-hold",
                             "gen-txn-size", "gen-txn-rate", "gen-sweep", "gen-close", "gen-seed"})
        if (vm.count(flag) && !gen)
            throw UsageError("--" + std::string(flag) +
                             ": expected only with --forward-mode=tcp-gen, the mode that uses it");
    if (vm.count("ip") && !echo && !l3fwd && !gen)
        throw UsageError(
            "--ip: expected only with --forward-mode=echo, l3fwd or tcp-gen, the modes that use "
            "it");
    for (const char *flag : {"icmp-rate", "icmp-echo-rate"})
        if (vm.count(flag) && !echo && !l3fwd)
            throw UsageError("--" + std::string(flag) +
                             ": expected only with --forward-mode=echo or l3fwd, the modes that "
                             "use it");
    for (const char *flag : {"route", "neighbor", "mtu"})
        if (vm.count(flag) && !l3fwd)
            throw UsageError("--" + std::string(flag) +
                             ": expected only with --forward-mode=l3fwd, the mode that uses it");
    if (vm.count("route"))
        for (const auto &s : vm["route"].as<std::vector<std::string>>()) {
            auto rt = parse_route(s);
            for (const auto &o : c.routes)
                if (o.prefix == rt.prefix && o.len == rt.len)
                    throw UsageError("--route: expected one route per prefix, got two for '" + s +
                                     "'");
            c.routes.push_back(rt);
        }
    if (vm.count("neighbor"))
        for (const auto &s : vm["neighbor"].as<std::vector<std::string>>()) {
            auto n = parse_neighbor(s);
            for (const auto &o : c.neighbors)
                if (o.port == n.port && o.ip == n.ip)
                    throw UsageError(
                        "--neighbor: expected one MAC per port and address, got two "
                        "for '" +
                        s + "'");
            c.neighbors.push_back(n);
        }
    if (vm.count("mtu"))
        for (const auto &s : vm["mtu"].as<std::vector<std::string>>()) {
            auto m = parse_mtu(s);
            for (const auto &o : c.mtus)
                if (o.port == m.port)
                    throw UsageError("--mtu: expected one per port, got two for port " +
                                     std::to_string(m.port));
            c.mtus.push_back(m);
        }
    if (vm.count("ip")) {
        for (const auto &s : vm["ip"].as<std::vector<std::string>>()) {
            auto a = parse_ip_assign(s);
            for (const auto &o : c.ips)
                if (o.port == a.port)
                    throw UsageError("--ip: expected one address per port, got two for port " +
                                     std::to_string(a.port));
            c.ips.push_back(a);
        }
    }
    if (vm.count("udp-port")) {
        c.udp_ports.clear();
        for (const auto &s : vm["udp-port"].as<std::vector<std::string>>())
            c.udp_ports.push_back(static_cast<uint16_t>(parse_uint("udp-port", s, 1, 65535)));
    }
    if (vm.count("tcp-port")) {
        c.tcp_ports.clear();
        for (const auto &s : vm["tcp-port"].as<std::vector<std::string>>())
            for (uint16_t p : parse_port_range("tcp-port", s))
                c.tcp_ports.push_back(p);
    }
    if (auto s = str("max-flows"))
        c.max_flows = static_cast<uint32_t>(parse_uint("max-flows", *s, 1, 67108864));
    if (auto s = str("tcp-window"))
        c.tcp_window = static_cast<uint32_t>(parse_uint("tcp-window", *s, 1024, 16777216));
    if (auto s = str("tcp-idle-timeout"))
        c.tcp_idle_timeout = static_cast<uint32_t>(parse_uint("tcp-idle-timeout", *s, 1, 604800));
    if (auto s = str("icmp-rate"))
        c.icmp_rate = static_cast<uint32_t>(parse_uint("icmp-rate", *s, 0, 100000000));
    if (auto s = str("icmp-echo-rate"))
        c.icmp_echo_rate = static_cast<uint32_t>(parse_uint("icmp-echo-rate", *s, 0, 100000000));
    if (echo && c.ips.empty())
        throw UsageError(
            "--ip: expected an address for --forward-mode=echo, e.g. --ip 198.18.0.1/24");
    if (gen) {
        if (vm.count("gen-src"))
            for (const auto &s : vm["gen-src"].as<std::vector<std::string>>())
                c.gen_src.push_back(parse_gen_src(s));
        if (auto s = str("gen-dst")) c.gen_dst = parse_gen_dst(*s);
        if (auto s = str("gen-conns"))
            c.gen_conns = static_cast<uint32_t>(parse_uint("gen-conns", *s, 1, 67108864));
        if (auto s = str("gen-cps"))
            c.gen_cps = static_cast<uint32_t>(parse_uint("gen-cps", *s, 0, 100000000));
        if (auto s = str("gen-hold")) c.gen_hold = parse_seconds("gen-hold", *s, 31536000);
        if (auto s = str("gen-txn-size"))
            c.gen_txn_size = static_cast<uint32_t>(parse_uint("gen-txn-size", *s, 1, 1460));
        if (auto s = str("gen-txn-rate"))
            c.gen_txn_rate = static_cast<uint32_t>(parse_uint("gen-txn-rate", *s, 0, 100000000));
        c.gen_sweep = vm.count("gen-sweep") > 0;
        if (auto s = str("gen-close")) {
            if (*s == "fin")
                c.gen_close = GenClose::fin;
            else if (*s == "rst")
                c.gen_close = GenClose::rst;
            else
                fail("gen-close", "fin or rst", *s);
        }
        if (auto s = str("gen-seed")) c.gen_seed = parse_uint("gen-seed", *s, 0, UINT64_MAX);
        const IpAssign *ip0 = nullptr;
        for (const auto &a : c.ips)
            if (a.port == 0) ip0 = &a;
        if (!ip0)
            throw UsageError(
                "--ip: expected port 0's address for --forward-mode=tcp-gen, e.g. --ip "
                "198.18.0.2/24");
        if (!c.gen_dst)
            throw UsageError(
                "--gen-dst: expected the server for --forward-mode=tcp-gen, e.g. --gen-dst "
                "198.18.0.1:7");
        const net::Ipv4Prefix subnet{ip0->addr, ip0->len};
        if (!subnet.contains(c.gen_dst->addr) || c.gen_dst->addr == ip0->addr)
            fail("gen-dst",
                 "another address on port 0's subnet " + net::ipv4_text(ip0->addr) + "/" +
                     std::to_string(ip0->len),
                 net::ipv4_text(c.gen_dst->addr));
        uint64_t addrs = 0;
        for (const auto &src : gen_sources(c))
            addrs += src.count;
        const uint64_t tuples =
            addrs * kGenPortsPerAddr * (c.gen_dst->port_hi - c.gen_dst->port_lo + 1u);
        if (c.gen_conns > tuples)
            fail("gen-conns",
                 "at most " + std::to_string(tuples) + " (" + std::to_string(addrs) +
                     " source addresses x " + std::to_string(kGenPortsPerAddr) +
                     " source ports x destination ports); add --gen-src or widen --gen-dst's "
                     "port range",
                 std::to_string(c.gen_conns));
    }
    if (l3fwd && c.ips.empty())
        throw UsageError(
            "--ip: expected an address on each port for --forward-mode=l3fwd, e.g. --ip "
            "0:198.18.1.1/24 --ip 1:198.19.1.1/24");
    return r;
}

namespace {

// "PORT" below 32, or nullopt.
std::optional<uint16_t> port_number(std::string_view text) {
    auto v = to_u64(text, 10);
    if (!v || *v >= 32) return std::nullopt;
    return static_cast<uint16_t>(*v);
}

// The fields of "a,b,c" (exactly n of them, or n-1 when the last is optional).
std::optional<std::vector<std::string_view>> fields(std::string_view text, size_t lo, size_t hi) {
    std::vector<std::string_view> out;
    while (true) {
        auto comma = text.find(',');
        out.push_back(trim(text.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    if (out.size() < lo || out.size() > hi) return std::nullopt;
    return out;
}

bool unicast_host(uint32_t a) {
    return !net::martian_source(a);
}

}  // namespace

RouteSpec parse_route(std::string_view text) {
    const std::string expected =
        "PREFIX/LEN,PORT[,GATEWAY] such as 198.19.5.0/24,1,198.19.1.2 (LEN 0..32 with no host "
        "bits set, port below 32, a unicast gateway)";
    auto f = fields(text, 2, 3);
    if (!f) fail("route", expected, text);
    const std::string_view pfx = (*f)[0];
    const auto slash = pfx.find('/');
    if (slash == std::string_view::npos) fail("route", expected, text);
    auto addr = net::parse_ipv4(pfx.substr(0, slash));
    auto len = to_u64(pfx.substr(slash + 1), 10);
    auto port = port_number((*f)[1]);
    if (!addr || !len || *len > 32 || !port) fail("route", expected, text);
    RouteSpec r;
    r.prefix = *addr;
    r.len = static_cast<uint8_t>(*len);
    r.port = *port;
    if ((r.prefix & ~net::Ipv4Prefix{0, r.len}.mask()) != 0)
        fail("route",
             "a prefix with no host bits set (" +
                 net::ipv4_text(r.prefix & net::Ipv4Prefix{0, r.len}.mask()) + "/" +
                 std::to_string(r.len) + ")",
             text);
    if (f->size() == 3) {
        auto gw = net::parse_ipv4((*f)[2]);
        if (!gw || !unicast_host(*gw)) fail("route", expected, text);
        r.gateway = *gw;
    }
    return r;
}

NeighborSpec parse_neighbor(std::string_view text) {
    const std::string expected =
        "PORT,IP,MAC such as 1,198.19.1.2,02:00:00:00:01:02 (port below 32, a unicast address "
        "and MAC)";
    auto f = fields(text, 3, 3);
    if (!f) fail("neighbor", expected, text);
    auto port = port_number((*f)[0]);
    auto ip = net::parse_ipv4((*f)[1]);
    auto mac = parse_mac((*f)[2]);
    if (!port || !ip || !unicast_host(*ip) || !mac || ((*mac)[0] & 1) || *mac == MacAddr{})
        fail("neighbor", expected, text);
    return {*port, *ip, *mac};
}

MtuSpec parse_mtu(std::string_view text) {
    const std::string expected = "PORT:N such as 1:1400 (port below 32, N in 68..9000)";
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) fail("mtu", expected, text);
    auto port = port_number(text.substr(0, colon));
    auto n = to_u64(text.substr(colon + 1), 10);
    if (!port || !n || *n < 68 || *n > 9000) fail("mtu", expected, text);
    return {*port, static_cast<uint16_t>(*n)};
}

std::vector<uint16_t> parse_port_range(std::string_view flag, std::string_view text) {
    const std::string expected = "a port 1..65535 or a range N-M with N <= M";
    const auto dash = text.find('-');
    auto lo = to_u64(text.substr(0, dash), 10);
    auto hi = dash == std::string_view::npos ? lo : to_u64(text.substr(dash + 1), 10);
    if (!lo || !hi || *lo < 1 || *hi > 65535 || *lo > *hi) fail(flag, expected, text);
    std::vector<uint16_t> r;
    for (uint64_t p = *lo; p <= *hi; ++p)
        r.push_back(static_cast<uint16_t>(p));
    return r;
}

GenDst parse_gen_dst(std::string_view text) {
    const std::string expected = "ADDR:PORT[-PORT] such as 198.18.0.1:7 or 198.18.0.1:5000-5159";
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) fail("gen-dst", expected, text);
    auto addr = net::parse_ipv4(trim(text.substr(0, colon)));
    if (!addr || net::martian_source(*addr)) fail("gen-dst", expected, text);
    const auto ports = parse_port_range("gen-dst", trim(text.substr(colon + 1)));
    return {*addr, ports.front(), ports.back()};
}

AddrRange parse_gen_src(std::string_view text) {
    const std::string expected = "ADDR/LEN such as 198.18.0.64/26 (unicast addresses, LEN 8..32)";
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) fail("gen-src", expected, text);
    auto addr = net::parse_ipv4(trim(text.substr(0, slash)));
    auto len = to_u64(text.substr(slash + 1), 10);
    if (!addr || !len || *len < 8 || *len > 32 || net::martian_source(*addr))
        fail("gen-src", expected, text);
    const net::Ipv4Prefix p{*addr, static_cast<uint8_t>(*len)};
    uint32_t first = *addr;
    uint32_t last = p.broadcast();
    if (*len < 31) {
        if ((first & ~p.mask()) == 0) ++first;  // not the network address
        if (first >= last) fail("gen-src", expected, text);
        --last;  // nor the broadcast
    }
    return {first, last - first + 1};
}

std::vector<AddrRange> gen_sources(const AppConfig &cfg) {
    std::vector<AddrRange> r;
    for (const auto &a : cfg.ips)
        if (a.port == 0) r.push_back({a.addr, 1});
    for (const auto &g : cfg.gen_src)
        r.push_back(g);
    return r;
}

uint16_t mtu_of(const AppConfig &cfg, uint16_t port) {
    for (const auto &m : cfg.mtus)
        if (m.port == port) return m.mtu;
    return kDefaultMtu;
}

IpAssign parse_ip_assign(std::string_view text) {
    const std::string expected =
        "[PORT:]ADDR/LEN, e.g. 198.18.0.1/24 or 1:198.18.1.1/24 (a unicast address, LEN 1..32, "
        "port below 32)";
    IpAssign a;
    std::string_view rest = trim(text);
    if (auto colon = rest.find(':'); colon != std::string_view::npos) {
        auto port = to_u64(rest.substr(0, colon), 10);
        if (!port || *port >= 32) fail("ip", expected, std::string(text));
        a.port = static_cast<uint16_t>(*port);
        rest.remove_prefix(colon + 1);
    }
    auto slash = rest.find('/');
    if (slash == std::string_view::npos) fail("ip", expected, std::string(text));
    auto addr = net::parse_ipv4(rest.substr(0, slash));
    auto len = to_u64(rest.substr(slash + 1), 10);
    if (!addr || !len || *len < 1 || *len > 32) fail("ip", expected, std::string(text));
    a.addr = *addr;
    a.len = static_cast<uint8_t>(*len);
    const net::Ipv4Prefix p{a.addr, a.len};
    // Not a martian, and (below /31, RFC 3021) neither the subnet's network nor its broadcast
    // address.
    if (net::martian_source(a.addr) ||
        (a.len < 31 && (a.addr == p.broadcast() || (a.addr & ~p.mask()) == 0)))
        fail("ip", expected, std::string(text));
    return a;
}

std::string help_text() {
    std::ostringstream os;
    os << "Usage: c10m [EAL options] -- [application options]\n"
          "\n"
          "c10m forwards packets between DPDK ports from per-lcore poll-mode loops, in the\n"
          "manner of dpdk-testpmd. Ports come from NICs bound with dpdk-devbind.py, from\n"
          "--vdev virtual devices (EAL), or from Linux interfaces with --iface (AF_PACKET).\n"
          "Ports pair as testpmd's do: 0<->1, 2<->3, a lone last port with itself.\n"
          "\n"
          "EAL options (before --) are DPDK's own, e.g.:\n"
          "  -l 0-1                 lcores to use; the first is the main lcore (stats, signals)\n"
          "  --vdev=DRIVER,ARGS     add a virtual device, e.g. net_tap0,iface=tap0\n"
          "  --no-pci               do not probe the PCI bus\n"
          "  --file-prefix=NAME     per-process runtime files (run several instances)\n"
          "  --in-memory            keep no runtime files\n"
          "  --no-huge -m MB        run without hugepages\n"
          "\n";
    os << make_description();
    os << "\nEcho mode checks every frame before believing it: lengths of every header it\n"
          "claims, IPv4 version, header length and checksum (or the port's rx checksum flags),\n"
          "UDP length and checksum (when not 0), TTL, and addresses. It drops and counts by\n"
          "reason: IPv4 fragments (no reassembly), IPv4 options (not supported), IPv6, VLAN\n"
          "tags, frames to other hosts, broadcast or multicast destinations (only ARP is\n"
          "answered there), broadcast/multicast/martian sources (0/8, 127/8, 224/4 and up),\n"
          "UDP from ports that could loop (0, 7, 13, 17, 19, 37). A reply is never larger\n"
          "than its request: a port unreachable that would be is not sent.\n";
    os << "\nl3fwd routes IPv4 between the ports (RFC 1812): each --ip gives a port its address\n"
          "and connected route; --route adds static routes (longest prefix wins, rte_lpm).\n"
          "It checks as echo does, then: no route -> ICMP net unreachable; TTL <= 1 -> ICMP\n"
          "time exceeded; longer than the egress --mtu -> ICMP fragmentation needed (DF) or\n"
          "dropped (no DF: no fragmentation); else TTL - 1, checksum updated, MACs set to the\n"
          "egress port's and the next hop's. Next hops are resolved by ARP, per lcore: a few\n"
          "packets wait (4 per next hop), 3 requests 1 s apart, then ICMP host unreachable.\n"
          "To its own addresses it answers ARP, ping, UDP (port unreachable) and TCP (RST).\n"
          "ICMP errors go back out of the port the packet came in, quoting it (576 bytes).\n";
    os << "\ntcp-gen is TCP-lite's active side as a load generator on port 0. It opens\n"
          "--gen-conns connections to --gen-dst (at --gen-cps, or as fast as the server answers),\n"
          "holds them --gen-hold seconds (running --gen-txn-rate transactions of --gen-txn-size\n"
          "bytes), sweeps one transaction over every connection (--gen-sweep), closes them\n"
          "(--gen-close), and stops a second later. Every echoed byte is checked against a\n"
          "stream seeded by --gen-seed. A connection's 4-tuple is its index (source addresses\n"
          "x ports 1024..65535 x server ports) and its state 64 bytes. Latency is measured from\n"
          "when a transaction was due and from when it was sent (p50/p99/p99.9). Exit status 1\n"
          "if a connection failed (by reason in the stats) or a byte differed. Each lcore opens\n"
          "the connections whose answers come back to it: index mod lcores where a reply\n"
          "comes back on the queue its flow was sent on (memif), the queue a NIC's Toeplitz\n"
          "RSS picks for the answer (lcore i polls queue i), or the flow hash with --pipeline\n"
          "(for tap, AF_XDP and AF_PACKET with several queues).\n";
    os << "\nStats (text or JSON) per port: rx, tx, drops by reason (rx_missed: the device had\n"
          "no descriptor; rx_nombuf: no mbuf to fill one; tx_full: the tx queue would not take\n"
          "the packet); per lcore: packets handled, busy cycles per packet, drops by reason and\n"
          "what echo answered; per mempool: mbufs in use (and what the ports hold at start).\n"
          "Printed every --stats-period seconds and once at exit.\n"
          "SIGINT/SIGTERM stop the loops, drain, stop and close the ports and exit 0.\n"
          "Exit status: 0 done, 1 set-up failed (EAL, port or mempool), a leak, or tcp-gen\n"
          "failures, 2 bad usage.\n";
    return os.str();
}

SplitArgs split_args(int argc, const char *const *argv) {
    SplitArgs s;
    std::string prog = argc > 0 ? argv[0] : "c10m";
    s.eal.push_back(prog);
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (!s.has_separator && a == "--") {
            s.has_separator = true;
            continue;
        }
        (s.has_separator ? s.app : s.eal).push_back(a);
    }
    return s;
}

}  // namespace c10m::config
