#!/usr/bin/python3
"""Clients for the graceful-stop test (tests/e2e/drain.sh): N connections each send
--bytes at --rate bytes/s in 1 KB writes, read every echoed byte and check it, then
close (shutdown, read to EOF). With --idle, connections that open, echo one message
and then stay silent until the server resets them (they must see a reset, after
--expect-reset-after seconds at the earliest). Prints one JSON line. --ready-file is
created once every connection has had bytes echoed, so the server has counted each
one as open: the test sends its SIGTERM after that, not after a guessed sleep.

usage: drain_client.py HOST PORT N --bytes B --rate R [--idle] [--expect-reset-after S]
                       [--ready-file PATH]"""
import argparse
import json
import os
import selectors
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("--bytes", type=int, default=100000)
    ap.add_argument("--rate", type=float, default=50000)
    ap.add_argument("--idle", action="store_true")
    ap.add_argument("--expect-reset-after", type=float, default=0)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--ready-file")
    a = ap.parse_args()
    t0 = time.time()
    conns = []
    for i in range(a.n):
        s = socket.create_connection((a.host, a.port), timeout=5)
        s.setblocking(False)
        data = os.urandom(a.bytes)
        conns.append({"s": s, "data": data, "sent": 0, "got": bytearray(), "done": False,
                      "eof": False, "reset": None})
    t_open = time.time()  # the rate counts from here: connecting can be slow on a busy box
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c["s"], selectors.EVENT_READ, c)
    deadline = t0 + a.timeout
    ready = a.ready_file is None
    while time.time() < deadline and not all(c["done"] for c in conns):
        if not ready and all(c["got"] for c in conns):
            with open(a.ready_file, "w") as f:
                f.write("%.3f\n" % (time.time() - t0))
            ready = True
        now = time.time()
        for c in conns:
            if c["done"] or c["eof"]:
                continue
            want = a.bytes if a.idle else min(a.bytes, int((now - t_open) * a.rate))
            if c["sent"] < want:
                try:
                    c["sent"] += c["s"].send(c["data"][c["sent"]:min(want, c["sent"] + 1024)])
                except BlockingIOError:
                    pass
            elif not a.idle and c["sent"] == a.bytes and len(c["got"]) == a.bytes and not c["eof"]:
                c["s"].shutdown(socket.SHUT_WR)
                c["eof"] = True
        for key, _ in sel.select(0.01):
            c = key.data
            try:
                chunk = c["s"].recv(1 << 16)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                c["reset"] = time.time() - t0
                c["done"] = True
                sel.unregister(c["s"])
                continue
            if not chunk:
                c["done"] = True
                sel.unregister(c["s"])
                continue
            c["got"] += chunk
    out = {"conns": a.n, "bytes": a.bytes, "seconds": round(time.time() - t0, 2),
           "echoed_exact": sum(1 for c in conns if bytes(c["got"]) == c["data"][:len(c["got"])]
                               and len(c["got"]) == (a.bytes if not a.idle else len(c["got"]))),
           "closed_clean": sum(1 for c in conns if c["done"] and c["reset"] is None),
           "reset": sum(1 for c in conns if c["reset"] is not None),
           "first_reset_s": min((c["reset"] for c in conns if c["reset"] is not None), default=None),
           "bytes_checked": sum(len(c["got"]) for c in conns)}
    print(json.dumps(out))
    if a.idle:
        ok = out["reset"] == a.n and out["first_reset_s"] >= a.expect_reset_after
    else:
        ok = out["echoed_exact"] == a.n and out["closed_clean"] == a.n
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
