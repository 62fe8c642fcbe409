"""Softmax regression: ``ŷ = softmax(Wᵀx + b) ∈ [0, 1]^C``, fitted by the cross-entropy.

* ``softmax(z)_j = e^{z_j} / Σ_i e^{z_i}`` is ``jax.nn.softmax`` (stable: it subtracts the max).
* Its Jacobian ``∂y_i/∂z_j = y_i(1{i=j} - y_j)`` is ``softmax_jacobian``.
* ``CE = -Σ_c y_c log ŷ_c`` from logits (``linmodels.losses.cross_entropy``), with the lecture's
  identity ``dL/dz = ŷ - y`` as ``cross_entropy_logit_gradient``.
* With ``C = 2`` this is logistic regression: ``softmax([z₀, z₁])₁ = σ(z₁ - z₀)``, so the weights
  ``w = w₁ - w₀`` of a logistic model give the same probabilities.

The weights are the overparametrised ``W ∈ R^{d×C}`` of the lecture (one column per class):
adding the same vector to every column leaves the probabilities unchanged, so unpenalised fits
are compared by their probabilities, not their weights. As for logistic regression, data that some
``W`` classifies perfectly have no unpenalised minimiser: ``fit_softmax`` reports
``separated=True``.
"""

from __future__ import annotations

import functools
import operator

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from linmodels import checks, losses, row_passes
from linmodels.linear import HIGHEST, LinearParams, predict
from linmodels.logistic_regression import (ClassifierResult, default_tol, finite_first_step,
                                           smoothness_step, with_separation)
from linmodels.optimize import STEP_SIZE_SOLVERS, fit_at_values, minimize
from linmodels.solver_jit import solver_jit

Array = jax.Array

softmax = jax.nn.softmax


def softmax_jacobian(z: Array) -> Array:
  """``∂softmax(z)_i / ∂z_j = y_i(1{i=j} - y_j)``: `[..., C]` → `[..., C, C]`, one Jacobian per
  vector of scores (a batch `[n, C]` gives `[n, C, C]`).

  >>> softmax_jacobian(jnp.zeros(2))
  Array([[ 0.25, -0.25],
         [-0.25,  0.25]], dtype=float32)
  """
  y = softmax(z)
  eye = jnp.eye(y.shape[-1], dtype=y.dtype).reshape((1,) * (y.ndim - 1) + (y.shape[-1],) * 2)
  return y[..., :, None] * (eye - y[..., None, :])


def one_hot(labels: Array, num_classes: int, dtype=None) -> Array:
  """`[n]` integer labels → `[n, C]` one-hot vectors (``jax.nn.one_hot``).

  Concrete labels outside ``0 .. num_classes - 1`` raise a ``ValueError`` (``jax.nn.one_hot``
  gives them a row of zeros, which a cross-entropy then reads as a zero loss); traced ones, under
  ``jit`` or ``vmap``, are not checked and get that row of zeros.

  >>> one_hot(jnp.array([0, 2]), 3).tolist()
  [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
  """
  if operator.index(num_classes) < 1:
    raise ValueError(f"num_classes must be at least 1, got {num_classes}")
  if checks.is_concrete(labels):
    checks.check_label_values(np.asarray(labels), None, num_classes, "labels")
  return jax.nn.one_hot(labels, num_classes, dtype=dtype or jnp.result_type(float))


def cross_entropy_logit_gradient(logits: Array, labels_one_hot: Array) -> Array:
  """The lecture's ``dL/dz = ŷ - y`` for ``L = -Σ_c y_c log softmax(z)_c``: `[..., C]`."""
  return softmax(logits) - labels_one_hot


def predict_proba(params: LinearParams, xs: Array) -> Array:
  """Class probabilities ``softmax(Wᵀx + b)``: `[n, d]` → `[n, C]`."""
  return softmax(predict(params, xs))


def predict_labels(params: LinearParams, xs: Array) -> Array:
  """The most probable class: `[n, d]` → `[n]` int32."""
  return jnp.argmax(predict(params, xs), axis=-1).astype(jnp.int32)


def accuracy(predicted: Array, labels: Array) -> Array:
  """Fraction of equal entries: `[n]`, `[n]` → `[]`.

  The two must have the same shape: a `[n, 1]` column against `[n]` labels would broadcast to
  `[n, n]` and average the wrong comparisons, so it raises a ``ValueError`` instead.

  >>> float(accuracy(jnp.array([0, 1, 1, 2]), jnp.array([0, 1, 2, 2])))
  0.75
  """
  checks.check_same_shape("accuracy", predicted, "predicted", labels, "labels")
  return jnp.mean((jnp.asarray(predicted) == jnp.asarray(labels)).astype(jnp.float32))


def lecture_cross_entropy(params: LinearParams, xs: Array, labels: Array) -> Array:
  """The lecture's summed ``CE(W) = -Σᵢ Σ_c y_c⁽ⁱ⁾ log ŷ_c⁽ⁱ⁾`` (integer or one-hot labels)."""
  return jnp.sum(losses.cross_entropy(predict(params, xs), labels))


def softmax_loss(params: LinearParams, xs: Array, labels: Array,
                 l2: Array | float = 0.0) -> Array:
  """The objective the fitters minimise: ``mean CE + ½ l2 ‖W‖²_F`` (biases not penalised).

  scikit-learn's multinomial ``LogisticRegression(C)`` is the same problem with ``l2 = 1/(C n)``.
  """
  return (jnp.mean(losses.cross_entropy(predict(params, xs), labels))
          + 0.5 * l2 * jnp.sum(params.w * params.w))


@jax.jit
def _ce_pass(params, xs, labels):
  """``(Σ CE, Σ [x 1] (p - y)ᵀ)`` in one blocked pass over the rows."""
  d, c = params.w.shape

  def fn(acc, mask, xb, yb):
    total, gw, gb = acc
    z = predict(params, xb)
    r = softmax(z) - one_hot(yb, c, z.dtype)
    ce = losses.cross_entropy(z, yb)
    if mask is not None:
      r, ce = r * mask[:, None], ce * mask
    return (total + jnp.sum(ce), gw + jnp.matmul(xb.T, r, precision=HIGHEST),
            gb + jnp.sum(r, axis=0))

  init = (jnp.zeros((), xs.dtype), jnp.zeros((d, c), xs.dtype), jnp.zeros((c,), xs.dtype))
  total, gw, gb = row_passes.reduce_rows(fn, init, (xs, labels), gradient=True)
  return total, LinearParams(gw, gb)


_fused_ce = row_passes.mean_over_rows(
    lambda params, xs, labels: losses.cross_entropy(predict(params, xs), labels), _ce_pass)


@jax.jit
def fused_softmax_loss(params: LinearParams, xs: Array, labels: Array,
                       l2: Array | float = 0.0) -> Array:
  """``softmax_loss`` whose value and gradient come from one blocked pass over ``X``.

  The same objective ``mean CE + ½ l2 ‖W‖²_F`` with the lecture's gradient ``dL/dz = p - y`` as a
  custom VJP: ``Xᵀ(P - Y) / n`` accumulated over blocks of rows together with the loss. The
  fitters use it. ``jax.grad`` of ``softmax_loss`` goes through optax's integer-label
  cross-entropy, whose gather becomes a scatter in the gradient: an L-BFGS fit at 20k×50 with
  10 classes took 66 against 44 ms here and 3.9 against 2.7 s to compile.

  Args:
    params: ``LinearParams`` with `w` `[d, C]`, `b` `[C]`.
    xs: `[n, d]` inputs.
    labels: `[n]` integer classes in ``0 .. C-1``.
    l2: `[]` ridge strength on ``W`` (the biases are not penalised).

  Returns:
    `[]` the loss.

  >>> p = LinearParams(jnp.array([[0.3, -0.2, 0.0]]), jnp.array([0.1, 0.0, -0.1]))
  >>> xs, labels = jnp.array([[1.0], [-1.0], [0.2]]), jnp.array([0, 2, 1])
  >>> g1 = jax.grad(fused_softmax_loss)(p, xs, labels, 0.1)
  >>> g2 = jax.grad(softmax_loss)(p, xs, labels, 0.1)
  >>> bool(jnp.allclose(g1.w, g2.w) and jnp.allclose(g1.b, g2.b))
  True
  """
  if tuple(jnp.shape(labels)) != (xs.shape[0],):
    raise ValueError(f"fused_softmax_loss: labels must be [n] integer classes for xs of shape "
                     f"{tuple(xs.shape)}, got labels.shape={tuple(jnp.shape(labels))}")
  return _fused_ce(params, xs, labels) + 0.5 * l2 * jnp.sum(params.w * params.w)


@jax.jit
def softmax_value_grad_hessian(params: LinearParams, xs: Array, labels: Array,
                               l2: Array | float = 0.0) -> tuple[Array, LinearParams, Array]:
  """``softmax_loss``, its gradient and its Hessian, all from one pass over ``X``: what a Newton
  step needs (``optimize.newton_linesearch``).

  With ``a = [x 1]``, ``p = softmax(Wᵀx + b)`` and ``y`` one-hot, the lecture's ``dL/dz = p - y``
  gives the gradient ``mean aᵢ(pᵢ - yᵢ)ᵀ`` and the softmax Jacobian ``diag(p) - ppᵀ`` the Hessian
  ``mean (aᵢaᵢᵀ) ⊗ (diag(pᵢ) - pᵢpᵢᵀ)`` over the flattened ``[W; b]`` (row-major, the order of
  ``jax.flatten_util.ravel_pytree``). Per block of rows, with ``Q = [aᵢ ⊗ pᵢ]``, one matrix product
  ``[A | Q]ᵀ [Q | P - Y]`` gives ``AᵀQ`` (the ``diag(p)`` part), ``QᵀQ`` (the ``ppᵀ`` part) and
  the gradient. ``jax.hessian`` of ``softmax_loss`` instead takes one pass over the data per
  parameter, with all of them in memory at once: at 20k×50 with 10 classes a Newton fit took
  4.9 s that way.

  Args:
    params: ``LinearParams`` with `w` `[d, C]`, `b` `[C]`.
    xs: `[n, d]` inputs.
    labels: `[n]` integer classes in ``0 .. C-1``.
    l2: `[]` ridge strength on ``W`` (the biases are not penalised).

  Returns:
    ``(loss [], gradient LinearParams, hessian [(d + 1)·C, (d + 1)·C])``. The Hessian is
    singular (adding one vector to every class's weights changes nothing), hence
    ``fit_softmax``'s Newton steps by pseudo-inverse.

  >>> p = LinearParams(jnp.array([[0.3, -0.2, 0.0]]), jnp.array([0.1, 0.0, -0.1]))
  >>> xs, labels = jnp.array([[1.0], [-1.0], [0.2]]), jnp.array([0, 2, 1])
  >>> value, grad, hess = softmax_value_grad_hessian(p, xs, labels, 0.1)
  >>> g = jax.grad(softmax_loss)(p, xs, labels, 0.1)
  >>> bool(jnp.allclose(value, softmax_loss(p, xs, labels, 0.1)) and jnp.allclose(grad.w, g.w))
  True
  >>> hess.shape
  (6, 6)
  """
  n, d = xs.shape
  c = params.w.shape[1]
  dtype = xs.dtype
  theta = jnp.concatenate([params.w, params.b[None, :]], axis=0)  # [d + 1, C]

  def fn(acc, mask, xb, yb):
    total, m = acc
    xa = jnp.concatenate([xb, jnp.ones((xb.shape[0], 1), dtype)], axis=1)
    z = jnp.matmul(xa, theta, precision=HIGHEST)
    p = softmax(z)
    r = p - one_hot(yb, c, dtype)
    ce = losses.cross_entropy(z, yb)
    if mask is not None:  # each product below has exactly one masked factor (or mask² = mask)
      p, r, ce = p * mask[:, None], r * mask[:, None], ce * mask
    q = (xa[:, :, None] * p[:, None, :]).reshape(xb.shape[0], (d + 1) * c)
    left, right = jnp.concatenate([xa, q], axis=1), jnp.concatenate([q, r], axis=1)
    return total + jnp.sum(ce), m + jnp.matmul(left.T, right, precision=HIGHEST)

  k = (d + 1) * c
  init = (jnp.zeros((), dtype), jnp.zeros((d + 1 + k, k + c), dtype))
  # Blocks of about 2 MiB of [A | Q] on CPU (the platform's default for X alone would make Q
  # C times that).
  block_rows = row_passes.cpu_block_rows(n, (d + 1) * (c + 1)) if row_passes._on_cpu() else None
  total, m = row_passes.reduce_rows(fn, init, (xs, labels), block_rows=block_rows)
  m = m / n
  diag_part = m[:d + 1, :k].reshape(d + 1, d + 1, c)  # [j, j', c]: mean a_j a_j' p_c
  hess = (jnp.einsum("jkc,ce->jcke", diag_part, jnp.eye(c, dtype=dtype)).reshape(k, k)
          - m[d + 1:, :k])
  hess = hess + jnp.diag(jnp.concatenate([jnp.full((d * c,), l2, dtype), jnp.zeros((c,), dtype)]))
  grad = m[:d + 1, k:]
  value = total / n + 0.5 * l2 * jnp.sum(params.w * params.w)
  return value, LinearParams(grad[:d] + l2 * params.w, grad[d]), hess


def fit_softmax(xs: Array, labels: Array, l2: Array | float = 0.0, *,
                num_classes: int | None = None, method: str = "lbfgs",
                num_steps: int | None = None, learning_rate: Array | float | None = None,
                tol: Array | float | None = None) -> ClassifierResult:
  """Fits softmax regression by minimising ``softmax_loss`` from ``W = 0, b = 0``.

  Args:
    xs: `[n, d]` inputs.
    labels: `[n]` integer classes in ``0 .. C-1``.
    l2: `[]` L2 strength on ``W`` (traced).
    num_classes: ``C`` (static); default ``max(labels) + 1`` (needs concrete labels).
    method: ``"lbfgs"`` (default), ``"gd"`` (the lecture's descent), ``"adam"`` or ``"newton"``
      (``softmax_value_grad_hessian`` a step: a `[(d + 1)·C]²` Hessian, so for small ``d·C``).
    num_steps: default 500 for L-BFGS, 50 for Newton, 5000 for GD/Adam.
    learning_rate: for GD, default the safe ``1/L`` with ``L = λ_max([X 1]ᵀ[X 1]/n)/2 + l2``.
    tol: gradient-norm tolerance; default ``100 eps``.

  Returns:
    A ``ClassifierResult`` with `w` `[d, C]` and `b` `[C]`, carrying the implicit derivative of
    the minimum in ``xs`` and ``l2`` (as ``fit_logistic``'s; the biases' common shift, which the
    loss does not see, gets none).

  >>> import jax, linmodels as lm
  >>> xs, labels = lm.make_blobs(jax.random.key(0), 90, 2, num_classes=3, separation=1.0)
  >>> res = fit_softmax(xs, labels)
  >>> res.params.w.shape, bool(res.converged)
  ((2, 3), True)
  """
  if num_steps is None:
    num_steps = {"lbfgs": 500, "newton": 50}.get(method, 5000)
  xs = checks.check_xs(xs, finite=num_steps == 0)  # otherwise read off the first step's gradient
  if num_classes is None:
    if not checks.is_concrete(labels):
      raise ValueError("num_classes must be given when labels are traced")
    num_classes = max(int(np.max(np.asarray(labels), initial=0)) + 1, 2)
  elif num_classes < 2:
    raise ValueError(f"num_classes must be at least 2, got {num_classes}")
  labels = checks.check_labels(labels, xs.shape[0], num_classes=num_classes)
  checks.check_two_classes(labels)
  checks.check_penalty(l2)
  if method in STEP_SIZE_SOLVERS:
    checks.check_step_size(learning_rate)
  if tol is None:
    tol = default_tol(xs.dtype)
  result = _fit_softmax(xs, labels, l2, learning_rate, tol, num_classes=num_classes,
                        method=method, num_steps=num_steps)
  checks.check_finite_unless(finite_first_step(result), xs, "xs")
  return result


@functools.partial(solver_jit, static_argnames=("num_classes", "method", "num_steps"))
def _fit_softmax(xs, labels, l2, learning_rate, tol, *, num_classes, method, num_steps):
  # As _fit_logistic: the fit on values, the implicit derivative of its minimum attached after.
  learning_rate = lax.stop_gradient(learning_rate)

  def fit(xs, labels, l2):
    lr = learning_rate
    if lr is None:
      lr = smoothness_step(xs, 0.5, l2) if method == "gd" else 0.01
    d = xs.shape[1]
    p0 = LinearParams(jnp.zeros((d, num_classes), xs.dtype), jnp.zeros((num_classes,), xs.dtype))
    result = minimize(fused_softmax_loss, p0, (xs, labels, l2), method=method,
                      num_steps=num_steps, learning_rate=lr, tol=tol, pseudo_inverse=True,
                      value_grad_hessian_fn=lambda p: softmax_value_grad_hessian(p, xs, labels, l2))
    all_correct = jnp.all(predict_labels(result.params, xs) == labels)
    return with_separation(result, all_correct & (jnp.asarray(l2) == 0))

  return fit_at_values(fit, softmax_loss, (xs, labels, l2),
                       hessian_fn=lambda p, x, y, l: softmax_value_grad_hessian(p, x, y, l)[2])
