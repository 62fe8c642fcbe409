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
