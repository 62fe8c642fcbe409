"""9. Probability against likelihood; the Gaussian MLE; linear regression's MLE is the MSE fit."""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt

import linmodels as lm
from experiments._common import Section, cli, save_figure

TITLE = "Maximum likelihood"


def run(out, quick=False):
  n = 100 if quick else 500
  data = 1.5 + 0.8 * jax.random.normal(jax.random.key(50), (n,))
  mu, sigma = lm.gaussian_mle(data)
  mu_gd, sigma_gd, _ = lm.fit_gaussian_mle(data)
  k1, k2 = jax.random.split(jax.random.key(51))
  xs = jax.random.normal(k1, (n, 2))
  ys = xs @ jnp.array([1.0, -2.0]) + 0.5 + 0.7 * jax.random.normal(k2, (n,))
  ls, _ = lm.lstsq(xs, ys)
  sigma2_star = 2 * float(lm.mse_loss(ls, xs, ys))
  nll = lambda p: lm.linear_gaussian_nll(p, xs, ys, 1.0)
  res = lm.fit_gd(lambda p, xs, ys: lm.linear_gaussian_nll(p, xs, ys, 1.0) / n,
                  lm.init_linear(2), (xs, ys), 0.5, num_steps=300)

  fig, axes = plt.subplots(1, 3, figsize=(14, 4))
  x = jnp.linspace(-2, 5, 300)
  axes[0].plot(x, lm.gaussian_pdf(x, 1.5, 0.8), label=r"$p(x; \mu=1.5, \sigma=0.8)$")
  axes[0].set(xlabel="x (data)", ylabel="density", title="Probability: a function of the data")
  axes[0].legend(loc="upper right")
  m = jnp.linspace(0.5, 2.5, 300)
  ll = jax.vmap(lambda mm: lm.gaussian_log_likelihood(mm, sigma, data))(m)
  axes[1].plot(m, ll, label=r"$\sum_i \log p(x_i; \mu, \sigma^*)$")
  axes[1].axvline(float(mu), color="C3", ls="--", label=rf"$\mu^* = \bar x = {float(mu):.3f}$")
  axes[1].set(xlabel=r"$\mu$ (parameter)", ylabel="log-likelihood",
              title="Likelihood: a function of the parameters")
  axes[1].legend(loc="lower center")
  s = jnp.linspace(0.5, 1.3, 300)
  lls = jax.vmap(lambda ss: lm.gaussian_log_likelihood(mu, ss, data))(s)
  axes[2].plot(s, lls, label=r"$\sum_i \log p(x_i; \mu^*, \sigma)$")
  axes[2].axvline(float(sigma), color="C3", ls="--", label=rf"$\sigma^* = {float(sigma):.3f}$ (1/N)")
  axes[2].set(xlabel=r"$\sigma$", ylabel="log-likelihood", title=r"The MLE of $\sigma$")
  axes[2].legend(loc="lower center")
  fig_path = save_figure(fig, out, "09_likelihood")
  metrics = {"n": n, "mu_closed_form": float(mu), "sigma_closed_form": float(sigma),
             "mu_gradient_ascent": float(mu_gd), "sigma_gradient_ascent": float(sigma_gd),
             "sigma_unbiased_n_minus_1": float(jnp.std(data, ddof=1)),
             "linear_mle_w": [float(v) for v in res.params.w], "lstsq_w": [float(v) for v in ls.w],
             "linear_mle_vs_lstsq_max_diff": float(jnp.max(jnp.abs(res.params.w - ls.w))),
             "sigma_star_squared_equals_mse": sigma2_star,
             "nll_at_lstsq": float(nll(ls))}
  text = ("The same Gaussian formula read two ways. Maximising the log-likelihood gives μ* = mean "
          f"({float(mu):.4f}; gradient ascent {float(mu_gd):.4f}) and the biased σ* "
          f"({float(sigma):.4f}; ascent {float(sigma_gd):.4f}). For linear regression with Gaussian "
          "noise the negative log-likelihood is the MSE up to constants: its minimiser by gradient "
          "descent is the least-squares fit, and σ*² is the mean squared residual.")
  return Section("likelihood", TITLE, text, [fig_path], metrics)


if __name__ == "__main__":
  cli("likelihood", run, __doc__)
