"""Feed-forward networks (multi-layer perceptrons) as pure functions of a params pytree.

The lecture's two-layer regression network is ``f_θ(x) = W₂ a(W₁x)`` with ``a`` a ReLU or a
sigmoid; without ``a`` the network ``w₁w₂x`` is still linear in ``x``, which is why the
non-linearity is needed. Here a network of any depth is a tuple of ``Dense(w, b)`` layers applied
as ``x ↦ a(x W + b)`` for the hidden layers and ``x ↦ x W + b`` for the last (row-vector
convention, ``w`` of shape ``[in, out]``, as ``flax.linen.Dense``'s kernel).
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import optax

from linmodels import checks, losses, row_passes
from linmodels.linear import HIGHEST
from linmodels.optimize import FitResult, fit_optax

Array = jax.Array


class Dense(NamedTuple):
  """One affine layer ``x ↦ x w + b``: `w` `[in, out]`, `b` `[out]`."""
  w: Array
  b: Array


MLPParams = tuple  # tuple[Dense, ...]

ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "relu": jax.nn.relu,          # a(x) = max(0, x), the lecture's rectifier
    "sigmoid": jax.nn.sigmoid,    # a(x) = 1 / (1 + e⁻ˣ)
    "tanh": jnp.tanh,
    "identity": lambda x: x,      # no non-linearity: the network stays linear
}

INITIALIZERS = {
    # Variance scaling: He for ReLU (2/fan_in), LeCun (1/fan_in), Glorot (2/(fan_in + fan_out)).
    "he": jax.nn.initializers.he_normal(),
    "lecun": jax.nn.initializers.lecun_normal(),
    "glorot": jax.nn.initializers.glorot_normal(),
}


def init_mlp(key: Array, sizes: Sequence[int], *, init: str = "he", dtype=None) -> MLPParams:
  """Random parameters for layer widths ``sizes = (d_in, h₁, ..., d_out)``; biases start at 0.

  Args:
    key: PRNG key.
    sizes: the width of each layer, input first.
    init: ``"he"`` (for ReLU), ``"lecun"`` or ``"glorot"`` (for sigmoid/tanh).
    dtype: float dtype.

  Returns:
    A tuple of ``Dense`` layers.

  >>> import jax
  >>> params = init_mlp(jax.random.key(0), (3, 16, 1))
  >>> [layer.w.shape for layer in params]
  [(3, 16), (16, 1)]
  """
  if init not in INITIALIZERS:
    raise ValueError(f"unknown init {init!r}; choose one of {tuple(INITIALIZERS)}")
  if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
    raise ValueError(f"sizes must hold at least two positive widths, got {tuple(sizes)}")
  dtype = dtype or jnp.result_type(float)
  keys = jax.random.split(key, len(sizes) - 1)
  return tuple(
      Dense(INITIALIZERS[init](k, (m, n), dtype), jnp.zeros((n,), dtype))
      for k, m, n in zip(keys, sizes[:-1], sizes[1:]))


def _check_layers(name: str, params) -> None:
  """Raises ``ValueError`` unless ``params`` is a non-empty sequence of ``Dense``-like layers
  (``w`` `[in, out]`, ``b`` `[out]`) whose widths chain (static: it holds under ``jit``). A PRNG
  key or a single layer in its place failed deep inside with an ``IndexError``."""
  if hasattr(params, "w") and hasattr(params, "b"):
    raise ValueError(f"{name}: params must be a tuple of Dense layers, got one layer (w "
                     f"{_shape_of(params.w)}); pass (layer,) for a network of one layer")
  if not isinstance(params, (tuple, list)) or not params:
    raise ValueError(f"{name}: params must be a non-empty tuple of Dense layers (init_mlp's "
                     f"result), got {type(params).__name__} {_shape_of(params)}")
  for i, layer in enumerate(params):
    w, b = getattr(layer, "w", None), getattr(layer, "b", None)
    if w is None or b is None or jnp.ndim(w) != 2 or jnp.shape(b) != jnp.shape(w)[1:]:
      raise ValueError(f"{name}: layer {i} must be a Dense(w [in, out], b [out]), got "
                       f"{type(layer).__name__} with w {_shape_of(w)} and b {_shape_of(b)}")
    if i and jnp.shape(w)[0] != jnp.shape(params[i - 1].w)[1]:
      raise ValueError(f"{name}: layer {i} takes {jnp.shape(w)[0]} inputs but layer {i - 1} has "
                       f"{jnp.shape(params[i - 1].w)[1]} outputs (w shapes "
                       f"{[tuple(jnp.shape(layer.w)) for layer in params]})")


def _shape_of(x) -> str:
  return f"of shape {tuple(jnp.shape(x))}" if hasattr(x, "shape") else repr(x)[:60]


def mlp_apply(params: MLPParams, x: Array, *, activation: str = "relu") -> Array:
  """The network's output: hidden layers ``h ↦ a(h W + b)``, then a linear output layer.

  Args:
    params: tuple of ``Dense`` layers.
    x: one example `[d_in]` or a batch `[n, d_in]`.
    activation: ``"relu"``, ``"sigmoid"``, ``"tanh"`` or ``"identity"`` (static).

  Returns:
    `[d_out]` or `[n, d_out]`.

  >>> import jax, jax.numpy as jnp
  >>> params = init_mlp(jax.random.key(0), (2, 8, 3))
  >>> mlp_apply(params, jnp.ones((5, 2))).shape
  (5, 3)
  """
  if activation not in ACTIVATIONS:
    raise ValueError(f"unknown activation {activation!r}; choose one of {tuple(ACTIVATIONS)}")
  act = ACTIVATIONS[activation]
  _check_layers("mlp_apply", params)
  checks.check_input_width("mlp_apply", x, params[0].w, "the first layer's w")
  h = x
  for i, layer in enumerate(params):
    h = jnp.matmul(h, layer.w, precision=HIGHEST)
    h = h + jnp.broadcast_to(layer.b, h.shape)
    if i < len(params) - 1:
      h = act(h)
  return h


def _squared_error_rows(params, xs, ys, *, activation):
  """`[n]` ``½ ‖y - f_θ(x)‖²`` of each example."""
  return jnp.sum(losses.squared_error(mlp_apply(params, xs, activation=activation), ys), axis=-1)


def _cross_entropy_rows(params, xs, labels, *, activation):
  """`[n]` ``CE(softmax(f_θ(x)), y)`` of each example, from logits."""
  return losses.cross_entropy(mlp_apply(params, xs, activation=activation), labels)


def mlp_mse_loss(params: MLPParams, xs: Array, ys: Array, *, activation: str = "relu") -> Array:
  """``½ mean ‖y - f_θ(x)‖²``, the lecture's regression loss in mean form. ys: `[n, d_out]`."""
  return jnp.mean(_squared_error_rows(params, xs, ys, activation=activation))


def mlp_cross_entropy_loss(params: MLPParams, xs: Array, labels: Array, *,
                           activation: str = "relu") -> Array:
  """``mean CE(softmax(f_θ(x)), y)`` from logits, for classification (integer labels `[n]`)."""
  return jnp.mean(_cross_entropy_rows(params, xs, labels, activation=activation))


@functools.partial(jax.jit, static_argnums=0)
def _blocked_sums(row_loss, params, xs, ys):
  """``Σ row_loss`` and its gradient, accumulated over blocks of rows: each block's forward and
  backward pass run while its activations (`[block, width]`) are in cache."""
  n = xs.shape[0]
  width = max(layer.w.shape[1] for layer in params)

  def fn(acc, mask, xb, yb):
    def block_sum(p):
      e = row_loss(p, xb, yb)
      return jnp.sum(e if mask is None else e * mask)
    value, grad = jax.value_and_grad(block_sum)(params)
    return acc[0] + value, jax.tree_util.tree_map(jnp.add, acc[1], grad)

  # On CPU blocks of about 2 MiB of the widest layer's activations (one block elsewhere).
  block_rows = row_passes.cpu_block_rows(n, width) if row_passes._on_cpu() else None
  init = (jnp.zeros((), xs.dtype), jax.tree_util.tree_map(jnp.zeros_like, params))
  return row_passes.reduce_rows(fn, init, (xs, ys), block_rows=block_rows)


def _blocked_loss(row_loss):
  """``mean row_loss(params, xs, ys)`` whose gradient comes from ``_blocked_sums``: ``jax.grad`` of
  the plain mean writes every layer's activations for all ``n`` rows and reads them back
  (full-batch Adam at 10k×32, width 256, on 2 CPU cores: 5.9 ms a step against 3.8 ms blocked)."""
  return row_passes.mean_over_rows(row_loss, functools.partial(_blocked_sums, row_loss))


def fit_mlp(params: MLPParams, xs: Array, ys: Array, optimizer: optax.GradientTransformation, *,
            num_steps: int, activation: str = "relu", task: str = "regression",
            key: Array | None = None, batch_size: int | None = None,
            tol: Array | float = 0.0) -> FitResult:
  """Trains an MLP with optax through the shared fitter (full batch, or minibatches with ``key``).

  Args:
    params: initial layers (``init_mlp``).
    xs: `[n, d_in]` inputs.
    ys: `[n, d_out]` targets for ``task="regression"``, `[n]` int labels for
      ``"classification"``.
    optimizer: e.g. ``optax.adam(learning_rate)`` (built from traced values to vmap over them).
    num_steps: steps (static).
    activation: hidden activation (static).
    task: ``"regression"`` (MSE) or ``"classification"`` (softmax cross-entropy).
    key: PRNG key for minibatches.
    batch_size: minibatch size (static); full batch when ``None``.
    tol: gradient-norm tolerance.

  Returns:
    A ``FitResult``.

  >>> import jax, jax.numpy as jnp, optax
  >>> xs = jnp.linspace(0, 1, 64)[:, None]; ys = xs ** 2
  >>> params = init_mlp(jax.random.key(0), (1, 16, 1))
  >>> res = fit_mlp(params, xs, ys, optax.adam(1e-2), num_steps=500)
  >>> bool(res.losses[-1] < res.losses[0])
  True
  """
  _check_layers("fit_mlp", params)
  d_in, d_out = params[0].w.shape[0], params[-1].w.shape[1]
  if task == "regression":
    xs, ys = checks.check_xy(xs, ys)
    ys = ys[:, None] if ys.ndim == 1 else ys
    if ys.shape[1] != d_out:
      raise ValueError(f"ys has {ys.shape[1]} outputs per example but the network has {d_out}")
  elif task == "classification":
    xs = checks.check_xs(xs)
    ys = checks.check_labels(ys, xs.shape[0], num_classes=d_out)
  else:
    raise ValueError(f"unknown task {task!r}; choose 'regression' or 'classification'")
  if xs.shape[1] != d_in:
    raise ValueError(f"xs has {xs.shape[1]} features but the network's input width is {d_in}")
  loss = _mlp_loss(task, activation, batch_size is None)
  return fit_optax(loss, params, (xs, ys), optimizer, num_steps=num_steps, tol=tol, key=key,
                   batch_size=batch_size)


@functools.cache
def _mlp_loss(task: str, activation: str, full_batch: bool):
  """``fit_mlp``'s loss, one object per setting, so that ``fit_optax`` finds the program it
  compiled for an earlier call with the same setting and shapes. Full batch: the mean loss with
  its gradient accumulated block by block (``_blocked_loss``)."""
  rows = _squared_error_rows if task == "regression" else _cross_entropy_rows
  row_loss = functools.partial(rows, activation=activation)
  if full_batch:
    return _blocked_loss(row_loss)
  return lambda p, x, y: jnp.mean(row_loss(p, x, y))


def num_hidden_units(params: MLPParams) -> int:
  """Total number of hidden units (the widths of every layer but the input and the output)."""
  return sum(int(layer.w.shape[1]) for layer in params[:-1])
