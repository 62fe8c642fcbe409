"""1. Regression to the mean (Galton): simulated parent/child heights, the fitted line against y = x."""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt

import linmodels as lm
from experiments._common import Section, cli, save_figure

TITLE = "Regression to the mean (Galton)"


def run(out, quick=False):
  n = 200 if quick else 1000
  mean, sd, rho = 68.0, 2.5, 0.5
  k1, k2 = jax.random.split(jax.random.key(0))
  parent = mean + sd * jax.random.normal(k1, (n,))
  child = mean + rho * (parent - mean) + sd * jnp.sqrt(1 - rho ** 2) * jax.random.normal(k2, (n,))
  w1, w0 = lm.fit_line(parent, child)
  params, _ = lm.lstsq(parent[:, None], child)
  corr = float(jnp.corrcoef(parent, child)[0, 1])

  fig, ax = plt.subplots(figsize=(5.5, 4.5))
  ax.scatter(parent, child, s=6, alpha=0.4, label="families (simulated)")
  xs = jnp.linspace(parent.min(), parent.max(), 2)
  ax.plot(xs, xs, "k--", label="y = x (no regression)")
  ax.plot(xs, w1 * xs + w0, "r", lw=2, label=f"fit: y = {float(w1):.2f}x + {float(w0):.1f}")
  ax.set(xlabel="mid-parent height x (in)", ylabel="child height y (in)",
         title="Tall parents have tall children, but less tall")
  ax.legend(loc="upper left")
  fig_path = save_figure(fig, out, "01_galton")
  metrics = {"n": n, "true_slope": rho, "fitted_slope": float(w1), "fitted_intercept": float(w0),
             "lstsq_slope": float(params.w[0]), "sample_correlation": corr}
  text = (f"Heights simulated with correlation ρ = {rho}: the least-squares slope "
          f"{float(w1):.3f} is below 1, so children of tall parents are predicted shorter than "
          "their parents and children of short parents taller: Galton's regression to the mean.")
  return Section("galton", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("galton", run, __doc__)
