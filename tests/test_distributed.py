"""Sharded and out-of-core least squares. The sharded checks run in a subprocess with 8 simulated
CPU devices, so that the rest of the suite keeps its single device."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import linmodels as lm
from linmodels import distributed

SCRIPT = textwrap.dedent("""
    import json, numpy as np, jax
    from jax.sharding import Mesh
    import linmodels as lm
    from linmodels import distributed
    assert len(jax.devices()) == 8
    rng = np.random.default_rng(0)
    out = {}
    for n in (1003, 64, 13):  # 1003 and 13 do not divide by 8
      xs = rng.normal(size=(n, 5)).astype(np.float32) + 2.0
      ys = (xs @ rng.normal(size=5) + 1.0 + 0.1 * rng.normal(size=n)).astype(np.float32)
      sw = rng.uniform(0.5, 1.5, size=n).astype(np.float32)
      cases = {"ols": ({}, {}), "ridge": ({"l2": 3.0}, {"l2": 3.0}),
               "weighted": ({"sample_weight": sw}, {"sample_weight": sw}),
               "no_intercept": ({"fit_intercept": False}, {"fit_intercept": False})}
      for name, (kw_s, kw_l) in cases.items():
        l2 = kw_s.pop("l2", 0.0); kw_l.pop("l2", None)
        p = distributed.sharded_lstsq(xs, ys, l2, **kw_s)
        q, _ = lm.lstsq(xs, ys, l2, method="cholesky", **kw_l)
        got, want = np.r_[p.w, p.b], np.r_[q.w, q.b]
        out[f"{n}-{name}"] = float(np.abs(got - want).max() / np.abs(want).max())
      mesh = Mesh(np.array(jax.devices()).reshape(8), ("rows",))
      p = distributed.sharded_lstsq(xs, np.c_[ys, 2 * ys], mesh=mesh, axis="rows")
      q, _ = lm.lstsq(xs, np.c_[ys, 2 * ys], method="cholesky")
      out[f"{n}-multi"] = float(np.abs(np.asarray(p.w) - np.asarray(q.w)).max() / np.abs(np.asarray(q.w)).max())
    # A vmapped ridge sweep over sharded data.
    xs = rng.normal(size=(1001, 4)).astype(np.float32); ys = xs.sum(1).astype(np.float32)
    l2s = np.array([0.0, 1.0, 10.0], np.float32)
    sweep = [distributed.sharded_lstsq(xs, ys, l2).w for l2 in l2s]
    path = lm.ridge_path(xs, ys, l2s).w
    out["sweep"] = float(np.abs(np.asarray(sweep) - np.asarray(path)).max())
    # Data-parallel gradient fits (uneven rows): the same programs with the rows split 8 ways.
    n = 1003
    xs = rng.normal(size=(n, 4)).astype(np.float32)
    ys = (xs @ np.arange(1.0, 5.0) + 0.5 + 0.1 * rng.normal(size=n)).astype(np.float32)
    labels = (xs[:, 0] - xs[:, 1] + 0.7 * rng.normal(size=n) > 0).astype(np.int32)
    classes = (np.digitize(xs[:, 0] + 0.5 * rng.normal(size=n), [-0.5, 0.5])).astype(np.int32)
    gd = lambda xs, ys: lm.fit_gd(lm.mse_loss, lm.init_linear(4), (xs, ys), 0.2, num_steps=200).params
    logi = lambda xs, ys: lm.fit_logistic(xs, ys, method="newton", num_steps=20).params
    soft = lambda xs, ys: lm.fit_softmax(xs, ys, num_classes=3, num_steps=100).params
    sweep = lambda xs, ys: jax.vmap(lambda lr: lm.fit_gd(lm.mse_loss, lm.init_linear(4), (xs, ys), lr,
                                                         num_steps=100).params)(np.array([0.05, 0.1, 0.2], np.float32))
    for name, fn, target in (("dp_gd", gd, ys), ("dp_logistic_newton", logi, labels),
                             ("dp_softmax", soft, classes), ("dp_vmapped_sweep", sweep, ys)):
      a = distributed.data_parallel(fn)(xs, target)
      b = jax.jit(fn)(xs, target)
      out[name] = max(float(np.abs(np.asarray(u) - np.asarray(v)).max() / (np.abs(np.asarray(v)).max() + 1e-6))
                      for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)))
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def sharded_results():
  env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8",
             JAX_PLATFORMS="cpu")
  done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env)
  assert done.returncode == 0, done.stderr[-3000:]
  return json.loads(done.stdout.strip().splitlines()[-1])


def test_sharded_fits_equal_single_device_within_float32_rounding(sharded_results):
  # Same sums in another order: float32 rounding of the Gram (≈ cond²·eps with cond ≈ 3 after
  # centring and scaling), so 1e-5 relative.
  for case, err in sharded_results.items():
    assert err < 1e-5, (case, err)
  assert any(k.startswith("1003") for k in sharded_results)
  assert {"dp_gd", "dp_logistic_newton", "dp_softmax", "dp_vmapped_sweep"} <= set(sharded_results)


def test_out_of_core_memmap_in_many_chunks_equals_in_memory(tmp_path, rng):
  n, d = 5_003, 6
  xs = (rng.normal(size=(n, d)) * 3 + 10).astype(np.float32)  # far from the origin: centring matters
  ys = (xs @ rng.normal(size=d) - 4 + 0.1 * rng.normal(size=n)).astype(np.float32)
  xm = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32, shape=xs.shape)
  xm[:] = xs
  xm.flush()
  xm = np.load(tmp_path / "x.npy", mmap_mode="r")
  acc = distributed.LstsqAccumulator()
  acc.update_from(distributed.iter_chunks(xm, ys, 400))  # 13 chunks, the last one short
  assert acc.num_rows == n
  got = acc.solve()
  ref, _ = lm.lstsq(xs, ys, method="cholesky")
  np.testing.assert_allclose(got.w, ref.w, rtol=2e-5, atol=1e-6)
  np.testing.assert_allclose(got.b, ref.b, rtol=2e-5, atol=1e-5)
  # And against a float64 reference.
  x64 = np.c_[xs.astype(np.float64), np.ones(n)]
  want = np.linalg.lstsq(x64, ys.astype(np.float64), rcond=None)[0]
  assert np.abs(np.r_[got.w, got.b] - want).max() / np.abs(want).max() < 1e-4
  # Ridge and no-intercept variants of the streamed statistics.
  np.testing.assert_allclose(acc.solve(5.0).w, lm.lstsq(xs, ys, 5.0, method="cholesky")[0].w, rtol=1e-4)
  acc0 = distributed.LstsqAccumulator(fit_intercept=False).update_from(distributed.iter_chunks(xs, ys, 999))
  np.testing.assert_allclose(acc0.solve().w, lm.lstsq(xs, ys, method="cholesky", fit_intercept=False)[0].w,
                             rtol=1e-3)


def test_merge_is_exact_against_one_block(x64, rng):
  xs, ys = rng.normal(size=(30, 3)) + 5, rng.normal(size=(30, 1))
  whole = distributed.chunk_moments(xs, ys)
  merged = distributed.merge_moments(distributed.chunk_moments(xs[:11], ys[:11]),
                                     distributed.chunk_moments(xs[11:], ys[11:]))
  for a, b in zip(whole, merged):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_empty_accumulator_raises():
  with pytest.raises(ValueError, match="no rows"):
    distributed.LstsqAccumulator().solve()


def test_bad_chunks_and_penalties_raise(rng):
  xs, ys = rng.normal(size=(12, 3)), rng.normal(size=12)
  acc = distributed.LstsqAccumulator().update(xs[:6], ys[:6])
  # A chunk of another width failed inside the merge with a TypeError about broadcasting.
  with pytest.raises(ValueError, match=r"this chunk has xs.shape=\(6, 2\), ys.shape=\(6,\), but "
                                       r"the earlier chunks had 3 features"):
    acc.update(xs[6:, :2], ys[6:])
  with pytest.raises(ValueError, match=r"ys of rank 1 with 1 output"):
    acc.update(xs[6:], np.c_[ys[6:], ys[6:]])
  with pytest.raises(ValueError, match="l2 must be finite and non-negative, got -1.0"):
    acc.solve(-1.0)
  with pytest.raises(ValueError, match="l2 must be finite and non-negative, got nan"):
    distributed.sharded_lstsq(xs, ys, float("nan"))
  # At the call, not at the first chunk (it was range()'s "arg 3 must not be zero").
  with pytest.raises(ValueError, match="chunk_rows must be a positive integer, got 0"):
    distributed.iter_chunks(xs, ys, 0)


def test_moments_check_shapes_and_penalty():
  # chunk_moments of mismatched rows raised a dot_general TypeError; solve_moments took l2 < 0.
  xs, ys = np.ones((6, 2), np.float32), np.ones((5, 1), np.float32)
  with pytest.raises(ValueError, match=r"chunk_moments: .* xs.shape=\(6, 2\), ys2.shape=\(5, 1\)"):
    distributed.chunk_moments(xs, ys)
  with pytest.raises(ValueError, match=r"sw.shape=\(5,\)"):
    distributed.chunk_moments(xs, np.ones((6, 1), np.float32), np.ones(5, np.float32))
  rng = np.random.default_rng(0)
  m = distributed.chunk_moments(rng.normal(size=(20, 2)).astype(np.float32),
                                rng.normal(size=(20, 1)).astype(np.float32))
  with pytest.raises(ValueError, match=r"l2 must be finite and non-negative, got -1.0"):
    distributed.solve_moments(m, -1.0)
