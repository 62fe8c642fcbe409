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


def pytest_configure(config):
  # Many tests compile the same programs (same solver, same shapes) through fresh closures; XLA's
  # persistent cache keys on the compiled program, so it serves those repeats within one run and
  # across runs. It lives in the ignored .venv, so a fresh clone starts empty.
  import pathlib
  cache = pathlib.Path(__file__).resolve().parents[1] / ".venv" / "jax-cache"
  jax.config.update("jax_compilation_cache_dir", str(cache))
  jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
  jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
