#!/usr/bin/python3
"""RFC 862 TCP echo checker: opens connections to an echo server, sends each one a
seeded pseudo-random byte stream and checks every echoed byte, then checks that the
server closes after echoing everything once it has the client's FIN.

Modes (default: echo):
  echo         each connection sends --bytes while reading, shuts down its sending
               side, and reads to EOF, which must come after exactly --bytes bytes.
  --pause-read one connection with a small SO_RCVBUF stops reading for SECONDS after
               --pause-after bytes while it keeps sending until the send would
               block (the server sees a zero window and must probe), then resumes
               and checks everything.
  --reset-after each connection sends BYTES (checking what echo arrives) and aborts
               with SO_LINGER {1,0} + close (an RST); then one ordinary probe
               connection must still be echoed.
  --hold N     opens N connections, keeps them idle for --hold-seconds, then sends
               each one a small message (--bytes, default 32) and checks the echo.

Prints one JSON line on stdout; exit 0 only if everything matched, 1 otherwise.

Many connections: each process holds at most RLIMIT_NOFILE sockets (raised to the
hard limit), so spread them with --procs; each source address has one ephemeral
port range (~28k), so add addresses with --source-ips. The client's kernel keeps
every closed connection in TIME_WAIT for 60 s and connect() slows down sharply as
the port range fills: for runs of more than ~10k short connections set
`sysctl net.ipv4.tcp_tw_reuse=1` in the client's network namespace."""
import argparse
import json
import multiprocessing
import os
import random
import resource
import selectors
import socket
import struct
import sys
import time
from collections import Counter, deque

BLOCK = 1 << 16  # stream blocks: any one can be made on its own
RECV_SIZE = 1 << 18
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
R, W = selectors.EVENT_READ, selectors.EVENT_WRITE
CONNECTING, HELD, OPEN, DRAINING, CLOSED = "connecting", "held", "sending", "draining", "closed"


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class Stream:
    """The bytes connection `cid` sends: pseudo-random, seeded by (seed, cid), made a
    block at a time so only the blocks between what is echoed and what is sent are
    kept. The stream does not depend on its length (a shorter one is a prefix)."""

    __slots__ = ("key", "total", "blocks")

    def __init__(self, seed, cid, total):
        self.key = f"c10m-tcp-echo:{seed}:{cid}:"
        self.total = total
        self.blocks = {}

    def block(self, k):
        b = self.blocks.get(k)
        if b is None:
            n = min(BLOCK, self.total - k * BLOCK)
            # randbytes(n) is a prefix of randbytes(m > n) only for n a multiple of 4
            b = random.Random(self.key + str(k)).randbytes((n + 3) & ~3)[:n]
            self.blocks[k] = b
        return b

    def forget_below(self, off):
        k = off // BLOCK
        if len(self.blocks) > 1:
            for j in [j for j in self.blocks if j < k]:
                del self.blocks[j]


class Conn:
    __slots__ = ("cid", "sock", "state", "stream", "total", "sent", "rcvd", "deadline", "events",
                 "src", "read_limit", "blocked_at", "abort")

    def __init__(self, cid, total, seed, src):
        self.cid, self.total, self.src = cid, total, src
        self.stream = Stream(seed, cid, total)
        self.sock = None
        self.state = CONNECTING
        self.sent = self.rcvd = 0
        self.deadline = 0.0
        self.events = 0
        self.read_limit = None  # stop reading at this many echoed bytes (--pause-read)
        self.blocked_at = None  # bytes sent when a send first would block with reading paused
        self.abort = False  # --reset-after: RST instead of FIN once everything is sent


class Worker:
    """One process's share of the connections, on one selectors loop."""

    def __init__(self, o, run_deadline):
        self.o = o
        self.dst = (o.host, o.port)
        self.run_deadline = run_deadline
        self.sel = selectors.DefaultSelector()
        self.active = {}  # cid -> Conn connecting or transferring
        self.held = []
        self.hold_phase = False
        self.ok = self.failed = self.bytes_checked = self.connected = self.resets = 0
        self.errors = Counter()
        self.first_error = None  # (wall time, text)

    # -- bookkeeping ---------------------------------------------------------------

    def note(self, kind, text, n=1):
        self.failed += n
        self.errors[kind] += n
        if self.first_error is None:
            self.first_error = (time.time(), text)

    def fail(self, c, kind, text):
        self.note(kind, f"conn {c.cid}: {text}")
        self.close(c)

    def close(self, c, abort=False):
        if c.sock is not None:
            if c.events:
                self.sel.unregister(c.sock)
                c.events = 0
            if abort:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.sock.close()
        self.active.pop(c.cid, None)
        c.state = CLOSED

    def want(self, c):
        if c.state == CONNECTING:
            return W
        if c.state == HELD:
            return R
        ev = 0 if c.read_limit is not None and c.rcvd >= c.read_limit else R
        if c.state == OPEN and c.sent < c.total:
            ev |= W
        return ev

    def interest(self, c):
        ev = self.want(c)
        if ev == c.events:
            return
        if c.events == 0:
            self.sel.register(c.sock, ev, c)
        elif ev == 0:
            self.sel.unregister(c.sock)
        else:
            self.sel.modify(c.sock, ev, c)
        c.events = ev

    # -- one connection ------------------------------------------------------------

    def start(self, cid, total, src=None, rcvbuf=None, sndbuf=None):
        c = Conn(cid, total, self.o.seed, src)
        c.deadline = time.monotonic() + self.o.conn_timeout
        self.active[cid] = c
        try:
            c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as e:
            self.fail(c, "socket", f"socket: {e.strerror or e}")
            return c
        try:
            c.sock.setblocking(False)
            if rcvbuf:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            if sndbuf:
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
            if src:
                # leave the port to connect(), which can share it across destinations
                c.sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                c.sock.bind((src, 0))
            err = c.sock.connect_ex(self.dst)
        except OSError as e:
            self.fail(c, "connect", f"connect from {src or 'any'}: {e.strerror or e}")
            return c
        if err not in (0, 115):  # EINPROGRESS
            self.fail(c, "connect", f"connect from {src or 'any'}: {os.strerror(err)}")
            return c
        self.interest(c)
        return c

    def on_event(self, c, mask):
        try:
            if c.state == CONNECTING:
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    return self.fail(c, "connect", f"connect: {os.strerror(err)}")
                self.connected += 1
                if self.hold_phase:
                    c.state = HELD
                    self.active.pop(c.cid, None)
                    self.held.append(c)
                    return self.interest(c)
                c.state = OPEN
                mask = W
            elif c.state == HELD:
                data = c.sock.recv(64)
                return self.fail(c, "hold", "the server closed the idle connection" if not data
                                 else f"{len(data)} unasked-for bytes while idle")
            if mask & R and not self.read(c):
                return
            if mask & W and c.state == OPEN and not self.write(c):
                return
            self.interest(c)
        except OSError as e:
            self.fail(c, "reset" if isinstance(e, ConnectionResetError) else "io",
                      f"{c.state}, sent {c.sent}/{c.total}, echoed {c.rcvd}: {e.strerror or e}")

    def read(self, c):
        n = RECV_SIZE
        if c.read_limit is not None:
            n = min(n, c.read_limit - c.rcvd)
            if n <= 0:
                return True
        try:
            data = c.sock.recv(n)
        except BlockingIOError:
            return True
        if not data:
            if c.state == DRAINING and c.rcvd == c.total:
                self.ok += 1
                self.close(c)
            else:
                self.fail(c, "eof", f"EOF after {c.rcvd} of {c.total} bytes echoed ({c.sent} sent)")
            return False
        return self.check(c, data)

    def check(self, c, data):
        off, n = c.rcvd, len(data)
        if off + n > c.sent:
            self.fail(c, "extra", f"{off + n} bytes echoed but only {c.sent} sent")
            return False
        i = 0
        while i < n:
            k, o = divmod(off + i, BLOCK)
            blk = c.stream.block(k)
            m = min(n - i, len(blk) - o)
            got, want = data[i:i + m], blk[o:o + m]
            if got != want:
                j = next(j for j in range(m) if got[j] != want[j])
                self.fail(c, "mismatch", f"byte {off + i + j} is 0x{got[j]:02x}, sent 0x{want[j]:02x}")
                return False
            i += m
        c.rcvd += n
        self.bytes_checked += n
        c.stream.forget_below(c.rcvd)
        return True

    def write(self, c):
        chunk = self.o.chunk
        while c.sent < c.total:
            k, o = divmod(c.sent, BLOCK)
            blk = c.stream.block(k)
            m = min(chunk, len(blk) - o)
            try:
                sent = c.sock.send(memoryview(blk)[o:o + m])
            except BlockingIOError:
                if c.blocked_at is None and c.read_limit is not None and c.rcvd >= c.read_limit:
                    c.blocked_at = c.sent
                return True
            c.sent += sent  # a short send: the next one tells whether the buffer is full
        if c.abort:  # --reset-after: everything sent, now the RST
            self.resets += 1
            self.ok += 1
            self.close(c, abort=True)
            return False
        c.sock.shutdown(socket.SHUT_WR)
        c.state = DRAINING
        return True

    # -- the loop ------------------------------------------------------------------

    def poll(self, timeout):
        for key, mask in self.sel.select(timeout):
            c = key.data
            if c.state != CLOSED:
                self.on_event(c, mask)

    def expire(self, now):
        for c in list(self.active.values()):
            if now >= c.deadline:
                self.fail(c, "timeout", f"no progress by the deadline: {c.state}, sent {c.sent}/{c.total}, "
                          f"echoed {c.rcvd}")

    def run(self, cids, total, sources, parallel, abort=False):
        """Start the connections `cids` keeping at most `parallel` in flight, to done."""
        pending = deque(cids)
        next_expire = 0.0
        while pending or self.active:
            now = time.monotonic()
            if now >= self.run_deadline:
                for c in list(self.active.values()):
                    self.fail(c, "timeout", f"run timed out: {c.state}, sent {c.sent}/{c.total}, echoed {c.rcvd}")
                if pending:
                    self.note("not started", f"run timed out with {len(pending)} connections not started",
                              len(pending))
                return
            while pending and len(self.active) < parallel:
                cid = pending.popleft()
                c = self.start(cid, total, sources[cid % len(sources)] if sources else None)
                c.abort = abort
            self.poll(0.05)
            if now >= next_expire:
                self.expire(now)
                next_expire = now + 0.25

    def hold(self, cids, total, sources, barrier):
        """--hold: connect them all, keep them idle, then echo a small message on each."""
        self.hold_phase = True
        self.run(cids, total, sources, self.o.parallel)  # returns once none is still connecting
        self.hold_phase = False
        if time.monotonic() >= self.run_deadline:
            for c in self.held:
                if c.state == HELD:
                    self.fail(c, "timeout", "run timed out while others were still connecting")
            return
        if barrier is not None:  # every process holds its connections at the same time
            try:
                barrier.wait(max(1.0, self.run_deadline - time.monotonic()))
            except Exception:
                pass
        hold_end = time.monotonic() + self.o.hold_seconds
        while time.monotonic() < hold_end:
            self.poll(min(0.5, max(0.0, hold_end - time.monotonic())))
        held = deque(c for c in self.held if c.state == HELD)
        self.held_ok = len(held)
        next_expire = 0.0
        while held or self.active:
            now = time.monotonic()
            if now >= self.run_deadline:
                for c in list(self.active.values()) + list(held):
                    self.fail(c, "timeout", f"run timed out: {c.state}, sent {c.sent}/{c.total}, echoed {c.rcvd}")
                return
            while held and len(self.active) < self.o.parallel:
                c = held.popleft()
                c.state = OPEN
                c.deadline = now + self.o.conn_timeout
                self.active[c.cid] = c
                self.on_event(c, W)
            self.poll(0.05)
            if now >= next_expire:
                self.expire(now)
                next_expire = now + 0.25

    def result(self):
        return {"ok": self.ok, "failed": self.failed, "bytes_checked": self.bytes_checked,
                "connected": self.connected, "resets": self.resets, "held_ok": getattr(self, "held_ok", 0),
                "errors": dict(self.errors), "first_error": self.first_error}


def worker_main(o, wid, cids, run_deadline, barrier, pipe):
    raise_nofile()
    w = Worker(o, run_deadline)
    try:
        if o.hold is not None:
            w.hold(cids, o.bytes, o.sources, barrier)
        else:
            w.run(cids, o.bytes, o.sources, o.parallel, abort=o.reset_after is not None)
        res = w.result()
    except Exception as e:  # a bug or a resource limit: report it, never hang the parent
        res = w.result()
        res["failed"] = max(res["failed"], len(cids) - res["ok"])
        res["errors"]["worker"] = 1
        res["first_error"] = (time.time(), f"worker {wid}: {type(e).__name__}: {e}")
    if pipe is None:
        return res
    pipe.send(res)
    pipe.close()


def run_workers(o, n, run_deadline):
    procs = max(1, min(o.procs, n))
    if procs == 1:
        return [worker_main(o, 0, range(n), run_deadline, None, None)]
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(procs) if o.hold is not None else None
    workers = []
    for wid in range(procs):
        rd, wr = ctx.Pipe(duplex=False)
        cids = range(wid, n, procs)
        p = ctx.Process(target=worker_main, args=(o, wid, cids, run_deadline, barrier, wr), daemon=True)
        p.start()
        wr.close()
        workers.append((p, rd, cids))
    results = []
    for wid, (p, rd, cids) in enumerate(workers):
        res = None
        if rd.poll(max(0.0, run_deadline - time.monotonic()) + 5):
            try:
                res = rd.recv()
            except EOFError:
                pass
        p.join(5 if res is not None else 0.1)
        if p.is_alive():
            p.terminate()
            p.join(2)
        if res is None:
            res = {"ok": 0, "failed": len(cids), "bytes_checked": 0, "connected": 0, "resets": 0, "held_ok": 0,
                   "errors": {"worker": 1},
                   "first_error": (time.time(), f"worker {wid} gave no result (exit code {p.exitcode})")}
        results.append(res)
    return results


def run_pause(o, run_deadline):
    """--pause-read: one connection, reading paused for a while with the window closed."""
    w = Worker(o, run_deadline)
    c = w.start(0, o.bytes, o.sources[0] if o.sources else None, rcvbuf=o.rcvbuf, sndbuf=o.sndbuf)
    c.read_limit = o.pause_after
    c.deadline += o.pause_read
    live = c.state != CLOSED
    info = {"rcvbuf": c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) if live else None,
            "sndbuf": c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) if live else None,
            "pause_after": o.pause_after, "paused_s": o.pause_read}
    pause_end = None
    while c.state != CLOSED:
        now = time.monotonic()
        if now >= run_deadline or now >= c.deadline:
            w.fail(c, "timeout", f"timed out: {c.state}, sent {c.sent}/{c.total}, echoed {c.rcvd}, "
                   f"paused {pause_end is not None}")
            break
        if pause_end is None and c.read_limit is not None and c.rcvd >= c.read_limit:
            pause_end = now + o.pause_read
            info["sent_at_pause"] = c.sent
            if c.state == OPEN:  # a send now, so a full pipe is seen even if never writable again
                w.on_event(c, W)
        if pause_end is not None and c.read_limit is not None and now >= pause_end:
            if c.state == OPEN:  # and one more before reading again
                w.on_event(c, W)
            c.read_limit = None
            info["sent_at_resume"] = c.sent
            info["unechoed_at_resume"] = c.sent - c.rcvd
            w.interest(c)
        timeout = 0.05 if pause_end is None or c.read_limit is None else min(0.05, max(0.0, pause_end - now))
        if c.events:
            w.poll(timeout)
        else:
            time.sleep(timeout)
    info["send_blocked"] = c.blocked_at is not None  # a send would block while reading was paused
    info["sent_when_blocked"] = c.blocked_at
    res = w.result()
    res["pause"] = info
    return [res]


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", required=True, help="echo server address")
    ap.add_argument("--port", type=int, default=7, help="echo server port (default 7)")
    ap.add_argument("--conns", type=int, default=1, help="connections in all (default 1)")
    ap.add_argument("--bytes", type=int, default=None,
                    help="bytes per connection (default 4096; 8 MiB with --pause-read, 32 with --hold)")
    ap.add_argument("--parallel", type=int, default=100,
                    help="connections in flight at once in each process (default 100)")
    ap.add_argument("--procs", type=int, default=1,
                    help="spread the connections over this many worker processes (default 1); one "
                         "process can hold only RLIMIT_NOFILE sockets")
    ap.add_argument("--source-ips", default="",
                    help="comma-separated source addresses, one per connection round-robin (each gives "
                         "its own range of ephemeral ports)")
    ap.add_argument("--seed", type=int, default=862, help="seed of the payload streams (default 862)")
    ap.add_argument("--chunk", type=int, default=65536, help="bytes per send call (default 65536)")
    ap.add_argument("--timeout", type=float, default=60,
                    help="bound on the whole run, plus --hold-seconds or --pause-read when given (default 60)")
    ap.add_argument("--conn-timeout", type=float, default=None,
                    help="deadline of each connection, from its connect (and for --hold again from its "
                         "message) (default: --timeout)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--pause-read", type=float, metavar="SECONDS",
                      help="one connection with a small SO_RCVBUF stops reading for SECONDS after "
                           "--pause-after bytes, sending until the send would block, then checks everything")
    ap.add_argument("--pause-after", type=int, default=64 << 10,
                    help="echoed bytes to read before the pause (default 65536)")
    ap.add_argument("--rcvbuf", type=int, default=4096,
                    help="SO_RCVBUF set before connect with --pause-read (default 4096; the kernel doubles it)")
    ap.add_argument("--sndbuf", type=int, default=None,
                    help="SO_SNDBUF set before connect with --pause-read, so the send blocks sooner "
                         "(default 65536; 0 leaves the kernel's autotuning)")
    mode.add_argument("--reset-after", type=int, metavar="BYTES",
                      help="each connection sends BYTES then aborts with an RST (SO_LINGER {1,0}); then one "
                           "ordinary probe connection must still be echoed")
    mode.add_argument("--hold", type=int, metavar="N",
                      help="open N connections, keep them idle --hold-seconds, then echo a small message on each")
    ap.add_argument("--hold-seconds", type=float, default=10, help="idle time with --hold (default 10)")
    o = ap.parse_args(argv)
    if o.bytes is None:
        o.bytes = 8 << 20 if o.pause_read is not None else 32 if o.hold is not None else 4096
    if o.reset_after is not None:
        o.bytes = o.reset_after
    if o.sndbuf is None:
        o.sndbuf = 65536
    if o.conn_timeout is None:
        o.conn_timeout = o.timeout
    o.sources = [s.strip() for s in o.source_ips.split(",") if s.strip()]
    for name in ("conns", "parallel", "procs", "chunk"):
        if getattr(o, name) < 1:
            ap.error(f"--{name}: expected at least 1")
    if o.bytes < 0 or (o.hold is not None and o.hold < 1):
        ap.error("--bytes/--reset-after/--hold: expected a positive count")
    if o.pause_read is not None and o.bytes <= o.pause_after:
        ap.error("--pause-read: --bytes must exceed --pause-after")
    return o


def main(argv=None):
    o = parse_args(argv)
    raise_nofile()
    t0 = time.monotonic()
    extra = o.hold_seconds if o.hold is not None else o.pause_read if o.pause_read is not None else 0
    run_deadline = t0 + o.timeout + extra
    if o.pause_read is not None:
        mode, n = "pause-read", 1
        results = run_pause(o, run_deadline)
    elif o.hold is not None:
        mode, n = "hold", o.hold
        results = run_workers(o, n, run_deadline)
    else:
        mode, n = ("reset" if o.reset_after is not None else "echo"), o.conns
        results = run_workers(o, n, run_deadline)
    elapsed = time.monotonic() - t0
    out = {"mode": mode, "host": o.host, "port": o.port, "conns": n, "bytes_per_conn": o.bytes}
    for k in ("ok", "failed", "bytes_checked"):
        out[k] = sum(r[k] for r in results)
    out["elapsed_s"] = round(elapsed, 3)
    out["MBps"] = round(out["bytes_checked"] / 1e6 / elapsed, 2) if elapsed > 0 else 0
    errors = Counter()
    for r in results:
        errors.update(r["errors"])
    firsts = sorted(r["first_error"] for r in results if r["first_error"])
    out["first_error"] = firsts[0][1] if firsts else None
    out["errors"] = dict(errors)
    good = out["ok"] == n and out["failed"] == 0
    if mode == "hold":
        out["held"] = sum(r["held_ok"] for r in results)
        out["answered"] = out["ok"]
        out["not_answered"] = n - out["ok"]
        out["hold_seconds"] = o.hold_seconds
    elif mode == "pause-read":
        out["pause"] = results[0]["pause"]
    elif mode == "reset":
        out["resets"] = sum(r["resets"] for r in results)
        # the server must still be there: one ordinary connection after the resets
        po = argparse.Namespace(**vars(o))
        po.bytes, po.reset_after, po.procs, po.conns = 4096, None, 1, 1
        pw = Worker(po, time.monotonic() + min(o.conn_timeout, 10))
        pw.run([n], po.bytes, o.sources, 1)
        out["probe_ok"] = pw.ok == 1
        if pw.first_error and not out["first_error"]:
            out["first_error"] = "probe after resets: " + pw.first_error[1]
        good = good and out["probe_ok"]
    print(json.dumps(out), flush=True)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
