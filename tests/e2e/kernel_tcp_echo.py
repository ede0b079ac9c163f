#!/usr/bin/python3
"""A kernel-TCP echo server (RFC 862) to check the TCP test tools against: one
non-blocking selectors loop, a bounded echo buffer per connection (it stops reading
while that much echo is unsent, so a client that stops reading sees the server's
window close too), and it closes a connection once it has echoed everything after
the client's FIN. Bounded by --duration; prints one JSON line of counts on exit."""
import argparse
import json
import resource
import selectors
import signal
import socket
import sys
import time

R, W = selectors.EVENT_READ, selectors.EVENT_WRITE


class Stop(Exception):
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    ap.add_argument("--port", type=int, default=7, help="TCP port (default 7)")
    ap.add_argument("--duration", type=float, default=60, help="exit after this many seconds (default 60)")
    ap.add_argument("--backlog", type=int, default=4096, help="listen backlog (default 4096)")
    ap.add_argument("--max-buffer", type=int, default=256 << 10,
                    help="unsent echo bytes per connection before it stops reading (default 256 KiB)")
    ap.add_argument("--reuseport", action="store_true",
                    help="set SO_REUSEPORT, so several servers can share the port (each holds RLIMIT_NOFILE)")
    ap.add_argument("--corrupt-at", type=int, default=None, metavar="OFFSET",
                    help="flip the byte at this offset of every connection's echo (to see that checkers notice)")
    o = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    # GNU timeout passes a signal to its child and then to the child's process
    # group: only the first may stop us, a copy must not cut the summary short.
    def on_signal(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if not stopping:
            stopping.append(signum)
            raise Stop()

    stopping = []

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if o.reuseport:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    ls.bind((o.host, o.port))
    ls.listen(o.backlog)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, R, None)
    st = {"accepted": 0, "closed": 0, "errors": 0, "bytes": 0, "max_open": 0}
    conns = {}  # socket -> [bytearray of unsent echo, saw EOF, registered events, bytes received]

    def close(s, error=False):
        sel.unregister(s)
        del conns[s]
        s.close()
        st["closed"] += 1
        st["errors"] += error

    def serve(s, mask):
        c = conns[s]
        buf = c[0]
        try:
            if mask & R and not c[1] and len(buf) < o.max_buffer:
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    data = None
                if data == b"":
                    c[1] = True
                elif data:
                    at = o.corrupt_at
                    if at is not None and c[3] <= at < c[3] + len(data):
                        data = bytearray(data)
                        data[at - c[3]] ^= 0xFF
                    c[3] += len(data)
                    buf += data
                    st["bytes"] += len(data)
            if buf:
                try:
                    n = s.send(buf)
                    del buf[:n]
                except BlockingIOError:
                    pass
        except OSError:
            close(s, True)
            return
        if c[1] and not buf:
            close(s)
            return
        want = (R if not c[1] and len(buf) < o.max_buffer else 0) | (W if buf else 0)
        if want != c[2]:
            sel.modify(s, want, s)
            c[2] = want

    deadline = time.monotonic() + o.duration
    # said last, so that a signal from whoever waited for it lands inside the try
    print(f"kernel_tcp_echo: listening on {o.host}:{o.port}", file=sys.stderr, flush=True)
    try:
        while time.monotonic() < deadline:
            for key, mask in sel.select(0.2):
                if key.data is None:
                    for _ in range(256):
                        try:
                            s, _ = ls.accept()
                        except (BlockingIOError, ConnectionAbortedError):
                            break
                        except OSError:  # EMFILE and the like: try again on the next round
                            st["errors"] += 1
                            break
                        s.setblocking(False)
                        conns[s] = [bytearray(), False, R, 0]
                        sel.register(s, R, s)
                        st["accepted"] += 1
                    st["max_open"] = max(st["max_open"], len(conns))
                elif key.data in conns:
                    serve(key.data, mask)
    except Stop:
        pass
    st["open_at_exit"] = len(conns)
    print(json.dumps(st), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
