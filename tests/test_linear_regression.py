"""The lecture's 1D/2D formulas, loss and gradient against the general solver and jax.grad."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import linmodels as lm


def test_1d_formula_equals_general_solver_and_numpy(x64, rng):
  xs = rng.normal(size=50)
  ys = 1.7 * xs + 0.2 * rng.normal(size=50)
  w = lm.fit_line_through_origin(xs, ys)
  ref = np.linalg.lstsq(xs[:, None], ys, rcond=None)[0][0]
  np.testing.assert_allclose(w, ref, rtol=1e-13)
  params, _ = lm.lstsq(xs[:, None], ys, fit_intercept=False)
  np.testing.assert_allclose(w, params.w[0], rtol=1e-12)


def test_line_with_bias_equals_general_solver(x64, rng):
  xs = rng.normal(size=50) + 3.0
  ys = -0.4 * xs + 2.0 + 0.1 * rng.normal(size=50)
  w1, w0 = lm.fit_line(xs, ys)
  params, _ = lm.lstsq(xs[:, None], ys)
  np.testing.assert_allclose([w1, w0], [params.w[0], params.b], rtol=1e-12)
  np.testing.assert_allclose([w1, w0], np.polyfit(xs, ys, 1), rtol=1e-12)


def test_2d_coupled_equations_equal_general_solver(x64, rng):
  x, y = rng.normal(size=40), rng.normal(size=40)
  z = 0.5 * x - 2.0 * y + 0.05 * rng.normal(size=40)
  w1, w2 = lm.fit_plane_through_origin(x, y, z)
  params, _ = lm.lstsq(np.c_[x, y], z, fit_intercept=False)
  np.testing.assert_allclose([w2, w1], params.w, rtol=1e-12)
  # Both stationarity conditions of the lecture hold at the solution.
  r = z - w2 * x - w1 * y
  np.testing.assert_allclose([np.sum(r * y), np.sum(r * x)], [0.0, 0.0], atol=1e-12)


def test_lecture_gradient_equals_jax_grad_and_jits(x64, rng):
  xs, ys = rng.normal(size=(30, 4)), rng.normal(size=(30, 2))
  params = lm.LinearParams(jnp.asarray(rng.normal(size=(4, 2))), jnp.asarray(rng.normal(size=2)))
  g_lecture = jax.jit(lm.lecture_gradient)(params, xs, ys)
  g_auto = jax.grad(lm.lecture_loss)(params, xs, ys)
  np.testing.assert_allclose(g_lecture.w, g_auto.w, rtol=1e-12)
  np.testing.assert_allclose(g_lecture.b, g_auto.b, rtol=1e-12)
  # The lecture's matrix form ½(Y - Xw)ᵀ(Y - Xw) equals the sum form.
  r = ys - (xs @ np.asarray(params.w) + np.asarray(params.b))
  np.testing.assert_allclose(lm.lecture_loss(params, xs, ys), 0.5 * np.sum(r * r), rtol=1e-12)
  np.testing.assert_allclose(lm.mse_loss(params, xs, ys), 0.5 * np.mean(np.sum(r * r, 1)), rtol=1e-12)
  # Zero at the closed form.
  fitted, _ = lm.lstsq(xs, ys)
  g = lm.lecture_gradient(fitted, xs, ys)
  assert np.abs(np.asarray(g.w)).max() < 1e-10 and np.abs(np.asarray(g.b)).max() < 1e-10


def test_predict_single_and_vmapped_batch(rng):
  params = lm.LinearParams(jnp.asarray(rng.normal(size=3), jnp.float32), jnp.float32(0.5))
  xs = jnp.asarray(rng.normal(size=(7, 3)), jnp.float32)
  batch = lm.predict(params, xs)
  single = jax.vmap(lm.predict, in_axes=(None, 0))(params, xs)
  np.testing.assert_allclose(batch, single, rtol=1e-6)
  np.testing.assert_allclose(lm.predict(params, xs[0]), np.asarray(xs[0]) @ params.w + 0.5, rtol=1e-6)


@pytest.mark.parametrize("fn,args", [
    (lm.fit_line_through_origin, ([1.0, 2.0], [1.0])),
    (lm.fit_line, ([[1.0, 2.0]], [1.0, 2.0])),
    (lm.fit_plane_through_origin, ([], [], [])),
])
def test_lecture_formulas_reject_bad_shapes(fn, args):
  with pytest.raises(ValueError, match="shapes"):
    fn(*args)


@pytest.mark.parametrize("fn,args,match", [
    (lm.fit_line_through_origin, ([0.0, 0.0, 0.0], [1.0, 2.0, 3.0]),
     r"every x is zero .* \(n = 3\)"),
    (lm.fit_line, ([2.0, 2.0, 2.0, 2.0], [1.0, 2.0, 3.0, 4.0]),
     r"every x is equal .* \(n = 4\)"),
    (lm.fit_line, ([1.5], [2.0]), r"every x is equal .* \(n = 1\)"),
    (lm.fit_plane_through_origin, ([1.0, 2.0, 3.0], [0.3, 0.6, 0.9], [1.0, 0.0, 2.0]),
     r"x and y are proportional .* \(n = 3\)"),
])
def test_lecture_formulas_reject_data_that_leave_them_undefined(fn, args, match):
  with pytest.raises(ValueError, match=match):
    fn(*args)
  # Under jit nan comes back, as the docstrings say (for the plane: not rounding noise divided
  # by rounding noise, which read (0.4, 0.5) here).
  out = jax.jit(fn)(*(jnp.asarray(a, jnp.float32) for a in args))
  assert np.all(np.isnan(np.asarray(out)))


def test_fit_plane_accepts_nearly_proportional_inputs(x64):
  # 1e-3 away from proportional: the determinant is far above rounding, and Cramer's rule in
  # float64 recovers the weights (float64 lstsq as the reference).
  rng = np.random.default_rng(0)
  x = rng.normal(size=50)
  y = 0.3 * x + 1e-3 * rng.normal(size=50)
  z = 2.0 * y + 3.0 * x + 0.01 * rng.normal(size=50)
  w1, w2 = lm.fit_plane_through_origin(x, y, z)
  ref = np.linalg.lstsq(np.c_[y, x], z, rcond=None)[0]
  np.testing.assert_allclose([float(w1), float(w2)], ref, rtol=1e-6)


def test_predict_names_mismatched_widths():
  params = lm.LinearParams(jnp.ones(3), jnp.zeros(()))
  for x in (jnp.ones((4, 2)), jnp.ones(2), jnp.ones(())):
    with pytest.raises(ValueError, match=r"predict: x must be \[d\] or \[n, d\] with d = 3 \(the "
                                         r"rows of w, shape \(3,\)\), got x.shape="):
      lm.predict(params, x)


def test_predict_names_a_bias_that_does_not_match_the_outputs():
  x = jnp.ones((4, 3))
  for w, b in ((jnp.ones(3), jnp.zeros(2)), (jnp.ones((3, 2)), jnp.zeros(3)),
               (jnp.ones((3, 2)), jnp.zeros((1, 2)))):
    with pytest.raises(ValueError, match=r"predict: b must be \[\] or the output axes of w "
                                         + re.escape(f"{w.shape[1:]}, got b.shape={b.shape}")):
      jax.jit(lm.predict)(lm.LinearParams(w, b), x)
  # A scalar bias is broadcast to every output, as before.
  out = lm.predict(lm.LinearParams(jnp.ones((3, 2)), jnp.asarray(0.5)), x)
  np.testing.assert_allclose(out, np.full((4, 2), 3.5))
