"""3. 2D regression: the plane z = w₂x + w₁y from the two coupled equations, and with a bias."""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import linmodels as lm
from experiments._common import Section, cli, save_figure

TITLE = "2D linear regression and the bias term"


def run(out, quick=False):
  n = 60
  k1, k2, k3 = jax.random.split(jax.random.key(2), 3)
  x = jax.random.uniform(k1, (n,), minval=-2, maxval=2)
  y = jax.random.uniform(k2, (n,), minval=-2, maxval=2)
  noise = 0.3 * jax.random.normal(k3, (n,))
  z = 1.5 * x - 0.7 * y + noise
  w1, w2 = lm.fit_plane_through_origin(x, y, z)
  general, _ = lm.lstsq(jnp.stack([x, y], 1), z, fit_intercept=False)
  z_bias = z + 2.0
  with_bias, _ = lm.lstsq(jnp.stack([x, y], 1), z_bias)

  fig = plt.figure(figsize=(10, 4.2))
  g = np.linspace(-2, 2, 12)
  gx, gy = np.meshgrid(g, g)
  for i, (zz, ww, b, title) in enumerate([
      (z, (float(w2), float(w1)), 0.0, r"$z = w_2x + w_1y$ (through the origin)"),
      (z_bias, tuple(np.asarray(with_bias.w)), float(with_bias.b), r"$z = w_2x + w_1y + w_0$ (bias)")]):
    ax = fig.add_subplot(1, 2, i + 1, projection="3d")
    ax.scatter(x, y, zz, s=8, c="C0", label="data")
    ax.plot_surface(gx, gy, ww[0] * gx + ww[1] * gy + b, alpha=0.35, color="C3")
    ax.set(xlabel="x", ylabel="y", zlabel="z", title=title)
    ax.view_init(elev=20, azim=-60)
    ax.legend(loc="upper left")
  fig_path = save_figure(fig, out, "03_regression_2d")
  metrics = {"w2_coupled_equations": float(w2), "w1_coupled_equations": float(w1),
             "w_lstsq": [float(v) for v in general.w],
             "max_difference": float(jnp.max(jnp.abs(jnp.array([w2, w1]) - general.w))),
             "bias_fit_w": [float(v) for v in with_bias.w], "bias_fit_w0": float(with_bias.b),
             "true_w": [1.5, -0.7], "true_w0": 2.0}
  text = ("Solving the lecture's two stationarity equations (Cramer's rule) gives the same plane as "
          "the general normal equation; adding a bias lifts the plane without changing its slopes "
          f"(w₀ = {float(with_bias.b):.3f} against the true 2.0).")
  return Section("regression_2d", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("regression_2d", run, __doc__)
