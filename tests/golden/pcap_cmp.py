#!/usr/bin/python3
"""Compare the packet bytes of two pcap files, in order, ignoring timestamps (stdlib only).

usage: pcap_cmp.py [options] EXPECTED.pcap ACTUAL.pcap
       pcap_cmp.py --count [--drop-shorter N] FILE.pcap
                                              print the number of packets (of >= N bytes)

Reads classic pcap in either byte order with microsecond (a1b2c3d4) or nanosecond
(a1b23c4d) timestamps -- net_pcap's tx_pcap writes nanosecond files. Only the
captured bytes of each packet are compared; the first difference is reported
(packet index, byte offset, both values) and the exit status is 1. Exit 0 if equal,
2 on a malformed file.

Options that turn EXPECTED into what a forwarder should have sent before comparing:
  --drop-shorter N   leave out EXPECTED packets shorter than N bytes (c10m's runt drop)
  --macswap          swap destination and source MAC of every EXPECTED packet
  --set-mac DST,SRC  overwrite destination and source MAC of every EXPECTED packet
                     (testpmd's "mac" mode)
"""

import argparse
import struct
import sys

MAGICS = {
    0xA1B2C3D4: "us",
    0xA1B23C4D: "ns",
}


class PcapError(Exception):
    pass


def read_pcap(path):
    """Returns (info, [packet bytes]); info = (endian, resolution, linktype, snaplen)."""
    with open(path, "rb") as fp:
        data = fp.read()
    if len(data) < 24:
        raise PcapError("%s: %d bytes, too short for a pcap header" % (path, len(data)))
    for endian in ("<", ">"):
        (magic,) = struct.unpack(endian + "I", data[:4])
        if magic in MAGICS:
            break
    else:
        raise PcapError("%s: not a pcap file (magic %s)" % (path, data[:4].hex()))
    _, vmaj, vmin, _, _, snaplen, linktype = struct.unpack(endian + "IHHiIII", data[:24])
    if (vmaj, vmin) != (2, 4):
        raise PcapError("%s: pcap version %d.%d, expected 2.4" % (path, vmaj, vmin))
    pkts = []
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            raise PcapError("%s: truncated record header at byte %d (packet %d)" % (path, off, len(pkts)))
        _, _, caplen, wirelen = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if off + caplen > len(data):
            raise PcapError("%s: packet %d truncated (caplen %d, %d bytes left)" % (path, len(pkts), caplen,
                                                                                  len(data) - off))
        if caplen != wirelen:
            raise PcapError("%s: packet %d was cut by the capture (caplen %d < len %d)" % (path, len(pkts), caplen,
                                                                                          wirelen))
        pkts.append(data[off:off + caplen])
        off += caplen
    return (endian, MAGICS[magic], linktype, snaplen), pkts


def macswap(p):
    return p[6:12] + p[0:6] + p[12:]


def parse_mac(text):
    b = bytes(int(x, 16) for x in text.split(":"))
    if len(b) != 6:
        raise ValueError("bad MAC %r" % text)
    return b


def first_difference(exp, act):
    """None if equal, else a description of the first difference."""
    for i, (a, b) in enumerate(zip(exp, act)):
        if a == b:
            continue
        if len(a) != len(b):
            n = min(len(a), len(b))
            j = next((k for k in range(n) if a[k] != b[k]), n)
            return "packet %d: length %d expected, %d got (bytes equal up to offset %d)" % (i, len(a), len(b), j)
        j = next(k for k in range(len(a)) if a[k] != b[k])
        lo = j - j % 16
        return ("packet %d (%d bytes): first difference at byte %d: expected 0x%02x, got 0x%02x\n"
                "  expected[%d:%d] %s\n  got     [%d:%d] %s" % (i, len(a), j, a[j], b[j], lo, lo + 16,
                                                               a[lo:lo + 16].hex(" "), lo, lo + 16,
                                                               b[lo:lo + 16].hex(" ")))
    if len(exp) != len(act):
        return "packet count: %d expected, %d got (the first %d are equal)" % (len(exp), len(act),
                                                                           min(len(exp), len(act)))
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", action="store_true", help="print the packet count of one file")
    ap.add_argument("--drop-shorter", type=int, default=0, metavar="N")
    ap.add_argument("--macswap", action="store_true")
    ap.add_argument("--set-mac", metavar="DST,SRC")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    try:
        if a.count:
            if len(a.files) != 1:
                ap.error("--count takes one file")
            print(sum(1 for p in read_pcap(a.files[0])[1] if len(p) >= a.drop_shorter))
            return 0
        if len(a.files) != 2:
            ap.error("expected two files")
        (einfo, exp), (ainfo, act) = read_pcap(a.files[0]), read_pcap(a.files[1])
    except (OSError, PcapError) as e:
        print("pcap_cmp: %s" % e, file=sys.stderr)
        return 2
    if einfo[2] != ainfo[2]:
        print("pcap_cmp: link types differ: %d vs %d" % (einfo[2], ainfo[2]))
        return 1
    if a.drop_shorter:
        exp = [p for p in exp if len(p) >= a.drop_shorter]
    if a.macswap:
        exp = [macswap(p) for p in exp]
    if a.set_mac:
        try:
            dst, src = (parse_mac(m) for m in a.set_mac.split(","))
        except ValueError:
            ap.error("--set-mac: expected DST,SRC as xx:xx:xx:xx:xx:xx,xx:xx:xx:xx:xx:xx")
        exp = [dst + src + p[12:] for p in exp]
    diff = first_difference(exp, act)
    if diff:
        print("%s vs %s: %s" % (a.files[0], a.files[1], diff))
        return 1
    print("%s == %s: %d packets, %d bytes (%s vs %s timestamps)" % (a.files[0], a.files[1], len(act),
                                                                    sum(map(len, act)), einfo[1], ainfo[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
