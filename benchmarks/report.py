"""The table on stdout and the targets of the issue, each marked met or not with its ratio."""

from __future__ import annotations


def _ms(s):
  return "" if s is None else f"{1e3 * s:.3g}"


def table(rows) -> str:
  lines = ["| problem | size | implementation | median ms | min ms | max ms | compile ms | "
           "rel. error | × floor | note |", "|" + " --- |" * 10]
  for r in rows:
    err = "" if r.get("rel_error") is None else f"{r['rel_error']:.2e}"
    ratio = "" if r.get("ratio_to_floor") is None else f"{r['ratio_to_floor']:.2f}"
    note = r.get("note", "")
    if r.get("cond") is not None:
      note = f"cond {r['cond']:.0e} " + note
    if r.get("per_config_s") is not None:
      note = f"{1e3 * r['per_config_s']:.3g} ms/config " + note
    if r.get("final_loss") is not None:
      note = f"final loss {r['final_loss']:.6g} " + note
    lines.append(f"| {r['problem']} | {r['size']} | {r['impl']} | {_ms(r['median_s'])} | "
                 f"{_ms(r['min_s'])} | {_ms(r['max_s'])} | {_ms(r.get('compile_s'))} | {err} | "
                 f"{ratio} | {note.strip()} |")
  return "\n".join(lines)


def per_turn(num, den, ok) -> str:
  """The ratio ``num / den`` turn by turn, for two rows timed in the same turns
  (``_timing.measure_interleaved``): its range and in how many turns ``ok(ratio)`` held, as
  ``"per turn 1.34–2.61×, met in 1 of 5"``; ``""`` for rows not timed together. A ratio of
  medians hides how much a shared machine moved it; this shows whether the verdict depends on
  the turn."""
  group = num.get("turn_group")
  a, b = num.get("times_s") or [], den.get("times_s") or []
  if group is None or group != den.get("turn_group") or len(a) != len(b) or not a:
    return ""
  ratios = [x / y for x, y in zip(a, b)]
  met = sum(bool(ok(r)) for r in ratios)
  return f"per turn {min(ratios):.2f}–{max(ratios):.2f}×, met in {met} of {len(ratios)}"


def _details(*parts: str) -> str:
  """``" (a; b)"`` of the non-empty ``parts``; ``""`` when there are none."""
  kept = [p for p in parts if p]
  return f" ({'; '.join(kept)})" if kept else ""


def _find(rows, problem, impl_prefix, size=None):
  for r in rows:
    if r["problem"] == problem and r["impl"].startswith(impl_prefix) and (size is None or r["size"] == size):
      return r
  return None


def targets(result) -> list[dict]:
  rows = result["rows"]
  out = []

  def add(name, goal, value, met, detail=""):
    out.append({"target": name, "goal": goal, "measured": value, "met": met, "detail": detail})

  for size in sorted({r["size"] for r in rows if r["problem"] == "least_squares"}):
    auto = _find(rows, "least_squares", "linmodels lstsq(auto)", size)
    gram = _find(rows, "least_squares", "numpy bare", size)
    skl = _find(rows, "least_squares", "scikit-learn", size)
    xla = _find(rows, "least_squares", "jax bare XᵀX", size)
    if auto and gram:
      ratio = auto["median_s"] / gram["median_s"]
      # XLA's own XᵀX against the peer's: how far a JAX solve is behind before it starts.
      start = f"XLA's bare XᵀX: {xla['median_s'] / gram['median_s']:.2f}×" if xla else ""
      add(f"OLS vs peer's bare XᵀX ({size})", "≤ 1.2×",
          f"{ratio:.2f}×" + _details(f"of the minimums: {auto['min_s'] / gram['min_s']:.2f}×",
                                     start, per_turn(auto, gram, lambda r: r <= 1.2)),
          ratio <= 1.2)
    if auto and skl:
      ratio = skl["median_s"] / auto["median_s"]
      ok = ratio >= 10 and auto["rel_error"] <= max(skl["rel_error"], 1e-6)
      add(f"OLS vs scikit-learn LinearRegression ({size})", "≥ 10× faster, ≤ its error",
          f"{ratio:.1f}×" + _details(f"errors {auto['rel_error']:.1e} vs {skl['rel_error']:.1e}",
                                     per_turn(skl, auto, lambda r: r >= 10)), ok)
  if result["machine"].get("requested_device") == "gpu":
    return out + _gpu_targets(rows)
  gd = min((r for r in rows if r["problem"] == "gd_step" and r["impl"].startswith("linmodels fit_gd")),
           key=lambda r: r["median_s"], default=None)
  if gd:
    add(f"GD step vs two-pass floor ({gd['size']})", "≤ 1.5×",
        f"{gd['ratio_to_floor']:.2f}× ({gd['impl']})", gd["ratio_to_floor"] <= 1.5)
    for peer in ("numpy loop", "torch loop"):
      p = _find(rows, "gd_step", peer)
      if p:
        ratio = p["median_s"] / gd["median_s"]
        add(f"GD step vs {peer}", "≥ 1.3× faster",
            f"{ratio:.2f}×" + _details(f"of the minimums: {p['min_s'] / gd['min_s']:.2f}×",
                                       per_turn(p, gd, lambda r: r >= 1.3)), ratio >= 1.3)
  for size in sorted({r["size"] for r in rows if r["problem"] == "logistic"}):
    sk = _find(rows, "logistic", "scikit-learn", size)
    ours = [r for r in rows if r["problem"] == "logistic" and r["size"] == size
            and r["impl"].startswith("linmodels")
            and r["final_loss"] <= sk["final_loss"] * (1 + 1e-5) + 1e-7]
    goal = 20 if "breast" in size else 5
    if ours:
      best = min(ours, key=lambda r: r["median_s"])
      ratio = sk["median_s"] / best["median_s"]
      cap = ""
      if best.get("floor_s"):  # the most its iterations could reach: steps + 1 reads of X
        cap = (f"at most {sk['median_s'] / best['floor_s']:.1f}× for its {best['num_steps']} "
               f"steps at the measured bandwidth")
      add(f"logistic regression to sklearn's loss ({size})", f"≥ {goal}× faster",
          f"{ratio:.1f}×" + _details(best["impl"], cap, per_turn(sk, best, lambda r: r >= goal)),
          ratio >= goal)
    else:
      add(f"logistic regression to sklearn's loss ({size})", f"≥ {goal}× faster",
          "no linmodels fit reached scikit-learn's final loss", False)
  sk = _find(rows, "perceptron", "scikit-learn")
  ours = _find(rows, "perceptron", "linmodels")
  if sk and ours:
    ratio = sk["median_s"] / ours["median_s"]
    peer = (f"scikit-learn at {sk['epochs']} epochs, the fewest that separate"
            if sk.get("epochs") else "")
    add(f"perceptron vs scikit-learn ({ours['size']})", "≥ 1× (no slower)",
        f"{ratio:.2f}×" + _details(peer, per_turn(sk, ours, lambda r: r >= 1.0)), ratio >= 1.0,
        ours["note"])
  ours = _find(rows, "mlp_adam_step", "linmodels")
  for peer in ("torch", "scikit-learn"):
    p = _find(rows, "mlp_adam_step", peer)
    if ours and p:
      ratio = p["median_s"] / ours["median_s"]
      same = f"final losses {p['rel_error']:.0e} apart" if p.get("rel_error") is not None else ""
      add(f"MLP Adam step vs {peer}", "≥ 3× faster",
          f"{ratio:.1f}×" + _details(same, per_turn(p, ours, lambda r: r >= 3)), ratio >= 3)
  for problem in ("sweep_gd_lr", "sweep_gd_lr_gram", "sweep_ridge_path"):
    rs = [r for r in rows if r["problem"] == problem]
    if len(rs) == 2:
      ratio = rs[1]["per_config_s"] / rs[0]["per_config_s"]
      cap = ""
      if rs[0].get("floor_s"):  # the most any vmap could reach: the loop against the matmul floor
        num = rs[0]["median_s"] / rs[0]["per_config_s"]
        cap = f" (at most {rs[1]['per_config_s'] / (rs[0]['floor_s'] / num):.1f}× at the measured matmul rate)"
      add(f"{problem}: vmap vs loop, per configuration", "≥ 20×", f"{ratio:.1f}×{cap}", ratio >= 20)
  fits = [r for r in rows if r["impl"].startswith("linmodels") and r.get("compile_s") is not None
          and r["problem"] not in ("gd_step", "mlp_adam_step")]
  if fits:
    worst = max(fits, key=lambda r: r["compile_s"])
    add("first-call compile time of each fitter", "< 2 s",
        f"max {worst['compile_s']:.2f} s ({worst['impl']}, {worst['size']})", worst["compile_s"] < 2)
  acc = [r for r in rows if r["problem"] == "accuracy_vs_condition" and r.get("cond") == 1e3]
  auto = next((r for r in acc if r["impl"].endswith("(auto)")), None)
  chol = next((r for r in acc if r["impl"].endswith("(cholesky)")), None)
  if auto and chol:
    ratio = auto["median_s"] / chol["median_s"]
    add("float32 default solve at cond 1e3", "rel. error ≤ 1e-4 at ≤ 2× Cholesky time",
        f"{auto['rel_error']:.1e} at {ratio:.2f}×"
        + _details(f"Cholesky {chol['rel_error']:.1e}", per_turn(auto, chol, lambda r: r <= 2)),
        auto["rel_error"] <= 1e-4 and ratio <= 2)
  return out


def _gpu_targets(rows) -> list[dict]:
  out = []

  def add(name, goal, value, met):
    out.append({"target": name, "goal": goal, "measured": value, "met": met, "detail": ""})

  for size in sorted({r["size"] for r in rows if r["problem"] == "least_squares"}):
    auto = _find(rows, "least_squares", "linmodels lstsq(auto)", size)
    torch = _find(rows, "least_squares", "torch Cholesky (float32)", size)
    if auto and torch:
      ratio = torch["median_s"] / auto["median_s"]
      ok = ratio >= 1.0 and auto["rel_error"] <= max(torch["rel_error"], 1e-6)
      add(f"GPU OLS ({size}) vs torch float32 Cholesky", "no slower, full float32 accuracy",
          f"{1e3 * auto['median_s']:.3g} ms vs {1e3 * torch['median_s']:.3g} ms ({ratio:.2f}×); errors "
          f"{auto['rel_error']:.1e} vs {torch['rel_error']:.1e}", ok)
  for size in sorted({r["size"] for r in rows if r["problem"] == "least_squares_mixed"}):
    mixed = [r for r in rows if r["problem"] == "least_squares_mixed" and r["size"] == size
             and r["impl"] in ("linmodels lstsq(mixed)", "linmodels lstsq(auto)")]
    torch = _find(rows, "least_squares_mixed", "torch Cholesky (float32)", size)
    if mixed:
      best = min(mixed, key=lambda r: r["median_s"])
      peer = (f"; torch float32 Cholesky {1e3 * torch['median_s']:.3g} ms at {torch['rel_error']:.1e}"
              if torch else "")
      add(f"GPU mixed-precision solve ({size})", "≤ 20 ms at rel. error ≤ 1e-6",
          f"{1e3 * best['median_s']:.3g} ms at {best['rel_error']:.1e} ({best['impl']}){peer}",
          best["median_s"] <= 0.020 and best["rel_error"] <= 1e-6)
  gds = [r for r in rows if r["problem"] == "gd_step" and r["impl"].startswith("linmodels")
         and r["median_s"] is not None]
  if gds:
    best = min(gds, key=lambda r: r["median_s"])
    add(f"GPU least-squares gradient step ({best['size']})", "≤ 1.0 ms",
        f"{1e3 * best['median_s']:.3g} ms ({best['impl']}; {best['note'].split(';')[0]})",
        best["median_s"] <= 1e-3)
  return out


def targets_table(ts) -> str:
  lines = ["| target | goal | measured | met |", "| --- | --- | --- | --- |"]
  lines += [f"| {t['target']} | {t['goal']} | {t['measured']} | {'met' if t['met'] else 'not met'} |"
            for t in ts]
  return "\n".join(lines)


def _section(result, title) -> list[str]:
  m = result["machine"]
  fl = result["floors"]
  tf32 = fl.get("tf32_matmul_jax_GFLOPs")
  flags = (" --device gpu" if m.get("requested_device") == "gpu" else "") + (
      f" --repeats {result['repeats_option']}" if result.get("repeats_option") else "")
  return [f"## {title}", "",
          f"Produced by `python -m benchmarks{flags}` "
          f"({result['profile']} profile"
          + (f", {result['repeats']} turns" if result.get("repeats") else "")
          + f") on {m['date']} in {result['total_seconds']:.0f} s"
          + (f", code at commit `{m['commit'][:10]}`" if m.get("commit") else "") + "."
          + (f" Note: {m['commit_note']}." if m.get("commit_note") else ""), "",
          f"- machine: {m['platform']}, "
          + (f"CPU {m['cpu_model']} ({', '.join(m.get('cpu_simd') or []) or 'no SIMD flags read'}), "
             if m.get("cpu_model") else "")
          + f"{m['cpu_count']} cores, device `{m['device']}`"
          + (f" ({m['gpu_name']})" if m.get("gpu_name") else "") + f", dtype {m['dtype']}",
          f"- versions: jax {m['jax']}, numpy {m['numpy']}, scikit-learn {m['sklearn']}, "
          f"scipy {m['scipy']}, statsmodels {m['statsmodels']}, torch {m['torch']}",
          f"- floors measured in the same run: memory bandwidth {fl['bandwidth_GBps']:.1f} GB/s, "
          f"float32 matmul {fl['matmul_GFLOPs']:.1f} GFLOP/s"
          + (f", TF32 matmul {tf32:.1f} GFLOP/s" if tf32 else ""), "",
          "### Targets", "",
          "A target's ratio is of the medians; where both sides were timed in the same turns, "
          "`per turn` gives the range of the ratio taken turn by turn and the number of turns "
          "that met the goal, which shows how much of the verdict this shared machine decides.",
          "", targets_table(targets(result)), "",
          "### All results", "",
          "Times are medians over the repeats after a warm-up call; `compile ms` is the first "
          "call's extra time; `× floor` divides by the time to read the data once (least squares) "
          "or twice (a gradient step), or once for each point a logistic fit evaluated (its "
          "steps + 1), at the measured bandwidth. " + _how_called(result), "",
          table(result["rows"]), ""]


def _how_called(result) -> str:
  if any(r["problem"] == "compile_options" for r in result["rows"]):
    return ("linmodels' closed forms and classifiers are timed as a user calls them: the public "
            "function, input checks included. The `compile_options` rows time each fitter's "
            "first call in a fresh process, with and without `linmodels.solver_jit`'s CPU "
            "options.")
  if any(r["impl"].endswith("inside jax.jit (no input checks)") for r in result["rows"]):
    return ("`lstsq` is timed as a user calls it, input checks included, and once more inside a "
            "`jax.jit` (the solve alone); the gradient steps and variants run inside a `jax.jit`.")
  return "linmodels' solvers are timed inside a `jax.jit`, without the input checks."


def results_markdown(result, gpu_result=None) -> str:
  """benchmarks/RESULTS.md: machine, floors, targets and table of a CPU run and a GPU run."""
  lines = ["# Benchmark results", "",
           "Every number below comes from the `results.json` of the run named in its section, kept "
           "as `benchmarks/cpu_results.json` and `benchmarks/gpu_results.json`; regenerate with "
           "`python -m benchmarks.report benchmarks/cpu_results.json benchmarks/gpu_results.json > "
           "benchmarks/RESULTS.md`. A new CPU run: `make bench` (it writes "
           "`benchmarks/out/results.json`); a new GPU run: `python -m benchmarks --device gpu --out "
           "gpu` on a machine with a GPU.", ""]
  lines += _section(result, "CPU")
  if gpu_result is not None:
    lines += _section(gpu_result, "GPU")
  else:
    lines += ["## GPU", "", "Not measured (no accelerator was lent to the session that ran this).", ""]
  return "\n".join(lines)


if __name__ == "__main__":
  import json
  import sys
  results = [json.loads(open(path).read()) for path in sys.argv[1:3]]
  print(results_markdown(*results))
