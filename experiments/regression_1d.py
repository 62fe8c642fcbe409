"""2. 1D regression through the origin: w* = Σxy / Σx², and a prediction at a new x'."""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt

import linmodels as lm
from experiments._common import Section, cli, save_figure

TITLE = "1D linear regression through the origin"


def run(out, quick=False):
  n = 30
  k1, k2 = jax.random.split(jax.random.key(1))
  xs = jax.random.uniform(k1, (n,), minval=0.0, maxval=5.0)
  ys = 1.8 * xs + 0.8 * jax.random.normal(k2, (n,))
  w = lm.fit_line_through_origin(xs, ys)
  params, _ = lm.lstsq(xs[:, None], ys, fit_intercept=False)
  x_new = 6.0
  y_new = float(w) * x_new

  fig, ax = plt.subplots(figsize=(5.5, 4))
  ax.scatter(xs, ys, s=14, label=r"data $(x^{(i)}, y^{(i)})$")
  grid = jnp.linspace(0, 6.5, 2)
  ax.plot(grid, w * grid, "r", label=rf"$f(x) = w^*x$, $w^* = \Sigma xy / \Sigma x^2 = {float(w):.3f}$")
  ax.plot([x_new], [y_new], "k*", ms=12, label=rf"prediction at $x' = {x_new}$: $y' = {y_new:.2f}$")
  ax.axvline(x_new, color="k", lw=0.5, ls=":")
  ax.set(xlabel="x", ylabel="y", title="Fitting a line that explains the data")
  ax.legend(loc="upper left")
  fig_path = save_figure(fig, out, "02_regression_1d")
  rel = abs(float(w) - float(params.w[0])) / abs(float(params.w[0]))
  metrics = {"w_closed_form": float(w), "w_lstsq": float(params.w[0]), "relative_difference": rel,
             "x_new": x_new, "y_new": y_new,
             "lecture_loss_at_w": float(lm.lecture_loss(lm.LinearParams(w[None], jnp.zeros(())), xs[:, None], ys))}
  text = ("The lecture's closed form for the line through the origin, `w* = Σxy / Σx²`, equals the "
          f"general normal-equation solver (relative difference {rel:.1e}); the star is the "
          "prediction for a new input.")
  return Section("regression_1d", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("regression_1d", run, __doc__)
