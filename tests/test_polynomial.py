"""Polynomial regression: features against numpy, the orthogonal basis in float32, the sweep."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import linmodels as lm


def test_features_against_numpy(x64, rng):
  x = rng.uniform(-1, 3, size=30)
  np.testing.assert_allclose(lm.polynomial_features(x, 4), np.vander(x, 5, increasing=True)[:, 1:],
                             rtol=1e-14)
  t = 2 * (x - (-1)) / 4 - 1
  leg = np.polynomial.legendre.legvander(t, 6)[:, 1:]
  np.testing.assert_allclose(lm.polynomial_features(x, 6, basis="legendre", domain=(-1, 3)), leg,
                             rtol=1e-12, atol=1e-14)
  cheb = np.polynomial.chebyshev.chebvander(t, 6)[:, 1:]
  np.testing.assert_allclose(lm.polynomial_features(x, 6, basis="chebyshev", domain=(-1, 3)), cheb,
                             rtol=1e-12, atol=1e-14)


def test_multivariate_monomials(rng):
  xs = rng.normal(size=(5, 3))
  feats = np.asarray(lm.monomial_features(xs, 3))
  assert feats.shape == (5, 19)  # C(3 + 3, 3) - 1
  x0, x1, x2 = xs.T
  for col in (x0, x2, x0 * x1, x2 ** 2, x0 * x1 * x2, x1 ** 3):
    assert np.any(np.all(np.isclose(feats, col[:, None], rtol=1e-5), axis=0))


def test_fit_matches_numpy_polyfit(x64, rng):
  x = np.sort(rng.uniform(0, 2, size=40))
  y = np.sin(3 * x) + 0.05 * rng.normal(size=40)
  for basis in ("monomial", "legendre", "chebyshev"):
    params, domain = lm.fit_polynomial(x, y, 5, basis=basis)
    fitted = lm.predict_polynomial(params, x, basis=basis, domain=domain)
    np.testing.assert_allclose(fitted, np.polyval(np.polyfit(x, y, 5), x), rtol=1e-9, atol=1e-10)
    if basis == "monomial":   # it ignores the domain
      np.testing.assert_allclose(lm.predict_polynomial(params, x, basis=basis), fitted, rtol=1e-12)
    else:  # a default domain (it was (0, 1), the fit's (min x, max x)) evaluated the wrong points
      with pytest.raises(ValueError, match=rf"pass domain=, the one fit_polynomial returned .* {basis}"):
        lm.predict_polynomial(params, x, basis=basis)


def test_orthogonal_basis_keeps_degree_15_accurate_in_float32():
  x64 = np.linspace(0.0, 1.0, 200)
  y64 = np.exp(np.sin(4 * x64))
  # The float64 least-squares polynomial of degree 15 is the reference (numpy's Chebyshev fit).
  ref = np.polynomial.chebyshev.Chebyshev.fit(x64, y64, 15)(x64)
  x, y = x64.astype(np.float32), y64.astype(np.float32)
  errors = {}
  for basis in ("legendre", "chebyshev", "monomial"):
    params, domain = lm.fit_polynomial(x, y, 15, basis=basis)
    fitted = np.asarray(lm.predict_polynomial(params, x, basis=basis, domain=domain), np.float64)
    errors[basis] = np.max(np.abs(fitted - ref))
  # Measured: orthogonal bases ~1e-6 (float32 rounding of the data), monomials ~1e-3.
  assert errors["legendre"] < 1e-5 and errors["chebyshev"] < 1e-5
  print(errors)
  assert errors["monomial"] > 30 * errors["legendre"], errors
  assert lm.conditioning(lm.polynomial_features(x64, 15))[0] > 1e6  # ~1/eps: numerically singular
  assert lm.conditioning(lm.polynomial_features(x64, 15, basis="legendre"))[0] < 10


def test_degree_sweep_traces_once_and_matches_per_degree_fits(rng):
  x = rng.uniform(0, 1, size=60).astype(np.float32)
  y = (np.sin(2 * np.pi * x) + 0.1 * rng.normal(size=60)).astype(np.float32)
  xt = rng.uniform(0, 1, size=40).astype(np.float32)
  yt = np.sin(2 * np.pi * xt).astype(np.float32)
  sweep = chex.assert_max_traces(n=1)(lm.degree_sweep.__wrapped__)
  sweep = jax.jit(sweep, static_argnames=("max_degree", "basis"))
  train, test = sweep(x, y, xt, yt, max_degree=10)
  sweep(x * 0.9, y, xt, yt, max_degree=10)  # new values: no retrace
  assert train.shape == test.shape == (11,)
  np.testing.assert_allclose(train[0], np.var(y), rtol=1e-5)  # degree 0: the mean
  for k in (1, 3, 6, 10):
    params, _ = lm.lstsq(lm.polynomial_features(x, k, basis="legendre"), y, method="svd")
    pred = np.asarray(lm.predict(params, lm.polynomial_features(x, k, basis="legendre")))
    np.testing.assert_allclose(train[k], np.mean((y - pred) ** 2), rtol=1e-4)
  # More degrees never fit the training data worse; held-out error rises once it overfits.
  assert np.all(np.diff(np.asarray(train)) <= 1e-6)
  assert int(np.argmin(test)) < 10


def test_bad_inputs():
  with pytest.raises(ValueError, match="unknown basis"):
    lm.polynomial_features(jnp.ones(3), 2, basis="hermite")
  with pytest.raises(ValueError, match="1-D"):
    lm.polynomial_features(jnp.ones((3, 1)), 2)
  # The default domain (min x, max x) needs at least two distinct finite values.
  with pytest.raises(ValueError, match=r"non-empty 1-D array \[n\], got shape \(0,\)"):
    lm.fit_polynomial(jnp.zeros(0), jnp.zeros(0), 2)
  with pytest.raises(ValueError, match=r"every x equals 2.0, .* pass domain"):
    lm.fit_polynomial(jnp.full(4, 2.0), jnp.arange(4.0), 2)
  with pytest.raises(ValueError, match=r"x holds 1 non-finite value\(s\) .* first at index \(1,\)"):
    lm.fit_polynomial(jnp.array([0.0, jnp.inf, 1.0]), jnp.arange(3.0), 2)


def test_traced_input_needs_an_explicit_domain():
  with pytest.raises(ValueError, match="pass domain"):
    jax.jit(lambda x: lm.fit_polynomial(x, x, 2)[0].w)(jnp.linspace(0, 1, 5))
  w = jax.jit(lambda x: lm.fit_polynomial(x, x ** 2, 2, domain=(0.0, 1.0))[0].w)(jnp.linspace(0, 1, 5))
  assert w.shape == (2,)
