"""Maximum likelihood: the Gaussian in closed form and by gradient ascent, and the three
negative log-likelihoods that recover the lecture's losses.

* Probability ``p(x; μ, σ)`` is a function of the data for fixed parameters; the likelihood
  ``L(μ, σ; x)`` is the same expression read as a function of the parameters.
* i.i.d. data: ``argmax_θ Π p(xᵢ; θ) = argmax_θ Σ log p(xᵢ; θ)``.
* Gaussian MLE: ``μ* = (1/N) Σ xᵢ`` and ``σ* = √((1/N) Σ (xᵢ - μ*)²)``: the *biased* 1/N form
  (``numpy.std(ddof=0)``), which is what maximising the likelihood gives; the unbiased 1/(N-1)
  estimator is not the MLE.
* Linear regression with Gaussian noise: ``-log L = 1/(2σ²) Σ (yᵢ - θᵀxᵢ)² + N log √(2πσ²)``, the
  lecture's MSE loss up to a scale and a constant (exactly it, plus a constant, at ``σ = 1``);
  maximising over σ as well gives ``σ*² = (1/N) Σ (yᵢ - θ*ᵀxᵢ)²``.
* Logistic regression with Bernoulli labels: ``-log L`` is the BCE; softmax regression with
  categorical labels: ``-log L`` is the cross-entropy.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.stats as jstats
import numpy as np

from linmodels import checks
from linmodels.linear import LinearParams, predict
from linmodels.optimize import FitResult, fit_gd

Array = jax.Array


class GaussianParams(NamedTuple):
  """``μ`` and ``log σ`` (the log keeps σ positive under unconstrained gradient ascent)."""
  mu: Array
  log_sigma: Array


def _positive_sigma(sigma: Array | float, name: str) -> Array:
  """``sigma`` where positive, NaN elsewhere (scipy's answer); a concrete ``σ ≤ 0`` raises.
  ``jax.scipy.stats.norm`` takes the sign away: it gave ``pdf(0; 0, -1) = 0.399``."""
  if checks.is_concrete(sigma):
    s = np.asarray(sigma)
    if not np.all(s > 0):
      raise ValueError(f"{name}: sigma must be positive, got {s[~(s > 0)].ravel()[:3].tolist()} "
                       f"among shape {s.shape}")
  sigma = jnp.asarray(sigma)
  return jnp.where(sigma > 0, sigma, jnp.nan)


def gaussian_pdf(x: Array, mu: Array | float, sigma: Array | float) -> Array:
  """``p(x; μ, σ) = exp(-(x-μ)²/(2σ²)) / √(2πσ²)`` (``jax.scipy.stats.norm.pdf``); ``σ > 0``
  (a concrete ``σ ≤ 0`` raises ``ValueError``, a traced one gives NaN)."""
  return jstats.norm.pdf(x, mu, _positive_sigma(sigma, "gaussian_pdf"))


def gaussian_log_likelihood(mu: Array | float, sigma: Array | float, xs: Array) -> Array:
  """``Σᵢ log p(xᵢ; μ, σ) = Σᵢ -(xᵢ-μ)²/(2σ²) - log √(2πσ²)``: `[n]` → `[]`; ``σ`` as in
  ``gaussian_pdf``."""
  return jnp.sum(jstats.norm.logpdf(xs, mu, _positive_sigma(sigma, "gaussian_log_likelihood")))


def _check_samples(xs: Array) -> Array:
  """`[n]` finite samples, ``n ≥ 1``, as floats."""
  xs = checks.as_float(xs, "xs")
  if xs.ndim != 1 or xs.shape[0] == 0:
    raise ValueError(f"xs must be a non-empty 1-D array, got shape {tuple(xs.shape)}")
  checks.check_finite(xs, "xs")
  return xs


def gaussian_mle(xs: Array) -> tuple[Array, Array]:
  """The closed-form MLE ``(μ*, σ*)`` of i.i.d. Gaussian data, σ* in the biased 1/N form.

  >>> mu, sigma = gaussian_mle(jnp.array([1.0, 2.0, 3.0, 4.0]))
  >>> float(mu), round(float(sigma), 6)
  (2.5, 1.118034)
  """
  xs = _check_samples(xs)
  mu = jnp.mean(xs)
  return mu, jnp.sqrt(jnp.mean((xs - mu) ** 2))


def gaussian_nll(params: GaussianParams, xs: Array) -> Array:
  """Mean negative log-likelihood ``-(1/N) Σ log p(xᵢ; μ, e^{log σ})``."""
  return -gaussian_log_likelihood(params.mu, jnp.exp(params.log_sigma), xs) / xs.shape[0]


def fit_gaussian_mle(xs: Array, *, learning_rate: Array | float = 0.5,
                     num_steps: int = 500) -> tuple[Array, Array, FitResult]:
  """The Gaussian MLE found numerically, by gradient ascent on the log-likelihood.

  Starts from ``μ = 0, σ = 1`` and runs the lecture's gradient descent on the mean negative
  log-likelihood over ``(μ, log σ)``. It should agree with ``gaussian_mle``.

  Args:
    xs: `[n]` samples, at least two distinct values.
    learning_rate: `[]` step size (traced).
    num_steps: steps (static).

  Returns:
    ``(mu, sigma, result)``.

  Raises:
    ValueError: empty, non-1-D or non-finite ``xs``, or every sample equal: then ``σ* = 0``,
      where the log-likelihood is unbounded above and the ascent runs off to ``log σ = -∞``.
  """
  xs = _check_samples(xs)
  if checks.is_concrete(xs) and not bool(jnp.any(xs != xs[0])):
    raise ValueError(f"xs holds {xs.shape[0]} sample(s), all equal to {float(xs[0])}: the MLE "
                     "has σ* = 0, where the likelihood is unbounded and no fit converges")
  p0 = GaussianParams(jnp.zeros((), xs.dtype), jnp.zeros((), xs.dtype))
  result = fit_gd(gaussian_nll, p0, (xs,), learning_rate, num_steps=num_steps)
  return result.params.mu, jnp.exp(result.params.log_sigma), result


def linear_gaussian_nll(params: LinearParams, xs: Array, ys: Array,
                        sigma: Array | float = 1.0) -> Array:
  """``-Σᵢ log N(yᵢ; wᵀxᵢ + b, σ²)`` for linear regression with Gaussian noise (summed)."""
  pred = predict(params, xs)
  checks.check_same_shape("linear_gaussian_nll", pred, "predictions predict(params, xs)", ys, "ys")
  return -jnp.sum(jstats.norm.logpdf(ys, pred, _positive_sigma(sigma, "linear_gaussian_nll")))


def bernoulli_nll(params: LinearParams, xs: Array, labels: Array) -> Array:
  """``-Σᵢ log σ(zᵢ)^{yᵢ} (1 - σ(zᵢ))^{1-yᵢ}`` with ``z = wᵀx + b``, via ``log σ(z) = log_sigmoid(z)``
  and ``log(1 - σ(z)) = log_sigmoid(-z)`` (summed). Labels outside ``[0, 1]`` raise when
  concrete and give ``nan`` when traced, as ``binary_cross_entropy``'s."""
  z = predict(params, xs)
  checks.check_same_shape("bernoulli_nll", z, "logits predict(params, xs)", labels, "labels")
  in_range = checks.labels_in_range("bernoulli_nll", labels)
  nll = -(labels * jax.nn.log_sigmoid(z) + (1 - labels) * jax.nn.log_sigmoid(-z))
  return jnp.sum(jnp.where(in_range, nll, jnp.nan))


def categorical_nll(params: LinearParams, xs: Array, labels: Array) -> Array:
  """``-Σᵢ log softmax(Wᵀxᵢ + b)_{yᵢ}`` for integer labels (summed). Labels outside
  ``0 .. C - 1`` raise when concrete and give ``nan`` when traced (``take_along_axis`` alone would
  read a label ``-1`` as the last class)."""
  log_p = jax.nn.log_softmax(predict(params, xs), axis=-1)
  checks.check_same_shape("categorical_nll", log_p.shape[:-1], "examples", labels,
                          "integer labels")
  in_range = checks.labels_in_range("categorical_nll", labels, log_p.shape[-1])
  log_py = jnp.take_along_axis(log_p, labels[:, None], axis=-1)[:, 0]
  return -jnp.sum(jnp.where(in_range, log_py, jnp.nan))
