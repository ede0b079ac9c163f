#!/usr/bin/env python3
"""Parse what scripts/bench-tcp left in its run directory; print the TCP echo
benchmark's table (markdown), the exact commands and the notes.

usage: bench_tcp_report.py RUN_DIR [--json]
       bench_tcp_report.py --one RUN_DIR TAG      (one run's figures, for progress lines)

RUN_DIR:
  runs.tsv            server phase tag client_rc server_rc quiet [hold: client_procs server_procs]
  TAG.cli.json        tcp_load's JSON line (hold: TAG.cli1.json, TAG.cli2.json, ...)
  TAG.srv.out         the server's stdout (c10m: --stats-format json lines)
  TAG.pre / .post     KEY=VALUE samples around the client (hold: .post while the
                      connections are held, .end after they are gone), .slabinfo copies
  meta.env, commands.txt
Writes RUN_DIR/summary-tcp.json. Standard library only; c10m's stats lines are read
with scripts/bench_report.py's reader.
"""

import glob
import json
import math
import os
import sys

sys.path.insert(0, os.environ.get("BENCH_HERE", os.path.dirname(os.path.abspath(__file__))))
import bench_report as br  # noqa: E402  (read_meta, fmt)

SERVERS = ["c10m-pkt", "c10m-xdp", "kernel-epoll", "kernel-uring"]
LABEL = {
    "c10m-pkt": "c10m AF_PACKET",
    "c10m-xdp": "c10m AF_XDP",
    "kernel-epoll": "kernel epoll",
    "kernel-uring": "kernel io_uring",
}
MSG = 64


def read_kv(path):
    kv = {}
    try:
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    kv[k] = v
    except OSError:
        pass
    return kv


def read_json(path):
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    return json.loads(line)
    except (OSError, ValueError):
        pass
    return None


def c10m_lines(path):
    """Every JSON stats line of c10m's stdout, in order (the final one included)."""
    out = []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        out.append(None)
                else:
                    out.append(None)
    except OSError:
        pass
    return out


def c10m_at(lines, nlines):
    """The last complete stats line among the first nlines lines of stdout."""
    for o in reversed(lines[:nlines]):
        if o is not None:
            return o
    return None


def lcore_sum(o, key):
    return sum(lc.get(key, 0) for lc in o["lcores"])


def event_sum(o, key):
    return sum(lc["events"].get(key, 0) for lc in o["lcores"])


def cpu_fields(s):
    # user nice system idle iowait irq softirq steal
    return [int(x) for x in s.split()]


def slabinfo(path):
    caches = {}
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("slabinfo") or line.startswith("#"):
                    continue
                p = line.split()
                if len(p) < 6:
                    continue
                # name active_objs num_objs objsize objperslab pagesperslab : ... : slabdata active_slabs num_slabs
                try:
                    caches[p[0]] = {"active": int(p[1]), "objsize": int(p[3]),
                                    "pages": int(p[-2]) * int(p[5])}
                except (ValueError, IndexError):
                    continue
    except OSError:
        pass
    return caches


def load(d):
    meta = br.read_meta(d)
    hz = float(meta.get("TSC_HZ") or 0) or None
    tck = float(meta.get("CLK_TCK") or 100)
    runs = {}
    with open(os.path.join(d, "runs.tsv")) as f:
        for line in f:
            if not line.strip():
                continue
            p = line.rstrip("\n").split("\t")
            srv, phase, tag, crc, src, quiet = p[:6]
            r = {"server": srv, "phase": phase, "tag": tag, "client_rc": int(crc),
                 "server_rc": int(src), "quiet": int(quiet or 0)}
            if phase == "hold":
                r.update(hold(d, tag, srv, meta))
            else:
                r.update(timed(d, tag, srv, phase, hz, tck))
            runs[(srv, phase)] = r
    return meta, runs


def timed(d, tag, srv, phase, hz, tck):
    r = {"client": read_json(os.path.join(d, tag + ".cli.json"))}
    pre, post = read_kv(os.path.join(d, tag + ".pre")), read_kv(os.path.join(d, tag + ".post"))
    c = r["client"] or {}
    n = c.get("tx_total") if phase != "cps" else c.get("conns_total")
    r["n"] = n
    try:
        dt = (int(post["TS_NS"]) - int(pre["TS_NS"])) / 1e9
        c0a, c0b = cpu_fields(pre["CPU0"]), cpu_fields(post["CPU0"])
        c1a, c1b = cpu_fields(pre["CPU1"]), cpu_fields(post["CPU1"])
        # busy = elapsed - idle - iowait - steal: under NO_HZ idle the idle time is
        # measured, while user/system/softirq are sampled by the tick and miss the
        # short bursts of a lightly loaded CPU
        busy = lambda a, b: dt - sum(b[i] - a[i] for i in (3, 4, 7)) / tck  # noqa: E731
        ticks = lambda a, b: sum(b[i] - a[i] for i in (0, 1, 2, 5, 6)) / tck  # noqa: E731
        r["cpu0_pct"] = 100.0 * busy(c0a, c0b) / dt
        r["cpu1_pct"] = 100.0 * busy(c1a, c1b) / dt
        r["cpu0_busy_s"] = busy(c0a, c0b)
        r["cpu0_tick_busy_s"] = ticks(c0a, c0b)
        r["cpu0_softirq_s"] = (c0b[6] - c0a[6]) / tck
        r["cpu0_irq_s"] = (c0b[5] - c0a[5]) / tck
        r["srv_ticks_s"] = (int(post["SRV_TICKS"]) - int(pre["SRV_TICKS"])) / tck
        r["window_s"] = dt
        r["cpu1_busy_s"] = busy(c1a, c1b)
    except (KeyError, ValueError, IndexError):
        pass
    for side in ("SRV", "CLI"):
        try:
            r["retrans_" + side.lower()] = int(post["RETRANS_" + side]) - int(pre["RETRANS_" + side])
        except (KeyError, ValueError):
            pass
    if srv.startswith("c10m"):
        lines = c10m_lines(os.path.join(d, tag + ".srv.out"))
        a = c10m_at(lines, int(pre.get("SRV_LINES", 0) or 0))
        b = c10m_at(lines, int(post.get("SRV_LINES", 0) or 0))
        if a and b:
            r["busy_cycles"] = lcore_sum(b, "busy_cycles") - lcore_sum(a, "busy_cycles")
            r["pkts"] = lcore_sum(b, "pkts") - lcore_sum(a, "pkts")
            r["echoed_msgs"] = (event_sum(b, "tcp_bytes_echoed") - event_sum(a, "tcp_bytes_echoed")) / MSG
            r["conn_opened"] = event_sum(b, "tcp_conn_opened") - event_sum(a, "tcp_conn_opened")
            r["events"] = {k: event_sum(b, k) - event_sum(a, k) for k in b["lcores"][0]["events"]
                           if k.startswith("tcp") and event_sum(b, k) - event_sum(a, k)}
            r["drops"] = {k: sum(lc["drops"].get(k, 0) for lc in b["lcores"]) -
                          sum(lc["drops"].get(k, 0) for lc in a["lcores"])
                          for k in b["lcores"][0]["drops"]}
            r["drops"] = {k: v for k, v in r["drops"].items() if v}
            r["port_drops"] = {k: sum(p["drops"].get(k, 0) for p in b["ports"]) -
                               sum(p["drops"].get(k, 0) for p in a["ports"]) for k in b["ports"][0]["drops"]}
            r["port_drops"] = {k: v for k, v in r["port_drops"].items() if v}
            if n:
                r["cycles_per"] = r["busy_cycles"] / n
    elif n and hz and "cpu0_busy_s" in r:
        r["cycles_per"] = r["cpu0_busy_s"] * hz / n
        r["cycles_per_formula"] = (r["srv_ticks_s"] + r["cpu0_softirq_s"]) * hz / n
    return r


def hold(d, tag, srv, meta):
    r = {}
    clients = [read_json(p) for p in sorted(glob.glob(os.path.join(d, tag + ".cli*.json")))]
    clients = [c for c in clients if c]
    r["clients"] = len(clients)
    for k in ("conns", "established", "answered", "dropped", "connect_failed", "bad", "errors"):
        r[k] = sum(c.get(k, 0) for c in clients)
    r["connect_s"] = max((c.get("connect_s", 0) for c in clients), default=None)
    pre, post, end = (read_kv(os.path.join(d, tag + x)) for x in (".pre", ".post", ".end"))
    try:
        r["slab_delta"] = (int(post["SLAB_KB"]) - int(pre["SLAB_KB"])) * 1024
        r["sunreclaim_delta"] = (int(post["SUNRECLAIM_KB"]) - int(pre["SUNRECLAIM_KB"])) * 1024
        r["rss_delta"] = (int(post["SRV_RSS_KB"]) - int(pre["SRV_RSS_KB"])) * 1024
        r["slab_after_end"] = (int(end["SLAB_KB"]) - int(pre["SLAB_KB"])) * 1024 if end.get("SLAB_KB") else None
    except (KeyError, ValueError):
        pass
    r["sockstat_pre"] = pre.get("SOCKSTAT_SRV"), pre.get("SOCKSTAT_CLI")
    r["sockstat_post"] = post.get("SOCKSTAT_SRV"), post.get("SOCKSTAT_CLI")
    r["ss_srv"] = post.get("SS_SRV_ESTABLISHED")
    r["ss_acceptq"] = post.get("SS_SRV_ACCEPT_QUEUE")
    r["ss_cli"] = post.get("SS_CLI_ESTABLISHED")
    a, b = slabinfo(os.path.join(d, tag + ".pre.slabinfo")), slabinfo(os.path.join(d, tag + ".post.slabinfo"))
    deltas = []
    for name, cb in b.items():
        ca = a.get(name, {"active": 0, "objsize": cb["objsize"], "pages": 0})
        dobj = cb["active"] - ca["active"]
        if dobj:
            deltas.append((name, dobj, dobj * cb["objsize"], (cb["pages"] - ca["pages"]) * 4096))
    deltas.sort(key=lambda x: -x[2])
    r["slab_caches"] = deltas[:12]
    r["slab_objbytes_delta"] = sum(x[2] for x in deltas)
    if srv.startswith("c10m"):
        lines = c10m_lines(os.path.join(d, tag + ".srv.out"))
        o = c10m_at(lines, int(post.get("SRV_LINES", 0) or 0))
        e = c10m_at(lines, int(end.get("SRV_LINES", 0) or 0))
        o0 = c10m_at(lines, int(pre.get("SRV_LINES", 0) or 0))
        if o:
            t = o["tcp"]
            r["tcp"] = t
            r["active"] = t["active"]
            r["table_per_flow"] = t["table_bytes"] / t["max_flows"]
            r["mbufs_held"] = sum(m["in_use"] - m["baseline"] for m in o["mempools"])
            if o0:
                r["mbufs_held"] = sum(m["in_use"] for m in o["mempools"]) - sum(m["in_use"] for m in o0["mempools"])
        if e:
            r["active_end"] = e["tcp"]["active"]
            r["mbufs_end"] = sum(m["in_use"] - m["baseline"] for m in e["mempools"])
    else:
        try:
            r["active"] = int(r["ss_srv"])
        except (TypeError, ValueError):
            pass
    return r


# ---------------------------------------------------------------- output

def f0(x):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.0f}"


def f1(x):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.1f}"


def one(d, tag):
    meta, runs = load(d)
    for r in runs.values():
        if r["tag"] != tag:
            continue
        if r["phase"] == "hold":
            per = r.get("slab_delta", 0) / max(r.get("established") or 1, 1)
            s = (f"{r.get('established')} of {r.get('conns')} established, {r.get('answered')} answered; "
                 f"server holds {r.get('active')}; slab +{f0(r.get('slab_delta', 0) / 1024)} kB "
                 f"({f0(per)} B/conn, client + server)")
            if "table_per_flow" in r:
                s += f"; c10m {f0(r['table_per_flow'])} B/flow table, mbufs held {r.get('mbufs_held')}"
            return s
        c = r.get("client") or {}
        if not c:
            return "no client result"
        cyc = f", {f0(r.get('cycles_per'))} cycles/{'conn' if r['phase'] == 'cps' else 'tx'}"
        cpu = (f", CPU0/CPU1 busy {f1(r.get('cpu0_busy_s'))}/{f1(r.get('cpu1_busy_s'))} s of "
               f"{f1(r.get('window_s'))} s")
        if r["phase"] == "pp":
            return f"{f0(c.get('tx_per_s'))} tx/s, p50 {f1(c.get('p50_us'))} us{cyc}{cpu}"
        if r["phase"] == "lat":
            return (f"{c.get('rate')} tx/s: p50 {f1(c.get('p50_us'))} p99 {f1(c.get('p99_us'))} "
                    f"p99.9 {f1(c.get('p999_us'))} us ({c.get('count')} timed, {c.get('late_sends')} late; from the send: "
                    f"p50 {f1(c.get('svc_p50_us'))} p99 {f1(c.get('svc_p99_us'))} p99.9 {f1(c.get('svc_p999_us'))} us)"
                    f"{cyc}{cpu}")
        return (f"{f0(c.get('conns_per_s'))} conn/s, {c.get('failed')} failed, p50 {f1(c.get('p50_us'))} us"
                f"{cyc}{cpu}")
    return "no such run"


def ratio(x, y):
    if x is None or y is None or y == 0:
        return "n/a"
    return f"{x / y:.2f}"


def main(argv):
    if len(argv) >= 4 and argv[1] == "--one":
        print(one(argv[2], argv[3]))
        return 0
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    d = argv[1]
    meta, runs = load(d)
    servers = [s for s in SERVERS if any(k[0] == s for k in runs)]
    c10ms = [s for s in servers if s.startswith("c10m")]
    kernels = [s for s in servers if s.startswith("kernel")]
    hz = float(meta.get("TSC_HZ") or 0)

    def cl(s, phase, key):
        r = runs.get((s, phase))
        return (r or {}).get("client", {}) and r["client"].get(key)

    def rv(s, phase, key):
        return (runs.get((s, phase)) or {}).get(key)

    # client-only slab cost: the c10m memory runs (no kernel socket on the server side)
    client_only = [rv(s, "hold", "slab_delta") / rv(s, "hold", "established")
                   for s in c10ms if rv(s, "hold", "slab_delta") is not None and rv(s, "hold", "established")]
    client_per = min(client_only) if client_only else None

    rows = []  # (label, {server: value}, better: "hi"|"lo"|None, formatter)

    def row(label, fn, better, fm=f0):
        vals = {s: fn(s) for s in servers}
        rows.append((label, vals, better, fm))

    conns = meta.get("CONNS", "100")
    rate = meta.get("RATE", "?")
    row(f"(a) ping-pong, {conns} conns, 64 B, unpaced: tx/s", lambda s: cl(s, "pp", "tx_per_s"), "hi")
    row("(a) server retransmissions in the ping-pong run (c10m: tcp_retransmit; kernel: RetransSegs)",
        lambda s: (rv(s, "pp", "events") or {}).get("tcp_retransmit", 0) if s.startswith("c10m") and rv(s, "pp", "events") is not None
        else rv(s, "pp", "retrans_srv"), None)
    row(f"(b) latency at {rate} tx/s ({conns} conns): p50 us", lambda s: cl(s, "lat", "p50_us"), "lo", f1)
    row("(b) p99 us", lambda s: cl(s, "lat", "p99_us"), "lo", f1)
    row("(b) p99.9 us", lambda s: cl(s, "lat", "p999_us"), "lo", f1)
    row("(b) from the moment each request was sent (without the client's lateness): p50 us",
        lambda s: cl(s, "lat", "svc_p50_us"), "lo", f1)
    row("(b) p99 us, from the send", lambda s: cl(s, "lat", "svc_p99_us"), "lo", f1)
    row("(b) p99.9 us, from the send", lambda s: cl(s, "lat", "svc_p999_us"), "lo", f1)
    row("(b) transactions timed (late sends > 100 us)",
        lambda s: (f"{cl(s, 'lat', 'count')} ({cl(s, 'lat', 'late_sends')})" if cl(s, "lat", "count") is not None else None),
        None, lambda x: "n/a" if x is None else x)
    if meta.get("CLIENT") == "tcp-gen":
        cps_label = (f"(c) connections/s: {meta.get('CPS_CONNS', '?')} opened (512 handshakes in flight), "
                     "one 64 B transaction each, closed")
    else:
        cps_label = f"(c) connections/s, {meta.get('INFLIGHT', '?')} in flight"
    row(cps_label, lambda s: cl(s, "cps", "conns_per_s"), "hi")
    row("(c) failed connections", lambda s: cl(s, "cps", "failed"), None)
    row("(d) server cycles per transaction (ping-pong run): c10m busy_cycles; kernel CPU 0 busy",
        lambda s: rv(s, "pp", "cycles_per"), "lo")
    row("(d) kernel: (utime+stime) + CPU 0 softirq per transaction (c10m: busy_cycles again)",
        lambda s: rv(s, "pp", "cycles_per_formula") if s.startswith("kernel") else rv(s, "pp", "cycles_per"), "lo")
    row(f"(d) server cycles per transaction at {rate} tx/s (latency run)", lambda s: rv(s, "lat", "cycles_per"), "lo")
    row("(d) server cycles per connection (connections/s run)", lambda s: rv(s, "cps", "cycles_per"), "lo")
    idle = meta.get("IDLE", "?")

    def mem(s):
        if s.startswith("c10m"):
            return rv(s, "hold", "table_per_flow")
        sd, est = rv(s, "hold", "slab_delta"), rv(s, "hold", "established")
        if sd is None or not est:
            return None
        return sd / est - client_per if client_per is not None else sd / est
    row(f"(e) memory per idle connection at {idle}, bytes: c10m table_bytes/max_flows; "
        f"kernel Slab delta/N{' minus the client-only delta (c10m runs)' if client_per is not None else ' (client + server sockets)'}",
        mem, "lo")
    row("(e) c10m bytes_per_flow (record + hash slots + free list); kernel Slab delta/N, client + server",
        lambda s: (rv(s, "hold", "tcp") or {}).get("bytes_per_flow") if s.startswith("c10m")
        else (rv(s, "hold", "slab_delta") / rv(s, "hold", "established")
              if rv(s, "hold", "slab_delta") is not None and rv(s, "hold", "established") else None), "lo")
    row("(e) mbufs held by the idle connections (c10m)", lambda s: rv(s, "hold", "mbufs_held") if s.startswith("c10m") else None,
        None, lambda x: "–" if x is None else f0(x))
    row("(e) server user-space RSS growth per idle connection, bytes",
        lambda s: (rv(s, "hold", "rss_delta") / rv(s, "hold", "established")
                   if rv(s, "hold", "rss_delta") is not None and rv(s, "hold", "established") else None), "lo")
    row("(e) idle connections: established / held by the server / answered the echo",
        lambda s: (f"{rv(s, 'hold', 'established')} / {rv(s, 'hold', 'active')} / {rv(s, 'hold', 'answered')}"
                   if runs.get((s, "hold")) else None), None, lambda x: "n/a" if x is None else x)

    hdr = ["figure"] + [LABEL[s] for s in servers] + [f"{LABEL[c]} / best kernel" for c in c10ms if kernels]
    out = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    summary = {"meta": meta, "rows": []}
    for label, vals, better, fm in rows:
        cells = [label] + [fm(vals[s]) for s in servers]
        best = None
        if better and kernels:
            kv = [vals[k] for k in kernels if isinstance(vals[k], (int, float))]
            if kv:
                best = max(kv) if better == "hi" else min(kv)
        for c in c10ms:
            if kernels:
                v = vals[c]
                cells.append(ratio(v, best) if better and isinstance(v, (int, float)) else "")
        out.append("| " + " | ".join(cells) + " |")
        summary["rows"].append({"figure": label, "values": vals, "better": better, "best_kernel": best})
    gen_client = meta.get("CLIENT") == "tcp-gen"
    client_text = ("c10m tcp-gen (AF_XDP on the client veth, one lcore) for (a)-(c), "
                   "scripts/kecho/tcp_load for the memory runs (e)" if gen_client
                   else "(scripts/kecho/tcp_load, one thread)")
    print(f"## TCP echo, one core per server ({meta.get('DATE', '')})\n")
    print(f"{meta.get('CPU_MODEL', '?')}, {meta.get('CPUS', '?')} CPUs{', ' + meta['HYPERVISOR'] if meta.get('HYPERVISOR') else ''}, "
          f"kernel {meta.get('KERNEL', '?')}, DPDK {meta.get('DPDK_VERSION', '?')}, {meta.get('C10M_VERSION', '?')} "
          f"({meta.get('GIT', '?')}), liburing {meta.get('LIBURING', '?')}. Server on CPU 0, client "
          f"{client_text} on CPU 1, one veth pair, offloads off"
          f"{', RPS: each end receives on its own CPU' if meta.get('RPS') == '1' else ', no RPS'}. "
          f"{meta.get('SECS', '?')} s measured per run after {meta.get('WARMUP', '?')} s of warm-up. "
          f"Ratios: c10m / the better kernel server (for times, cycles and bytes lower is better).\n")
    print("\n".join(out))
    print()
    print("Notes:")
    print(f"- Cycles: c10m's busy_cycles are TSC cycles of loop iterations that received packets or whose mode did work (TCP timers). "
          f"The kernel's CPU time (jiffies of {meta.get('CLK_TCK', '100')}/s from /proc/stat and /proc/PID/stat) "
          f"is converted at {hz / 1e6:,.0f} MHz (/proc/cpuinfo 'cpu MHz', the TSC rate here; "
          f"cycles = seconds x {hz:,.0f}). Per transaction = the delta over the client's whole run "
          f"(warm-up and connection set-up included; the servers idle before and after) / the transactions "
          f"the client completed.")
    print("- Kernel 'CPU 0 busy' = elapsed - idle - iowait - steal of CPU 0 (/proc/stat): the server, the softirq "
          "work on CPU 0, anything else there (nothing else is pinned there; each run waits for a quiet machine). "
          "With NO_HZ idle the idle time is measured while user/system/irq/softirq are sampled by the tick, which "
          "misses the short bursts of a lightly loaded CPU (at 20k tx/s the sampled busy time came out 5-50x too "
          "low), hence elapsed - idle. '(utime+stime) + softirq' is the formula asked for: utime+stime are scaled "
          "by the kernel to the task's measured run time (= /proc/PID/schedstat), the softirq term is tick-sampled "
          "(too low at light load) and, with tick accounting and no IRQ_TIME_ACCOUNTING "
          f"({meta.get('KCONFIG_ACCOUNTING', '').strip() or 'config unknown'}), softirq work that interrupted the "
          "server is in its stime as well (counted twice).")
    if meta.get("RPS") != "1":
        print("- veth runs a frame's receive work in softirq on the sending CPU: the servers' receive side of the "
              "requests (kernel: TCP input and the wake-up; c10m: the AF_PACKET copy or the XDP redirect) runs on "
              "CPU 1 and is in neither side's server figure; the client's receive side of the echoes runs on CPU 0 "
              "and is in every server's figure (inside c10m's send system call, in the kernel's softirq). "
              "--rps moves each side's receive work to its own CPU.")
    top_tx = max([cl(x, "pp", "tx_per_s") or 0 for x in servers] or [0])
    top_cps = max([cl(x, "cps", "conns_per_s") or 0 for x in servers] or [0])
    if gen_client:
        print(f"- The client is c10m's tcp-gen (no kernel TCP on the client side): it reached {f0(top_tx)} tx/s "
              f"and {f0(top_cps)} conn/s. Its CPU still runs the veth's receive work of every request it sends "
              f"(see above), and CPU 0 the echoes': in the unpaced run both CPUs were busy all the time, so "
              f"throughput is bound by the veth's per-frame work on both sides as much as by the server.")
    else:
        print(f"- The client is one kernel TCP thread on one core; such a client tops out near 150-170k tx/s and "
              f"20-24k conn/s on this machine (the issue's estimate). In this set-up it reached at most {f0(top_tx)} tx/s and {f0(top_cps)} conn/s "
              f"(its CPU also runs the kernel's side of every frame it sends, see above): throughput and "
              f"connections/s are client-bound, not server limits; the cost and memory rows are the server-side "
              f"comparison.")
    for c in c10ms:
        r = runs.get((c, "pp")) or {}
        ev = r.get("events") or {}
        cr = r.get("client") or {}
        if (ev.get("tcp_rto") and not r.get("drops") and not r.get("port_drops") and not r.get("retrans_cli")
                and cr.get("errors") == 0 and cr.get("bad") == 0 and cr.get("unanswered") == 0):
            print(f"- {LABEL[c]}: {ev['tcp_rto']} retransmission timeouts in the ping-pong run although nothing was "
                  f"dropped (no port or echo drops, the client's kernel retransmitted nothing, every echo arrived): "
                  f"retransmissions without loss.")
    print("- Latency is taken from each transaction's scheduled time; 'late sends' are the client's own sends more "
          "than 100 us behind schedule (the VM's scheduling of CPU 1, more of them when CPU 0 busy-polls): they "
          "set the p99.9 and part of the p99 for every server. The rows 'from the send' time the same transactions "
          "from the moment the client actually sent each request: what the server and the veth took, without the "
          "client's own lateness (a send can still be delayed inside the client's kernel after that moment).")
    if client_per is not None:
        print(f"- Memory: /proc/meminfo Slab: before and 2 s after {idle} connections are established, divided by N. "
              f"The client's sockets are in the same kernel: with c10m serving, the delta is the client's alone "
              f"({f0(client_per)} B/conn), subtracted from the kernel servers' deltas. c10m's table is allocated "
              f"at start (--max-flows {meta.get('MAX_FLOWS', '?')}): memory per connection is its size / max_flows "
              f"whether or not the connections exist; no mbuf is held by an idle connection.")
    # details
    print("\nDetails:")
    for s in servers:
        h = runs.get((s, "hold"))
        if h:
            caches = ", ".join(f"{n} +{dobj} x{(b // dobj) if dobj else 0} B" for n, dobj, b, _ in h.get("slab_caches", [])[:8])
            print(f"- {LABEL[s]} memory run: slab +{f0((h.get('slab_delta') or 0) / 1024)} kB "
                  f"(unreclaimable +{f0((h.get('sunreclaim_delta') or 0) / 1024)} kB), server RSS +{f0((h.get('rss_delta') or 0) / 1024)} kB; "
                  f"sockstat server ns {h['sockstat_post'][0]}, client ns {h['sockstat_post'][1]}; "
                  f"connect {f1(h.get('connect_s'))} s over {h.get('clients')} client processes; "
                  f"caches: {caches}")
            if s.startswith("c10m"):
                print(f"  c10m tcp {h.get('tcp')}; after the reset: active {h.get('active_end')}, mbufs {h.get('mbufs_end')}")
        for phase in ("pp", "lat", "cps"):
            r = runs.get((s, phase))
            if not r:
                continue
            extra = ""
            if s.startswith("c10m"):
                extra = (f"; busy cycles {f0(r.get('busy_cycles'))}, pkts {f0(r.get('pkts'))}, echoed "
                         f"{f0(r.get('echoed_msgs'))} x 64 B, opened {f0(r.get('conn_opened'))}; drops {r.get('drops')} "
                         f"port {r.get('port_drops')}")
            else:
                extra = (f"; CPU 0 busy {f1(r.get('cpu0_busy_s'))} s (tick-sampled: {f1(r.get('cpu0_tick_busy_s'))} s, "
                         f"of which softirq {f1(r.get('cpu0_softirq_s'))} s), server utime+stime {f1(r.get('srv_ticks_s'))} s")
            print(f"- {LABEL[s]} {phase}: {one(d, r['tag'])}; client exit {r['client_rc']}, "
                  f"server exit {r['server_rc']}{extra}")
    print("\nCommands ($T = the run's temp dir):")
    try:
        with open(os.path.join(d, "commands.txt")) as f:
            for line in f:
                label, _, cmd = line.rstrip("\n").partition("\t")
                print(f"- {label}:\n  `{cmd}`")
    except OSError:
        pass
    with open(os.path.join(d, "summary-tcp.json"), "w") as f:
        json.dump({"summary": summary, "runs": {f"{k[0]}/{k[1]}": v for k, v in runs.items()}}, f, indent=1, default=str)
    ok = all(runs.get((s, p)) and (runs[(s, p)].get("client") or p == "hold") for s in servers for p in ("pp", "lat", "cps", "hold"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
