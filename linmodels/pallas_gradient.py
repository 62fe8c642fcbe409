"""A Pallas kernel for the least-squares gradient that reads ``X`` once.

XLA computes ``Xᵀ(Xw - y)`` as two products, each a pass over ``X`` from device memory. This
kernel gives every block of rows to one program, which loads its block once, forms the block's
residual ``r = Xw - y`` and its share of ``Xᵀr``; the per-block shares (``[num_blocks, d]``, small)
are summed afterwards. ``residual_gradient`` writes the residual back too (``n`` numbers, ``1/d``
of the bytes of ``X``); ``gradient_sums``, for callers that need only the loss, returns each
block's ``Σ r`` and ``Σ r²`` instead (``fused_mse_loss`` and ``lstsq``'s refinement on GPU).

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


def _make_kernel(shifted: bool, sums: bool):
  """The per-block program: ``r = (x - c)ᵀw - y`` for its rows and its share of ``Σ (x - c) r``;
  with ``sums``, the block's ``Σ r`` and ``Σ r²`` instead of ``r`` itself (no `[n]` write)."""

  def kernel(x_ref, y_ref, w_ref, *refs):
    if shifted:
      c_ref, *refs = refs
      x = x_ref[...] - c_ref[...][None, :]         # the shift costs registers, not a pass
    else:
      x = x_ref[...]                               # [block_rows, d]
    out_ref, g_ref = refs
    r = jnp.sum(x * w_ref[...][None, :], axis=1) - y_ref[...]
    if sums:
      # [Σ r, Σ r²] as one (1, 2) block, built from iota and select (no concatenate in Triton).
      first = jnp.arange(2)[None, :] == 0
      out_ref[...] = jnp.where(first, jnp.sum(r), jnp.sum(r * r))
    else:
      out_ref[...] = r
    g_ref[...] = jnp.sum(x * r[:, None], axis=0)[None, :]

  return kernel


def supported(d: int) -> bool:
  """Whether the kernel handles ``d`` features (a power of two from 16 to 1024)."""
  return 16 <= d <= 1024 and d & (d - 1) == 0


def default_block_rows(d: int) -> int:
  """About 8k elements of ``X`` per program (128 rows at ``d = 64``). A Triton program holds its
  block in registers; measured on an H100 for 10M×64 float32 (``python -m benchmarks --device
  gpu``, ``gradient_sums``): 64 rows 1.01 ms, 128 rows 0.98 ms, 256 rows 1.00 ms, 512 rows
  1.17 ms, 1024 rows 2.39 ms a gradient step, against 1.84 ms for XLA's two passes. Triton's
  warps per program (2, 4 or 8) moved a pass at ``d = 64`` by at most 2% at 64 and 128 rows; at
  ``d = 128`` 8 warps were 2-3% faster than the default and 2 warps at 128 rows 40% slower (the
  ``residual_passes`` rows), so the default stays Triton's."""
  return max(16, 8192 // d)


def _call(xs, ys, w, shift, *, sums, block_rows, interpret, num_warps):
  """Checks, then the kernel over the full blocks and XLA over the remaining rows. Returns
  ``(xtr, r)`` or, with ``sums``, ``(xtr, Σ r, Σ r²)``."""
  n, d = xs.shape
  if not supported(d):
    raise ValueError(f"the Pallas kernel needs d a power of two in 16..1024, got xs.shape={xs.shape}")
  if ys.shape != (n,) or w.shape != (d,) or (shift is not None and shift.shape != (d,)):
    raise ValueError(f"shapes must be xs [n, d], ys [n], w [d], shift [d]; got {xs.shape}, "
                     f"{ys.shape}, {w.shape}, {None if shift is None else shift.shape}")
  if interpret is None:
    interpret = jax.default_backend() == "cpu"
  b = block_rows or default_block_rows(d)
  if b & (b - 1):
    raise ValueError(f"block_rows must be a power of two, got {b}")
  nb = n // b
  dtype = xs.dtype
  xtr = jnp.zeros((d,), dtype)
  head = jnp.zeros((0, 2) if sums else (0,), dtype)
  vector = pl.BlockSpec((d,), lambda i: (0,))
  extra = {}
  if num_warps is not None and not interpret:
    from jax.experimental.pallas import triton as pl_triton
    extra["compiler_params"] = pl_triton.CompilerParams(num_warps=num_warps)
  if nb:
    head, parts = pl.pallas_call(
        _make_kernel(shift is not None, sums),
        grid=(nb,),
        in_specs=[pl.BlockSpec((b, d), lambda i: (i, 0)), pl.BlockSpec((b,), lambda i: (i,)),
                  vector] + ([] if shift is None else [vector]),
        out_specs=[pl.BlockSpec((1, 2), lambda i: (i, 0)) if sums else pl.BlockSpec((b,), lambda i: (i,)),
                   pl.BlockSpec((1, d), lambda i: (i, 0))],
        out_shape=[jax.ShapeDtypeStruct((nb, 2) if sums else (nb * b,), dtype),
                   jax.ShapeDtypeStruct((nb, d), dtype)],
        interpret=interpret,
        **extra,
    )(*((xs, ys, w) if shift is None else (xs, ys, w, shift)))
    xtr = jnp.sum(parts, axis=0)
  r_tail = jnp.zeros((0,), dtype)
  if n % b:
    x_tail = xs[nb * b:] if shift is None else xs[nb * b:] - shift[None, :]
    r_tail = jnp.matmul(x_tail, w, precision=HIGHEST) - ys[nb * b:]
    xtr = xtr + jnp.matmul(r_tail, x_tail, precision=HIGHEST)
  if sums:
    totals = jnp.sum(head, axis=0)
    return xtr, totals[0] + jnp.sum(r_tail), totals[1] + jnp.sum(r_tail * r_tail)
  return xtr, jnp.concatenate([head, r_tail])


_STATIC = ("block_rows", "interpret", "num_warps")


@functools.partial(jax.jit, static_argnames=_STATIC)
def residual_gradient(xs: Array, ys: Array, w: Array, shift: Array | None = None, *,
                      block_rows: int | None = None, interpret: bool | None = None,
                      num_warps: int | None = None) -> tuple[Array, Array]:
  """``(Zᵀr, r)`` with ``Z = X - c`` and ``r = Zw - y``, reading ``X`` once.

  Args:
    xs: `[n, d]` float32 inputs, ``d`` a power of two from 16 to 1024 (``supported``).
    ys: `[n]` targets (subtract a bias beforehand: ``ys - b``).
    w: `[d]` weights.
    shift: optional `[d]` ``c`` subtracted from every row inside the kernel (default 0); the
      centred least-squares problem of ``lstsq`` without a centred copy of ``X``.
    block_rows: rows per program, a power of two (default ``default_block_rows(d)``).
    interpret: run in Pallas's interpret mode (default: on CPU).
    num_warps: Triton warps per program on GPU (default: Triton's choice).

  Returns:
    ``(xtr, r)``: `[d]` ``Zᵀ(Zw - y)`` and `[n]` the residuals.

  >>> import jax.numpy as jnp
  >>> xs = jnp.ones((64, 16)); ys = jnp.zeros(64)
  >>> xtr, r = residual_gradient(xs, ys, jnp.ones(16), block_rows=32)
  >>> float(xtr[0]), float(r[0])
  (1024.0, 16.0)
  """
  return _call(xs, ys, w, shift, sums=False, block_rows=block_rows, interpret=interpret,
               num_warps=num_warps)


@functools.partial(jax.jit, static_argnames=_STATIC)
def gradient_sums(xs: Array, ys: Array, w: Array, shift: Array | None = None, *,
                  block_rows: int | None = None, interpret: bool | None = None,
                  num_warps: int | None = None) -> tuple[Array, Array, Array]:
  """``(Zᵀr, Σ r, Σ r²)`` with ``Z = X - c`` and ``r = Zw - y``: ``residual_gradient`` without
  writing ``r`` (each program returns its block's two sums), for the loss and gradient of least
  squares (``lstsq_losses.fused_mse_loss``) and the refinement steps of ``lstsq`` on GPU.

  Args and shapes as ``residual_gradient``.

  Returns:
    ``(xtr, r_sum, rr)``: `[d]`, `[]`, `[]`.

  >>> import jax.numpy as jnp
  >>> xtr, r_sum, rr = gradient_sums(jnp.ones((64, 16)), jnp.zeros(64), jnp.ones(16), block_rows=32)
  >>> float(xtr[0]), float(r_sum), float(rr)
  (1024.0, 1024.0, 16384.0)
  """
  return _call(xs, ys, w, shift, sums=True, block_rows=block_rows, interpret=interpret,
               num_warps=num_warps)
