"""6. The perceptron: the hyperplane and w over successive updates, several separators from several
keys, and non-separable data."""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import linmodels as lm
from experiments._common import Section, cli, save_figure

TITLE = "Rosenblatt's perceptron"


def _line(ax, w_aug, lim, **kw):
  w1, w2, b = w_aug
  gx = np.linspace(-lim, lim, 2)
  if abs(w2) > 1e-9:
    ax.plot(gx, -(w1 * gx + b) / w2, **kw)
  else:
    ax.axvline(-b / w1, **kw)


def run(out, quick=False):
  n = 60 if quick else 100
  xs, labels, _ = lm.make_separable(jax.random.key(20), n, 2, margin=0.4)
  res = lm.fit_perceptron(jax.random.key(0), xs, labels, max_updates=500, return_trajectory=True)
  k = int(res.num_updates)
  traj = np.asarray(res.trajectory)[: k + 1]
  keys = jax.random.split(jax.random.key(1), 64 if quick else 256)
  many = jax.jit(jax.vmap(lambda key: lm.fit_perceptron(key, xs, labels, max_updates=2000)))(keys)
  lab = np.asarray(labels)
  x = np.asarray(xs)
  lim = 3.2

  fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))
  ax = axes[0]
  ax.scatter(*x[lab == 1].T, s=12, c="C0", label="P (label 1)")
  ax.scatter(*x[lab == 0].T, s=12, c="C1", label="N (label 0)")
  shown = sorted(set(np.linspace(1, k, min(k, 4)).astype(int)))
  for j, t in enumerate(shown):
    alpha = 0.3 + 0.7 * (j + 1) / len(shown)
    _line(ax, traj[t], lim, color="k", alpha=alpha, lw=1.5, label=f"after update {t}")
    w = traj[t][:2] / np.linalg.norm(traj[t][:2])
    ax.annotate("", xy=w, xytext=(0, 0), arrowprops=dict(arrowstyle="->", color="C3", alpha=alpha))
  ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="$x_1$", ylabel="$x_2$",
         title=f"{k} updates until all are correct\nred arrows: w, normal to each line")
  ax.set_aspect("equal")
  ax.legend(loc="lower left", fontsize=7)
  ax = axes[1]
  ax.scatter(*x[lab == 1].T, s=12, c="C0")
  ax.scatter(*x[lab == 0].T, s=12, c="C1")
  for i in range(12):
    w_aug = np.r_[np.asarray(many.params.w[i]), float(many.params.b[i])]
    _line(ax, w_aug, lim, color="k", alpha=0.4, lw=1)
  ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="$x_1$", ylabel="$x_2$",
         title="Which separating hyperplane is better?\n12 keys, 12 separators")
  ax.set_aspect("equal")
  # Non-separable: overlapping blobs; the mistakes never reach 0.
  xo, lo = lm.make_blobs(jax.random.key(21), n, 2, separation=0.8)
  steps = 300
  bad = lm.fit_perceptron(jax.random.key(2), xo, lo, max_updates=steps, return_trajectory=True)
  xa = np.c_[np.asarray(xo), np.ones(n)]
  z = np.asarray(bad.trajectory) @ xa.T
  mistakes = np.where(np.asarray(lo)[None, :] == 1, z < 0, z >= 0).sum(1)
  ax = axes[2]
  ax.plot(mistakes, lw=1)
  ax.set(xlabel="update", ylabel="misclassified training examples",
         title=f"Overlapping classes: never converges\n({steps} updates)")
  fig_path = save_figure(fig, out, "06_perceptron")
  bound = float(lm.novikoff_bound(xs, labels, lm.LinearParams(*_svm(xs, labels))))
  xor_res = lm.fit_perceptron(jax.random.key(0), *lm.xor(), max_updates=1000)
  metrics = {"updates_single_run": k, "converged_single_run": bool(res.converged),
             "runs": int(len(keys)), "all_runs_converged": bool(many.converged.all()),
             "max_updates_over_runs": int(many.num_updates.max()),
             "mean_updates_over_runs": float(many.num_updates.mean()),
             "novikoff_bound": bound, "within_bound": bool(int(many.num_updates.max()) <= bound),
             "non_separable_converged": bool(bad.converged),
             "non_separable_min_mistakes": int(mistakes.min()), "xor_converged": bool(xor_res.converged)}
  text = (f"On separable data the lecture's algorithm stops once every example is classified "
          f"correctly: {int(many.num_updates.max())} updates at most over {len(keys)} keys, within "
          f"Novikoff's bound (R/γ)² = {bound:.0f}. Different keys stop at different separators. On "
          "overlapping data (and XOR) it never converges: the mistake count keeps jumping.")
  return Section("perceptron", TITLE, text, [fig_path], metrics)


def _svm(xs, labels):
  """Max-margin separator through the origin of the augmented space (scikit-learn)."""
  from sklearn.svm import LinearSVC
  xa = np.c_[np.asarray(xs, np.float64), np.ones(len(xs))]
  u = LinearSVC(fit_intercept=False, loss="hinge", C=1e5, tol=1e-10, max_iter=1_000_000).fit(
      xa, np.asarray(labels)).coef_[0]
  return jnp.asarray(u[:-1], jnp.float32), jnp.asarray(u[-1], jnp.float32)


if __name__ == "__main__":
  cli("perceptron", run, __doc__)
