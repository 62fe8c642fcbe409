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

import jax
import jax.numpy as jnp
import numpy as np

from linmodels import checks, losses
from linmodels.linear import LinearParams, predict
from linmodels.logistic_regression import ClassifierResult, default_tol, smoothness_step, with_separation
from linmodels.optimize import minimize

Array = jax.Array

softmax = jax.nn.softmax


def softmax_jacobian(z: Array) -> Array:
  """``∂softmax(z)_i / ∂z_j = y_i(1{i=j} - y_j)``: `[C]` → `[C, C]`.

  >>> softmax_jacobian(jnp.zeros(2))
  Array([[ 0.25, -0.25],
         [-0.25,  0.25]], dtype=float32)
  """
  y = softmax(z)
  return jnp.diag(y) - jnp.outer(y, y)


def one_hot(labels: Array, num_classes: int, dtype=None) -> Array:
  """`[n]` integer labels → `[n, C]` one-hot vectors (``jax.nn.one_hot``)."""
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
  """Fraction of equal entries: `[n]`, `[n]` → `[]`."""
  return jnp.mean((predicted == labels).astype(jnp.float32))


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
    method: ``"lbfgs"`` (default), ``"gd"`` (the lecture's descent), ``"adam"`` or ``"newton"``.
    num_steps: default 500 for L-BFGS, 50 for Newton, 5000 for GD/Adam.
    learning_rate: for GD, default the safe ``1/L`` with ``L = λ_max([X 1]ᵀ[X 1]/n)/2 + l2``.
    tol: gradient-norm tolerance; default ``100 eps``.

  Returns:
    A ``ClassifierResult`` with `w` `[d, C]` and `b` `[C]`.

  >>> import jax, linmodels as lm
  >>> xs, labels = lm.make_blobs(jax.random.key(0), 90, 2, num_classes=3, separation=1.0)
  >>> res = fit_softmax(xs, labels)
  >>> res.params.w.shape, bool(res.converged)
  ((2, 3), True)
  """
  xs = checks.check_xs(xs)
  if num_classes is None:
    if not checks.is_concrete(labels):
      raise ValueError("num_classes must be given when labels are traced")
    num_classes = int(np.max(np.asarray(labels))) + 1
  labels = checks.check_labels(labels, xs.shape[0], num_classes=num_classes)
  if checks.is_concrete(labels) and len(np.unique(np.asarray(labels))) < 2:
    raise ValueError(f"labels hold a single class ({int(labels[0])}): a classifier needs two or more")
  if num_steps is None:
    num_steps = {"lbfgs": 500, "newton": 50}.get(method, 5000)
  if tol is None:
    tol = default_tol(xs.dtype)
  return _fit_softmax(xs, labels, l2, learning_rate, tol, num_classes=num_classes, method=method,
                      num_steps=num_steps)


@functools.partial(jax.jit, static_argnames=("num_classes", "method", "num_steps"))
def _fit_softmax(xs, labels, l2, learning_rate, tol, *, num_classes, method, num_steps):
  if learning_rate is None:
    learning_rate = smoothness_step(xs, 0.5, l2) if method == "gd" else 0.01
  d = xs.shape[1]
  p0 = LinearParams(jnp.zeros((d, num_classes), xs.dtype), jnp.zeros((num_classes,), xs.dtype))
  result = minimize(softmax_loss, p0, (xs, labels, l2), method=method, num_steps=num_steps,
                    learning_rate=learning_rate, tol=tol, pseudo_inverse=True)
  all_correct = jnp.all(predict_labels(result.params, xs) == labels)
  return with_separation(result, all_correct & (jnp.asarray(l2) == 0))
