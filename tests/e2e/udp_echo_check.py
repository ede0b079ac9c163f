#!/usr/bin/python3
"""RFC 862 UDP echo checker: N datagrams of random sizes (0..MAX) and random
payloads, a bounded window in flight, every byte of every reply checked; missing
ones are resent a bounded number of times. Prints one JSON line; exit 0 when every
datagram came back exactly."""
import json
import random
import select
import socket
import struct
import sys
import time


def main():
    dst, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    maxlen = int(sys.argv[4]) if len(sys.argv) > 4 else 1472
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 20
    rng = random.Random(862 + n)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect((dst, port))
    msgs = {}
    for i in range(n):
        size = rng.randint(4, maxlen) if rng.random() > 0.02 else 4
        msgs[i] = struct.pack("!I", i) + bytes(rng.getrandbits(8) for _ in range(size - 4))
    got, bad, resent = set(), 0, 0
    queue = list(range(n))
    inflight = {}
    deadline = time.time() + timeout
    while time.time() < deadline and len(got) < n:
        now = time.time()
        while queue and len(inflight) < 64:
            i = queue.pop(0)
            s.send(msgs[i])
            inflight[i] = now
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            try:
                data = s.recv(65535)
            except ConnectionRefusedError:
                bad += 1
                continue
            if len(data) < 4:
                bad += 1
                continue
            i = struct.unpack("!I", data[:4])[0]
            if msgs.get(i) != data:
                bad += 1
                continue
            got.add(i)
            inflight.pop(i, None)
        for i, t in list(inflight.items()):
            if now - t > 0.5 and resent < n:  # lost on the way: send again (bounded)
                del inflight[i]
                queue.append(i)
                resent += 1
    # a zero-length datagram too
    s.send(b"")
    r, _, _ = select.select([s], [], [], 1)
    empty_ok = bool(r) and s.recv(10) == b""
    print(json.dumps({"sent": n, "echoed": len(got), "bad": bad, "resent": resent, "empty_datagram": empty_ok}))
    return 0 if len(got) == n and bad == 0 and empty_ok else 1


if __name__ == "__main__":
    sys.exit(main())
