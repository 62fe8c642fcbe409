"""solver_jit: top-level CPU calls compile with the faster options; everything else as jax.jit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import linmodels as lm
from linmodels import (least_squares, logistic_regression, perceptron, softmax_regression,
                       solver_jit)


def _sizes(f):
  return f.cpu._cache_size(), f.plain._cache_size()


# The options are XLA CPU compiler options; on other backends solver_jit is jax.jit.
cpu_only = pytest.mark.skipif(jax.default_backend() != "cpu", reason="CPU compiler options")


@pytest.mark.skipif(jax.default_backend() == "cpu", reason="the off-CPU route")
def test_off_cpu_it_is_plain_jax_jit():
  f = solver_jit.solver_jit(lambda x: jnp.sin(x) * 2)
  x = jnp.linspace(-1.0, 1.0, 5)
  np.testing.assert_allclose(f(x), 2 * np.sin(np.linspace(-1.0, 1.0, 5)), rtol=1e-6)
  assert _sizes(f) == (0, 1)


@cpu_only
def test_this_xla_accepts_the_options():
  # If a JAX release drops the option, solver_jit silently falls back to the default compile;
  # this test is where we hear of it.
  assert solver_jit._options_supported()


@cpu_only
def test_top_level_calls_use_the_options_and_traced_calls_do_not(monkeypatch):
  monkeypatch.delenv("LINMODELS_XLA_DEFAULT", raising=False)
  f = solver_jit.solver_jit(lambda x: jnp.sin(x) * 2)
  x = jnp.linspace(-1.0, 1.0, 5)
  np.testing.assert_allclose(f(x), 2 * np.sin(np.linspace(-1.0, 1.0, 5)), rtol=1e-6)
  assert _sizes(f) == (1, 0)
  # Inside another trace the options are not allowed: the plain jit is traced in instead.
  np.testing.assert_allclose(jax.jit(lambda v: f(v) + 1)(x), 2 * np.sin(x) + 1, rtol=1e-6)
  np.testing.assert_allclose(jax.vmap(f)(x[:, None])[:, 0], 2 * np.sin(x), rtol=1e-6)
  np.testing.assert_allclose(jax.grad(lambda v: f(v).sum())(x), 2 * np.cos(x), rtol=1e-6)
  # Concrete NumPy arguments inside a user's jit: refused by jax.jit, retried plainly.
  xn = np.asarray(x)
  np.testing.assert_allclose(jax.jit(lambda: f(xn))(), 2 * np.sin(xn), rtol=1e-6)
  # The environment switch restores XLA's default compile for top-level calls too.
  before = _sizes(f)[0]
  monkeypatch.setenv("LINMODELS_XLA_DEFAULT", "1")
  f(jnp.ones(7))
  assert _sizes(f)[0] == before


def test_other_value_errors_are_not_swallowed():
  def bad(x):
    raise ValueError("a shape problem")

  f = solver_jit.solver_jit(bad)
  with pytest.raises(ValueError, match="a shape problem"):
    jax.jit(lambda: f(np.ones(3)))()


def _fits(xs, ys, labels, signs, classes):
  return [
      lm.lstsq(xs, ys)[0],
      lm.lstsq(xs, ys, method="cholesky")[0],
      lm.ridge_path(xs, ys, jnp.logspace(-2, 2, 4)),
      lm.fit_logistic(xs, labels).params,
      lm.fit_logistic(xs, labels, method="lbfgs").params,
      lm.fit_perceptron(jax.random.key(0), xs, signs).params,
      lm.fit_softmax(xs, classes).params,
  ]


@cpu_only
def test_the_solvers_give_the_same_fits_with_and_without_the_options(monkeypatch):
  rng = np.random.default_rng(0)
  xs = rng.standard_normal((300, 5)).astype(np.float32)
  w = rng.standard_normal(5).astype(np.float32)
  ys = xs @ w + 0.3 * rng.standard_normal(300).astype(np.float32)
  labels = (ys + rng.standard_normal(300) > 0).astype(np.int32)   # overlapping classes
  signs = (xs @ w > 0).astype(np.int32)                             # separable
  classes = np.digitize(ys + rng.standard_normal(300), [-1.0, 1.0])   # three, overlapping
  jitted = [least_squares._lstsq, least_squares._ridge_path, logistic_regression._fit_logistic,
            perceptron._fit, softmax_regression._fit_softmax]
  monkeypatch.delenv("LINMODELS_XLA_DEFAULT", raising=False)
  with_options = _fits(xs, ys, labels, signs, classes)
  assert all(f.cpu._cache_size() > 0 for f in jitted)
  monkeypatch.setenv("LINMODELS_XLA_DEFAULT", "1")
  plain = _fits(xs, ys, labels, signs, classes)
  assert all(f.plain._cache_size() > 0 for f in jitted)
  for a, b in zip(with_options, plain):
    for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
      np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)
  # And against an independent reference: NumPy's float64 least squares.
  ref = np.linalg.lstsq(np.c_[xs, np.ones(300)].astype(np.float64), ys.astype(np.float64),
                        rcond=None)[0]
  np.testing.assert_allclose(with_options[0].w, ref[:5], rtol=1e-5, atol=1e-6)
