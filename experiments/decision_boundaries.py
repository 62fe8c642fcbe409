"""5. Linear decision boundaries in 1D, 2D and 3D: x + b = 0, w₁x₁ + w₂x₂ + b = 0, and a plane."""

import jax
import matplotlib.pyplot as plt
import numpy as np

import linmodels as lm
from linmodels import logistic_regression as lr
from experiments._common import Section, cli, save_figure

TITLE = "Linear decision boundaries in 1D, 2D and 3D"


def _fit(xs, labels):
  res = lm.fit_logistic(xs, labels, 1e-3)
  acc = float(lm.accuracy(lr.predict_labels(res.params, xs), labels))
  return res.params, acc


def run(out, quick=False):
  n = 100 if quick else 200
  fig = plt.figure(figsize=(13, 4))
  metrics = {}
  # 1D: a point on the line.
  xs1, lab1 = lm.make_blobs(jax.random.key(10), n, 1, separation=1.5, std=0.6)
  p1, acc1 = _fit(xs1, lab1)
  ax = fig.add_subplot(1, 3, 1)
  x = np.asarray(xs1[:, 0])
  for c in (0, 1):
    ax.scatter(x[np.asarray(lab1) == c], np.full((np.asarray(lab1) == c).sum(), c * 0.2), s=10,
               label=f"class {c}")
  boundary = -float(p1.b) / float(p1.w[0])
  ax.axvline(boundary, color="k", lw=2, label=f"wx + b = 0 at x = {boundary:.2f}")
  ax.set(xlabel="x", yticks=[], title="1D: a threshold", ylim=(-0.3, 0.5))
  ax.legend(loc="upper left")
  metrics["accuracy_1d"] = acc1
  # 2D: a line.
  xs2, lab2 = lm.make_blobs(jax.random.key(11), n, 2, separation=2.0)
  p2, acc2 = _fit(xs2, lab2)
  ax = fig.add_subplot(1, 3, 2)
  for c in (0, 1):
    m = np.asarray(lab2) == c
    ax.scatter(np.asarray(xs2)[m, 0], np.asarray(xs2)[m, 1], s=10, label=f"class {c}")
  gx = np.linspace(float(xs2[:, 0].min()), float(xs2[:, 0].max()), 2)
  w = np.asarray(p2.w)
  ax.plot(gx, -(w[0] * gx + float(p2.b)) / w[1], "k", lw=2, label=r"$w_1x_1 + w_2x_2 + b = 0$")
  ax.set(xlabel="$x_1$", ylabel="$x_2$", title="2D: a line",
         ylim=(float(xs2[:, 1].min()) - 0.5, float(xs2[:, 1].max()) + 0.5))
  ax.legend(loc="upper left")
  metrics["accuracy_2d"] = acc2
  # 3D: a plane.
  xs3, lab3 = lm.make_blobs(jax.random.key(12), n, 3, separation=2.5)
  p3, acc3 = _fit(xs3, lab3)
  ax = fig.add_subplot(1, 3, 3, projection="3d")
  for c in (0, 1):
    m = np.asarray(lab3) == c
    ax.scatter(*np.asarray(xs3)[m].T, s=8, label=f"class {c}")
  w = np.asarray(p3.w)
  g = np.linspace(-3, 3, 8)
  G1, G2 = np.meshgrid(g, g)
  ax.plot_surface(G1, G2, -(w[0] * G1 + w[1] * G2 + float(p3.b)) / w[2], alpha=0.3, color="k")
  ax.set(xlabel="$x_1$", ylabel="$x_2$", zlabel="$x_3$", title="3D: a plane", zlim=(-4, 4))
  ax.legend(loc="upper left")
  metrics["accuracy_3d"] = acc3
  fig_path = save_figure(fig, out, "05_decision_boundaries")
  text = ("A linear classifier splits its input space by the hyperplane wᵀx + b = 0: a point in 1D, "
          "a line in 2D, a plane in 3D. Boundaries here are logistic-regression fits (small L2) on "
          "overlapping Gaussian blobs.")
  return Section("decision_boundaries", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("decision_boundaries", run, __doc__)
