"""Least squares across devices and beyond memory, through sufficient statistics.

A (weighted, ridge) least-squares fit needs only ``n``, the column means ``x̄, ȳ`` and the centred
cross-products ``C_xx = Σ (x - x̄)(x - x̄)ᵀ`` and ``C_xy = Σ (x - x̄)(y - ȳ)``: `O(d²)` numbers,
whatever ``n`` is. So

* ``sharded_lstsq`` splits the rows over a device mesh (``shard_map``): each device sums its block,
  ``psum`` combines the means, then the centred cross-products, and the small solve happens once.
  Exact (the same sums in another order), with `O(d²)` communication. Row counts that do not divide
  by the number of devices are padded with rows of weight zero.
* ``LstsqAccumulator`` streams chunks of rows (a numpy array, a memory-mapped file, any iterator)
  and merges each chunk's statistics with Chan et al.'s pairwise update
  ``C = C_A + C_B + δδᵀ n_A n_B / n`` (``δ = mean_B - mean_A``), which never forms the
  cancellation-prone ``Σ xxᵀ - n x̄x̄ᵀ``.

Both finish with the equilibrated Cholesky solve of ``lstsq(method="cholesky")``; like it, they
square the condition number (see ``linmodels.least_squares``).
"""

from __future__ import annotations

import functools
from typing import Iterable, NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
from jax.sharding import Mesh, PartitionSpec as P

from linmodels import checks
from linmodels.linear import HIGHEST, LinearParams

Array = jax.Array


class Moments(NamedTuple):
  """Sufficient statistics of weighted least squares: total weight `[]`, means `[d]`, `[k]`,
  centred cross-products `[d, d]`, `[d, k]`."""
  n: Array
  x_mean: Array
  y_mean: Array
  cxx: Array
  cxy: Array


def _mm(a, b):
  return jnp.matmul(a, b, precision=HIGHEST)


def chunk_moments(xs: Array, ys2: Array, sw: Array | None = None) -> Moments:
  """The moments of one block of rows: ``xs`` `[n, d]`, ``ys2`` `[n, k]`, weights ``sw`` `[n]`
  (default ones)."""
  if (jnp.ndim(xs) != 2 or jnp.ndim(ys2) != 2 or jnp.shape(ys2)[0] != jnp.shape(xs)[0]
      or (sw is not None and tuple(jnp.shape(sw)) != tuple(jnp.shape(xs))[:1])):
    raise ValueError(f"chunk_moments: xs must be [n, d], ys2 [n, k] and sw [n] with one n; got "
                     f"xs.shape={tuple(jnp.shape(xs))}, ys2.shape={tuple(jnp.shape(ys2))}"
                     + ("" if sw is None else f", sw.shape={tuple(jnp.shape(sw))}"))
  sw = jnp.ones(xs.shape[:1], xs.dtype) if sw is None else sw
  n = jnp.sum(sw)
  safe = jnp.where(n > 0, n, 1.0)
  x_mean = _mm(sw, xs) / safe
  y_mean = _mm(sw, ys2) / safe
  xc = (xs - x_mean[None, :]) * sw[:, None]
  return Moments(n, x_mean, y_mean, _mm(xc.T, xs - x_mean[None, :]), _mm(xc.T, ys2 - y_mean[None, :]))


def merge_moments(a: Moments, b: Moments) -> Moments:
  """Chan et al.'s pairwise merge of two blocks' moments."""
  n = a.n + b.n
  safe = jnp.where(n > 0, n, 1.0)
  dx, dy = b.x_mean - a.x_mean, b.y_mean - a.y_mean
  f = a.n * b.n / safe
  return Moments(n, a.x_mean + dx * (b.n / safe), a.y_mean + dy * (b.n / safe),
                 a.cxx + b.cxx + f * jnp.outer(dx, dx), a.cxy + b.cxy + f * jnp.outer(dx, dy))


def solve_moments(m: Moments, l2: Array | float = 0.0, *, fit_intercept: bool = True) -> LinearParams:
  """The ridge/OLS solution from the moments: equilibrated Cholesky of ``C_xx + l2·I``.

  With ``fit_intercept=False`` the moments must have been gathered uncentred (``Moments`` with zero
  means), which ``sharded_lstsq`` and ``LstsqAccumulator`` do for that case.
  """
  checks.check_penalty(l2)
  scale = jnp.sqrt(jnp.diag(m.cxx))
  scale = jnp.where(scale > 0, scale, 1.0)
  g = m.cxx / jnp.outer(scale, scale) + jnp.diag(l2 / (scale * scale))
  chol = jnp.linalg.cholesky(g)
  w = jsl.cho_solve((chol, True), m.cxy / scale[:, None]) / scale[:, None]
  b = m.y_mean - _mm(m.x_mean, w) if fit_intercept else jnp.zeros_like(m.y_mean)
  return LinearParams(w, b)


def _as2d(ys):
  return ys if ys.ndim == 2 else ys[:, None]


def _squeeze(params: LinearParams, ndim: int) -> LinearParams:
  return LinearParams(params.w[:, 0], params.b[0]) if ndim == 1 else params


def sharded_lstsq(xs: Array, ys: Array, l2: Array | float = 0.0, *, mesh: Mesh | None = None,
                  axis: str = "data", fit_intercept: bool = True,
                  sample_weight: Array | None = None) -> LinearParams:
  """Data-parallel least squares over the devices of ``mesh`` (default: all devices, one axis).

  Args:
    xs: `[n, d]` inputs (any ``n``: padded with weight-zero rows to a multiple of the devices).
    ys: `[n]` or `[n, k]` targets.
    l2: `[]` ridge strength.
    mesh: a ``jax.sharding.Mesh``; rows are split along ``axis``.
    axis: the mesh axis that holds the data.
    fit_intercept: fit an unpenalised bias.
    sample_weight: optional `[n]` weights.

  Returns:
    ``LinearParams``, replicated; equal to ``lstsq(..., method="cholesky")`` up to rounding, and
    like it non-finite on a rank-deficient design (``lstsq(method="svd")`` gives the
    minimum-norm answer there).
  """
  xs, ys = checks.check_xy(xs, ys)
  sw = checks.check_weights(sample_weight, xs.shape[0], xs.dtype)
  checks.check_penalty(l2)
  if mesh is None:
    mesh = Mesh(np.array(jax.devices()), (axis,))
  size = mesh.shape[axis]
  n = xs.shape[0]
  pad = (-n) % size
  ys2 = _as2d(ys)
  sw = jnp.ones((n,), xs.dtype) if sw is None else sw
  if pad:
    xs = jnp.concatenate([xs, jnp.zeros((pad, xs.shape[1]), xs.dtype)])
    ys2 = jnp.concatenate([ys2, jnp.zeros((pad, ys2.shape[1]), xs.dtype)])
    sw = jnp.concatenate([sw, jnp.zeros((pad,), xs.dtype)])
  params = _sharded(xs, ys2, sw, jnp.asarray(l2, xs.dtype), mesh=mesh, axis=axis,
                    fit_intercept=fit_intercept)
  return _squeeze(params, ys.ndim)


@functools.partial(jax.jit, static_argnames=("mesh", "axis", "fit_intercept"))
def _sharded(xs, ys2, sw, l2, *, mesh, axis, fit_intercept):
  def local(xs, ys2, sw):
    n = jax.lax.psum(jnp.sum(sw), axis)
    if fit_intercept:
      x_mean = jax.lax.psum(_mm(sw, xs), axis) / n
      y_mean = jax.lax.psum(_mm(sw, ys2), axis) / n
    else:
      x_mean = jnp.zeros(xs.shape[1:], xs.dtype)
      y_mean = jnp.zeros(ys2.shape[1:], xs.dtype)
    xc, yc = xs - x_mean[None, :], ys2 - y_mean[None, :]
    cxx = jax.lax.psum(_mm((xc * sw[:, None]).T, xc), axis)
    cxy = jax.lax.psum(_mm((xc * sw[:, None]).T, yc), axis)
    return solve_moments(Moments(n, x_mean, y_mean, cxx, cxy), l2, fit_intercept=fit_intercept)

  return jax.shard_map(local, mesh=mesh, in_specs=(P(axis), P(axis), P(axis)),
                       out_specs=P(), check_vma=False)(xs, ys2, sw)


class LstsqAccumulator:
  """Out-of-core least squares: feed chunks of rows, then ``solve``.

  >>> import numpy as np
  >>> acc = LstsqAccumulator()
  >>> t = np.arange(10.0); xs = np.c_[t, t ** 2 / 10]; ys = 2 * t - xs[:, 1] + 3 + np.sin(t)
  >>> for start in range(0, 10, 3):
  ...   _ = acc.update(xs[start:start + 3], ys[start:start + 3])
  >>> acc.num_rows
  10
  >>> bool(np.allclose(acc.solve().w, np.linalg.lstsq(np.c_[xs, np.ones(10)], ys, rcond=None)[0][:2],
  ...                  rtol=1e-4))
  True
  """

  def __init__(self, *, fit_intercept: bool = True):
    self.fit_intercept = fit_intercept
    self.moments: Moments | None = None
    self.num_rows = 0
    self._ndim = None

  def update(self, xs, ys, sample_weight=None) -> "LstsqAccumulator":
    """Adds one chunk: `[m, d]` inputs and `[m]` or `[m, k]` targets (checked like ``lstsq``)."""
    xs, ys = checks.check_xy(np.asarray(xs), np.asarray(ys))
    sw = checks.check_weights(sample_weight, xs.shape[0], xs.dtype)
    if self.moments is not None:
      widths = (self.moments.x_mean.shape[0], self.moments.y_mean.shape[0], self._ndim)
      if (xs.shape[1], _as2d(ys).shape[1], ys.ndim) != widths:
        raise ValueError(
            f"LstsqAccumulator.update: this chunk has xs.shape={tuple(xs.shape)}, "
            f"ys.shape={tuple(ys.shape)}, but the earlier chunks had {widths[0]} features and "
            f"ys of rank {widths[2]} with {widths[1]} output(s)")
    self._ndim = ys.ndim
    m = _chunk(xs, _as2d(ys), sw, fit_intercept=self.fit_intercept)
    self.moments = m if self.moments is None else _merge(self.moments, m)
    self.num_rows += xs.shape[0]
    return self

  def update_from(self, chunks: Iterable, *, progress: bool = False) -> "LstsqAccumulator":
    """Consumes an iterable of ``(xs, ys)`` chunks, with an optional tqdm progress bar."""
    if progress:
      try:
        from tqdm import tqdm
        chunks = tqdm(chunks, unit="chunk")
      except ImportError:  # pragma: no cover
        pass
    for xs, ys in chunks:
      self.update(xs, ys)
    return self

  def solve(self, l2: float = 0.0) -> LinearParams:
    if self.moments is None:
      raise ValueError("LstsqAccumulator.solve: no rows were added")
    checks.check_penalty(l2)
    return _squeeze(solve_moments(self.moments, l2, fit_intercept=self.fit_intercept), self._ndim)


@functools.partial(jax.jit, static_argnames=("fit_intercept",))
def _chunk(xs, ys2, sw, *, fit_intercept):
  m = chunk_moments(xs, ys2, sw)
  if fit_intercept:
    return m
  # Uncentred statistics: the same record with zero means and raw cross-products.
  sw = jnp.ones(xs.shape[:1], xs.dtype) if sw is None else sw
  return Moments(m.n, jnp.zeros_like(m.x_mean), jnp.zeros_like(m.y_mean),
                 _mm((xs * sw[:, None]).T, xs), _mm((xs * sw[:, None]).T, ys2))


@jax.jit
def _merge(a, b):
  return merge_moments(a, b)


def iter_chunks(xs, ys, chunk_rows: int):
  """Yields ``(xs[i:i+chunk_rows], ys[i:i+chunk_rows])`` from arrays or memory-mapped files."""
  if int(chunk_rows) != chunk_rows or chunk_rows < 1:  # here, not at the first next()
    raise ValueError(f"iter_chunks: chunk_rows must be a positive integer, got {chunk_rows!r}")
  return ((xs[start:start + chunk_rows], ys[start:start + chunk_rows])
          for start in range(0, xs.shape[0], int(chunk_rows)))


def data_parallel(fn, *, mesh: Mesh | None = None, axis: str = "data",
                  sharded_argnums: tuple[int, ...] = (0, 1)):
  """Makes any fit data-parallel: ``jit(fn)`` with the rows of the chosen arguments split over
  ``mesh``'s ``axis``; parameters stay replicated and XLA inserts the all-reduce of the gradients
  (and of the IRLS Hessian) itself.

  Row counts need not divide by the number of devices (XLA pads inside the program). Inside ``fn``
  the data are traced, so the value checks of the fitters are skipped (see ``linmodels.checks``);
  ``fit_softmax`` then needs ``num_classes``.

  >>> import linmodels as lm
  >>> fit = data_parallel(lambda xs, ys: lm.fit_gd(lm.mse_loss, lm.init_linear(2), (xs, ys), 0.1,
  ...                                              num_steps=10).params)
  """
  if mesh is None:
    mesh = Mesh(np.array(jax.devices()), (axis,))
  rows = jax.sharding.NamedSharding(mesh, P(axis))

  @jax.jit
  def wrapped(*args):
    args = list(args)
    for i in sharded_argnums:
      args[i] = jax.tree_util.tree_map(lambda a: jax.lax.with_sharding_constraint(a, rows), args[i])
    return fn(*args)

  return wrapped
