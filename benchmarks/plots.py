"""Plots of a benchmark run: time against N, accuracy against the condition number."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def make(result, out) -> list[str]:
  rows = result["rows"]
  paths = []
  ls = [r for r in rows if r["problem"] == "least_squares"]
  if ls:
    fig, ax = plt.subplots(figsize=(6.5, 4.5), constrained_layout=True)
    impls = sorted({r["impl"] for r in ls})
    for impl in impls:
      pts = sorted((int(r["size"].split("x")[0]), r["median_s"]) for r in ls if r["impl"] == impl
                   and r["size"].endswith("x64"))
      if len(pts) >= 1:
        ax.loglog(*zip(*pts), "o-", label=impl)
    if not ax.lines:  # no d = 64 sizes in this run
      plt.close(fig)
      fig, ax = plt.subplots(figsize=(6.5, 4.5), constrained_layout=True)
      ax.text(0.5, 0.5, "no d = 64 sizes in this profile", ha="center", transform=ax.transAxes)
    else:
      ax.legend(fontsize=7, loc="upper left")
    ax.set(xlabel="N (rows, d = 64)", ylabel="median time (s)", title="Least squares: time against N")
    fig.savefig(out / "time_vs_n.png")
    plt.close(fig)
    paths.append("time_vs_n.png")
  acc = [r for r in rows if r["problem"] == "accuracy_vs_condition"]
  if acc:
    fig, ax = plt.subplots(figsize=(6.5, 4.5), constrained_layout=True)
    for impl in sorted({r["impl"] for r in acc}):
      pts = sorted((r["cond"], max(r["rel_error"], 1e-9)) for r in acc if r["impl"] == impl)
      ax.loglog(*zip(*pts), "o-", label=impl)
    ax.set(xlabel="condition number of X", ylabel="relative error vs float64 (float32 solve)",
           title="Accuracy against conditioning")
    ax.legend(fontsize=7, loc="upper left")
    fig.savefig(out / "accuracy_vs_cond.png")
    plt.close(fig)
    paths.append("accuracy_vs_cond.png")
  return paths
