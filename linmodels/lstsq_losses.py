"""The least-squares loss ``½ mean (wᵀx + b - y)²`` with gradients that read ``X`` once, or never.

``linear_regression.mse_loss`` is the lecture's loss as written; ``jax.grad`` of it reads ``X``
twice a step (``Xw``, then ``Xᵀr``). The same loss, drop-in for ``fit_gd`` and ``fit_optax``:

* ``fused_mse_loss``: a ``jax.custom_vjp`` whose forward pass computes the loss and the
  lecture's gradient ``Xᵀ(Xw + b - y) / n`` together in one pass over the rows
  (``row_passes.residual_sums``; on GPU the Pallas kernel of ``pallas_gradient``).
  ``jax.value_and_grad`` then costs one pass over ``X``. Gradients with respect to the data are
  exact as well (they are computed only when asked for).
* ``gram_mse_loss``: the "Gram trick" for ``n ≫ d``. ``L(w, b)`` is a quadratic whose
  coefficients are the centred cross-products of ``[X y]`` (``row_passes.centred_gram``, one
  pass, once); every later evaluation costs `O(d²)` and never touches ``X``:
  ``L = ½ (wᵀCw - 2wᵀc + c_yy)/n + ½ (x̄ᵀw + b - ȳ)²``. Gradient descent on it follows the same
  iterates as on the data (in exact arithmetic).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from linmodels import checks, row_passes
from linmodels.linear import HIGHEST, LinearParams
from linmodels.row_passes import CentredGram, centred_gram, residual_sums

Array = jax.Array


def _two_d(params: LinearParams, ys: Array):
  w, b = params.w, params.b
  if ys.ndim == 1:
    return w[:, None], jnp.reshape(b, (1,)), ys[:, None]
  return w, b, ys


def _forward(params, xs, ys, kernel, block_rows):
  n = xs.shape[0]
  if kernel == "auto":  # Pallas on GPU, for any dtype and blocks (residual_sums' own "auto"
    kernel = "pallas" if row_passes._on_gpu() else "xla"  # keeps float32 and default blocks)
  w2, b2, y2 = _two_d(params, ys)
  rs = residual_sums(xs, y2, w2, b2, block_rows=block_rows, kernel=kernel)   # r = y - b - Xw
  loss = 0.5 * jnp.sum(rs.rr) / n
  gw, gb = -rs.xtr / n, -rs.r_sum / n
  if ys.ndim == 1:
    gw, gb = gw[:, 0], gb[0]
  return loss, LinearParams(w=gw, b=gb)


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _fused(params, xs, ys, kernel, block_rows):
  return _forward(params, xs, ys, kernel, block_rows)[0]


def _fused_fwd(params, xs, ys, kernel, block_rows):
  loss, grad = _forward(params, xs, ys, kernel, block_rows)
  return loss, (params, xs, ys, grad)


def _fused_bwd(kernel, block_rows, res, g):
  params, xs, ys, grad = res
  n = xs.shape[0]
  # Cotangents for the data: r = Xw + b - y, dL/dX = r wᵀ / n, dL/dy = -r / n. Under jit they are
  # dropped as dead code unless someone differentiates with respect to the data.
  w2, b2, y2 = _two_d(params, ys)
  r = jnp.matmul(xs, w2, precision=HIGHEST) + b2[None, :] - y2
  r = r[:, 0] if ys.ndim == 1 else r
  d_xs = (r[:, None] * params.w[None, :] if ys.ndim == 1
          else jnp.matmul(r, params.w.T, precision=HIGHEST)) / n
  return (jax.tree_util.tree_map(lambda t: g * t, grad), g * d_xs, -g * r / n)


_fused.defvjp(_fused_fwd, _fused_bwd)


@functools.partial(jax.jit, static_argnames=("kernel", "block_rows"))
def fused_mse_loss(params: LinearParams, xs: Array, ys: Array, *, kernel: str = "auto",
                   block_rows: int | None = None) -> Array:
  """``½ mean (wᵀx + b - y)²`` (``mse_loss``) whose gradient costs one pass over ``X``.

  Args:
    params: ``LinearParams`` with `w` `[d]` (or `[d, k]`) and `b` `[]` (or `[k]`).
    xs: `[n, d]` inputs.
    ys: `[n]` (or `[n, k]`) targets.
    kernel: ``"xla"`` (blocked ``lax.scan`` on CPU, fused reductions on GPU), ``"pallas"``
      (the ``pallas_gradient`` kernel for one output and ``d`` a power of two; XLA
      otherwise; ``row_passes.residual_sums`` either way) or ``"auto"`` (default: Pallas on GPU, XLA elsewhere; on an H100, 10M×64:
      0.98 ms a step against 1.84 ms, ``benchmarks/RESULTS.md``). Static: bind it with
      ``functools.partial``.
    block_rows: rows per block (``"xla"``) or per program (``"pallas"``, a power of two);
      default: the platform's choice.

  Returns:
    `[]` the loss; ``jax.grad`` of it is ``(Xᵀr / n, mean r)`` with ``r = Xw + b - y``.

  >>> import jax, jax.numpy as jnp
  >>> from linmodels.linear_regression import mse_loss
  >>> p = LinearParams(jnp.array([0.5, -1.0]), jnp.array(0.2))
  >>> xs, ys = jnp.array([[1.0, 2.0], [3.0, 4.0], [0.0, 1.0]]), jnp.array([1.0, 0.0, 2.0])
  >>> g1, g2 = jax.grad(fused_mse_loss)(p, xs, ys), jax.grad(mse_loss)(p, xs, ys)
  >>> bool(jnp.allclose(g1.w, g2.w) and jnp.allclose(g1.b, g2.b))
  True
  """
  if kernel not in ("auto", "xla", "pallas"):
    raise ValueError(f"kernel must be 'auto', 'xla' or 'pallas', got {kernel!r}")
  if xs.ndim != 2 or ys.shape[0] != xs.shape[0]:
    raise ValueError(f"xs must be [n, d] and ys [n] or [n, k] with the same n; got "
                     f"xs.shape={tuple(xs.shape)}, ys.shape={tuple(ys.shape)}")
  checks.check_same_shape("fused_mse_loss", (xs.shape[0],) + tuple(jnp.shape(params.w))[1:],
                          "predictions", ys, "ys")
  return _fused(params, xs, ys, kernel, block_rows)


def mse_stats(xs: Array, ys: Array) -> CentredGram:
  """The statistics ``gram_mse_loss`` needs, in one pass over ``[X y]`` (``ys`` `[n]` or `[n, k]`)."""
  return centred_gram(xs, ys if ys.ndim == 2 else ys[:, None])


def gram_mse_loss(params: LinearParams, stats: CentredGram) -> Array:
  """``½ mean (wᵀx + b - y)²`` from the centred Gram statistics, `O(d²)` per call.

  With ``C = XcᵀXc``, ``c = XcᵀYc``, ``c_yy = YcᵀYc`` (``mse_stats``) and the means:
  ``L = ½ (wᵀCw - 2wᵀc + c_yy) / n + ½ (x̄ᵀw + b - ȳ)²`` (summed over outputs). The centred form
  avoids the cancellation that the raw ``XᵀX`` suffers when the features have large means.

  Args:
    params: ``LinearParams`` with `w` `[d]` and `b` `[]` (or `[d, k]`, `[k]` for `[n, k]` targets).
    stats: ``mse_stats(xs, ys)``.

  Returns:
    `[]` the loss.

  >>> import jax.numpy as jnp
  >>> from linmodels.linear_regression import mse_loss
  >>> xs, ys = jnp.array([[1.0], [2.0], [4.0]]), jnp.array([1.0, 3.0, 2.0])
  >>> p = LinearParams(jnp.array([0.5]), jnp.array(1.0))
  >>> bool(jnp.allclose(gram_mse_loss(p, mse_stats(xs, ys)), mse_loss(p, xs, ys)))
  True
  """
  w = params.w if params.w.ndim == 2 else params.w[:, None]
  b = jnp.reshape(params.b, (w.shape[1],))
  cw = jnp.matmul(stats.gram, w, precision=HIGHEST)
  # Inner products as vdot: written as sum(w * cw), vmapped over a sweep on CPU, XLA handed the
  # `[batch, d, 1]` reductions to YNNPACK one small reduction at a time (256 learning rates ×
  # 100 steps at d = 32: 13.8 ms against 3.5 ms).
  quad = jnp.vdot(w, cw - 2 * stats.rhs, precision=HIGHEST) + jnp.trace(stats.yy)
  offset = jnp.matmul(stats.x_mean, w, precision=HIGHEST) + b - stats.y_mean
  return 0.5 * quad / stats.weight + 0.5 * jnp.vdot(offset, offset, precision=HIGHEST)
