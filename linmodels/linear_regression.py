"""Linear regression as the lecture builds it: the 1D line, the 2D plane, the bias, the loss and its
gradient. The general normal equation lives in ``linmodels.least_squares``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from linmodels import checks
from linmodels.linear import HIGHEST, LinearParams, predict

Array = jax.Array


def _check_1d(name: str, *arrays: Array) -> list[Array]:
  out = [checks.as_float(a, f"{name}[{i}]") for i, a in enumerate(arrays)]
  shapes = [tuple(a.shape) for a in out]
  if any(a.ndim != 1 for a in out) or len(set(shapes)) != 1:
    raise ValueError(f"{name} needs 1-D arrays of one length, got shapes {shapes}")
  if out[0].shape[0] == 0:
    raise ValueError(f"{name} got empty data, shapes {shapes}")
  for i, a in enumerate(out):
    checks.check_finite(a, f"{name} argument {i}")
  dtype = jnp.result_type(*out)
  return [a.astype(dtype) for a in out]


def _check_determined(name: str, ok: Array, problem: str, n: int) -> None:
  """Raises when concrete data leave the formula's denominator zero; under ``jit`` or ``vmap``
  the caller gets the division's ``inf``/``nan`` instead."""
  if checks.is_concrete(ok) and not bool(ok):
    raise ValueError(f"{name}: {problem}, so the closed form divides by zero (n = {n})")


def fit_line_through_origin(xs: Array, ys: Array) -> Array:
  """The lecture's 1D closed form ``w* = Σ x⁽ⁱ⁾y⁽ⁱ⁾ / Σ (x⁽ⁱ⁾)²`` for ``f(x) = wx``.

  Args:
    xs: `[n]` inputs (not all zero).
    ys: `[n]` targets.

  Returns:
    `[]` the slope ``w*``.

  Raises:
    ValueError: bad shapes, empty or non-finite data, or every ``x`` zero (under ``jit``: ``nan``).

  >>> import jax.numpy as jnp
  >>> fit_line_through_origin(jnp.array([1.0, 2.0, 3.0]), jnp.array([2.0, 4.1, 5.9]))
  Array(1.9928572, dtype=float32)
  """
  xs, ys = _check_1d("fit_line_through_origin", xs, ys)
  sxx = jnp.sum(xs * xs)
  _check_determined("fit_line_through_origin", sxx > 0, "every x is zero (Σx² = 0)", xs.shape[0])
  return jnp.sum(xs * ys) / sxx


def fit_line(xs: Array, ys: Array) -> tuple[Array, Array]:
  """The line with a bias, ``y = w₁x + w₀``: ``w₁ = Σ(x-x̄)(y-ȳ) / Σ(x-x̄)²``, ``w₀ = ȳ - w₁x̄``.

  Args:
    xs: `[n]` inputs (not all equal).
    ys: `[n]` targets.

  Returns:
    ``(w1, w0)``: `[]` slope and `[]` intercept.

  Raises:
    ValueError: bad shapes, empty or non-finite data, or all ``x`` equal, one point included
      (under ``jit``: ``nan``).

  >>> import jax.numpy as jnp
  >>> w1, w0 = fit_line(jnp.array([0.0, 1.0, 2.0]), jnp.array([1.0, 3.0, 5.0]))
  >>> float(w1), float(w0)
  (2.0, 1.0)
  """
  xs, ys = _check_1d("fit_line", xs, ys)
  xc, yc = xs - jnp.mean(xs), ys - jnp.mean(ys)
  sxx = jnp.sum(xc * xc)
  _check_determined("fit_line", sxx > 0, "every x is equal (Σ(x - x̄)² = 0)", xs.shape[0])
  w1 = jnp.sum(xc * yc) / sxx
  return w1, jnp.mean(ys) - w1 * jnp.mean(xs)


def fit_plane_through_origin(xs: Array, ys: Array, zs: Array) -> tuple[Array, Array]:
  """The lecture's 2D regression ``z = w₂x + w₁y``, from its two coupled equations.

  Setting ``∂L/∂w₁ = ∂L/∂w₂ = 0`` gives

      w₁ Σy² + w₂ Σxy = Σyz
      w₁ Σxy + w₂ Σx² = Σxz

  solved here by Cramer's rule. (The slide's expression for ``w₁`` reads ``w₂ Σ z y`` where the
  equations give ``w₂ Σ x y``; this function follows the equations.)

  Args:
    xs: `[n]` first input.
    ys: `[n]` second input.
    zs: `[n]` targets.

  Returns:
    ``(w1, w2)``: `[]` the weight of ``y`` and `[]` the weight of ``x``.

  Raises:
    ValueError: bad shapes, empty or non-finite data, or ``x`` and ``y`` proportional (the
      determinant ``Σx²Σy² - (Σxy)²`` is zero up to rounding, below ``8 eps Σx²Σy²``; under
      ``jit``: ``nan``).

  >>> import jax.numpy as jnp
  >>> x, y = jnp.array([1.0, 0.0, 1.0, 2.0]), jnp.array([0.0, 1.0, 1.0, 1.0])
  >>> w1, w2 = fit_plane_through_origin(x, y, 3.0 * x + 2.0 * y)
  >>> round(float(w1), 4), round(float(w2), 4)
  (2.0, 3.0)
  """
  xs, ys, zs = _check_1d("fit_plane_through_origin", xs, ys, zs)
  sxx, syy, sxy = jnp.sum(xs * xs), jnp.sum(ys * ys), jnp.sum(xs * ys)
  sxz, syz = jnp.sum(xs * zs), jnp.sum(ys * zs)
  det = syy * sxx - sxy * sxy
  ok = det > 8 * jnp.finfo(det.dtype).eps * sxx * syy
  _check_determined("fit_plane_through_origin", ok,
                    "x and y are proportional (Σx²Σy² - (Σxy)² = 0 up to rounding)", xs.shape[0])
  det = jnp.where(ok, det, jnp.nan)  # under jit: nan, not rounding noise over rounding noise
  w1 = (syz * sxx - sxy * sxz) / det
  w2 = (syy * sxz - sxy * syz) / det
  return w1, w2


def lecture_loss(params: LinearParams, xs: Array, ys: Array) -> Array:
  """The lecture's loss ``L(w) = ½ Σᵢ (y⁽ⁱ⁾ - wᵀx⁽ⁱ⁾ - b)² = ½ (Y - Xw)ᵀ(Y - Xw)``.

  Args:
    params: ``LinearParams`` (`w` `[d]` or `[d, k]`).
    xs: `[n, d]` inputs.
    ys: `[n]` (or `[n, k]`) targets.

  Returns:
    `[]` the summed loss.
  """
  pred = predict(params, xs)
  checks.check_same_shape("lecture_loss", pred, "predictions predict(params, xs)", ys, "ys")
  r = ys - pred
  return 0.5 * jnp.sum(r * r)


def mse_loss(params: LinearParams, xs: Array, ys: Array) -> Array:
  """The mean form ``½ mean (y - wᵀx - b)²`` = ``lecture_loss / n``: its scale does not grow with
  ``n``, so one learning rate serves data sets of any size."""
  return lecture_loss(params, xs, ys) / xs.shape[0]


def lecture_gradient(params: LinearParams, xs: Array, ys: Array) -> LinearParams:
  """The lecture's gradient ``dL/dw = Xᵀ(Xw - Y)`` (and ``dL/db = Σ (Xw + b - Y)``).

  Args:
    params: ``LinearParams``.
    xs: `[n, d]` inputs.
    ys: `[n]` or `[n, k]` targets.

  Returns:
    ``LinearParams`` holding the gradient of ``lecture_loss``, shaped as ``params``.

  >>> import jax, jax.numpy as jnp
  >>> p = LinearParams(jnp.array([0.5, -1.0]), jnp.array(0.0))
  >>> xs, ys = jnp.array([[1.0, 2.0], [3.0, 4.0]]), jnp.array([1.0, 0.0])
  >>> bool(jnp.allclose(lecture_gradient(p, xs, ys).w, jax.grad(lecture_loss)(p, xs, ys).w))
  True
  """
  r = predict(params, xs) - ys
  # (rᵀX)ᵀ rather than Xᵀr: the same numbers, and XLA on CPU runs the transposed product 4× slower.
  return LinearParams(w=jnp.matmul(r.T, xs, precision=HIGHEST).T, b=jnp.sum(r, axis=0))
