#!/usr/bin/python3
"""Plot the echo benchmark's throughput per server (scripts/bench-echo).

usage: /usr/bin/python3 scripts/plot_echo.py SUMMARY_JSON OUT.png

SUMMARY_JSON is the summary-echo.json that scripts/bench_echo_report.py writes in
the bench's run directory. Needs Debian's python3-matplotlib (hence /usr/bin/python3).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"c10m": "#1f77b4", "testpmd": "#ff7f0e", "kernel": "#7f7f7f"}


def colour(server):
    return COLOURS["c10m" if server.startswith("c10m") else "testpmd" if server.startswith("testpmd") else "kernel"]


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        data = json.load(f)
    s, meta = data["summary"], data.get("meta", {})
    panels = [p for p in ("memif", "veth") if s.get(p)]
    if not panels:
        print("plot_echo.py: nothing to plot", file=sys.stderr)
        return 1
    widths = [1.0 if p == "memif" else 1.6 for p in panels]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * sum(widths), 4.6),
                             gridspec_kw={"width_ratios": widths}, squeeze=False)
    for ax, p in zip(axes[0], panels):
        if p == "memif":
            kinds = [m["kind"] for m in s["memif"]]
            x = range(len(kinds))
            w = 0.38
            for off, srv in ((-w / 2, "c10m"), (w / 2, "testpmd")):
                vals = [(m[srv]["rate"] or 0) / 1e6 for m in s["memif"]]
                lo = [max(0.0, v - (m[srv].get("rate_min") or 0) / 1e6) for v, m in zip(vals, s["memif"])]
                hi = [max(0.0, (m[srv].get("rate_max") or 0) / 1e6 - v) for v, m in zip(vals, s["memif"])]
                bars = ax.bar([i + off for i in x], vals, w, yerr=[lo, hi], capsize=3,
                              label=srv if srv == "c10m" else "testpmd (5tswap / icmpecho)", color=COLOURS[srv])
                for b, v in zip(bars, vals):
                    ax.annotate(f"{v:.1f}", (b.get_x() + b.get_width() / 2, v / 2), ha="center", va="center",
                                fontsize=8, color="white", weight="bold")
            for i, m in enumerate(s["memif"]):
                if m.get("ratio"):
                    top = max((m[v].get("rate_max") or m[v]["rate"] or 0) for v in ("c10m", "testpmd")) / 1e6
                    ax.annotate(f"pairs: c10m/testpmd ×{m['ratio']:.2f}", (i, top * 1.05), ha="center", fontsize=8,
                                weight="bold")
            ax.set_xticks(list(x))
            ax.set_xticklabels([k.upper() + " echo" for k in kinds])
            ax.set_ylabel("requests answered, millions/s")
            ax.set_title("memif, one lcore per side, 64 B")
            ax.set_ylim(0, max([(m[v].get("rate_max") or m[v]["rate"] or 0) / 1e6 for m in s["memif"]
                                for v in ("c10m", "testpmd")] + [1]) * 1.2)
            ax.set_xlabel("bars: median over runs; whiskers: min–max")
            ax.legend(fontsize=8, loc="lower right")
        else:
            v = s["veth"]
            names = [e["server"] for e in v][::-1]
            rates = [(e["rate"] or 0) / 1e3 for e in v][::-1]
            lo = [max(0.0, r - (e["rate_min"] or 0) / 1e3) for r, e in zip(rates, v[::-1])]
            hi = [max(0.0, (e["rate_max"] or 0) / 1e3 - r) for r, e in zip(rates, v[::-1])]
            bars = ax.barh(range(len(names)), rates, xerr=[lo, hi], color=[colour(n) for n in names],
                           error_kw={"elinewidth": 1, "capsize": 3})
            for b, r in zip(bars, rates):
                ax.annotate(f"{r:.0f}k", (r / 2, b.get_y() + b.get_height() / 2), ha="center", va="center",
                            fontsize=8, color="white", weight="bold")
            ax.set_yticks(range(len(names)))
            ax.set_yticklabels(names)
            ax.set_xlabel("UDP echo replies, thousands/s (median; bars: min–max over rounds)")
            ax.set_title("veth, server on CPU 0, DPDK AF_XDP generator on CPU 1, 64 B")
            ax.set_xlim(0, max([(e["rate_max"] or 0) / 1e3 for e in v] + [1]) * 1.1)
    fig.suptitle(f"c10m echo server (issue 3) — {meta.get('DATE', '')}, {meta.get('CPU_MODEL', '')}, "
                 f"kernel {meta.get('KERNEL', '')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(argv[2], dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
