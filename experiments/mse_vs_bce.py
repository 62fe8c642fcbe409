"""8. MSE against BCE for logistic regression: landscapes and Hessian eigenvalues."""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import linmodels as lm
from experiments._common import Section, cli, save_figure

TITLE = "MSE on a sigmoid is not convex; BCE is"


def run(out, quick=False):
  xs, labels = lm.make_blobs(jax.random.key(40), 40, 2, separation=1.0)
  y = labels.astype(jnp.float32)
  as_params = lambda w: lm.LinearParams(w, jnp.float32(0.0))
  mse = lambda w: lm.sigmoid_mse_loss(as_params(w), xs, y)
  bce = lambda w: lm.lecture_bce(as_params(w), xs, y)
  num = 21 if quick else 41
  points = lm.grid(-10.0, 10.0, num, 2)
  mse_eig = np.asarray(lm.min_hessian_eigenvalue(mse, points)).reshape(num, num)
  bce_eig = np.asarray(lm.min_hessian_eigenvalue(bce, points)).reshape(num, num)
  # 1-D slice along the direction of the BCE optimum.
  fit = lm.fit_logistic(xs, labels)
  direction = np.asarray(fit.params.w) / np.linalg.norm(np.asarray(fit.params.w))
  t = jnp.linspace(-15, 15, 301)
  line = t[:, None] * jnp.asarray(direction)[None, :]

  fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
  ax = axes[0]
  ax.plot(t, jax.vmap(mse)(line) / 40, label=r"MSE$(w) = \frac{1}{2}\sum (y - \sigma(w^Tx))^2$ / N")
  ax.plot(t, jax.vmap(bce)(line) / 40, label=r"BCE$(w)$ / N")
  ax.set(xlabel="t (w = t·u along the BCE optimum's direction)", ylabel="loss per example",
         title="A slice of both landscapes")
  ax.legend(loc="upper right")
  ext = (-10, 10, -10, 10)
  lim = max(abs(mse_eig.min()), abs(mse_eig.max()))
  for ax, eig, name in ((axes[1], mse_eig, "MSE∘σ"), (axes[2], bce_eig, "BCE")):
    im = ax.imshow(eig.T, origin="lower", extent=ext, cmap="RdBu", vmin=-lim, vmax=lim)
    ax.contour(np.linspace(-10, 10, num), np.linspace(-10, 10, num), eig.T, levels=[0.0], colors="k")
    fig.colorbar(im, ax=ax, label="smallest Hessian eigenvalue")
    ax.set(xlabel="$w_1$", ylabel="$w_2$", title=f"{name}: min eigenvalue {eig.min():.3g}")
  fig_path = save_figure(fig, out, "08_mse_vs_bce")
  metrics = {"grid_points": int(num * num), "mse_min_hessian_eigenvalue": float(mse_eig.min()),
             "mse_fraction_negative": float((mse_eig < 0).mean()),
             "bce_min_hessian_eigenvalue": float(bce_eig.min()),
             "bce_convex_on_grid": bool(bce_eig.min() >= -1e-5 * np.abs(bce_eig).max())}
  text = ("The Hessian's smallest eigenvalue over a grid of weights (jax.hessian): MSE on a sigmoid "
          f"has negative curvature on {100 * float((mse_eig < 0).mean()):.0f}% of the grid (red), "
          "so it is not convex; BCE's Hessian Xᵀdiag(σ(1−σ))X is positive semi-definite everywhere.")
  return Section("mse_vs_bce", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("mse_vs_bce", run, __doc__)
