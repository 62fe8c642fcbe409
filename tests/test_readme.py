"""The README's example runs as written, so that it cannot rot."""

import pathlib
import re

import numpy as np

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _example_block() -> str:
  text = README.read_text()
  section = text.split("## Example", 1)[1]
  return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs(capsys):
  namespace = {}
  exec(compile(_example_block(), str(README), "exec"), namespace)
  results = namespace["results"]
  assert results.losses.shape == (32, 300)
  # The sweep crosses 2/λ_max: the largest rates diverge, the smallest do not.
  diverged = np.asarray(results.diverged)
  assert not diverged[0] and diverged[-1]
  assert "make test" in README.read_text() and "make experiments" in README.read_text()
  # The validation-loss gradient against a central difference (float32: a coarse step).
  val_loss, jax = namespace["val_loss"], namespace["jax"]
  fd = (float(val_loss(1.1)) - float(val_loss(0.9))) / 0.2
  np.testing.assert_allclose(float(jax.grad(val_loss)(1.0)), fd, rtol=2e-2)


def test_readme_fast_paths_run_and_agree():
  text = README.read_text()
  fast = re.search(r"```python\n(.*?)```", text.split("Fast paths for tall data", 1)[1], re.S).group(1)
  namespace = {}
  exec(compile(_example_block(), str(README), "exec"), namespace)
  exec(compile(fast, str(README), "exec"), namespace)
  lm = namespace["lm"]
  closed, _ = lm.lstsq(namespace["xs"], namespace["ys"])
  np.testing.assert_allclose(namespace["params"].w, closed.w, rtol=1e-5)
  ref = lm.fit_gd(lm.mse_loss, namespace["p0"], (namespace["xs"], namespace["ys"]), 0.1, num_steps=100)
  np.testing.assert_allclose(namespace["res"].params.w, ref.params.w, rtol=1e-4, atol=1e-6)
