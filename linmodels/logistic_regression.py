"""Logistic regression: ``p(y = 1 | x; w) = σ(wᵀx + b)``, fitted by minimising the binary
cross-entropy (the Bernoulli negative log-likelihood).

* ``σ(x) = 1 / (1 + e⁻ˣ)`` is ``jax.nn.sigmoid``; its derivative ``σ(1 - σ)``.
* The lecture's loss ``BCE(w) = -Σ y log ŷ + (1 - y) log(1 - ŷ)`` is computed from logits
  (``linmodels.losses.binary_cross_entropy``); its gradient ``Xᵀ(σ(Xw) - Y)``.
* MSE on a sigmoid is available as a loss to show that it is not convex
  (``linmodels.convexity``).
* Fitting: the lecture's gradient descent, Newton's method (IRLS, with the Hessian
  ``[X 1]ᵀ diag(σ(1 - σ)) [X 1] / n`` formed in one pass), and L-BFGS (optax).

Separable data: if some ``w`` classifies every training example correctly, then ``c·w`` for
``c → ∞`` drives the unpenalised BCE to 0 and no minimiser exists; every solver's weights then
grow without bound. ``fit_logistic`` checks for this certificate and reports ``separated=True``
(with ``converged=False``) instead of handing back large numbers as if they were an answer; add
``l2 > 0`` for a finite solution.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from linmodels import checks, losses, row_passes
from linmodels.linear import HIGHEST, LinearParams, predict
from linmodels.optimize import STEP_SIZE_SOLVERS, FitResult, fit_at_values, minimize
from linmodels.solver_jit import solver_jit

Array = jax.Array

sigmoid = jax.nn.sigmoid


def sigmoid_derivative(x: Array) -> Array:
  """``dσ/dx = σ(x)(1 - σ(x))``, the lecture's identity.

  >>> sigmoid_derivative(jnp.array(0.0))
  Array(0.25, dtype=float32, weak_type=True)
  """
  s = sigmoid(x)
  return s * (1.0 - s)


def step(x: Array) -> Array:
  """The lecture's ``step(x) = 1 if x ≥ 0 else 0`` (int32)."""
  return (x >= 0).astype(jnp.int32)


def predict_proba(params: LinearParams, xs: Array) -> Array:
  """``p(y = 1 | x) = σ(wᵀx + b)``: `[n, d]` → `[n]` (or `[d]` → `[]`)."""
  return sigmoid(predict(params, xs))


def predict_labels(params: LinearParams, xs: Array) -> Array:
  """Thresholded prediction ``step(wᵀx + b)`` (``p ≥ ½``): `[n, d]` → `[n]` int32 in {0, 1}."""
  return step(predict(params, xs))


def lecture_bce(params: LinearParams, xs: Array, labels: Array) -> Array:
  """The lecture's summed ``BCE(w) = -Σᵢ yᵢ log ŷᵢ + (1 - yᵢ) log(1 - ŷᵢ)``, from logits."""
  return jnp.sum(losses.binary_cross_entropy(predict(params, xs), labels))


def logistic_loss(params: LinearParams, xs: Array, labels: Array,
                  l2: Array | float = 0.0) -> Array:
  """The objective the fitters minimise: ``mean BCE + ½ l2 ‖w‖²`` (the bias is not penalised).

  The mean (rather than the lecture's sum) keeps one learning rate and tolerance valid for any
  ``n``; the minimiser is the same. scikit-learn's ``LogisticRegression(C)`` minimises
  ``C Σ BCE + ½‖w‖²``, the same problem with ``l2 = 1 / (C n)``.
  """
  return (jnp.mean(losses.binary_cross_entropy(predict(params, xs), labels))
          + 0.5 * l2 * jnp.sum(params.w * params.w))


def sigmoid_mse_loss(params: LinearParams, xs: Array, labels: Array) -> Array:
  """The lecture's ``MSE(w) = ½ Σᵢ (yᵢ - σ(wᵀxᵢ))²``: a valid loss, but not convex in ``w``."""
  return jnp.sum(losses.sigmoid_squared_error(predict(params, xs), labels))


def bce_gradient(params: LinearParams, xs: Array, labels: Array) -> LinearParams:
  """The lecture's gradient of the summed BCE: ``∂BCE/∂w = Xᵀ(σ(Xw) - Y)`` (and ``Σ(σ - y)`` for b).

  >>> import jax
  >>> p = LinearParams(jnp.array([0.3, -0.2]), jnp.array(0.1))
  >>> xs, ys = jnp.array([[1.0, 2.0], [-1.0, 0.5]]), jnp.array([1.0, 0.0])
  >>> bool(jnp.allclose(bce_gradient(p, xs, ys).w, jax.grad(lecture_bce)(p, xs, ys).w))
  True
  """
  p = predict_proba(params, xs)
  checks.check_same_shape("bce_gradient", p, "probabilities predict_proba(params, xs)", labels,
                          "labels")
  r = jnp.where(checks.labels_in_range("bce_gradient", labels), p - labels, jnp.nan)
  return LinearParams(w=jnp.matmul(xs.T, r, precision=HIGHEST), b=jnp.sum(r))


def irls_hessian(params: LinearParams, xs: Array, l2: Array | float = 0.0) -> Array:
  """Hessian of ``logistic_loss`` over the flattened ``[w, b]``: ``[X 1]ᵀ S [X 1] / n + l2·diag(1..1, 0)``
  with ``S = diag(σ(z)(1 - σ(z)))``. `[(d + 1), (d + 1)]`.

  Formed in one blocked pass over the rows (``row_passes.reduce_rows``): the column of ones and
  the scaled rows exist one block at a time, never as copies of ``X`` (100k×100 float32 on 2
  CPU cores: 39 ms against 78 ms for the whole copies).
  """
  return _irls_pass(params, xs, None, l2)[2]


def logistic_value_grad_hessian(params: LinearParams, xs: Array, labels: Array,
                                l2: Array | float = 0.0) -> tuple[Array, LinearParams, Array]:
  """``logistic_loss``, its gradient and ``irls_hessian``, all from one pass over ``X``: what a
  Newton (IRLS) step needs (``optimize.newton_linesearch``).

  Args:
    params: ``LinearParams`` with `w` `[d]`, `b` `[]`.
    xs: `[n, d]` inputs.
    labels: `[n]` float targets in {0, 1}.
    l2: `[]` ridge strength (the bias is not penalised).

  Returns:
    ``(loss [], gradient LinearParams, hessian [(d + 1), (d + 1)])``.

  >>> p = LinearParams(jnp.array([0.3, -0.2]), jnp.array(0.1))
  >>> xs, ys = jnp.array([[1.0, 2.0], [-1.0, 0.5], [0.2, 0.1]]), jnp.array([1.0, 0.0, 1.0])
  >>> value, grad, hess = logistic_value_grad_hessian(p, xs, ys, 0.1)
  >>> g = jax.grad(logistic_loss)(p, xs, ys, 0.1)
  >>> bool(jnp.allclose(value, logistic_loss(p, xs, ys, 0.1)) and jnp.allclose(grad.w, g.w))
  True
  >>> hess.shape
  (3, 3)
  """
  return _irls_pass(params, xs, labels, l2)


@jax.jit
def _irls_pass(params, xs, labels, l2):
  """``(loss, grad, hessian)`` in one blocked pass over the rows; loss and grad are ``None``
  without labels.

  Per block, with ``A = [X 1]``, ``s = σ(z)(1 - σ(z))`` and ``r = σ(z) - y``, one matrix product
  ``[s·A | r]ᵀ A`` gives the Hessian's rows and the gradient together (on the breast-cancer data
  23 µs an evaluation against 31 µs for separate products and sums; at 100k×100 the same 31 ms).
  """
  n, d = xs.shape
  dtype = xs.dtype
  theta = jnp.concatenate([params.w, params.b[None]])

  def fn(acc, mask, xb, *yb):
    total, m = acc
    xa = jnp.concatenate([xb, jnp.ones((xb.shape[0], 1), dtype)], axis=1)
    z = jnp.matmul(xa, theta, precision=HIGHEST)
    sb = sigmoid_derivative(z)
    sb = sb if mask is None else sb * mask
    cols = [xa * sb[:, None]]
    if yb:
      r = sigmoid(z) - yb[0]
      bce = losses.binary_cross_entropy(z, yb[0])
      if mask is not None:
        r, bce = r * mask, bce * mask
      cols.append(r[:, None])
      total = total + jnp.sum(bce)
    return total, m + jnp.matmul(jnp.concatenate(cols, axis=1).T, xa, precision=HIGHEST)

  rows = d + 1 if labels is None else d + 2
  init = (jnp.zeros((), dtype), jnp.zeros((rows, d + 1), dtype))
  total, m = row_passes.reduce_rows(fn, init, (xs,) if labels is None else (xs, labels))
  m = m / n
  hess = m[:d + 1] + jnp.diag(jnp.concatenate([jnp.full((d,), l2, dtype), jnp.zeros((1,), dtype)]))
  if labels is None:
    return None, None, hess
  value = total / n + 0.5 * l2 * jnp.sum(params.w * params.w)
  return value, LinearParams(m[d + 1, :d] + l2 * params.w, m[d + 1, d]), hess


@jax.jit
def _bce_pass(params, xs, labels):
  """``(Σ BCE, Σ (σ - y) [x 1])`` in one blocked pass over the rows."""
  d = xs.shape[1]

  def fn(acc, mask, xb, yb):
    total, gw, gb = acc
    z = predict(params, xb)
    r = sigmoid(z) - yb
    bce = losses.binary_cross_entropy(z, yb)
    if mask is not None:
      r, bce = r * mask, bce * mask
    return (total + jnp.sum(bce), gw + jnp.matmul(r, xb, precision=HIGHEST), gb + jnp.sum(r))

  init = (jnp.zeros((), xs.dtype), jnp.zeros((d,), xs.dtype), jnp.zeros((), xs.dtype))
  total, gw, gb = row_passes.reduce_rows(fn, init, (xs, labels), gradient=True)
  return total, LinearParams(gw, gb)


_fused_bce = row_passes.mean_over_rows(
    lambda params, xs, labels: losses.binary_cross_entropy(predict(params, xs), labels), _bce_pass)


@jax.jit
def fused_logistic_loss(params: LinearParams, xs: Array, labels: Array,
                        l2: Array | float = 0.0) -> Array:
  """``logistic_loss`` whose value and gradient come from one pass over ``X``.

  The same objective ``mean BCE + ½ l2 ‖w‖²`` with a custom gradient: the lecture's
  ``Xᵀ(σ(Xw + b) - Y) / n`` accumulated blockwise together with the loss (``jax.grad`` of
  ``logistic_loss`` reads ``X`` twice). The fitters use it.

  Args:
    params: ``LinearParams`` with `w` `[d]`, `b` `[]`.
    xs: `[n, d]` inputs.
    labels: `[n]` float targets in {0, 1}.
    l2: `[]` ridge strength (the bias is not penalised).

  Returns:
    `[]` the loss.

  >>> p = LinearParams(jnp.array([0.3, -0.2]), jnp.array(0.1))
  >>> xs, ys = jnp.array([[1.0, 2.0], [-1.0, 0.5], [0.2, 0.1]]), jnp.array([1.0, 0.0, 1.0])
  >>> g1, g2 = jax.grad(fused_logistic_loss)(p, xs, ys), jax.grad(logistic_loss)(p, xs, ys)
  >>> bool(jnp.allclose(g1.w, g2.w) and jnp.allclose(g1.b, g2.b))
  True
  """
  checks.check_same_shape("fused_logistic_loss", (xs.shape[0],), "predictions", labels, "labels")
  return _fused_bce(params, xs, labels) + 0.5 * l2 * jnp.sum(params.w * params.w)


class ClassifierResult(NamedTuple):
  """A classifier fit: the ``FitResult`` fields plus the separation certificate.

  Attributes:
    params: fitted ``LinearParams``.
    losses: `[num_steps]` objective before each step.
    converged: `[]` bool, gradient norm ≤ tol and the data not separated.
    diverged: `[]` bool, see ``linmodels.optimize``.
    grad_norm: `[]` final gradient norm.
    num_steps: `[]` int32 updates applied.
    separated: `[]` bool, the fitted parameters classify every training example correctly while
      ``l2 = 0``: the data are separable and the unpenalised minimiser does not exist.
  """
  params: LinearParams
  losses: Array
  converged: Array
  diverged: Array
  grad_norm: Array
  num_steps: Array
  separated: Array


def with_separation(result: FitResult, separated: Array) -> ClassifierResult:
  """Attaches the separation certificate; a separated fit is never reported as converged."""
  return ClassifierResult(params=result.params, losses=result.losses,
                          converged=result.converged & ~separated, diverged=result.diverged,
                          grad_norm=result.grad_norm, num_steps=result.num_steps,
                          separated=separated)


def smoothness_step(xs: Array, curvature: float, l2: Array | float) -> Array:
  """A safe gradient-descent step ``1 / L`` for a loss whose Hessian is at most
  ``curvature · [X 1]ᵀ[X 1] / n + l2`` (¼ for the BCE, ½ for the softmax cross-entropy)."""
  n = xs.shape[0]
  xa = jnp.concatenate([xs, jnp.ones((n, 1), xs.dtype)], axis=1)
  lam_max = jnp.linalg.eigvalsh(jnp.matmul(xa.T, xa, precision=HIGHEST) / n)[-1]
  return 1.0 / (curvature * lam_max + l2)


def default_tol(dtype) -> float:
  """Gradient-norm tolerance of the classifiers: ``100 eps`` of the dtype."""
  return float(100 * jnp.finfo(dtype).eps)


def fit_logistic(xs: Array, labels: Array, l2: Array | float = 0.0, *, method: str = "newton",
                 num_steps: int | None = None, learning_rate: Array | float | None = None,
                 tol: Array | float | None = None) -> ClassifierResult:
  """Fits logistic regression by minimising ``logistic_loss`` from ``w = 0, b = 0``.

  Args:
    xs: `[n, d]` inputs.
    labels: `[n]` labels in {0, 1} (or {-1, +1}); both classes must be present.
    l2: `[]` L2 strength on ``w`` (traced).
    method: ``"newton"`` (IRLS; default, quadratic convergence), ``"lbfgs"``, ``"gd"`` (the
      lecture's ``w := w - α Xᵀ(σ(Xw) - Y)``, mean form) or ``"adam"``.
    num_steps: steps (static); default 50 for Newton, 500 for L-BFGS, 5000 for GD/Adam.
    learning_rate: for ``"gd"``/``"adam"``; default for GD the safe ``1/L``,
      ``L = λ_max([X 1]ᵀ[X 1]/n)/4 + l2``; 0.01 for Adam.
    tol: gradient-norm tolerance for the early stop; default ``100 eps``.

  Returns:
    A ``ClassifierResult``. Its ``params`` carry the implicit derivative of the minimum in ``xs``
    and ``l2`` (``jax.grad`` and ``jax.jvp``; ``optimize.implicit_minimum``): meaningful for a
    converged fit, not for a separated one, whose minimum is at infinity.

  Raises:
    ValueError: bad shapes or values, labels outside {0, 1}/{-1, 1}, or a single class.

  >>> import jax.numpy as jnp
  >>> xs = jnp.array([[0.0], [1.0], [2.0], [3.0], [1.5], [2.5]])
  >>> res = fit_logistic(xs, jnp.array([0, 0, 1, 1, 1, 0]))
  >>> bool(res.converged), bool(res.separated)
  (True, False)
  """
  if num_steps is None:
    num_steps = {"newton": 50, "lbfgs": 500}.get(method, 5000)
  xs, labels = _check_binary(xs, labels, finite=num_steps == 0)
  checks.check_penalty(l2)
  if method in STEP_SIZE_SOLVERS:
    checks.check_step_size(learning_rate)
  if tol is None:
    tol = default_tol(xs.dtype)
  result = _fit_logistic(xs, labels, l2, learning_rate, tol, method=method, num_steps=num_steps)
  checks.check_finite_unless(finite_first_step(result), xs, "xs")
  return result


@functools.partial(solver_jit, static_argnames=("method", "num_steps"))
def _fit_logistic(xs, labels, l2, learning_rate, tol, *, method, num_steps):
  # The fit runs on values only; its answer carries the implicit derivative of the minimum in
  # xs and l2 (optimize.fit_at_values), which jax.grad can take through the early-exit loop.
  learning_rate = lax.stop_gradient(learning_rate)

  def fit(xs, targets, l2):
    lr = learning_rate
    if lr is None:
      lr = smoothness_step(xs, 0.25, l2) if method == "gd" else 0.01
    p0 = LinearParams(jnp.zeros(xs.shape[1], xs.dtype), jnp.zeros((), xs.dtype))
    result = minimize(fused_logistic_loss, p0, (xs, targets, l2), method=method,
                      num_steps=num_steps, learning_rate=lr, tol=tol,
                      value_grad_hessian_fn=lambda p: _irls_pass(p, xs, targets, l2))
    z = predict(result.params, xs)
    all_correct = jnp.all(jnp.where(labels == 1, z > 0, z < 0))
    return with_separation(result, all_correct & (jnp.asarray(l2) == 0))

  return fit_at_values(fit, logistic_loss, (xs, labels.astype(xs.dtype), l2),
                       hessian_fn=lambda p, x, t, l: _irls_pass(p, x, t, l)[2])


def finite_first_step(result) -> Array | bool:
  """Whether a classifier fit from ``w = 0`` saw finite data: ``False`` if it diverged.

  Its first step evaluates the gradient ``Xᵀr / n`` at ``w = 0``, where every residual ``r`` is
  nonzero (``½ - y`` for the BCE, ``1/C - onehot(y)`` for softmax): one NaN or infinite entry of
  ``X`` makes it non-finite, and the fit reports divergence before any update. So a fit that did
  not diverge read finite data, and the separate finiteness pass over ``X`` is needed only when
  it did (``checks.check_finite_unless``; at 100k×100 on 2 CPU cores that pass took 3–4 ms).
  Fits with ``num_steps = 0`` take no step and are checked before the fit.

  A concrete flag is negated on the host (a Python ``bool``): the eager ``~`` cost a dispatch,
  35 µs against 5 µs, on every call of a fit that takes well under a millisecond on small data.
  """
  if checks.is_concrete(result.diverged):
    return not bool(result.diverged)
  return ~result.diverged


def _check_binary(xs, labels, *, finite: bool = True):
  xs = checks.check_xs(xs, finite=finite)
  labels = checks.check_binary_labels(labels, xs.shape[0])
  checks.check_two_classes(labels)
  return xs, labels
