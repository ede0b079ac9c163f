#!/usr/bin/python3
"""Per-flow order through an echo server: F UDP flows (one socket, so one source
port, each), each sending N datagrams numbered 0..N-1 as fast as it can in rounds
of W, reading back the echoes. Every datagram must come back, and within a flow in
the order it was sent (order across flows may change). Prints one JSON line; exit 0
when every flow came back whole and in order.

Each flow is first warmed with one datagram whose echo it waits for. A tap device
with several queues (tun's automatic steering) sends a flow to the queue that the
flow's replies last came back on: the first echo moves the flow, and its datagrams
still waiting on the old queue can be overtaken by the next ones on the new queue
before the server sees them (this failed 1 run in 10 of scripts/test with two
workers over tap). Warmed, a flow stays on one queue, and any reordering left is
the server's.

usage: udp_order_check.py HOST PORT FLOWS PER_FLOW [WINDOW] [TIMEOUT]"""
import json
import select
import socket
import struct
import sys
import time


def main():
    host, port, flows, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    window = int(sys.argv[5]) if len(sys.argv) > 5 else 16
    timeout = float(sys.argv[6]) if len(sys.argv) > 6 else 30
    socks = []
    for f in range(flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.connect((host, port))
        s.setblocking(False)
        socks.append(s)
    by_fd = {s.fileno(): i for i, s in enumerate(socks)}
    sent = [0] * flows
    last = [-1] * flows
    got = [0] * flows
    out_of_order = 0
    bad = 0
    poller = select.poll()
    for s in socks:
        poller.register(s, select.POLLIN)

    def received(ms):
        """(flow, datagram) for everything readable within ms milliseconds."""
        for fd, _ in poller.poll(ms):
            f = by_fd[fd]
            while True:
                try:
                    yield f, socks[f].recv(2048)
                except BlockingIOError:
                    break

    warm = 0xFFFFFFFF
    warmed = [False] * flows
    for f, s in enumerate(socks):
        s.send(struct.pack("!II", f, warm) + b"w" * 56)
    warm_deadline = time.time() + min(timeout, 10)
    while time.time() < warm_deadline and not all(warmed):
        for f, data in received(50):
            if len(data) >= 8 and struct.unpack("!II", data[:8]) == (f, warm):
                warmed[f] = True
    deadline = time.time() + timeout
    while time.time() < deadline and sum(got) < flows * n:
        for f, s in enumerate(socks):
            # Keep at most `window` in flight per flow.
            while sent[f] < n and sent[f] - got[f] < window:
                s.send(struct.pack("!II", f, sent[f]) + b"o" * 56)
                sent[f] += 1
        for f, data in received(50):
            if len(data) < 8 or struct.unpack("!I", data[:4])[0] != f:
                bad += 1
                continue
            seq = struct.unpack("!I", data[4:8])[0]
            if seq == warm:  # a warm-up echo that came late
                continue
            if seq <= last[f]:
                out_of_order += 1
            last[f] = max(last[f], seq)
            got[f] += 1
    whole = sum(1 for f in range(flows) if got[f] == n)
    print(json.dumps({"flows": flows, "per_flow": n, "flows_whole": whole,
                      "echoed": sum(got), "out_of_order": out_of_order, "bad": bad}))
    return 0 if whole == flows and out_of_order == 0 and bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
