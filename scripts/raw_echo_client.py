#!/usr/bin/python3
"""Send N numbered Ethernet frames out of an interface and count the ones that come
back with the MAC addresses swapped (what c10m's macswap mode does), checking every
byte of each. Bounded in count and time. Prints one JSON line; exit 0 when every
frame came back exactly once."""
import json
import os
import random
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETHERTYPE = 0x88B5  # IEEE local experimental: the kernel leaves it alone
PACKET_OUTGOING = 4


def main():
    iface, count = sys.argv[1], int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    rng = random.Random(862)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.05)
    my_mac = bytes.fromhex(open(f"/sys/class/net/{iface}/address").read().strip().replace(":", ""))
    peer = bytes.fromhex("02c10a000001")
    sent = {}
    for seq in range(count):
        size = rng.randint(60, 1514)
        body = struct.pack("!I", seq) + bytes(rng.getrandbits(8) for _ in range(size - 18))
        frame = peer + my_mac + struct.pack("!H", ETHERTYPE) + body
        sent[seq] = frame
    got = {}
    bad = 0
    seqs = list(sent)
    deadline = time.time() + timeout
    i = 0
    while time.time() < deadline and len(got) < count:
        # Keep a bounded window in flight so the AF_PACKET rings never overflow.
        while i < count and i - len(got) < 64:
            s.send(sent[seqs[i]])
            i += 1
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            if i >= count:
                continue
            continue
        if addr[2] == PACKET_OUTGOING or len(data) < 18:
            continue
        if struct.unpack("!H", data[12:14])[0] != ETHERTYPE:
            continue
        seq = struct.unpack("!I", data[14:18])[0]
        want = sent.get(seq)
        if want is None or data != want[6:12] + want[0:6] + want[12:]:
            bad += 1
            continue
        got[seq] = got.get(seq, 0) + 1
    dup = sum(1 for v in got.values() if v > 1)
    print(json.dumps({"sent": i, "returned": len(got), "bad": bad, "duplicates": dup}))
    return 0 if len(got) == count and bad == 0 and dup == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
