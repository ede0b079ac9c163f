#!/usr/bin/python3
"""A seeded L2 relay that impairs one direction, for TCP tests under loss on a kernel
without netem. It sits in its own namespace between two veth interfaces (say rc0,
facing the client, and rs0, facing the server), reads every frame from each with an
AF_PACKET socket in promiscuous mode and sends it unchanged out of the other one, so
both ends share one L2 segment (ARP passes through).

Only IPv4 TCP frames arriving on --impair-from are impaired: dropped (--loss),
held back and sent right after the next TCP frame of that direction is sent, or
after --reorder-hold-ms (--reorder; one frame held at a time), or sent twice (--dup). Each impairable frame draws
three numbers from random.Random(--seed), so the decisions for the n-th frame are
the same on every run. Exits by itself after --duration seconds, or on
SIGINT/SIGTERM, printing one JSON line of counts.

Setup it expects: veths with MTU 1500 and every offload off (ethtool -K IF rx off
tx off tso off gso off gro off), so each frame is one wire segment."""
import argparse
import json
import random
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_STATISTICS = 6
PACKET_MR_PROMISC = 1
PACKET_OUTGOING = 4


class Stop(Exception):
    pass


def open_port(ifname, rcvbuf):
    # protocol 0 until bound: no frames from other interfaces slip into the queue
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((ifname, ETH_P_ALL))
    mreq = struct.pack("iHH8s", socket.if_nametoindex(ifname), PACKET_MR_PROMISC, 0, b"")
    s.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, rcvbuf)  # SO_RCVBUFFORCE (root)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.setblocking(False)
    return s


def kernel_drops(s):
    try:
        packets, drops = struct.unpack("II", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
        return drops
    except OSError:
        return None


def is_ipv4_tcp(frame):
    return len(frame) >= 34 and frame[12:14] == b"\x08\x00" and frame[23] == 6


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("iface_a", help="one interface (e.g. rc0, facing the client)")
    ap.add_argument("iface_b", help="the other interface (e.g. rs0, facing the server)")
    ap.add_argument("--impair-from", default=None,
                    help="impair frames arriving on this interface (default: iface_a)")
    ap.add_argument("--loss", type=float, default=0.0, help="drop probability (default 0)")
    ap.add_argument("--reorder", type=float, default=0.0,
                    help="probability of holding a frame back past the next one (default 0)")
    ap.add_argument("--reorder-hold-ms", type=float, default=20,
                    help="send a held frame after this long if no other frame came (default 20)")
    ap.add_argument("--dup", type=float, default=0.0, help="duplication probability (default 0)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the decisions (default 1)")
    ap.add_argument("--duration", type=float, default=60, help="exit after this many seconds (default 60)")
    ap.add_argument("--rcvbuf", type=int, default=8 << 20, help="socket receive buffer (default 8 MiB)")
    o = ap.parse_args()
    impair_from = o.impair_from or o.iface_a
    if impair_from not in (o.iface_a, o.iface_b):
        ap.error(f"--impair-from: expected {o.iface_a} or {o.iface_b}, got '{impair_from}'")
    for name in ("loss", "reorder", "dup"):
        if not 0 <= getattr(o, name) <= 1:
            ap.error(f"--{name}: expected a probability in 0..1")

    rng = random.Random(o.seed)
    sa, sb = open_port(o.iface_a, o.rcvbuf), open_port(o.iface_b, o.rcvbuf)
    ports = {sa.fileno(): (sa, sb, o.iface_a, f"{o.iface_a}>{o.iface_b}"),
             sb.fileno(): (sb, sa, o.iface_b, f"{o.iface_b}>{o.iface_a}")}
    fwd = {f"{o.iface_a}>{o.iface_b}": 0, f"{o.iface_b}>{o.iface_a}": 0}
    st = {"max_frame": 0, "impairable": 0, "dropped": 0, "reordered": 0, "reorder_released_by_timer": 0, "duplicated": 0,
          "send_errors": 0}
    held = None  # (frame, out socket, direction, release time)

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

    def send(out, frame, direction):
        try:
            out.send(frame)
            fwd[direction] += 1
        except BlockingIOError:
            # the veth queue is full: wait for room rather than drop silently
            select.select([], [out], [], 0.01)
            try:
                out.send(frame)
                fwd[direction] += 1
            except OSError:
                st["send_errors"] += 1
        except OSError:
            st["send_errors"] += 1

    poller = select.poll()
    for fd in ports:
        poller.register(fd, select.POLLIN)
    t0 = time.monotonic()
    end = t0 + o.duration
    print(f"impair_relay: relaying {o.iface_a} <-> {o.iface_b}, impairing TCP from {impair_from}",
          file=sys.stderr, flush=True)
    try:
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if held and now >= held[3]:
                send(held[1], held[0], held[2])
                st["reorder_released_by_timer"] += 1
                held = None
            wait = end - now if not held else held[3] - now
            for fd, _ in poller.poll(max(0, min(wait, 0.5)) * 1000):
                s, out, ifname, direction = ports[fd]
                for _ in range(64):
                    try:
                        frame, addr = s.recvfrom(65536)
                    except BlockingIOError:
                        break
                    if addr[2] == PACKET_OUTGOING:
                        continue
                    if len(frame) > st["max_frame"]:  # above 1514: offloads left on somewhere
                        st["max_frame"] = len(frame)
                    if ifname != impair_from or not is_ipv4_tcp(frame):
                        send(out, frame, direction)
                        continue
                    st["impairable"] += 1
                    r_loss, r_reorder, r_dup = rng.random(), rng.random(), rng.random()
                    if r_loss < o.loss:
                        st["dropped"] += 1
                        continue
                    if held is None and r_reorder < o.reorder:
                        st["reordered"] += 1
                        held = (frame, out, direction, time.monotonic() + o.reorder_hold_ms / 1000)
                        continue
                    send(out, frame, direction)
                    if r_dup < o.dup:
                        st["duplicated"] += 1
                        send(out, frame, direction)
                    if held is not None:
                        send(held[1], held[0], held[2])
                        held = None
    except Stop:
        pass
    finally:
        if held is not None:
            send(held[1], held[0], held[2])
        out = {"forwarded": fwd, **st, "kernel_drops": {o.iface_a: kernel_drops(sa), o.iface_b: kernel_drops(sb)},
               "seconds": round(time.monotonic() - t0, 2),
               "params": {"impair_from": impair_from, "loss": o.loss, "reorder": o.reorder, "dup": o.dup,
                          "seed": o.seed}}
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
