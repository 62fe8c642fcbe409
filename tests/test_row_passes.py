"""One-pass row reductions against float64 numpy, blocked against unblocked, under jit and vmap."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from linmodels import row_passes
from linmodels.row_passes import centred_gram, cpu_block_rows, reduce_rows, residual_sums


def _data(rng, n=203, d=5, k=2, offset=0.0):
  xs = rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d) + offset
  ys = xs @ rng.normal(size=(d, k)) + rng.normal(size=(n, k)) + offset
  return xs, ys


@pytest.mark.parametrize("block_rows", [None, 7, 64, 203, 1000])
@pytest.mark.parametrize("weighted", [False, True])
def test_centred_gram_matches_numpy_float64(x64, rng, block_rows, weighted):
  xs, ys = _data(rng)
  sw = rng.uniform(0.1, 2.0, size=len(xs)) if weighted else np.ones(len(xs))
  xm, ym = sw @ xs / sw.sum(), sw @ ys / sw.sum()
  xc, yc = xs - xm, ys - ym
  g = centred_gram(xs, ys, sw if weighted else None, block_rows=block_rows)
  np.testing.assert_allclose(g.gram, (xc * sw[:, None]).T @ xc, rtol=1e-12, atol=1e-10)
  np.testing.assert_allclose(g.rhs, (xc * sw[:, None]).T @ yc, rtol=1e-12, atol=1e-10)
  np.testing.assert_allclose(g.yy, (yc * sw[:, None]).T @ yc, rtol=1e-12, atol=1e-10)
  np.testing.assert_allclose(g.x_mean, xm, rtol=1e-12)
  np.testing.assert_allclose(g.y_mean, ym, rtol=1e-12)
  np.testing.assert_allclose(g.weight, sw.sum(), rtol=1e-12)


@pytest.mark.parametrize("d", [300, 520])
def test_wide_gram_from_upper_strips_matches_numpy_float64(x64, rng, d):
  # Wide designs form the Gram matrix as 2 or 4 block-rows of its upper triangle (_strip_starts)
  # and mirror them.
  xs, ys = _data(rng, n=90, d=d)
  sw = rng.uniform(0.1, 2.0, size=len(xs))
  xm, ym = sw @ xs / sw.sum(), sw @ ys / sw.sum()
  xc, yc = xs - xm, ys - ym
  g = centred_gram(xs, ys, sw, block_rows=40)
  np.testing.assert_allclose(g.gram, (xc * sw[:, None]).T @ xc, rtol=1e-11, atol=1e-10)
  np.testing.assert_allclose(g.rhs, (xc * sw[:, None]).T @ yc, rtol=1e-11, atol=1e-10)
  np.testing.assert_allclose(g.yy, (yc * sw[:, None]).T @ yc, rtol=1e-11, atol=1e-10)


def test_uncentred_gram(x64, rng):
  xs, ys = _data(rng)
  g = centred_gram(xs, ys, centre=False, block_rows=50)
  np.testing.assert_allclose(g.gram, xs.T @ xs, rtol=1e-12)
  np.testing.assert_allclose(g.rhs, xs.T @ ys, rtol=1e-12)
  assert np.all(np.asarray(g.x_mean) == 0)


def test_shift_keeps_float32_accuracy_with_large_means(rng):
  # Features with mean 1e3 and spread 1: XᵀX - n x̄x̄ᵀ in float32 cancels 6 digits of 7; the
  # shifted Gram does not.
  xs, ys = _data(rng, n=4000, d=4, k=1, offset=1e3)
  ref = np.cov(np.c_[xs, ys].T, bias=True) * len(xs)
  g = centred_gram(jnp.asarray(xs, jnp.float32), jnp.asarray(ys, jnp.float32), block_rows=512)
  got = np.block([[g.gram, g.rhs], [g.rhs.T, g.yy]])
  assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < 1e-5
  x32 = xs.astype(np.float32)
  naive = x32.T @ x32 - len(xs) * np.outer(x32.mean(0), x32.mean(0))
  assert np.linalg.norm(naive - ref[:4, :4]) / np.linalg.norm(ref[:4, :4]) > 1e-3  # the trap


@pytest.fixture
def device_path(monkeypatch):
  """Trace the GPU/TPU branch (``_device_gram``: no concatenated copy) on the CPU."""
  monkeypatch.setattr(row_passes, "_on_cpu", lambda: False)


@pytest.mark.parametrize("n", [203, 4096])
@pytest.mark.parametrize("centre", [True, False])
@pytest.mark.parametrize("precision", ["highest", "default"])
@pytest.mark.parametrize("k", [1, 2])
def test_device_gram_matches_numpy_float64(x64, rng, device_path, n, centre, precision, k):
  # "default" centres after the product, and for one output forms the cross terms as two sums
  # instead of a product with [1, Y]; in float64 every path is exact to rounding.
  from jax import lax
  prec = lax.Precision.HIGHEST if precision == "highest" else lax.Precision.DEFAULT
  assert row_passes._centres_after_product(prec) == (precision == "default")
  xs, ys = _data(rng, n=n, k=k)
  xm, ym = (xs.mean(0), ys.mean(0)) if centre else (0.0, 0.0)
  xc, yc = xs - xm, ys - ym
  g = jax.jit(lambda x, y: centred_gram(x, y, centre=centre, precision=prec))(xs, ys)
  np.testing.assert_allclose(g.gram, xc.T @ xc, rtol=1e-12, atol=1e-10)
  np.testing.assert_allclose(g.rhs, xc.T @ yc, rtol=1e-12, atol=1e-10)
  np.testing.assert_allclose(g.yy, yc.T @ yc, rtol=1e-12, atol=1e-10)
  np.testing.assert_allclose(g.x_mean, xm + np.zeros(5), rtol=1e-12)
  np.testing.assert_allclose(g.weight, n, rtol=1e-12)


@pytest.mark.parametrize("precision", ["highest", "default"])
def test_device_gram_keeps_float32_accuracy_with_large_means(rng, precision):
  # Full precision: X - c inside the product, as exact as the blocked CPU path. Reduced precision
  # centres after the product; on CPU that is float32 too, and its error is what
  # centring_amplification predicts (about mean²/variance = 1e6 times eps).
  from jax import lax
  xs, ys = _data(rng, n=4200, d=4, k=1, offset=1e3)
  ref = np.cov(np.c_[xs, ys].T, bias=True) * len(xs)
  x32, y32 = jnp.asarray(xs, jnp.float32), jnp.asarray(ys, jnp.float32)
  shift = jnp.concatenate([x32[:1024].mean(0), y32[:1024].mean(0)])
  prec = lax.Precision.HIGHEST if precision == "highest" else lax.Precision.DEFAULT
  g, u, s = row_passes._device_gram(x32, y32, shift, prec, centre_after=precision == "default")
  delta = u / s
  got = np.asarray(g - s * jnp.outer(delta, delta), np.float64)
  err = np.linalg.norm(got[:4, :4] - ref[:4, :4]) / np.linalg.norm(ref[:4, :4])
  if precision == "highest":
    assert err < 1e-5
  else:
    assert err > 1e-3  # the cancellation is real ...
    np.testing.assert_allclose(got[:4, 4], ref[:4, 4], rtol=1e-4)  # ... but not in the cross terms


def test_centring_amplification(rng, device_path):
  from jax import lax
  xs, ys = _data(rng, n=1000, d=3, k=1, offset=100.0)
  # The formula, on an accurate Gram matrix (a reduced-precision one has lost digits to the very
  # cancellation it measures: 0.5% in float32, all of them in TF32 on a GPU).
  cg = centred_gram(jnp.asarray(xs), jnp.asarray(ys), precision=lax.Precision.HIGHEST)
  expected = 1 + np.max(xs.mean(0) ** 2 / xs.var(0))
  np.testing.assert_allclose(row_passes.centring_amplification(cg, lax.Precision.DEFAULT), expected,
                             rtol=1e-4)
  assert row_passes.centring_amplification(cg, lax.Precision.HIGHEST) == 1
  # Weighted data take the blocked, shifted pass on every platform.
  assert row_passes.centring_amplification(cg, lax.Precision.DEFAULT, jnp.ones(len(xs))) == 1


def test_lstsq_on_the_device_path_matches_float64(rng, device_path):
  import linmodels as lm
  xs, ys = _data(rng, n=3000, d=6, k=1, offset=50.0)
  x64 = np.c_[xs, np.ones(len(xs))]
  ref = np.linalg.lstsq(x64, ys[:, 0], rcond=None)[0]
  for method in ("auto", "mixed", "cholesky"):
    p, _ = lm.lstsq(jnp.asarray(xs, jnp.float32), jnp.asarray(ys[:, 0], jnp.float32), method=method)
    got = np.r_[p.w, p.b]
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < (1e-3 if method == "cholesky" else 2e-6)


@pytest.mark.parametrize("offset", [0.0, 2e3, 1e4])
def test_mixed_on_the_device_path_falls_back_when_centring_cancels(rng, device_path, offset):
  # Means of 2e3 and 1e4 against a spread of 1: the Gram matrix centred after the product has
  # lost about 4e6 and 1e8 eps. The gate must send the solve to the full-precision path rather
  # than refine from it: without centring_amplification the refinement from a still positive
  # definite but wrong factor returned a relative error of 310 at 2e3 (1e4 breaks the factor).
  import linmodels as lm
  xs, ys = _data(rng, n=3000, d=6, k=1, offset=offset)
  # The reference solves the float32-rounded data: rounding features of size 1e3 moves them by
  # 3e-5, which moves the solution itself by more than the tolerance.
  xs, ys = xs.astype(np.float32), ys[:, 0].astype(np.float32)
  ref = np.linalg.lstsq(np.c_[xs.astype(np.float64), np.ones(len(xs))], ys.astype(np.float64),
                        rcond=None)[0]
  p, _ = lm.lstsq(jnp.asarray(xs), jnp.asarray(ys), method="mixed")
  got = np.r_[p.w, p.b]
  assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < 2e-6


@pytest.mark.parametrize("block_rows", [None, 9, 203])
@pytest.mark.parametrize("weighted", [False, True])
def test_residual_sums_match_numpy_float64(x64, rng, block_rows, weighted):
  xs, ys = _data(rng)
  w, b, c = rng.normal(size=(5, 2)), rng.normal(size=2), rng.normal(size=5)
  sw = rng.uniform(0.1, 2.0, size=len(xs)) if weighted else np.ones(len(xs))
  r = ys - b - (xs - c) @ w
  got = residual_sums(xs, ys, w, b, c, sw if weighted else None, block_rows=block_rows)
  np.testing.assert_allclose(got.xtr, (xs - c).T @ (r * sw[:, None]), rtol=1e-11)
  np.testing.assert_allclose(got.r_sum, sw @ r, rtol=1e-11)
  np.testing.assert_allclose(got.rr, sw @ (r * r), rtol=1e-11)


def test_jit_and_vmap_over_weights(rng):
  xs, ys = _data(rng, n=100, d=3, k=1)
  xs, ys = jnp.asarray(xs, jnp.float32), jnp.asarray(ys, jnp.float32)
  ws = jnp.asarray(rng.normal(size=(4, 3, 1)), jnp.float32)
  f = jax.jit(jax.vmap(lambda w: residual_sums(xs, ys, w, jnp.zeros(1), block_rows=16).rr))
  loop = jnp.stack([residual_sums(xs, ys, w, jnp.zeros(1)).rr for w in ws])
  np.testing.assert_allclose(f(ws), loop, rtol=1e-5)


def test_reduce_rows_sums_every_row_once():
  xs = jnp.arange(23.0)[:, None]
  for b in (1, 4, 5, 23, 100):
    total = reduce_rows(lambda acc, mask, xb: acc + jnp.sum(xb[:, 0] if mask is None else xb[:, 0] * mask),
                        0.0, (xs,), block_rows=b)
    assert float(total) == 253.0, b


def test_cpu_block_rows_is_about_two_mib():
  assert cpu_block_rows(10 ** 6, 64) == 8192
  assert cpu_block_rows(100, 64) == 100
  assert cpu_block_rows(10 ** 6, 10 ** 5) == 256


@pytest.fixture
def gpu_kernels(monkeypatch):
  """Trace the GPU branches on the CPU: the device Gram path and the Pallas residual kernel (in
  Pallas's interpret mode, the same kernel Triton compiles on a GPU)."""
  monkeypatch.setattr(row_passes, "_on_cpu", lambda: False)
  monkeypatch.setattr(row_passes, "_on_gpu", lambda: True)


@pytest.mark.parametrize("n", [1536, 1000])
def test_residual_sums_through_the_pallas_kernel_match_float64(rng, gpu_kernels, n):
  # d = 16 (a power of two): residual_sums takes pallas_gradient's kernel, shift included; n = 1000
  # leaves a tail of rows (not a multiple of the kernel's 512-row blocks) to XLA.
  xs, ys = _data(rng, n=n, d=16, k=1, offset=30.0)
  w, b = rng.normal(size=(16, 1)), rng.normal(size=1)
  c = xs[:100].mean(0)
  r = ys - b - (xs - c) @ w
  f32 = lambda a: jnp.asarray(a, jnp.float32)
  got = jax.jit(residual_sums)(f32(xs), f32(ys), f32(w), f32(b), f32(c))
  xla = jax.jit(functools.partial(residual_sums, kernel="xla"))(f32(xs), f32(ys), f32(w), f32(b), f32(c))
  ref = (xs - c).T @ r
  for g in (got, xla):
    assert np.linalg.norm(np.asarray(g.xtr) - ref) / np.linalg.norm(ref) < 1e-5
    np.testing.assert_allclose(g.rr, np.sum(r * r, axis=0), rtol=1e-5)
    np.testing.assert_allclose(g.r_sum, np.sum(r, axis=0), rtol=1e-4, atol=1e-4 * np.abs(r).sum())
  path = row_passes._pallas_path
  assert path("auto", 16, 1, jnp.float32, None, None)
  assert not path("auto", 16, 2, jnp.float32, None, None)
  assert not path("auto", 12, 1, jnp.float32, None, None)
  assert not path("auto", 16, 1, jnp.float32, jnp.ones(n), None)
  assert not path("auto", 16, 1, jnp.float32, None, 256) and path("pallas", 16, 1, jnp.float32, None, 256)
  assert not path("xla", 16, 1, jnp.float32, None, None)
  with pytest.raises(ValueError, match="kernel"):
    residual_sums(f32(xs), f32(ys), f32(w), f32(b), kernel="triton")


def test_lstsq_through_the_pallas_refinement_matches_float64(rng, gpu_kernels):
  # The GPU's lstsq: device Gram matrix, refinement steps through the Pallas kernel (d = 16).
  import linmodels as lm
  xs, ys = _data(rng, n=3000, d=16, k=1, offset=50.0)
  xs, ys = xs.astype(np.float32), ys[:, 0].astype(np.float32)
  ref = np.linalg.lstsq(np.c_[xs.astype(np.float64), np.ones(len(xs))], ys.astype(np.float64),
                        rcond=None)[0]
  for method in ("auto", "refine", "mixed"):
    p, _ = lm.lstsq(jnp.asarray(xs), jnp.asarray(ys), method=method)
    got = np.r_[p.w, p.b]
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < 2e-6, method


def test_vmapped_ridge_through_the_pallas_refinement_matches_float64(rng, gpu_kernels):
  # jax.vmap over the ridge strength batches the Pallas kernel (pallas_call's batching rule) in
  # every refinement step.
  import linmodels as lm
  xs, ys = _data(rng, n=1200, d=16, k=1)
  l2s = np.array([0.0, 3.0, 300.0])
  xc, yc = xs - xs.mean(0), ys[:, 0] - ys[:, 0].mean()
  ref = np.stack([np.linalg.solve(xc.T @ xc + l2 * np.eye(16), xc.T @ yc) for l2 in l2s])
  ws = jax.vmap(lambda l2: lm.lstsq(jnp.asarray(xs, jnp.float32), jnp.asarray(ys[:, 0], jnp.float32),
                                    l2)[0].w)(jnp.asarray(l2s, jnp.float32))
  for got, want in zip(np.asarray(ws), ref):
    assert np.linalg.norm(got - want) / np.linalg.norm(want) < 2e-6


def test_passes_over_no_rows_raise_naming_the_shapes():
  # Every one-pass loss and statistic, eagerly, under jit and under grad (the row count is static).
  import linmodels as lm
  xs, ys = jnp.zeros((0, 3)), jnp.zeros(0)
  p = lm.LinearParams(jnp.zeros(3), jnp.zeros(()))
  p3 = lm.LinearParams(jnp.zeros((3, 2)), jnp.zeros(2))
  calls = [
      ("residual_sums", lambda x, y: lm.fused_mse_loss(p, x, y)),
      ("centred_gram", lambda x, y: lm.mse_stats(x, y).gram.sum()),
      ("reduce_rows", lambda x, y: lm.fused_logistic_loss(p, x, y)),
      ("reduce_rows", lambda x, y: lm.fused_softmax_loss(p3, x, y.astype(jnp.int32))),
  ]
  for name, call in calls:
    for run in (call, jax.jit(call), jax.grad(call)):
      with pytest.raises(ValueError, match=rf"{name}: no examples to pass over \(array shapes "
                                           r"\[\(0, 3\), \(0,( 1)?\)\]\)"):
        run(xs, ys)
