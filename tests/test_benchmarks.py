"""The benchmark suite at tiny sizes: every benchmarked method returns the right answer, and the
JSON has the documented fields. (No timing is asserted: timings do not belong in tests.)"""

import json
import pathlib

import jax
import numpy as np
import pytest
from sklearn.linear_model import Perceptron

import linmodels as lm

from benchmarks import report, suite
from benchmarks.__main__ import main

FL = {"bandwidth_GBps": 10.0, "matmul_GFLOPs": 50.0}


def test_least_squares_methods_and_peers_are_right():
  rows = suite.least_squares(3_000, 8, FL, repeats=1, methods=("auto", "cholesky", "qr", "svd"))
  impls = {r["impl"] for r in rows}
  assert {"linmodels lstsq(auto)", "scikit-learn LinearRegression", "numpy lstsq (SVD)",
          "numpy bare XᵀX (peer floor)", "jax bare XᵀX (XLA)"} <= impls
  for r in rows:
    if r["rel_error"] is not None:
      assert r["rel_error"] < 1e-5, r["impl"]
    assert r["median_s"] > 0 and r["min_s"] <= r["median_s"] <= r["max_s"]
  by = {r["impl"]: r for r in rows}
  (target,) = [t for t in report.targets({"rows": rows, "machine": {}})
               if t["target"].startswith("OLS vs peer's bare")]
  xla = by["jax bare XᵀX (XLA)"]["median_s"] / by["numpy bare XᵀX (peer floor)"]["median_s"]
  assert f"XLA's bare XᵀX: {xla:.2f}×" in target["measured"]


def test_iterative_benchmarks_are_right():
  gd = suite.gd_step(2_000, 8, FL, repeats=1, steps=5)
  assert all(r["rel_error"] < 1e-5 for r in gd)
  impls = [r["impl"] for r in gd]
  assert any("fused_mse_loss" in i for i in impls) and any("Gram trick" in i for i in impls)
  acc = suite.accuracy_vs_condition([1e1, 1e3], n=2_000, d=16)
  auto = [r for r in acc if r["impl"].endswith("(auto)")]
  assert max(r["rel_error"] for r in auto) < 1e-4
  logi = suite.logistic(0, 0, repeats=1, real=True, fl=FL)
  # The small real data are bound by per-call costs, not by reading X: no floor there.
  assert all(r["floor_s"] is None for r in logi)
  sk = next(r for r in logi if r["impl"].startswith("scikit-learn"))
  assert [r["impl"] for r in logi[1:]] == [f"linmodels fit_logistic({m})" for m in ("newton", "lbfgs", "gd")]
  for r in logi[1:3]:
    assert r["final_loss"] <= sk["final_loss"] * (1 + 1e-4)
  assert logi[3]["final_loss"] <= sk["final_loss"] * 1.05  # 5000 GD steps: close, not there
  soft = suite.softmax(300, 4, 3, repeats=1)
  sk = soft[0]
  assert sk["impl"].startswith("scikit-learn") and len(soft) == 3
  for r in soft[1:]:
    assert r["final_loss"] <= sk["final_loss"] * (1 + 1e-4), r["impl"]
  per = suite.perceptron(300, 3, repeats=1)
  assert "converged True" in per[-1]["note"]
  assert "train accuracy 1.0000" in per[0]["note"] and per[0]["epochs"] >= 1


def test_sklearn_perceptron_gets_the_fewest_epochs_that_separate():
  # A thin margin, so that scikit-learn needs many epochs (19 here): that many separate the
  # data, one fewer does not.
  xs, labels, _ = lm.make_separable(jax.random.key(4), 300, 3, margin=0.02)
  xs, labels = np.asarray(xs), np.asarray(labels)
  epochs = suite._sklearn_epochs_to_separate(xs, labels)
  assert epochs > 2

  def accuracy(max_iter):
    with suite._quiet_peer():
      est = Perceptron(max_iter=max_iter, tol=None, shuffle=True, random_state=0).fit(xs, labels)
    return est.score(xs, labels)
  assert accuracy(epochs) == 1.0 and accuracy(epochs - 1) < 1.0


def test_cpu_model_and_vector_extensions_from_cpuinfo(tmp_path):
  from benchmarks.__main__ import _cpu
  info = tmp_path / "cpuinfo"
  info.write_text("processor\t: 0\nmodel name\t: Example CPU 9000\nflags\t\t: fpu sse2 avx2 fma "
                  "avx512f\n\nprocessor\t: 1\nmodel name\t: Example CPU 9000\n")
  assert _cpu(str(info)) == {"cpu_model": "Example CPU 9000", "cpu_simd": ["avx512f", "avx2", "fma"]}


def test_json_fields_and_targets(tmp_path):
  assert main(["--tiny", "--only", "least_squares", "sweeps", "--out", str(tmp_path)]) == 0
  result = json.loads((tmp_path / "results.json").read_text())
  assert {"machine", "profile", "floors", "rows", "total_seconds"} <= set(result)
  assert {"jax", "device", "dtype", "cpu_count", "date", "cpu_model", "cpu_simd"} <= set(
      result["machine"])
  assert result["floors"]["bandwidth_GBps"] > 0 and result["floors"]["matmul_GFLOPs"] > 0
  for row in result["rows"]:
    assert {"problem", "size", "impl", "median_s", "min_s", "max_s", "compile_s", "times_s",
            "rel_error", "floor_s", "ratio_to_floor"} <= set(row)
    assert len(row["times_s"]) >= 1
  # Rows timed in turns carry the group whose repeats pair up turn by turn.
  turns = [r for r in result["rows"] if "timed in turns" in r["note"]]
  assert turns and all(isinstance(r["turn_group"], int) for r in turns)
  assert (tmp_path / "time_vs_n.png").exists() and (tmp_path / "table.md").exists()
  targets = report.targets(result)
  assert targets and all({"target", "goal", "measured", "met"} <= set(t) for t in targets)


def test_repeats_option_sets_the_turns(tmp_path):
  assert main(["--tiny", "--only", "gd_step", "--repeats", "3", "--out", str(tmp_path)]) == 0
  result = json.loads((tmp_path / "results.json").read_text())
  assert result["repeats"] == result["repeats_option"] == 3
  assert "`python -m benchmarks --repeats 3` (tiny profile, 3 turns)" in "\n".join(
      report._section(result, "CPU"))
  rows = [r for r in result["rows"] if r["problem"] == "gd_step"]
  assert rows and all(len(r["times_s"]) == 3 for r in rows)
  with pytest.raises(SystemExit):
    main(["--tiny", "--only", "gd_step", "--repeats", "0", "--out", str(tmp_path)])


def test_per_turn_ratio_pairs_only_rows_timed_together():
  from benchmarks._timing import measure_interleaved
  ms = measure_interleaved({"a": lambda: 1, "b": lambda: 2}, repeats=3)
  again = measure_interleaved({"a": lambda: 1}, repeats=1)
  assert ms["a"]["turn_group"] == ms["b"]["turn_group"] != again["a"]["turn_group"]
  assert len(ms["a"]["times_s"]) == len(ms["b"]["times_s"]) == 3
  num = {"turn_group": 7, "times_s": [2.0, 3.0, 1.0]}
  den = {"turn_group": 7, "times_s": [1.0, 1.0, 1.0]}
  # Ratios 2, 3 and 1: the range, and the one turn at or below 1.5.
  assert report.per_turn(num, den, lambda r: r <= 1.5) == "per turn 1.00–3.00×, met in 1 of 3"
  assert report.per_turn(num, {**den, "turn_group": 8}, lambda r: True) == ""
  assert report.per_turn(num, {"times_s": [1.0, 1.0, 1.0]}, lambda r: True) == ""
  assert report.per_turn(num, {**den, "times_s": [1.0]}, lambda r: True) == ""


def test_mlp_sweep_and_sharded_benchmarks_are_right():
  mlp = suite.mlp_step(200, 4, 8, repeats=1, steps=5)
  assert mlp[0]["impl"].startswith("linmodels") and all(r["median_s"] > 0 for r in mlp)
  # The peers run the same five Adam steps from the same weights: the same loss before the last.
  peers = [r for r in mlp[1:] if r["impl"].startswith(("torch", "scikit-learn"))]
  assert any(r["impl"].startswith("scikit-learn") for r in peers)
  for r in peers:
    assert r["rel_error"] < 1e-4, (r["impl"], r["final_loss"], mlp[0]["final_loss"])
  rows = suite.sweeps(num=4, repeats=1)
  assert {r["problem"] for r in rows} == {"sweep_gd_lr", "sweep_gd_lr_gram", "sweep_ridge_path"}
  for r in rows:
    if r["impl"].startswith("linmodels"):
      assert r["rel_error"] < 1e-4, r["impl"]
  sharded = suite.sharded(1_003, 4, repeats=1, devices=4)
  assert len(sharded) == 4 and "4 devices" in sharded[0]["size"]


def test_compile_options_rows_compare_the_same_fit():
  rows = suite.compile_options(503, 6, repeats=1, fitters=("lstsq(auto)",))
  assert [r["impl"] for r in rows] == ["linmodels lstsq(auto)", "lstsq(auto), XLA defaults"]
  assert rows[0]["rel_error"] < 1e-6
  for r in rows:  # first calls from the child processes
    assert r["first_call_s"] > 0 and r["compile_s"] >= 0


def test_dimension_scaling_and_condition_rows_are_right_and_plotted(tmp_path):
  from benchmarks import plots
  rows = suite.dimension_scaling(1_000, [4, 16], repeats=1, gd_steps=500)
  assert {r["impl"] for r in rows} == {"linmodels lstsq(auto)", "linmodels lstsq(cholesky)",
                                       suite._GD_TOL, "numpy bare XᵀX (peer floor)",
                                       "scikit-learn LinearRegression"}
  for r in rows:
    if r["impl"] == suite._GD_TOL:
      # Stopped at a gradient norm of 100 eps on well-conditioned data: a few 1e-6 off.
      assert "converged True" in r["note"] and r["rel_error"] < 2e-5
    elif r["rel_error"] is not None:
      assert r["rel_error"] < 1e-5, r["impl"]
  acc = suite.accuracy_vs_condition([1e1, 1e4], n=500, d=4, gd_steps=50)
  gd = {r["cond"]: r for r in acc if r["impl"] == suite._GD_TOL}
  assert "converged False" in gd[1e4]["note"]   # 50 steps cannot reach cond² = 1e8
  paths = plots.make({"rows": rows + acc}, tmp_path)
  assert {"time_vs_d.png", "time_vs_cond.png", "accuracy_vs_cond.png"} <= set(paths)
  assert all((tmp_path / p).stat().st_size > 0 for p in paths)


def test_iterative_least_squares_rows_reach_the_closed_form():
  rows = suite.least_squares_iterative(5_000, 8, FL, repeats=1)
  assert len(rows) == 4
  for r in rows:
    assert r["rel_error"] < 1e-5, r["impl"]


def test_gpu_profile_runs_on_cpu_at_tiny_sizes(tmp_path):
  # The GPU problems (their code paths, references and report) at tiny sizes on this CPU: the
  # Pallas kernel runs in interpret mode, PyTorch's CUDA rows are skipped.
  out = tmp_path / "gpu"
  assert main(["--device", "gpu", "--tiny", "--only", "least_squares_mixed", "gd_step",
               "--out", str(out)]) == 0
  res_gpu = json.loads((out / "results.json").read_text())
  rows = [r for r in res_gpu["rows"] if r["problem"] in ("least_squares_mixed", "gd_step")]
  assert {r["problem"] for r in rows} == {"least_squares_mixed", "gd_step"}
  assert sum(r["impl"].startswith("linmodels fit_gd") for r in rows) == 7
  for r in rows:
    if r["rel_error"] is not None:
      assert r["rel_error"] < 1e-5, r["impl"]
  md = report.results_markdown(res_gpu, res_gpu)  # any run serves as the CPU section here
  assert "## GPU" in md and "GPU mixed-precision solve (1024x64)" in md and "## CPU" in md


def test_gpu_residual_passes_agree_on_cpu():
  # The GPU profile's residual-pass rows at a tiny size (Pallas in interpret mode): every kernel
  # variant returns the XLA row's Σ (x - c) r.
  from benchmarks import gpu
  rows = gpu.residual_passes([(640, 16)], {"bandwidth_GBps": 10.0}, repeats=1, steps=2, tuning=False)
  assert [r["impl"].split(" (")[0] for r in rows] == [
      "XLA residual_sums", "Pallas residual_gradient", "Pallas gradient_sums"]
  assert all(r["median_s"] > 0 and r["rel_error"] < 1e-5 for r in rows)


def test_logistic_floor_is_a_read_of_x_per_evaluation_and_caps_the_target():
  fl = {"bandwidth_GBps": 10.0, "matmul_GFLOPs": 1.0}
  rows = suite.logistic(500, 5, repeats=1, fl=fl)
  sk, ours = rows[0], rows[1:]
  assert sk["floor_s"] is None and [r["impl"] for r in ours] == [
      "linmodels fit_logistic(newton)", "linmodels fit_logistic(lbfgs)"]
  for r in ours:  # the start and one trial point a step, each a read of the 500×5 float32 X
    assert r["num_steps"] >= 1
    assert r["floor_s"] == pytest.approx((r["num_steps"] + 1) * 500 * 5 * 4 / 10e9)
  (target,) = [t for t in report.targets({"rows": rows, "machine": {}})
               if t["target"].startswith("logistic")]
  (best,) = [r for r in ours if f"({r['impl']};" in target["measured"]]  # the fit it quotes
  cap = sk["median_s"] / best["floor_s"]
  assert f"at most {cap:.1f}× for its {best['num_steps']} steps" in target["measured"]


def test_results_md_is_the_report_of_the_kept_runs():
  # RESULTS.md holds no number the suite did not produce: it is exactly the report of the two
  # results files kept beside it.
  root = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
  runs = [json.loads((root / f"{name}_results.json").read_text()) for name in ("cpu", "gpu")]
  assert (root / "RESULTS.md").read_text() == report.results_markdown(*runs) + "\n"
