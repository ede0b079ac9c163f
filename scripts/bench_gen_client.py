#!/usr/bin/python3
"""scripts/bench-tcp with --client tcp-gen: turns c10m tcp-gen's JSON stats (one
object per --stats-period, the last one final) into the one-line JSON result that
scripts/kecho/tcp_load prints for the same phase, so bench_tcp_report.py reads both.

  pp   transactions during the hold (unpaced: --gen-txn-rate far above what any
       server does), per second of hold
  lat  the same at a paced rate: latency from when each transaction was due and from
       when it was sent (p50/p99/p99.9)
  cps  connections opened, used once (the sweep) and closed, per second from the
       first SYN to the last close

usage: bench_gen_client.py PHASE GEN_JSON RATE CONNS
"""
import json
import sys


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    phase, path, rate, conns = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    samples = []
    with open(path) as f:
        for ln in f:
            if ln.startswith("{"):
                try:
                    s = json.loads(ln)
                except json.JSONDecodeError:
                    continue
                if "gen" in s:
                    samples.append(s)
    if not samples:
        print(json.dumps({"mode": phase, "error": "no stats from tcp-gen"}))
        return 1
    g = samples[-1]["gen"]
    base = {"server": "198.18.0.1", "port": 7, "msg": 64, "client": "tcp-gen",
            "failed_total_gen": g["failed_total"], "failed_by_reason": g["failed"],
            "bad": g["mismatched_bytes"], "errors": g["failed_total"]}

    def t_of(pred):
        return next((s["t"] for s in samples if pred(s["gen"])), None)

    if phase in ("pp", "lat"):
        # The hold: from the first sample in it to the first one past it.
        t0 = t_of(lambda x: x["phase"] == "holding")
        t1 = t_of(lambda x: x["phase"] in ("sweeping", "closing", "done") and x["txns"] > 0)
        secs = (t1 - t0) if t0 is not None and t1 is not None and t1 > t0 else None
        r = dict(base, mode="pingpong", conns=conns, connected=g["peak_concurrent"],
                 rate=rate if phase == "lat" else 0, seconds=secs, tx_total=g["txns"],
                 tx_per_s=(g["txns"] / secs) if secs else None,
                 count=g["txns"], late_sends=0,
                 p50_us=g["p50_us"] if phase == "lat" else g["sent_p50_us"],
                 p99_us=g["p99_us"] if phase == "lat" else g["sent_p99_us"],
                 p999_us=g["p999_us"] if phase == "lat" else g["sent_p999_us"],
                 svc_p50_us=g["sent_p50_us"], svc_p99_us=g["sent_p99_us"],
                 svc_p999_us=g["sent_p999_us"])
    else:
        t0 = max([s["t"] for s in samples if s["gen"]["syn_sent"] == 0] or [samples[0]["t"]])
        t1 = t_of(lambda x: x["phase"] == "done")
        secs = (t1 - t0) if t1 is not None and t1 > t0 else None
        r = dict(base, mode="cps", inflight=512, seconds=secs, conns=g["closed"],
                 conns_total=g["closed"], conns_per_s=(g["closed"] / secs) if secs else None,
                 failed=g["failed_total"], p50_us=g["sent_p50_us"], p99_us=g["sent_p99_us"])
    print(json.dumps(r))
    return 0 if g["failed_total"] == 0 and g["mismatched_bytes"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
