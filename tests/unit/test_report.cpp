// Stats formatting: text and one-JSON-object-per-line.
#include <gtest/gtest.h>

#include <algorithm>

#include "stats/report.hpp"

using namespace c10m::stats;

namespace {
Sample sample(double t, uint64_t rx, bool final = false) {
    Sample s;
    s.t = t;
    s.final = final;
    s.mode = "macswap";
    PortSample p;
    p.port = 0;
    p.name = "net_\"x";
    p.rx = rx;
    p.tx = rx - 1;
    p.rx_missed = 2;
    p.rx_nombuf = 3;
    p.tx_full = 1;
    p.tx_errors = 4;
    s.ports.push_back(p);
    LcoreSample l;
    l.lcore = 1;
    l.pkts = rx;
    l.busy_cycles = rx * 40;
    l.drops[static_cast<size_t>(Drop::runt)] = 5;
    s.lcores.push_back(l);
    s.pools.push_back({"c10m_s0", 0, 4095, 12});
    return s;
}
}  // namespace

TEST(Report, Json) {
    auto a = sample(1.0, 1000);
    auto b = sample(2.0, 3000);
    b.lcores[0].events[static_cast<size_t>(Event::udp_echo_reply)] = 7;
    const std::string j = format_json(b, &a);
    EXPECT_EQ(j.rfind("{\"t\":2.000,\"final\":false,\"mode\":\"macswap\",\"ports\":[{\"port\":0,"
                      "\"name\":\"net_"
                      "\\\"x\",\"rx\":3000,\"tx\":2999,\"rx_bytes\":0,\"tx_bytes\":0,\"rx_pps\":"
                      "2000.0,\"tx_pps\":2000.0,"
                      "\"drops\":{\"rx_missed\":2,\"rx_nombuf\":3,\"rx_errors\":0,\"tx_full\":1,"
                      "\"tx_errors\":4}}],"
                      "\"lcores\":[{\"lcore\":1,\"pkts\":3000,\"busy_cycles\":120000,\"cycles_per_"
                      "pkt\":40.00,"
                      "\"pps\":2000.0,\"drops\":{\"runt\":5,",
                      0),
              0u)
        << j;
    // Every drop reason and every event appears by name, zero or not.
    for (auto name : kDropNames)
        EXPECT_NE(j.find("\"" + std::string(name) + "\":"), std::string::npos) << name;
    for (auto name : kEventNames)
        EXPECT_NE(j.find("\"" + std::string(name) + "\":"), std::string::npos) << name;
    EXPECT_NE(j.find("\"udp_echo_reply\":7"), std::string::npos);
    EXPECT_NE(j.find("\"mempools\":[{\"name\":\"c10m_s0\",\"socket\":0,\"size\":4095,\"in_use\":12,"
                     "\"baseline\":0}]}\n"),
              std::string::npos);
    EXPECT_EQ(std::count(j.begin(), j.end(), '\n'), 1);
}

TEST(Report, TextNamesEveryDropReason) {
    auto b = sample(2.0, 3000, true);
    const auto t = format_text(b, nullptr);
    EXPECT_NE(t.find("== final stats t=2.0s mode=macswap"), std::string::npos) << t;
    EXPECT_NE(t.find("rx 3000 tx 2999  rx-pps 1500 tx-pps 1500"), std::string::npos) << t;
    EXPECT_NE(t.find("drops: rx_missed 2 rx_nombuf 3 rx_errors 0 tx_full 1 tx_errors 4"),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("lcore 1: pkts 3000 cycles/pkt 40.0 drop_runt 5"), std::string::npos) << t;
    EXPECT_NE(t.find("mempool c10m_s0 (socket 0): in use 12 of 4095 (ports hold 0)"),
              std::string::npos)
        << t;
}

TEST(Report, DropNamesComeFromTheDefFile) {
    EXPECT_EQ(kDropNames[static_cast<size_t>(Drop::runt)], "runt");
    for (auto d : kDropDescriptions)
        EXPECT_FALSE(d.empty());
}
