#!/usr/bin/python3
"""Golden files for --forward-mode=echo. Writes a pcap of mixed good and bad traffic
to c10m's net_pcap port and, from an independent model of the echo host built with
scapy, the pcap of the replies c10m must send (its gratuitous ARP first).

usage: echo_model.py IN.pcap EXPECTED.pcap
"""
import logging
import random
import sys

from scapy.all import (ARP, ICMP, IP, UDP, Dot1Q, Ether, IPv6, IPOption_NOP, Raw, fragment, raw,  # noqa
                       wrpcap)

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # runts are written as raw records on purpose
OUR_MAC = "02:70:63:61:70:00"  # net_pcap's first port (DPDK 22.11 numbers them 02:70:63:61:70:<n>)
OUR_IP = "198.18.0.1"
BCAST = "198.18.0.255"
ECHO_PORTS = {7, 5001}
rng = random.Random(792)
clients = [(f"02:00:00:00:01:{i:02x}", f"198.18.0.{10 + i}") for i in range(5)]


def payload(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def garp():
    return raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=OUR_MAC) /
               ARP(op=1, hwsrc=OUR_MAC, psrc=OUR_IP, hwdst="00:00:00:00:00:00", pdst=OUR_IP))


def reply_ip(req, proto_layer, **kw):
    ip = req[IP]
    return Ether(dst=req[Ether].src, src=OUR_MAC) / IP(src=OUR_IP, dst=ip.src, ttl=64, id=ip.id, flags=ip.flags,
                                                        tos=ip.tos, **kw) / proto_layer


inputs, expected = [], [garp()]


def good(frame, reply):
    inputs.append(raw(frame))
    if reply is not None:
        expected.append(raw(reply))


def bad(frame):
    inputs.append(frame if isinstance(frame, bytes) else raw(frame))


for n in range(60):
    mac, ip = clients[n % len(clients)]
    kind = n % 6
    if kind == 0:  # ARP request for us (broadcast, padded like a NIC would)
        req = Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc=ip, pdst=OUR_IP) / Raw(b"\0" * 18)
        rep = Ether(dst=mac, src=OUR_MAC) / ARP(op=2, hwsrc=OUR_MAC, psrc=OUR_IP, hwdst=mac, pdst=ip)
        good(req, rep)
    elif kind == 1:  # ping of some size; every third with code 9 (as OS fingerprinting
        # probes send it), which Linux answers with the code kept
        data = payload(rng.choice([0, 8, 56, 300, 1472]))
        code = 9 if n % 3 == 0 else 0
        req = Ether(dst=OUR_MAC, src=mac) / IP(src=ip, dst=OUR_IP, ttl=rng.randint(1, 255), id=n) / \
            ICMP(type=8, code=code, id=0x1000 + n, seq=n) / Raw(data)
        good(req, reply_ip(req, ICMP(type=0, code=code, id=0x1000 + n, seq=n) / Raw(data), proto=1))
    elif kind in (2, 3):  # UDP echo, with and without a checksum
        data = payload(rng.randint(0, 1472))
        dport = 7 if kind == 2 else 5001
        req = Ether(dst=OUR_MAC, src=mac) / IP(src=ip, dst=OUR_IP, id=n) / UDP(sport=30000 + n, dport=dport) / Raw(data)
        if n % 4 == 0:
            req[UDP].chksum = 0
        req = Ether(raw(req))
        u = UDP(sport=dport, dport=30000 + n, chksum=req[UDP].chksum) / Raw(data)
        good(req, reply_ip(req, u, proto=17))
    elif kind == 4:  # closed port: ICMP port unreachable quoting the datagram
        req = Ether(dst=OUR_MAC, src=mac) / IP(src=ip, dst=OUR_IP, id=n) / UDP(sport=30000 + n, dport=9) / Raw(payload(64))
        req = Ether(raw(req))
        quote = raw(req[IP])[:28]
        rep = Ether(dst=mac, src=OUR_MAC) / IP(src=OUR_IP, dst=ip, ttl=64, id=0, flags=0, proto=1) / \
            ICMP(type=3, code=3) / Raw(quote)
        expected.append(raw(rep))
        inputs.append(raw(req))
    else:  # ARP reply to us: learned, not answered
        good(Ether(dst=OUR_MAC, src=mac) / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=OUR_MAC, pdst=OUR_IP), None)

    # and one bad frame after each good one, never answered
    e = Ether(dst=OUR_MAC, src=mac)
    u = raw(e / IP(src=ip, dst=OUR_IP) / UDP(sport=40000, dport=7) / Raw(b"x" * 30))
    badies = [
        u[:14 + 10],                                                   # truncated IP header
        u[:24] + bytes([u[24] ^ 0xFF]) + u[25:],                       # IP checksum
        u[:40] + bytes([u[40] ^ 0x01]) + u[41:],                       # UDP checksum
        raw(e / IP(src=ip, dst=OUR_IP, options=[IPOption_NOP()] * 4) / ICMP() / Raw(b"o" * 8)),
        raw(fragment(e / IP(src=ip, dst=OUR_IP) / UDP(sport=40000, dport=7) / Raw(b"f" * 200), fragsize=64)[0]),
        raw(e / IP(src="127.0.0.1", dst=OUR_IP) / ICMP()),
        raw(e / IP(src=ip, dst=BCAST) / ICMP()),
        raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / IP(src=ip, dst=OUR_IP) / ICMP()),
        raw(e / IP(src=ip, dst="198.18.0.99") / ICMP()),
        raw(e / IP(src=ip, dst=OUR_IP, ttl=0) / ICMP()),
        raw(e / Dot1Q(vlan=3) / IP(src=ip, dst=OUR_IP) / ICMP()),
        raw(e / IPv6() / UDP()),
        raw(e / IP(src=ip, dst=OUR_IP) / UDP(sport=19, dport=7) / Raw(b"c" * 20)),
        raw(e / IP(src=ip, dst=OUR_IP) / UDP(sport=40000, dport=9) / Raw(b"a")),   # would amplify
        raw(e / IP(src=ip, dst=OUR_IP) / ICMP(type=13)),
        bytes(payload(rng.randint(1, 13))),                            # runt
        raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc=ip, pdst="198.18.0.200")),
    ]
    bad(badies[n % len(badies)])

wrpcap(sys.argv[1], [Ether(f) if len(f) >= 14 else Raw(f) for f in inputs], linktype=1)
wrpcap(sys.argv[2], [Ether(f) for f in expected], linktype=1)
print(f"{len(inputs)} frames in, {len(expected)} replies expected (GARP included)")
