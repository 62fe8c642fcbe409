"""Logistic regression against scikit-learn, the lecture's identities, stability and convexity."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import linmodels as lm
from linmodels import logistic_regression as lr


@pytest.fixture(scope="module")
def cancer():
  xs, labels = lm.load_breast_cancer(dtype=jnp.float32)
  return np.asarray(xs, np.float64), np.asarray(labels)


def _sk(xs, labels, C):
  return LogisticRegression(C=C, tol=1e-12, max_iter=100_000).fit(xs, labels)


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
def test_unpenalised_matches_sklearn_on_overlapping_real_data(x64, cancer, method):
  xs, labels = cancer[0][:, :5], cancer[1]  # five features: the classes overlap, finite optimum
  ref = _sk(xs, labels, np.inf)
  res = lm.fit_logistic(xs, labels, method=method, num_steps=50 if method == "newton" else 300)
  assert bool(res.converged) and not bool(res.separated)
  coef = np.r_[res.params.w, res.params.b]
  want = np.r_[ref.coef_[0], ref.intercept_]
  assert np.linalg.norm(coef - want) / np.linalg.norm(want) <= 1e-3  # measured ~1e-7



@pytest.mark.parametrize("method", ["newton", "lbfgs"])
@pytest.mark.parametrize("extra", ["duplicate", "constant"])
def test_collinear_features_reach_the_minimum_norm_fit(cancer, method, extra):
  # A copy of feature 0, or a constant column beside the intercept, makes the Hessian singular:
  # Newton's LU solve sees a zero pivot there and takes the pseudo-inverse step instead.
  # Either way the fit is scikit-learn's on the five independent features, with the weight shared
  # equally between the two equal columns (the minimum-norm answer, from w = 0).
  xs, labels = cancer[0][:, :5].astype(np.float32), cancer[1]
  ref = _sk(xs.astype(np.float64), labels, np.inf)
  want = np.r_[ref.coef_[0], ref.intercept_]
  col = xs[:, :1] if extra == "duplicate" else np.ones((len(xs), 1), np.float32)
  steps = 50 if method == "newton" else 500
  res = lm.fit_logistic(np.c_[xs, col], labels, method=method, num_steps=steps)
  assert bool(res.converged) and not bool(res.diverged)
  w, b = np.asarray(res.params.w, np.float64), float(res.params.b)
  if extra == "duplicate":  # w₀ x₀ + w₅ x₀
    got, pair = np.r_[w[0] + w[5], w[1:5], b], (w[0], w[5])
  else:                     # w₅ · 1 + b
    got, pair = np.r_[w[:5], w[5] + b], (w[5], b)
  assert np.linalg.norm(got - want) / np.linalg.norm(want) <= 1e-3
  np.testing.assert_allclose(pair[0], pair[1], rtol=1e-2, atol=1e-3 * np.abs(want).max())


def test_penalised_matches_sklearn(x64, cancer):
  xs, labels = cancer
  C = 0.5
  ref = _sk(xs, labels, C)
  res = lm.fit_logistic(xs, labels, 1.0 / (C * len(xs)))  # sklearn's C ↔ l2 = 1/(C n)
  np.testing.assert_allclose(res.params.w, ref.coef_[0], rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(res.params.b, ref.intercept_[0], rtol=1e-5)


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
def test_separable_full_breast_cancer_is_reported(cancer, method):
  xs, labels = cancer
  res = lm.fit_logistic(xs.astype(np.float32), labels, method=method)
  assert bool(res.separated) and not bool(res.converged)
  assert all(np.isfinite(np.asarray(leaf)).all() for leaf in jax.tree_util.tree_leaves(res.params))
  # The same data with a ridge penalty have a finite, converged answer.
  ok = lm.fit_logistic(xs.astype(np.float32), labels, 1e-3, method="newton")
  assert bool(ok.converged) and not bool(ok.separated)


def test_gd_on_separable_data_does_not_claim_convergence(cancer):
  # GD creeps towards the (non-existent) optimum too slowly to certify separation in its steps;
  # it must still not report convergence.
  res = lm.fit_logistic(cancer[0].astype(np.float32), cancer[1], method="gd", num_steps=2000)
  assert not bool(res.converged)


def test_gd_and_lbfgs_reach_newton():
  xs, labels = lm.make_blobs(jax.random.key(2), 300, 3, separation=1.0)
  newton = lm.fit_logistic(xs, labels, method="newton")
  for method, steps in [("gd", 5000), ("lbfgs", 300)]:
    res = lm.fit_logistic(xs, labels, method=method, num_steps=steps)
    np.testing.assert_allclose(res.params.w, newton.params.w, rtol=2e-3, atol=2e-3)
  # The GD history with the default 1/L step never increases (convex, L-smooth).
  gd = lm.fit_logistic(xs, labels, method="gd", num_steps=500)
  assert np.all(np.diff(np.asarray(gd.losses)) <= 1e-6)


def test_l2_sweep_under_vmap(cancer):
  xs, labels = cancer[0][:, :5].astype(np.float32), cancer[1]
  l2s = jnp.array([1e-3, 1e-2, 1e-1, 1.0])
  ws = jax.jit(jax.vmap(lambda l2: lm.fit_logistic(xs, labels, l2).params.w))(l2s)
  norms = np.linalg.norm(np.asarray(ws), axis=1)
  assert np.all(np.diff(norms) < 0)  # more penalty, smaller weights


def test_lecture_gradient_and_sigmoid_identities(x64, rng):
  xs = rng.normal(size=(40, 3))
  labels = (rng.uniform(size=40) < 0.5).astype(float)
  p = lm.LinearParams(jnp.asarray(rng.normal(size=3)), jnp.asarray(0.2))
  g = jax.jit(lm.bce_gradient)(p, xs, labels)
  g_auto = jax.jit(jax.grad(lm.lecture_bce))(p, xs, labels)
  np.testing.assert_allclose(g.w, g_auto.w, rtol=1e-12)
  np.testing.assert_allclose(g.b, g_auto.b, rtol=1e-12)
  z = jnp.linspace(-30, 30, 101)
  np.testing.assert_allclose(lm.sigmoid(z), 1 / (1 + np.exp(-np.asarray(z))), rtol=1e-14)
  np.testing.assert_allclose(jax.jit(lm.sigmoid_derivative)(z), jax.jit(jax.vmap(jax.grad(lm.sigmoid)))(z),
                             rtol=1e-12)
  # The lecture's BCE from probabilities equals ours from logits where both are finite.
  yhat = 1 / (1 + np.exp(-(xs @ np.asarray(p.w) + 0.2)))
  naive = -np.sum(labels * np.log(yhat) + (1 - labels) * np.log(1 - yhat))
  np.testing.assert_allclose(lm.lecture_bce(p, xs, labels), naive, rtol=1e-12)
  # Newton's explicit IRLS Hessian equals jax.hessian of the objective.
  from jax.flatten_util import ravel_pytree
  flat, unravel = ravel_pytree(p)
  h_auto = jax.jit(jax.hessian(lambda f: lm.logistic_loss(unravel(f), xs, labels, 0.3)))(flat)
  np.testing.assert_allclose(jax.jit(lm.irls_hessian)(p, xs, 0.3), h_auto, rtol=1e-10)


def test_losses_and_gradients_finite_for_huge_logits_float32():
  z = jnp.array([-1e4, -100.0, 0.0, 100.0, 1e4], jnp.float32)
  for y in (0.0, 1.0):
    labels = jnp.full(5, y)
    loss = lm.binary_cross_entropy(z, labels)
    grad = jax.grad(lambda z: jnp.sum(lm.binary_cross_entropy(z, labels)))(z)
    assert np.isfinite(np.asarray(loss)).all() and np.isfinite(np.asarray(grad)).all()
    np.testing.assert_allclose(grad, jax.nn.sigmoid(z) - y, atol=1e-6)  # dBCE/dz = σ(z) - y
  np.testing.assert_allclose(lm.binary_cross_entropy(z[:1], jnp.ones(1)), [1e4], rtol=1e-6)
  # The naive formula overflows where ours does not.
  with np.errstate(divide="ignore", over="ignore"):
    assert np.isinf(-np.log(1 / (1 + np.exp(np.float32(1e4)))))
  xs = jnp.array([[1.0], [-1.0]], jnp.float32)
  p = lm.LinearParams(jnp.array([1e4], jnp.float32), jnp.float32(0.0))
  g = jax.grad(lm.logistic_loss)(p, xs, jnp.array([0.0, 1.0]))
  assert np.isfinite(np.asarray(g.w)).all()


def test_mse_on_sigmoid_is_not_convex_and_bce_is(rng):
  xs = jnp.asarray(rng.normal(size=(30, 2)), jnp.float32)
  labels = jnp.asarray((rng.uniform(size=30) < 0.5).astype(np.float32))
  points = lm.grid(-8.0, 8.0, 21, 2)
  as_params = lambda w: lm.LinearParams(w, jnp.float32(0.0))
  mse_eigs = lm.min_hessian_eigenvalue(lambda w: lm.sigmoid_mse_loss(as_params(w), xs, labels), points)
  bce_eigs = lm.min_hessian_eigenvalue(lambda w: lm.lecture_bce(as_params(w), xs, labels), points)
  assert float(mse_eigs.min()) < -1e-2  # clear negative curvature somewhere
  # BCE: H = Xᵀ diag(σ(1-σ)) X ⪰ 0; allow float32 rounding relative to the largest eigenvalue.
  scale = float(jnp.abs(bce_eigs).max())
  assert float(bce_eigs.min()) >= -1e-5 * max(scale, 1.0)
  # One point as a flat [p] vector (a TypeError about a transpose permutation before):
  with pytest.raises(ValueError, match=r"points must be \[m, p\] .* points\[None\]\), got shape \(2,\)"):
    lm.hessian_eigenvalues(lambda w: jnp.sum(w ** 2), points[0])


def test_predictions_threshold_at_one_half():
  p = lm.LinearParams(jnp.array([1.0]), jnp.array(-1.0))
  xs = jnp.array([[0.0], [1.0], [2.0]])
  np.testing.assert_array_equal(lr.predict_labels(p, xs), [0, 1, 1])  # step(0) = 1
  np.testing.assert_allclose(lr.predict_proba(p, xs), [0.26894142, 0.5, 0.73105858], rtol=1e-6)


@pytest.mark.parametrize("labels,match", [
    ([1, 1, 1, 1], "single class"),
    ([0, 1, 2, 1], r"outside the allowed set \[0, 1\]"),
    ([0, 1, 1], "has 3 entries but xs has 4 examples"),
])
def test_bad_labels(labels, match):
  with pytest.raises(ValueError, match=match):
    lm.fit_logistic(np.eye(4), labels)


def test_fused_logistic_loss_equals_logistic_loss_with_gradients(x64, rng):
  from linmodels.logistic_regression import fused_logistic_loss, logistic_loss
  xs = rng.normal(size=(300, 5))
  labels = (rng.uniform(size=300) < 0.4).astype(np.float64)
  p = lm.LinearParams(jnp.asarray(rng.normal(size=5)), jnp.asarray(0.3))
  # Each side compiled as one program (op-by-op it took 8 s of the suite).
  v, g = jax.jit(jax.value_and_grad(fused_logistic_loss))(p, xs, labels, 0.1)
  v_ref, g_ref = jax.jit(jax.value_and_grad(logistic_loss))(p, xs, labels, 0.1)
  np.testing.assert_allclose(v, v_ref, rtol=1e-12)
  np.testing.assert_allclose(g.w, g_ref.w, rtol=1e-11)
  np.testing.assert_allclose(g.b, g_ref.b, rtol=1e-11)
  dx, dy = jax.jit(jax.grad(fused_logistic_loss, argnums=(1, 2)))(p, xs, labels)
  dx_ref, dy_ref = jax.jit(jax.grad(logistic_loss, argnums=(1, 2)))(p, xs, labels)
  np.testing.assert_allclose(dx, dx_ref, rtol=1e-11, atol=1e-15)
  np.testing.assert_allclose(dy, dy_ref, rtol=1e-11, atol=1e-15)
  # The blocked IRLS Hessian against jax.hessian of the loss, with blocks and a remainder.
  h = jax.jit(lm.irls_hessian)(p, xs, 0.1)
  from jax.flatten_util import ravel_pytree
  flat, unravel = ravel_pytree(p)
  h_ref = jax.jit(jax.hessian(lambda f: logistic_loss(unravel(f), xs, labels, 0.1)))(flat)
  np.testing.assert_allclose(h, h_ref, rtol=1e-10, atol=1e-13)


def test_value_grad_hessian_pass_over_blocks_matches_autodiff(x64, rng, monkeypatch):
  # Blocks of 256 rows (the CPU minimum) over 701 rows: two full blocks and an overlapping,
  # masked remainder; the one pass must equal jax's value, gradient and Hessian of the loss.
  from linmodels import row_passes
  monkeypatch.setattr(row_passes, "_CPU_BLOCK_BYTES", 1)
  xs = rng.normal(size=(701, 5))
  labels = (rng.uniform(size=701) < 0.4).astype(np.float64)
  p = lm.LinearParams(jnp.asarray(rng.normal(size=5)), jnp.asarray(0.3))
  value, grad, hess = jax.jit(lm.logistic_value_grad_hessian)(p, xs, labels, 0.1)
  v_ref, g_ref = jax.jit(jax.value_and_grad(lm.logistic_loss))(p, xs, labels, 0.1)
  from jax.flatten_util import ravel_pytree
  flat, unravel = ravel_pytree(p)
  h_ref = jax.jit(jax.hessian(lambda f: lm.logistic_loss(unravel(f), xs, labels, 0.1)))(flat)
  np.testing.assert_allclose(value, v_ref, rtol=1e-12)
  np.testing.assert_allclose(grad.w, g_ref.w, rtol=1e-11)
  np.testing.assert_allclose(grad.b, g_ref.b, rtol=1e-11)
  np.testing.assert_allclose(hess, h_ref, rtol=1e-10, atol=1e-13)
  np.testing.assert_allclose(jax.jit(lm.irls_hessian)(p, xs, 0.1), h_ref, rtol=1e-10, atol=1e-13)


def _implicit_reference(xs, labels, l2):
  """float64: scikit-learn's optimum of mean BCE + ½ l2 ‖w‖², its Hessian H = Zᵀ diag(p(1-p)) Z / n
  + diag(l2, .., l2, 0) with Z = [X 1], and the residuals p - y."""
  n, d = xs.shape
  ref = _sk(xs, labels, 1.0 / (l2 * n))
  theta = np.r_[ref.coef_[0], ref.intercept_[0]]
  z = np.c_[xs, np.ones(n)]
  p = 1.0 / (1.0 + np.exp(-(z @ theta)))
  hess = (z * (p * (1 - p))[:, None]).T @ z / n + l2 * np.diag(np.r_[np.ones(d), 0.0])
  return theta, hess, p - labels


@pytest.mark.parametrize("method", ["newton", "lbfgs", "gd"])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_derivative_in_l2_and_xs_is_the_implicit_one(x64, cancer, method, mode):
  # The fit ends in a while loop; its answer carries the implicit derivative of the minimum
  # (optimize.implicit_minimum), in forward and reverse mode. At the optimum of
  # J = mean BCE + ½ l2 ‖w‖²:  dθ/dl2 = -H⁻¹ [w; 0], and for a functional c·θ,
  # d(c·θ)/dX = -(1/n) (r vᵀ + σ'(zθ) (Z v)(θ_w)ᵀ) with v = H⁻¹c (from ∂∇J/∂X), θ, H from
  # scikit-learn and numpy.
  xs, labels = cancer
  xs = ((xs - xs.mean(0)) / xs.std(0))[:200, :6]
  labels = labels[:200]
  n, d = xs.shape
  l2 = 0.05
  theta, hess, r = _implicit_reference(xs, labels, l2)
  c = np.linspace(-1.0, 1.0, d + 1)
  steps = {"gd": 20_000}.get(method)

  def f(xs, l2):
    p = lm.fit_logistic(xs, labels, l2, method=method, num_steps=steps).params
    return jnp.dot(c, jnp.append(p.w, p.b))

  if mode == "forward":
    g_l2 = jax.jacfwd(f, argnums=1)(xs, l2)
    g_x = jax.jacfwd(f, argnums=0)(xs, l2)
  else:
    g_x, g_l2 = jax.grad(f, argnums=(0, 1))(xs, l2)
  v = np.linalg.solve(hess, c)
  np.testing.assert_allclose(g_l2, -v @ np.r_[theta[:d], 0.0], rtol=1e-4)
  z = np.c_[xs, np.ones(n)]
  p = r + labels
  want_x = -(np.outer(r, v[:d]) + np.outer(p * (1 - p) * (z @ v), theta[:d])) / n
  np.testing.assert_allclose(g_x, want_x, rtol=1e-4, atol=1e-6 * np.abs(want_x).max())
