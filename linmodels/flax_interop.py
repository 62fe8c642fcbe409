"""flax interop: a ``flax.linen`` module with ``mlp_apply``'s layer layout, weight conversion both
ways, and saving/loading fitted params with ``flax.serialization``.

``MLP(features=(h₁, ..., d_out))`` names its layers ``Dense_0, Dense_1, ...`` with ``kernel``
`[in, out]` and ``bias`` `[out]`, exactly ``Dense(w, b)``; its output equals ``mlp_apply`` on the
same parameters.
"""

from __future__ import annotations

import pathlib
from typing import Any, Sequence

import flax.linen as nn
import flax.serialization
import jax
import numpy as np

from linmodels.mlp import ACTIVATIONS, Dense, MLPParams

Array = jax.Array


class MLP(nn.Module):
  """The flax twin of ``mlp_apply``: hidden ``Dense`` layers with ``activation``, linear output."""
  features: Sequence[int]
  activation: str = "relu"

  @nn.compact
  def __call__(self, x):
    act = ACTIVATIONS[self.activation]
    for i, width in enumerate(self.features):
      x = nn.Dense(width, precision=jax.lax.Precision.HIGHEST, name=f"Dense_{i}")(x)
      if i < len(self.features) - 1:
        x = act(x)
    return x


def to_flax(params: MLPParams) -> dict[str, Any]:
  """``(Dense(w, b), ...)`` → flax variables ``{"params": {"Dense_i": {"kernel", "bias"}}}``."""
  return {"params": {f"Dense_{i}": {"kernel": layer.w, "bias": layer.b}
                     for i, layer in enumerate(params)}}


def from_flax(variables: dict[str, Any]) -> MLPParams:
  """flax variables of ``MLP`` → ``(Dense(w, b), ...)``."""
  layers = variables["params"]
  return tuple(Dense(layers[f"Dense_{i}"]["kernel"], layers[f"Dense_{i}"]["bias"])
               for i in range(len(layers)))


def save_params(path: str | pathlib.Path, params: Any) -> None:
  """Writes any params pytree (NamedTuples included) as flax msgpack bytes."""
  pathlib.Path(path).write_bytes(flax.serialization.to_bytes(params))


def load_params(path: str | pathlib.Path, template: Any) -> Any:
  """Reads params written by ``save_params`` into the structure of ``template``, bit for bit.

  Raises ``ValueError`` when a saved array's shape or dtype differs from the template's (flax
  restores the saved arrays whatever the template's shapes: a width-8 template silently gave a
  width-4 network)."""
  loaded = flax.serialization.from_bytes(template, pathlib.Path(path).read_bytes())
  want = jax.tree_util.tree_flatten_with_path(template)[0]
  for (key_path, t), g in zip(want, jax.tree.leaves(loaded)):
    (ts, td), (gs, gd) = ((np.shape(a), np.asarray(a).dtype) for a in (t, g))
    if (ts, td) != (gs, gd):
      raise ValueError(f"load_params: {path} holds {jax.tree_util.keystr(key_path)} of shape "
                       f"{gs} and dtype {gd}, where the template has {ts} and {td}")
  return loaded
