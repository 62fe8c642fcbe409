"""The linear model ``f(x) = wᵀx + b``: parameters as a plain pytree and a pure ``predict``.

Every model of the lecture's first two thirds is this map followed by something: nothing
(regression), a threshold (the perceptron), a sigmoid (logistic regression) or a softmax.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from linmodels import checks

Array = jax.Array

HIGHEST = lax.Precision.HIGHEST


class LinearParams(NamedTuple):
  """Parameters of ``f(x) = wᵀx + b``.

  Attributes:
    w: `[d]` weights for one output, or `[d, k]` for ``k`` outputs (classes).
    b: `[]` bias for one output, or `[k]`.
  """
  w: Array
  b: Array


def init_linear(num_features: int, num_outputs: int | None = None, *,
                dtype=None) -> LinearParams:
  """Zero parameters: `w` of shape `[d]` (or `[d, k]`), `b` of shape `[]` (or `[k]`).

  No key: a linear model's loss is convex, so zeros are as good a start as any (``init_mlp``
  draws its layers from a key).

  >>> init_linear(3).w.shape, init_linear(3, 2).b.shape
  ((3,), (2,))
  """
  num_features = checks.static_count(num_features, "init_linear: num_features")
  if num_outputs is not None:
    num_outputs = checks.static_count(num_outputs, "init_linear: num_outputs", minimum=1)
  dtype = dtype or jnp.result_type(float)
  if num_outputs is None:
    return LinearParams(jnp.zeros((num_features,), dtype), jnp.zeros((), dtype))
  return LinearParams(jnp.zeros((num_features, num_outputs), dtype),
                      jnp.zeros((num_outputs,), dtype))


def predict(params: LinearParams, x: Array) -> Array:
  """The linear model ``f(x) = wᵀx + b``, at full float32 precision.

  Args:
    params: ``LinearParams`` with `w` of shape `[d]` or `[d, k]`.
    x: one example `[d]` or a batch `[n, d]`.

  Returns:
    `[]`, `[k]`, `[n]` or `[n, k]`: the leading axes of ``x`` followed by the output axes of ``w``.

  >>> import jax.numpy as jnp
  >>> params = LinearParams(w=jnp.array([2.0, -1.0]), b=jnp.array(0.5))
  >>> predict(params, jnp.array([[1.0, 1.0], [0.0, 2.0]]))
  Array([ 1.5, -1.5], dtype=float32)
  """
  checks.check_input_width("predict", x, params.w)
  if jnp.ndim(params.b) and jnp.shape(params.b) != jnp.shape(params.w)[1:]:
    raise ValueError(f"predict: b must be [] or the output axes of w {tuple(jnp.shape(params.w))[1:]}"
                     f", got b.shape={tuple(jnp.shape(params.b))}")
  out = jnp.matmul(x, params.w, precision=HIGHEST)
  return out + jnp.broadcast_to(params.b, out.shape)
