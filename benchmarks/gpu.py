"""The GPU problems of ``python -m benchmarks --device gpu``: the issue's GPU targets, against
PyTorch on the same card (CUDA, float32 with TF32 off, which is PyTorch's default for matmuls).

Data are drawn on the device (``jax.random``) and handed to PyTorch without a copy (DLPack); the
float64 references are computed on the device by PyTorch (or numpy on the host without it).
PyTorch timings synchronise the device inside the timed call; JAX's use ``block_until_ready``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

import linmodels as lm
from benchmarks._timing import measure
from benchmarks.suite import _ls_reference, _per_step, _rel, _row, _torch

Row = dict


def _torch_cuda():
  torch = _torch()
  if torch is None or not torch.cuda.is_available():
    return None
  torch.backends.cuda.matmul.allow_tf32 = False
  return torch


def _failed_row(problem, size, impl, error) -> Row:
  """A row for an implementation that failed to compile or run: no timings, the error noted."""
  return {"problem": problem, "size": size, "impl": impl, "median_s": None, "min_s": None,
          "max_s": None, "compile_s": None, "first_call_s": None, "times_s": [], "rel_error": None,
          "floor_s": None, "ratio_to_floor": None,
          "note": f"failed: {type(error).__name__}: {str(error)[:200]}"}


def _variant_rows(problem, size, variants: dict, run, *, note, floor_s=None):
  """Rows for ``variants`` (name -> variant): ``run(variant)`` returns ``(measurement, value)``;
  each value's relative error is against the first variant that ran, and a variant that fails
  to compile or run on this card is a row too. ``note`` is a string or ``measurement -> str``.
  Returns ``(rows, reference value)``."""
  rows, ref = [], None
  for impl, variant in variants.items():
    try:
      m, got = run(variant)
    except Exception as e:  # a kernel or an algorithm this card lacks is a result too
      rows.append(_failed_row(problem, size, impl, e))
      continue
    if ref is None:
      ref = got
    rows.append(_row(problem, size, impl, m, rel_error=_rel(got, ref), floor_s=floor_s,
                     note=note(m) if callable(note) else note))
  return rows, ref


def _data(key, n, d):
  kx, kw, ke = jax.random.split(key, 3)
  xs = jax.random.normal(kx, (n, d), jnp.float32)
  w = jax.random.normal(kw, (d,), jnp.float32)
  ys = jnp.matmul(xs, w, precision=lm.linear.HIGHEST) + 0.5 + 0.01 * jax.random.normal(ke, (n,))
  return jax.block_until_ready(xs), jax.block_until_ready(ys)


def _reference(xs, ys):
  """The float64 least-squares solution ``[w, b]`` (well-conditioned data: normal equations in
  float64 are exact to ~1e-13)."""
  torch = _torch_cuda()
  if torch is not None:
    x = torch.from_dlpack(xs).double()
    y = torch.from_dlpack(ys).double()
    xm, ym = x.mean(0), y.mean()
    x -= xm
    g = x.T @ x
    w = torch.linalg.solve(g, x.T @ (y - ym))
    b = ym - xm @ w
    out = np.r_[w.cpu().numpy(), b.item()]
    del x, g
    torch.cuda.empty_cache()
    return out
  return _ls_reference(np.asarray(xs), np.asarray(ys))


def least_squares(n: int, d: int, fl: dict, *, repeats: int, methods=("auto", "cholesky", "mixed"),
                  problem: str = "least_squares") -> list[Row]:
  xs, ys = _data(jax.random.key(n + d), n, d)
  ref = _reference(xs, ys)
  size = f"{n}x{d}"
  floor_s = xs.size * 4 / (fl["bandwidth_GBps"] * 1e9)
  rows = []
  gram = jax.jit(lambda x: jnp.matmul(x.T, x, precision=lm.linear.HIGHEST))
  rows.append(_row(problem, size, "jnp bare XᵀX (float32)", measure(lambda: gram(xs), repeats=repeats),
                   floor_s=floor_s))
  # As a user calls them (input checks included), and the default once more inside a jax.jit
  # of the benchmark's own: the solve alone.
  fits = {f"linmodels lstsq({method})": functools.partial(lm.lstsq, method=method)
          for method in methods}
  fits[f"linmodels lstsq({methods[0]}) inside jax.jit (no input checks)"] = jax.jit(
      functools.partial(lm.lstsq, method=methods[0]))
  for impl, fit in fits.items():
    m = measure(lambda: fit(xs, ys), repeats=repeats)
    p, info = m["result"]
    rows.append(_row(problem, size, impl, m,
                     rel_error=_rel(np.r_[p.w, p.b], ref), floor_s=floor_s,
                     note=f"info.stable {bool(info.stable)}, cond {float(info.cond):.3g}"))
  torch = _torch_cuda()
  if torch is not None:
    xt, yt = torch.from_dlpack(xs), torch.from_dlpack(ys)

    def bare():
      g = xt.T @ xt
      torch.cuda.synchronize()
      return g

    rows.append(_row(problem, size, "torch bare XᵀX (float32, TF32 off)",
                     measure(bare, repeats=repeats), floor_s=floor_s))

    def chol(tf32: bool):
      def run():
        torch.backends.cuda.matmul.allow_tf32 = tf32
        xm, ym = xt.mean(0), yt.mean()
        xc = xt - xm
        w = torch.cholesky_solve((xc.T @ (yt - ym))[:, None], torch.linalg.cholesky(xc.T @ xc))[:, 0]
        b = ym - xm @ w
        torch.cuda.synchronize()
        torch.backends.cuda.matmul.allow_tf32 = False
        return np.r_[w.cpu().numpy(), b.item()]
      return run

    for tf32 in (False, True):
      m = measure(chol(tf32), repeats=repeats)
      rows.append(_row(problem, size, f"torch Cholesky ({'TF32' if tf32 else 'float32'})", m,
                       rel_error=_rel(m["result"], ref), floor_s=floor_s))
  return rows


def gd_step(n: int, d: int, fl: dict, *, repeats: int, steps: int = 20) -> list[Row]:
  xs, ys = _data(jax.random.key(7), n, d)
  size = f"{n}x{d}"
  one_pass = xs.size * 4 / (fl["bandwidth_GBps"] * 1e9)
  floor_s = 2 * one_pass
  lr = 0.1
  p0 = lm.init_linear(d)
  impls = {"linmodels fit_gd (jax.grad + optax.sgd, scan)": lm.mse_loss,
           "linmodels fit_gd(fused_mse_loss, kernel='xla')":
           functools.partial(lm.fused_mse_loss, kernel="xla"),
           "linmodels fit_gd(fused_mse_loss) (default: Pallas on GPU)": lm.fused_mse_loss}
  for b in (64, 256, 512, 1024):  # the kernel's rows per program, around the default
    if b <= n:
      impls[f"linmodels fit_gd(fused_mse_loss, kernel='pallas', block_rows={b})"] = (
          functools.partial(lm.fused_mse_loss, kernel="pallas", block_rows=b))

  def run(loss):
    fit = jax.jit(lambda x, y: lm.fit_gd(loss, p0, (x, y), lr, num_steps=steps).params)
    m = measure(lambda: fit(xs, ys), repeats=repeats)
    return _per_step(m, steps), np.r_[m["result"].w, m["result"].b]

  # The first row, the jax.grad path, is the reference of the rest.
  rows, ref = _variant_rows("gd_step", size, impls, run, floor_s=floor_s,
                            note=f"one-pass floor {1e3 * one_pass:.3g} ms; "
                            "rel. error against the jax.grad row")
  torch = _torch_cuda()
  if torch is not None:
    xt, yt = torch.from_dlpack(xs), torch.from_dlpack(ys)

    def t_steps():
      w = torch.zeros(d, device=xt.device)
      b = torch.zeros((), device=xt.device)
      for _ in range(steps):
        r = xt @ w + b - yt
        w = w - lr * (r @ xt) / n
        b = b - lr * r.mean()
      torch.cuda.synchronize()
      return np.r_[w.cpu().numpy(), b.item()]

    m = measure(t_steps, repeats=repeats)
    rows.append(_row("gd_step", size, "torch loop (CUDA)", _per_step(m, steps),
                     rel_error=_rel(m["result"], ref), floor_s=floor_s))
  return rows


def gram_variants(sizes, fl: dict, *, repeats: int) -> list[Row]:
  """The Gram matrix ``XᵀX`` under each of XLA's float32 algorithms, aligned and not: which one
  the normal equations should use on this card."""
  from jax import lax
  algos = {"HIGHEST": lax.Precision.HIGHEST, "F32_F32_F32": lax.DotAlgorithmPreset.F32_F32_F32,
           "DEFAULT": lax.Precision.DEFAULT, "TF32_TF32_F32": lax.DotAlgorithmPreset.TF32_TF32_F32}
  rows = []
  for n, d in sizes:
    xs = jax.random.normal(jax.random.key(d), (n, d), jnp.float32)

    def run(prec):
      f = jax.jit(lambda x: lax.dot_general(x, x, (((0,), (0,)), ((), ())), precision=prec))
      m = measure(lambda: f(xs), repeats=repeats)
      return m, np.asarray(m["result"], np.float64)

    # HIGHEST first: the reference for the rest; TF32 algorithms do not exist on CPU.
    rows += _variant_rows("gram_variants", f"{n}x{d}",
                          {f"XᵀX {name}": prec for name, prec in algos.items()}, run,
                          note=lambda m: f"{2 * n * d * d / m['median_s'] / 1e12:.1f} TFLOP/s; "
                          "rel. error against HIGHEST")[0]
  return rows


def gram_paths(sizes, fl: dict, *, repeats: int) -> list[Row]:
  """The centred Gram matrix of the normal equations: ``centred_gram``'s device path against the
  single product of the concatenated ``[X Y]`` it replaced, in full (HIGHEST) and reduced
  (DEFAULT: TF32) precision."""
  from jax import lax

  from linmodels import row_passes as rp
  rows = []
  for n, d in sizes:
    xs, ys = _data(jax.random.key(n + d), n, d)
    ys2 = ys[:, None]
    size = f"{n}x{d}"
    floor_s = xs.size * 4 / (fl["bandwidth_GBps"] * 1e9)
    shift = jnp.concatenate([xs[:1024].mean(0), ys2[:1024].mean(0)])
    for pname, prec in (("HIGHEST", lax.Precision.HIGHEST), ("DEFAULT", lax.Precision.DEFAULT)):
      variants = {f"[X Y] concatenated, one product ({pname}; before)":
                  lambda x, y, prec=prec: rp._blocked_gram(x, y, None, shift, prec, None)[0],
                  f"device path ({pname})":
                  lambda x, y, prec=prec, after=pname == "DEFAULT": rp._device_gram(
                      x, y, shift, prec, centre_after=after)[0]}

      def run(fn):
        f = jax.jit(fn)
        m = measure(lambda: f(xs, ys2), repeats=repeats)
        return m, np.asarray(m["result"], np.float64)[:d, :d]

      rows += _variant_rows("gram_paths", size, variants, run, floor_s=floor_s,
                            note="rel. error of the XᵀX block against the first row")[0]
  return rows


def residual_passes(sizes, fl: dict, *, repeats: int, steps: int = 20, tuning: bool = True) -> list[Row]:
  """One residual pass ``Σ (x - c) r`` (a refinement step of ``lstsq``, a gradient of
  ``fused_mse_loss``): XLA's fused reductions (two reads of ``X``) against the Pallas kernels
  (one read), with and without writing ``r``, over the kernel's rows per program and Triton's
  warps per program (``tuning``). Each call runs ``steps`` dependent passes in one
  ``fori_loop``, so that dispatch does not count; times are per pass."""
  from jax import lax

  from linmodels import pallas_gradient as pg
  from linmodels import row_passes as rp
  rows = []
  for n, d in sizes:
    xs, ys = _data(jax.random.key(n + 3 * d), n, d)
    size = f"{n}x{d}"
    floor_s = xs.size * 4 / (fl["bandwidth_GBps"] * 1e9)
    c = xs[:1024].mean(0)
    w0 = jnp.full((d,), 1.0 / d, jnp.float32)

    def xla(x, y, c, w):
      return -rp.residual_sums(x, y[:, None], w[:, None], jnp.zeros(1), c, kernel="xla").xtr[:, 0]

    variants = {"XLA residual_sums (kernel='xla': two reads)": xla,
                "Pallas residual_gradient (writes r)":
                lambda x, y, c, w: pg.residual_gradient(x, y, w, c)[0],
                "Pallas gradient_sums (default)": lambda x, y, c, w: pg.gradient_sums(x, y, w, c)[0]}
    if tuning and pg.supported(d):
      for b in (64, 128, 256):
        for nw in (2, 4, 8):
          if b <= n:
            variants[f"Pallas gradient_sums (block_rows={b}, num_warps={nw})"] = (
                lambda x, y, c, w, b=b, nw=nw: pg.gradient_sums(x, y, w, c, block_rows=b,
                                                                num_warps=nw)[0])

    def run(fn):
      # The data are arguments, not closure constants that XLA could fold into the program.
      loop = jax.jit(lambda x, y, c, w: lax.fori_loop(
          0, steps, lambda _, v: v - 1e-12 * fn(x, y, c, v), w))
      got = np.asarray(jax.jit(fn)(xs, ys, c, w0), np.float64)
      return _per_step(measure(lambda: loop(xs, ys, c, w0), repeats=repeats), steps), got

    rows += _variant_rows("residual_passes", size, variants, run, floor_s=floor_s,
                          note="per pass; rel. error of Σ(x - c)r against the XLA row")[0]
  return rows
