"""Shared test set-up: strict numpy semantics, explicit keys, float64 where a test needs it."""

import jax
import numpy as np
import pytest

# Implicit rank promotion hides shape bugs ([n] + [n, 1] -> [n, n]); make it an error everywhere.
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def key():
  return jax.random.key(0)


@pytest.fixture
def rng():
  return np.random.default_rng(0)


@pytest.fixture
def x64():
  """Runs the test body with float64 enabled (tight comparisons against float64 references)."""
  with jax.enable_x64(True):
    yield
