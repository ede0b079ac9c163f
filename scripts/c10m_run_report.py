#!/usr/bin/python3
"""scripts/c10m-run's report: reads both processes' JSON stats (one object per
second, the last one final) and the memory samples, prints the figures and the
goals, and exits 0 when the run held and answered every connection, nothing
failed, and both sides ended empty."""
import argparse
import json
import sys


def lines(path):
    out = []
    with open(path) as f:
        for ln in f:
            ln = ln.strip()
            if ln.startswith("{"):
                try:
                    out.append(json.loads(ln))
                except json.JSONDecodeError:
                    pass
    return out


def ev(sample, name):
    return sum(l["events"].get(name, 0) for l in sample["lcores"])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--conns", type=int, required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--echo", required=True)
    ap.add_argument("--mem", required=True)
    ap.add_argument("--gen-rc", type=int, required=True)
    ap.add_argument("--echo-rc", type=int, required=True)
    a = ap.parse_args()
    n = a.conns
    gen = [s for s in lines(a.gen) if "gen" in s]
    echo = [s for s in lines(a.echo) if "tcp" in s]
    if not gen or not echo:
        print("c10m-run: no stats from the generator or the echo", file=sys.stderr)
        return 1
    gfinal = gen[-1]["gen"]
    efinal = echo[-1]

    # Opening: from the last sample with nothing sent to the first with all open.
    t0 = next((s["t"] for s in gen if s["gen"]["syn_sent"] > 0), None)
    t0_prev = max([s["t"] for s in gen if s["gen"]["syn_sent"] == 0] or [0.0])
    t1 = next((s["t"] for s in gen if s["gen"]["established"] >= n), None)
    peak_cps = 0.0
    for p, c in zip(gen, gen[1:]):
        dt = c["t"] - p["t"]
        if dt > 0:
            peak_cps = max(peak_cps, (c["gen"]["established"] - p["gen"]["established"]) / dt)

    # The echo while it held everything idle: samples with all N open and no
    # segment in between.
    shares, visits = [], []
    for p, c in zip(echo, echo[1:]):
        if p["tcp"]["active"] < n or c["tcp"]["active"] < n:
            continue
        if ev(p, "tcp_seg_in") != ev(c, "tcp_seg_in"):
            continue
        dt = c["t"] - p["t"]
        hz = c.get("tsc_hz") or 0
        if dt <= 0 or not hz:
            continue
        busy = sum(l["busy_cycles"] for l in c["lcores"]) - sum(l["busy_cycles"] for l in p["lcores"])
        shares.append(busy / (dt * hz))
        visits.append((c["tcp"]["timer_visits"] - p["tcp"]["timer_visits"]) / dt)
    shares.sort()
    visits.sort()
    peak_active = max(s["tcp"]["active"] for s in echo)
    tcp = efinal["tcp"]

    mem = {"gen": [0, 0], "echo": [0, 0]}
    with open(a.mem) as f:
        for ln in f:
            w = ln.split()
            if len(w) < 7:
                continue
            for name, i in (("gen", 2), ("echo", 5)):
                mem[name][0] = max(mem[name][0], int(w[i]))
                mem[name][1] = max(mem[name][1], int(w[i + 1]))

    ok = True

    def goal(text, met):
        print(f"  goal: {text}: {'met' if met else 'NOT met'}")

    print(f"== C10M run: {n:,} connections (c10m echo <- memif -> c10m tcp-gen, one core each)")
    if t0 is not None and t1 is not None:
        span = t1 - t0_prev
        print(f"  established: all {n:,} within {span:.1f} s of the first SYN (first SYN after "
              f"t={t0_prev:.1f} s, all open by t={t1:.1f} s), {n / span:,.0f}/s on average, peak "
              f"{peak_cps:,.0f}/s between two stats samples")
    else:
        print(f"  established: {gfinal['established']:,} of {n:,} (never all)")
        ok = False
    print(f"  held at once: generator {gfinal['peak_concurrent']:,}, echo {peak_active:,}")
    print(f"  sweep: {gfinal['sweep_ok']:,} answered, {gfinal['sweep_failed']:,} failed, "
          f"{gfinal['mismatched_bytes']} bytes differed; latency p50/p99/p99.9 "
          f"{gfinal['p50_us']}/{gfinal['p99_us']}/{gfinal['p999_us']} us")
    print(f"  failed: {gfinal['failed_total']} {gfinal['failed']}; retransmissions "
          f"{gfinal['retransmits']:,}; closed {gfinal['closed']:,}")
    per_echo = tcp["table_bytes"] / n
    print(f"  echo: {tcp['bytes_per_flow']} B per connection (a {tcp['record_bytes']}-byte record, "
          f"2 hash slots, a free-list entry); its whole table {tcp['table_bytes'] / 2**20:,.0f} MB "
          f"for {tcp['max_flows']:,} flows = {per_echo:.1f} B per held connection (hash slots are "
          f"a power of two)")
    print(f"  tcp-gen: {gfinal['bytes_per_conn']} B per connection ({gfinal['state_bytes'] / 2**20:,.0f} MB)")
    for name in ("echo", "gen"):
        rss, huge = mem[name]
        print(f"  memory, {name}: hugepages mapped {huge / 1024:,.0f} MB, RSS {rss / 1024:,.0f} MB (peak)")
    if shares:
        print(f"  echo holding {n:,} idle: busy {100 * shares[len(shares) // 2]:.2f}% of its core "
              f"(median of {len(shares)} idle seconds; max {100 * shares[-1]:.2f}%), "
              f"{visits[len(visits) // 2]:,.0f} timer visits/s")
    else:
        print("  echo holding: no idle second with everything open (hold longer)")
    in_use = sum(p["in_use"] - p["baseline"] for p in efinal["mempools"])
    print(f"  after the close: echo {tcp['active']} connections open, {tcp['held']} segments held, "
          f"{in_use} mbufs in use beyond the ports'; exit status echo {a.echo_rc}, tcp-gen {a.gen_rc}")

    all_held = gfinal["peak_concurrent"] == n and peak_active == n
    all_answered = gfinal["sweep_ok"] == n
    goal(f"{n:,} held and every one answering", all_held and all_answered)
    goal(f"echo <= 148 B per connection ({tcp['bytes_per_flow']})", tcp["bytes_per_flow"] <= 148)
    goal(f"tcp-gen <= 64 B per connection ({gfinal['bytes_per_conn']})", gfinal["bytes_per_conn"] <= 64)
    goal(f">= 1M connections/s per echo core (peak {peak_cps:,.0f}/s)", peak_cps >= 1e6)
    if shares:
        goal(f"holding costs < 5% of a core ({100 * shares[len(shares) // 2]:.2f}%)",
             shares[len(shares) // 2] < 0.05)
    ok = ok and all_held and all_answered and gfinal["failed_total"] == 0 and \
        gfinal["mismatched_bytes"] == 0 and tcp["active"] == 0 and in_use == 0 and \
        a.gen_rc == 0 and a.echo_rc == 0
    print(f"c10m-run: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
