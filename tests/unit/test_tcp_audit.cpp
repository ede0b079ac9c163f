// The audit of lib/tcp at 1172c95 (issue 10), segment by segment: each finding, and
// each behaviour the audit found no test reaching, with a test written to fail on
// that version's engine. Findings are numbered as in the issue.
#include "unit/tcp_fixture.hpp"

using namespace c10m;
using namespace c10m::test;
using namespace c10m::test::tcpfx;

namespace {

class TcpAudit : public Tcp {
  protected:
    // A connection that echoes n bytes and closes: the peer's FIN, ours, its ACK.
    void echo_and_close(uint32_t n) {
        handshake();
        send(payload(n));
        ack(our_nxt + n);
        our_nxt += n;
        send({}, 502, FIN);  // our FIN follows
        peer_nxt += 1;
        ack(our_nxt + 1);
    }
    // The engine with the defaults the app uses (the base fixture lifts the limits).
    void app_defaults() {
        settings.rst_rate = tcp::Settings{}.rst_rate;
        settings.challenge_rate = tcp::Settings{}.challenge_rate;
        make_engine();
    }
    // Segments of connection `cport` built by hand: (seq, ack) of the client's side.
    std::vector<Out> seg(uint16_t cport, uint32_t seq, uint32_t ackn, uint8_t flags, uint16_t wnd,
                         const Bytes &data = {}) {
        return feed(tcp_frame(seq, ackn, flags, wnd, data, {}, cport));
    }
    // A second connection on cport: returns (client next seq, our next seq).
    std::pair<uint32_t, uint32_t> open(uint16_t cport, uint32_t client_isn, int ws = 7) {
        auto out = feed(tcp_frame(client_isn, 0, SYN, 64240, {}, syn_options(1460, ws), cport));
        EXPECT_EQ(out.size(), 1u);
        const uint32_t ours = out.empty() ? 0 : out[0].seq + 1;
        feed(tcp_frame(client_isn + 1, ours, ACK, 502, {}, {}, cport));
        EXPECT_NE(conn(cport), nullptr);
        return {client_isn + 1, ours};
    }
    // Feeds without letting the "port" go of what we sent (it stays referenced).
    void feed_held(const Bytes &frame) {
        rte_mbuf *m = pool.frame(frame);
        e->input(m, 0, get16(frame, 16), net::Csum::unknown, now, t);
        sink.send();
    }
};

// ---------------------------------------------------------------- finding 1

TEST_F(TcpAudit, F1_CwndStaysBoundedOverMillionsOfBytesOfPingPong) {
    handshake();
    const uint32_t iw = conn()->cwnd;
    // 5,000 round trips of 1,460-byte messages: the flow is held back by the peer
    // (one message at a time), never by cwnd, so cwnd has no reason to grow. It grew
    // by one MSS per ACK before, and would have wrapped after ~2.9 million trips.
    for (int i = 0; i < 5000; ++i) {
        auto out = send(payload(1460, static_cast<uint8_t>(i)));
        ASSERT_EQ(out.size(), 1u);
        ASSERT_TRUE(ack(our_nxt + 1460).empty());
        our_nxt += 1460;
    }
    EXPECT_LE(conn()->cwnd, 4 * iw) << "grew while not in use";
    EXPECT_LE(conn()->cwnd, tcp::kMaxCwnd);
}

TEST_F(TcpAudit, F1_CwndGrowsWhileItLimitsSending) {
    handshake();
    const uint32_t iw = conn()->cwnd;  // 3 segments of 1460
    // Five segments queued at once: cwnd lets three go, and is what holds the rest.
    for (int i = 0; i < 5; ++i)
        send(payload(1460, static_cast<uint8_t>(i)), 0);  // peer window 0: all queued
    EXPECT_EQ(ack(our_nxt, 502).size(), 3u) << "window opens: cwnd (3 segments) limits";
    ack(our_nxt + 3 * 1460, 502);
    EXPECT_GT(conn()->cwnd, iw) << "slow start while cwnd limited";
}

// ---------------------------------------------------------------- finding 2

TEST_F(TcpAudit, F2_AckFarBelowSndUnaIsABlindInjection) {
    app_defaults();
    handshake();
    send(payload(100));
    ack(our_nxt + 100);
    our_nxt += 100;
    // Data with an ACK 1 GB behind SND.UNA: not echoed, its zero window not taken,
    // answered by a challenge ACK.
    auto out = feed(tcp_frame(peer_nxt, our_nxt - 1000000000u, ACK | PSH, 0, payload(50, 9)));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, ACK);
    EXPECT_TRUE(out[0].payload.empty()) << "the injected data is not echoed";
    EXPECT_EQ(out[0].ack, peer_nxt) << "nor acknowledged";
    EXPECT_EQ(events(Event::tcp_challenge_ack), 1u);
    EXPECT_GT(conn()->snd_wnd, 0u) << "the zero window was not taken";
    // A second one within 500 ms gets no answer at all.
    out = feed(tcp_frame(peer_nxt, our_nxt - 1000000000u, ACK | PSH, 0, payload(50, 9)));
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(drops(Drop::tcp_ack_too_old), 1u);
}

TEST_F(TcpAudit, F2_OldDuplicateAckWithinTheWindowTakesDataButNotItsWindow) {
    handshake();
    send(payload(100));
    ack(our_nxt + 100);
    our_nxt += 100;
    const uint32_t wnd = conn()->snd_wnd;
    // ACK 50 behind SND.UNA (an old duplicate, possible after reordering) and a zero
    // window: the data is taken, the window is not.
    auto out = feed(tcp_frame(peer_nxt, our_nxt - 50, ACK | PSH, 0, payload(20)));
    peer_nxt += 20;
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload, payload(20));
    EXPECT_EQ(conn()->snd_wnd, wnd);
}

TEST_F(TcpAudit, AckForDataNeverSentGetsAnAckAndTheSegmentGoes) {
    handshake();
    auto out = feed(tcp_frame(peer_nxt, our_nxt + 5000, ACK | PSH, 502, payload(10)));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, ACK);
    EXPECT_EQ(out[0].ack, peer_nxt) << "its data not taken";
    EXPECT_EQ(events(Event::tcp_bytes_echoed), 0u);
    // Rate-limited: the next within 500 ms is dropped without an answer.
    EXPECT_TRUE(feed(tcp_frame(peer_nxt, our_nxt + 5000, ACK, 502, {})).empty());
    EXPECT_EQ(drops(Drop::tcp_ack_unsent), 1u);
}

// ---------------------------------------------------------------- finding 3

TEST_F(TcpAudit, F3_OnePeerWithTinySegmentsCannotTakeTheLcoresBudget) {
    settings.max_held = 256;
    make_engine();
    handshake();
    ack(our_nxt, 0);  // the attacker's window: zero, and it keeps it there
    // 1-byte segments, each held (the peer takes no echo), persist keeping it alive.
    // It took the whole budget before (8192 in the app), and then every other
    // connection on the lcore got only duplicate ACKs.
    // (Each one at RCV.NXT: a refused one is sent again, as the peer would.)
    for (int i = 0; i < 400; ++i) {
        peer_nxt = conn()->rcv_nxt;
        send(Bytes{static_cast<uint8_t>(i)}, 0);
    }
    EXPECT_EQ(conn()->held, 256u / 2) << "alone, at most half of the budget";
    EXPECT_EQ(drops(Drop::tcp_held_limit), 400u - 256u / 2);
    // Another client is served all the same.
    const auto [cseq, ours] = open(kCliPort + 1, 77777);
    auto out = seg(kCliPort + 1, cseq, ours, ACK | PSH, 502, payload(300));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload, payload(300));
    // And each held segment counts as at least 512 bytes in the windows it gives.
    EXPECT_LE(e->find(0, kPeerIp, kCliPort, 7)->held * tcp::kHeldSegmentCost, 65536u);
}

TEST_F(TcpAudit, F3_PastHalfTheBudgetAConnectionHoldsNoMoreThanItsShare) {
    settings.max_held = 64;     // half is 32; past it, shares of 32/holders, at least 16
    settings.window = 1 << 20;  // the window is not what stops it here
    make_engine();
    handshake(1460, 7);
    ack(our_nxt, 0);
    // Every segment at RCV.NXT: a refused one is sent again, as the peer would.
    for (int i = 0; i < 40; ++i) {
        peer_nxt = conn()->rcv_nxt;
        send(payload(1000, static_cast<uint8_t>(i)), 0);
    }
    EXPECT_EQ(conn()->held, 32u) << "alone: up to half of the budget";
    const auto [cseq, ours] = open(kCliPort + 1, 5555);
    for (uint32_t i = 0; i < 20; ++i)
        seg(kCliPort + 1, conn(kCliPort + 1)->rcv_nxt, ours, ACK | PSH, 0, payload(500));
    EXPECT_EQ(conn(kCliPort + 1)->held, 16u) << "a newcomer gets its share: 32 / 2";
    peer_nxt = conn()->rcv_nxt;
    send(payload(1000, 99), 0);
    EXPECT_EQ(conn()->held, 32u) << "the first takes no more";
    EXPECT_EQ(drops(Drop::tcp_held_limit), 8u + 4u + 1u);
    EXPECT_EQ(e->held(), 48u);
    (void)cseq;
}

TEST_F(TcpAudit, OutOfOrderSlotsRunOutAndAreCounted) {
    handshake();
    // More out-of-order segments than a connection may keep (64): the rest dropped.
    const uint32_t hole = peer_nxt;
    for (uint32_t i = 0; i < 70; ++i) {
        peer_nxt = hole + 10 + 20 * i;
        send(payload(10));
    }
    EXPECT_EQ(events(Event::tcp_ooo_kept), tcp::kOooPerConn);
    EXPECT_EQ(drops(Drop::tcp_out_of_order), 70u - tcp::kOooPerConn);
}

// ---------------------------------------------------------------- finding 4

TEST_F(TcpAudit, F4_WithOurWindowClosedTheAckOfADataSegmentIsStillProcessed) {
    settings.window = 4096;
    make_engine();
    handshake(1460, -1);
    ack(our_nxt, 0);  // the peer stops reading
    for (int i = 0; i < 4; ++i)
        send(payload(1024, static_cast<uint8_t>(i)), 0);  // our 4 KB window is full
    EXPECT_EQ(conn()->snd_end - conn()->snd_una, 4096u);
    // More data at RCV.NXT whose ACK opens the peer's window: the data does not fit,
    // but the window update must be taken, or both sides wait on each other.
    auto out = feed(tcp_frame(peer_nxt, our_nxt, ACK | PSH, 8192, payload(100, 7)));
    bool echoed = false;
    for (const auto &o : out)
        echoed |= !o.payload.empty();
    EXPECT_TRUE(echoed) << "the peer's window opened: our held echo goes";
    EXPECT_EQ(conn()->snd_wnd, 8192u);
}

TEST_F(TcpAudit, F4_TheRightEdgeNeverMovesLeftWhenTheScaleRoundsDown) {
    handshake();              // our window scale is 1: the window field counts 2-byte units
    uint32_t edge = our_nxt;  // the client's view of our right edge
    (void)edge;
    uint32_t right = 0;
    for (int i = 0; i < 30; ++i) {
        // Odd lengths and the peer's zero window make what we hold, and so the
        // window, odd.
        auto out = send(payload(1 + 2 * static_cast<size_t>(i), static_cast<uint8_t>(i)), 0);
        for (const auto &o : out) {
            const uint32_t r = o.ack + (uint32_t{o.wnd} << 1);
            if (right) {
                EXPECT_FALSE(static_cast<int32_t>(r - right) < 0) << "edge moved left at " << i;
            }
            right = r;
        }
    }
}

TEST_F(TcpAudit, F4_ABareFinIntoOurClosedWindowIsTaken) {
    settings.window = 4096;
    make_engine();
    handshake(1460, -1);
    ack(our_nxt, 0);
    for (int i = 0; i < 4; ++i)
        send(payload(1024, static_cast<uint8_t>(i)), 0);
    // Our window is 0. The peer closes: its FIN must be taken (it was refused and the
    // connection deadlocked until 8 timeouts or the idle timeout).
    auto out = send({}, 0, FIN);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ack, peer_nxt + 1) << "the FIN acknowledged";
    EXPECT_EQ(conn()->state, tcp::State::close_wait);
    peer_nxt += 1;
    // The peer reads again: the echo goes, then our FIN.
    out = ack(our_nxt, 8192);
    ASSERT_GE(out.size(), 2u);
    EXPECT_EQ(out.back().flags, FIN | ACK);
}

TEST_F(TcpAudit, F4_DataThatFillsTheWindowTakesItsFinAlong) {
    settings.window = 2048;
    make_engine();
    handshake(1460, -1);
    ack(our_nxt, 0);
    send(payload(1024), 0);
    // 1024 bytes fill the window; the FIN after them is one past it. Linux takes a
    // segment whose start is in the window whole, FIN included; so does c10m.
    send(payload(1024, 2), 0, FIN);
    EXPECT_EQ(conn()->rcv_nxt, peer_nxt + 1) << "the data and the FIN";
    EXPECT_EQ(conn()->state, tcp::State::close_wait);
}

// ---------------------------------------------------------------- finding 6

TEST_F(TcpAudit, F6_ChallengeAcksArePerConnectionSoNoPeerDrainsThemForOthers) {
    app_defaults();
    handshake();
    const auto [cseq, ours] = open(kCliPort + 1, 31337);
    // The attacker's own connection: 20 in-window RSTs. One challenge ACK per 500 ms.
    unsigned answered = 0;
    for (int i = 0; i < 20; ++i)
        answered += static_cast<unsigned>(feed(tcp_frame(peer_nxt + 5, 0, RST, 0, {})).size());
    EXPECT_EQ(answered, 1u);
    // The victim's connection is still challenged (a shared bucket was drained before).
    auto out = seg(kCliPort + 1, cseq + 7, 0, RST, 0);
    EXPECT_EQ(out.size(), 1u);
    EXPECT_EQ(events(Event::tcp_challenge_ack), 2u);
    // After 500 ms the attacker's connection gets one more.
    now += hz / 2;
    EXPECT_EQ(feed(tcp_frame(peer_nxt + 5, 0, RST, 0, {})).size(), 1u);
}

TEST_F(TcpAudit, F6_ThePerLcoreChallengeBudgetIsDrawnAtRandomEachSecond) {
    settings.challenge_rate = 10;  // budgets of 5..14 a second
    settings.max_flows = 64;
    make_engine();
    std::vector<std::pair<uint32_t, uint32_t>> cs;
    for (uint16_t i = 0; i < 40; ++i)
        cs.push_back(open(static_cast<uint16_t>(kCliPort + i), 1000u * i + 1));
    std::vector<unsigned> per_second;
    for (int sec = 0; sec < 6; ++sec) {
        now += hz;  // a new second, and every connection past its 500 ms
        unsigned n = 0;
        for (uint16_t i = 0; i < 40; ++i)
            n += static_cast<unsigned>(
                seg(static_cast<uint16_t>(kCliPort + i), cs[i].first + 3, 0, RST, 0).size());
        per_second.push_back(n);
        EXPECT_GE(n, 5u);
        EXPECT_LE(n, 14u);
    }
    bool varied = false;
    for (unsigned n : per_second)
        varied |= n != per_second[0];
    EXPECT_TRUE(varied) << "a budget an attacker can count on is a side channel";
}

TEST_F(TcpAudit, RstsForNoConnectionAreNotRateLimitedAsLinux) {
    app_defaults();
    // A 2,000-port SYN scan of closed ports: every one answered (52 showed as
    // "filtered" to nmap when a shared 1000/s budget dropped their RSTs).
    unsigned rsts = 0;
    for (uint16_t p = 1; p <= 2000; ++p)
        for (const auto &o : feed(tcp_frame(isn, 0, SYN, 64240, {}, {}, 50000, p == 7 ? 2001 : p)))
            rsts += (o.flags & RST) != 0;
    EXPECT_EQ(rsts, 2000u);
}

// ---------------------------------------------------------------- finding 7

TEST_F(TcpAudit, F7_AfterATimeoutOldDuplicateAcksStartNoFastRetransmit) {
    handshake();
    for (int i = 0; i < 3; ++i)
        send(payload(100, static_cast<uint8_t>(i)));
    advance_ms(1000);  // RTO: recover := snd_max
    EXPECT_EQ(conn()->recover, our_nxt + 300);
    // Three duplicate ACKs for what was sent before the timeout: not a new loss.
    for (int i = 0; i < 3; ++i)
        ack(our_nxt);
    EXPECT_EQ(events(Event::tcp_fast_retransmit), 0u);
}

TEST_F(TcpAudit, F7_ConsecutiveTimeoutsHoldSsthresh) {
    handshake();
    // A connection whose cwnd grew to 20 segments has 4,000 bytes in flight: the
    // first timeout halves the flight (RFC 5681 eq. 4), not cwnd; the second, on a
    // segment already sent again, leaves ssthresh alone (cwnd is one MSS by then).
    conn_for_setup()->cwnd = 20 * 1460;
    for (int i = 0; i < 4; ++i)
        send(payload(1000, static_cast<uint8_t>(i)));
    advance_ms(1000);
    EXPECT_EQ(conn()->retries(), 1u);
    const uint32_t ss = conn()->ssthresh;
    EXPECT_EQ(ss, 2u * 1460) << "max(flight / 2, 2 MSS)";
    advance_ms(2000);
    EXPECT_EQ(conn()->retries(), 2u);
    EXPECT_EQ(conn()->ssthresh, ss) << "RFC 5681: held on a segment already timed out";
}

TEST_F(TcpAudit, F7_PersistBackoffLeavesTheRetransmissionTimeoutAlone) {
    handshake();
    ack(our_nxt, 0);
    send(payload(100), 0);
    const uint16_t rto = conn()->rto_ms;
    // Probes 1, 2, 4 and 8 s apart (the 1 s RTO, doubling): the RTO itself stays.
    auto out = advance_ms(15000);
    unsigned probes = 0;
    for (const auto &o : out)
        probes += o.seq == our_nxt - 1;
    EXPECT_EQ(probes, 4u);
    EXPECT_EQ(conn()->rto_ms, rto);
}

TEST_F(TcpAudit, F7_UnacceptablePureAcksGetAtMostOneDuplicateAckPer500ms) {
    handshake();
    unsigned answered = 0;
    for (int i = 0; i < 10; ++i)  // far out of window
        answered +=
            static_cast<unsigned>(feed(tcp_frame(peer_nxt + 200000, our_nxt, ACK, 502, {})).size());
    EXPECT_EQ(answered, 1u);
    // Data sent again (old) is always answered: its sender needs the ACK.
    peer_nxt += 0;
    send(payload(10));
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(feed(tcp_frame(peer_nxt - 10, our_nxt, ACK | PSH, 502, payload(10))).size(), 1u);
}

TEST_F(TcpAudit, F7_ASegmentLargerThanThePeersWindowIsSplit) {
    handshake(1460, -1);  // no window scaling: the window field is bytes
    ack(our_nxt, 0);
    const Bytes data = payload(1000);
    send(data, 0);                 // queued: the peer's window is 0
    auto out = ack(our_nxt, 300);  // it opens 300 bytes only, with nothing in flight
    ASSERT_EQ(out.size(), 1u) << "not a probe: the first 300 bytes";
    EXPECT_EQ(out[0].payload, Bytes(data.begin(), data.begin() + 300));
    EXPECT_EQ(out[0].seq, our_nxt);
    EXPECT_EQ(events(Event::tcp_split), 1u);
    out = ack(our_nxt + 300, 2000);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload, Bytes(data.begin() + 300, data.end()));
    EXPECT_EQ(out[0].seq, our_nxt + 300);
    EXPECT_TRUE(ack(our_nxt + 1000, 2000).empty());
    EXPECT_EQ(conn()->held, 0u);
}

TEST_F(TcpAudit, F7_ThePeersMacIsRefreshed) {
    handshake();
    Bytes f = tcp_frame(peer_nxt, our_nxt, ACK | PSH, 502, payload(10));
    const uint8_t moved[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};
    std::copy(moved, moved + 6, f.begin() + 6);  // the peer's next hop changed
    rte_mbuf *m = pool.frame(f);
    e->input(m, 0, get16(f, 16), net::Csum::unknown, now, t);
    sink.send();
    ASSERT_EQ(sink.sent.size(), 1u);
    EXPECT_TRUE(std::equal(moved, moved + 6, rte_pktmbuf_mtod(sink.sent[0], uint8_t *)));
    rte_pktmbuf_free(sink.sent[0]);
    sink.sent.clear();
}

TEST_F(TcpAudit, F7_TheFlowHashUsesAll64BitsOfItsSeed) {
    tcp::FlowKey k{kPeerIp, 1234, 7, 0, {}};
    std::vector<tcp::Conn> recs(1);
    std::vector<tcp::FlowSlot> slots(tcp::flow_slots_for(1));
    std::vector<uint32_t> free_list(1);
    const tcp::FlowTable<tcp::Conn> a(recs.data(), slots.data(), free_list.data(), 1,
                                      0x1111111100000000ull);
    const tcp::FlowTable<tcp::Conn> b(recs.data(), slots.data(), free_list.data(), 1,
                                      0x2222222200000000ull);
    EXPECT_NE(a.hash(k), b.hash(k));
}

TEST_F(TcpAudit, F7_AFastRetransmitThePortWasNotDoneWithGoesAtTheNextAck) {
    handshake();
    for (int i = 0; i < 4; ++i)
        send(payload(100, static_cast<uint8_t>(i)));
    // The first segment is lost on the way; the port still holds its first copy
    // (feed_held keeps the mbufs referenced).
    feed_held(tcp_frame(peer_nxt, our_nxt, ACK, 502, {}));
    feed_held(tcp_frame(peer_nxt, our_nxt, ACK, 502, {}));
    sink.count = 0;
    // Put the first copy back in the "port": refcnt 2 while we try to retransmit.
    rte_mbuf *held = conn()->head;
    rte_mbuf_refcnt_update(held, 1);
    feed_held(tcp_frame(peer_nxt, our_nxt, ACK, 502, {}));
    EXPECT_EQ(events(Event::tcp_fast_retransmit), 1u);
    EXPECT_EQ(events(Event::tcp_retransmit), 0u) << "the port had not let go of it";
    EXPECT_GE(sink.reclaims, 1u) << "and was asked to";
    rte_mbuf_refcnt_update(held, -1);  // the port lets go
    drain();
    auto out = ack(our_nxt);  // the fourth duplicate: the retransmission goes now
    bool resent = false;
    for (const auto &o : out)
        resent |= o.seq == our_nxt && o.payload == payload(100, 0);
    EXPECT_TRUE(resent);
}

// ---------------------------------------------------------------- finding 8

TEST_F(TcpAudit, F8_FinPshUrgToAClosedPortGetsARstToAServedPortNothing) {
    auto out = feed(tcp_frame(isn, 0, FIN | PSH | 0x20, 1024, {}, {}, kCliPort, 9));
    ASSERT_EQ(out.size(), 1u) << "closed port";
    EXPECT_EQ(out[0].flags, RST | ACK);
    EXPECT_EQ(out[0].ack, isn + 1);
    EXPECT_TRUE(feed(tcp_frame(isn, 0, FIN | PSH | 0x20, 1024, {}, {}, kCliPort, 7)).empty())
        << "served (LISTEN): dropped, as Linux drops it";
    EXPECT_TRUE(feed(tcp_frame(isn, 0, 0, 1024, {}, {}, kCliPort, 7)).empty()) << "NULL scan";
    EXPECT_EQ(feed(tcp_frame(isn, 0, 0, 1024, {}, {}, kCliPort, 9)).size(), 1u);
}

TEST_F(TcpAudit, F8_APeerMssBelow536IsTakenNotRefused) {
    auto out = feed(tcp_frame(isn, 0, SYN, 64240, {}, syn_options(100, 7)));
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].flags, SYN | ACK);  // a RST has no options to read below
    EXPECT_EQ(get16(out[0].options, 2), 48u) << "the largest cookie MSS not above 100";
    feed(tcp_frame(isn + 1, out[0].seq + 1, ACK, 502, {}));
    ASSERT_NE(conn(), nullptr);
    EXPECT_EQ(conn()->mss, 48);
    // Tunnels' MSS values are no longer rounded down to 536.
    out = feed(tcp_frame(isn, 0, SYN, 64240, {}, syn_options(1380, 7), kCliPort + 1));
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].flags, SYN | ACK);
    EXPECT_EQ(get16(out[0].options, 2), 1380u);
}

// ---------------------------------------------------------------- untested before

TEST_F(TcpAudit, DataThatOvertookItsHandshakeAckIsDroppedWithoutARst) {
    auto out = feed(tcp_frame(isn, 0, SYN, 64240, {}, syn_options()));
    const uint32_t ck = out[0].seq;
    // The second data segment (seq isn+11) arrives before the handshake's ACK: its
    // cookie check (made with seq-1) fails, but the ACK has a recent cookie's shape.
    out = feed(tcp_frame(isn + 11, ck + 1, ACK | PSH, 502, payload(10)));
    EXPECT_TRUE(out.empty()) << "a RST would kill the connection being opened";
    EXPECT_EQ(drops(Drop::tcp_cookie_pending), 1u);
}

TEST_F(TcpAudit, SynWithDataGetsACookieForTheSynOnly) {
    auto out = feed(tcp_frame(isn, 0, SYN, 64240, payload(20), syn_options()));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ack, isn + 1) << "the data is not acknowledged: no state to keep it";
    EXPECT_TRUE(out[0].payload.empty());
}

TEST_F(TcpAudit, NewRenoRepairsSeveralHolesOneAPartialAckEach) {
    handshake();
    for (int i = 0; i < 6; ++i)
        send(payload(100, static_cast<uint8_t>(i)));
    // Segments 0 and 2 lost. Three duplicate ACKs: segment 0 again.
    for (int i = 0; i < 3; ++i)
        ack(our_nxt);
    EXPECT_EQ(events(Event::tcp_fast_retransmit), 1u);
    // Partial ACK up to segment 2: it goes at once (RFC 6582 3.2 step 5).
    auto out = ack(our_nxt + 200);
    bool hole2 = false;
    for (const auto &o : out)
        hole2 |= o.seq == our_nxt + 200 && o.payload == payload(100, 2);
    EXPECT_TRUE(hole2);
    EXPECT_TRUE(conn()->flags & tcp::cf::recovery);
    ack(our_nxt + 600);  // full ACK: recovery over
    EXPECT_FALSE(conn()->flags & tcp::cf::recovery);
}

TEST_F(TcpAudit, ATimeoutDuringRecoveryEndsItWithALossWindow) {
    handshake();
    for (int i = 0; i < 5; ++i)
        send(payload(100, static_cast<uint8_t>(i)));
    for (int i = 0; i < 3; ++i)
        ack(our_nxt);
    ASSERT_TRUE(conn()->flags & tcp::cf::recovery);
    advance_ms(1000);
    EXPECT_FALSE(conn()->flags & tcp::cf::recovery);
    EXPECT_EQ(conn()->cwnd, conn()->mss);
    EXPECT_EQ(events(Event::tcp_rto), 1u);
}

TEST_F(TcpAudit, ARetransmissionTimeoutWaitsForThePortToLetGo) {
    handshake();
    send(payload(100));
    rte_mbuf *held = conn()->head;
    rte_mbuf_refcnt_update(held, 1);  // the port still has it
    auto out = advance_ms(1000);
    EXPECT_TRUE(out.empty());
    EXPECT_GE(events(Event::tcp_tx_busy), 1u);
    rte_mbuf_refcnt_update(held, -1);
    out = advance_ms(2000);  // the next timeout sends it
    ASSERT_GE(out.size(), 1u);
    EXPECT_EQ(out[0].payload, payload(100));
}

// Found by the stateful fuzzer: after a close, a duplicate of the handshake's ACK
// (its cookie still valid) opened the connection again, and nothing but the idle
// timeout ended that one.
TEST_F(TcpAudit, AnOldDuplicateOfTheHandshakeAckDoesNotReopenAClosedConnection) {
    echo_and_close(10);
    ASSERT_EQ(conn(), nullptr) << "closed";
    // The handshake's ACK, delayed in the network past all of that:
    EXPECT_TRUE(feed(tcp_frame(isn + 1, cookie + 1, ACK, 502, {})).empty());
    EXPECT_EQ(conn(), nullptr);
    EXPECT_EQ(drops(Drop::tcp_old_duplicate), 1u);
    EXPECT_EQ(events(Event::tcp_conn_opened), 1u);
    // A new connection on the same ports opens: here above where the old one ended
    // (RFC 6528 ISNs grow with time); for any ISN, see the next test.
    isn = peer_nxt + 100000;
    handshake();
    EXPECT_NE(conn(), nullptr);
    EXPECT_EQ(events(Event::tcp_conn_opened), 2u);
}

// Seen once in e2e-tcp-tap-pipeline: a client's new connection on the ports of one
// closed a moment before (its TIME_WAIT cut short by a RST) was taken for an old
// duplicate at every retransmission, and timed out after 100 s. A random ISN may be
// anywhere, below where the old connection ended too.
TEST_F(TcpAudit, ANewConnectionOnTheSamePortsOpensWhateverItsIsn) {
    echo_and_close(1000);
    ASSERT_EQ(conn(), nullptr) << "closed";
    for (const uint32_t next : {isn + 5, isn - 100000, peer_nxt - 2}) {
        isn = next;  // below where the old one ended (rcv_nxt = old ISN + 1002)
        handshake();
        ASSERT_NE(conn(), nullptr) << "ISN " << next;
        EXPECT_EQ(drops(Drop::tcp_old_duplicate), 0u);
        feed(tcp_frame(peer_nxt, our_nxt, RST | ACK, 502, {}));
        ASSERT_EQ(conn(), nullptr);
    }
    EXPECT_EQ(events(Event::tcp_conn_opened), 4u);
}

TEST_F(TcpAudit, IdleTimeoutsLongerThanTheWheelFireOnTime) {
    settings.idle_ms = 10000;  // the wheel turns every 4,096 ms
    make_engine();
    handshake();
    advance_ms(3000);
    send(payload(10));
    ack(our_nxt + 10);  // activity at 3,000 ms
    EXPECT_TRUE(advance_ms(9990).empty());
    ASSERT_NE(conn(), nullptr) << "not before 10 s of silence";
    auto out = advance_ms(20);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags & RST, RST);
    EXPECT_EQ(conn(), nullptr);
}

}  // namespace
