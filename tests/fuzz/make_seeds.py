#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/): a few
inputs each that reach the interesting paths at once. Run from anywhere; the seeds
are committed, so this is only needed to change them."""
import os
import struct
import sys

from scapy.all import ARP, ICMP, IP, IPv6, TCP, UDP, Ether, Raw, raw

HERE = os.path.dirname(os.path.abspath(__file__))
OUR_MAC, PEER_MAC = "02:c1:0a:00:00:01", "02:00:00:00:00:02"
OUR_IP, PEER_IP = "198.18.0.1", "198.18.0.2"


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


e = Ether(dst=OUR_MAC, src=PEER_MAC)
frames = {
    "arp": Ether(dst="ff:ff:ff:ff:ff:ff", src=PEER_MAC) / ARP(op=1, hwsrc=PEER_MAC, psrc=PEER_IP, pdst=OUR_IP),
    "ping": e / IP(src=PEER_IP, dst=OUR_IP) / ICMP(type=8, code=9, id=1, seq=1) / Raw(b"ping"),
    "udp": e / IP(src=PEER_IP, dst=OUR_IP) / UDP(sport=40000, dport=7) / Raw(b"hello"),
    "udp_closed": e / IP(src=PEER_IP, dst=OUR_IP) / UDP(sport=40000, dport=9) / Raw(b"x" * 60),
    "tcp_syn": e / IP(src=PEER_IP, dst=OUR_IP) / TCP(sport=40000, dport=7, flags="S"),
    "ipv6": e / IPv6() / UDP(),
    "frag": e / IP(src=PEER_IP, dst=OUR_IP, flags="MF") / UDP(sport=40000, dport=7) / Raw(b"f" * 20),
}
for name, f in frames.items():
    for mode in (0, 4):  # checksums unknown; rx flags say good for both
        put("echo_frame", f"{name}_{mode}", bytes([mode]) + raw(f))

put("config", "args", b"\x01--forward-mode\0echo\0--ip\0198.18.0.1/24\0--tcp-port\07\0--pipeline")
put("config", "ini", b"\x00forward-mode = echo\nip = 0:198.18.0.1/24\n# c\nstats-period = 0.5\niface-force = yes\n")
put("config", "queues", b"\x02(0,0,1),(0,1,2),(1,0,1)")


def seg(port_idx, kind, *fields):
    return bytes([1 | (port_idx << 6), kind]) + bytes(fields)


# handshake (SYN with MSS 1460 and window scale 7, then the ACK), data, the peer's
# ACK, a FIN, a clock step; then the same with a hole and a zero window.
syn = seg(0, 0, 0) + struct.pack("!I", 1000) + bytes([3, 5, 0xB4, 7, 0x41])
hs = seg(0, 1, 0x00, 0x41)
data = seg(0, 2 | 0x10, 0x08, 0, 0, 0, 50, 0x61)
ack = seg(0, 2, 0x10, 0, 0, 0, 0x00)
fin = seg(0, 2, 0x01, 0, 0, 0, 0x00)
tick = bytes([0, 200])
put("tcp", "handshake_data_fin", syn + hs + data + ack + fin + tick)
hole = seg(0, 2 | 0x10, 0x08, 0, 100, 0, 50, 0x62)
zero = seg(0, 2 | 0x08, 0x10, 0, 0, 0, 0x00)
put("tcp", "hole_zero_window", syn + hs + hole + zero + data + tick + tick)
put("tcp", "two_conns_rst", syn + hs + seg(1, 0, 0) + struct.pack("!I", 5000) + bytes([0, 0x41]) +
    seg(1, 1, 0, 0x41) + seg(0, 2, 0x04, 0, 3, 0, 0x00) + tick)

# l3fwd: steps of [op][length, 2 bytes][frame]; op bit 0 the port, bit 2 the rx
# checksum flags say good, bit 3 the frame comes four times, bit 4 the port's burst
# ends with it; op 3 = time passes (length * 10 ms).
R0, R1 = "02:c1:00:00:00:10", "02:c1:00:00:00:11"
A_MAC, A_IP = "02:00:00:00:0a:02", "198.18.1.2"


def step(op, frame=b"", n=None):
    b = raw(frame) if not isinstance(frame, bytes) else frame
    return bytes([op]) + struct.pack("!H", len(b) if n is None else n) + b


ea = Ether(dst=R0, src=A_MAC)
l3 = {
    "forward": step(0, ea / IP(src=A_IP, dst="198.19.5.9") / UDP(sport=1, dport=2) / Raw(b"x" * 30)),
    "resolve": step(0, ea / IP(src=A_IP, dst="198.19.1.7") / UDP() / Raw(b"y" * 10)) +
    step(1, Ether(dst=R1, src="02:00:00:00:0b:07") / ARP(op=2, hwsrc="02:00:00:00:0b:07", psrc="198.19.1.7",
                                                         pdst="198.19.1.1")),
    "unresolved": step(0, ea / IP(src=A_IP, dst="198.19.1.8") / UDP()) + step(3, n=120) + step(3, n=120),
    "errors": step(0, ea / IP(src=A_IP, dst="198.19.5.9", ttl=1) / UDP()) +
    step(0, ea / IP(src=A_IP, dst="198.19.5.9", flags="DF") / UDP() / Raw(b"z" * 1450)),
    "four_wide": step(8, ea / IP(src=A_IP, dst="198.19.5.9") / UDP(sport=1, dport=2) / Raw(b"x" * 30)) +
    step(8, ea / IP(src=A_IP, dst="198.19.5.10") / UDP(sport=3, dport=4) / Raw(b"w" * 300)) +
    step(8, ea / IP(src=A_IP, dst="198.19.5.11", ttl=2) / TCP(sport=5, dport=6)) +
    step(8 | 16, ea / IP(src=A_IP, dst="198.19.5.12") / UDP(sport=7, dport=8) / Raw(b"v" * 1372)),
    "host": step(0, ea / IP(src=A_IP, dst="198.18.1.1") / ICMP() / Raw(b"p" * 8)) +
    step(4, ea / IP(src=A_IP, dst="198.18.1.1") / TCP(sport=5, dport=22, flags="S")) +
    step(0, Ether(dst="ff:ff:ff:ff:ff:ff", src=A_MAC) / ARP(op=1, hwsrc=A_MAC, psrc=A_IP, pdst="198.18.1.1")),
}
for name, data in l3.items():
    put("l3fwd", name, data)
print("seeds written", file=sys.stderr)
