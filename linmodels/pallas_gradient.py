"""A Pallas kernel for the least-squares gradient that reads ``X`` once.

XLA computes ``Xᵀ(Xw - y)`` as two products, each a pass over ``X`` from device memory. This
kernel gives every block of rows to one program, which loads its block once, forms the block's
residual ``r = Xw - y`` and its share of ``Xᵀr``; the per-block shares (``[num_blocks, d]``, small)
are summed afterwards. The residual itself is written back too (``n`` numbers, ``1/d`` of the
bytes of ``X``), so that the loss comes from it without another pass.

On GPU the kernel compiles through Triton, which wants power-of-two block shapes: it runs when
``d`` is a power of two (up to 1024) and covers the ``n // block_rows`` full blocks; the remaining
rows go through XLA. On CPU it runs in Pallas's interpret mode, slowly but exactly, so that the
test suite checks the same kernel that runs on the GPU.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl

from linmodels.linear import HIGHEST

Array = jax.Array


def _kernel(x_ref, y_ref, w_ref, r_ref, g_ref):
  x = x_ref[...]                                   # [block_rows, d]
  r = jnp.sum(x * w_ref[...][None, :], axis=1) - y_ref[...]
  r_ref[...] = r
  g_ref[...] = jnp.sum(x * r[:, None], axis=0)[None, :]


def supported(d: int) -> bool:
  """Whether the kernel handles ``d`` features (a power of two from 16 to 1024)."""
  return 16 <= d <= 1024 and d & (d - 1) == 0


def default_block_rows(d: int) -> int:
  """About 8k elements of ``X`` per program (128 rows at ``d = 64``). A Triton program holds its
  block in registers; measured on an H100 for 10M×64 float32 (``python -m benchmarks --device
  gpu``): 64 rows 1.04 ms, 128 rows 1.02 ms, 256 rows 1.05 ms, 512 rows 1.18 ms, 1024 rows
  2.31 ms a gradient step, against 1.83 ms for XLA's two passes."""
  return max(16, 8192 // d)


@functools.partial(jax.jit, static_argnames=("block_rows", "interpret"))
def residual_gradient(xs: Array, ys: Array, w: Array, *, block_rows: int | None = None,
                      interpret: bool | None = None) -> tuple[Array, Array]:
  """``(Xᵀr, r)`` with ``r = Xw - y``, reading ``X`` once.

  Args:
    xs: `[n, d]` float32 inputs, ``d`` a power of two from 16 to 1024 (``supported``).
    ys: `[n]` targets (subtract a bias beforehand: ``ys - b``).
    w: `[d]` weights.
    block_rows: rows per program, a power of two (default ``default_block_rows(d)``).
    interpret: run in Pallas's interpret mode (default: on CPU).

  Returns:
    ``(xtr, r)``: `[d]` ``Xᵀ(Xw - y)`` and `[n]` the residuals.

  >>> import jax.numpy as jnp
  >>> xs = jnp.ones((64, 16)); ys = jnp.zeros(64)
  >>> xtr, r = residual_gradient(xs, ys, jnp.ones(16), block_rows=32)
  >>> float(xtr[0]), float(r[0])
  (1024.0, 16.0)
  """
  n, d = xs.shape
  if not supported(d):
    raise ValueError(f"the Pallas kernel needs d a power of two in 16..1024, got xs.shape={xs.shape}")
  if ys.shape != (n,) or w.shape != (d,):
    raise ValueError(f"shapes must be xs [n, d], ys [n], w [d]; got {xs.shape}, {ys.shape}, {w.shape}")
  if interpret is None:
    interpret = jax.default_backend() == "cpu"
  b = block_rows or default_block_rows(d)
  if b & (b - 1):
    raise ValueError(f"block_rows must be a power of two, got {b}")
  nb = n // b
  xtr = jnp.zeros((d,), xs.dtype)
  r_head = jnp.zeros((0,), xs.dtype)
  if nb:
    r_head, parts = pl.pallas_call(
        _kernel,
        grid=(nb,),
        in_specs=[pl.BlockSpec((b, d), lambda i: (i, 0)), pl.BlockSpec((b,), lambda i: (i,)),
                  pl.BlockSpec((d,), lambda i: (0,))],
        out_specs=[pl.BlockSpec((b,), lambda i: (i,)), pl.BlockSpec((1, d), lambda i: (i, 0))],
        out_shape=[jax.ShapeDtypeStruct((nb * b,), xs.dtype),
                   jax.ShapeDtypeStruct((nb, d), xs.dtype)],
        interpret=interpret,
    )(xs, ys, w)
    xtr = jnp.sum(parts, axis=0)
  if n % b:
    x_tail = xs[nb * b:]
    r_tail = jnp.matmul(x_tail, w, precision=HIGHEST) - ys[nb * b:]
    xtr = xtr + jnp.matmul(r_tail, x_tail, precision=HIGHEST)
    return xtr, jnp.concatenate([r_head, r_tail])
  return xtr, r_head
