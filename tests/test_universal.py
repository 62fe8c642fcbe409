"""The universal approximation theorem, constructively: the lecture's steps and bumps, error
against N, towers in 2-D, depth against width."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import linmodels as lm
from linmodels import universal as ua


@pytest.mark.parametrize("w,b", ua.LECTURE_STEPS)
def test_lecture_steps(w, b):
  s = float(ua.step_location(w, b))
  assert s == pytest.approx(-b / w)
  np.testing.assert_allclose(ua.step_neuron(jnp.array(s), w, b), 0.5, rtol=1e-6)  # half-way at s
  # Steepness: the rise from 0.1 to 0.9 takes 2 ln 9 / w.
  width = 2 * np.log(9) / w
  np.testing.assert_allclose(ua.step_neuron(jnp.array([s - width / 2, s + width / 2]), w, b),
                             [0.1, 0.9], rtol=1e-4)


def test_lecture_w100_is_a_step_at_0_2():
  x = jnp.linspace(0, 1, 1001)
  y = ua.step_neuron(x, 100.0, -20.0)
  # More than 0.05 away from the step at 0.2, σ is within e^{-5} ≈ 0.0067 of the 0/1 step.
  far = np.abs(np.asarray(x) - 0.2) > 0.05
  np.testing.assert_allclose(y[far], (np.asarray(x)[far] > 0.2).astype(float), atol=0.0068)


@pytest.mark.parametrize("params,height,lo,hi", [
    (ua.LECTURE_BUMPS[0], 1.0, 0.2, 0.4),
    (ua.LECTURE_BUMPS[1], 2.0, 0.6, 0.8),
])
def test_lecture_bumps(params, height, lo, hi):
  x = np.linspace(0, 1, 2001)
  y = np.asarray(ua.bump(jnp.asarray(x), *params))
  inside = (x > lo + 0.05) & (x < hi - 0.05)
  outside = (x < lo - 0.05) | (x > hi + 0.05)
  # Tolerance: each step is within h·e^{-5} of its limit 0.05 away from its edge (w = 100).
  tol = height * 2 * np.exp(-5)
  np.testing.assert_allclose(y[inside], height, atol=tol)
  np.testing.assert_allclose(y[outside], 0.0, atol=tol)
  np.testing.assert_allclose(np.interp([lo, hi], x, y), height / 2, atol=1e-3 * height)  # edges
  np.testing.assert_allclose(y.max(), height, rtol=1e-3)


FUNCTIONS = {
    "sin": lambda x: jnp.sin(2 * jnp.pi * x),
    "abs": lambda x: jnp.abs(x - 0.5),
}
NS = [4, 8, 16, 32, 64, 128, 256]


@pytest.mark.parametrize("name", ["sin", "abs"])
def test_bump_construction_error_falls_with_modulus_of_continuity(name):
  f = FUNCTIONS[name]
  errors = [float(ua.sup_error(ua.bump_network(f, n), f, activation="sigmoid")) for n in NS]
  assert all(b < a for a, b in zip(errors, errors[1:])), errors
  for n, err in zip(NS, errors):
    omega = ua.modulus_of_continuity(f, 0.5 / n)  # half a cell
    assert 0.3 * omega <= err <= 1.05 * omega + 1e-5, (n, err, omega)
  if name == "sin":
    assert errors[-1] < 0.02  # ω(sin 2πx, 1/512) ≈ 0.0123


def test_relu_construction():
  f = FUNCTIONS["sin"]
  errors = [float(ua.sup_error(ua.relu_interpolant(f, n), f, activation="relu")) for n in NS]
  assert all(b < a for a, b in zip(errors, errors[1:])), errors
  # Linear interpolation of a smooth function: error ≤ h²/8 · max|f''| = h²/8 · 4π².
  for n, err in zip(NS, errors):
    assert err <= (1 / n) ** 2 / 8 * 4 * np.pi ** 2 * 1.01 + 1e-6
  # |x - 0.5| has its only kink at a knot when N is even: the interpolant is exact.
  for n in NS:
    assert float(ua.sup_error(ua.relu_interpolant(FUNCTIONS["abs"], n), FUNCTIONS["abs"],
                              activation="relu")) < 1e-5


def test_towers_in_2d_error_falls_as_grid_refines():
  f = lambda x, y: jnp.sin(2 * jnp.pi * x) * jnp.cos(np.pi * y)
  g = jnp.linspace(0.0, 1.0, 121)
  gx, gy = jnp.meshgrid(g, g, indexing="ij")
  pts = jnp.stack([gx.reshape(-1), gy.reshape(-1)], 1)
  target = f(pts[:, 0], pts[:, 1])
  errors = []
  for m in (4, 8, 16, 32):
    net = ua.tower_network(f, m)
    assert [layer.w.shape for layer in net] == [(2, 2 * (m + 1)), (2 * (m + 1), m * m), (m * m, 1)]
    errors.append(float(jnp.mean(jnp.abs(lm.mlp_apply(net, pts, activation="sigmoid")[:, 0] - target))))
  # The mean absolute error halves with each halving of the cell (first order, as the modulus of
  # continuity); measured 0.20, 0.10, 0.051, 0.027. The sup norm does not fall: where four cells
  # meet, every tower is half-way down its skirt (see tower_network's docstring).
  assert all(b < 0.6 * a for a, b in zip(errors, errors[1:])), errors
  assert errors[-1] < 0.03


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5, 6])
def test_depth_against_width(depth):
  deep = ua.sawtooth_network(depth)
  shallow = ua.shallow_sawtooth_network(depth)
  assert lm.num_hidden_units(deep) == 2 * depth
  assert ua.count_linear_pieces(deep) == 2 ** depth
  assert ua.count_linear_pieces(shallow) == 2 ** depth
  # Each ReLU unit of one hidden layer adds at most one breakpoint, so the 2^L - 1 interior ones
  # need at least that many units; the construction uses 2^L (one more for the initial slope),
  # and its units' kinks -b/w are exactly the sawtooth's breakpoints.
  assert lm.num_hidden_units(shallow) == 2 ** depth
  kinks = np.sort(-np.asarray(shallow[0].b) / np.asarray(shallow[0].w[0]))
  np.testing.assert_allclose(kinks[1:], np.arange(1, 2 ** depth) / 2 ** depth, atol=1e-7)
  assert len(kinks[1:]) == ua.count_linear_pieces(deep) - 1
  x = jnp.linspace(0, 1, 4097)[:, None]
  np.testing.assert_allclose(lm.mlp_apply(deep, x), lm.mlp_apply(shallow, x), atol=1e-5)
  # And the deep net is the tent map composed: t(t(...)).
  t = lambda v: jnp.where(v < 0.5, 2 * v, 2 - 2 * v)
  ref = x[:, 0]
  for _ in range(depth):
    ref = t(ref)
  np.testing.assert_allclose(lm.mlp_apply(deep, x)[:, 0], ref, atol=1e-5)


def test_constructed_against_trained():
  f = FUNCTIONS["sin"]
  xs = jnp.linspace(0, 1, 256)[:, None]
  ys = f(xs)
  constructed = ua.bump_network(f, 16)
  mse = lambda p: float(jnp.mean((lm.mlp_apply(p, xs, activation="sigmoid") - ys) ** 2))
  # Training from the construction keeps (or improves) its fit; training from random init of the
  # same width is measurable on the same footing.
  from_constructed = lm.fit_mlp(constructed, xs, ys, optax.adam(1e-3), num_steps=300,
                                activation="sigmoid")
  random_init = lm.init_mlp(jax.random.key(0), (1, 32, 1), init="glorot")
  from_random = lm.fit_mlp(random_init, xs, ys, optax.adam(1e-2), num_steps=300, activation="sigmoid")
  assert mse(from_constructed.params) <= mse(constructed) * 1.01
  assert np.isfinite(mse(from_random.params))


@pytest.mark.parametrize("build,match", [
    (lambda: ua.bump_network(jnp.sin, 0), r"bump_network: num_bumps must be a positive integer"),
    (lambda: ua.relu_interpolant(jnp.sin, 0), r"relu_interpolant: num_pieces .* got 0"),
    (lambda: ua.tower_network(lambda x, y: x + y, 0), r"tower_network: cells .* got 0"),
    (lambda: ua.bump_network(jnp.sin, 3, interval=(1.0, 1.0)),
     r"interval must be finite with a < b, got \(1.0, 1.0\)"),
    (lambda: ua.relu_interpolant(jnp.sin, 3, interval=(2.0, 1.0)),
     r"interval must be finite with a < b, got \(2.0, 1.0\)"),
    # sawtooth_network(0) and (-1) returned the depth-1 network, one tent map.
    (lambda: ua.sawtooth_network(0), r"sawtooth_network: depth must be a positive integer .* got 0"),
    (lambda: ua.sawtooth_network(-1), r"sawtooth_network: depth .* got -1"),
    (lambda: ua.shallow_sawtooth_network(0), r"shallow_sawtooth_network: depth .* got 0"),
    # A negative delta returned the one-step modulus (5e-5 for sin) as if it were a distance.
    (lambda: ua.modulus_of_continuity(jnp.sin, -0.1),
     r"modulus_of_continuity: delta must be a positive number, got -0.1"),
    (lambda: ua.modulus_of_continuity(jnp.sin, 0.1, num_points=1),
     r"num_points must be a >= 2 integer \(static\), got 1"),
    (lambda: ua.modulus_of_continuity(jnp.sin, 0.1, interval=(1.0, 0.0)),
     r"interval must be finite with a < b, got \(1.0, 0.0\)"),
])
def test_constructions_reject_empty_grids(build, match):
  # They divided by zero (ZeroDivisionError), or built a network of no hidden units, or reversed
  # the interval without a word.
  with pytest.raises(ValueError, match=match):
    build()
