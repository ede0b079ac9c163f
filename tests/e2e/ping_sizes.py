#!/usr/bin/python3
"""ICMP echo of every payload size in [lo, hi] to DST over a raw socket: each reply
must carry the request's identifier, sequence and exact payload. Bounded in time.
Prints one JSON line; exit 0 when every size came back exactly."""
import json
import os
import random
import select
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    dst, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 20
    rng = random.Random(lo * 7919 + hi)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    ident = os.getpid() & 0xFFFF
    want = {}
    for size in range(lo, hi + 1):
        want[size] = bytes(rng.getrandbits(8) for _ in range(size))
    got, bad = set(), 0
    pending = list(range(lo, hi + 1))
    deadline = time.time() + timeout
    sent = 0
    while time.time() < deadline and len(got) < len(want):
        while pending and sent - len(got) < 32:
            size = pending.pop(0)
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, size)
            c = csum(hdr + want[size])
            s.sendto(struct.pack("!BBHHH", 8, 0, c, ident, size) + want[size], (dst, 0))
            sent += 1
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            if not pending and sent - len(got) > 0 and time.time() > deadline - timeout / 2:
                # resend what is missing once half the time is gone
                pending = [k for k in want if k not in got]
                sent = len(got)
            continue
        pkt, addr = s.recvfrom(65535)
        ihl = (pkt[0] & 0xF) * 4
        icmp = pkt[ihl:]
        if len(icmp) < 8 or addr[0] != dst:
            continue
        typ, code, _, rid, seq = struct.unpack("!BBHHH", icmp[:8])
        if typ != 0 or rid != ident:
            continue
        if csum(icmp) != 0 or seq not in want or icmp[8:] != want[seq]:
            bad += 1
            continue
        got.add(seq)
    print(json.dumps({"sizes": len(want), "answered": len(got), "bad": bad,
                      "missing": sorted(set(want) - got)[:10]}))
    return 0 if len(got) == len(want) and bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
