"""10. Softmax: the lecture's example, multiclass decision regions, and C = 2 is logistic regression."""

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import linmodels as lm
from linmodels import logistic_regression as lr
from linmodels import softmax_regression as sr
from experiments._common import Section, cli, save_figure

TITLE = "Softmax and cross-entropy for many classes"
LECTURE = [0.0674, 0.183, 0.498, 0.183, 0.0674]


def run(out, quick=False):
  z = jnp.array([1.0, 2.0, 3.0, 2.0, 1.0])
  sm = lm.softmax(z)
  xs, labels = lm.load_iris()
  xs2 = xs[:, 2:4]  # petal length and width (standardized)
  fit = lm.fit_softmax(xs2, labels, 1e-3)
  acc = float(lm.accuracy(sr.predict_labels(fit.params, xs2), labels))
  # C = 2: softmax regression against logistic regression on breast cancer (5 features).
  xb, lb = lm.load_breast_cancer()
  xb = xb[:, :5]
  soft2 = lm.fit_softmax(xb, lb, method="newton", num_steps=30)
  logi = lm.fit_logistic(xb, lb)
  p_soft = sr.predict_proba(soft2.params, xb)[:, 1]
  p_logi = lr.predict_proba(logi.params, xb)
  max_diff = float(jnp.max(jnp.abs(p_soft - p_logi)))
  w_diff = float(jnp.max(jnp.abs((soft2.params.w[:, 1] - soft2.params.w[:, 0]) - logi.params.w)))

  fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
  ax = axes[0]
  pos = np.arange(5)
  ax.bar(pos - 0.2, np.asarray(sm), 0.4, label="linmodels softmax")
  ax.bar(pos + 0.2, LECTURE, 0.4, label="the lecture's values")
  for i, v in enumerate(np.asarray(sm)):
    ax.text(i - 0.2, v + 0.01, f"{v:.3f}", ha="center", fontsize=7)
  ax.set(xticks=pos, xticklabels=[f"z={int(v)}" for v in z], ylabel="softmax(z)",
         title="softmax([1, 2, 3, 2, 1])")
  ax.legend(loc="upper right")
  ax = axes[1]
  g1 = np.linspace(-2, 2, 200)
  G1, G2 = np.meshgrid(g1, g1)
  grid = jnp.asarray(np.stack([G1.ravel(), G2.ravel()], 1), jnp.float32)
  regions = np.asarray(sr.predict_labels(fit.params, grid)).reshape(G1.shape)
  ax.contourf(G1, G2, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=["C0", "C1", "C2"], alpha=0.25)
  names = ["setosa", "versicolor", "virginica"]
  for c in range(3):
    m = np.asarray(labels) == c
    ax.scatter(*np.asarray(xs2)[m].T, s=10, c=f"C{c}", label=names[c])
  ax.set(xlabel="petal length (standardized)", ylabel="petal width (standardized)",
         title=f"Iris: softmax regression, accuracy {100 * acc:.1f}%")
  ax.legend(loc="upper left")
  ax = axes[2]
  ax.scatter(p_logi, p_soft, s=6)
  ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="identity")
  ax.set(xlabel=r"logistic $\sigma(w^Tx + b)$", ylabel=r"softmax $\hat y_1$ with C = 2",
         title=f"C = 2 is logistic regression (max diff {max_diff:.1e})")
  ax.legend(loc="upper left")
  fig_path = save_figure(fig, out, "10_softmax")
  metrics = {"softmax_example": [float(v) for v in sm], "lecture_values": LECTURE,
             "example_matches_lecture_3_digits": bool(np.allclose(np.asarray(sm), LECTURE, rtol=2e-3)),
             "iris_accuracy": acc, "iris_converged": bool(fit.converged),
             "c2_max_probability_difference": max_diff, "c2_weight_difference": w_diff}
  text = ("softmax([1,2,3,2,1]) reproduces the lecture's [0.0674, 0.183, 0.498, 0.183, 0.0674]. "
          "Softmax regression by L-BFGS splits iris' petal plane into three regions. With two "
          "classes its probabilities equal logistic regression's and w₁ − w₀ is the logistic w.")
  return Section("softmax", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("softmax", run, __doc__)
