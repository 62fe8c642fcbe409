"""14. Sweeps with vmap: learning rates × seeds, a ridge path, MLP widths × seeds, perceptron keys.
Each is one compiled call, timed against a Python loop of the same jitted fit."""

import time

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import linmodels as lm
from experiments._common import Section, cli, save_figure

TITLE = "Sweeps over hyperparameters and seeds with vmap"


def _per_config(fn_batched, fn_single, configs, loop_count):
  """Seconds per configuration: one vmapped call over all configs against a loop over some."""
  jax.block_until_ready(fn_batched(configs))  # compile
  jax.block_until_ready(fn_single(jax.tree_util.tree_map(lambda a: a[0], configs)))
  t0 = time.perf_counter()
  jax.block_until_ready(fn_batched(configs))
  t_vmap = (time.perf_counter() - t0) / len(jax.tree_util.tree_leaves(configs)[0])
  t0 = time.perf_counter()
  for i in range(loop_count):
    jax.block_until_ready(fn_single(jax.tree_util.tree_map(lambda a, i=i: a[i], configs)))
  t_loop = (time.perf_counter() - t0) / loop_count
  return t_vmap, t_loop


def run(out, quick=False):
  metrics = {}
  fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))

  # 1. GD learning rate × seed.
  n, d, steps = 200, 5, (100 if quick else 300)
  xs = jax.random.normal(jax.random.key(90), (n, d)) * jnp.array([[1.0, 1.0, 0.7, 0.5, 0.3]])
  lam_max = float(np.linalg.eigvalsh(np.c_[np.asarray(xs), np.ones(n)].T @ np.c_[np.asarray(xs), np.ones(n)] / n)[-1])
  num_lr, num_seeds = (24, 4) if quick else (48, 16)
  lrs = jnp.geomspace(0.05, 3.0, num_lr) / lam_max

  def problem(key):
    k1, k2 = jax.random.split(key)
    ys = xs @ jnp.arange(1.0, d + 1) + 0.5 * jax.random.normal(k1, (n,))
    return ys, lm.LinearParams(jax.random.normal(k2, (d,)), jnp.zeros(()))

  def gd_run(lr, key):
    ys, p0 = problem(key)
    res = lm.fit_gd(lm.mse_loss, p0, (xs, ys), lr, num_steps=steps)
    return res.losses[-1], res.diverged

  keys = jax.random.split(jax.random.key(91), num_seeds)
  def optimum(key):  # each seed's least-squares loss, once per seed (outside the timed GD runs)
    ys, _ = problem(key)
    return lm.mse_loss(lm.lstsq(xs, ys)[0], xs, ys)

  best = jax.vmap(optimum)(keys)
  # One program for the grid and the timing: the configurations flattened, vmapped once.
  configs = (jnp.repeat(lrs, num_seeds), jnp.tile(keys, (num_lr,)))
  flat = jax.jit(jax.vmap(gd_run))
  final, diverged = flat(*configs)
  ratio = final.reshape(num_lr, num_seeds) / best[None, :]
  diverged = diverged.reshape(num_lr, num_seeds)
  single = jax.jit(gd_run)
  t_vmap, t_loop = _per_config(lambda c: flat(*c), lambda c: single(*c), configs, 32)
  metrics["gd_grid_shape"] = [num_lr, num_seeds]
  metrics["gd_speedup_vmap_vs_loop"] = t_loop / t_vmap
  lr_theory = 2.0 / lam_max
  first_div = float(lrs[np.argmax(np.asarray(diverged).any(1))]) if bool(diverged.any()) else float("nan")
  metrics["gd_two_over_lambda_max"] = lr_theory
  metrics["gd_smallest_diverging_lr"] = first_div
  ax = axes[0, 0]
  shown = np.log10(np.clip(np.where(np.asarray(diverged), np.inf, np.asarray(ratio)), 1.0, 1e6) - 1.0 + 1e-7)
  im = ax.imshow(shown.T, aspect="auto", origin="lower", cmap="magma",
                 extent=(np.log10(float(lrs[0])), np.log10(float(lrs[-1])), 0, num_seeds))
  fig.colorbar(im, ax=ax, label=r"$\log_{10}(L_{final}/L^* - 1)$ (top: diverged)")
  ax.axvline(np.log10(lr_theory), color="c", lw=2, label=r"$2/\lambda_{max}$")
  ax.set(xlabel=r"$\log_{10}$ learning rate", ylabel="seed",
         title=f"GD, {num_lr}×{num_seeds} runs in one call ({steps} steps)")
  ax.legend(loc="upper left")

  # 2. Ridge path.
  k1, k2 = jax.random.split(jax.random.key(92))
  xr = jax.random.normal(k1, (60, 10))
  xr = xr.at[:, 5:].set(xr[:, :5] + 0.1 * jax.random.normal(k2, (60, 5)))  # correlated features
  yr = xr @ jnp.linspace(1, -1, 10) + 0.5 * jax.random.normal(jax.random.key(93), (60,))
  xtr, ytr, xte, yte = xr[:40], yr[:40], xr[40:], yr[40:]
  l2s = jnp.geomspace(1e-3, 1e3, 32 if quick else 128)
  path_fn = lambda l2: lm.lstsq(xtr, ytr, l2)[0]
  params = lm.ridge_path(xtr, ytr, l2s)  # one SVD for the whole path
  test_err = jax.vmap(lambda p: jnp.mean((lm.predict(p, xte) - yte) ** 2))(params)
  t_vmap, t_loop = _per_config(lambda l: lm.ridge_path(xtr, ytr, l).w, jax.jit(path_fn), l2s, 32)
  metrics["ridge_speedup_vmap_vs_loop"] = t_loop / t_vmap
  metrics["ridge_best_l2"] = float(l2s[int(jnp.argmin(test_err))])
  ax = axes[0, 1]
  ax.semilogx(l2s, params.w, lw=1)
  ax2 = ax.twinx()
  ax2.semilogx(l2s, test_err, "k--", lw=2, label="held-out MSE")
  ax2.set_ylabel("held-out MSE")
  ax2.legend(loc="upper right")
  ax2.grid(False)
  ax.set(xlabel=r"$\ell_2$", ylabel="coefficients w", title=f"Ridge path: {len(l2s)} strengths, one SVD")

  # 3. MLP width × seeds.
  xm = jnp.linspace(0, 1, 128)[:, None]
  ym = jnp.sin(2 * jnp.pi * xm)
  widths = [2, 8, 32] if quick else [2, 4, 8, 16, 32, 64]
  mlp_steps = 300 if quick else 2000
  seeds = jax.random.split(jax.random.key(94), 4 if quick else 8)
  means, all_errs = [], []
  for w in widths:
    def train(key, w=w):
      p = lm.init_mlp(key, (1, w, 1), init="glorot")
      r = lm.fit_mlp(p, xm, ym, optax.adam(1e-2), num_steps=mlp_steps, activation="tanh")
      return jnp.mean((lm.mlp_apply(r.params, xm, activation="tanh") - ym) ** 2)
    batched = jax.jit(jax.vmap(train))
    errs = np.asarray(batched(seeds))
    means.append(float(np.median(errs)))
    all_errs.append(errs)
  t_vmap, t_loop = _per_config(batched, jax.jit(train), seeds, len(seeds))  # the widest
  metrics["mlp_widths"] = widths
  metrics["mlp_mse_median"] = means
  metrics["mlp_speedup_vmap_vs_loop"] = t_loop / t_vmap
  ax = axes[1, 0]
  for w, errs in zip(widths, all_errs):
    ax.scatter(np.full(len(errs), w), errs, s=12, c="C0", alpha=0.6)
  ax.plot(widths, means, "k-", label=f"median over {len(seeds)} seeds (dots: each seed)")
  ax.set_xscale("log", base=2)
  ax.set(yscale="log", xlabel="hidden width", ylabel="training MSE",
         title=f"MLP (tanh, Adam, {mlp_steps} steps): error against width")
  ax.legend(loc="upper right")

  # 4. Perceptron over keys.
  xs_p, lab_p, normal = lm.make_separable(jax.random.key(95), 200, 2, margin=0.2)
  pkeys = jax.random.split(jax.random.key(96), 128 if quick else 1024)
  pfit = lambda k: lm.fit_perceptron(k, xs_p, lab_p, max_updates=20_000).num_updates
  pbatched = jax.jit(jax.vmap(pfit))
  counts = np.asarray(pbatched(pkeys))
  bound = float(lm.novikoff_bound(xs_p, lab_p, lm.LinearParams(normal[:-1], normal[-1])))
  t_vmap, t_loop = _per_config(pbatched, jax.jit(pfit), pkeys, 32)
  metrics["perceptron_runs"] = int(len(pkeys))
  metrics["perceptron_max_updates"] = int(counts.max())
  metrics["perceptron_mean_updates"] = float(counts.mean())
  metrics["perceptron_bound_planted_margin"] = bound
  metrics["perceptron_all_within_bound"] = bool(counts.max() <= bound)
  metrics["perceptron_speedup_vmap_vs_loop"] = t_loop / t_vmap
  ax = axes[1, 1]
  ax.hist(counts, bins=np.geomspace(max(counts.min(), 1), bound * 1.2, 40), label=f"{len(pkeys)} keys")
  ax.set_xscale("log")
  ax.axvline(bound, color="C3", lw=2, label=f"Novikoff bound (planted margin) {bound:.0f}")
  ax.set(xlabel="updates until convergence", ylabel="runs", title="Perceptron: updates over keys")
  ax.legend(loc="upper right")
  fig_path = save_figure(fig, out, "14_sweeps")
  text = ("Each panel is one jitted, vmapped call. GD over learning rates × seeds diverges past "
          f"2/λ_max = {lr_theory:.3f} (smallest diverging rate {first_div:.3f}); the ridge path "
          "trades coefficient size for held-out error; wider MLPs fit better; the perceptron's "
          "update counts stay under Novikoff's bound. Per configuration, vmap ran "
          f"{metrics['gd_speedup_vmap_vs_loop']:.0f}× (GD), {metrics['ridge_speedup_vmap_vs_loop']:.0f}× "
          f"(ridge), {metrics['mlp_speedup_vmap_vs_loop']:.1f}× (MLP) and "
          f"{metrics['perceptron_speedup_vmap_vs_loop']:.0f}× (perceptron) faster than a Python loop "
          "of the same jitted fit, on this machine.")
  return Section("sweeps", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("sweeps", run, __doc__)
