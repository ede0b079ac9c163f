#!/usr/bin/python3
"""A battery of malformed and hostile frames for c10m's echo mode, sent with scapy
from the client's interface. Each case is sent K times; prints one JSON object
mapping each c10m drop reason to how many frames of this battery must land there
(plus "garbage": frames of random bytes, which must all be counted somewhere)."""
import json
import random
import socket
import sys
import time

from scapy.all import ARP, ICMP, IP, UDP, Dot1Q, Ether, IPv6, IPOption_NOP, Raw, fragment, raw  # noqa

iface, srv_mac, srv_ip, cli_ip, k = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
rng = random.Random(4987)
cli_mac = open(f"/sys/class/net/{iface}/address").read().strip()
E = Ether(dst=srv_mac, src=cli_mac)
BCAST_IP = srv_ip.rsplit(".", 1)[0] + ".255"
OTHER_IP = srv_ip.rsplit(".", 1)[0] + ".77"


def fix(pkt):
    """Bytes of a scapy packet with its checksums and lengths computed."""
    return raw(pkt)


def patch(b, off, val):
    b = bytearray(b)
    b[off:off + len(val)] = val
    return bytes(b)


good_udp = fix(E / IP(src=cli_ip, dst=srv_ip) / UDP(sport=40000, dport=7) / Raw(b"x" * 40))
good_icmp = fix(E / IP(src=cli_ip, dst=srv_ip) / ICMP(id=1, seq=1) / Raw(b"y" * 40))

cases = {
    "ip_truncated": [
        fix(Ether(dst=srv_mac, src=cli_mac, type=0x0800) / Raw(bytes([0x45, 0, 0, 60, 0, 0, 0, 0, 64, 17]))),  # header cut short
        patch(good_udp, 16, (200).to_bytes(2, "big")),                       # total length past the frame
    ],
    "ip_bad_version": [patch(good_udp, 14, bytes([0x65]))],
    "ip_bad_ihl": [patch(good_udp, 14, bytes([0x44]))],
    "ip_bad_checksum": [patch(good_udp, 24, bytes([good_udp[24] ^ 0x55]))],
    "ip_options": [fix(E / IP(src=cli_ip, dst=srv_ip, options=[IPOption_NOP()] * 4) / UDP(sport=40000, dport=7) / Raw(b"o" * 20))],
    "ip_fragment": [fix(f) for f in fragment(E / IP(src=cli_ip, dst=srv_ip, flags=0) / UDP(sport=40000, dport=7) / Raw(b"f" * 1400), fragsize=600)],
    "ip_src_martian": [fix(E / IP(src=s, dst=srv_ip) / ICMP() / Raw(b"m" * 20)) for s in ("127.0.0.1", "0.1.2.3", "224.0.0.5", "255.255.255.255")],
    "ip_src_broadcast": [fix(E / IP(src=BCAST_IP, dst=srv_ip) / ICMP() / Raw(b"b" * 20))],
    "ip_dst_group": [fix(E / IP(src=cli_ip, dst=d) / ICMP() / Raw(b"g" * 20)) for d in (BCAST_IP, "255.255.255.255", "224.0.0.1")],
    "eth_dst_group": [fix(Ether(dst="ff:ff:ff:ff:ff:ff", src=cli_mac) / IP(src=cli_ip, dst=srv_ip) / ICMP() / Raw(b"e" * 20)),
                      fix(Ether(dst="01:00:5e:00:00:01", src=cli_mac) / IP(src=cli_ip, dst=srv_ip) / ICMP() / Raw(b"e" * 20))],
    "eth_src_group": [fix(Ether(dst=srv_mac, src="01:02:03:04:05:06") / IP(src=cli_ip, dst=srv_ip) / ICMP() / Raw(b"s" * 20))],
    "eth_not_ours": [fix(Ether(dst="02:55:55:55:55:55", src=cli_mac) / IP(src=cli_ip, dst=srv_ip) / ICMP() / Raw(b"n" * 20))],
    "ip_not_ours": [fix(E / IP(src=cli_ip, dst=OTHER_IP) / ICMP() / Raw(b"o" * 20))],
    "ip_bad_ttl": [fix(E / IP(src=cli_ip, dst=srv_ip, ttl=0) / ICMP() / Raw(b"t" * 20))],
    "ip_proto_other": [fix(E / IP(src=cli_ip, dst=srv_ip, proto=47) / Raw(b"p" * 30))],
    "udp_bad_checksum": [patch(good_udp, 40, bytes([good_udp[40] ^ 0x0F]))],
    "udp_bad_length": [fix(E / IP(src=cli_ip, dst=srv_ip) / UDP(sport=40000, dport=7, len=20) / Raw(b"l" * 40))],
    "udp_truncated": [fix(E / IP(src=cli_ip, dst=srv_ip, proto=17) / Raw(b"\x9c\x40\x00\x07"))],
    "udp_bad_src_port": [fix(E / IP(src=cli_ip, dst=srv_ip) / UDP(sport=19, dport=7) / Raw(b"c" * 30))],
    "icmp_bad_checksum": [patch(good_icmp, 36, bytes([good_icmp[36] ^ 0x33]))],
    "icmp_truncated": [fix(E / IP(src=cli_ip, dst=srv_ip, proto=1) / Raw(b"\x08\x00\xf7"))],
    "icmp_not_echo": [fix(E / IP(src=cli_ip, dst=srv_ip) / ICMP(type=13) / Raw(b"z" * 12))],
    "unreach_would_amplify": [fix(E / IP(src=cli_ip, dst=srv_ip) / UDP(sport=40000, dport=9) / Raw(b"q" * 2))],
    "vlan": [fix(E / Dot1Q(vlan=5) / IP(src=cli_ip, dst=srv_ip) / ICMP() / Raw(b"v" * 20))],
    "ipv6": [fix(E / IPv6(src="fe80::1", dst="fe80::2") / UDP(sport=40000, dport=7) / Raw(b"6" * 20))],
    "ethertype_other": [fix(E)[0:12] + bytes.fromhex("88cc") + b"\x00" * 50],
    "arp_malformed": [fix(Ether(dst="ff:ff:ff:ff:ff:ff", src=cli_mac) / ARP(op=1, hwtype=6, psrc=cli_ip, pdst=srv_ip)),
                      fix(Ether(dst="ff:ff:ff:ff:ff:ff", src=cli_mac) / ARP(op=7, psrc=cli_ip, pdst=srv_ip))],
    "arp_not_ours": [fix(Ether(dst="ff:ff:ff:ff:ff:ff", src=cli_mac) / ARP(op=1, psrc=cli_ip, pdst=OTHER_IP))],
}

expected = {}
frames = []
for reason, pkts in cases.items():
    expected[reason] = len(pkts) * k
    frames += pkts * k
garbage = []
for _ in range(20 * k):
    n = rng.randint(14, 1514)
    b = bytearray(rng.getrandbits(8) for _ in range(n))
    b[0:6] = bytes.fromhex(srv_mac.replace(":", ""))  # to us, so they get looked at
    garbage.append(bytes(b))
expected["garbage"] = len(garbage)
frames += garbage
rng.shuffle(frames)
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((iface, 0))
for i, f in enumerate(frames):  # raw bytes, exactly as built; paced so no ring overflows
    sock.send(f)
    if i % 32 == 31:
        time.sleep(0.002)
print(json.dumps(expected))
