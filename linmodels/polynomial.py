"""Polynomial regression ``f(x) = w₀ + w₁x + ... + wₙxⁿ``: a linear model on engineered features,
fitted by the closed-form least squares of ``linmodels.least_squares``.

Raw monomials ``x, x², ..., xⁿ`` are nearly collinear on ``[0, 1]`` (the Vandermonde matrix's
condition number grows like ~10ⁿ), so a degree-15 fit in float32 loses most of its digits. An
orthogonal basis (Legendre or Chebyshev polynomials on the data's interval mapped to ``[-1, 1]``)
spans the same functions with a well-conditioned design: the same fitted curve, in float32.
"""

from __future__ import annotations

import functools
import itertools

import jax
import jax.numpy as jnp

from linmodels import checks
from linmodels.least_squares import lstsq
from linmodels.linear import LinearParams, predict
from linmodels.solver_jit import solver_jit

Array = jax.Array
BASES = ("monomial", "legendre", "chebyshev")


def polynomial_features(x: Array, degree: int, *, basis: str = "monomial",
                        domain: tuple[float, float] = (0.0, 1.0)) -> Array:
  """Features ``[p₁(x), ..., p_degree(x)]`` of a 1-D input (the constant is the model's bias).

  Args:
    x: `[n]` inputs.
    degree: highest degree (static, ≥ 1).
    basis: ``"monomial"`` (``xᵏ``), ``"legendre"`` (``Pₖ(t)``) or ``"chebyshev"`` (``Tₖ(t)``),
      the latter two of ``t = 2(x - lo)/(hi - lo) - 1``.
    domain: ``(lo, hi)``, the interval mapped to ``[-1, 1]`` for the orthogonal bases.

  Returns:
    `[n, degree]`.

  >>> polynomial_features(jnp.array([2.0]), 3)
  Array([[2., 4., 8.]], dtype=float32)
  >>> polynomial_features(jnp.array([1.0]), 3, basis="legendre")   # P_k(1) = 1
  Array([[1., 1., 1.]], dtype=float32)
  """
  if basis not in BASES:
    raise ValueError(f"unknown basis {basis!r}; choose one of {BASES}")
  if degree < 1:
    raise ValueError(f"degree must be at least 1, got {degree}")
  x = checks.as_float(x, "x")
  if x.ndim != 1:
    raise ValueError(f"x must be 1-D [n], got shape {tuple(x.shape)}")
  if basis == "monomial":
    return jnp.stack([x ** k for k in range(1, degree + 1)], axis=1)
  lo, hi = domain
  t = 2.0 * (x - lo) / (hi - lo) - 1.0
  prev, cur = jnp.ones_like(t), t
  cols = [cur]
  for k in range(1, degree):
    if basis == "legendre":   # (k+1) P_{k+1} = (2k+1) t P_k - k P_{k-1}
      nxt = ((2 * k + 1) * t * cur - k * prev) / (k + 1)
    else:                     # T_{k+1} = 2 t T_k - T_{k-1}
      nxt = 2.0 * t * cur - prev
    prev, cur = cur, nxt
    cols.append(cur)
  return jnp.stack(cols, axis=1)


def monomial_features(xs: Array, degree: int) -> Array:
  """All monomials ``∏ xⱼ^{kⱼ}`` with ``1 ≤ Σ kⱼ ≤ degree`` of several inputs.

  Args:
    xs: `[n, d]` inputs.
    degree: highest total degree (static).

  Returns:
    `[n, C(d + degree, degree) - 1]`, ordered by total degree, then lexicographically.

  >>> monomial_features(jnp.array([[2.0, 3.0]]), 2)
  Array([[2., 3., 4., 6., 9.]], dtype=float32)
  """
  xs = checks.check_xs(xs)
  d = xs.shape[1]
  cols = []
  for total in range(1, degree + 1):
    for combo in itertools.combinations_with_replacement(range(d), total):
      cols.append(functools.reduce(lambda acc, j: acc * xs[:, j], combo, jnp.ones_like(xs[:, 0])))
  return jnp.stack(cols, axis=1)


def fit_polynomial(x: Array, y: Array, degree: int, *, basis: str = "legendre",
                   domain: tuple[float, float] | None = None, l2: Array | float = 0.0,
                   method: str = "auto") -> tuple[LinearParams, tuple[float, float]]:
  """Least-squares polynomial fit of degree ``degree`` to 1-D data.

  Args:
    x: `[n]` inputs.
    y: `[n]` targets.
    degree: the degree (static).
    basis: feature basis (default Legendre: well conditioned).
    domain: interval for the orthogonal bases; default ``(min x, max x)`` (concrete ``x`` only:
      under ``jit``/``vmap`` pass it).
    l2: ridge strength on the non-constant coefficients.
    method: ``lstsq`` method.

  Returns:
    ``(params, domain)``: the coefficients in the chosen basis and the domain, both needed by
    ``predict_polynomial``.

  >>> x = jnp.linspace(-1, 1, 20)
  >>> params, domain = fit_polynomial(x, 1 - 2 * x + 3 * x ** 2, 2, basis="monomial")
  >>> params.w.round(4), params.b.round(4)
  (Array([-2.,  3.], dtype=float32), Array(1., dtype=float32))
  """
  x = checks.as_float(x, "x")
  if domain is None:
    if not checks.is_concrete(x):
      raise ValueError("fit_polynomial: pass domain=(lo, hi) when x is traced (under jit or vmap); "
                       "the default (min x, max x) needs concrete values")
    if x.ndim != 1 or x.shape[0] == 0:
      raise ValueError(f"fit_polynomial: x must be a non-empty 1-D array [n], got shape "
                       f"{tuple(x.shape)}")
    with jax.ensure_compile_time_eval():  # x may be concrete inside a user's jit
      checks.check_finite(x, "x")
      domain = (float(jnp.min(x)), float(jnp.max(x)))
    if domain[0] == domain[1]:
      raise ValueError(f"fit_polynomial: every x equals {domain[0]}, so the default domain "
                       f"(min x, max x) is a point; pass domain=(lo, hi)")
  feats = polynomial_features(x, degree, basis=basis, domain=domain)
  params, _ = lstsq(feats, y, l2, method=method)
  return params, domain


def predict_polynomial(params: LinearParams, x: Array, *, basis: str = "legendre",
                       domain: tuple[float, float] | None = None) -> Array:
  """Evaluates a fitted polynomial: `[n]` → `[n]`.

  ``basis`` and ``domain`` must be the fit's: ``params, domain = fit_polynomial(...)`` returns the
  domain it used. For the Legendre and Chebyshev bases there is no default (a fixed one, such as
  the ``(0, 1)`` this had, evaluated a fit made on ``(min x, max x)`` at the wrong points without
  a word); the monomial basis does not use it.
  """
  if domain is None:
    if basis != "monomial":
      raise ValueError(f"predict_polynomial: pass domain=, the one fit_polynomial returned with "
                       f"the params; the {basis} basis is defined on it")
    domain = (0.0, 1.0)  # unused by the monomial basis
  degree = params.w.shape[0]
  return predict(params, polynomial_features(x, degree, basis=basis, domain=domain))


@functools.partial(solver_jit, static_argnames=("max_degree", "basis"))
def degree_sweep(x_train: Array, y_train: Array, x_test: Array, y_test: Array, *,
                 max_degree: int, basis: str = "legendre",
                 domain: tuple[float, float] = (0.0, 1.0)) -> tuple[Array, Array]:
  """Train and held-out mean squared error of the least-squares fit of every degree 0..max_degree,
  as one traced, vmapped call.

  Degree ``k`` is the fit on the `[n, max_degree]` features with columns ``> k`` masked to zero;
  the minimum-norm (SVD) solution gives those columns zero weight, so each entry equals the fit of
  degree ``k`` alone.

  Args:
    x_train, y_train: `[n]` training data.
    x_test, y_test: `[m]` held-out data.
    max_degree: the largest degree (static).
    basis: feature basis (static).
    domain: interval for the orthogonal bases.

  Returns:
    ``(train_mse, test_mse)``, each `[max_degree + 1]` (mean of ``(y - f(x))²``).
  """
  f_train = polynomial_features(x_train, max_degree, basis=basis, domain=domain)
  f_test = polynomial_features(x_test, max_degree, basis=basis, domain=domain)
  masks = (jnp.arange(max_degree)[None, :] < jnp.arange(max_degree + 1)[:, None])

  def one(mask):
    m = mask.astype(f_train.dtype)[None, :]
    params, _ = lstsq(f_train * m, y_train, method="svd")
    train = jnp.mean((y_train - predict(params, f_train * m)) ** 2)
    test = jnp.mean((y_test - predict(params, f_test * m)) ** 2)
    return train, test

  return jax.vmap(one)(masks)
