"""The one-pass and Gram-trick least-squares losses equal the lecture's mse_loss, with gradients."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import linmodels as lm
from linmodels.lstsq_losses import fused_mse_loss, gram_mse_loss, mse_stats


def _problem(rng, n=300, d=16, k=None, offset=0.0):
  xs = rng.normal(size=(n, d)) + offset
  ys = xs @ rng.normal(size=(d,) if k is None else (d, k)) + 0.3
  w = rng.normal(size=(d,) if k is None else (d, k))
  b = rng.normal(size=() if k is None else (k,))
  return xs, ys, lm.LinearParams(jnp.asarray(w), jnp.asarray(b))


LOSSES = {
    "fused": fused_mse_loss,
    "fused_blocks": functools.partial(fused_mse_loss, kernel="xla", block_rows=7),
    "pallas": functools.partial(fused_mse_loss, kernel="pallas"),
}


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("k", [None, 3])
def test_value_and_gradient_equal_mse_loss(x64, rng, name, k):
  xs, ys, p = _problem(rng, k=k)
  loss = LOSSES[name]
  v, g = jax.value_and_grad(loss)(p, xs, ys)
  v_ref, g_ref = jax.value_and_grad(lm.mse_loss)(p, xs, ys)
  np.testing.assert_allclose(v, v_ref, rtol=1e-12)
  np.testing.assert_allclose(g.w, g_ref.w, rtol=1e-11, atol=1e-12)
  np.testing.assert_allclose(g.b, g_ref.b, rtol=1e-11, atol=1e-12)


def test_pallas_kernel_float32_against_float64(rng):
  xs, ys, p = _problem(rng, n=2000, d=64)
  p32 = jax.tree_util.tree_map(lambda a: a.astype(jnp.float32), p)
  g = jax.grad(LOSSES["pallas"])(p32, jnp.asarray(xs, jnp.float32), jnp.asarray(ys, jnp.float32))
  with jax.enable_x64(True):
    g_ref = jax.grad(lm.mse_loss)(p, xs, ys)
  assert np.linalg.norm(g.w - g_ref.w) / np.linalg.norm(g_ref.w) < 1e-5


def test_data_cotangents_are_exact(x64, rng):
  xs, ys, p = _problem(rng, n=40, d=3)
  dx, dy = jax.grad(fused_mse_loss, argnums=(1, 2))(p, xs, ys)
  dx_ref, dy_ref = jax.grad(lm.mse_loss, argnums=(1, 2))(p, xs, ys)
  np.testing.assert_allclose(dx, dx_ref, rtol=1e-12)
  np.testing.assert_allclose(dy, dy_ref, rtol=1e-12)


@pytest.mark.parametrize("k", [None, 2])
def test_gram_loss_equals_mse_loss_with_gradient(x64, rng, k):
  xs, ys, p = _problem(rng, k=k, offset=5.0)
  stats = mse_stats(xs, ys)
  v, g = jax.value_and_grad(gram_mse_loss)(p, stats)
  v_ref, g_ref = jax.value_and_grad(lm.mse_loss)(p, xs, ys)
  np.testing.assert_allclose(v, v_ref, rtol=1e-10)
  np.testing.assert_allclose(g.w, g_ref.w, rtol=1e-9, atol=1e-10)
  np.testing.assert_allclose(g.b, g_ref.b, rtol=1e-9, atol=1e-10)


def test_gradient_descent_follows_the_same_iterates(x64, rng):
  xs, ys, _ = _problem(rng, n=500, d=8)
  p0 = lm.init_linear(8)
  ref = lm.fit_gd(lm.mse_loss, p0, (xs, ys), 0.05, num_steps=30)
  fused = lm.fit_gd(fused_mse_loss, p0, (xs, ys), 0.05, num_steps=30)
  gram = lm.fit_gd(gram_mse_loss, p0, (mse_stats(xs, ys),), 0.05, num_steps=30)
  for res in (fused, gram):
    np.testing.assert_allclose(res.losses, ref.losses, rtol=1e-9)
    np.testing.assert_allclose(res.params.w, ref.params.w, rtol=1e-9, atol=1e-12)


def test_vmap_sweep_over_learning_rates(rng):
  xs, ys, _ = _problem(rng, n=200, d=4)
  xs, ys = jnp.asarray(xs, jnp.float32), jnp.asarray(ys, jnp.float32)
  p0 = lm.init_linear(4)
  lrs = jnp.array([0.01, 0.1, 0.5])
  sweep = jax.jit(jax.vmap(lambda lr: lm.fit_gd(fused_mse_loss, p0, (xs, ys), lr,
                                                num_steps=20).losses[-1]))
  loop = [lm.fit_gd(lm.mse_loss, p0, (xs, ys), lr, num_steps=20).losses[-1] for lr in lrs]
  np.testing.assert_allclose(sweep(lrs), loop, rtol=1e-4, atol=1e-8)  # the last one converges to ~1e-10


def test_bad_arguments():
  p = lm.init_linear(2)
  with pytest.raises(ValueError, match="kernel must be"):
    fused_mse_loss(p, jnp.ones((3, 2)), jnp.ones(3), kernel="cuda")
  with pytest.raises(ValueError, match="xs.shape=\\(3, 2\\), ys.shape=\\(4,\\)"):
    fused_mse_loss(p, jnp.ones((3, 2)), jnp.ones(4))
