"""Shared test set-up: strict numpy semantics, explicit keys, float64 where a test needs it."""

import gc
import os

# The suite runs at tiny sizes, where XLA's compilation is most of the work and LLVM's machine-code
# optimisation buys nothing: at level 0 a cold-cache `make test` took 446 s instead of 540 s here.
# XLA's own (HLO) passes are unchanged; the machine code differs, and with it the rounding: fitted
# parameters moved by at most 1.4e-6 relative in float32 (mostly 1e-8 to 1e-7), within every
# tolerance here. `make bench` and `make experiments` keep the default;
# LINMODELS_TEST_XLA_OPT=default runs the tests at XLA's default level. (XLA reads the flags when the backend starts, after this
# module is imported; subprocesses inherit them.)
if os.environ.get("LINMODELS_TEST_XLA_OPT") != "default":
  os.environ["XLA_FLAGS"] = " ".join(
      [os.environ.get("XLA_FLAGS", ""), "--xla_backend_optimization_level=0"]).strip()

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


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
  # At its end each pytest-xdist worker runs pytest's own gc.collect() calls, which walk every
  # object the session's tracing and compiling left behind: 1.4-2.3 s each (with JAX's gc
  # callback) at the end of a cold-cache `make test` here, 6.5 s from this hook to exit. After
  # 5 s execnet stops a worker with SIGINT, and a passing run ended with a KeyboardInterrupt
  # traceback from inside JAX's gc callback. Nothing left at this point needs collecting before
  # the process exits; frozen objects are skipped by those collections.
  gc.freeze()
