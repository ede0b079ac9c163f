#!/usr/bin/env python3
"""Write a pcap of echo requests for the echo benchmark (scripts/bench-echo).

usage: echo_pcap.py OUT.pcap udp|icmp [--count N] [--frame-len L]
                    [--dst-mac M] [--src-mac M] [--dst-ip A] [--src-ip A]
                    [--dst-port P] [--src-port-base P]

N frames (default 64) of L bytes each (default 64, Ethernet header included, FCS
not), every one with valid IPv4 and UDP/ICMP checksums:
  udp:  UDP from SRC:src-port-base+i to DST:dst-port (default 40000+i -> 7), the
        payload a counter and filler; source ports stay clear of 0/7/13/17/19/37,
        which c10m drops (loop protection)
  icmp: ICMP echo request, identifier 0xc10m-ish (0xc10a), sequence i
Defaults: dst 02:c1:0a:00:00:01 / 198.18.0.1, src 02:c1:0a:00:00:02 / 198.18.0.2.
Standard library only (classic microsecond pcap, linktype 1).
"""

import argparse
import struct
import sys


def csum(data: bytes, initial: int = 0) -> int:
    if len(data) % 2:
        data += b"\0"
    s = initial + sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(s: str) -> bytes:
    b = bytes.fromhex(s.replace(":", ""))
    if len(b) != 6:
        raise argparse.ArgumentTypeError(f"not a MAC address: {s}")
    return b


def ip4(s: str) -> bytes:
    parts = [int(x) for x in s.split(".")]
    if len(parts) != 4 or any(not 0 <= p <= 255 for p in parts):
        raise argparse.ArgumentTypeError(f"not an IPv4 address: {s}")
    return bytes(parts)


def ipv4_header(total_len: int, ident: int, proto: int, src: bytes, dst: bytes) -> bytes:
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total_len, ident, 0x4000, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def udp_frame(i, a):
    l4len = a.frame_len - 14 - 20
    payload = struct.pack("!I", i) + bytes((0x41 + (i + k) % 26) for k in range(l4len - 8 - 4))
    sport = a.src_port_base + i
    hdr = struct.pack("!HHHH", sport, a.dst_port, l4len, 0)
    pseudo = a.src_ip + a.dst_ip + struct.pack("!BBH", 0, 17, l4len)
    c = csum(pseudo + hdr + payload) or 0xFFFF
    l4 = hdr[:6] + struct.pack("!H", c) + payload
    return l4, 17


def icmp_frame(i, a):
    l4len = a.frame_len - 14 - 20
    payload = struct.pack("!I", i) + bytes((0x61 + (i + k) % 26) for k in range(l4len - 8 - 4))
    hdr = struct.pack("!BBHHH", 8, 0, 0, 0xC10A, i & 0xFFFF)
    c = csum(hdr + payload)
    return hdr[:2] + struct.pack("!H", c) + hdr[4:] + payload, 1


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("kind", choices=["udp", "icmp"])
    p.add_argument("--count", type=int, default=64)
    p.add_argument("--frame-len", type=int, default=64)
    p.add_argument("--dst-mac", type=mac, default=mac("02:c1:0a:00:00:01"))
    p.add_argument("--src-mac", type=mac, default=mac("02:c1:0a:00:00:02"))
    p.add_argument("--dst-ip", type=ip4, default=ip4("198.18.0.1"))
    p.add_argument("--src-ip", type=ip4, default=ip4("198.18.0.2"))
    p.add_argument("--dst-port", type=int, default=7)
    p.add_argument("--src-port-base", type=int, default=40000)
    a = p.parse_args(argv[1:])
    if not 14 + 20 + 8 + 4 <= a.frame_len <= 1514:
        p.error("--frame-len: 46..1514")
    if not 1 <= a.count <= 20000 or a.src_port_base + a.count > 65536 or a.src_port_base < 1024:
        p.error("--count 1..20000 with --src-port-base >= 1024 and base + count <= 65536")
    frames = []
    for i in range(a.count):
        l4, proto = (udp_frame if a.kind == "udp" else icmp_frame)(i, a)
        ip = ipv4_header(20 + len(l4), 0x1000 + i, proto, a.src_ip, a.dst_ip)
        f = a.dst_mac + a.src_mac + b"\x08\x00" + ip + l4
        assert len(f) == a.frame_len
        frames.append(f)
    with open(a.out, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, f in enumerate(frames):
            out.write(struct.pack("<IIII", 1, i, len(f), len(f)))
            out.write(f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
