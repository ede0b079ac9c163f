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
    b.tsc_hz = 2000000000;
    const std::string j = format_json(b, &a);
    EXPECT_EQ(j.rfind("{\"t\":2.000,\"tsc_hz\":2000000000,\"final\":false,\"mode\":\"macswap\","
                      "\"ports\":[{\"port\":0,"
                      "\"name\":\"net_"
                      "\\\"x\",\"rx\":3000,\"tx\":2999,\"rx_bytes\":0,\"tx_bytes\":0,\"rx_pps\":"
                      "2000.0,\"tx_pps\":2000.0,"
                      "\"drops\":{\"rx_missed\":2,\"rx_nombuf\":3,\"rx_errors\":0,\"tx_full\":1,"
                      "\"tx_errors\":4}}],"
                      "\"lcores\":[{\"lcore\":1,\"role\":\"forward\",\"pkts\":3000,\"busy_cycles\":"
                      "120000,\"cycles_per_"
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

// Pipeline mode: lcores by role, the stages they add up to, and every ring.
TEST(Report, PipelineStagesAndRings) {
    auto s = sample(2.0, 3000);
    s.lcores[0].role = "rx";
    LcoreSample w;
    w.lcore = 2;
    w.role = "worker";
    w.pkts = 2990;
    w.busy_cycles = 2990 * 30;
    s.lcores.push_back(w);
    w.lcore = 3;
    w.pkts = 10;
    w.busy_cycles = 10 * 30;
    s.lcores.push_back(w);
    RingSample r;
    r.name = "c10m_rx1_w2";
    r.from = 1;
    r.to = 2;
    r.size = 1023;
    r.enqueued = 2990;
    r.dequeued = 2990;
    r.ring_full = 4;
    r.high_water = 37;
    s.rings.push_back(r);
    const auto st = stages(s);
    ASSERT_EQ(st.size(), 2u);
    EXPECT_EQ(st[1].role, "worker");
    EXPECT_EQ(st[1].lcores, 2u);
    EXPECT_EQ(st[1].pkts, 3000u);
    EXPECT_DOUBLE_EQ(st[1].cycles_per_pkt(), 30.0);
    const std::string j = format_json(s, nullptr);
    EXPECT_NE(j.find("\"lcore\":2,\"role\":\"worker\""), std::string::npos) << j;
    EXPECT_NE(j.find("\"stages\":{\"rx\":{\"lcores\":1,\"pkts\":3000,\"busy_cycles\":120000,"
                     "\"cycles_per_pkt\":40.00},\"worker\":{\"lcores\":2,\"pkts\":3000,"),
              std::string::npos)
        << j;
    EXPECT_NE(j.find("\"rings\":[{\"name\":\"c10m_rx1_w2\",\"from\":1,\"to\":2,\"size\":1023,"
                     "\"enqueued\":2990,\"dequeued\":2990,\"ring_full\":4,\"high_water\":37}]"),
              std::string::npos)
        << j;
    const std::string t = format_text(s, nullptr);
    EXPECT_NE(t.find("lcore 2 (worker): pkts 2990"), std::string::npos) << t;
    EXPECT_NE(t.find("stage worker: pkts 3000 cycles/pkt 30.0"), std::string::npos) << t;
    EXPECT_NE(t.find("ring c10m_rx1_w2 (lcore 1 -> 2, 1023 slots): enqueued 2990 dequeued 2990 "
                     "ring_full 4 high-water 37"),
              std::string::npos)
        << t;
    // Run to completion: no stages, no rings.
    EXPECT_EQ(format_json(sample(1.0, 10), nullptr).find("\"stages\""), std::string::npos);
}

TEST(Report, TcpTablesAndWhatHoldingCosts) {
    auto s = sample(1.0, 10);
    s.tcp.on = true;
    s.tcp.max_flows = 1000;
    s.tcp.bytes_per_flow = 148;
    s.tcp.record_bytes = 128;
    s.tcp.table_bytes = 148000;
    s.tcp.held = 3;
    s.tcp.timer_visits = 42;
    const std::string j = format_json(s, nullptr);
    EXPECT_NE(j.find("\"bytes_per_flow\":148,\"record_bytes\":128,\"table_bytes\":148000,"
                     "\"held\":3,\"timer_visits\":42}"),
              std::string::npos)
        << j;
    const std::string t = format_text(s, nullptr);
    EXPECT_NE(t.find("148 per flow (record 128); 3 segments held; 42 timer visits"),
              std::string::npos)
        << t;
}

TEST(Report, DropNamesComeFromTheDefFile) {
    EXPECT_EQ(kDropNames[static_cast<size_t>(Drop::runt)], "runt");
    for (auto d : kDropDescriptions)
        EXPECT_FALSE(d.empty());
}

TEST(Report, TcpGenProgressAndJson) {
    auto a = sample(1.0, 1000);
    auto b = sample(2.0, 3000);
    for (Sample *x : {&a, &b}) {
        x->gen.on = true;
        x->gen.target = 1000;
        x->gen.phase = "holding";
        x->gen.failed = {{"syn_timeout", 0}, {"reset", 0}};
        x->gen.state_bytes = 64000;
    }
    a.gen.txns = 100;
    b.gen.txns = 600;
    b.gen.concurrent = 500;
    b.gen.peak_concurrent = 500;
    b.gen.established = 510;
    b.gen.failed[1].second = 10;
    for (uint32_t i = 1; i <= 100; ++i)
        b.gen.lat_due[lat_bucket(i * 10)] += 1;
    const std::string t = format_text(b, &a);
    EXPECT_NE(t.find("gen: [##########..........] 500/1000 established (peak 500), 0 opening, 0 "
                     "closed, failed 10 reset 10; txns 600 (500/s)"),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("128 bytes/conn; holding"), std::string::npos) << t;
    const std::string j = format_json(b, &a);
    EXPECT_NE(j.find(",\"gen\":{\"phase\":\"holding\",\"target\":1000,\"peak_concurrent\":500,"
                     "\"concurrent\":500,\"established\":510,"),
              std::string::npos)
        << j;
    EXPECT_NE(j.find("\"failed_total\":10,\"failed\":{\"syn_timeout\":0,\"reset\":10},\"txns\":600,"
                     "\"txn_rate\":500.0,\"sweep_ok\":0,\"sweep_failed\":0,\"mismatched_bytes\":0,"
                     "\"p50_us\":511,"),
              std::string::npos)
        << j;
    EXPECT_NE(j.find("\"bytes_per_conn\":128,\"state_bytes\":64000,"), std::string::npos) << j;
}
