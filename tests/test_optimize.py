"""The scan-based fitters: convergence to the closed form, monotone descent, divergence, vmap."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import linmodels as lm


def _data(rng, n=256, d=4, dtype=np.float32):
  xs = rng.normal(size=(n, d)) + np.array([0.5, -0.2, 0.0, 0.3])[:d]
  ys = xs @ np.array([1.0, -2.0, 0.5, 3.0])[:d] + 0.7 + 0.1 * rng.normal(size=n)
  return jnp.asarray(xs, dtype), jnp.asarray(ys, dtype)


def _lam_max(xs):
  """Largest eigenvalue of the Hessian of mse_loss in (w, b): [X 1]ᵀ[X 1] / n."""
  a = np.c_[np.asarray(xs, np.float64), np.ones(len(xs))]
  return np.linalg.eigvalsh(a.T @ a / len(xs))[-1]


def _p0(d, dtype=jnp.float32):
  return lm.LinearParams(jnp.zeros(d, dtype), jnp.zeros((), dtype))


def _rel(params, ref):
  got = np.r_[params.w, params.b]
  want = np.r_[ref.w, ref.b]
  return np.linalg.norm(got - want) / np.linalg.norm(want)


def test_gd_reaches_closed_form(rng):
  xs, ys = _data(rng)
  ref, _ = lm.lstsq(xs, ys)
  res = lm.fit_gd(lm.mse_loss, _p0(4), (xs, ys), 1.0 / _lam_max(xs), num_steps=400)
  assert _rel(res.params, ref) <= 1e-4
  assert not bool(res.diverged) and int(res.num_steps) == 400
  assert res.losses.shape == (400,) and res.losses.dtype == jnp.float32


@pytest.mark.parametrize("fraction", [0.2, 0.6, 0.99])
def test_loss_never_increases_below_one_over_lambda_max(x64, rng, fraction):
  xs, ys = _data(rng, dtype=np.float64)
  res = lm.fit_gd(lm.mse_loss, _p0(4, jnp.float64), (xs, ys), fraction / _lam_max(xs),
                  num_steps=200)
  losses = np.asarray(res.losses)
  assert np.all(np.diff(losses) <= 1e-14 * losses[:-1])


def test_step_above_two_over_lambda_max_reports_divergence(rng):
  xs, ys = _data(rng)
  res = lm.fit_gd(lm.mse_loss, _p0(4), (xs, ys), 2.5 / _lam_max(xs), num_steps=300)
  assert bool(res.diverged) and not bool(res.converged)
  assert int(res.num_steps) < 300
  assert all(np.isfinite(np.asarray(leaf)).all() for leaf in jax.tree_util.tree_leaves(res.params))
  # The history shows the blow-up rather than hiding it.
  assert not np.isfinite(res.losses[-1]) or res.losses[-1] > 1e6 * res.losses[0]
  # Just below 2/λ_max, GD still converges (slowly oscillating): no false alarm.
  ok = lm.fit_gd(lm.mse_loss, _p0(4), (xs, ys), 1.9 / _lam_max(xs), num_steps=300)
  assert not bool(ok.diverged)


def test_vmap_over_learning_rates_equals_loop_and_traces_once(rng):
  xs, ys = _data(rng)
  lrs = jnp.linspace(0.01, 1.5, 16) / _lam_max(xs)

  @jax.jit
  @chex.assert_max_traces(n=1)
  def sweep(lrs):
    return jax.vmap(lambda lr: lm.fit_gd(lm.mse_loss, _p0(4), (xs, ys), lr, num_steps=100))(lrs)

  chex.clear_trace_counter()
  batched = sweep(lrs)
  sweep(lrs * 0.5)  # new values, same shapes: must not retrace
  fit_one = jax.jit(lambda lr: lm.fit_gd(lm.mse_loss, _p0(4), (xs, ys), lr, num_steps=100))
  for i, lr in enumerate(lrs):
    single = fit_one(lr)
    np.testing.assert_allclose(batched.params.w[i], single.params.w, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(batched.losses[i], single.losses, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("make_opt,steps", [
    (lambda: optax.sgd(0.2, momentum=0.9), 300),
    (lambda: optax.adam(0.05), 1500),
    (lambda: optax.lbfgs(), 30),
])
def test_optax_optimizers_reach_closed_form(rng, make_opt, steps):
  xs, ys = _data(rng)
  ref, _ = lm.lstsq(xs, ys)
  res = lm.fit_optax(lm.mse_loss, _p0(4), (xs, ys), make_opt(), num_steps=steps)
  assert _rel(res.params, ref) <= 1e-4
  assert not bool(res.diverged)


def test_traced_adam_hyperparameters_under_vmap(rng):
  xs, ys = _data(rng)
  run = jax.jit(jax.vmap(lambda lr, b1: lm.fit_optax(
      lm.mse_loss, _p0(4), (xs, ys), optax.adam(lr, b1=b1), num_steps=200).losses[-1]))
  out = run(jnp.array([0.01, 0.05]), jnp.array([0.9, 0.5]))
  assert out.shape == (2,) and np.all(np.isfinite(out))
  assert out[1] < out[0]  # the larger step gets further in 200 steps


def test_tolerance_stop_keeps_shapes_under_vmap(rng):
  xs, ys = _data(rng)
  lam = _lam_max(xs)
  res = jax.vmap(lambda lr: lm.fit_gd(lm.mse_loss, _p0(4), (xs, ys), lr, num_steps=500,
                                      tol=1e-4))(jnp.array([1.0 / lam, 0.3 / lam]))
  assert res.losses.shape == (2, 500)
  assert bool(res.converged.all())
  steps = np.asarray(res.num_steps)
  assert steps[0] < steps[1] < 500
  assert np.all(np.asarray(res.grad_norm) <= 1e-4)
  # After the stop the iterate is frozen and the history flat.
  np.testing.assert_array_equal(res.losses[0, steps[0]:], res.losses[0, steps[0]])


def test_non_finite_data_under_jit_is_reported_not_raised(rng):
  xs, ys = _data(rng)
  ys = ys.at[3].set(jnp.nan)
  res = jax.jit(lambda xs, ys: lm.fit_gd(lm.mse_loss, _p0(4), (xs, ys), 0.1, num_steps=10))(xs, ys)
  assert bool(res.diverged) and int(res.num_steps) == 0
  np.testing.assert_array_equal(res.params.w, np.zeros(4))


@pytest.mark.parametrize("early_exit", [False, True])
def test_lbfgs_history_is_the_loss_at_each_iterate(x64, rng, early_exit):
  # L-BFGS takes the value and gradient from its line search's state instead of a fresh pass:
  # the recorded loss before step k must still be the loss at the iterate after k - 1 steps.
  xs = rng.normal(size=(200, 4))
  labels = (xs @ rng.normal(size=4) + rng.normal(size=200) > 0).astype(np.float64)
  p0 = lm.init_linear(4, dtype=jnp.float64)

  def fit(steps):
    return lm.fit_optax(lm.logistic_loss, p0, (xs, labels), optax.lbfgs(), num_steps=steps,
                        early_exit=early_exit)

  runs = [fit(k) for k in range(1, 4)]
  for k in range(2):
    np.testing.assert_allclose(runs[k + 1].losses[k + 1], lm.logistic_loss(runs[k].params, xs, labels),
                               rtol=1e-12)
  np.testing.assert_allclose(runs[-1].losses[0], lm.logistic_loss(p0, xs, labels), rtol=1e-12)


def test_lbfgs_stops_where_its_line_search_no_longer_moves_the_params():
  # Float32 least squares with pure-noise targets: L-BFGS reaches the rounding floor within a few
  # steps, after which its zoom line search fails (20 trials, a pass over the data each) and
  # returns a step too small to change the params. minimize stops there instead of repeating it
  # for the remaining steps; the answer is the float64 solution to float32 accuracy, as good as
  # running every step, and one more step of the unstopped scan does not move it. The stop
  # belongs to the optimizer (a line search that keeps its value and gradient), not to
  # minimize: fit_optax with optax.lbfgs() and early exit stops at the same step and point.
  rng = np.random.default_rng(0)
  xs = rng.standard_normal((2000, 4), dtype=np.float32)
  ys = rng.standard_normal(2000, dtype=np.float32)
  a = np.c_[xs.astype(np.float64), np.ones(2000)]
  ref = np.linalg.lstsq(a, ys.astype(np.float64), rcond=None)[0]
  p0 = lm.init_linear(4)
  stopped = lm.minimize(lm.mse_loss, p0, (xs, ys), method="lbfgs", num_steps=30)
  every = lm.minimize(lm.mse_loss, p0, (xs, ys), method="lbfgs", num_steps=30, early_exit=False)
  k = int(stopped.num_steps)
  assert 0 < k < 30 and int(every.num_steps) == 30
  assert not bool(stopped.converged) and not bool(stopped.diverged)   # tol = 0 is never met
  for res in (stopped, every):
    got = np.r_[res.params.w, res.params.b]
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < 2e-6
  one_more = lm.minimize(lm.mse_loss, p0, (xs, ys), method="lbfgs", num_steps=k + 1,
                         early_exit=False)
  np.testing.assert_array_equal(one_more.params.w, stopped.params.w)
  np.testing.assert_array_equal(one_more.params.b, stopped.params.b)
  # The history repeats the last loss once stopped, as after a tolerance stop.
  np.testing.assert_array_equal(stopped.losses[k:], np.full(30 - k, stopped.losses[k]))
  via_fit_optax = lm.fit_optax(lm.mse_loss, p0, (xs, ys), optax.lbfgs(), num_steps=30,
                               early_exit=True)
  assert int(via_fit_optax.num_steps) == k
  np.testing.assert_array_equal(via_fit_optax.params.w, stopped.params.w)


def test_newton_linesearch_backtracks_where_the_full_step_overshoots(x64):
  # f(w) = c √(1 + w²): the pure Newton step maps w to -w³, so from w = 2 it diverges. By hand,
  # at w = 2: f' = 2/√5, f'' = 5^(-3/2), direction -f'/f'' = -10; the trials t = 1 (w = -8) and
  # t = ½ (w = -3) raise f, t = ¼ (w = -0.5) lowers it: update -2.5, two rejected trials.
  loss = lambda w, c: jnp.sum(c * jnp.sqrt(1.0 + w * w))
  c = jnp.ones(1, jnp.float64)
  vgh = lambda w: (loss(w, c), jax.grad(loss)(w, c), jax.hessian(loss)(w, c))
  opt = lm.newton_linesearch(vgh)
  w0 = jnp.array([2.0])
  update, state = opt.update(None, opt.init(w0), w0)
  np.testing.assert_allclose(update, [-2.5], rtol=1e-14)
  assert isinstance(state, lm.NewtonState)
  assert float(state.learning_rate) == 0.25 and int(state.num_linesearch_steps) == 2
  # The state holds the value, gradient and Hessian at the new point, exactly as evaluated there.
  for got, want in zip(state[:3], vgh(w0 + update)):
    np.testing.assert_allclose(got, want, rtol=1e-14)
  # The whole fit: the loss never increases, and it converges to w = 0.
  res = lm.fit_optax(loss, w0, (c,), opt, num_steps=20, tol=1e-12, early_exit=True)
  assert bool(res.converged) and abs(float(res.params[0])) < 1e-10
  assert np.all(np.diff(np.asarray(res.losses)) <= 0)


def test_minimize_newton_takes_one_step_on_a_quadratic(x64, rng):
  # The objective is its own second-order model: the full Newton step lands on the closed form.
  xs, ys = _data(rng, dtype=np.float64)
  coef = np.linalg.lstsq(np.c_[xs, np.ones(len(xs))], ys, rcond=None)[0]
  ref = lm.LinearParams(coef[:-1], coef[-1])
  res = lm.minimize(lm.mse_loss, _p0(4, jnp.float64), (xs, ys), method="newton", num_steps=5,
                    tol=1e-9)
  assert int(res.num_steps) == 1 and bool(res.converged)
  assert _rel(res.params, ref) < 1e-10


@pytest.mark.parametrize("method", lm.optimize.SOLVERS)
@pytest.mark.parametrize("early_exit", [True, False])
def test_zero_steps_return_the_start_and_its_gradient(rng, method, early_exit):
  # No step: the start comes back, with an empty history and the gradient norm there, from the
  # float64 closed form of mse_loss's gradient [X 1]ᵀ(Xw + b - y) / n at w = 0, b = 0.
  xs, ys = _data(rng, n=40)
  res = lm.minimize(lm.mse_loss, _p0(4), (xs, ys), method=method, num_steps=0,
                    early_exit=early_exit)
  a = np.c_[np.asarray(xs, np.float64), np.ones(len(xs))]
  want = np.linalg.norm(a.T @ -np.asarray(ys, np.float64) / len(xs))
  assert res.losses.shape == (0,) and int(res.num_steps) == 0
  assert not bool(res.converged) and not bool(res.diverged)
  np.testing.assert_array_equal(np.r_[res.params.w, res.params.b], np.zeros(5))
  np.testing.assert_allclose(float(res.grad_norm), want, rtol=1e-5)


@pytest.mark.parametrize("num_steps", [-1, 2.0, "3"])
def test_num_steps_must_be_a_non_negative_integer(num_steps):
  xs, ys = jnp.ones((3, 1)), jnp.ones(3)
  with pytest.raises(ValueError, match=rf"num_steps must be a non-negative integer \(static\), "
                                       rf"got {num_steps!r}"):
    lm.fit_gd(lm.mse_loss, _p0(1), (xs, ys), 0.1, num_steps=num_steps)
  # A NumPy integer is an integer.
  assert int(lm.fit_gd(lm.mse_loss, _p0(1), (xs, ys), 0.1, num_steps=np.int64(2)).num_steps) == 2


def test_implicit_minimum_of_a_users_fit_with_the_autodiff_hessian(x64, rng):
  # A user's early-exit fit (minimize's while loop) on stop-gradient inputs, then the implicit
  # derivative of its minimum: ridge without intercept, where w* = (XᵀX/n + l2 I)⁻¹ Xᵀy/n and
  # dw*/dl2 = -(XᵀX/n + l2 I)⁻¹ w*.
  xs, ys = rng.normal(size=(80, 4)), rng.normal(size=80)

  def objective(w, xs, ys, l2):
    return 0.5 * jnp.mean((xs @ w - ys) ** 2) + 0.5 * l2 * jnp.sum(w * w)

  def fit(l2):
    stop = jax.lax.stop_gradient
    w = lm.minimize(objective, jnp.zeros(4), (stop(xs), stop(ys), stop(l2)), method="lbfgs",
                    num_steps=100, tol=1e-12).params
    return lm.implicit_minimum(objective, w, (xs, ys, l2))

  l2 = 0.2
  a = xs.T @ xs / 80 + l2 * np.eye(4)
  w = np.linalg.solve(a, xs.T @ ys / 80)
  np.testing.assert_allclose(fit(l2), w, rtol=1e-8)
  np.testing.assert_allclose(jax.jacrev(fit)(l2), -np.linalg.solve(a, w), rtol=1e-6)
  np.testing.assert_allclose(jax.jacfwd(fit)(l2), -np.linalg.solve(a, w), rtol=1e-6)


@pytest.mark.parametrize("lr", [-0.1, 0.0, float("nan"), float("inf")])
def test_a_concrete_step_size_must_be_finite_and_positive(lr):
  # -0.1 climbed the loss for 20 steps and reported neither divergence nor convergence.
  xs, ys = np.ones((4, 2)), np.arange(4.0)
  p0 = lm.init_linear(2)
  with pytest.raises(ValueError, match="learning_rate must be a finite positive number"):
    lm.fit_gd(lm.mse_loss, p0, (xs, ys), lr, num_steps=5)
  with pytest.raises(ValueError, match="learning_rate must be a finite positive number"):
    lm.minimize(lm.mse_loss, p0, (xs, ys), method="adam", learning_rate=lr, num_steps=5)
  with pytest.raises(ValueError, match="learning_rate must be a finite positive number"):
    lm.fit_logistic(xs, np.array([0, 1, 0, 1]), method="gd", learning_rate=lr, num_steps=5)
  # Traced, in a sweep, it is the fit's status that says so.
  res = jax.vmap(lambda a: lm.fit_gd(lm.mse_loss, p0, (xs, ys), a, num_steps=5))(jnp.array([lr, 0.1]))
  assert not bool(res.converged[0]) and not bool(res.diverged[1])


def test_fit_optax_names_an_optimizer_that_is_not_one():
  # A string, as in Keras' compile(optimizer="adam"), failed with "'str' object has no
  # attribute 'init'" from inside the fit.
  xs, ys = np.ones((4, 2), np.float32), np.arange(4.0, dtype=np.float32)
  with pytest.raises(TypeError, match=r"optimizer must be an optax GradientTransformation .* got str 'adam'"):
    lm.fit_optax(lm.mse_loss, lm.init_linear(2), (xs, ys), "adam", num_steps=3)
  assert lm.fit_optax(lm.mse_loss, lm.init_linear(2), [xs, ys], optax.adam(0.1), num_steps=3).losses.shape == (3,)


def test_fits_name_data_that_is_not_a_tuple_a_vector_step_and_a_bad_tol():
  xs, ys = np.ones((6, 2), np.float32), np.arange(6.0, dtype=np.float32)
  p0 = lm.init_linear(2)
  # An array as data was unpacked row by row: "mse_loss() takes 3 positional arguments but 7
  # were given".
  with pytest.raises(TypeError, match=r"data must be a tuple of what loss_fn takes after params, "
                                      r"e\.g\. \(xs, ys\), got ArrayImpl of shape \(6, 2\)"):
    lm.fit_gd(lm.mse_loss, p0, jnp.asarray(xs), 0.1, num_steps=2)
  with pytest.raises(TypeError, match=r"data must be a tuple .* got dict"):
    lm.fit_optax(lm.mse_loss, p0, {"xs": xs, "ys": ys}, optax.sgd(0.1), num_steps=2)
  # Two step sizes at once failed with "mul got incompatible shapes"; a sweep is a vmap.
  with pytest.raises(ValueError, match=r"learning_rate must be a scalar, got shape \(2,\) \(to "
                                       r"sweep several, jax\.vmap over the fit\)"):
    lm.fit_gd(lm.mse_loss, p0, (xs, ys), np.array([0.1, 0.2]), num_steps=2)
  # A negative tol can never be met: the fit ran its steps and said "not converged".
  for tol in (-1.0, float("nan")):
    with pytest.raises(ValueError, match="tol must be finite and non-negative"):
      lm.minimize(lm.mse_loss, p0, (xs, ys), method="lbfgs", num_steps=2, tol=tol)
  res = jax.vmap(lambda lr: lm.fit_gd(lm.mse_loss, p0, (xs, ys), lr, num_steps=2))(
      jnp.array([0.1, 0.2]))
  assert res.losses.shape == (2, 2)
