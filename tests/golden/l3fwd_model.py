#!/usr/bin/python3
"""Golden files for --forward-mode=l3fwd. Writes a pcap of mixed traffic for c10m's
first net_pcap port (hosts on 198.18.1.0/24) and, from an independent model of an
RFC 1812 router built with scapy, what c10m must send on each port: on port 1 the
forwarded frames (TTL - 1, checksum, next hop's MAC, padding trimmed), on port 0
the host replies and ICMP errors, each port's gratuitous ARP first. Every next hop
is a static neighbour (--neighbor), so nothing waits for ARP. Prints the options c10m
needs, one per line, after a first line of counts.

usage: l3fwd_model.py IN0.pcap EXPECTED0.pcap EXPECTED1.pcap
"""
import logging
import random
import sys

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, IPOption_NOP, IPOption_RR, Raw,  # noqa
                       fragment, raw, wrpcap)

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
MAC0 = "02:70:63:61:70:00"  # net_pcap ports (DPDK 22.11 numbers them 02:70:63:61:70:<n>)
MAC1 = "02:70:63:61:70:01"
IP0, IP1 = "198.18.1.1", "198.19.1.1"
GW_B, GW_C, HOST_D = "198.19.1.2", "198.19.1.3", "198.19.1.20"
NEIGH = {GW_B: "02:00:00:00:0b:02", GW_C: "02:00:00:00:0b:03", HOST_D: "02:00:00:00:0b:14"}
MTU1 = 1400
OPTIONS = ["--ip", f"0:{IP0}/24", "--ip", f"1:{IP1}/24",
           "--route", f"198.19.5.0/24,1,{GW_B}", "--route", f"10.0.0.0/8,1,{GW_C}",
           "--mtu", f"1:{MTU1}", "--icmp-rate", "0"]
for ip, mac in NEIGH.items():
    OPTIONS += ["--neighbor", f"1,{ip},{mac}"]
rng = random.Random(1812)
clients = [(f"02:00:00:00:0a:{i:02x}", f"198.18.1.{10 + i}") for i in range(5)]
ip_id = 0  # the router's: one per ICMP error or RST it originates


def payload(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def garp(mac, ip):
    return raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) /
               ARP(op=1, hwsrc=mac, psrc=ip, hwdst="00:00:00:00:00:00", pdst=ip))


inputs, out0, out1 = [], [garp(MAC0, IP0)], [garp(MAC1, IP1)]


def next_hop(dst):
    if dst.startswith("198.19.5."):
        return GW_B
    if dst.startswith("10."):
        return GW_C
    return dst  # on port 1's link


def forwarded(frame):
    """What a router sends for a frame it forwards out of port 1."""
    e = Ether(frame)
    total = e[IP].len
    ipb = bytearray(raw(e)[14:14 + total])
    ipb[8] -= 1  # TTL
    ip = IP(bytes(ipb))
    del ip.chksum  # recomputed whole by scapy: an independent check of RFC 1624
    return raw(Ether(dst=NEIGH[next_hop(e[IP].dst)], src=MAC1) / ip)


def icmp_error(frame, type_, code, mtu=0, rx_ip=IP0):
    """An ICMP error about frame, back to its sender: RFC 1812 4.3.2.3, 576 bytes at most."""
    global ip_id
    e = Ether(frame)
    quote = raw(e)[14:14 + e[IP].len][:576 - 28]
    err = Ether(dst=e.src, src=MAC0) / IP(src=rx_ip, dst=e[IP].src, ttl=64, tos=0xc0, id=ip_id, flags=0,
                                          proto=1) / \
        ICMP(type=type_, code=code, nexthopmtu=mtu if (type_, code) == (3, 4) else 0) / Raw(quote)
    ip_id = (ip_id + 1) & 0xFFFF
    return raw(err)


def send(frame, port0=None, port1=None):
    inputs.append(frame if isinstance(frame, bytes) else raw(frame))
    if port0 is not None:
        out0.append(port0)
    if port1 is not None:
        out1.append(port1)


def pad(frame):
    b = raw(frame)
    return b + b"\0" * max(0, 60 - len(b))


dests = ["198.19.5.7", "198.19.5.200", "10.1.2.3", "10.200.0.1", HOST_D]
for n in range(80):
    mac, src = clients[n % len(clients)]
    e = Ether(dst=MAC0, src=mac)
    dst = dests[n % len(dests)]
    kind = n % 8
    if kind == 0:  # UDP, any size that fits, padded when short
        f = pad(e / IP(src=src, dst=dst, ttl=rng.randint(2, 255), id=n, tos=rng.choice([0, 0x10, 0xb8]),
                       flags=rng.choice([0, 2])) / UDP(sport=30000 + n, dport=9) /
                Raw(payload(rng.choice([0, 5, 18, 100, MTU1 - 28]))))
        send(f, port1=forwarded(f))
    elif kind == 1:  # TCP
        f = pad(e / IP(src=src, dst=dst, ttl=rng.randint(2, 255), id=n) /
                TCP(sport=40000 + n, dport=80, flags="PA", seq=n * 1000, ack=7) / Raw(payload(rng.randint(0, 600))))
        send(f, port1=forwarded(f))
    elif kind == 2:  # ping through, and with options (forwarded as they are)
        opts = [IPOption_NOP()] * 4 if n % 16 == 2 else []
        f = pad(e / IP(src=src, dst=dst, ttl=64, id=n, options=opts) / ICMP(id=n, seq=n) / Raw(payload(56)))
        send(f, port1=forwarded(f))
    elif kind == 3:  # TTL 1 (or 0): time exceeded, from the rx port's address
        f = pad(e / IP(src=src, dst=dst, ttl=n % 2, id=n) / UDP(sport=33434, dport=33434 + n) / Raw(payload(32)))
        send(f, port0=icmp_error(f, 11, 0))
    elif kind == 4:  # no route: net unreachable
        f = pad(e / IP(src=src, dst=f"203.0.113.{n}", id=n) / UDP(sport=5000, dport=5001) / Raw(payload(700)))
        send(f, port0=icmp_error(f, 3, 0))
    elif kind == 5:  # past port 1's MTU: DF gets fragmentation needed, no DF is dropped
        size = rng.randint(MTU1 + 1, 1500)
        f = raw(e / IP(src=src, dst=dst, id=n, flags=2) / UDP(sport=5000, dport=5001) / Raw(payload(size - 28)))
        send(f, port0=icmp_error(f, 3, 4, MTU1))
        send(raw(e / IP(src=src, dst=dst, id=n, flags=0) / UDP(sport=5000, dport=5001) / Raw(payload(size - 28))))
    elif kind == 6:  # to the router: ping (either address), UDP, TCP, another protocol, ARP
        which = (n // 8) % 5
        if which == 0:
            us = IP0 if n % 2 else IP1
            req = pad(e / IP(src=src, dst=us, id=n, ttl=50) / ICMP(id=7, seq=n) / Raw(payload(40)))
            r = Ether(req)
            rep = Ether(dst=mac, src=MAC0) / IP(src=us, dst=src, ttl=64, id=n, flags=r[IP].flags) / \
                ICMP(type=0, id=7, seq=n) / Raw(raw(r[ICMP].payload)[:40])
            send(req, port0=raw(rep))
        elif which == 1:
            f = pad(e / IP(src=src, dst=IP0, id=n) / UDP(sport=5000, dport=53) / Raw(payload(20)))
            send(f, port0=icmp_error(f, 3, 3))
        elif which == 2:
            f = pad(e / IP(src=src, dst=IP1, id=n) / TCP(sport=41000, dport=22, flags="S", seq=12345))
            rst = Ether(dst=mac, src=MAC0) / IP(src=IP1, dst=src, ttl=64, id=ip_id, flags=2) / \
                TCP(sport=22, dport=41000, flags="RA", seq=0, ack=12346, window=0)
            ip_id += 1
            send(f, port0=raw(rst))
        elif which == 3:
            f = pad(e / IP(src=src, dst=IP0, id=n, proto=47) / Raw(payload(24)))
            send(f, port0=icmp_error(f, 3, 2))
        else:
            req = Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc=src, pdst=IP0) / Raw(b"\0" * 18)
            rep = Ether(dst=mac, src=MAC0) / ARP(op=2, hwsrc=MAC0, psrc=IP0, hwdst=mac, pdst=src)
            send(req, port0=raw(rep))
    else:  # dropped without a word
        u = e / IP(src=src, dst=dst, id=n) / UDP(sport=1, dport=2) / Raw(b"x" * 30)
        ub = raw(u)
        silent = [
            ub[:24] + bytes([ub[24] ^ 0xFF]) + ub[25:],                     # IP checksum
            ub[:14 + 10],                                                   # truncated
            raw(e / IP(src="127.0.0.1", dst=dst) / UDP()),                  # martian source
            raw(e / IP(src=src, dst="127.0.0.1") / UDP()),                  # martian destination
            raw(e / IP(src=src, dst="224.0.0.5") / UDP()),                  # multicast
            raw(e / IP(src=src, dst="198.18.1.255") / UDP()),               # our subnet's broadcast
            raw(e / IP(src=IP1, dst=dst) / UDP()),                          # claims our address
            raw(Ether(dst="02:00:00:00:00:99", src=mac) / IP(src=src, dst=dst) / UDP()),  # not our MAC
            raw(e / IPv6() / UDP()),
            raw(e / Dot1Q(vlan=5) / IP(src=src, dst=dst) / UDP()),
            raw(e / IP(src=src, dst=dst, ttl=1) / ICMP(type=3, code=1) / Raw(b"q" * 28)),  # no error about errors
            raw(fragment(e / IP(src=src, dst=dst, ttl=1) / UDP() / Raw(b"f" * 200), fragsize=64)[1]),  # later fragment
            raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc=src, pdst="198.18.1.77")),
            bytes(payload(rng.randint(1, 13))),                             # runt
        ]
        send(silent[(n // 8) % len(silent)])

# Plain forwards to next hops mixed at random (gateways B and C, the connected host
# D): groups of four that c10m routes four-wide with a neighbour per frame.
for n in range(96):
    mac, src = clients[n % len(clients)]
    dst = HOST_D if n % 16 == 15 else rng.choice(["198.19.5.9", "198.19.5.77", "10.9.8.7", "10.0.0.1"])
    f = pad(Ether(dst=MAC0, src=mac) / IP(src=src, dst=dst, ttl=rng.randint(2, 255), id=1000 + n) /
            UDP(sport=20000 + n, dport=9) / Raw(payload(rng.choice([18, 60, 200]))))
    send(f, port1=forwarded(f))

wrpcap(sys.argv[1], [Ether(f) if len(f) >= 14 else Raw(f) for f in inputs], linktype=1)
wrpcap(sys.argv[2], [Ether(f) for f in out0], linktype=1)
wrpcap(sys.argv[3], [Ether(f) for f in out1], linktype=1)
print(f"{len(inputs)} frames in; {len(out0)} out of port 0, {len(out1)} out of port 1 (GARPs included)")
print("\n".join(OPTIONS))
