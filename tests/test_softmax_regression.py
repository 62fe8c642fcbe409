"""Softmax regression: the lecture's numbers and identities, scikit-learn, and C = 2 = logistic."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import linmodels as lm
from linmodels import logistic_regression as lr
from linmodels import softmax_regression as sr


def test_lecture_example():
  # The slide: [1, 2, 3, 2, 1] -> [0.0674, 0.183, 0.498, 0.183, 0.0674] (3 significant digits).
  got = lm.softmax(jnp.array([1.0, 2.0, 3.0, 2.0, 1.0]))
  np.testing.assert_allclose(got, [0.0674, 0.183, 0.498, 0.183, 0.0674], rtol=2e-3)
  np.testing.assert_allclose(jnp.sum(got), 1.0, rtol=1e-6)


def test_stable_for_large_inputs():
  big = lm.softmax(jnp.array([1000.0, 1001.0, 999.0], jnp.float32))
  np.testing.assert_allclose(big, lm.softmax(jnp.array([1.0, 2.0, 0.0])), rtol=1e-6)
  z = jnp.array([[1e4, -1e4, 0.0]], jnp.float32)
  for labels in (jnp.array([1]), jnp.array([0])):
    loss = lm.cross_entropy(z, labels)
    grad = jax.grad(lambda z: jnp.sum(lm.cross_entropy(z, labels)))(z)
    assert np.isfinite(np.asarray(loss)).all() and np.isfinite(np.asarray(grad)).all()


def test_jacobian_matches_jacfwd(x64, rng):
  z = jnp.asarray(rng.normal(size=6))
  np.testing.assert_allclose(lm.softmax_jacobian(z), jax.jacfwd(lm.softmax)(z), rtol=1e-12, atol=1e-15)
  y = np.asarray(lm.softmax(z))
  np.testing.assert_allclose(lm.softmax_jacobian(z)[1, 2], -y[1] * y[2], rtol=1e-12)
  np.testing.assert_allclose(lm.softmax_jacobian(z)[3, 3], y[3] * (1 - y[3]), rtol=1e-12)
  # A batch of score vectors gives one Jacobian each (it raised a broadcasting error before).
  zs = jnp.asarray(rng.normal(size=(4, 5)))
  np.testing.assert_allclose(lm.softmax_jacobian(zs), jax.vmap(jax.jacfwd(lm.softmax))(zs),
                             rtol=1e-12, atol=1e-15)


def test_cross_entropy_gradient_is_yhat_minus_y(x64, rng):
  logits = jnp.asarray(rng.normal(size=(5, 4)))
  labels = jnp.asarray(rng.integers(0, 4, size=5))
  onehot = lm.one_hot(labels, 4)
  np.testing.assert_allclose(lm.cross_entropy(logits, labels), lm.cross_entropy(logits, onehot), rtol=1e-12)
  grad = jax.grad(lambda z: jnp.sum(lm.cross_entropy(z, labels)))(logits)
  np.testing.assert_allclose(grad, lm.cross_entropy_logit_gradient(logits, onehot), rtol=1e-12, atol=1e-15)
  # CE equals -Σ y log ŷ computed naively where that is finite.
  naive = -np.sum(np.asarray(onehot) * np.log(np.asarray(lm.softmax(logits))), axis=1)
  np.testing.assert_allclose(lm.cross_entropy(logits, labels), naive, rtol=1e-12)


@pytest.fixture(scope="module")
def wine2():
  xs, labels = lm.load_wine()
  return np.asarray(xs[:, [0, 1]], np.float64), np.asarray(labels)  # alcohol, malic acid: overlap


@pytest.mark.parametrize("method,steps", [("lbfgs", 500), ("newton", 30)])
def test_unpenalised_matches_sklearn_probabilities(x64, wine2, method, steps):
  xs, labels = wine2
  ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(xs, labels)
  res = lm.fit_softmax(xs, labels, method=method, num_steps=steps)
  assert bool(res.converged) and not bool(res.separated)
  np.testing.assert_allclose(sr.predict_proba(res.params, xs), ref.predict_proba(xs), atol=1e-6)
  np.testing.assert_allclose(sr.accuracy(sr.predict_labels(res.params, xs), labels),
                             ref.score(xs, labels), rtol=1e-6)


def test_value_grad_hessian_pass_over_blocks_matches_autodiff(x64, rng, monkeypatch):
  # Blocks of 256 rows (the CPU minimum) over 701 rows: two full blocks and an overlapping,
  # masked remainder; the one pass must equal jax's value, gradient and Hessian of the loss,
  # in ravel_pytree's order of [W; b].
  from jax.flatten_util import ravel_pytree
  from linmodels import row_passes
  monkeypatch.setattr(row_passes, "_CPU_BLOCK_BYTES", 1)
  xs = rng.normal(size=(701, 5))
  labels = rng.integers(0, 4, size=701)
  p = lm.LinearParams(jnp.asarray(rng.normal(size=(5, 4))), jnp.asarray(rng.normal(size=4)))
  value, grad, hess = jax.jit(lm.softmax_value_grad_hessian)(p, xs, labels, 0.1)
  v_ref, g_ref = jax.jit(jax.value_and_grad(lm.softmax_loss))(p, xs, labels, 0.1)
  flat, unravel = ravel_pytree(p)
  h_ref = jax.jit(jax.hessian(lambda f: lm.softmax_loss(unravel(f), xs, labels, 0.1)))(flat)
  np.testing.assert_allclose(value, v_ref, rtol=1e-12)
  np.testing.assert_allclose(grad.w, g_ref.w, rtol=1e-11, atol=1e-14)
  np.testing.assert_allclose(grad.b, g_ref.b, rtol=1e-11, atol=1e-14)
  np.testing.assert_allclose(hess, h_ref, rtol=1e-10, atol=1e-13)


def test_fused_loss_over_blocks_matches_softmax_loss_with_gradients(x64, rng, monkeypatch):
  # The same blocks as above (two full, one masked remainder); the data's cotangent too.
  from linmodels import row_passes
  monkeypatch.setattr(row_passes, "_CPU_BLOCK_BYTES", 1)
  xs = rng.normal(size=(701, 5))
  labels = rng.integers(0, 4, size=701)
  p = lm.LinearParams(jnp.asarray(rng.normal(size=(5, 4))), jnp.asarray(rng.normal(size=4)))
  v, g = jax.jit(jax.value_and_grad(lm.fused_softmax_loss))(p, xs, labels, 0.1)
  v_ref, g_ref = jax.jit(jax.value_and_grad(lm.softmax_loss))(p, xs, labels, 0.1)
  np.testing.assert_allclose(v, v_ref, rtol=1e-12)
  np.testing.assert_allclose(g.w, g_ref.w, rtol=1e-11, atol=1e-14)
  np.testing.assert_allclose(g.b, g_ref.b, rtol=1e-11, atol=1e-14)
  dx = jax.jit(jax.grad(lm.fused_softmax_loss, argnums=1))(p, xs, labels)
  dx_ref = jax.jit(jax.grad(lm.softmax_loss, argnums=1))(p, xs, labels)
  np.testing.assert_allclose(dx, dx_ref, rtol=1e-11, atol=1e-15)


def test_penalised_matches_sklearn_on_iris(x64):
  xs, labels = lm.load_iris()
  xs, labels = np.asarray(xs), np.asarray(labels)
  ref = LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000).fit(xs, labels)
  res = lm.fit_softmax(xs, labels, 1.0 / len(xs))
  np.testing.assert_allclose(res.params.w, ref.coef_.T, rtol=1e-5, atol=1e-6)  # penalty fixes W
  np.testing.assert_allclose(sr.predict_proba(res.params, xs), ref.predict_proba(xs), atol=1e-7)


def test_gd_reaches_lbfgs(wine2):
  xs, labels = wine2[0].astype(np.float32), wine2[1]
  a = lm.fit_softmax(xs, labels, method="gd", num_steps=3000)
  b = lm.fit_softmax(xs, labels, method="lbfgs")
  np.testing.assert_allclose(sr.predict_proba(a.params, xs), sr.predict_proba(b.params, xs), atol=2e-3)


def test_two_classes_is_logistic_regression(x64):
  xs, labels = lm.load_breast_cancer()
  xs, labels = np.asarray(xs[:, :5]), np.asarray(labels)
  soft = lm.fit_softmax(xs, labels, method="newton", num_steps=30)
  logi = lm.fit_logistic(xs, labels)
  # Same probabilities: softmax([z0, z1])_1 = σ(z1 - z0).
  np.testing.assert_allclose(sr.predict_proba(soft.params, xs)[:, 1], lr.predict_proba(logi.params, xs),
                             atol=1e-9)
  # Same decision boundary: w = w1 - w0, b = b1 - b0 (the softmax weights are only defined up to a
  # common shift, their difference is unique).
  np.testing.assert_allclose(soft.params.w[:, 1] - soft.params.w[:, 0], logi.params.w, rtol=1e-6)
  np.testing.assert_allclose(soft.params.b[1] - soft.params.b[0], logi.params.b, rtol=1e-6)
  # And for any parameters, not only fitted ones: softmax of [0, z] is σ(z).
  z = jnp.linspace(-20, 20, 41)
  np.testing.assert_allclose(lm.softmax(jnp.stack([jnp.zeros_like(z), z], 1))[:, 1], lm.sigmoid(z), rtol=1e-12)


def test_separated_multiclass_is_reported():
  xs, labels = lm.make_blobs(jax.random.key(0), 60, 2, num_classes=3, separation=10.0, std=0.5)
  res = lm.fit_softmax(xs, labels)
  assert bool(res.separated) and not bool(res.converged)


@pytest.mark.parametrize("labels,match", [
    ([0, 0, 0, 0], "single class"),
    ([0, 1, 5, 1], r"outside the allowed set"),
    ([0, 1, -1, 1], r"outside the allowed set"),
])
def test_bad_labels(labels, match):
  with pytest.raises(ValueError, match=match):
    lm.fit_softmax(np.eye(4), labels, num_classes=3)


@pytest.mark.parametrize("labels,num_classes,match", [
    ([0, 0, 0, 0], 1, "num_classes must be at least 2, got 1"),
    ([0, 1, 0, 1], 0, "num_classes must be at least 2, got 0"),
    # Inferred from max(labels) + 1 (at least 2): negative labels are named, not an empty set.
    ([-1, -2, -1, -1], None, r"values \[-2, -1\] outside the allowed set \[0, 1\]"),
])
def test_bad_num_classes(labels, num_classes, match):
  with pytest.raises(ValueError, match=match):
    lm.fit_softmax(np.eye(4), labels, num_classes=num_classes)


def test_one_hot_rejects_labels_it_would_zero(rng):
  labels = rng.integers(0, 4, size=50)
  np.testing.assert_array_equal(np.asarray(lm.one_hot(labels, 4)), np.eye(4)[labels])
  # jax.nn.one_hot turns 4 (of 4 classes) or -1 into a row of zeros: a zero cross-entropy.
  for bad in (4, -1):
    with pytest.raises(ValueError, match=rf"values \[{bad}\] outside the allowed set \[0, 1, 2, 3\]"):
      lm.one_hot(np.r_[labels, bad], 4)
  with pytest.raises(ValueError, match="must be integers"):
    lm.one_hot(np.array([0.0, 1.5]), 4)
  with pytest.raises(ValueError, match="num_classes must be at least 1, got 0"):
    lm.one_hot(labels, 0)
  # Traced labels are not checked: under jit the out-of-range row is jax.nn.one_hot's zeros.
  row = jax.jit(lambda l: lm.one_hot(l, 4))(jnp.array([4]))
  np.testing.assert_array_equal(np.asarray(row), np.zeros((1, 4)))


def test_accuracy_needs_equal_shapes(rng):
  pred, labels = rng.integers(0, 3, size=40), rng.integers(0, 3, size=40)
  assert float(lm.accuracy(pred, labels)) == pytest.approx(np.mean(pred == labels))
  # A [n, 1] column against [n] labels broadcasts to [n, n] comparisons: refused, with shapes.
  with pytest.raises(ValueError, match=r"accuracy: predicted have shape \(40, 1\) but labels \(40,\)"):
    lm.accuracy(pred[:, None], labels)


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
def test_gradient_in_l2_is_the_implicit_one(x64, method):
  # jax.grad through the early-exit fit (optimize.implicit_minimum): dθ/dl2 = -H⁺ [W; 0] at the
  # optimum, with θ from scikit-learn and H = mean (aaᵀ) ⊗ (diag(p) - ppᵀ) + l2 on W, a = [x 1],
  # from numpy. H is singular along a common shift of the biases; its pseudo-inverse leaves the
  # W part of the derivative unique (the right-hand side has no bias part).
  xs, labels = lm.load_iris()
  xs, labels = np.asarray(xs), np.asarray(labels)
  n, d = xs.shape
  l2 = 1.0 / n
  ref = LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000).fit(xs, labels)
  w, b = ref.coef_.T, ref.intercept_          # [d, 3], [3]
  a = np.c_[xs, np.ones(n)]
  z = a @ np.r_[w, b[None]]
  p = np.exp(z - z.max(1, keepdims=True))
  p /= p.sum(1, keepdims=True)
  hess = sum(np.kron(np.outer(ai, ai), np.diag(pi) - np.outer(pi, pi)) for ai, pi in zip(a, p)) / n
  hess += l2 * np.diag(np.r_[np.ones(d * 3), np.zeros(3)])
  want = -(np.linalg.pinv(hess) @ np.r_[w.ravel(), np.zeros(3)])[:d * 3].reshape(d, 3)
  c = np.arange(d * 3, dtype=np.float64).reshape(d, 3)
  got = jax.grad(lambda l2: jnp.sum(c * lm.fit_softmax(xs, labels, l2, method=method).params.w))(l2)
  np.testing.assert_allclose(got, np.sum(c * want), rtol=1e-4)


def test_gradient_in_xs_matches_central_differences_of_the_fit(x64):
  # Reverse mode in the data, against central differences of converged Newton fits.
  xs, labels = lm.load_iris()
  xs, labels = np.asarray(xs), np.asarray(labels)
  c = np.arange(12.0).reshape(4, 3)
  f = lambda x: float(np.sum(c * np.asarray(lm.fit_softmax(x, labels, 0.01).params.w)))
  g = jax.grad(lambda x: jnp.sum(c * lm.fit_softmax(x, labels, 0.01).params.w))(xs)
  h = 1e-6
  for i, j in [(0, 0), (50, 2), (120, 3)]:
    xp, xm = xs.copy(), xs.copy()
    xp[i, j] += h
    xm[i, j] -= h
    np.testing.assert_allclose(g[i, j], (f(xp) - f(xm)) / (2 * h), rtol=1e-5)
