"""Every experiment runs at --quick size; its figure is a real PNG and its metrics say what the
report says. One run of `python -m experiments --quick` serves every check."""

import json
import subprocess
import sys

import numpy as np
import pytest

from experiments.__main__ import EXPERIMENTS, main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# `make test` runs pytest with `--dist loadscope`, which keeps a module on one worker: with plain
# `-n 2` the module fixture below ran the whole experiment suite once per worker (171 s and 101 s
# of set-up in one run). (`--dist loadgroup` with an `xdist_group` mark did not group these
# tests with pytest 9 / xdist 3.8.)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
  out = tmp_path_factory.mktemp("results")
  assert main(["--quick", "--out", str(out)]) == 0
  return out, json.loads((out / "metrics.json").read_text()), (out / "report.md").read_text()


def test_every_figure_is_a_non_empty_png(results):
  out, metrics, report = results
  figures = sorted((out / "figures").glob("*.png"))
  assert len(figures) == len(EXPERIMENTS)
  for fig in figures:
    data = fig.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 20_000, fig.name
    assert f"figures/{fig.name}" in report
  assert set(EXPERIMENTS) <= set(metrics)


def test_report_follows_the_lecture_order(results):
  _, _, report = results
  titles = [line for line in report.splitlines() if line.startswith("## ")]
  assert len(titles) == len(EXPERIMENTS)
  assert titles[0].startswith("## 1. Regression to the mean")
  assert "universal approximation" in titles[12]


def test_numbers_hold(results):
  _, m, report = results
  assert m["galton"]["fitted_slope"] < 1.0
  assert m["regression_1d"]["relative_difference"] < 1e-5
  assert m["regression_2d"]["max_difference"] < 1e-4
  assert m["normal_vs_gd"]["relative_error"] < 1e-2 and not m["normal_vs_gd"]["diverged"]
  assert min(m["decision_boundaries"][k] for k in ("accuracy_1d", "accuracy_2d", "accuracy_3d")) > 0.9
  p = m["perceptron"]
  assert p["all_runs_converged"] and p["within_bound"]
  assert p["max_updates_over_runs"] <= p["novikoff_bound"]
  assert not p["non_separable_converged"] and not p["xor_converged"]
  assert m["sigmoid"]["converged"] and m["sigmoid"]["accuracy"] > 0.9
  assert m["mse_vs_bce"]["mse_min_hessian_eigenvalue"] < 0 and m["mse_vs_bce"]["bce_convex_on_grid"]
  lk = m["likelihood"]
  assert abs(lk["mu_closed_form"] - lk["mu_gradient_ascent"]) < 1e-4
  assert abs(lk["sigma_closed_form"] - lk["sigma_gradient_ascent"]) < 1e-4
  assert lk["linear_mle_vs_lstsq_max_diff"] < 1e-3
  s = m["softmax"]
  np.testing.assert_allclose(s["softmax_example"], [0.0674, 0.183, 0.498, 0.183, 0.0674], rtol=2e-3)
  assert s["c2_max_probability_difference"] < 1e-3 and s["iris_accuracy"] > 0.9
  po = m["polynomial"]
  assert np.all(np.diff(po["train_mse"]) <= 1e-6) and po["best_test_mse"] < po["linear_test_mse"]
  ml = m["mlp"]
  assert abs(ml["mse_linear_network"] - ml["mse_least_squares_line"]) < 1e-3 * ml["mse_least_squares_line"] + 1e-6
  assert ml["mse_relu"] < 1e-2 and ml["mse_sigmoid"] < 1e-2
  u = m["universal"]
  assert u["sigmoid_error_monotone"] and u["sawtooth_pieces"] == [2 ** L for L in u["depths"]]
  assert u["deep_units"] == [2 * L for L in u["depths"]]
  sw = m["sweeps"]
  assert sw["gd_smallest_diverging_lr"] >= sw["gd_two_over_lambda_max"]
  assert sw["perceptron_all_within_bound"]
  # The report quotes the metrics: spot-check a few numbers as printed.
  assert f"{m['galton']['fitted_slope']:.3f}" in report
  assert f"{m['perceptron']['novikoff_bound']:.0f}" in report


def test_an_experiment_runs_alone(tmp_path):
  cmd = [sys.executable, "-m", "experiments.regression_1d", "--quick", "--out", str(tmp_path)]
  done = subprocess.run(cmd, capture_output=True, text=True, check=True)
  assert "w_closed_form" in done.stdout
  assert (tmp_path / "figures" / "02_regression_1d.png").read_bytes()[:8] == PNG_MAGIC
  assert json.loads((tmp_path / "regression_1d.json").read_text())["relative_difference"] < 1e-5
  helptext = subprocess.run([sys.executable, "-m", "experiments.sweeps", "--help"],
                            capture_output=True, text=True, check=True).stdout
  assert "--quick" in helptext and "--out" in helptext
