"""Maximum likelihood: closed forms against numpy/scipy, and the lecture's equivalences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

import linmodels as lm


def test_gaussian_mle_closed_form_is_biased_std(x64, rng):
  xs = rng.normal(3.0, 2.0, size=500)
  mu, sigma = lm.gaussian_mle(xs)
  np.testing.assert_allclose(mu, np.mean(xs), rtol=1e-14)
  np.testing.assert_allclose(sigma, np.std(xs, ddof=0), rtol=1e-13)  # 1/N, not 1/(N-1)
  assert abs(float(sigma) - np.std(xs, ddof=1)) > 1e-4
  # It is the argmax: scipy's own fit agrees, and the gradient of the log-likelihood vanishes.
  np.testing.assert_allclose([mu, sigma], scipy.stats.norm.fit(xs), rtol=1e-10)
  g = jax.grad(lm.gaussian_log_likelihood, argnums=(0, 1))(mu, sigma, jnp.asarray(xs))
  np.testing.assert_allclose(g, [0.0, 0.0], atol=1e-9)


def test_log_likelihood_and_pdf_against_scipy(x64, rng):
  xs = rng.normal(size=20)
  np.testing.assert_allclose(lm.gaussian_log_likelihood(0.3, 1.7, xs),
                             np.sum(scipy.stats.norm.logpdf(xs, 0.3, 1.7)), rtol=1e-13)
  # The lecture's formula, written out.
  x = 0.8
  np.testing.assert_allclose(lm.gaussian_pdf(x, 0.3, 1.7),
                             np.exp(-(x - 0.3) ** 2 / (2 * 1.7 ** 2)) / np.sqrt(2 * np.pi * 1.7 ** 2),
                             rtol=1e-14)


def test_gradient_ascent_agrees_with_closed_form(rng):
  xs = jnp.asarray(rng.normal(3.0, 2.0, size=500), jnp.float32)
  mu_gd, sigma_gd, result = lm.fit_gaussian_mle(xs, learning_rate=0.5, num_steps=500)
  mu, sigma = lm.gaussian_mle(xs)
  np.testing.assert_allclose([mu_gd, sigma_gd], [mu, sigma], rtol=1e-5)
  assert not bool(result.diverged)


def test_gaussian_nll_of_linear_model_is_mse_up_to_constants(x64, rng):
  xs, ys = rng.normal(size=(50, 3)), rng.normal(size=50)
  n = len(ys)
  for _ in range(3):
    p = lm.LinearParams(jnp.asarray(rng.normal(size=3)), jnp.asarray(rng.normal()))
    # σ = 1: -log L = the lecture's ½ Σ r² + N log √(2π), exactly.
    np.testing.assert_allclose(lm.linear_gaussian_nll(p, xs, ys, 1.0),
                               lm.lecture_loss(p, xs, ys) + n * np.log(np.sqrt(2 * np.pi)), rtol=1e-13)
    # Any σ: -log L = L(w)/σ² + N log √(2πσ²).
    s = 0.7
    np.testing.assert_allclose(lm.linear_gaussian_nll(p, xs, ys, s),
                               lm.lecture_loss(p, xs, ys) / s ** 2 + n * np.log(np.sqrt(2 * np.pi * s ** 2)),
                               rtol=1e-13)
  # Same minimiser: the gradient of the NLL vanishes at the least-squares fit, and σ*² = MSE(w*).
  fitted, _ = lm.lstsq(xs, ys)
  g = jax.grad(lm.linear_gaussian_nll)(fitted, xs, ys, 1.3)
  assert max(np.abs(np.asarray(g.w)).max(), abs(float(g.b))) < 1e-10
  mse = 2 * float(lm.mse_loss(fitted, xs, ys))  # mse_loss is ½ mean r²
  sigma_star = jax.grad(lambda s: lm.linear_gaussian_nll(fitted, xs, ys, s))
  np.testing.assert_allclose(sigma_star(np.sqrt(mse)), 0.0, atol=1e-10)


def test_bernoulli_nll_is_bce_and_categorical_nll_is_ce(x64, rng):
  xs = rng.normal(size=(40, 3))
  labels = (rng.uniform(size=40) < 0.4).astype(np.int32)
  p = lm.LinearParams(jnp.asarray(rng.normal(size=3)), jnp.asarray(0.1))
  # Different code paths (log_sigmoid vs optax's sigmoid BCE): equal to float64 rounding.
  np.testing.assert_allclose(lm.bernoulli_nll(p, xs, labels), lm.lecture_bce(p, xs, labels), rtol=1e-13)
  # And scipy's Bernoulli log-pmf, from probabilities.
  prob = 1 / (1 + np.exp(-(xs @ np.asarray(p.w) + 0.1)))
  np.testing.assert_allclose(lm.bernoulli_nll(p, xs, labels),
                             -np.sum(scipy.stats.bernoulli.logpmf(labels, prob)), rtol=1e-12)
  classes = rng.integers(0, 4, size=40)
  pc = lm.LinearParams(jnp.asarray(rng.normal(size=(3, 4))), jnp.asarray(rng.normal(size=4)))
  np.testing.assert_allclose(lm.categorical_nll(pc, xs, classes), lm.lecture_cross_entropy(pc, xs, classes),
                             rtol=1e-13)
  probs = np.asarray(lm.softmax_regression.predict_proba(pc, xs))
  np.testing.assert_allclose(lm.categorical_nll(pc, xs, classes),
                             -np.sum(np.log(probs[np.arange(40), classes])), rtol=1e-12)


def test_categorical_nll_classes_outside_the_logits_raise_or_give_nan():
  params = lm.LinearParams(jnp.eye(3), jnp.zeros(3))
  xs = jnp.array([[2.0, 0.0, -1.0]] * 3)
  with pytest.raises(ValueError, match=r"categorical_nll: labels holds values \[-1\] outside the "
                                       r"allowed set \[0, 1, 2\]"):
    lm.categorical_nll(params, xs, jnp.array([-1, 0, 2]))
  # take_along_axis read -1 as the last class: the same NLL as labels (2, 0, 2).
  assert np.isnan(jax.jit(lm.categorical_nll)(params, xs, jnp.array([-1, 0, 2])))
  log_z = np.log(np.exp(2.0) + 1.0 + np.exp(-1.0))
  np.testing.assert_allclose(lm.categorical_nll(params, xs, jnp.array([2, 0, 2])),
                             3 * log_z - (-1.0 + 2.0 - 1.0), rtol=1e-6)


def test_bad_inputs():
  with pytest.raises(ValueError, match="non-empty 1-D"):
    lm.gaussian_mle(np.ones((3, 2)))
  with pytest.raises(ValueError, match="non-finite"):
    lm.gaussian_mle(np.array([1.0, np.nan]))


@pytest.mark.parametrize("xs,match", [
    (np.full(5, 1.5), r"xs holds 5 sample\(s\), all equal to 1.5: the MLE has σ\* = 0"),
    (np.array([2.0]), r"xs holds 1 sample\(s\), all equal to 2.0"),
    (np.zeros(0), r"non-empty 1-D array, got shape \(0,\)"),
    (np.ones((3, 2)), r"non-empty 1-D array, got shape \(3, 2\)"),
    (np.array([0.0, np.nan]), r"xs holds 1 non-finite value"),
])
def test_fit_gaussian_mle_rejects_data_without_a_finite_mle(xs, match):
  with pytest.raises(ValueError, match=match):
    lm.fit_gaussian_mle(xs)


@pytest.mark.parametrize("call,name", [
    (lambda s: lm.gaussian_pdf(0.0, 0.0, s), "gaussian_pdf"),
    (lambda s: lm.gaussian_log_likelihood(0.0, s, jnp.array([0.5, 1.0])), "gaussian_log_likelihood"),
    (lambda s: lm.linear_gaussian_nll(lm.LinearParams(jnp.ones(1), jnp.zeros(())),
                                      jnp.ones((2, 1)), jnp.ones(2), s), "linear_gaussian_nll"),
])
def test_a_non_positive_sigma_is_refused_or_nan_like_scipy(call, name):
  # jax.scipy.stats.norm drops the sign: pdf(0; 0, σ = -1) came out 0.399, a density.
  assert np.isnan(scipy.stats.norm.pdf(0.0, 0.0, -1.0))
  for bad in (-1.0, 0.0):
    with pytest.raises(ValueError, match=rf"{name}: sigma must be positive, got \[-?{abs(bad)}\]"):
      call(bad)
    assert np.isnan(float(jax.jit(call)(bad)))       # traced: scipy's NaN
  assert np.isfinite(float(call(0.7)))
