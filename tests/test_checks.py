"""Every bad input of the shared checker raises a ValueError that names the problem and shapes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import linmodels as lm


@pytest.mark.parametrize("xs,ys,match", [
    (np.ones((5, 2)), np.ones(4), r"different numbers of examples: xs.shape=\(5, 2\), ys.shape=\(4,\)"),
    (np.ones(5), np.ones(5), r"rank 2 \[n, d\], got shape \(5,\) \(one feature\? use xs\[:, None\]\)"),
    (np.ones((2, 2, 2)), np.ones(2), r"rank 2 \[n, d\], got shape \(2, 2, 2\)"),
    (np.ones((3, 2)), np.ones((3, 1, 1)), r"ys must have rank 1 \[n\] or 2 \[n, k\], got shape \(3, 1, 1\)"),
    (np.ones((0, 2)), np.ones(0), r"xs is empty: no examples, shape \(0, 2\)"),
    (np.ones((3, 0)), np.ones(3), r"xs has no features, shape \(3, 0\)"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), np.ones(2), r"xs holds 1 non-finite value\(s\) \(NaN or inf\), first at index \(0, 1\)"),
    (np.ones((2, 2)), np.array([1.0, np.inf]), r"ys holds 1 non-finite value"),
    (np.ones((2, 2)) + 1j, np.ones(2), r"xs must be real"),
])
def test_bad_regression_inputs(xs, ys, match):
  with pytest.raises(ValueError, match=match):
    lm.lstsq(xs, ys)


def test_integer_inputs_are_cast_to_float():
  xs, ys = lm.check_xy(np.arange(6).reshape(3, 2), [1, 2, 3])
  assert xs.dtype == jnp.float32 and ys.dtype == jnp.float32


@pytest.mark.parametrize("sw,match", [
    (np.ones(3), r"sample_weight must have shape \(4,\), got \(3,\)"),
    (np.array([1.0, -1.0, 1.0, 1.0]), "1 negative value"),
    (np.zeros(4), "zero everywhere"),
    (np.array([1.0, np.nan, 1.0, 1.0]), "sample_weight holds 1 non-finite"),
])
def test_bad_sample_weights(sw, match):
  with pytest.raises(ValueError, match=match):
    lm.lstsq(np.eye(4), np.ones(4), sample_weight=sw)


@pytest.mark.parametrize("labels,match", [
    ([0, 1, 2], r"values \[2\] outside the allowed set \[0, 1\]"),
    ([0, 1], "has 2 entries but xs has 3 examples"),
    ([0.5, 1, 0], "must be integers"),
    ([[0, 1, 0]], r"rank 1 \[n\]"),
])
def test_bad_labels(labels, match):
  with pytest.raises(ValueError, match=match):
    lm.check_labels(labels, 3, allowed=(0, 1))


def test_shape_errors_raise_under_jit_and_values_are_documented_to_pass():
  # Shapes are static: the error comes at trace time under jit too.
  with pytest.raises(ValueError, match="different numbers of examples"):
    jax.jit(lambda xs, ys: lm.lstsq(xs, ys)[0])(jnp.ones((5, 2)), jnp.ones(4))
  # Values are not visible under jit: a NaN propagates into the result instead of raising.
  params = jax.jit(lambda xs, ys: lm.lstsq(xs, ys)[0])(jnp.array([[1.0], [jnp.nan]]), jnp.ones(2))
  assert not np.isfinite(np.asarray(params.w)).all()
