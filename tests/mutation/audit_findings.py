# The findings of the audit of 1172c95 (issue 10), each put back into the engine as a
# small edit: (name, gtest filter of the tests written for it, file, old text, new text).
# scripts/audit-mutations applies them one at a time; every one must make its tests fail.
M = [
 ("F1 cwnd grows unbounded, also when not cwnd-limited", "TcpAudit.F1_*", "lib/tcp/engine.cpp",
  """        } else if (c.cwnd_limited || flight_before + c.mss > c.cwnd ||
                   (c.cwnd < c.ssthresh && 2 * flight_before >= c.cwnd)) {""",
  """        } else if (true || flight_before) {"""),
 ("F2 an ACK far below SND.UNA is accepted", "TcpAudit.F2_AckFarBelow*", "lib/tcp/engine.cpp",
  "    if (seq_lt(s.ack, c.snd_una - max_snd_wnd)) {", "    if (false && max_snd_wnd) {"),
 ("F3 no per-connection share of held segments", "TcpAudit.F3_*", "lib/tcp/engine.cpp",
  "    return c.held < share;", "    return c.held < share || true;"),
 ("F4 the right edge rounds down", "TcpAudit.F4_TheRightEdge*", "lib/tcp/engine.cpp",
  "std::min<uint32_t>((w + unit) >> shift, 0xffff)", "std::min<uint32_t>((w + unit * 0) >> shift, 0xffff)"),
 ("F4 with our window closed, only a bare segment at RCV.NXT is taken", "TcpAudit.F4_WithOurWindowClosed*",
  "lib/tcp/engine.cpp",
  "        ok = wnd == 0 ? s.seq == c.rcv_nxt : seq_in(s.seq, c.rcv_nxt, c.rcv_nxt + wnd);",
  "        ok = wnd == 0 ? s.seq == c.rcv_nxt && seg_len == 0 : seq_in(s.seq, c.rcv_nxt, c.rcv_nxt + wnd);"),
 ("F5 a FIN past a hole is forgotten when the hole fills", "Tcp.FinOnASegmentPastAHole*", "lib/tcp/engine.cpp",
  "    if (ooo_fin || ((s.flags & kFin) && c.state == State::established && fin_seq == c.rcv_nxt)) {",
  "    if ((ooo_fin && false) || ((s.flags & kFin) && c.state == State::established && fin_seq == c.rcv_nxt)) {"),
 ("F6 challenge ACKs only from the shared budget", "TcpAudit.F6_ChallengeAcksArePerConnection*", "lib/tcp/engine.cpp",
  """bool Engine::challenge_allowed(Conn &c) noexcept {
    if (!oow_allowed(c)) return false;""", """bool Engine::challenge_allowed(Conn &c) noexcept {
    (void)c;"""),
 ("F6 a fixed per-lcore budget", "TcpAudit.F6_ThePerLcoreChallengeBudget*", "lib/tcp/engine.cpp",
  "        challenge_left_ = challenge_rate_ / 2 + static_cast<uint32_t>((r >> 32) % challenge_rate_);",
  "        challenge_left_ = challenge_rate_ + static_cast<uint32_t>(r & 0);"),
 ("F7 persist backoff doubles the RTO", "TcpAudit.F7_PersistBackoff*", "lib/tcp/engine.cpp",
  "        send_control(c, nullptr, c.snd_una - 1, kAck, t);\n        t.add(stats::Event::tcp_window_probe);",
  "        send_control(c, nullptr, c.snd_una - 1, kAck, t);\n        c.rto_ms = static_cast<decltype(c.rto_ms)>(std::min<uint32_t>(c.rto_ms * 2u, kRtoMaxMs));\n        t.add(stats::Event::tcp_window_probe);"),
 ("F8 FIN|PSH|URG to a closed port gets no RST", "TcpAudit.F8_FinPshUrg*", "lib/tcp/engine.cpp",
  """    if (!ports_.has(s.lport)) return reset(Drop::tcp_closed_port);
    if ((s.flags & kSyn) && (s.flags & kFin)) return dropped(Drop::tcp_bad_flags);
    if (!(s.flags & (kSyn | kAck))) return dropped(Drop::tcp_bad_flags);""",
  """    if ((s.flags & kSyn) && (s.flags & kFin)) return dropped(Drop::tcp_bad_flags);
    if (!(s.flags & (kSyn | kAck))) return dropped(Drop::tcp_bad_flags);
    if (!ports_.has(s.lport)) return reset(Drop::tcp_closed_port);"""),
 ("F8 a peer MSS below 536 is refused", "TcpAudit.F8_APeerMss*", "lib/tcp/engine.cpp",
  "        const uint32_t peer_mss = s.peer_mss < 0 ? 536u : static_cast<uint32_t>(s.peer_mss);",
  "        const uint32_t peer_mss = s.peer_mss < 0 ? 536u : static_cast<uint32_t>(s.peer_mss);\n        if (peer_mss < 536) return reset(Drop::tcp_bad_flags);"),
 ("F7 recover is not set after a timeout", "TcpAudit.F7_AfterATimeoutOldDuplicateAcks*", "lib/tcp/engine.cpp",
  "    c.recover = c.snd_max;\n    c.cwnd = c.mss;", "    c.cwnd = c.mss;"),
 # Recomputing ssthresh from the flight on every timeout would be an equivalent
 # mutant: between two timeouts no ACK advanced (it would reset the count) and a
 # one-MSS window re-sends old data, so the flight is the same. The fault that shows
 # is the classic one: ssthresh from cwnd, which the first timeout cut to one MSS.
 ("F7 ssthresh is recomputed from cwnd on every timeout", "TcpAudit.F7_ConsecutiveTimeoutsHoldSsthresh*",
  "lib/tcp/engine.cpp", "    if (c.retries() == 1) {\n        const uint32_t flight = c.snd_max - c.snd_una;",
  "    if (c.retries() >= 1) {\n        const uint32_t flight = c.cwnd;"),
 ("F7 the peer's MAC is learned once", "TcpAudit.F7_ThePeersMacIsRefreshed*", "lib/tcp/engine.cpp",
  "    std::memcpy(c.rmac, s.frame + 6, 6);  // the peer's next hop may have changed", ""),
]
