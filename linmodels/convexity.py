"""Measuring convexity: the Hessian's eigenvalues of a loss over a set of parameter points.

The lecture asks the student to "convince yourself" that MSE on a sigmoid is not convex and that
the binary cross-entropy is. A twice-differentiable function is convex exactly where its Hessian
is positive semi-definite, so a negative smallest eigenvalue anywhere proves non-convexity, and
non-negative ones along a dense grid are the numerical evidence for convexity.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

Array = jax.Array


def hessian_eigenvalues(loss_fn: Callable[[Array], Array], points: Array) -> Array:
  """Eigenvalues (ascending) of ``∇²loss`` at each point.

  Args:
    loss_fn: ``w -> []`` a scalar function of a flat parameter vector `[p]`.
    points: `[m, p]` where to evaluate.

  Returns:
    `[m, p]` eigenvalues, ascending, per point.

  >>> import jax.numpy as jnp
  >>> hessian_eigenvalues(lambda w: w[0] ** 2 - w[1] ** 2, jnp.zeros((1, 2)))
  Array([[-2.,  2.]], dtype=float32)
  """
  if jnp.ndim(points) != 2:
    raise ValueError(f"hessian_eigenvalues: points must be [m, p] (one flat parameter vector a "
                     f"row; a single point is points[None]), got shape {tuple(jnp.shape(points))}")
  hess = jax.hessian(loss_fn)
  return jax.vmap(lambda w: jnp.linalg.eigvalsh(hess(w)))(points)


def min_hessian_eigenvalue(loss_fn: Callable[[Array], Array], points: Array) -> Array:
  """The smallest Hessian eigenvalue at each point: `[m, p]` points → `[m]`."""
  return hessian_eigenvalues(loss_fn, points)[:, 0]


def grid(lo: float, hi: float, num: int, dim: int) -> Array:
  """A regular grid on ``[lo, hi]^dim`` with ``num`` points per axis, as `[num**dim, dim]`."""
  axes = jnp.meshgrid(*[jnp.linspace(lo, hi, num)] * dim, indexing="ij")
  return jnp.stack([a.reshape(-1) for a in axes], axis=1)
