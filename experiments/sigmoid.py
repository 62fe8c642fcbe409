"""7. Step against sigmoid, and logistic regression's probability surface on 2-D data."""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import linmodels as lm
from linmodels import logistic_regression as lr
from experiments._common import Section, cli, save_figure

TITLE = "The logistic function and logistic regression"


def run(out, quick=False):
  xs, labels = lm.make_blobs(jax.random.key(30), 200, 2, separation=1.5)
  res = lm.fit_logistic(xs, labels)
  acc = float(lm.accuracy(lr.predict_labels(res.params, xs), labels))

  fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.3))
  z = jnp.linspace(-8, 8, 401)
  ax.plot(z, lm.step(z), "k", lw=2, label=r"step(x) = 1 if $x \geq 0$ else 0")
  ax.plot(z, lm.sigmoid(z), "C3", lw=2, label=r"$\sigma(x) = 1 / (1 + e^{-x})$")
  ax.plot(z, lm.sigmoid_derivative(z), "C0--", label=r"$\sigma'(x) = \sigma(x)(1 - \sigma(x))$")
  ax.set(xlabel="x", ylabel="output", title="Squeezing a linear output into [0, 1]")
  ax.legend(loc="upper left")
  lim = float(np.abs(np.asarray(xs)).max()) + 0.3
  g = np.linspace(-lim, lim, 200)
  G1, G2 = np.meshgrid(g, g)
  grid = jnp.asarray(np.stack([G1.ravel(), G2.ravel()], 1), jnp.float32)
  prob = np.asarray(lr.predict_proba(res.params, grid)).reshape(G1.shape)
  cf = ax2.contourf(G1, G2, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
  ax2.contour(G1, G2, prob, levels=[0.5], colors="k", linewidths=2)
  fig.colorbar(cf, ax=ax2, label=r"$p(y = 1 | x) = \sigma(w^Tx + b)$")
  lab = np.asarray(labels)
  ax2.scatter(*np.asarray(xs)[lab == 1].T, s=10, c="C3", edgecolor="w", lw=0.3, label="y = 1")
  ax2.scatter(*np.asarray(xs)[lab == 0].T, s=10, c="C0", edgecolor="w", lw=0.3, label="y = 0")
  ax2.set(xlabel="$x_1$", ylabel="$x_2$", title="Logistic regression (Newton/IRLS); black: p = 0.5")
  ax2.legend(loc="upper left")
  fig_path = save_figure(fig, out, "07_sigmoid")
  metrics = {"accuracy": acc, "converged": bool(res.converged), "newton_steps": int(res.num_steps),
             "w": [float(v) for v in res.params.w], "b": float(res.params.b),
             "sigmoid_at_0": float(lm.sigmoid(0.0)), "sigmoid_derivative_at_0": float(lm.sigmoid_derivative(0.0))}
  text = ("The sigmoid is a smooth step whose derivative is σ(1 − σ). Fed a linear function it gives "
          f"p(y = 1 | x); the fitted model (Newton, {int(res.num_steps)} steps) classifies "
          f"{100 * acc:.1f}% of the training points and its 0.5 contour is the decision boundary.")
  return Section("sigmoid", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("sigmoid", run, __doc__)
