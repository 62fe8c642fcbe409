"""The universal approximation theorem, made constructive.

The lecture's argument, as functions that return explicit network weights:

1. A steep sigmoid ``σ(wx + b)`` is a step at ``s = -b/w`` (``step_neuron``).
2. Two steps of opposite sign make a bump: ``h·σ(w(x - s₁)) - h·σ(w(x - s₂))`` is ``≈ h`` on
   ``[s₁, s₂]`` and ``≈ 0`` elsewhere (``bump``).
3. One bump per interval of a partition, with height ``f`` at the interval's midpoint, gives a
   one-hidden-layer network whose error is at most about the modulus of continuity
   ``ω(f, h/2)`` (``bump_network``); with ReLU units, the piecewise-linear interpolant
   (``relu_interpolant``).
4. In 2-D, a second layer turns the sum of an x-bump and a y-bump into a tower over one cell of a
   grid (``tower_network``).
5. Depth against width: composing the tent map ``L`` times gives a sawtooth with ``2^L`` linear
   pieces from ``2L`` ReLU units (``sawtooth_network``); one hidden layer needs a unit per
   breakpoint, at least ``2^L - 1`` (``shallow_sawtooth_network``).

Every builder returns ``mlp.Dense`` layers for ``mlp.mlp_apply`` (so they can be trained further,
saved, or moved to flax).
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from linmodels import checks
from linmodels.mlp import Dense, MLPParams, mlp_apply

Array = jax.Array

# The lecture's examples: steps for (w, b), and bumps for (w₁, b₁, w₂, b₂, w₃, w₄).
LECTURE_STEPS = ((5.0, 0.0), (5.0, 3.0), (10.0, -7.0), (100.0, -20.0))
LECTURE_BUMPS = ((100.0, -20.0, 100.0, -40.0, 1.0, -1.0), (100.0, -60.0, 100.0, -80.0, 2.0, -2.0))


def step_neuron(x: Array, w: Array | float, b: Array | float) -> Array:
  """``σ(wx + b)``: a smoothed step at ``s = -b/w`` that sharpens as ``w`` grows."""
  return jax.nn.sigmoid(w * x + b)


def step_location(w: Array | float, b: Array | float) -> Array:
  """Where ``σ(wx + b)`` crosses ½: ``s = -b/w``."""
  return -jnp.asarray(b) / w


def bump(x: Array, w1, b1, w2, b2, w3, w4) -> Array:
  """The lecture's two-neuron bump ``w₃ σ(w₁x + b₁) + w₄ σ(w₂x + b₂)``.

  With ``w₁ = w₂ = 100, b₁ = -20, b₂ = -40, (w₃, w₄) = (1, -1)`` it is ≈ 1 on ``[0.2, 0.4]``.

  >>> x = jnp.array([0.1, 0.3, 0.5])
  >>> bump(x, 100.0, -20.0, 100.0, -40.0, 1.0, -1.0).round(3)
  Array([0., 1., 0.], dtype=float32)
  """
  return w3 * jax.nn.sigmoid(w1 * x + b1) + w4 * jax.nn.sigmoid(w2 * x + b2)


def _check_grid(name: str, what: str, num: int, interval: tuple[float, float]) -> None:
  """The constructions cut ``interval`` into ``num`` equal cells: both must make sense."""
  if int(num) != num or num < 1:
    raise ValueError(f"{name}: {what} must be a positive integer, got {num!r}")
  a, b = (float(v) for v in interval)
  if not (np.isfinite(a) and np.isfinite(b) and a < b):
    raise ValueError(f"{name}: interval must be finite with a < b, got {tuple(interval)}")


def _cells(interval: tuple[float, float], num: int):
  """Cell width, edges and centres of ``num`` equal cells; the two outer edges are moved one cell
  outwards so that the ends of the interval are not half-way up a step."""
  a, b = interval
  h = (b - a) / num
  edges = a + h * np.arange(num + 1, dtype=np.float64)
  edges[0], edges[-1] = a - h, b + h
  return h, edges, a + h * (np.arange(num) + 0.5)


def bump_network(f: Callable[[Array], Array], num_bumps: int, *,
                 interval: tuple[float, float] = (0.0, 1.0), steepness: float = 50.0,
                 dtype=None) -> MLPParams:
  """A one-hidden-layer sigmoid network of ``num_bumps`` bumps approximating ``f`` on ``interval``.

  The interval is cut into ``N`` cells of width ``h``; bump ``i`` rises at the cell's left edge and
  falls at its right edge with height ``f(cᵢ)`` (``cᵢ`` the cell's midpoint); the outer edges are
  moved one cell outwards so that the ends of the interval are not half-way up a step. The
  steepness is ``w = steepness / h``, so each transition is narrow relative to a cell. The sup-norm
  error on the interval is then about ``ω(f, h/2)``, the modulus of continuity at half a cell.

  Args:
    f: the target, vectorised over a `[m]` array.
    num_bumps: ``N`` (static).
    interval: ``(a, b)``.
    steepness: ``w·h``; the tails of each step are ``≈ e^{-steepness}``.
    dtype: float dtype.

  Returns:
    ``(Dense([1, 2N]), Dense([2N, 1]))`` for ``mlp_apply(..., activation="sigmoid")``.
  """
  _check_grid("bump_network", "num_bumps", num_bumps, interval)
  dtype = dtype or jnp.result_type(float)
  n = num_bumps
  h, edges, centres = _cells(interval, n)
  heights = np.asarray(f(jnp.asarray(centres, dtype)), np.float64)
  w = steepness / h
  # Units 2i and 2i+1: the rising step at edges[i] and the falling one at edges[i+1].
  starts = np.stack([edges[:-1], edges[1:]], axis=1).reshape(-1)
  w1 = np.full((1, 2 * n), w)
  b1 = -w * starts
  w2 = np.stack([heights, -heights], axis=1).reshape(-1, 1)
  return (Dense(jnp.asarray(w1, dtype), jnp.asarray(b1, dtype)),
          Dense(jnp.asarray(w2, dtype), jnp.zeros((1,), dtype)))


def relu_interpolant(f: Callable[[Array], Array], num_pieces: int, *,
                     interval: tuple[float, float] = (0.0, 1.0), dtype=None) -> MLPParams:
  """A one-hidden-layer ReLU network equal to the piecewise-linear interpolant of ``f`` at
  ``num_pieces + 1`` equally spaced knots: ``g(x) = f(a) + Σᵢ (sᵢ - sᵢ₋₁) ReLU(x - tᵢ)`` with
  ``sᵢ`` the slope on piece ``i`` (``s₋₁ = 0``). ``num_pieces`` hidden units.

  Returns:
    ``(Dense([1, N]), Dense([N, 1]))`` for ``mlp_apply(..., activation="relu")``.
  """
  _check_grid("relu_interpolant", "num_pieces", num_pieces, interval)
  dtype = dtype or jnp.result_type(float)
  a, b = interval
  knots = np.linspace(a, b, num_pieces + 1)
  values = np.asarray(f(jnp.asarray(knots, dtype)), np.float64)
  return _relu_from_knots(knots, values, dtype)


def _relu_from_knots(knots: np.ndarray, values: np.ndarray, dtype) -> MLPParams:
  slopes = np.diff(values) / np.diff(knots)
  coef = np.diff(np.concatenate([[0.0], slopes]))
  n = len(slopes)
  return (Dense(jnp.ones((1, n), dtype), jnp.asarray(-knots[:-1], dtype)),
          Dense(jnp.asarray(coef[:, None], dtype), jnp.asarray([values[0]], dtype)))


def tower_network(f: Callable[[Array, Array], Array], cells: int, *,
                  interval: tuple[float, float] = (0.0, 1.0), steepness: float = 50.0,
                  tower_steepness: float = 50.0, dtype=None) -> MLPParams:
  """A two-hidden-layer sigmoid network approximating ``f(x, y)`` on a square by towers.

  Layer 1 holds a step at every cell edge in ``x`` and in ``y`` (``2(M + 1)`` units); an x-bump is
  the difference of two neighbouring x-steps. Layer 2 has one unit per cell, ``σ(W(bumpₓ + bump_y -
  1.5))``, which is ≈ 1 only where both bumps are ≈ 1: a tower over the cell. The output weights are
  ``f`` at the cells' centres.

  The error falls with the cell size in the mean (L¹ or L²) but not in the sup norm: where four
  cells meet, both bumps of each adjacent tower are at ½, so every tower there is at
  ``σ(W(1 - 1.5)) ≈ 0`` and the network dips towards 0 in a neighbourhood of width ``≈ 1/w`` of
  each grid corner (the "skirts" of the lecture's 2-D towers). One sigmoid layer cannot both keep
  a tower's interior flat and make the four corner values sum to one.

  Args:
    f: ``f(x, y)`` vectorised over `[m]` arrays.
    cells: ``M``, cells per axis (static): ``M²`` towers.
    interval: the square is ``interval²``.
    steepness: first-layer ``w·h``.
    tower_steepness: second-layer ``W``.

  Returns:
    Three ``Dense`` layers for ``mlp_apply(..., activation="sigmoid")`` on `[n, 2]` inputs.
  """
  _check_grid("tower_network", "cells", cells, interval)
  dtype = dtype or jnp.result_type(float)
  m = cells
  h, edges, centres = _cells(interval, m)
  w = steepness / h
  # Layer 1: units 0..M are x-steps at the edges, units M+1..2M+1 are y-steps.
  w1 = np.zeros((2, 2 * (m + 1)))
  w1[0, : m + 1] = w
  w1[1, m + 1:] = w
  b1 = -w * np.concatenate([edges, edges])
  # Layer 2: tower (i, j) = σ(W (xstep_i - xstep_{i+1} + ystep_j - ystep_{j+1} - 1.5)).
  w2 = np.zeros((2 * (m + 1), m * m))
  for i in range(m):
    for j in range(m):
      k = i * m + j
      w2[i, k], w2[i + 1, k] = tower_steepness, -tower_steepness
      w2[m + 1 + j, k], w2[m + 2 + j, k] = tower_steepness, -tower_steepness
  b2 = np.full((m * m,), -1.5 * tower_steepness)
  cx, cy = np.meshgrid(centres, centres, indexing="ij")
  heights = np.asarray(f(jnp.asarray(cx.reshape(-1), dtype), jnp.asarray(cy.reshape(-1), dtype)))
  return (Dense(jnp.asarray(w1, dtype), jnp.asarray(b1, dtype)),
          Dense(jnp.asarray(w2, dtype), jnp.asarray(b2, dtype)),
          Dense(jnp.asarray(heights[:, None], dtype), jnp.zeros((1,), dtype)))


def tent_layer(dtype=None) -> tuple[Dense, Dense]:
  """The tent map ``t(x) = 2x`` on ``[0, ½]``, ``2 - 2x`` on ``[½, 1]``, as
  ``2 ReLU(x) - 4 ReLU(x - ½)``: two ReLU units and a linear read-out."""
  dtype = dtype or jnp.result_type(float)
  return (Dense(jnp.ones((1, 2), dtype), jnp.array([0.0, -0.5], dtype)),
          Dense(jnp.array([[2.0], [-4.0]], dtype), jnp.zeros((1,), dtype)))


def sawtooth_network(depth: int, dtype=None) -> MLPParams:
  """``t∘t∘...∘t`` (``depth`` times) as a deep ReLU network: ``2·depth`` hidden units, ``2^depth``
  linear pieces on ``[0, 1]``.

  Consecutive tent layers are merged (the read-out of one and the input of the next are both
  linear), so the result is ``depth`` hidden layers of width 2 for ``mlp_apply(activation="relu")``.

  >>> net = sawtooth_network(3)
  >>> [layer.w.shape for layer in net]
  [(1, 2), (2, 2), (2, 2), (2, 1)]
  """
  depth = checks.static_count(depth, "sawtooth_network: depth", minimum=1)
  (w_in, b_in), (w_out, b_out) = tent_layer(dtype)
  layers = [Dense(w_in, b_in)]
  for _ in range(depth - 1):
    w = w_out @ w_in  # [2, 1] @ [1, 2]: read-out of one tent feeding the next
    b = (b_out @ w_in) + b_in
    layers.append(Dense(w, b))
  layers.append(Dense(w_out, b_out))
  return tuple(layers)


def shallow_sawtooth_network(depth: int, dtype=None) -> MLPParams:
  """The same sawtooth as ``sawtooth_network(depth)`` with one hidden layer: a ReLU unit per
  linear piece (``2^depth`` units, one more than its ``2^depth - 1`` interior breakpoints)."""
  depth = checks.static_count(depth, "shallow_sawtooth_network: depth", minimum=1)
  dtype = dtype or jnp.result_type(float)
  pieces = 2 ** depth
  knots = np.linspace(0.0, 1.0, pieces + 1)
  values = np.where(np.arange(pieces + 1) % 2 == 0, 0.0, 1.0)
  return _relu_from_knots(knots, values, dtype)


def count_linear_pieces(params: MLPParams, *, activation: str = "relu",
                        interval: tuple[float, float] = (0.0, 1.0), num_points: int = 1 << 16,
                        atol: float = 1e-3) -> int:
  """Counts the linear pieces of a 1-D network on ``interval`` from its slopes on a fine grid
  (valid when every piece spans several grid points)."""
  x = np.linspace(interval[0], interval[1], num_points + 1)
  y = np.asarray(mlp_apply(params, jnp.asarray(x[:, None]), activation=activation))[:, 0]
  slopes = np.diff(y) / np.diff(x)
  changes = np.abs(np.diff(slopes)) > atol * np.max(np.abs(slopes))
  # A kink strictly inside a grid cell shows as two consecutive changed slopes; count runs.
  runs = np.sum(changes[1:] & ~changes[:-1]) + int(changes[0])
  return int(runs) + 1


def sup_error(params: MLPParams, f: Callable[[Array], Array], *, activation: str,
              interval: tuple[float, float] = (0.0, 1.0), num_points: int = 20001) -> Array:
  """``max |net(x) - f(x)|`` over a grid of ``num_points`` points of the interval."""
  x = jnp.linspace(interval[0], interval[1], num_points)
  return jnp.max(jnp.abs(mlp_apply(params, x[:, None], activation=activation)[:, 0] - f(x)))


def modulus_of_continuity(f: Callable[[Array], Array], delta: float, *,
                          interval: tuple[float, float] = (0.0, 1.0),
                          num_points: int = 20001) -> float:
  """``ω(f, δ) = sup_{|x - y| ≤ δ} |f(x) - f(y)|``, estimated on a grid; ``δ`` must be positive."""
  if not (np.isfinite(delta) and delta > 0):
    raise ValueError(f"modulus_of_continuity: delta must be a positive number, got {delta!r}")
  checks.static_count(num_points, "modulus_of_continuity: num_points", minimum=2)
  _check_grid("modulus_of_continuity", "num_points", num_points, interval)
  x = np.linspace(interval[0], interval[1], num_points)
  fx = np.asarray(f(jnp.asarray(x)), np.float64)
  k = max(1, int(round(delta / (x[1] - x[0]))))
  best = 0.0
  for shift in range(1, k + 1):
    best = max(best, float(np.max(np.abs(fx[shift:] - fx[:-shift]))))
  return best
