"""12. Feed-forward networks: w₁w₂x stays linear; ReLU and sigmoid MLPs fit a nonlinear function."""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import linmodels as lm
from experiments._common import Section, cli, save_figure, timed

TITLE = "Feed-forward neural networks"


def run(out, quick=False):
  steps = 1500 if quick else 4000
  xs = jnp.linspace(-1, 1, 200)[:, None]
  f = lambda x: jnp.sin(3 * x) + 0.5 * x ** 2
  ys = f(xs)
  fits, mses = {}, {}
  for act, init in (("identity", "glorot"), ("relu", "he"), ("sigmoid", "glorot")):
    params = lm.init_mlp(jax.random.key(70), (1, 32, 1), init=init)
    res, seconds = timed(lambda: lm.fit_mlp(params, xs, ys, optax.adam(1e-2), num_steps=steps,
                                            activation=act))
    fits[act] = (res, seconds)
    mses[act] = float(jnp.mean((lm.mlp_apply(res.params, xs, activation=act) - ys) ** 2))
  line, _ = lm.lstsq(xs, ys[:, 0])
  line_mse = float(jnp.mean((lm.predict(line, xs) - ys[:, 0]) ** 2))

  fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
  ax.plot(xs, ys, "k", lw=3, alpha=0.3, label="target")
  for act, label in (("identity", r"no activation: $W_2W_1x$ (a line)"),
                     ("relu", r"$W_2\,\mathrm{ReLU}(W_1x)$"), ("sigmoid", r"$W_2\,\sigma(W_1x)$")):
    ax.plot(xs, lm.mlp_apply(fits[act][0].params, xs, activation=act),
            label=f"{label}, MSE {mses[act]:.1e}")
  ax.set(xlabel="x", ylabel="f(x)", title="Two-layer MLPs, 32 hidden units, Adam")
  ax.legend(loc="upper left")
  for act in ("identity", "relu", "sigmoid"):
    ax2.semilogy(np.asarray(fits[act][0].losses), label=act)
  ax2.set(xlabel="step", ylabel=r"$\frac{1}{2}$ mean squared error", title="Training loss")
  ax2.legend(loc="upper right")
  fig_path = save_figure(fig, out, "12_mlp")
  metrics = {"steps": steps, "mse_linear_network": mses["identity"], "mse_least_squares_line": line_mse,
             "mse_relu": mses["relu"], "mse_sigmoid": mses["sigmoid"],
             "seconds_relu_fit_incl_compile": fits["relu"][1]}
  text = ("Without an activation the two-layer network W₂W₁x is a line: trained, it reaches exactly "
          f"the least-squares line's error ({mses['identity']:.4f} against {line_mse:.4f}). A ReLU or "
          f"sigmoid hidden layer bends it: errors {mses['relu']:.1e} and {mses['sigmoid']:.1e}.")
  return Section("mlp", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("mlp", run, __doc__)
