"""Data generators and loaders."""

import jax
import numpy as np
import pytest

import linmodels as lm


def test_make_separable_margin_and_labels():
  xs, labels, normal = lm.make_separable(jax.random.key(0), 300, 4, margin=0.25)
  u, offset = np.asarray(normal[:-1]), float(normal[-1])
  dist = np.asarray(xs) @ u + offset  # u is a unit vector: signed distance to the hyperplane
  assert np.all(np.abs(dist) >= 0.25 - 1e-6)
  np.testing.assert_array_equal(dist >= 0, np.asarray(labels) == 1)
  assert 0 < int(labels.sum()) < 300
  # A negative margin pulled points across the hyperplane: labels that no longer separate.
  with pytest.raises(ValueError, match=r"margin must be a non-negative number, got -0.5"):
    lm.make_separable(jax.random.key(0), 30, 2, margin=-0.5)
  xs, labels, _ = jax.jit(lambda m: lm.make_separable(jax.random.key(0), 30, 2, margin=m))(0.25)
  assert xs.shape == (30, 2)   # traced margins pass unchecked


def test_make_blobs_shapes_balance_and_vmap():
  xs, labels = lm.make_blobs(jax.random.key(0), 90, 5, num_classes=3)
  assert xs.shape == (90, 5) and np.bincount(np.asarray(labels)).tolist() == [30, 30, 30]
  batched = jax.vmap(lambda k: lm.make_blobs(k, 10, 2)[0])(jax.random.split(jax.random.key(1), 4))
  assert batched.shape == (4, 10, 2)
  a, _ = lm.make_blobs(jax.random.key(7), 10, 2)
  b, _ = lm.make_blobs(jax.random.key(7), 10, 2)
  np.testing.assert_array_equal(a, b)


def test_loaders_are_standardized():
  for load, shape in [(lm.load_iris, (150, 4)), (lm.load_breast_cancer, (569, 30)),
                      (lm.load_wine, (178, 13)), (lm.load_digits, (1797, 64))]:
    xs, labels = load()
    assert xs.shape == shape and labels.shape == (shape[0],)
    np.testing.assert_allclose(np.asarray(xs).mean(0), 0.0, atol=1e-5)
    std = np.asarray(xs).std(0)
    assert np.all((np.abs(std - 1) < 1e-4) | (std == 0))  # digits has constant pixels


def test_xor_is_not_linearly_separable_by_any_line():
  xs, labels = lm.xor()
  # Any line through a grid of directions and offsets misclassifies at least one XOR point.
  angles = np.linspace(0, 2 * np.pi, 181)
  for a in angles:
    for c in np.linspace(-2, 2, 41):
      pred = (np.asarray(xs) @ np.array([np.cos(a), np.sin(a)]) + c >= 0).astype(int)
      assert np.any(pred != np.asarray(labels))


@pytest.mark.parametrize("make,match", [
    # num_classes=0 failed with "Slice size at index 0 in gather op is out of range".
    (lambda: lm.make_blobs(jax.random.key(0), 10, 2, num_classes=0),
     r"make_blobs: num_classes must be a positive integer \(static\), got 0"),
    (lambda: lm.make_blobs(jax.random.key(0), 10, 0), r"make_blobs: num_features must be a positive"),
    (lambda: lm.make_blobs(jax.random.key(0), -1, 2), r"make_blobs: num_examples must be a non-neg"),
    (lambda: lm.make_blobs(jax.random.key(0), 10.0, 2), r"num_examples .* got 10.0"),
    # d = 0 returned points without features and a "separator" of one offset.
    (lambda: lm.make_separable(jax.random.key(0), 10, 0),
     r"make_separable: num_features must be a positive integer \(static\), got 0"),
])
def test_generators_name_bad_sizes(make, match):
  with pytest.raises(ValueError, match=match):
    make()
