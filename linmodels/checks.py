"""Input checks shared by every fitter.

Shapes are static in JAX, so shape problems (wrong rank, mismatched lengths, empty data) raise a
``ValueError`` always, also under ``jax.jit`` and ``jax.vmap``, at trace time. Value problems
(NaN or infinite entries, labels outside the allowed set) can only be seen on concrete arrays:
they raise when the inputs are concrete and are skipped when the inputs are traced. Under ``jit``
a non-finite input therefore propagates; the iterative solvers report it as ``diverged`` in their
result, and the closed forms return non-finite parameters.
"""

from __future__ import annotations

import operator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

Array = jax.Array


def is_concrete(x: Any) -> bool:
  """Whether ``x`` holds values (not a tracer under ``jit``/``vmap``/``grad``)."""
  return not isinstance(x, jax.core.Tracer)


def as_float(x: Any, name: str) -> Array:
  """``x`` as a floating-point array; integer and boolean inputs become the default float.

  Args:
    x: array-like.
    name: the argument's name, for error messages.

  Returns:
    A JAX array of a floating dtype (float32 unless x64 is enabled or ``x`` is float64 already).
  """
  if isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jnp.floating):
    return x  # the common case, without jnp.asarray's dispatch (about 40 µs a call)
  if isinstance(x, (list, tuple)) or np.isscalar(x):
    x = np.asarray(x)
  dtype = getattr(x, "dtype", None)
  if dtype is None:
    raise ValueError(f"{name} must be an array, got {type(x).__name__}")
  if jnp.issubdtype(dtype, jnp.complexfloating):
    raise ValueError(f"{name} must be real, got dtype {dtype}")
  if not jnp.issubdtype(dtype, jnp.floating):
    return jnp.asarray(x, dtype=jnp.result_type(float))
  return jnp.asarray(x)


def check_finite(x: Array, name: str) -> None:
  """Raises ``ValueError`` if a concrete ``x`` holds NaN or infinite values.

  The common case, all finite, costs one sum over ``x`` where ``x`` lives (NaN and ±inf
  propagate through a sum), with no copy to the host and no `[n, d]` temporary: 20 against 44 ms
  for ``np.isfinite(x).all()`` at 1M×64 float32 here, and on a GPU no transfer of ``x``. A
  non-finite sum (or one that overflowed) is followed by the exact scan that names the entries.
  """
  if not is_concrete(x) or _sum_is_finite(x):
    return
  bad = ~np.isfinite(np.asarray(x))
  if bad.any():
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    raise ValueError(
        f"{name} holds {int(bad.sum())} non-finite value(s) (NaN or inf), first at index "
        f"{first}; {name}.shape={tuple(x.shape)}")


def _sum_is_finite(x) -> bool:
  if isinstance(x, jax.Array) and any(d.platform != "cpu" for d in x.devices()):
    return _device_sum_is_finite(x)
  with np.errstate(all="ignore"):
    return bool(np.isfinite(np.sum(np.asarray(x))))


def check_finite_unless(known_finite: Any, x: Array, name: str) -> None:
  """``check_finite(x, name)`` unless ``known_finite`` is a concrete true value.

  For callers that learn whether their data are finite from a pass they make anyway (``lstsq``'s
  Gram matrix, the classifiers' first gradient) and read ``x`` again only when that pass says
  otherwise (NaN or inf, raised here with the entries named; or finite data whose sums
  overflowed, which pass) or is traced.
  """
  if not (is_concrete(known_finite) and bool(known_finite)):
    check_finite(x, name)


def _device_sum_is_finite(x: Array) -> bool:
  # A concrete array closed over by a user's jit is checked while that jit traces: evaluate the
  # sum now instead of tracing it into the user's program (where bool() of it would fail).
  with jax.ensure_compile_time_eval():
    return bool(jnp.isfinite(jnp.sum(x)))


def check_xs(xs: Any, name: str = "xs", *, finite: bool = True) -> Array:
  """Checks a design matrix: rank 2 ``[n, d]`` with ``n, d >= 1``, finite, cast to float.

  ``finite=False`` skips the finiteness check (see ``check_xy``).

  A rank-1 ``xs`` is refused rather than guessed at (``[n]`` could be n examples of one feature or
  one example of n features): reshape it with ``xs[:, None]``.
  """
  xs = as_float(xs, name)
  if xs.ndim != 2:
    hint = " (one feature? use xs[:, None])" if xs.ndim == 1 else ""
    raise ValueError(f"{name} must have rank 2 [n, d], got shape {tuple(xs.shape)}{hint}")
  if xs.shape[0] == 0:
    raise ValueError(f"{name} is empty: no examples, shape {tuple(xs.shape)}")
  if xs.shape[1] == 0:
    raise ValueError(f"{name} has no features, shape {tuple(xs.shape)}")
  if finite:
    check_finite(xs, name)
  return xs


def check_xy(xs: Any, ys: Any, *, xs_name: str = "xs", ys_name: str = "ys",
             finite: bool = True) -> tuple[Array, Array]:
  """Checks a regression data set.

  Args:
    xs: `[n, d]` inputs.
    ys: `[n]` or `[n, k]` targets.
    xs_name: name of ``xs`` in messages.
    ys_name: name of ``ys`` in messages.
    finite: check that ``xs`` and ``ys`` are finite. ``False`` is for a caller that learns it
      from a pass over the data it makes anyway (``lstsq``'s Gram matrix) and then calls
      ``check_finite`` itself when that says otherwise.

  Returns:
    ``(xs, ys)`` as float arrays of one common dtype.

  Raises:
    ValueError: wrong ranks, mismatched lengths, empty data or non-finite values.

  >>> import jax.numpy as jnp
  >>> check_xy(jnp.ones((3, 2)), jnp.ones(4))
  Traceback (most recent call last):
  ...
  ValueError: xs and ys have different numbers of examples: xs.shape=(3, 2), ys.shape=(4,)
  """
  xs = check_xs(xs, xs_name, finite=finite)
  ys = as_float(ys, ys_name)
  if ys.ndim not in (1, 2):
    raise ValueError(f"{ys_name} must have rank 1 [n] or 2 [n, k], got shape {tuple(ys.shape)}")
  if ys.shape[0] != xs.shape[0]:
    raise ValueError(
        f"{xs_name} and {ys_name} have different numbers of examples: "
        f"{xs_name}.shape={tuple(xs.shape)}, {ys_name}.shape={tuple(ys.shape)}")
  if ys.ndim == 2 and ys.shape[1] == 0:
    raise ValueError(f"{ys_name} has no outputs, shape {tuple(ys.shape)}")
  if finite:
    check_finite(ys, ys_name)
  if xs.dtype == ys.dtype:
    return xs, ys
  dtype = jnp.result_type(xs.dtype, ys.dtype)
  return xs.astype(dtype), ys.astype(dtype)


def check_input_width(name: str, x: Any, w: Any, w_name: str = "w") -> None:
  """Raises ``ValueError`` unless ``x`` is `[d]` or `[n, d]` with ``d`` the rows of the weight
  matrix ``w`` it multiplies (a static check: it holds under ``jit`` too)."""
  d = jnp.shape(w)[0]
  if jnp.ndim(x) == 0 or jnp.shape(x)[-1] != d:
    raise ValueError(f"{name}: x must be [d] or [n, d] with d = {d} (the rows of {w_name}, shape "
                     f"{tuple(jnp.shape(w))}), got x.shape={tuple(jnp.shape(x))}")


def static_count(value: Any, name: str, *, minimum: int = 0) -> int:
  """``value`` as a Python ``int`` (a Python or NumPy integer: it sizes a loop or a network), or a
  ``ValueError`` naming it when it is a float, a tracer or below ``minimum``."""
  try:
    count = operator.index(value)
  except TypeError:
    count = minimum - 1
  if count < minimum:
    kind = "non-negative" if minimum == 0 else "positive" if minimum == 1 else f">= {minimum}"
    raise ValueError(f"{name} must be a {kind} integer (static), got {value!r}")
  return count


def check_same_shape(name: str, a: Any, a_name: str, b: Any, b_name: str) -> None:
  """Raises ``ValueError`` unless ``a`` and ``b`` have the same shape (static: it holds under
  ``jit``; either may be given as a shape tuple). Elementwise losses compare predictions with
  targets entry by entry; `[n]` predictions against `[n, 1]` targets would broadcast to `[n, n]`
  and average the wrong pairs."""
  sa, sb = (x if isinstance(x, tuple) else tuple(jnp.shape(x)) for x in (a, b))
  if sa != sb:
    raise ValueError(f"{name}: {a_name} have shape {sa} but {b_name} {sb}; they are compared "
                     "entry by entry and need the same shape (an [n] against an [n, 1] would "
                     "broadcast to [n, n])")


def labels_in_range(name: str, labels: Any, num_classes: int | None = None) -> Array:
  """Where ``labels`` are in range, as a boolean array for a loss to put NaN elsewhere.

  The range is ``[0, 1]`` for the binary cross-entropy (``num_classes=None``: classes 0 and 1,
  or probabilities) and the classes ``0 .. num_classes - 1`` otherwise. Concrete labels outside
  it raise a ``ValueError`` naming them: labels in {-1, +1} (the perceptron's) give a binary
  loss that can be negative, and optax's integer-label loss reads a class -1 as the last one,
  a plausible loss of the wrong class. Traced labels cannot be checked; the mask turns their
  examples' losses into NaN instead.
  """
  if is_concrete(labels):
    lab = np.asarray(labels)
    if num_classes is not None:
      check_label_values(lab, None, num_classes, f"{name}: labels")
    else:
      with np.errstate(invalid="ignore"):
        bad = ~((lab >= 0) & (lab <= 1))
      if bad.any():
        raise ValueError(f"{name}: labels must lie in [0, 1] (classes 0 and 1, or probabilities), "
                         f"got {int(bad.sum())} value(s) outside, such as {lab[bad][:3]}; labels "
                         "in {-1, +1} map to {0, 1} by (y + 1) / 2")
  top = 1 if num_classes is None else num_classes - 1
  return (labels >= 0) & (labels <= top)


def check_penalty(l2: Any, name: str = "l2") -> None:
  """Raises ``ValueError`` if a concrete penalty strength (a number or an array of them) is
  negative or not finite: a negative ridge makes the objective unbounded below or non-convex,
  and NaN made every coefficient NaN without a word. Traced strengths pass unchecked. The other
  non-negative settings go through it too, under their own ``name``: a fit's gradient
  tolerance ``tol`` and ``lstsq``'s singular-value cutoff ``rcond``.

  A Python number is checked on the host, without a device operation (the classifiers' fits on
  small data take well under a millisecond).
  """
  if isinstance(l2, (bool, int, float)):
    values = np.asarray(l2, dtype=float)
  elif is_concrete(l2):
    values = np.asarray(l2)
    if not np.issubdtype(values.dtype, np.number):
      raise ValueError(f"{name} must be a number or an array of numbers, got dtype {values.dtype}")
  else:
    return
  with np.errstate(invalid="ignore"):
    bad = ~np.isfinite(values) | (values < 0)
  if np.any(bad):
    got = (f"{values.item()}" if values.ndim == 0 else
           f"{values.ravel()[bad.ravel()][:3].tolist()} among shape {tuple(values.shape)}")
    raise ValueError(f"{name} must be finite and non-negative, got {got}")


def check_step_size(learning_rate: Any, name: str = "learning_rate") -> None:
  """Raises ``ValueError`` if a concrete step size is not a finite positive number: gradient
  descent with ``α ≤ 0`` climbs the loss or stands still, and reported neither divergence nor
  convergence. Traced ones (a ``vmap`` sweep) pass unchecked; their fits report ``diverged``.
  ``None`` (the caller's default) passes."""
  if learning_rate is None:
    return
  if isinstance(learning_rate, (bool, int, float)):
    value = np.asarray(learning_rate, dtype=float)
  elif is_concrete(learning_rate):
    value = np.asarray(learning_rate)
  else:
    return
  if value.ndim:
    raise ValueError(f"{name} must be a scalar, got shape {value.shape} (to sweep several, "
                     f"jax.vmap over the fit)")
  with np.errstate(invalid="ignore"):
    ok = np.isfinite(value) & (value > 0)
  if not ok:
    raise ValueError(f"{name} must be a finite positive number, got {value.item()}")


def check_weights(sample_weight: Any, n: int, dtype: Any) -> Array | None:
  """Checks optional sample weights: `[n]`, finite, non-negative, not all zero (when concrete)."""
  if sample_weight is None:
    return None
  sw = as_float(sample_weight, "sample_weight").astype(dtype)
  if sw.shape != (n,):
    raise ValueError(f"sample_weight must have shape ({n},), got {tuple(sw.shape)}")
  check_finite(sw, "sample_weight")
  if is_concrete(sw):
    sw_np = np.asarray(sw)
    if (sw_np < 0).any():
      raise ValueError(f"sample_weight has {int((sw_np < 0).sum())} negative value(s)")
    if not (sw_np > 0).any():
      raise ValueError("sample_weight is zero everywhere: no example carries weight")
  return sw


def check_labels(labels: Any, n: int, *, allowed: tuple[int, ...] | None = None,
                 num_classes: int | None = None, name: str = "labels") -> Array:
  """Checks class labels: `[n]` integers (or integral floats) in the allowed set (when concrete).

  Args:
    labels: `[n]` labels.
    n: expected number of examples.
    allowed: the allowed values, e.g. ``(0, 1)`` or ``(-1, 1)``; ``None`` with ``num_classes``
      means ``0 .. num_classes - 1``.
    num_classes: number of classes, for integer class labels.
    name: name in messages.

  Returns:
    The labels as an integer array.
  """
  if isinstance(labels, (list, tuple)):
    labels = np.asarray(labels)
  if not isinstance(labels, jax.Array):
    labels = jnp.asarray(labels)
  if labels.ndim != 1:
    raise ValueError(f"{name} must have rank 1 [n], got shape {tuple(labels.shape)}")
  if labels.shape[0] != n:
    raise ValueError(f"{name} has {labels.shape[0]} entries but xs has {n} examples")
  if is_concrete(labels):
    lab = np.asarray(labels)
    check_label_values(lab, allowed, num_classes, name)
    # Converted on the host: an eager astype on the device costs a dispatch (and, per new shape,
    # a compile) on every call.
    return labels if labels.dtype == jnp.int32 else jnp.asarray(lab.astype(np.int32))
  return labels.astype(jnp.int32)


def check_label_values(lab: np.ndarray, allowed, num_classes, name: str) -> None:
  """Raises ``ValueError`` unless the host array ``lab`` holds whole numbers in ``allowed`` (or
  ``0 .. num_classes - 1`` when ``allowed`` is ``None``), naming the values outside."""
  # Integer labels in the common case: min, max (and a test for each value missing between
  # them, e.g. 0 for {-1, +1}); np.unique's sort only to name what is wrong.
  valid = sorted(set(allowed) if allowed is not None else set(range(num_classes or 0)))
  if lab.dtype == np.bool_:
    lab = lab.astype(np.int8)
  if np.issubdtype(lab.dtype, np.integer) and lab.size and valid:
    gaps = set(range(valid[0], valid[-1] + 1)) - set(valid)   # {0} for {-1, +1}
    if (len(gaps) <= 2 and valid[0] <= lab.min() and lab.max() <= valid[-1]
        and not any((lab == g).any() for g in gaps)):
      return
  with np.errstate(all="ignore"):
    whole = np.isfinite(lab) & (lab == np.round(lab))
  if not np.all(whole):
    raise ValueError(f"{name} must be integers, got values such as {lab[~whole][:3]}")
  values = set(np.unique(lab).astype(int).tolist())
  if not values <= set(valid):
    raise ValueError(
        f"{name} holds values {sorted(values - set(valid))} outside the allowed set {valid}")


def check_binary_labels(labels: Any, n: int, *, name: str = "labels") -> Array:
  """Binary labels in {0, 1} (the lecture's) or {-1, +1}, returned as int32 in {0, 1}.

  When the labels are concrete, values outside the set raise; traced labels are mapped by sign
  (``> 0`` is the positive class).
  """
  if isinstance(labels, (list, tuple)):
    labels = np.asarray(labels)
  if is_concrete(labels):
    lab = np.asarray(labels)
    allowed = (-1, 1) if lab.size and np.any(lab < 0) else (0, 1)
    labels = check_labels(labels, n, allowed=allowed, name=name)
    if allowed == (0, 1):
      return labels
    return jnp.asarray((lab > 0).astype(np.int32))
  labels = check_labels(labels, n, allowed=(0, 1), name=name)
  return (labels > 0).astype(jnp.int32)


def check_two_classes(labels: Array, name: str = "labels") -> None:
  """Raises ``ValueError`` if concrete ``labels`` hold one class only: no classifier to fit."""
  if is_concrete(labels) and labels.size and np.ptp(np.asarray(labels)) == 0:
    raise ValueError(f"{name} hold a single class ({int(np.asarray(labels)[0])}) in all "
                     f"{labels.shape[0]} examples: a classifier needs two or more")
