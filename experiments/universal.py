"""13. The universal approximation theorem, constructively: steps, bumps, N bumps, towers, depth."""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import linmodels as lm
from linmodels import universal as ua
from experiments._common import Section, cli, save_figure

TITLE = "The universal approximation theorem, constructively"


def run(out, quick=False):
  x = jnp.linspace(0, 1, 1001)
  f = lambda t: jnp.sin(2 * jnp.pi * t) + 0.5 * jnp.abs(t - 0.3)
  ns = [4, 8, 16, 32, 64, 128] if quick else [4, 8, 16, 32, 64, 128, 256]
  sig_err = [float(ua.sup_error(ua.bump_network(f, n), f, activation="sigmoid")) for n in ns]
  relu_err = [float(ua.sup_error(ua.relu_interpolant(f, n), f, activation="relu")) for n in ns]
  omega = [ua.modulus_of_continuity(f, 0.5 / n) for n in ns]

  fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
  ax = axes[0, 0]
  ax.set(xlabel="x", ylabel=r"$\sigma(wx + b)$", title="A steep sigmoid is a step at s = −b/w",
         xlim=(-0.5, 1.5))
  x_wide = jnp.linspace(-0.5, 1.5, 1001)
  for w, b in ua.LECTURE_STEPS:
    ax.plot(x_wide, ua.step_neuron(x_wide, w, b), label=f"w = {w:g}, b = {b:g}: step at {-b / w:.2f}")
  ax.legend(loc="lower right")
  ax = axes[0, 1]
  for params in ua.LECTURE_BUMPS:
    w1, b1, w2, b2, w3, w4 = params
    ax.plot(x, ua.bump(x, *params), label=f"b = ({b1:g}, {b2:g}), out = ({w3:g}, {w4:g})")
  ax.set(xlabel="x", ylabel="output", title="Two steps make a bump (w₁ = w₂ = 100)")
  ax.legend(loc="upper left")
  ax = axes[0, 2]
  ax.plot(x, f(x), "k", lw=3, alpha=0.3, label="target f")
  for n in (4, 16, 64):
    net = ua.bump_network(f, n)
    ax.plot(x, lm.mlp_apply(net, x[:, None], activation="sigmoid")[:, 0], lw=1, label=f"{n} bumps")
  ax.set(xlabel="x", ylabel="f(x)", title="One hidden layer of bumps")
  ax.legend(loc="lower left")
  ax = axes[1, 0]
  ax.loglog(ns, sig_err, "o-", label="sigmoid bumps (2N units)")
  ax.loglog(ns, relu_err, "s-", label="ReLU interpolant (N units)")
  ax.loglog(ns, omega, "k--", label=r"$\omega(f, h/2)$, modulus of continuity")
  ax.set(xlabel="N", ylabel="sup-norm error on [0, 1]", title="Error falls as N grows")
  ax.legend(loc="lower left")
  # Towers in 2D.
  g = lambda a, b: jnp.sin(2 * jnp.pi * a) * jnp.cos(jnp.pi * b)
  m = 8 if quick else 12
  tower = ua.tower_network(g, m)
  t = jnp.linspace(0, 1, 60)
  T1, T2 = jnp.meshgrid(t, t, indexing="ij")
  pts = jnp.stack([T1.ravel(), T2.ravel()], 1)
  z = lm.mlp_apply(tower, pts, activation="sigmoid")[:, 0].reshape(T1.shape)
  axes[1, 1].remove()
  ax = fig.add_subplot(2, 3, 5, projection="3d")
  ax.plot_surface(np.asarray(T1), np.asarray(T2), np.asarray(z), cmap="viridis", linewidth=0)
  ax.set(xlabel="x", ylabel="y", zlabel="net(x, y)",
         title=f"Towers in 2-D: {m}×{m} cells, 2 hidden layers")
  tower_err = [float(jnp.mean(jnp.abs(lm.mlp_apply(ua.tower_network(g, k), pts, activation="sigmoid")[:, 0]
                                      - g(pts[:, 0], pts[:, 1])))) for k in (4, 8, 16)]
  # Depth against width.
  ax = axes[1, 2]
  depths = list(range(1, 7))
  deep_units = [lm.num_hidden_units(ua.sawtooth_network(L)) for L in depths]
  shallow_units = [lm.num_hidden_units(ua.shallow_sawtooth_network(L)) for L in depths]
  pieces = [ua.count_linear_pieces(ua.sawtooth_network(L)) for L in depths]
  ax.semilogy(depths, shallow_units, "s-", label="one hidden layer: units = pieces")
  ax.semilogy(depths, deep_units, "o-", label="depth L: 2L units")
  ax.semilogy(depths, pieces, "k:", label="linear pieces of the sawtooth (2^L)")
  inset = ax.inset_axes([0.08, 0.55, 0.35, 0.3])
  inset.plot(x, lm.mlp_apply(ua.sawtooth_network(4), x[:, None])[:, 0], lw=0.8)
  inset.set(xticks=[], yticks=[], title="L = 4", ylim=(-0.1, 1.1))
  inset.title.set_fontsize(7)
  ax.set(xlabel="depth L", ylabel="count", title="Depth against width: the sawtooth t∘…∘t")
  ax.legend(loc="lower right")
  fig_path = save_figure(fig, out, "13_universal")

  # Constructed against trained: same width, same target.
  xs = x[::4, None]
  ys = f(xs)
  n = 16
  constructed = ua.bump_network(f, n)
  trained = lm.fit_mlp(lm.init_mlp(jax.random.key(80), (1, 2 * n, 1), init="glorot"), xs, ys,
                       optax.adam(1e-2), num_steps=1000 if quick else 3000, activation="sigmoid")
  mse = lambda p: float(jnp.mean((lm.mlp_apply(p, xs, activation="sigmoid") - ys) ** 2))
  metrics = {"N": ns, "sigmoid_sup_error": sig_err, "relu_sup_error": relu_err,
             "modulus_of_continuity_half_cell": omega,
             "sigmoid_error_monotone": bool(all(b < a for a, b in zip(sig_err, sig_err[1:]))),
             "tower_mean_abs_error_4_8_16": tower_err,
             "depths": depths, "deep_units": deep_units, "shallow_units": shallow_units,
             "sawtooth_pieces": pieces,
             "constructed_16_bumps_mse": mse(constructed), "trained_32_units_mse": mse(trained.params)}
  text = ("The lecture's steps (w, b) = (5, 0), (5, 3), (10, −7), (100, −20) sit at −b/w and sharpen "
          "with w; two steps of opposite sign make its bumps of height 1 on [0.2, 0.4] and 2 on "
          "[0.6, 0.8]. N bumps at the values of f approximate any continuous f with sup error about "
          "its modulus of continuity at h/2; towers do the same in 2-D (mean error "
          f"{tower_err[0]:.3f} → {tower_err[-1]:.3f} for 4 → 16 cells per axis). A depth-L ReLU "
          "network computes a sawtooth with 2^L pieces from 2L units; one hidden layer needs a unit "
          f"per piece. Constructed (16 bumps) MSE {mse(constructed):.1e}, trained from random "
          f"init with the same 32 units {mse(trained.params):.1e}.")
  return Section("universal", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("universal", run, __doc__)
