"""11. Linear models are not enough: polynomial regression, under- and over-fitting."""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import linmodels as lm
from experiments._common import Section, cli, save_figure, timed

TITLE = "Polynomial regression: under- and over-fitting"


def run(out, quick=False):
  n_train, n_test = 15, 200
  k1, k2, k3 = jax.random.split(jax.random.key(60), 3)
  f = lambda x: jnp.sin(2 * jnp.pi * x)
  x = jax.random.uniform(k1, (n_train,))
  y = f(x) + 0.2 * jax.random.normal(k2, (n_train,))
  xt = jax.random.uniform(k3, (n_test,))
  yt = f(xt) + 0.2 * jax.random.normal(jax.random.key(61), (n_test,))
  max_degree = 12
  (train, test), seconds = timed(lambda: lm.degree_sweep(x, y, xt, yt, max_degree=max_degree))

  fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
  g = jnp.linspace(0, 1, 300)
  ax.scatter(x, y, c="k", s=16, zorder=3, label="training data (N = 15)")
  ax.plot(g, f(g), "k--", lw=1, label=r"truth $\sin(2\pi x)$")
  for deg in (1, 3, 9, 12):
    params, dom = lm.fit_polynomial(x, y, deg, domain=(0.0, 1.0))
    ax.plot(g, lm.predict_polynomial(params, g, domain=dom), label=f"degree {deg}")
  ax.set(ylim=(-2, 2), xlabel="x", ylabel="y", title=r"$f(x) = w_0 + w_1x + \dots + w_nx^n$")
  ax.legend(loc="lower left", ncol=2)
  deg = np.arange(max_degree + 1)
  ax2.semilogy(deg, np.asarray(train), "o-", label="training MSE")
  ax2.semilogy(deg, np.asarray(test), "s-", label="held-out MSE")
  ax2.axhline(0.04, color="k", ls=":", lw=1, label="noise variance 0.04")
  ax2.set(xlabel="degree", ylabel="mean squared error (clipped at 10)", ylim=(1e-3, 10),
          title="One vmapped call fits all degrees")
  ax2.legend(loc="lower left")
  fig_path = save_figure(fig, out, "11_polynomial")
  best = int(np.argmin(np.asarray(test)))
  metrics = {"train_mse": [float(v) for v in train], "test_mse": [float(v) for v in test],
             "best_degree_held_out": best, "linear_test_mse": float(test[1]),
             "best_test_mse": float(test[best]), "sweep_seconds_incl_compile": seconds}
  text = (f"A line (degree 1, held-out MSE {float(test[1]):.3f}) cannot follow a sine; degree {best} "
          f"does best on held-out data ({float(test[best]):.3f}); high degrees interpolate the 15 "
          "noisy points and generalise worse. The whole degree sweep is one jitted, vmapped call "
          "(Legendre features, masked).")
  return Section("polynomial", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("polynomial", run, __doc__)
