"""The classifiers read X's finiteness off their first gradient instead of a separate pass.

``fit_logistic`` and ``fit_softmax`` skip the upfront finiteness pass over ``X``: the first step
of every method evaluates ``Xᵀr / n`` at ``w = 0`` with every residual nonzero, so NaN or ±inf
anywhere in ``X`` makes the fit diverge at once, and only then is ``X`` scanned, raising the same
error as ``checks.check_finite`` (naming the first bad entry). These tests place each kind of
bad value at each end of ``X`` for every method, and check that finite data are never scanned.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import linmodels as lm
from linmodels import checks

_BAD = {"nan": np.nan, "+inf": np.inf, "-inf": -np.inf}
_METHODS = ["newton", "lbfgs", "gd", "adam"]


def _data(model, n=60, d=3):
  rng = np.random.default_rng(0)
  xs = rng.normal(size=(n, d)).astype(np.float32)
  if model == "logistic":
    labels = (xs[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(np.int32)
  else:
    labels = np.digitize(xs[:, 0] + 0.5 * rng.normal(size=n), [-0.5, 0.5]).astype(np.int32)
  return xs, labels


def _fit(model, xs, labels, **kw):
  if model == "logistic":
    return lm.fit_logistic(xs, labels, **kw)
  return lm.fit_softmax(xs, labels, num_classes=3, **kw)


@pytest.mark.parametrize("model", ["logistic", "softmax"])
@pytest.mark.parametrize("method", _METHODS)
def test_non_finite_x_raises_the_checks_error_for_every_method(model, method):
  xs, labels = _data(model)
  for bad in _BAD.values():
    for at in [(0, 0), (xs.shape[0] - 1, xs.shape[1] - 1)]:
      x = xs.copy()
      x[at] = bad
      match = rf"xs holds 1 non-finite value\(s\) \(NaN or inf\), first at index \({at[0]}, {at[1]}\)"
      with pytest.raises(ValueError, match=match):
        _fit(model, jnp.asarray(x), labels, method=method, num_steps=20)


@pytest.mark.parametrize("model", ["logistic", "softmax"])
def test_zero_steps_check_before_the_fit(model):
  xs, labels = _data(model)
  xs[3, 1] = np.nan
  with pytest.raises(ValueError, match=r"first at index \(3, 1\)"):
    _fit(model, jnp.asarray(xs), labels, num_steps=0)


@pytest.fixture
def scanned(monkeypatch):
  """The names ``checks.check_finite`` is called with (it still checks)."""
  names = []
  real = checks.check_finite
  monkeypatch.setattr(checks, "check_finite", lambda x, name: names.append(name) or real(x, name))
  return names


@pytest.mark.parametrize("model", ["logistic", "softmax"])
def test_finite_data_are_not_scanned_again(model, scanned):
  xs, labels = _data(model)
  res = _fit(model, jnp.asarray(xs), labels)
  assert not bool(res.diverged) and scanned == []


def test_a_diverged_fit_on_finite_data_is_returned_not_raised(scanned):
  # Divergence for another reason (a step far above 2/L): X is scanned, found finite, and the
  # result comes back with its divergence flag, as before.
  xs, labels = _data("logistic")
  res = lm.fit_logistic(jnp.asarray(xs * 1e4), labels, method="gd", learning_rate=1e6,
                        num_steps=50)
  assert bool(res.diverged) and scanned == ["xs"]
  assert np.all(np.isfinite(np.asarray(res.params.w)))


def test_concrete_non_finite_x_inside_a_users_jit_still_raises():
  xs, labels = _data("softmax")
  xs[5, 0] = np.inf
  x = jnp.asarray(xs)
  with pytest.raises(ValueError, match=r"first at index \(5, 0\)"):
    jax.jit(lambda: lm.fit_softmax(x, labels, num_classes=3).params)()


@pytest.mark.parametrize("model", ["logistic", "softmax"])
@pytest.mark.parametrize("method", _METHODS)
def test_zero_steps_on_finite_data_return_the_start(model, method):
  # The gradient at w = 0 in float64: Xᵀ(p - onehot) / n and mean(p - onehot) with p = 1/C.
  xs, labels = _data(model)
  res = _fit(model, jnp.asarray(xs), labels, method=method, num_steps=0)
  k = 2 if model == "logistic" else 3
  resid = 1.0 / k - np.eye(k)[labels]
  if model == "logistic":
    resid = resid[:, 1:]
  a = np.c_[xs.astype(np.float64), np.ones(len(xs))]
  want = np.linalg.norm(a.T @ resid / len(xs))
  assert int(res.num_steps) == 0 and res.losses.shape == (0,)
  assert not bool(res.diverged) and not bool(res.converged)
  assert not np.any(np.asarray(res.params.w)) and not np.any(np.asarray(res.params.b))
  np.testing.assert_allclose(float(res.grad_norm), want, rtol=1e-5)
