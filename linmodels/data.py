"""Synthetic data with explicit keys, and the small real data sets that scikit-learn ships.

The generators are pure JAX (``jit``/``vmap`` over keys works). The loaders need the optional
scikit-learn dependency (``pip install 'linmodels[experiments]'``); they read the copies inside
the scikit-learn package and never touch the network.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from linmodels import checks

Array = jax.Array


def make_blobs(key: Array, num_examples: int, num_features: int = 2, *, num_classes: int = 2,
               separation: Array | float = 3.0, std: Array | float = 1.0,
               dtype=None) -> tuple[Array, Array]:
  """Gaussian blobs: class ``c`` centred at ``separation · u_c`` with unit-norm random ``u_c``
  (``u₁ = -u₀`` for two classes, so their centres are ``2 · separation`` apart).

  Args:
    key: PRNG key.
    num_examples: ``n`` (static); classes are assigned round-robin, so they are balanced.
    num_features: ``d`` (static).
    num_classes: number of classes (static).
    separation: `[]` distance of the centres from the origin (traced).
    std: `[]` standard deviation of each blob (traced).
    dtype: float dtype; default float32 (float64 under x64).

  Returns:
    ``(xs, labels)``: `[n, d]` float and `[n]` int32 in ``0 .. num_classes-1``.

  >>> import jax
  >>> xs, labels = make_blobs(jax.random.key(0), 6, 3, num_classes=3)
  >>> xs.shape, labels.tolist()
  ((6, 3), [0, 1, 2, 0, 1, 2])
  """
  num_examples = checks.static_count(num_examples, "make_blobs: num_examples")
  num_features = checks.static_count(num_features, "make_blobs: num_features", minimum=1)
  num_classes = checks.static_count(num_classes, "make_blobs: num_classes", minimum=1)
  dtype = dtype or jnp.result_type(float)
  key_c, key_x = jax.random.split(key)
  centres = jax.random.normal(key_c, (num_classes, num_features), dtype)
  if num_classes == 2:  # antipodal, so that two classes never share a side (in 1D especially)
    centres = jnp.stack([centres[0], -centres[0]])
  centres = separation * centres / jnp.linalg.norm(centres, axis=1, keepdims=True)
  labels = jnp.arange(num_examples, dtype=jnp.int32) % num_classes
  xs = centres[labels] + std * jax.random.normal(key_x, (num_examples, num_features), dtype)
  return xs, labels


def make_separable(key: Array, num_examples: int, num_features: int = 2, *,
                   margin: Array | float = 0.5, dtype=None) -> tuple[Array, Array, Array]:
  """Linearly separable data with a known separator and a guaranteed margin.

  Points are standard normal; a random unit normal ``u`` and offset ``c`` label them by
  ``sign(uᵀx - c)``, then each point is pushed ``margin`` further from the hyperplane along ``u``,
  so every point is at distance at least ``margin`` from it.

  Args:
    key: PRNG key.
    num_examples: ``n`` (static).
    num_features: ``d`` (static).
    margin: `[]` the guaranteed geometric margin, ``≥ 0`` (traced; a concrete negative one
      raises: it would pull points across the hyperplane and the data would not separate).
    dtype: float dtype.

  Returns:
    ``(xs, labels, normal)``: `[n, d]`, `[n]` int32 in {0, 1}, and `[d + 1]` the separating
    ``[u, -c]`` (``x`` is positive when ``uᵀx - c ≥ 0``).
  """
  num_examples = checks.static_count(num_examples, "make_separable: num_examples")
  num_features = checks.static_count(num_features, "make_separable: num_features", minimum=1)
  if checks.is_concrete(margin) and not float(margin) >= 0:
    raise ValueError(f"make_separable: margin must be a non-negative number, got {margin!r}")
  dtype = dtype or jnp.result_type(float)
  key_x, key_u, key_c = jax.random.split(key, 3)
  xs = jax.random.normal(key_x, (num_examples, num_features), dtype)
  u = jax.random.normal(key_u, (num_features,), dtype)
  u = u / jnp.linalg.norm(u)
  c = 0.5 * jax.random.normal(key_c, (), dtype)
  side = jnp.where(xs @ u - c >= 0, 1.0, -1.0).astype(dtype)
  xs = xs + (margin * side)[:, None] * u[None, :]
  return xs, (side > 0).astype(jnp.int32), jnp.concatenate([u, -c[None]])


def xor(dtype=None) -> tuple[Array, Array]:
  """The four XOR points, the classic data no line separates: ``(xs [4, 2], labels [4])``."""
  dtype = dtype or jnp.result_type(float)
  xs = jnp.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype)
  return xs, jnp.array([0, 1, 1, 0], jnp.int32)


def standardize(xs: Array) -> Array:
  """Columns to zero mean and unit variance (population std); constant columns are left at 0."""
  xs = jnp.asarray(xs)
  std = jnp.std(xs, axis=0, keepdims=True)
  return (xs - jnp.mean(xs, axis=0, keepdims=True)) / jnp.where(std > 0, std, 1.0)


def _load(name: str, standardized: bool, dtype) -> tuple[Array, Array]:
  try:
    from sklearn import datasets
  except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"load_{name} needs scikit-learn: pip install 'linmodels[experiments]'") from err
  xs, labels = getattr(datasets, f"load_{name}")(return_X_y=True)
  dtype = dtype or jnp.result_type(float)
  xs = jnp.asarray(np.asarray(xs, np.float64), dtype)
  if standardized:
    xs = standardize(xs)
  return xs, jnp.asarray(labels, jnp.int32)


def load_iris(*, standardized: bool = True, dtype=None) -> tuple[Array, Array]:
  """Fisher's iris: `[150, 4]` inputs, `[150]` labels in {0, 1, 2} (setosa, versicolor, virginica)."""
  return _load("iris", standardized, dtype)


def load_breast_cancer(*, standardized: bool = True, dtype=None) -> tuple[Array, Array]:
  """Wisconsin breast cancer: `[569, 30]` inputs, `[569]` labels in {0 malignant, 1 benign}."""
  return _load("breast_cancer", standardized, dtype)


def load_digits(*, standardized: bool = True, dtype=None) -> tuple[Array, Array]:
  """Handwritten digits: `[1797, 64]` 8×8 images, `[1797]` labels in 0..9."""
  return _load("digits", standardized, dtype)


def load_wine(*, standardized: bool = True, dtype=None) -> tuple[Array, Array]:
  """Wine recognition: `[178, 13]` inputs, `[178]` labels in {0, 1, 2}."""
  return _load("wine", standardized, dtype)
