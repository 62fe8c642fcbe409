"""The Pallas one-pass gradient kernel (interpret mode on CPU) against float64 numpy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from linmodels import pallas_gradient


@pytest.mark.parametrize("n,d,block_rows", [(1024, 16, 256), (1000, 64, 256), (100, 32, 128),
                                            (513, 128, None)])
def test_matches_float64_reference(rng, n, d, block_rows):
  xs = rng.standard_normal((n, d)).astype(np.float32)
  ys = rng.standard_normal(n).astype(np.float32)
  w = rng.standard_normal(d).astype(np.float32)
  xtr, r = pallas_gradient.residual_gradient(jnp.asarray(xs), jnp.asarray(ys), jnp.asarray(w),
                                             block_rows=block_rows)
  r64 = xs.astype(np.float64) @ w - ys
  g64 = r64 @ xs
  assert r.shape == (n,) and xtr.shape == (d,)
  assert np.linalg.norm(np.asarray(r) - r64) / np.linalg.norm(r64) < 1e-6
  assert np.linalg.norm(np.asarray(xtr) - g64) / np.linalg.norm(g64) < 1e-6


def test_refuses_what_triton_cannot_compile():
  with pytest.raises(ValueError, match="power of two"):
    pallas_gradient.residual_gradient(jnp.ones((64, 24)), jnp.ones(64), jnp.ones(24))
  with pytest.raises(ValueError, match="block_rows"):
    pallas_gradient.residual_gradient(jnp.ones((64, 16)), jnp.ones(64), jnp.ones(16), block_rows=48)
  with pytest.raises(ValueError, match="shapes"):
    pallas_gradient.residual_gradient(jnp.ones((64, 16)), jnp.ones(63), jnp.ones(16))
  assert pallas_gradient.supported(64) and not pallas_gradient.supported(8)


def test_under_jit(rng):
  xs = jnp.asarray(rng.standard_normal((256, 16)), jnp.float32)
  f = jax.jit(lambda w: pallas_gradient.residual_gradient(xs, jnp.zeros(256), w, block_rows=64)[0])
  w = jnp.ones(16)
  np.testing.assert_allclose(f(w), (xs @ w) @ xs, rtol=1e-5)


def test_shift_inside_the_kernel_matches_float64(rng):
  xs = (rng.standard_normal((700, 32)) + 40.0).astype(np.float32)
  ys = rng.standard_normal(700).astype(np.float32)
  w = rng.standard_normal(32).astype(np.float32)
  c = xs[:64].mean(0)
  xtr, r = pallas_gradient.residual_gradient(jnp.asarray(xs), jnp.asarray(ys), jnp.asarray(w),
                                             jnp.asarray(c), block_rows=128)
  z = xs.astype(np.float64) - c
  r64 = z @ w - ys
  np.testing.assert_allclose(r, r64, rtol=1e-4, atol=1e-5 * np.abs(r64).max())
  g64 = r64 @ z
  assert np.linalg.norm(np.asarray(xtr) - g64) / np.linalg.norm(g64) < 1e-5
  with pytest.raises(ValueError, match="shift"):
    pallas_gradient.residual_gradient(jnp.asarray(xs), jnp.asarray(ys), jnp.asarray(w), jnp.ones(3))


@pytest.mark.parametrize("shifted", [False, True])
@pytest.mark.parametrize("n", [1000, 1024])
def test_gradient_sums_match_float64(rng, shifted, n):
  # The kernel that returns each block's Σ r and Σ r² instead of r; n = 1000 leaves a tail.
  xs = (rng.standard_normal((n, 16)) + 5.0).astype(np.float32)
  ys = rng.standard_normal(n).astype(np.float32)
  w = rng.standard_normal(16).astype(np.float32)
  c = xs[:50].mean(0) if shifted else np.zeros(16, np.float32)
  xtr, r_sum, rr = pallas_gradient.gradient_sums(
      jnp.asarray(xs), jnp.asarray(ys), jnp.asarray(w), jnp.asarray(c) if shifted else None,
      block_rows=128)
  z = xs.astype(np.float64) - c
  r64 = z @ w - ys
  g64 = r64 @ z
  assert np.linalg.norm(np.asarray(xtr) - g64) / np.linalg.norm(g64) < 1e-5
  np.testing.assert_allclose(r_sum, r64.sum(), rtol=1e-4, atol=1e-5 * np.abs(r64).sum())
  np.testing.assert_allclose(rr, r64 @ r64, rtol=1e-5)
