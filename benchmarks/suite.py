"""The benchmark problems. Each function returns rows (dicts) with the implementation, the size,
the timing (median/min/max/every repeat, compile apart), the accuracy against a float64 reference
and, where one applies, the hardware floor measured in the same run.

linmodels' closed forms and classifiers (``lstsq``, ``fit_logistic``, ``fit_softmax``,
``fit_perceptron``) are timed as a user calls them: the public function, input checks included,
compiled as it compiles itself (``linmodels.solver_jit``), not inside a ``jax.jit`` of ours. The
gradient-descent, MLP and sweep rows jit a closure, as a user of those loops would."""

from __future__ import annotations

import contextlib
import sys
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import linmodels as lm
from benchmarks._timing import measure, measure_interleaved

Row = dict[str, Any]


def _rel(a, b) -> float:
  a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
  return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def _row(problem, size, impl, m, *, rel_error=None, floor_s=None, note="", **extra) -> Row:
  row = {"problem": problem, "size": size, "impl": impl, "median_s": m["median_s"],
         "min_s": m["min_s"], "max_s": m["max_s"], "compile_s": m["compile_s"],
         "first_call_s": m["first_call_s"], "times_s": m["times_s"], "rel_error": rel_error,
         "floor_s": floor_s, "ratio_to_floor": (m["median_s"] / floor_s) if floor_s else None,
         "note": note, "turn_group": m.get("turn_group")}
  row.update(extra)
  return row


def _per_step(m: dict, steps: int) -> dict:
  """A measurement of ``steps`` iterations, as the time of one."""
  per = dict(m)
  for k in ("median_s", "min_s", "max_s", "first_call_s", "compile_s"):
    per[k] = m[k] / steps
  per["times_s"] = [t / steps for t in m["times_s"]]
  return per


@contextlib.contextmanager
def _quiet_peer():
  """scikit-learn's ConvergenceWarning for a fit run a fixed number of epochs or steps, on purpose."""
  with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    yield


def _torch():
  try:
    import torch
    torch.set_num_threads(max(1, torch.get_num_threads()))
    return torch
  except ImportError:
    return None


# ----------------------------------------------------------------------------------------------
# Floors.

def floors(device: str, mib: int = 256) -> dict[str, float]:
  """Memory bandwidth (a large reduction, a reduction of each row of 256 values and a large copy)
  and the float32 matmul rate, measured with JAX on ``device``, and with numpy on the CPU or
  PyTorch on a GPU where installed; the best of each is the floor.

  (On an H100 XLA's full reduction read 1.9 TB/s and its copy 2.3 TB/s, while the Pallas gradient
  kernel read ``X`` at 2.6 TB/s: a floor from those two alone was no floor.)"""
  x = jax.random.uniform(jax.random.key(1), (mib * 1024 * 1024 // 4,), jnp.float32)
  red = measure(lambda f=jax.jit(jnp.sum): f(x), repeats=5)
  bytes_ = x.size * 4
  rows = measure(lambda f=jax.jit(lambda v: jnp.sum(v.reshape(-1, 256), axis=1)): f(x), repeats=5)
  copy = measure(lambda f=jax.jit(lambda v: v * 1.0001): f(x), repeats=5)
  out = {"bandwidth_reduce_jax_GBps": bytes_ / red["median_s"] / 1e9,
         "bandwidth_row_reduce_jax_GBps": bytes_ / rows["median_s"] / 1e9,
         "bandwidth_copy_jax_GBps": 2 * bytes_ / copy["median_s"] / 1e9}
  if device == "cpu":
    xn = np.asarray(x)
    redn = measure(lambda: xn.sum(), repeats=5)
    out["bandwidth_reduce_numpy_GBps"] = bytes_ / redn["median_s"] / 1e9
  torch = _torch() if device == "gpu" else None
  if torch is not None and torch.cuda.is_available():
    try:
      xt = torch.from_dlpack(x)

      def torch_sum():
        s = xt.sum()
        torch.cuda.synchronize()
        return s

      out["bandwidth_reduce_torch_GBps"] = bytes_ / measure(torch_sum, repeats=5)["median_s"] / 1e9
    except Exception as e:  # pragma: no cover - a peer's failure must not end the run
      print(f"floors: torch reduction failed ({type(e).__name__}: {e})", file=sys.stderr)
  k = (8192 if device == "gpu" else 2048) if mib >= 64 else 256
  a = jax.random.normal(jax.random.key(0), (k, k), jnp.float32)  # never time on constant data
  mm = jax.jit(lambda a: jnp.matmul(a, a, precision=jax.lax.Precision.HIGHEST))
  r = measure(lambda: mm(a), repeats=5)
  out["matmul_jax_GFLOPs"] = 2 * k ** 3 / r["median_s"] / 1e9
  if device == "gpu":  # the TF32 matrix units (JAX's DEFAULT precision on GPU), for the mixed path
    mm_lo = jax.jit(lambda a: jnp.matmul(a, a, precision=jax.lax.Precision.DEFAULT))
    r = measure(lambda: mm_lo(a), repeats=5)
    out["tf32_matmul_jax_GFLOPs"] = 2 * k ** 3 / r["median_s"] / 1e9
  if device == "cpu":
    an = np.asarray(a)
    rn = measure(lambda: an @ an, repeats=5)
    out["matmul_numpy_GFLOPs"] = 2 * k ** 3 / rn["median_s"] / 1e9
  out["bandwidth_GBps"] = max(v for k_, v in out.items() if k_.startswith("bandwidth"))
  out["matmul_GFLOPs"] = max(v for k_, v in out.items() if k_.startswith("matmul"))
  return out


# ----------------------------------------------------------------------------------------------
# Least squares.

def _ls_data(n, d, seed=0, cond=None):
  rng = np.random.default_rng(seed)
  xs = rng.standard_normal((n, d), dtype=np.float32)
  if cond is not None:
    v, _ = np.linalg.qr(rng.standard_normal((d, d)))
    xs = (xs * np.logspace(0, -np.log10(cond), d).astype(np.float32)) @ v.T.astype(np.float32)
  w = rng.standard_normal(d).astype(np.float32)
  ys = (xs @ w + 0.5 + 0.01 * rng.standard_normal(n)).astype(np.float32)
  return xs, ys


def _ls_reference(xs, ys):
  """``[w, b]`` in float64 by the normal equations: exact to ~1e-13 on these well-conditioned data."""
  x64 = np.c_[xs.astype(np.float64), np.ones(xs.shape[0])]
  return np.linalg.solve(x64.T @ x64, x64.T @ ys.astype(np.float64))


def least_squares(n: int, d: int, fl: dict, *, repeats: int, methods=("auto", "cholesky"),
                  peers: bool = True) -> list[Row]:
  xs, ys = _ls_data(n, d)
  ref = _ls_reference(xs, ys)
  size = f"{n}x{d}"
  floor_s = xs.nbytes / (fl["bandwidth_GBps"] * 1e9)  # one pass over X
  rows = []
  xj, yj = jnp.asarray(xs), jnp.asarray(ys)
  fns = {}
  for method in methods:
    fns[f"linmodels lstsq({method})"] = lambda method=method: lm.lstsq(xj, yj, method=method)[0]
  if peers:
    fns["numpy bare XᵀX (peer floor)"] = lambda: xs.T @ xs
    # XLA's own XᵀX on the same data: where any JAX normal-equation solve starts from on this
    # machine (numpy's `xs.T @ xs` is BLAS's syrk, which forms half the products; XLA:CPU has none).
    xla_gram = jax.jit(lambda x: jax.lax.dot_general(x, x, (((0,), (0,)), ((), ())),
                                                     precision=lm.linear.HIGHEST))
    fns["jax bare XᵀX (XLA)"] = lambda: xla_gram(xj)

    def np_chol():
      import scipy.linalg as sl
      xc = xs - xs.mean(0)
      yc = ys - ys.mean()
      w = sl.cho_solve(sl.cho_factor(xc.T @ xc), xc.T @ yc)
      return np.r_[w, ys.mean() - xs.mean(0) @ w]
    fns["numpy/scipy Cholesky"] = np_chol
    torch = _torch()
    if torch is not None:
      xt, yt = torch.from_numpy(xs), torch.from_numpy(ys)

      def tchol():
        xc = xt - xt.mean(0)
        yc = yt - yt.mean()
        w = torch.cholesky_solve((xc.T @ yc)[:, None], torch.linalg.cholesky(xc.T @ xc))[:, 0]
        return np.r_[w.numpy(), (yt.mean() - xt.mean(0) @ w).item()]
      fns["torch Cholesky"] = tchol
    from sklearn.linear_model import LinearRegression

    def skl():
      r = LinearRegression().fit(xs, ys)
      return np.r_[r.coef_, r.intercept_]
    fns["scikit-learn LinearRegression"] = skl
  # A few-millisecond call after another library's pays for waking the thread pool (see
  # measure_interleaved): small problems take 5 calls a turn.
  small = n * d <= 1_000_000
  ms = measure_interleaved(fns, repeats=max(repeats, 5) if small else repeats,
                           calls_per_turn=5 if small else 1)
  for impl, m in ms.items():
    res = m["result"]
    if impl.startswith("linmodels"):
      err = _rel(np.r_[res.w, res.b], ref)
    elif "bare XᵀX" in impl:
      err = None
    else:
      err = _rel(res, ref)
    rows.append(_row("least_squares", size, impl, m, rel_error=err, floor_s=floor_s,
                     note="timed in turns" if len(ms) > 1 else ""))
  if not peers:
    return rows
  xa = np.c_[xs, np.ones(n, np.float32)]
  m = measure(lambda: np.linalg.lstsq(xa, ys, rcond=None)[0], repeats=max(1, repeats // 2))
  rows.append(_row("least_squares", size, "numpy lstsq (SVD)", m, rel_error=_rel(m["result"], ref),
                   floor_s=floor_s))
  try:
    import statsmodels.api as sm
    m = measure(lambda: sm.OLS(ys, xa).fit().params, repeats=1)
    rows.append(_row("least_squares", size, "statsmodels OLS", m, rel_error=_rel(m["result"], ref),
                     floor_s=floor_s))
  except ImportError:
    pass
  return rows


def accuracy_vs_condition(conds, *, n=20_000, d=32, gd_steps: int = 2_000) -> list[Row]:
  """float32 relative error and time of every method against the float64 solution, per
  condition number, with gradient descent to a tolerance (at most ``gd_steps``) beside the
  closed forms: its steps grow with ``cond(X)²``, their time does not."""
  rows = []
  for cond in conds:
    xs, ys = _ls_data(n, d, seed=1, cond=cond)
    x64 = np.c_[xs.astype(np.float64), np.ones(n)]
    ref = np.linalg.lstsq(x64, ys.astype(np.float64), rcond=None)[0]
    xj, yj = jnp.asarray(xs), jnp.asarray(ys)
    fns = {}
    for method in lm.least_squares.METHODS:
      fns[f"linmodels lstsq({method})"] = lambda method=method: lm.lstsq(xj, yj, method=method)[0]
    gd = _gd_to_tolerance(xj, gd_steps)
    fns[_GD_TOL] = lambda: gd(xj, yj)
    for impl, m in measure_interleaved(fns, repeats=5).items():
      res = m["result"]
      p = res.params if impl == _GD_TOL else res
      rows.append(_row("accuracy_vs_condition", f"{n}x{d}", impl, m,
                       rel_error=_rel(np.r_[p.w, p.b], ref), cond=float(cond),
                       note="timed in turns" + (f"; {_gd_note(res)}" if impl == _GD_TOL else "")))
  return rows


_GD_TOL = "linmodels GD to tolerance (fused_mse_loss, step 1/L)"


def _gd_to_tolerance(xs, max_steps: int):
  """Gradient descent on ``fused_mse_loss`` with the safe step ``1/L`` (``L`` the largest
  eigenvalue of ``[X 1]ᵀ[X 1]/n``), stopped once the gradient norm is below ``100 eps``
  (``fit_optax``'s early exit), at most ``max_steps``: the iterative solver's time to an answer."""
  lr = lm.logistic_regression.smoothness_step(xs, 1.0, 0.0)
  p0 = lm.init_linear(xs.shape[1])
  tol = lm.logistic_regression.default_tol(xs.dtype)
  return jax.jit(lambda x, y: lm.fit_optax(lm.fused_mse_loss, p0, (x, y), optax.sgd(lr),
                                           num_steps=max_steps, tol=tol, early_exit=True))


def _gd_note(res) -> str:
  return f"steps used {int(res.num_steps)}, converged {bool(res.converged)}"


def dimension_scaling(n: int, ds, *, repeats: int, gd_steps: int = 2_000) -> list[Row]:
  """Time against the number of features ``d`` at fixed ``n``: the closed forms (``O(n d²)``)
  against gradient descent to a tolerance (``O(n d)`` a step) and against the peers, each with
  its error against float64: where the iterative solver overtakes the closed form (on these
  well-conditioned data; ``accuracy_vs_condition`` has the other axis)."""
  from sklearn.linear_model import LinearRegression
  rows = []
  for d in ds:
    xs, ys = _ls_data(n, d, seed=2)
    ref = _ls_reference(xs, ys)
    xj, yj = jnp.asarray(xs), jnp.asarray(ys)
    gd = _gd_to_tolerance(xj, gd_steps)
    fns = {"linmodels lstsq(auto)": lambda: lm.lstsq(xj, yj)[0],
           "linmodels lstsq(cholesky)": lambda: lm.lstsq(xj, yj, method="cholesky")[0],
           _GD_TOL: lambda: gd(xj, yj),
           "numpy bare XᵀX (peer floor)": lambda: xs.T @ xs,
           "scikit-learn LinearRegression": lambda: LinearRegression().fit(xs, ys)}
    for impl, m in measure_interleaved(fns, repeats=repeats).items():
      res = m["result"]
      if impl.startswith("numpy bare"):
        err, note = None, ""
      elif impl.startswith("scikit-learn"):
        err, note = _rel(np.r_[res.coef_, res.intercept_], ref), ""
      else:
        p = res.params if impl == _GD_TOL else res
        err, note = _rel(np.r_[p.w, p.b], ref), (f"; {_gd_note(res)}" if impl == _GD_TOL else "")
      rows.append(_row("dimension_scaling", f"{n}x{d}", impl, m, rel_error=err, d=d,
                       note="timed in turns" + note))
  return rows


def gd_step(n: int, d: int, fl: dict, *, repeats: int, steps: int = 20) -> list[Row]:
  """One least-squares gradient-descent step: linmodels' scans against numpy and torch loops,
  timed in turns."""
  xs, ys = _ls_data(n, d)
  size = f"{n}x{d}"
  floor_s = 2 * xs.nbytes / (fl["bandwidth_GBps"] * 1e9)  # Xw, then Xᵀr: two passes
  lr = 0.1
  xj, yj = jnp.asarray(xs), jnp.asarray(ys)
  p0 = lm.init_linear(d)
  ref_w = np.zeros(d)
  b = 0.0
  for _ in range(steps):  # float64 reference of the same iterates
    r = xs.astype(np.float64) @ ref_w + b - ys
    ref_w, b = ref_w - lr * (xs.T.astype(np.float64) @ r) / n, b - lr * r.mean()
  ref = np.r_[ref_w, b]

  fns = {}
  for impl, loss in [("linmodels fit_gd (jax.grad + optax.sgd, scan)", lm.mse_loss),
                     ("linmodels fit_gd(fused_mse_loss) (one pass a step)", lm.fused_mse_loss)]:
    fit = jax.jit(lambda x, y, loss=loss: lm.fit_gd(loss, p0, (x, y), lr, num_steps=steps).params)
    fns[impl] = lambda fit=fit: fit(xj, yj)
  # The Gram trick: one pass to form the statistics, then steps in d×d. Reported per step over
  # the same number of steps, the pass included (it dominates).
  gram_fit = jax.jit(lambda x, y: lm.fit_gd(lm.gram_mse_loss, p0, (lm.mse_stats(x, y),), lr,
                                            num_steps=steps).params)
  fns[f"linmodels Gram trick (mse_stats once + {steps} d×d steps)"] = lambda: gram_fit(xj, yj)

  def np_steps():
    w = np.zeros(d, np.float32)
    bb = np.float32(0)
    for _ in range(steps):
      r = xs @ w + bb - ys
      w = w - lr * (r @ xs) / n
      bb = bb - lr * r.mean()
    return np.r_[w, bb]
  fns["numpy loop"] = np_steps
  torch = _torch()
  if torch is not None:
    xt, yt = torch.from_numpy(xs), torch.from_numpy(ys)

    def t_steps():
      w = torch.zeros(d)
      bb = torch.zeros(())
      for _ in range(steps):
        r = xt @ w + bb - yt
        w = w - lr * (r @ xt) / n
        bb = bb - lr * r.mean()
      return np.r_[w.numpy(), bb.item()]
    fns["torch loop"] = t_steps
  rows = []
  for impl, m in measure_interleaved(fns, repeats=repeats).items():
    res = m["result"]
    got = np.r_[res.w, res.b] if impl.startswith("linmodels") else res
    note = "timed in turns" + ("; per step, the one pass included" if "Gram" in impl else "")
    rows.append(_row("gd_step", size, impl, _per_step(m, steps), rel_error=_rel(got, ref),
                     floor_s=None if "Gram" in impl else floor_s, note=note))
  return rows


def least_squares_iterative(n: int, d: int, fl: dict, *, repeats: int) -> list[Row]:
  """Iterative least-squares solvers to the closed form's answer: the crossover rows."""
  xs, ys = _ls_data(n, d)
  ref = _ls_reference(xs, ys)
  size = f"{n}x{d}"
  floor_s = xs.nbytes / (fl["bandwidth_GBps"] * 1e9)
  xj, yj = jnp.asarray(xs), jnp.asarray(ys)
  p0 = lm.init_linear(d)
  rows = []
  # Standardised features: the Hessian of ½ mean r² is near I, so lr = 1 is near-optimal for GD.
  solvers = {
      "linmodels GD, fused_mse_loss (100 steps)": lambda x, y: lm.fit_gd(
          lm.fused_mse_loss, p0, (x, y), 1.0, num_steps=100).params,
      "linmodels GD, Gram trick (mse_stats + 100 steps)": lambda x, y: lm.fit_gd(
          lm.gram_mse_loss, p0, (lm.mse_stats(x, y),), 1.0, num_steps=100).params,
      # At most 30 steps: minimize stops earlier where the line search no longer moves the params.
      "linmodels L-BFGS on fused_mse_loss (optax, up to 30 steps)": lambda x, y: lm.minimize(
          lm.fused_mse_loss, p0, (x, y), method="lbfgs", num_steps=30),
      "jax.scipy CG on the normal equations (fused matvec, 30 steps)": _cg_normal,
  }
  for impl, fn in solvers.items():
    fit = jax.jit(fn)
    m = measure(lambda: fit(xj, yj), repeats=repeats)
    p = m["result"]
    note = ""
    if isinstance(p, lm.FitResult):
      note, p = f"steps used {int(p.num_steps)}", p.params
    rows.append(_row("least_squares", size, impl, m, rel_error=_rel(np.r_[p.w, p.b], ref),
                     floor_s=floor_s, note=note))
  return rows


def _cg_normal(x, y):
  """Conjugate gradients on ``[X 1]ᵀ[X 1] θ = [X 1]ᵀ y``, each product one pass over ``X``."""
  import jax.scipy.sparse.linalg as jssl
  n, d = x.shape
  y2 = y[:, None]

  def normal(theta):
    w, b = theta[:d], theta[d]
    rs = lm.row_passes.residual_sums(x, jnp.zeros_like(y2), -w[:, None], -b[None])  # r = Xw + b
    return jnp.concatenate([rs.xtr[:, 0], rs.r_sum]) / n

  rhs_rs = lm.row_passes.residual_sums(x, y2, jnp.zeros((d, 1)), jnp.zeros(1))
  rhs = jnp.concatenate([rhs_rs.xtr[:, 0], rhs_rs.r_sum]) / n
  theta, _ = jssl.cg(normal, rhs, maxiter=30, tol=1e-7)
  return lm.LinearParams(theta[:d], theta[d])


# ----------------------------------------------------------------------------------------------
# Classification.

def logistic(n: int, d: int, *, repeats: int, real: bool = False, fl: dict | None = None) -> list[Row]:
  """Logistic regression to scikit-learn's final loss: ``fit_logistic`` (Newton, the default;
  L-BFGS; GD on the small data) against ``LogisticRegression(lbfgs)``, unpenalised, on ``n×d``
  synthetic data (or the breast-cancer set).

  With the floors ``fl``, each linmodels fit on the synthetic data gets as its floor the time to
  read ``X`` once for each point it evaluated, at least ``steps + 1`` (the start and one trial a
  step): no implementation of the same iterations can be faster, so scikit-learn's time over it
  is the most that solver's speed-up can be on this machine. (The breast-cancer data, 23 KB, sit
  in cache: their fits are bound by per-call costs, not by reading ``X``.)
  """
  from sklearn.linear_model import LogisticRegression
  if real:
    xs, labels = lm.load_breast_cancer()
    xs, labels = np.asarray(xs[:, :10]), np.asarray(labels)
    size = "breast_cancer 569x10"
  else:
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((n, d), dtype=np.float32)
    labels = (xs @ rng.standard_normal(d) / np.sqrt(d) + 0.8 * rng.standard_normal(n) > 0).astype(np.int32)
    size = f"{n}x{d}"
  skl = LogisticRegression(C=np.inf, max_iter=1000)
  xj, yj = jnp.asarray(xs, jnp.float32), jnp.asarray(labels)
  fns = {"scikit-learn LogisticRegression(lbfgs)": lambda: skl.fit(xs, labels)}
  # The defaults a user gets (50, 500 and 5000 steps, early exit). Gradient descent, the lecture's
  # method, only on the small data: its 5000 passes at 100k×100 would take half a minute a call.
  for method in ("newton", "lbfgs") + (("gd",) if real else ()):
    fns[f"linmodels fit_logistic({method})"] = lambda method=method: lm.fit_logistic(xj, yj,
                                                                                      method=method)
  ms = measure_interleaved(fns, repeats=repeats, calls_per_turn=5 if real else 1)
  est = ms.pop("scikit-learn LogisticRegression(lbfgs)")
  sk_loss = float(lm.logistic_loss(lm.LinearParams(jnp.asarray(est["result"].coef_[0], jnp.float32),
                                                   jnp.float32(est["result"].intercept_[0])),
                                   xs, labels.astype(np.float32)))
  rows = [_row("logistic", size, "scikit-learn LogisticRegression(lbfgs)", est, final_loss=sk_loss,
               note="timed in turns")]
  for impl, m in ms.items():
    res = m["result"]
    loss = float(lm.logistic_loss(res.params, xj, yj.astype(jnp.float32)))
    steps = int(res.num_steps)
    floor_s = (steps + 1) * xs.nbytes / (fl["bandwidth_GBps"] * 1e9) if fl and not real else None
    rows.append(_row("logistic", size, impl, m, final_loss=loss,
                     rel_error=abs(loss - sk_loss) / sk_loss, floor_s=floor_s, num_steps=steps,
                     note=f"timed in turns; steps used {steps}"
                          + ("; × floor: against steps + 1 reads of X" if floor_s else "")))
  return rows


def softmax(n: int, d: int, k: int, *, repeats: int, real: bool = False) -> list[Row]:
  """Softmax regression to scikit-learn's final loss: ``fit_softmax`` (L-BFGS, the default, and
  Newton) against the multinomial ``LogisticRegression(lbfgs)``, unpenalised, on ``n×d`` data
  with ``k`` overlapping classes (or the iris data)."""
  from sklearn.linear_model import LogisticRegression
  if real:
    xs, labels = lm.load_iris()
    xs, labels = np.asarray(xs), np.asarray(labels)
    k = int(labels.max()) + 1
    size = f"iris {xs.shape[0]}x{xs.shape[1]}, {k} classes"
  else:
    rng = np.random.default_rng(6)
    xs = rng.standard_normal((n, d), dtype=np.float32)
    logits = xs @ rng.standard_normal((d, k)) / np.sqrt(d) * 2.0 + rng.gumbel(size=(n, k))
    labels = np.argmax(logits, axis=1).astype(np.int32)
    size = f"{n}x{d}, {k} classes"
  skl = LogisticRegression(C=np.inf, max_iter=1000)
  xj, yj = jnp.asarray(xs, jnp.float32), jnp.asarray(labels)
  fns = {"scikit-learn LogisticRegression(lbfgs, multinomial)": lambda: skl.fit(xs, labels)}
  for method in ("lbfgs", "newton"):
    fns[f"linmodels fit_softmax({method})"] = lambda method=method: lm.fit_softmax(
        xj, yj, num_classes=k, method=method)
  ms = measure_interleaved(fns, repeats=repeats, calls_per_turn=5 if real else 1)
  est = ms.pop("scikit-learn LogisticRegression(lbfgs, multinomial)")
  sk_params = lm.LinearParams(jnp.asarray(est["result"].coef_.T, jnp.float32),
                              jnp.asarray(est["result"].intercept_, jnp.float32))
  sk_loss = float(lm.softmax_loss(sk_params, xj, yj))
  rows = [_row("softmax", size, "scikit-learn LogisticRegression(lbfgs, multinomial)", est,
               final_loss=sk_loss, note="timed in turns")]
  for impl, m in ms.items():
    res = m["result"]
    loss = float(lm.softmax_loss(res.params, xj, yj))
    rows.append(_row("softmax", size, impl, m, final_loss=loss,
                     rel_error=abs(loss - sk_loss) / sk_loss,
                     note=f"timed in turns; steps used {int(res.num_steps)}"))
  return rows


def _sklearn_epochs_to_separate(xn, ln, *, limit: int = 4096) -> int:
  """The fewest epochs after which scikit-learn's ``Perceptron`` (``shuffle=True``,
  ``random_state=0``, no stopping rule) classifies every training point: an epoch with no mistake
  makes no update, so once reached, 100% stays, and the fewest is found by doubling and
  bisection over ``max_iter`` (the fit is deterministic)."""
  from sklearn.linear_model import Perceptron

  def separates(epochs):
    with _quiet_peer():
      est = Perceptron(max_iter=epochs, tol=None, shuffle=True, random_state=0).fit(xn, ln)
    return est.score(xn, ln) == 1.0

  hi = 1
  while not separates(hi):
    if hi >= limit:
      raise RuntimeError(f"scikit-learn's Perceptron did not separate the data in {limit} epochs")
    hi *= 2
  lo = hi // 2  # 0, or an epoch count that does not separate
  while hi - lo > 1:
    mid = (lo + hi) // 2
    lo, hi = (lo, mid) if separates(mid) else (mid, hi)
  return hi


def perceptron(n: int, d: int, *, repeats: int) -> list[Row]:
  """The lecture's perceptron (a random misclassified point at a time, until none is left)
  against scikit-learn's ``Perceptron`` run for the fewest epochs that classify every point
  (``_sklearn_epochs_to_separate``, found before the timing: the peer's best case), on
  separable data, timed in turns."""
  from sklearn.linear_model import Perceptron
  xs, labels, _ = lm.make_separable(jax.random.key(4), n, d, margin=0.1)
  xn, ln = np.asarray(xs), np.asarray(labels)
  epochs = _sklearn_epochs_to_separate(xn, ln)

  def skl():
    with _quiet_peer():
      return Perceptron(max_iter=epochs, tol=None, shuffle=True, random_state=0).fit(xn, ln)
  sk = f"scikit-learn Perceptron ({epochs} epochs, the fewest that reach 100%)"
  ours = "linmodels fit_perceptron (lecture's algorithm)"
  ms = measure_interleaved({
      sk: skl, ours: lambda: lm.fit_perceptron(jax.random.key(0), xs, labels, max_updates=100_000)},
      repeats=repeats, calls_per_turn=3)
  acc_sk = float(ms[sk]["result"].score(xn, ln))
  res = ms[ours]["result"]
  return [_row("perceptron", f"{n}x{d}", sk, ms[sk], epochs=epochs,
               note=f"timed in turns; train accuracy {acc_sk:.4f}"),
          _row("perceptron", f"{n}x{d}", ours, ms[ours],
               note=f"timed in turns; converged {bool(res.converged)}, updates {int(res.num_updates)}")]


def mlp_step(n: int, d: int, width: int, *, repeats: int, steps: int = 50) -> list[Row]:
  """A full-batch Adam step of the lecture's two-layer ReLU network (``½ mean (f(x) - y)²``,
  learning rate 1e-3), a run of ``steps`` steps timed and divided by ``steps``.

  linmodels (``fit_mlp`` in one ``jax.jit``), PyTorch and scikit-learn's ``MLPRegressor`` (no L2,
  ``batch_size=n``) all start from the same weights, with a fresh Adam state at every call, so
  they compute the same steps: each row's ``final_loss`` is the loss before the last step, and
  its ``rel_error`` the distance from linmodels' (a fast wrong answer cannot win). linmodels and
  PyTorch are timed in turns; scikit-learn, an order of magnitude slower, once after them."""
  rng = np.random.default_rng(5)
  xs = rng.standard_normal((n, d), dtype=np.float32)
  ys = (np.sin(xs[:, :1] * 2) + 0.1 * xs[:, 1:2]).astype(np.float32)
  params = lm.init_mlp(jax.random.key(0), (d, width, 1))
  fit = jax.jit(lambda x, y: lm.fit_mlp(params, x, y, optax.adam(1e-3), num_steps=steps).losses)
  xj, yj = jnp.asarray(xs), jnp.asarray(ys)
  size = f"{n}x{d}, width {width}"
  w1, b1, w2, b2 = (np.asarray(a) for layer in params for a in layer)
  fns = {"linmodels fit_mlp (scan of Adam steps)": lambda: fit(xj, yj)}
  torch = _torch()
  if torch is not None:
    xt, yt = torch.from_numpy(xs), torch.from_numpy(ys)
    net = torch.nn.Sequential(torch.nn.Linear(d, width), torch.nn.ReLU(), torch.nn.Linear(width, 1))
    start = [torch.tensor(a) for a in (w1.T, b1, w2.T, b2)]

    def t_steps():
      with torch.no_grad():
        for p, a in zip(net.parameters(), start):
          p.copy_(a)
      opt = torch.optim.Adam(net.parameters(), 1e-3)
      for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * ((net(xt) - yt) ** 2).mean()
        loss.backward()
        opt.step()
      return loss.item()
    fns["torch (Adam loop)"] = t_steps
  ms = measure_interleaved(fns, repeats=repeats)
  ours = float(ms["linmodels fit_mlp (scan of Adam steps)"]["result"][-1])

  def row(impl, m, loss, note=""):
    return _row("mlp_adam_step", size, impl, _per_step(m, steps), final_loss=loss,
                rel_error=abs(loss - ours) / ours, note=note)
  turns = "timed in turns" if len(ms) > 1 else ""
  rows = [row(impl, m, ours if impl.startswith("linmodels") else float(m["result"]), turns)
          for impl, m in ms.items()]
  from sklearn.neural_network import MLPRegressor
  est = MLPRegressor(hidden_layer_sizes=(width,), solver="adam", alpha=0.0, batch_size=n,
                     learning_rate_init=1e-3, max_iter=steps, tol=0.0, n_iter_no_change=10 ** 9,
                     shuffle=False, warm_start=True)

  def skl():
    with _quiet_peer():
      if not hasattr(est, "coefs_"):
        est.set_params(max_iter=1).fit(xs, ys[:, 0]).set_params(max_iter=steps)
      # warm_start keeps the weights set here; every fit starts a fresh Adam state.
      est.coefs_, est.intercepts_ = [w1.copy(), w2.copy()], [b1.copy(), b2.copy()]
      return est.fit(xs, ys[:, 0])
  m = measure(skl, repeats=1)
  rows.append(row("scikit-learn MLPRegressor (full-batch Adam)", m, float(m["result"].loss_)))
  return rows


def sweeps(*, num: int, repeats: int, fl: dict | None = None) -> list[Row]:
  """vmap over ``num`` configurations against a Python loop of the same jitted fit.

  The vmapped gradient-descent sweep is two `[n, d] × [d, num]` products a step: its floor is
  their flops at the measured matmul rate (``floor_s`` of its row), which bounds the ratio a
  sweep can reach against a loop whose data sit in cache."""
  n, d, steps = 10_000, 32, 100
  xs, ys = _ls_data(n, d)
  xj, yj = jnp.asarray(xs), jnp.asarray(ys)
  p0 = lm.init_linear(d)
  lrs = jnp.geomspace(1e-3, 1.0, num)
  size = f"{num} learning rates, {n}x{d}, {steps} steps"
  # The data are arguments, not constants baked into the program (XLA may fold a constant's
  # Gram matrix at compile time, which no user calling with their own data would get).

  loop_n = min(num, 32)

  def vmap_against_loop(problem, label, fit, floor_s=None, note=""):
    """Rows for ``fit(lr, x, y)`` vmapped over all rates and looped, jitted, over ``loop_n``."""
    one, many = jax.jit(fit), jax.jit(jax.vmap(fit, in_axes=(0, None, None)))
    m_v = measure(lambda: many(lrs, xj, yj), repeats=repeats)
    m_l = measure(lambda: [one(lr, xj, yj) for lr in lrs[:loop_n]], repeats=max(1, repeats // 2))
    agree = _rel(np.asarray(m_v["result"])[:loop_n], np.asarray(m_l["result"]))
    return [_row(problem, size, f"linmodels vmap{label}", m_v, per_config_s=m_v["median_s"] / num,
                 rel_error=agree, floor_s=floor_s, note="rel. error: vmap against the loop" + note),
            _row(problem, size, f"python loop of jitted fit_gd{label}", m_l,
                 per_config_s=m_l["median_s"] / loop_n)]

  def gd_fit(lr, x, y):
    return lm.fit_gd(lm.mse_loss, p0, (x, y), lr, num_steps=steps).losses[-1]

  # The same sweep on the Gram trick: the statistics are computed once inside each call (the
  # vmapped call shares them across configurations), then 100 steps in d×d per configuration.
  def gram_fit(lr, x, y):
    return lm.fit_gd(lm.gram_mse_loss, p0, (lm.mse_stats(x, y),), lr, num_steps=steps).losses[-1]

  floor_s = 4 * n * d * steps * num / (fl["matmul_GFLOPs"] * 1e9) if fl else None
  rows = vmap_against_loop("sweep_gd_lr", "", gd_fit, floor_s,
                           "; × floor: against 2 products a step at the measured matmul rate")
  rows += vmap_against_loop("sweep_gd_lr_gram", " (Gram trick)", gram_fit)
  l2s = jnp.geomspace(1e-3, 1e3, num)
  xr, yr = _ls_data(2_000, 64)
  m_p = measure(lambda: lm.ridge_path(xr, yr, l2s).w, repeats=repeats)
  from sklearn.linear_model import Ridge
  m_s = measure(lambda: [Ridge(alpha=float(a)).fit(xr, yr).coef_ for a in np.asarray(l2s)[:loop_n]],
                repeats=1)
  agree = _rel(np.asarray(m_p["result"])[:loop_n], np.asarray(m_s["result"]))
  rows += [_row("sweep_ridge_path", f"{num} strengths, 2000x64", "linmodels ridge_path (one SVD)", m_p,
                per_config_s=m_p["median_s"] / num, rel_error=agree,
                note="rel. error: against scikit-learn's coefficients"),
           _row("sweep_ridge_path", f"{num} strengths, 2000x64", "scikit-learn Ridge loop", m_s,
                per_config_s=m_s["median_s"] / loop_n)]
  return rows


def sharded(n: int, d: int, *, repeats: int, devices: int = 8) -> list[Row]:
  """Sharded against single-device fits on ``devices`` simulated CPU devices (a subprocess, so
  that this process keeps its one device). On a machine with several GPUs run
  ``python -m benchmarks.sharded`` directly."""
  import json
  import os
  import subprocess
  import sys
  env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
             JAX_PLATFORMS="cpu")
  done = subprocess.run([sys.executable, "-m", "benchmarks.sharded", "--n", str(n), "--d", str(d),
                         "--repeats", str(repeats)], capture_output=True, text=True, env=env,
                        check=True)
  rows = json.loads(done.stdout.strip().splitlines()[-1])
  for r in rows:
    r["note"] = "simulated devices share this machine's cores"
  return rows


def _compile_fitters(n: int, d: int) -> dict:
  rng = np.random.default_rng(7)
  xs = jnp.asarray(rng.standard_normal((n, d), dtype=np.float32))
  ys = xs @ jnp.asarray(rng.standard_normal(d), jnp.float32) + jnp.asarray(
      rng.standard_normal(n), jnp.float32)
  labels = (ys > 0).astype(jnp.int32)
  classes = jnp.asarray(np.digitize(np.asarray(ys), [-1.0, 1.0]).astype(np.int32))
  pxs, plabels, _ = lm.make_separable(jax.random.key(8), n // 6, 10, margin=0.2)
  jax.block_until_ready((xs, ys, labels, classes, pxs, plabels))
  return {
      "lstsq(auto)": lambda: lm.lstsq(xs, ys)[0],
      "lstsq(cholesky)": lambda: lm.lstsq(xs, ys, method="cholesky")[0],
      "ridge_path (64 strengths)": lambda: lm.ridge_path(xs, ys, jnp.logspace(-3, 3, 64)),
      "fit_logistic(newton)": lambda: lm.fit_logistic(xs, labels).params,
      "fit_logistic(lbfgs)": lambda: lm.fit_logistic(xs, labels, method="lbfgs").params,
      "fit_softmax(lbfgs)": lambda: lm.fit_softmax(xs, classes, num_classes=3).params,
      "fit_perceptron": lambda: lm.fit_perceptron(jax.random.key(0), pxs, plabels,
                                                  max_updates=20_000).params,
  }


def _first_call_child(name: str, n: int, d: int) -> None:
  """In a fresh process: prints the seconds of the first call of one of ``_compile_fitters``."""
  import time
  fn = _compile_fitters(n, d)[name]
  t0 = time.perf_counter()
  jax.block_until_ready(fn())
  print(time.perf_counter() - t0)


def compile_options(n: int, d: int, *, repeats: int, fitters: tuple[str, ...] | None = None
                    ) -> list[Row]:
  """``linmodels.solver_jit``'s CPU compile options against XLA's defaults, fitter by fitter.

  The first call of each fitter (its public function) is timed in a fresh Python process, as a
  user's script meets it, once as ``solver_jit`` compiles it and once with
  ``LINMODELS_XLA_DEFAULT=1``: in one process, whichever ran first also paid for compiling the
  small eager operations around the solver, and the other found them compiled. The run times
  are then taken in this process, the two variants in turns, and ``rel_error`` compares their
  fits. ``compile_s`` is the fresh process's first call less the median run time. ``fitters``
  picks some of them by name (all by default).
  """
  import os
  import subprocess

  def child(name, defaults):
    env = dict(os.environ, LINMODELS_XLA_DEFAULT="1" if defaults else "0")
    code = (f"from benchmarks import suite; suite._first_call_child({name!r}, {n}, {d})")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])

  def with_defaults(fn):
    def call():
      old = os.environ.get("LINMODELS_XLA_DEFAULT")
      os.environ["LINMODELS_XLA_DEFAULT"] = "1"
      try:
        return fn()
      finally:
        if old is None:
          del os.environ["LINMODELS_XLA_DEFAULT"]
        else:
          os.environ["LINMODELS_XLA_DEFAULT"] = old
    return call

  def leaves(m):
    return np.concatenate([np.ravel(v) for v in jax.tree_util.tree_leaves(m["result"])])

  rows = []
  for name, fn in _compile_fitters(n, d).items():
    if fitters is not None and name not in fitters:
      continue
    ms = measure_interleaved({"solver_jit": fn, "defaults": with_defaults(fn)}, repeats=repeats)
    for key, defaults in (("solver_jit", False), ("defaults", True)):
      m = ms[key]
      m["first_call_s"] = child(name, defaults)
      m["compile_s"] = max(m["first_call_s"] - m["median_s"], 0.0)
    a, b = ms["solver_jit"], ms["defaults"]
    rows.append(_row("compile_options", f"{n}x{d}", f"linmodels {name}", a,
                     rel_error=_rel(leaves(a), leaves(b)),
                     note="CPU compile options (solver_jit); first call in a fresh process; "
                          "rel. error: against XLA's defaults"))
    rows.append(_row("compile_options", f"{n}x{d}", f"{name}, XLA defaults", b,
                     note="LINMODELS_XLA_DEFAULT=1; first call in a fresh process"))
  return rows
