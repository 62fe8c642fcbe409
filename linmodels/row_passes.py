"""One pass over the rows of a tall design: the centred Gram matrix and the residual gradient.

Least squares on tall data (``n ≫ d``) is bound by reading ``X`` from memory. The textbook
formulas read it more often than they must: centring writes a copy of ``X``, ``XᵀX`` and ``Xᵀy``
read it twice more, and a gradient step ``Xᵀ(Xw - y)`` reads it once for ``Xw`` and once for
``Xᵀr``. The two reductions here read every row once:

* ``centred_gram``: ``XcᵀXc``, ``XcᵀYc`` and the means, with ``Xc = X - x̄``, from the Gram
  matrix of the shifted ``[X - c, Y - c_y]``. The shift ``c`` is the mean of the first rows, so
  that the correction ``XcᵀXc = ZᵀZ - n δδᵀ`` (``δ`` = mean of the shifted data) cancels
  almost nothing; no centred copy of ``X`` is ever written.
* ``residual_gradient``: ``Σ sᵢ (xᵢ - c)(yᵢ - b - (xᵢ - c)ᵀw)``, the least-squares gradient and
  the residual sums that give the loss, in one pass.

On CPU both run as a ``lax.scan`` over blocks of rows small enough to stay in cache while they
are used twice (measured at 1M×64 float32 on this project's 2-core machine: the Gram of
``[X y]`` 128 ms against 157 ms for ``X.T @ X`` alone; a gradient 27 ms against 52 ms for
``(Xw - y) @ X``). On GPU and TPU the whole array is one block: their matrix units and
bandwidth are best used by one large product, and ``centred_gram`` (unweighted) forms ``XᵀX``
and the cross-products with ``[1, Y]`` as two products over ``X`` itself rather than one over a
concatenated copy (see ``_device_gram``). ``block_rows`` overrides the choice. On GPU,
``residual_sums`` for one output reads ``X`` once through the Pallas kernel of
``pallas_gradient`` (XLA's fused reductions read it twice).

Both are ``jax.jit`` functions, as are the passes built on ``reduce_rows`` elsewhere (the fused
logistic, softmax and MLP losses): called eagerly, a scan over blocks whose body is a closure
made in each call would be traced and compiled again every time (``jax.grad(fused_mse_loss)`` at
100k×16 took 282 ms a call eagerly against 2 ms jitted); inside a caller's ``jit`` they are
inlined, and the compiled programs are the same.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from linmodels import pallas_gradient
from linmodels.linear import HIGHEST

Array = jax.Array

# Rows per block on CPU, in bytes of X. Passes that multiply a block by itself (the Gram matrix,
# the IRLS Hessian) do d times more work a row than they read and keep the block in cache while
# they use it: 2 MiB, measured best between 1 and 4 MiB (L2/L3 sized). Gradient passes
# (matrix-vector products: the least-squares residual, the logistic and softmax gradients) do
# little work a row, and there the fixed cost of each block of the scan counts: 4 MiB blocks ran
# 10-15% faster than 2 MiB ones on an AVX-512 EPYC with 1 MiB of L2 a core and 32 MiB of L3
# (2 cores, interleaved, 30-40 calls each, medians: the least-squares gradient at 1M×64 25.3 ms
# against 28.6 ms and at 100k×64 2.91 against 3.36 ms; the logistic gradient at 100k×100 4.62
# against 5.26 ms; the softmax gradient, 10 classes, at 1M×50 93.6 against 110 ms); the Gram
# passes ran slower with them (1M×64 99.7 against 95.1 ms, 200k×256 221 against 191 ms).
_CPU_BLOCK_BYTES = 2 ** 21
_CPU_GRADIENT_BLOCK_BYTES = 2 ** 22
_SHIFT_ROWS = 1024


def cpu_block_rows(n: int, d: int, itemsize: int = 4, *, gradient: bool = False) -> int:
  """The rows per block on CPU: about 2 MiB of ``X`` (4 MiB for a ``gradient`` pass of
  matrix-vector products), at least 256 rows, at most ``n``."""
  block_bytes = _CPU_GRADIENT_BLOCK_BYTES if gradient else _CPU_BLOCK_BYTES
  return int(min(n, max(256, block_bytes // max(1, d * itemsize))))


def reduce_rows(fn: Callable, init, arrays: tuple, *, block_rows: int | None = None,
                gradient: bool = False):
  """``fn(acc, mask, *blocks) -> acc`` folded over blocks of rows of ``arrays`` (each `[n, ...]`).

  ``mask`` is ``None`` when every row of every block counts. When the block size does not divide
  ``n``, the last block is the last ``block_rows`` rows, overlapping the one before it, and
  ``mask`` is a `[block_rows]` array of 0/1 weights that zeroes the rows already counted: one
  loop body (one compiled copy of ``fn``) covers everything. ``fn`` must be a sum over rows,
  weighted by ``mask`` where given. ``block_rows=None`` picks the default backend's choice when
  tracing: on CPU blocks of about 2 MiB, or 4 MiB for a ``gradient`` pass (matrix-vector
  products, see ``cpu_block_rows``); one block on every other platform.
  """
  n = _check_rows("reduce_rows", arrays)
  if block_rows is None:
    d = max(1, arrays[0].size // max(n, 1))
    block_rows = (_even_blocks(n, cpu_block_rows(n, d, arrays[0].dtype.itemsize, gradient=gradient))
                  if _on_cpu() else n)
  b = max(1, min(int(block_rows), n))
  nb, rem = divmod(n, b)
  if nb == 1 and rem == 0:
    return fn(init, None, *arrays)
  dtype = arrays[0].dtype

  def body(acc, i):
    start = jnp.minimum(i * b, n - b)
    blocks = tuple(lax.dynamic_slice_in_dim(a, start, b) for a in arrays)
    if rem == 0:
      return fn(acc, None, *blocks), None
    mask = (start + jnp.arange(b) >= i * b).astype(dtype)
    return fn(acc, mask, *blocks), None

  acc, _ = lax.scan(body, init, jnp.arange(nb + (rem > 0)))
  return acc


def mean_over_rows(row_loss: Callable, row_pass: Callable) -> Callable:
  """``(params, xs, ys) -> mean row_loss(params, xs, ys)`` whose value and parameter gradient come
  from one pass over the rows.

  ``row_loss(params, xs, ys)`` is the `[n]` per-example loss; ``row_pass(params, xs, ys)`` returns
  ``(Σ loss, Σ ∇_params loss)`` from one pass (typically ``reduce_rows`` over blocks). The result
  is a custom VJP: its parameter gradient is the pass's, while the data's cotangents come from
  autodiff of the plain mean (dead code under ``jit`` unless asked for; integer labels get none).
  ``fused_logistic_loss``, ``fused_softmax_loss`` and ``fit_mlp``'s full-batch loss are built on
  it.
  """
  @jax.custom_vjp
  def mean(params, xs, ys):
    return row_pass(params, xs, ys)[0] / xs.shape[0]

  def fwd(params, xs, ys):
    total, grad = row_pass(params, xs, ys)
    n = xs.shape[0]
    return total / n, (jax.tree_util.tree_map(lambda t: t / n, grad), params, xs, ys)

  def bwd(res, g):
    grad, params, xs, ys = res
    plain = lambda x, y: jnp.mean(row_loss(params, x, y))
    d_xs = g * jax.grad(plain)(xs, ys)
    if jnp.issubdtype(ys.dtype, jnp.floating):
      d_ys = g * jax.grad(plain, argnums=1)(xs, ys)
    else:  # integer labels
      d_ys = np.zeros(ys.shape, dtype=jax.dtypes.float0)
    return jax.tree_util.tree_map(lambda t: g * t, grad), d_xs, d_ys

  mean.defvjp(fwd, bwd)
  return mean


def _check_rows(name: str, arrays: tuple) -> int:
  """The number of rows, which must be positive: a pass over no rows has no block to read (the
  loss of no examples is undefined, and the slicing failed with an error about slice sizes)."""
  n = arrays[0].shape[0]
  if n == 0:
    raise ValueError(f"{name}: no examples to pass over (array shapes "
                     f"{[tuple(a.shape) for a in arrays]}); at least one row is needed")
  return n


def _even_blocks(n: int, target: int) -> int:
  """A block size near ``target`` that divides ``n`` (no masked overlap, which cost 40% in the
  Gram pass at 10k and 100k rows), searched down to ``target / 2``; ``n`` itself up to
  ``1.5 · target`` rows; else ``target``."""
  if n <= 1.5 * target:
    return n
  for b in range(target, target // 2, -1):
    if n % b == 0:
      return b
  return target


def _on_gpu() -> bool:
  # Where the Triton-compiled Pallas kernel runs (a TPU would need its own kernel).
  return jax.default_backend() == "gpu"


def _weights(mask, sb):
  """The row weights of a block: ``mask · sb``, either may be ``None`` (all ones)."""
  if mask is None:
    return sb
  return mask if sb is None else mask * sb


def _on_cpu() -> bool:
  # Decided when tracing, from the default backend (where a jitted call runs unless its inputs
  # are committed elsewhere). ``lax.platform_dependent`` would defer the choice to lowering, but
  # it compiles both variants: twice the compile time for every solver.
  return jax.default_backend() == "cpu"


class CentredGram(NamedTuple):
  """The centred cross-products of ``[X Y]``, from one pass.

  Attributes:
    gram: `[d, d]` ``Σ sᵢ (xᵢ - x̄)(xᵢ - x̄)ᵀ``.
    rhs: `[d, k]` ``Σ sᵢ (xᵢ - x̄)(yᵢ - ȳ)ᵀ``.
    yy: `[k, k]` ``Σ sᵢ (yᵢ - ȳ)(yᵢ - ȳ)ᵀ`` (the total sum of squares on its diagonal).
    x_mean: `[d]` the (weighted) column means ``x̄`` (zeros when not centring).
    y_mean: `[k]` ``ȳ``.
    weight: `[]` ``Σ sᵢ`` (``n`` without weights).
  """
  gram: Array
  rhs: Array
  yy: Array
  x_mean: Array
  y_mean: Array
  weight: Array


@functools.partial(jax.jit, static_argnames=("centre", "precision", "block_rows"))
def centred_gram(xs: Array, ys: Array, sample_weight: Array | None = None, *, centre: bool = True,
                 precision=HIGHEST, block_rows: int | None = None) -> CentredGram:
  """``XcᵀXc``, ``XcᵀYc`` and the means in one pass over the rows.

  The lecture's normal equation needs ``XᵀX`` and ``XᵀY``; with an intercept, of the centred
  data. Here they come from the Gram matrix of ``Z = [X - c, Y - c_y]`` (``c`` the mean of the
  first 1024 rows), corrected by ``ZᵀSZ - (Σ sᵢ) δδᵀ`` with ``δ`` the weighted mean of ``Z``.

  Args:
    xs: `[n, d]` inputs.
    ys: `[n, k]` targets.
    sample_weight: optional `[n]` non-negative weights ``s``.
    centre: subtract the means (an intercept); ``False`` returns the raw cross-products.
    precision: of the Gram product; ``lax.Precision.DEFAULT`` allows a GPU's TF32 units. On
      GPU/TPU, unweighted and in reduced precision, the product is of ``X`` itself and centred
      afterwards, which loses about ``centring_amplification`` times its precision: fine for a
      preconditioner, not for an answer.
    block_rows: rows per block (default: the platform's choice, see the module docstring).

  Returns:
    A ``CentredGram``.

  >>> import jax.numpy as jnp
  >>> xs = jnp.array([[1.0], [2.0], [3.0]])
  >>> g = centred_gram(xs, 2 * xs)
  >>> g.gram, g.rhs, g.x_mean
  (Array([[2.]], dtype=float32), Array([[4.]], dtype=float32), Array([2.], dtype=float32))
  """
  n, d = xs.shape
  _check_rows("centred_gram", (xs, ys))
  k = ys.shape[1]
  dtype = xs.dtype
  if centre:
    head = min(n, _SHIFT_ROWS)
    shift = jnp.concatenate([jnp.mean(xs[:head], axis=0), jnp.mean(ys[:head], axis=0)])
  else:
    shift = jnp.zeros((d + k,), dtype)
  if _device_path(sample_weight, block_rows):
    g, u, s = _device_gram(xs, ys, shift, precision,
                           centre_after=_centres_after_product(precision, sample_weight, block_rows))
  else:
    g, u, s = _blocked_gram(xs, ys, sample_weight, shift, precision, block_rows)
  if centre:
    delta = u / s
    g = g - s * jnp.outer(delta, delta)
    mean = shift + delta
  else:
    mean = shift
  return CentredGram(gram=g[:d, :d], rhs=g[:d, d:], yy=g[d:, d:], x_mean=mean[:d],
                     y_mean=mean[d:], weight=s)


def _blocked_gram(xs, ys, sample_weight, shift, precision, block_rows):
  """``(ZᵀSZ, Σ sᵢ zᵢ, Σ sᵢ)`` of ``Z = [X Y] - shift``, one ``reduce_rows`` pass."""
  d, k = xs.shape[1], ys.shape[1]
  dtype = xs.dtype
  arrays = (xs, ys) if sample_weight is None else (xs, ys, sample_weight)
  # Off CPU the matrix units want aligned shapes: [X Y] of width d + 1 = 1025 ran a float32 Gram
  # matrix no faster in reduced precision than in full on an H100. Pad [X Y] with zero columns
  # to a multiple of 8 there (they are sliced off below); the copy is being written anyway.
  pad = 0 if _on_cpu() else -(d + k) % 8

  width = d + k + pad
  starts = _strip_starts(width) if _on_cpu() else [0]
  ends = starts[1:] + [width]

  def fn(acc, mask, xb, yb, sb=None):
    strips, u, s = acc
    wb = _weights(mask, sb)
    parts = [xb, yb] + ([jnp.zeros((xb.shape[0], pad), dtype)] if pad else [])
    z = jnp.concatenate(parts, axis=1) - jnp.pad(shift, (0, pad))[None, :]
    zs = z if wb is None else z * wb[:, None]
    strips = tuple(g + lax.dot_general(zs[:, a:e], z[:, a:], (((0,), (0,)), ((), ())),
                                       precision=precision)
                   for g, a, e in zip(strips, starts, ends))
    u = u + jnp.sum(zs, axis=0)
    s = s + (xb.shape[0] if wb is None else jnp.sum(wb))
    return strips, u, s

  init = (tuple(jnp.zeros((e - a, width - a), dtype) for a, e in zip(starts, ends)),
          jnp.zeros((width,), dtype), jnp.zeros((), dtype))
  strips, u, s = reduce_rows(fn, init, arrays, block_rows=block_rows)
  if len(strips) == 1:
    g = strips[0]
  else:  # the upper block-rows, mirrored
    upper = jnp.concatenate([jnp.pad(t, ((0, 0), (a, 0))) for t, a in zip(strips, starts)], axis=0)
    i = jnp.arange(width)
    g = jnp.where(i[:, None] <= i[None, :], upper, upper.T)
  return g[:d + k, :d + k], u[:d + k], s


def _strip_starts(width: int) -> list[int]:
  """Column starts of the block-rows of the upper triangle that the CPU Gram pass forms (a
  symmetric rank-k update, as BLAS ``syrk`` does, from general products): up to 4 strips of at
  least 128 columns. Measured on 2 cores at 20k×1025: 212 ms against 349 ms for the full product
  (4 strips; 2 strips 246 ms); at 200k×257 (2 strips) 346 against 393 ms; at 1M×65 the full
  product (one strip) was as fast."""
  parts = max(1, min(4, width // 128))
  size = -(-width // parts)
  return list(range(0, width, size))


def _device_path(sample_weight, block_rows) -> bool:
  """Whether ``centred_gram`` takes ``_device_gram`` (GPU/TPU, unweighted, default blocks)."""
  return not _on_cpu() and sample_weight is None and block_rows is None


def _centres_after_product(precision, sample_weight=None, block_rows=None) -> bool:
  """Whether ``centred_gram`` forms a product of ``X`` itself and centres it afterwards."""
  return _device_path(sample_weight, block_rows) and precision != HIGHEST


def _device_gram(xs, ys, shift, precision, *, centre_after: bool):
  """``(ZᵀZ, Σ zᵢ, n)`` of ``Z = [X Y] - shift`` for GPU and TPU, without writing ``[X Y]``.

  ``XᵀX`` is the one large product; the `[d, 1 + k]` cross-products of ``X - c`` with
  ``[1, Y - c_y]`` take one more read of ``X``. In full precision ``X - c`` goes into the product
  (XLA fuses the subtraction there: 12.2 ms at 10M×128 on an H100, against 21.1 ms for the
  concatenated, padded ``[X Y]`` this replaced, which wrote a copy of ``X`` first). In reduced
  precision (TF32) the fused subtraction was not taken (18.6 ms at 1M×1024 against 8.6 ms for
  the bare product), so the product is of ``X`` itself and the shift is applied to the `[d, d]`
  result: ``ZxᵀZx = XᵀX - c sᵀ - s cᵀ + n ccᵀ`` with ``s = Σ xᵢ``. That cancels digits when a
  column's mean is large against its spread (``centring_amplification``); the reduced-precision
  Gram matrix only preconditions a refinement with full-precision residuals, whose gate accounts
  for it. (Splitting the rows into 8 or 64 groups for a batched product was slower: 14.7 ms.)
  """
  n, d = xs.shape
  dtype = xs.dtype
  c = shift[:d]
  zx = xs - c[None, :]
  zy = ys - shift[None, d:]
  if centre_after and ys.shape[1] == 1:
    # Two fused sums in one read of X. As a product with [1, Y - c_y] ([d, 2] from [n, d]) the
    # cross terms ran at a third of the bandwidth (H100, 10M×128: 5.4 ms, against 2.0 ms as
    # sums); this function went from 10.3 to 8.4 ms there and from 12.5 to 9.7 ms at 1M×1024.
    # In full precision the product stays: as sums the cross terms saved no time in lstsq
    # (H100, 15 interleaved repeats: cholesky 11.95 against 11.93 ms at 10M×128, 43.9 against
    # 43.9 ms at 1M×1024) and lost accuracy in XLA's column sums over 10M rows (the Xᵀy column
    # against float64 at 10M×64: 8.9e-7 against 7.5e-8, lstsq(cholesky) w 1.7e-6 against 1.3e-6).
    cross = jnp.stack([jnp.sum(zx, axis=0), jnp.sum(zx * zy, axis=0)], axis=1)  # [d, 2]
  else:
    ones_y = jnp.concatenate([jnp.ones((n, 1), dtype), zy], axis=1)
    cross = lax.dot_general(zx, ones_y, (((0,), (0,)), ((), ())), precision=HIGHEST)  # [d, 1 + k]
  ux = cross[:, 0]
  if not centre_after:
    gxx = lax.dot_general(zx, zx, (((0,), (0,)), ((), ())), precision=precision)
  else:
    raw = lax.dot_general(xs, xs, (((0,), (0,)), ((), ())), precision=precision)
    sx = ux + n * c
    gxx = raw - jnp.outer(c, sx) - jnp.outer(sx, c) + n * jnp.outer(c, c)
  yy = lax.dot_general(zy, zy, (((0,), (0,)), ((), ())), precision=HIGHEST)
  g = jnp.block([[gxx, cross[:, 1:]], [cross[:, 1:].T, yy]])
  u = jnp.concatenate([ux, jnp.sum(zy, axis=0)])
  return g, u, jnp.asarray(n, dtype)


def centring_amplification(cg: CentredGram, precision, sample_weight: Array | None = None) -> Array:
  """``max_j (1 + n x̄_j² / (XcᵀXc)_jj)``: how much the error of a reduced-precision ``XᵀX``
  grows, relative to the centred Gram matrix, when ``centred_gram`` (called with the same
  ``precision`` and ``sample_weight``) centres it after the product (GPU/TPU, unweighted,
  ``precision`` below HIGHEST); 1 where the product was of shifted data."""
  if not _centres_after_product(precision, sample_weight):
    return jnp.ones((), cg.gram.dtype)
  var = jnp.maximum(jnp.diag(cg.gram), jnp.finfo(cg.gram.dtype).tiny)
  return 1.0 + jnp.max(cg.weight * cg.x_mean * cg.x_mean / var)


def _pallas_path(kernel, d, k, dtype, sample_weight, block_rows) -> bool:
  """Whether ``residual_sums`` runs the one-pass Pallas kernel (``pallas_gradient``): where it
  applies (one output, unweighted, ``d`` a power of two), always for ``kernel="pallas"``; for
  ``"auto"`` on GPU with float32 data and default blocks."""
  if kernel == "xla" or k != 1 or sample_weight is not None or not pallas_gradient.supported(d):
    return False
  return kernel == "pallas" or (_on_gpu() and dtype == jnp.float32 and block_rows is None)


class ResidualSums(NamedTuple):
  """One pass of ``r = y - b - (x - c)ᵀw`` over the rows.

  Attributes:
    xtr: `[d, k]` ``Σ sᵢ (xᵢ - c) rᵢᵀ``; the least-squares gradient is ``-xtr / Σ sᵢ``.
    r_sum: `[k]` ``Σ sᵢ rᵢ``.
    rr: `[k]` ``Σ sᵢ rᵢ²``.
  """
  xtr: Array
  r_sum: Array
  rr: Array


@functools.partial(jax.jit, static_argnames=("block_rows", "kernel"))
def residual_sums(xs: Array, ys: Array, w: Array, b: Array, shift: Array | None = None,
                  sample_weight: Array | None = None, *, block_rows: int | None = None,
                  kernel: str = "auto") -> ResidualSums:
  """``Σ sᵢ (xᵢ - c) rᵢ`` with ``rᵢ = yᵢ - b - (xᵢ - c)ᵀw``, and the residual sums, in one pass.

  With ``c = 0`` and ``s = 1`` the gradient of ``½ mean (wᵀx + b - y)²`` is
  ``(-xtr / n, -r_sum / n)`` and the loss is ``rr / (2n)``.

  Args:
    xs: `[n, d]`; ys: `[n, k]`; w: `[d, k]`; b: `[k]`; shift: `[d]` ``c`` (default 0);
    sample_weight: optional `[n]`.
    block_rows: rows per block (default: the platform's choice); for the Pallas kernel, rows
      per program (a power of two).
    kernel: where the one-pass Pallas kernel (``pallas_gradient``) applies (one output,
      unweighted, ``d`` a power of two), ``"pallas"`` takes it (in interpret mode on CPU) and
      ``"auto"`` takes it on GPU for float32 data and default blocks; ``"xla"`` never does.

  Returns:
    ``ResidualSums``.

  >>> import jax.numpy as jnp
  >>> xs = jnp.array([[1.0], [2.0]]); ys = jnp.array([[1.0], [3.0]])
  >>> residual_sums(xs, ys, jnp.zeros((1, 1)), jnp.zeros(1)).xtr
  Array([[7.]], dtype=float32)
  """
  d, k = w.shape
  dtype = xs.dtype
  _check_rows("residual_sums", (xs, ys))
  if kernel not in ("auto", "xla", "pallas"):
    raise ValueError(f"kernel must be 'auto', 'xla' or 'pallas', got {kernel!r}")
  if _pallas_path(kernel, d, k, dtype, sample_weight, block_rows):
    # The Pallas kernel reads each row of X once for both products, where XLA's fused
    # reductions on a GPU read it twice (a refinement step of lstsq at 10M×128 on an H100: see
    # benchmarks/RESULTS.md, gpu rows).
    xtr, r_sum, rr = pallas_gradient.gradient_sums(xs, ys[:, 0] - b[0], w[:, 0], shift,
                                                   block_rows=block_rows)
    return ResidualSums(xtr=-xtr[:, None], r_sum=-r_sum[None], rr=rr[None])
  arrays = (xs, ys) if sample_weight is None else (xs, ys, sample_weight)

  elementwise = k == 1 and not _on_cpu()

  def fn(acc, mask, xb, yb, sb=None):
    xtr, rs, rr = acc
    sb = _weights(mask, sb)
    z = xb if shift is None else xb - shift[None, :]
    if elementwise:
      # One output off CPU: products as multiply-and-reduce, which XLA fuses with the shift into
      # one read of X each (a matrix-vector product would first write the shifted copy).
      r = yb - b[None, :] - jnp.sum(z * w[:, 0][None, :], axis=1, keepdims=True)
      rsw = r if sb is None else r * sb[:, None]
      xtr = xtr + jnp.sum(z * rsw, axis=0)[:, None]
    else:
      r = yb - b[None, :] - jnp.matmul(z, w, precision=HIGHEST)
      rsw = r if sb is None else r * sb[:, None]
      # (rᵀZ)ᵀ: XLA on CPU runs rᵀZ several times faster than Zᵀr.
      xtr = xtr + jnp.matmul(rsw.T, z, precision=HIGHEST).T
    return xtr, rs + jnp.sum(rsw, axis=0), rr + jnp.sum(rsw * r, axis=0)

  init = (jnp.zeros((d, k), dtype), jnp.zeros((k,), dtype), jnp.zeros((k,), dtype))
  return ResidualSums(*reduce_rows(fn, init, arrays, block_rows=block_rows, gradient=True))
