"""The lecture's losses, elementwise and unreduced (as optax's), computed from logits.

``log(σ(z))`` and ``log(softmax(z))`` are never formed from probabilities: the optax losses used
here go through ``log_sigmoid``/``log_softmax``, so the loss and its gradient stay finite for
logits of ±1e4 in float32, where ``-log(sigmoid(z))`` overflows to ``inf``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from linmodels import checks

Array = jax.Array


def squared_error(predictions: Array, targets: Array) -> Array:
  """``½ (y - ŷ)²`` elementwise: the summand of the lecture's ``L(w) = ½ Σ (y - wᵀx)²``.

  >>> squared_error(jnp.array([1.0, 3.0]), jnp.array([0.0, 1.0]))
  Array([0.5, 2. ], dtype=float32)
  """
  checks.check_same_shape("squared_error", predictions, "predictions", targets, "targets")
  return 0.5 * optax.losses.squared_error(predictions, targets)


def binary_cross_entropy(logits: Array, labels: Array) -> Array:
  """``-[y log σ(z) + (1 - y) log(1 - σ(z))]`` elementwise, from logits ``z``, labels in {0, 1}.

  The lecture's BCE with ``ŷ = σ(z)``; computed as ``optax.losses.sigmoid_binary_cross_entropy``
  (``log σ(z) = -softplus(-z)``), which is exact and finite for any finite ``z``. Labels may be
  probabilities in ``[0, 1]``; concrete ones outside raise a ``ValueError`` (``{-1, +1}`` labels
  would give a loss that can be negative), traced ones give ``nan`` for those entries.

  >>> binary_cross_entropy(jnp.array([0.0, 1e4, -1e4]), jnp.array([1.0, 1.0, 1.0]))
  Array([6.931472e-01, 0.000000e+00, 1.000000e+04], dtype=float32)
  """
  checks.check_same_shape("binary_cross_entropy", logits, "logits", labels, "labels")
  in_range = checks.labels_in_range("binary_cross_entropy", labels)
  return jnp.where(in_range, optax.losses.sigmoid_binary_cross_entropy(logits, labels), jnp.nan)


def sigmoid_squared_error(logits: Array, labels: Array) -> Array:
  """``½ (y - σ(z))²`` elementwise: the lecture's MSE on a sigmoid (non-convex in ``w``), labels
  in ``[0, 1]`` checked as ``binary_cross_entropy``'s (``σ`` never leaves ``(0, 1)``)."""
  in_range = checks.labels_in_range("sigmoid_squared_error", labels)
  return jnp.where(in_range, squared_error(jax.nn.sigmoid(logits), labels), jnp.nan)


def cross_entropy(logits: Array, labels: Array) -> Array:
  """``-Σ_c y_c log softmax(z)_c`` over the last axis, from logits.

  Args:
    logits: `[..., C]` scores ``z``.
    labels: `[...]` integer classes, or `[..., C]` one-hot (or any probability) vectors.

  Returns:
    `[...]` the cross-entropy of each example.

  Integer classes outside ``0 .. C - 1`` raise a ``ValueError`` when concrete; traced ones (under
  ``jit``, ``vmap`` or ``grad``) give ``nan`` for those examples. (optax's integer-label loss
  reads a class ``-1`` as the last one, a plausible loss of the wrong class.)

  >>> z = jnp.array([[2.0, 0.0, -1.0]])
  >>> bool(jnp.allclose(cross_entropy(z, jnp.array([0])),
  ...                   cross_entropy(z, jnp.array([[1.0, 0.0, 0.0]]))))
  True
  """
  labels = jnp.asarray(labels)
  logits_shape = tuple(jnp.shape(logits))
  integer = labels.ndim == len(logits_shape) - 1
  # Integer labels of `[n, 1]` against `[n, C]` logits would broadcast (to `[n, n]`), as would
  # one-hot vectors of another width: each example has one class, or one vector of C entries.
  if tuple(labels.shape) != (logits_shape[:-1] if integer else logits_shape):
    raise ValueError(f"cross_entropy: labels have shape {tuple(labels.shape)} against logits "
                     f"{logits_shape}: integer classes need {logits_shape[:-1]}, one-hot (or "
                     f"probability) vectors {logits_shape}")
  if integer:
    in_range = checks.labels_in_range("cross_entropy", labels, logits_shape[-1])
    if checks.is_concrete(labels) and not jnp.issubdtype(labels.dtype, jnp.integer):
      labels = labels.astype(jnp.int32)  # checked integral: as check_labels takes them
    ce = optax.losses.softmax_cross_entropy_with_integer_labels(logits, labels)
    return jnp.where(in_range, ce, jnp.nan)
  return optax.losses.softmax_cross_entropy(logits, labels)
