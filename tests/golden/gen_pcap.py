#!/usr/bin/python3
"""Write deterministic mixed-traffic pcap files for the golden test (stdlib only).

usage: gen_pcap.py OUT.pcap --seed N [--count N] [--runts N]

Frames: Ethernet II of sizes 60..1514 (plus a few runts < 14 bytes with --runts):
IPv4/UDP, IPv4/TCP, ARP request/reply, IPv6/UDP, an 802.1Q-tagged IPv4/UDP frame,
unicast, broadcast and IPv4/IPv6 multicast destinations, random payloads. The same
seed always gives the same file (timestamps included), so runs are reproducible.
"""

import argparse
import random
import struct
import sys

PCAP_MAGIC_US = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(rng, kind="unicast"):
    if kind == "broadcast":
        return b"\xff" * 6
    if kind == "mcast4":  # 01:00:5e + 23 bits of the group
        return bytes([0x01, 0x00, 0x5E, rng.randrange(0x80), rng.randrange(256), rng.randrange(256)])
    if kind == "mcast6":  # 33:33 + low 32 bits of the group
        return b"\x33\x33" + bytes(rng.randrange(256) for _ in range(4))
    b = bytearray(rng.randrange(256) for _ in range(6))
    b[0] &= 0xFE  # unicast
    b[0] |= 0x02  # locally administered
    return bytes(b)


def eth(dst, src, ethertype, vlan=None):
    if vlan is not None:
        return dst + src + struct.pack("!HHH", 0x8100, vlan, ethertype)
    return dst + src + struct.pack("!H", ethertype)


def ipv4(rng, proto, l4, src, dst):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), rng.randrange(65536), 0x4000,
                      rng.randrange(1, 256), proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr


def l4_udp_tcp(rng, proto, payload, src_ip, dst_ip):
    sport, dport = rng.randrange(1024, 65536), rng.choice([53, 80, 443, 9, 5353, rng.randrange(1, 65536)])
    if proto == 17:
        hdr = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    else:
        hdr = struct.pack("!HHIIBBHHH", sport, dport, rng.getrandbits(32), rng.getrandbits(32),
                          5 << 4, rng.choice([0x02, 0x10, 0x18, 0x11, 0x12]), rng.randrange(65536), 0, 0)
    seg = hdr + payload
    if len(src_ip) == 4:
        pseudo = struct.pack("!4s4sBBH", src_ip, dst_ip, 0, proto, len(seg))
    else:
        pseudo = struct.pack("!16s16sIxxxB", src_ip, dst_ip, len(seg), proto)
    c = csum(pseudo + seg)
    if proto == 17:
        c = c or 0xFFFF
        return seg[:6] + struct.pack("!H", c) + seg[8:]
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def frame_ipv4(rng, size, proto, dst_kind="unicast", vlan=None):
    l2 = 18 if vlan is not None else 14
    l4h = 8 if proto == 17 else 20
    plen = max(0, size - l2 - 20 - l4h)
    payload = rng.randbytes(plen)
    src_ip = bytes([10, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)])
    if dst_kind == "mcast4":
        dst_ip = bytes([239, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)])
    elif dst_kind == "broadcast":
        dst_ip = b"\xff\xff\xff\xff"
    else:
        dst_ip = bytes([198, 18, rng.randrange(256), rng.randrange(1, 255)])
    l4 = l4_udp_tcp(rng, proto, payload, src_ip, dst_ip)
    ip = ipv4(rng, proto, l4, src_ip, dst_ip)
    return eth(mac(rng, dst_kind), mac(rng), 0x0800, vlan) + ip + l4


def frame_ipv6(rng, size, dst_kind="unicast"):
    plen = max(0, size - 14 - 40 - 8)
    payload = rng.randbytes(plen)
    src = b"\xfd\x00" + rng.randbytes(14)
    dst = (b"\xff\x02" + b"\0" * 10 + rng.randbytes(4)) if dst_kind == "mcast6" else (b"\xfd\x00" + rng.randbytes(14))
    l4 = l4_udp_tcp(rng, 17, payload, src, dst)
    ip6 = struct.pack("!IHBB16s16s", (6 << 28) | (rng.randrange(256) << 20) | rng.randrange(1 << 20),
                      len(l4), 17, 64, src, dst)
    return eth(mac(rng, dst_kind), mac(rng), 0x86DD) + ip6 + l4


def frame_arp(rng, reply=False):
    smac = mac(rng)
    sip = bytes([10, 0, 0, rng.randrange(1, 255)])
    tip = bytes([10, 0, 0, rng.randrange(1, 255)])
    if reply:
        dmac = mac(rng)
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, smac, sip, dmac, tip)
    else:
        dmac = b"\xff" * 6
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, smac, sip, b"\0" * 6, tip)
    f = eth(dmac, smac, 0x0806) + arp
    return f + b"\0" * (60 - len(f))  # pad to the 60-byte minimum as a NIC would


def pick_size(rng):
    r = rng.random()
    if r < 0.15:
        return 60
    if r < 0.25:
        return 1514
    if r < 0.35:
        return rng.randrange(61, 128)
    return rng.randrange(60, 1515)


def make_frames(seed, count, runts):
    rng = random.Random(seed)
    frames = []
    for i in range(count):
        r = rng.random()
        size = pick_size(rng)
        if i == 3:  # one 802.1Q-tagged frame at a known place, another one later at random
            f = frame_ipv4(rng, size, 17, vlan=rng.randrange(1, 4095))
        elif r < 0.30:
            f = frame_ipv4(rng, size, 17)
        elif r < 0.55:
            f = frame_ipv4(rng, size, 6)
        elif r < 0.62:
            f = frame_ipv4(rng, size, 17, dst_kind="broadcast")
        elif r < 0.68:
            f = frame_ipv4(rng, size, 17, dst_kind="mcast4")
        elif r < 0.76:
            f = frame_arp(rng, reply=rng.random() < 0.5)
        elif r < 0.86:
            f = frame_ipv6(rng, size)
        elif r < 0.92:
            f = frame_ipv6(rng, size, dst_kind="mcast6")
        elif r < 0.95:
            f = frame_ipv4(rng, size, rng.choice([6, 17]), vlan=rng.randrange(1, 4095))
        else:  # unknown ethertype, random bytes
            f = eth(mac(rng), mac(rng), 0x88B5) + rng.randbytes(size - 14)
        # Sizes are those of frames on the wire without FCS: 60..1514.
        if len(f) < 60:
            f += b"\0" * (60 - len(f))
        f = f[:1514]
        frames.append(f)
    # Runts: shorter than an Ethernet header, spread over the file.
    for _ in range(runts):
        pos = rng.randrange(len(frames) + 1)
        frames.insert(pos, rng.randbytes(rng.randrange(1, 14)))
    return frames


def write_pcap(path, frames, seed):
    t = 1700000000 + seed
    with open(path, "wb") as fp:
        fp.write(struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
        for i, f in enumerate(frames):
            fp.write(struct.pack("<IIII", t, i * 10, len(f), len(f)))
            fp.write(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, default=300, help="regular frames (default 300)")
    ap.add_argument("--runts", type=int, default=0, help="frames of 1..13 bytes to mix in (default 0)")
    a = ap.parse_args()
    frames = make_frames(a.seed, a.count, a.runts)
    write_pcap(a.out, frames, a.seed)
    sizes = [len(f) for f in frames]
    print("%s: %d frames (%d runts), sizes %d..%d" % (a.out, len(frames), a.runts, min(sizes), max(sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
