"""Plots of a benchmark run: least squares' time against N, against d (the closed-form/iterative
crossover) and against the condition number, and accuracy against the condition number."""

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
    paths.append(_time_against(acc, "cond", out / "time_vs_cond.png",
                               xlabel="condition number of X",
                               title=f"Least squares ({acc[0]['size']}): time against conditioning"))
  dims = [r for r in rows if r["problem"] == "dimension_scaling"]
  if dims:
    n = dims[0]["size"].split("x")[0]
    paths.append(_time_against(dims, "d", out / "time_vs_d.png", xlabel=f"d (features; n = {n})",
                               title="Closed form against gradient descent: time against d"))
  return paths


def _time_against(rows, key, path, *, xlabel, title) -> str:
  """Median time (left) and relative error against float64 (right) of each implementation
  against ``row[key]``; an iterative row that stopped unconverged is drawn hollow, and each is
  labelled with its steps."""
  fig, (ax_t, ax_e) = plt.subplots(1, 2, figsize=(11, 5.5), layout="constrained")
  for impl in sorted({r["impl"] for r in rows}):
    mine = sorted((r for r in rows if r["impl"] == impl), key=lambda r: r[key])
    xs = [r[key] for r in mine]
    line, = ax_t.loglog(xs, [r["median_s"] for r in mine], "o-", label=impl)
    errs = [(r[key], max(r["rel_error"], 1e-9)) for r in mine if r["rel_error"] is not None]
    if errs:
      ax_e.loglog(*zip(*errs), "o-", color=line.get_color(), label=impl)
    for r in mine:
      if "steps used" in r["note"]:
        steps = r["note"].split("steps used ")[1].split(",")[0]
        unconverged = "converged False" in r["note"]
        if unconverged:
          ax_t.plot(r[key], r["median_s"], "o", mfc="white", color=line.get_color())
        ax_t.annotate(f"{steps} steps" + (" (not converged)" if unconverged else ""),
                      (r[key], r["median_s"]), textcoords="offset points", xytext=(4, 4), fontsize=7)
  ax_t.set(xlabel=xlabel, ylabel="median time (s)", title=title)
  ax_e.set(xlabel=xlabel, ylabel="relative error vs float64 (float32 solve)",
           title="... and the accuracy each time buys")
  fig.legend(*ax_t.get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=7)
  fig.savefig(path)
  plt.close(fig)
  return path.name
