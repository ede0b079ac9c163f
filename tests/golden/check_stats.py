#!/usr/bin/python3
"""Check c10m's --stats-format json output against expected counts (stdlib only).

usage: check_stats.py STDOUT_FILE --mode M --rx N0,N1,... --tx N0,N1,... [--runt N]

STDOUT_FILE holds one JSON object per line; the last must be the final one
("final": true). Checked there: the mode; per port (in order), rx and tx packet
counts and that every port drop counter is 0; summed over lcores, drops "runt" ==
--runt (default 0) and every other drop reason 0; every mempool's in_use == 0.
Prints one line per failed check; exit 0 if all pass, 1 otherwise.
"""

import argparse
import json
import sys


def counts(text):
    return [int(x) for x in text.split(",")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stdout")
    ap.add_argument("--mode", required=True)
    ap.add_argument("--rx", type=counts, required=True)
    ap.add_argument("--tx", type=counts, required=True)
    ap.add_argument("--runt", type=int, default=0)
    a = ap.parse_args()

    objs = []
    with open(a.stdout) as fp:
        for n, line in enumerate(fp, 1):
            line = line.strip()
            if not line:
                continue
            try:
                objs.append(json.loads(line))
            except json.JSONDecodeError as e:
                print("line %d is not JSON (%s): %.120s" % (n, e, line))
                return 1
    if not objs:
        print("no JSON lines in %s" % a.stdout)
        return 1
    final = objs[-1]
    errors = []
    if final.get("final") is not True:
        errors.append("last JSON line is not the final one (\"final\": %r)" % final.get("final"))
    if sum(1 for o in objs if o.get("final")) != 1:
        errors.append("%d final lines, expected 1" % sum(1 for o in objs if o.get("final")))
    if final.get("mode") != a.mode:
        errors.append("mode %r, expected %r" % (final.get("mode"), a.mode))

    ports = final.get("ports", [])
    if len(ports) != len(a.rx) or len(ports) != len(a.tx):
        errors.append("%d ports, expected %d" % (len(ports), len(a.rx)))
    for i, p in enumerate(ports[:len(a.rx)]):
        if p.get("port") != i:
            errors.append("ports[%d] is port %r" % (i, p.get("port")))
        if p.get("rx") != a.rx[i]:
            errors.append("port %d rx %r, expected %d" % (i, p.get("rx"), a.rx[i]))
        if p.get("tx") != a.tx[i]:
            errors.append("port %d tx %r, expected %d" % (i, p.get("tx"), a.tx[i]))
        for k, v in sorted(p.get("drops", {}).items()):
            if v != 0:
                errors.append("port %d drops %s = %r, expected 0" % (i, k, v))

    lcores = final.get("lcores", [])
    if not lcores:
        errors.append("no lcores in the final sample")
    drops = {}
    for lc in lcores:
        for k, v in lc.get("drops", {}).items():
            drops[k] = drops.get(k, 0) + v
    if "runt" not in drops:
        errors.append("no \"runt\" drop counter in the lcores' drops")
    for k, v in sorted(drops.items()):
        want = a.runt if k == "runt" else 0
        if v != want:
            errors.append("lcore drops %s = %d, expected %d" % (k, v, want))
    # Run to completion: every lcore handles what it receives. Pipeline mode: the rx
    # lcores receive everything and the workers handle everything (no ring drops).
    roles = {lc.get("role", "forward") for lc in lcores}
    for role in sorted(roles):
        handled = sum(lc.get("pkts", 0) for lc in lcores if lc.get("role", "forward") == role)
        if handled != sum(a.rx):
            errors.append("%s lcores handled %d packets, expected %d (all received)"
                          % (role, handled, sum(a.rx)))
    for r in final.get("rings", []):
        if r["enqueued"] != r["dequeued"] or r["ring_full"]:
            errors.append("ring %s: enqueued %d, dequeued %d, ring_full %d"
                          % (r["name"], r["enqueued"], r["dequeued"], r["ring_full"]))

    pools = final.get("mempools", [])
    if not pools:
        errors.append("no mempools in the final sample")
    for m in pools:
        if m.get("in_use") != 0:
            errors.append("mempool %s in_use %r, expected 0" % (m.get("name"), m.get("in_use")))

    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
