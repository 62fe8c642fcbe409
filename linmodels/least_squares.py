"""Closed-form least squares: the normal equation ``w* = (XᵀX)⁻¹XᵀY`` and its stable relatives.

The lecture solves ``∇L(w) = -XᵀY + XᵀXw = 0`` for ``w* = (XᵀX)⁻¹XᵀY``. Forming ``XᵀX`` squares
the condition number of ``X``: in float32 (``eps ≈ 1.2e-7``) a design with ``cond(X) = 1e3``
already loses about 1e-1 of relative accuracy in ``w`` through the normal equations, where a QR or
SVD solve loses about 1e-4. This module offers both, and an ``"auto"`` method that estimates the
conditioning from the Gram matrix it has already formed and takes the orthogonal path only when
the normal equations would cost digits.

Every method works in the same frame:

* with ``fit_intercept=True`` the (weighted) column means are subtracted from ``X`` and ``Y``
  first, so that the intercept is exact and never penalised: ``b = ȳ - x̄ᵀw``;
* optional sample weights ``s`` scale the rows by ``√s``
  (minimising ``½ Σ sᵢ (yᵢ - wᵀxᵢ - b)²``);
* ridge adds ``½ l2 ‖w‖²`` (scikit-learn's ``Ridge(alpha=l2)``); ``l2`` is a traced argument, so
  ``jax.vmap`` over it computes a whole ridge path in one call;
* except for ``"svd"`` and ``"inv"``, the columns are scaled to unit norm before factorising
  (equilibration), which costs nothing and keeps the normal equations from losing digits to badly
  scaled features; the penalty is carried into the scaled frame exactly.

Matrix products run at ``Precision.HIGHEST``, so that a GPU's TF32 default never costs digits;
``"mixed"`` uses the fast units only where refinement restores full float32 accuracy. The
normal-equation paths read X once for ``XᵀX``, ``XᵀY`` and the means together
(``row_passes.centred_gram``: no centred copy of X is written) and once per refinement step.

Rank-deficient and ill-conditioned data: ``"svd"`` returns the minimum-norm solution (in the
original coordinates; the intercept is not part of the norm) with the cutoff ``rcond · s_max``,
``rcond = 10 · eps · min(n, d)`` by default (``default_rcond``; numpy's ``eps · max(n, d)`` grows
with ``n`` and throws away real dimensions of tall float32 designs). ``"auto"`` never uses the
normal equations alone: it refines them with the residual recomputed in data space (``"refine"``,
one pass over X a step, until the update is below the working precision) up to an estimated
``cond(X)`` of ``0.5 / √eps`` (about 1450 in float32, 3.4e7 in float64), and beyond it solves
through a QR factorisation followed
by an SVD of the small factor ``R``, which reveals the rank; its minimum-norm solution is taken in
the column-scaled frame. ``"cholesky"``, ``"refine"``, ``"solve"``, ``"qr"`` and ``"inv"`` assume
full column rank and return non-finite or meaningless numbers when it fails; their ``info.rank``
says ``-1`` when they cannot tell.

Derivatives: every method is differentiable by ``jax.grad`` and ``jax.jvp`` in the data, the
targets, the weights and ``l2``. The refinement of ``"auto"``, ``"refine"`` and ``"mixed"`` is a
while loop, which reverse mode cannot differentiate; it converges to the solution of the normal
equations its Cholesky solve started from, so their answer carries the derivative of that solve
(the implicit-function derivative of the normal equations, accurate to about ``cond(X)² eps``
relative, as the plain Cholesky solution is) while the loop runs on values only.
"""

from __future__ import annotations

import functools
from typing import Literal, NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
from jax import lax

from linmodels import checks, row_passes
from linmodels.linear import HIGHEST, LinearParams
from linmodels.row_passes import centred_gram, centring_amplification, residual_sums
from linmodels.solver_jit import solver_jit

Array = jax.Array
Method = Literal["auto", "cholesky", "solve", "qr", "svd", "inv", "refine", "mixed"]
METHODS = ("auto", "cholesky", "solve", "qr", "svd", "inv", "refine", "mixed")

_REFINE_ITERS = 8

_POWER_ITERS = 24


class LstsqInfo(NamedTuple):
  """How a closed-form solve went.

  Attributes:
    rank: `[]` int32, the numerical rank of the (centred) design; ``-1`` when the method cannot
      tell (the normal equations on a nearly singular Gram matrix).
    cond: `[]` an estimate of the 2-norm condition number of the centred design, column-scaled for
      every method but ``"svd"`` and ``"inv"``. Exact (from singular values) for ``"svd"``,
      ``"qr"`` and ``"auto"``'s stable path; a power-iteration estimate (a lower bound, usually
      within a few percent) on the normal-equation paths. ``inf`` for a singular design.
    stable: `[]` bool, whether an orthogonal factorisation (QR/SVD) produced the answer.
  """
  rank: Array
  cond: Array
  stable: Array


def default_rcond(n: int, d: int, dtype) -> float:
  """The relative singular-value cutoff: ``10 · eps · min(n, d)``.

  Not numpy's ``eps · max(n, d)``: that grows with the number of rows, and in float32 at
  ``n = 20000`` it discards every direction with ``s < 2.4e-3 · s_max``, i.e. it calls a design of
  condition number 1e3 (well inside float32's range) rank-deficient and changes the answer.
  """
  return float(10 * jnp.finfo(dtype).eps * min(n, d))


def _mm(a: Array, b: Array) -> Array:
  return jnp.matmul(a, b, precision=HIGHEST)


def _tmm(a: Array, b: Array) -> Array:
  """``aᵀb`` computed as ``(bᵀa)ᵀ``: XLA on CPU runs a transposed tall matrix-vector product
  ``X.T @ r`` about 4× slower than ``r.T @ X`` (measured 200 ms against 43 ms at 1M×64)."""
  return _mm(b.T, a).T


def _power_cond(gram: Array, chol: Array) -> Array:
  """cond₂(X) ≈ √(λ_max/λ_min) of ``gram = XᵀX``: power iteration on G and, via ``chol``, on G⁻¹."""
  d = gram.shape[0]
  # A fixed pseudo-random start, made at trace time: drawing it with jax.random inside the
  # solver compiled the threefry hash into every fitter (about 0.5 s of compile time each).
  v0 = np.random.default_rng(0).standard_normal(d)
  v0 = jnp.asarray(v0 / np.linalg.norm(v0), gram.dtype)

  def normalise(v):
    return v / jnp.maximum(jnp.linalg.norm(v), jnp.finfo(v.dtype).tiny)

  # G⁻¹v as two products with L⁻¹ (one triangular solve for all): a GPU ran the 2 × 24
  # triangular solves of cho_solve one small kernel at a time (milliseconds at d = 1024).
  l_inv = jsl.solve_triangular(chol, jnp.eye(d, dtype=gram.dtype), lower=True)
  v_max = lax.fori_loop(0, _POWER_ITERS, lambda _, v: normalise(_mm(gram, v)), v0)
  v_min = lax.fori_loop(0, _POWER_ITERS, lambda _, v: normalise(_tmm(l_inv, _mm(l_inv, v))), v0)
  lam_max = jnp.dot(v_max, _mm(gram, v_max), precision=HIGHEST)
  lam_min = jnp.dot(v_min, _mm(gram, v_min), precision=HIGHEST)
  cond = jnp.sqrt(lam_max / lam_min)
  bad = ~jnp.all(jnp.isfinite(chol)) | ~(lam_min > 0)
  return jnp.where(bad, jnp.inf, cond)


def _gram_rank(cond: Array, d: int, dtype) -> Array:
  # The Gram matrix resolves cond(X) only up to about 1/√eps: past that it cannot tell the rank.
  resolvable = cond * cond * jnp.finfo(dtype).eps * d < 1.0
  return jnp.where(resolvable, d, -1).astype(jnp.int32)


def _svd_solve(u_t_y: Array, s: Array, vt: Array, l2_scaled: Array | float, cutoff: Array):
  """``V diag(f) (Uᵀ Y)`` with ridge filter factors ``f = s / (s² + l2)``, zero below the cutoff."""
  keep = s > cutoff
  f = jnp.where(keep, s / jnp.where(keep, s * s + l2_scaled, 1.0), 0.0)
  return _mm(vt.T, f[:, None] * u_t_y), jnp.sum(keep).astype(jnp.int32)


def _stable_solve(xs_s: Array, ys_c: Array, pen: Array, rcond: Array):
  """QR of ``[X; √pen]`` (only R is formed), then an SVD of the `[d, d]` factor, then one step of
  refinement with the residual in data space (corrected semi-normal equations)."""
  n, d = xs_s.shape
  k = ys_c.shape[1]
  aug_x = jnp.concatenate([xs_s, jnp.diag(jnp.sqrt(pen))], axis=0)
  aug_y = jnp.concatenate([ys_c, jnp.zeros((d, k), ys_c.dtype)], axis=0)
  r_full = jnp.linalg.qr(jnp.concatenate([aug_x, aug_y], axis=1), mode="r")
  r, qty = r_full[:d, :d], r_full[:d, d:]
  ur, s, vt = jnp.linalg.svd(r)
  cutoff = rcond * s[0]
  v, rank = _svd_solve(_mm(ur.T, qty), s, vt, 0.0, cutoff)
  # One refinement step: v += (RᵀR)⁺ (Xᵀ(Y - Xv) - pen·v), restricted to the kept directions.
  grad = _tmm(xs_s, ys_c - _mm(xs_s, v)) - pen[:, None] * v
  keep = s > cutoff
  inv_s2 = jnp.where(keep, 1.0 / jnp.where(keep, s * s, 1.0), 0.0)
  v = v + _mm(vt.T, inv_s2[:, None] * _mm(vt, grad))
  cond = jnp.where(s[-1] > 0, s[0] / s[-1], jnp.inf)
  return v, rank, cond


def _refine_iters(cond: Array, dtype) -> Array:
  """``_REFINE_ITERS`` where refinement contracts (estimated ``cond(X)² eps < 1/2``), else 0: past
  that the first step can already double the error (measured at cond 1e4 in float32)."""
  ok = jnp.isfinite(cond) & (cond * cond * jnp.finfo(dtype).eps < 0.5)
  return jnp.where(ok, _REFINE_ITERS, 0).astype(jnp.int32)


def _refine(grad_fn, chol: Array, v0: Array, max_iters: Array | int,
            floor_rate: Array | float) -> tuple[Array, Array]:
  """Iterative refinement of the normal-equation solution with the residual in data space:
  ``v ← v + (RᵀR)⁻¹ (Xᵀ(Y - Xv) - P v)`` until the update falls below the working precision
  (``‖Δv‖ ≤ 4 eps ‖v‖``) or after ``max_iters`` steps (corrected semi-normal equations).

  ``R`` (``RᵀR ≈ XᵀX + P``, the Cholesky factor already at hand, possibly computed in reduced
  precision) is used as a preconditioner only; ``grad_fn(v) = Xᵀ(Y - Xv) - P v`` recomputes the
  residual from the data in one pass at every step, so the answer is not limited by the squared
  condition number of the normal equations. Each step multiplies the error by about
  ``‖(RᵀR)⁻¹ E‖`` where ``E`` is the error of the factorised Gram matrix: ``cond(X)² eps`` (0.12 at
  cond 1e3 in float32), so the iteration is a contraction up to ``cond ≈ 1/√eps``; a step no
  smaller than the previous one is not taken and ends the loop, so that beyond that point the
  answer is never worse than plain Cholesky (it grew to 1e6 relative error at cond 1e4 before). (Conjugate
  gradients on the same preconditioned problem converge faster in exact arithmetic but, with
  recomputed residuals in float32, lost their orthogonality and diverged on some designs; this
  stationary iteration does not.)

  The loop also stops once the *next* update is predicted to be below that tolerance, which
  saves the pass that would only confirm it: the contraction rate is estimated as
  ``4 · max(‖Δv₁‖ / ‖v‖, floor_rate)`` from the first update (the relative error of the
  factorised solution, about ``‖(RᵀR)⁻¹ E‖``) and ``floor_rate`` (``cond² · eps`` of the Gram
  matrix's precision). On well-conditioned data that is one pass instead of two; on the mixed
  path two instead of three. Returns ``(v, steps)``.
  """
  eps = jnp.finfo(v0.dtype).eps
  floor_rate = jnp.asarray(floor_rate, v0.dtype)

  def cond_fn(state):
    _, i, _, _, done = state
    return (i < max_iters) & ~done

  def body(state):
    v, i, last, rate, _ = state
    dv = jsl.cho_solve((chol, True), grad_fn(v))
    size = jnp.linalg.norm(dv)
    # A step no smaller than the one before means the iteration does not contract here (cond(X)
    # past 1/√eps, or rounding noise reached): keep the iterate we have and stop.
    grew = ~(size < last)
    v = jnp.where(grew, v, v + dv)
    v_norm = jnp.linalg.norm(v)
    rate = jnp.where(i == 0, jnp.minimum(1.0, 4 * jnp.maximum(
        size / jnp.maximum(v_norm, jnp.finfo(v.dtype).tiny), floor_rate)), rate)
    # rate ≤ 1: this also stops once the update itself is below the tolerance.
    return v, i + 1, size, rate, grew | (rate * size <= 4 * eps * v_norm)

  one = jnp.ones((), v0.dtype)
  v, steps, _, _, _ = lax.while_loop(
      cond_fn, body, (v0, jnp.int32(0), jnp.asarray(jnp.inf, v0.dtype), one, jnp.asarray(False)))
  return v, steps


def _centre(xs, ys2, sw, fit_intercept):
  """The centred (and ``√s``-scaled) data, materialised: for the QR and SVD paths only."""
  n, d = xs.shape
  dtype = xs.dtype
  if sw is None:
    x_mean = jnp.mean(xs, axis=0) if fit_intercept else jnp.zeros((d,), dtype)
    y_mean = jnp.mean(ys2, axis=0) if fit_intercept else jnp.zeros(ys2.shape[1:], dtype)
    return xs - x_mean[None, :], ys2 - y_mean[None, :], x_mean, y_mean
  if fit_intercept:
    x_mean = _mm(sw, xs) / jnp.sum(sw)
    y_mean = _mm(sw, ys2) / jnp.sum(sw)
  else:
    x_mean, y_mean = jnp.zeros((d,), dtype), jnp.zeros(ys2.shape[1:], dtype)
  root = jnp.sqrt(sw)[:, None]
  return (xs - x_mean[None, :]) * root, (ys2 - y_mean[None, :]) * root, x_mean, y_mean


def _orthogonal(xs, ys2, sw, l2, rcond, method, fit_intercept):
  d = xs.shape[1]
  dtype = xs.dtype
  xs_c, ys_c, x_mean, y_mean = _centre(xs, ys2, sw, fit_intercept)
  if method == "svd":
    scale = jnp.ones((d,), dtype)
    u, s, vt = jnp.linalg.svd(xs_c, full_matrices=False)
    v, rank = _svd_solve(_mm(u.T, ys_c), s, vt, l2, rcond * s[0])
    cond = jnp.where(s[-1] > 0, s[0] / s[-1], jnp.inf) if min(xs.shape) == d else jnp.inf
  else:
    norms = jnp.linalg.norm(xs_c, axis=0)
    scale = jnp.where(norms > 0, norms, 1.0)
    # Plain QR does not reveal the rank by itself; the SVD of R does, and we use its answer.
    v, rank, cond = _stable_solve(xs_c / scale[None, :], ys_c, l2 / (scale * scale), rcond)
  return v, scale, x_mean, y_mean, rank, cond


# Reduced-precision (TF32) operands carry 10 mantissa bits: a Gram matrix formed from them is
# off by up to about 2⁻¹¹ relative, amplified by cond(X)² in the refinement's contraction rate.
_TF32_EPS = 2.0 ** -11
# Where "auto" takes the mixed path on GPU. The H200 measurement had it slower than plain
# float32 at 10M×128; on an H100 with the device Gram path it was faster there too (18.5 against
# 19.3 ms, both at 6e-8) and 2× faster at 1M×1024; below d = 128 it was not measured.
_MIXED_MIN_FEATURES = 128


@functools.partial(solver_jit, static_argnames=("method", "fit_intercept"))
def _lstsq(xs, ys, sw, l2, rcond, *, method: str, fit_intercept: bool):
  # `[n]` targets become one column and the answer is squeezed back inside the compiled program:
  # as eager operations around it they cost a dispatch each per call.
  ys2 = ys if ys.ndim == 2 else ys[:, None]
  n, d = xs.shape
  dtype = xs.dtype
  l2 = jnp.asarray(l2, dtype)
  if rcond is None:
    rcond = default_rcond(n, d, dtype)
  rcond = jnp.asarray(rcond, dtype)

  if method in ("svd", "qr"):
    v, scale, x_mean, y_mean, rank, cond = _orthogonal(xs, ys2, sw, l2, rcond, method, fit_intercept)
    stable = True
    data_finite = jnp.asarray(True)  # lstsq checked xs and ys before the call
  else:
    # One pass over X for XᵀX, XᵀY and the means (row_passes.centred_gram); the column scaling
    # is applied to the small Gram matrix, never to X; each refinement step is one more pass.
    def normal_equations(precision):
      cg = centred_gram(xs, ys2, sw, centre=fit_intercept, precision=precision)
      if method == "inv":
        scale = jnp.ones((d,), dtype)
      else:
        norms = jnp.sqrt(jnp.maximum(jnp.diag(cg.gram), 0.0))
        scale = jnp.where(norms > 0, norms, 1.0)
      pen = l2 / (scale * scale)
      gram_pen = cg.gram / (scale[:, None] * scale[None, :]) + jnp.diag(pen)
      return cg, scale, pen, gram_pen, cg.rhs / scale[:, None]

    def grad_fn(v, cg, scale, pen, data):
      # Xcᵀ(Yc - Xc v) - P v in the scaled frame, one pass over the rows.
      x_, y_, s_ = data
      rs = residual_sums(x_, y_, v / scale[:, None], cg.y_mean,
                         cg.x_mean if fit_intercept else None, s_)
      return rs.xtr / scale[:, None] - pen[:, None] * v

    def refine_from(v0, cg, scale, pen, chol, max_iters, floor_rate):
      # The refinement's while loop cannot be reverse-differentiated, and need not be: it
      # converges to the solution of the same normal equations that v0 = cho_solve(...) solves,
      # so the answer carries v0's derivative (the implicit-function derivative of those
      # equations) and the loop runs on values only. `v + (v0 - v0)` is `v` exactly.
      const = jax.tree_util.tree_map(lax.stop_gradient, ((xs, ys2, sw), cg, scale, pen, chol))
      data, cg_, scale_, pen_, chol_ = const
      v, steps = _refine(lambda v: grad_fn(v, cg_, scale_, pen_, data), chol_,
                         lax.stop_gradient(v0), max_iters, lax.stop_gradient(floor_rate))
      return v + (v0 - lax.stop_gradient(v0)), steps

    def factor(precision):
      cg, scale, pen, gram_pen, rhs = normal_equations(precision)
      chol = jnp.linalg.cholesky(gram_pen)
      return cg, scale, pen, gram_pen, rhs, chol

    def _normal_path(meth):
      cg, scale, pen, gram_pen, rhs, chol = factor(HIGHEST)
      data_finite = _gram_finite(cg)
      cond = _power_cond(gram_pen, chol)
      eps = jnp.finfo(dtype).eps
      rank = _gram_rank(cond, d, dtype)
      v0 = jsl.cho_solve((chol, True), rhs)

      def refined():
        return refine_from(v0, cg, scale, pen, chol, _refine_iters(cond, dtype),
                           cond * cond * eps)[0]

      stable = jnp.asarray(False)
      if meth == "cholesky":
        v = v0
      elif meth == "refine":
        v = refined()
      elif meth == "solve":
        v = jnp.linalg.solve(gram_pen, rhs)
      elif meth == "inv":
        v = _mm(jnp.linalg.inv(gram_pen), rhs)
      else:  # auto
        # 0: Cholesky + refinement to the working precision (at most 8 steps; one or two on
        # well-conditioned data); 1: QR + SVD of R.
        route = jnp.where(jnp.isfinite(cond) & (cond < 0.5 / jnp.sqrt(eps)), 0, 1)

        def normal(_):
          return refined(), jnp.int32(d), cond, scale

        def orthogonal(_):
          v, sc, _, _, rank, cond_ = _orthogonal(xs, ys2, sw, l2, rcond, "qr", fit_intercept)
          return v, rank, cond_, sc

        v, rank, cond, scale_ = lax.switch(route, (normal, orthogonal), None)
        # The QR path scales by the column norms of the centred X, the normal path by the
        # square roots of the Gram diagonal: the same numbers up to rounding; use each its own.
        return v, scale_, cg.x_mean, cg.y_mean, rank, cond, route == 1, data_finite
      return v, scale, cg.x_mean, cg.y_mean, rank, cond, stable, data_finite

    if method == "mixed":
      # Gram matrix and Cholesky factor from reduced-precision products (a GPU's TF32 units; the
      # same as full precision on CPU), refined with full-precision residuals. Taken only when
      # the factor is finite and cond(X)² · 2⁻¹¹ < 0.1, so that refinement contracts by 10× a
      # step; otherwise the full-precision "auto" below (never a NaN from a broken factor).
      lo = factor(lax.Precision.DEFAULT)
      cond_lo = _power_cond(lo[3], lo[5])
      # On GPU/TPU the reduced-precision Gram matrix is centred after the product: its error
      # grows with each column's mean² / variance (row_passes.centring_amplification).
      lo_rate = (cond_lo * cond_lo * _TF32_EPS
                 * centring_amplification(lo[0], lax.Precision.DEFAULT, sw))
      ok = jnp.isfinite(cond_lo) & (lo_rate < 0.1)

      def mixed_path(_):
        cg, scale, pen, _, rhs, chol = lo
        v, _ = refine_from(jsl.cho_solve((chol, True), rhs), cg, scale, pen, chol, _REFINE_ITERS,
                           lo_rate)
        return (v, scale, cg.x_mean, cg.y_mean, jnp.int32(d), cond_lo, jnp.asarray(False),
                _gram_finite(cg))

      v, scale, x_mean, y_mean, rank, cond, stable, data_finite = lax.cond(
          ok, mixed_path, lambda _: _normal_path("auto"), None)
    else:
      v, scale, x_mean, y_mean, rank, cond, stable, data_finite = _normal_path(method)
  w = v / scale[:, None]
  b = y_mean - _mm(x_mean, w)
  info = LstsqInfo(rank=jnp.asarray(rank, jnp.int32), cond=jnp.asarray(cond, dtype),
                   stable=jnp.asarray(stable))
  if ys.ndim == 1:
    w, b = w[:, 0], b[0]
  return LinearParams(w=w, b=b), info, data_finite


def _gram_finite(cg) -> Array:
  """Whether every entry of ``X`` and ``Y`` is finite, read off the Gram matrix of ``[X Y]`` the
  solve formed anyway.

  Its diagonal holds ``Σ sᵢ (zᵢⱼ - cⱼ)²`` less a correction (``row_passes.centred_gram``): a
  NaN or an infinity anywhere in column ``j`` makes that sum NaN or +inf (squares cannot cancel;
  a zero weight gives ``0 · inf = NaN``), and nothing after makes it finite. A ``False`` also
  comes from finite data whose squares overflow; ``lstsq`` then scans the data and finds nothing
  to report.
  """
  return jnp.isfinite(jnp.sum(jnp.diagonal(cg.gram)) + jnp.sum(jnp.diagonal(cg.yy)))


def lstsq(xs: Array, ys: Array, l2: Array | float = 0.0, *, method: Method = "auto",
          fit_intercept: bool = True, sample_weight: Array | None = None,
          rcond: float | None = None) -> tuple[LinearParams, LstsqInfo]:
  """Least squares in closed form: ``argmin_w,b ½ Σ sᵢ (yᵢ - wᵀxᵢ - b)² + ½ l2 ‖w‖²``.

  With ``l2 = 0`` and no intercept this is the lecture's normal equation
  ``w* = (XᵀX)⁻¹ XᵀY``. See the module docstring for the methods and their failure modes:

  * ``"auto"`` (default): Cholesky of the equilibrated Gram matrix, refined until the update is
    below the working precision (at most 8 steps; one or two on well-conditioned data) when the
    estimated ``cond(X) < 0.5/√eps``; beyond, QR followed by an SVD of ``R``. On a GPU with
    ``d >= 128`` it is ``"mixed"``.
  * ``"refine"``: the same refinement, whatever the conditioning: near-QR accuracy at one pass
    over X a step.
  * ``"mixed"``: the Gram matrix and its Cholesky factor from reduced-precision products (a GPU's
    TF32 matrix units, several times the float32 rate), then refinement with full-precision
    residuals: full float32 accuracy where ``cond(X)² · 2⁻¹¹ < 0.1``. Anywhere else, and whenever
    the reduced-precision factor breaks down, it computes ``"auto"`` in full precision instead.
    On CPU, where the products are full precision anyway, it is ``"auto"``.
  * ``"cholesky"``: the normal equations, ``cho_solve``. Fast; squares the condition number.
  * ``"solve"``: the normal equations by LU (``jnp.linalg.solve``).
  * ``"qr"``: QR of the (augmented) design, then a rank-revealing SVD of the small ``R``.
  * ``"svd"``: SVD of the design; minimum-norm solution for rank-deficient ``X`` and ``d > n``.
  * ``"inv"``: ``(XᵀX)⁻¹`` formed explicitly, as taught. Didactic only: slower and less accurate
    than every other method.

  Args:
    xs: `[n, d]` inputs.
    ys: `[n]` targets, or `[n, k]` for ``k`` outputs solved at once.
    l2: `[]` ridge strength (traced: ``jax.vmap`` over it for a ridge path).
    method: one of ``METHODS``.
    fit_intercept: fit an unpenalised bias ``b`` (by centring); ``False`` gives ``b = 0``.
    sample_weight: optional `[n]` non-negative weights.
    rcond: relative cutoff on singular values for ``"svd"``/``"qr"``/``"auto"``; default
      ``10 · eps · min(n, d)``.

  Returns:
    ``(params, info)``: ``LinearParams`` with `w` `[d]` (or `[d, k]`) and `b` `[]` (or `[k]`), and
    an ``LstsqInfo`` with the rank and a condition-number estimate.

  Raises:
    ValueError: for an unknown method or bad inputs (see ``linmodels.checks``). Except for
      ``"svd"`` and ``"qr"``, NaN or inf in ``xs`` or ``ys`` is found from the Gram matrix,
      after the solve: the call returns once the solve is done.

  >>> import jax.numpy as jnp
  >>> xs = jnp.array([[0.0], [1.0], [2.0], [3.0]])
  >>> params, info = lstsq(xs, 2.0 * xs[:, 0] + 1.0)
  >>> params.w.round(4), params.b.round(4), int(info.rank)
  (Array([2.], dtype=float32), Array(1., dtype=float32), 1)
  """
  if method not in METHODS:
    raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
  # The normal-equation methods learn whether X and Y are finite from their Gram matrix's
  # diagonal (_gram_finite) instead of separate passes: at 1M×64 on this CPU a direct call took
  # 155 against 186 ms with the pass over X (25 ms alone). On an H100 at 10M×128 the checks of X
  # and Y took 2.1 and 0.8 ms (a read of X, and a wait for the device each); the direct call
  # took 14.0 ms against 13.5 inside a jit. The price: the call returns when the solve is done.
  gram_checks = method not in ("svd", "qr")
  xs, ys = checks.check_xy(xs, ys, finite=not gram_checks)
  if method == "auto" and xs.shape[1] >= _MIXED_MIN_FEATURES and row_passes._on_gpu():
    method = "mixed"
  elif method == "mixed" and row_passes._on_cpu():
    # A CPU has no reduced-precision products (XLA computes them in full float32): "mixed" would
    # factor the same Gram matrix as "auto" under a stricter gate, and compile both paths.
    method = "auto"
  sw = checks.check_weights(sample_weight, xs.shape[0], xs.dtype)
  checks.check_penalty(l2)
  if rcond is not None:  # a negative cutoff kept the zero singular values and divided by them
    checks.check_penalty(rcond, "rcond")
  params, info, data_finite = _lstsq(xs, ys, sw, l2, rcond, method=method,
                                   fit_intercept=fit_intercept)
  if gram_checks:
    # NaN or inf in the data (raises, naming the entries), finite squares that overflowed
    # (passes), or a traced solve (under vmap or grad) of concrete data: checked as before.
    checks.check_finite_unless(data_finite, xs, "xs")
    checks.check_finite_unless(data_finite, ys, "ys")
  return params, info


def conditioning(xs: Array, *, fit_intercept: bool = True, scale: bool = True,
                 rcond: float | None = None) -> tuple[Array, Array]:
  """The 2-norm condition number and numerical rank of a design, from its singular values.

  Args:
    xs: `[n, d]` inputs.
    fit_intercept: centre the columns first (the design the intercept fit actually solves).
    scale: scale the columns to unit norm first (the frame ``lstsq`` factorises in).
    rcond: relative singular-value cutoff for the rank; default ``10 · eps · min(n, d)``.

  Returns:
    ``(cond, rank)``: `[]` float (``inf`` if singular) and `[]` int32.

  >>> import jax.numpy as jnp
  >>> cond, rank = conditioning(jnp.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.1]]))
  >>> int(rank)
  2
  """
  xs = checks.check_xs(xs)
  n, d = xs.shape
  if fit_intercept:
    xs = xs - jnp.mean(xs, axis=0)[None, :]
  if scale:
    norms = jnp.linalg.norm(xs, axis=0)
    xs = xs / jnp.where(norms > 0, norms, 1.0)[None, :]
  s = jnp.linalg.svd(xs, compute_uv=False)
  if rcond is None:
    rcond = default_rcond(n, d, xs.dtype)
  checks.check_penalty(rcond, "rcond")
  rank = jnp.sum(s > rcond * s[0]).astype(jnp.int32)
  cond = jnp.where((s[-1] > 0) & (min(n, d) == d), s[0] / s[-1], jnp.inf)
  return cond, rank


@functools.partial(solver_jit, static_argnames=("fit_intercept",))
def _ridge_path(xs, ys, l2s, *, fit_intercept: bool):
  ys2 = ys if ys.ndim == 2 else ys[:, None]
  d = xs.shape[1]
  x_mean = jnp.mean(xs, axis=0) if fit_intercept else jnp.zeros((d,), xs.dtype)
  y_mean = jnp.mean(ys2, axis=0) if fit_intercept else jnp.zeros(ys2.shape[1:], xs.dtype)
  u, s, vt = jnp.linalg.svd(xs - x_mean[None, :], full_matrices=False)
  uty = _mm(u.T, ys2 - y_mean[None, :])
  cutoff = default_rcond(*xs.shape, xs.dtype) * s[0]

  def one(l2):
    w, _ = _svd_solve(uty, s, vt, l2, cutoff)
    return w, y_mean - _mm(x_mean, w)

  w, b = jax.vmap(one)(l2s)
  if ys.ndim == 1:
    w, b = w[..., 0], b[..., 0]
  return LinearParams(w, b)


def ridge_path(xs: Array, ys: Array, l2s: Array, *, fit_intercept: bool = True) -> LinearParams:
  """Ridge solutions for many strengths from one SVD: ``w(l2) = V diag(s/(s² + l2)) Uᵀy``.

  One thin SVD of the centred design costs about what one ``lstsq(method="svd")`` does; each
  further strength costs only `O(d·min(n, d))`. Equal to ``jax.vmap(lambda l2: lstsq(xs, ys, l2,
  method="svd")[0])(l2s)``, much faster.

  Args:
    xs: `[n, d]` inputs.
    ys: `[n]` or `[n, k]` targets.
    l2s: `[m]` ridge strengths.
    fit_intercept: fit an unpenalised bias.

  Returns:
    ``LinearParams`` with `w` `[m, d]` (or `[m, d, k]`) and `b` `[m]` (or `[m, k]`).

  >>> import jax.numpy as jnp
  >>> path = ridge_path(jnp.eye(3), jnp.array([1.0, 2.0, 3.0]), jnp.array([0.0, 1.0]))
  >>> path.w.shape
  (2, 3)
  """
  xs, ys = checks.check_xy(xs, ys)
  l2s = checks.as_float(l2s, "l2s").astype(xs.dtype)
  if l2s.ndim != 1:
    raise ValueError(f"l2s must be 1-D [m], got shape {tuple(l2s.shape)}")
  checks.check_penalty(l2s, "l2s")
  return _ridge_path(xs, ys, l2s, fit_intercept=fit_intercept)
