"""Iterative fitting shared by every model: a fixed-length ``lax.scan`` over any pure loss.

The lecture's gradient descent ``w := w - α dL/dw`` is ``fit_gd``; ``fit_optax`` runs the same loop
with any optax ``GradientTransformation`` (sgd, momentum, adam, lbfgs, ...). Both are pure,
``jit``- and ``vmap``-friendly: the learning rate and every other numeric hyperparameter are
traced arguments, the number of steps is static, and the status of the run comes back as arrays
(a Python warning cannot live under ``vmap``):

* ``losses[t]`` is the loss at the iterate before step ``t``; once the run stops early (``tol``
  reached) the iterate is frozen and the history repeats its loss; once it diverges the history
  repeats the offending (non-finite or exploded) loss, so that ``losses[-1]`` shows the failure.
* ``diverged`` is set when the loss or gradient becomes non-finite or the loss exceeds
  ``divergence_factor × max(|L(θ₀)|, eps)``; the params returned are then the last iterate whose
  loss was acceptable, never NaN.
* ``converged`` is ``grad_norm <= tol``; with the default ``tol = 0`` the loop runs all its steps
  and reports ``converged`` only at an exact stationary point.
* With ``early_exit``, a fit whose optimizer is a line search that keeps the value and gradient
  of the point it accepts (``optax.lbfgs``'s zoom, ``newton_linesearch``: ``minimize``'s
  ``"lbfgs"`` and ``"newton"``, and such an optimizer passed to ``fit_optax``) also stops at a
  step that leaves the params unchanged: the line search found no acceptable step (the loss and
  gradient are at their floating-point floor) and returned one too small to move them, so every
  later step would start from the same point and fail the same way. Before, with ``tol = 0``,
  each such L-BFGS step paid for a full line search (20 trials, a pass over the data each): 30
  steps of float32 least squares at 1M×64 took 13.7 s, where the minimum was reached, to
  rounding, in 5 steps. (Stopping once the loss stops decreasing would be too early: in float32
  it stops while the gradient still guides the steps, 3.7e-7 relative error at 100k×64 where
  the gradient takes it to 2e-8.) ``num_steps`` then falls short of the steps asked for;
  ``converged`` still means ``grad_norm <= tol``.

Derivatives: the scan is differentiable as it stands (``jax.grad`` through every step). The
early-exit ``lax.while_loop`` (``minimize``'s default) takes forward mode only;
``implicit_minimum`` gives a converged fit the derivative of its minimum instead, in both modes
(``fit_logistic`` and ``fit_softmax`` use it).
"""

from __future__ import annotations

import collections
import functools
import types
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import optax
from jax import lax

from linmodels import checks

Array = jax.Array
PyTree = Any
LossFn = Callable[..., Array]


class FitResult(NamedTuple):
  """The outcome of an iterative fit.

  Attributes:
    params: the final parameters (a pytree shaped as the initial ones).
    losses: `[num_steps]` the loss before each step.
    converged: `[]` bool, ``grad_norm <= tol`` at the end.
    diverged: `[]` bool, the loss or gradient blew up (see the module docstring).
    grad_norm: `[]` the global gradient norm at the returned params.
    num_steps: `[]` int32, the number of updates applied.
  """
  params: PyTree
  losses: Array
  converged: Array
  diverged: Array
  grad_norm: Array
  num_steps: Array


def _tree_finite(tree: PyTree) -> Array:
  leaves = jax.tree_util.tree_leaves(tree)
  return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))


def _tree_equal(a: PyTree, b: PyTree) -> Array:
  pairs = zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b))
  return jnp.all(jnp.stack([jnp.all(x == y) for x, y in pairs]))


def _select(pred: Array, on_true: PyTree, on_false: PyTree) -> PyTree:
  return jax.tree_util.tree_map(lambda a, b: jnp.where(pred, a, b), on_true, on_false)


def fit_optax(loss_fn: LossFn, params: PyTree, data: tuple, optimizer: optax.GradientTransformation,
              *, num_steps: int, tol: Array | float = 0.0,
              divergence_factor: Array | float = 1e6, key: Array | None = None,
              batch_size: int | None = None, early_exit: bool = False) -> FitResult:
  """Minimises ``loss_fn(params, *data)`` with an optax optimizer for ``num_steps`` steps.

  The loop is a ``lax.scan`` of fixed length; an optional tolerance freezes the iterate once the
  gradient norm falls to ``tol`` (shapes stay fixed, so this works under ``vmap``). L-BFGS and
  other transformations that need the value and the objective (``optax.lbfgs``) receive them.

  The fit is one compiled program, kept for the next call with the same loss, optimizer
  settings, static arguments and shapes: a second ``fit_optax(loss, p, data, optax.adam(1e-3),
  ...)`` runs without tracing or compiling again, even with a new ``optax.adam(1e-3)`` (functions
  are matched by their code and the values in their closures). A closure holding an array
  compiles afresh on every call; pass arrays through ``data`` instead.

  Args:
    loss_fn: pure ``loss_fn(params, *data) -> []`` scalar loss.
    params: initial parameters, any pytree of float arrays.
    data: a tuple of arrays passed to ``loss_fn`` after ``params``.
    optimizer: an optax ``GradientTransformation``; build it inside the traced function from traced
      hyperparameters (``optax.adam(lr)``) to sweep them with ``vmap``.
    num_steps: number of steps (static).
    tol: `[]` stop once the global gradient norm is at most ``tol`` (traced).
    divergence_factor: `[]` report divergence when the loss exceeds this multiple of the initial
      loss's magnitude (traced).
    key: PRNG key for minibatches (required with ``batch_size``).
    batch_size: if given (static), each step uses ``batch_size`` examples drawn without
      replacement from the leading axis of every array in ``data``; ``losses`` then holds the
      minibatch losses, while the divergence reference and the final ``grad_norm`` use all data.
    early_exit: once converged or diverged, stop (an optimizer that is a line search keeping its
      value and gradient, e.g. ``optax.lbfgs()``, also at a step that leaves the params
      unchanged; see the module docstring): the loop is a ``lax.while_loop`` instead of the
      scan (static). Worth it for fits that stop early (Newton, L-BFGS) when called directly.
      Under ``vmap`` the loop runs until every member is done, and each step selects between the
      members' states (a learning-rate sweep ran 10× slower that way with a per-step
      ``lax.cond``), so it is off by default. Not reverse-differentiable, unlike the scan.

  Returns:
    A ``FitResult``.

  >>> import jax.numpy as jnp, optax
  >>> loss = lambda w, xs, ys: jnp.mean((xs @ w - ys) ** 2)
  >>> xs, ys = jnp.eye(2), jnp.array([1.0, -2.0])
  >>> res = fit_optax(loss, jnp.zeros(2), (xs, ys), optax.adam(0.1), num_steps=300)
  >>> res.params.round(3), bool(res.diverged)
  (Array([ 1., -2.], dtype=float32), False)
  """
  if not (callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None))):
    raise TypeError(f"fit_optax: optimizer must be an optax GradientTransformation (e.g. "
                    f"optax.adam(1e-3)), got {type(optimizer).__name__} {optimizer!r:.60}")
  if batch_size is not None and key is None:
    raise ValueError("fit_optax: batch_size needs a PRNG key")
  if batch_size is not None:
    n = jax.tree_util.tree_leaves(data)[0].shape[0]
    if not 0 < batch_size <= n:
      raise ValueError(f"batch_size={batch_size} must be in 1..{n} (the number of examples)")
  return _run_fit(loss_fn, functools.partial(_given, optimizer), (), params, data,
                  num_steps=num_steps, tol=tol, divergence_factor=divergence_factor, key=key,
                  batch_size=batch_size, early_exit=early_exit)


# ----------------------------------------------------------------------------------------------
# One compiled program per fit, reused across calls.
#
# A fit is one ``jax.jit`` program (not one dispatch per eager operation around the loop). A
# ``jax.jit`` of a closure made afresh in each call would trace and compile it again every time:
# 0.5 s for a 100-step ``fit_gd`` at 1000×8 on this project's 2-core CPU, 2 s for L-BFGS, where
# the fit itself takes a few milliseconds. The compiled programs are kept here instead, keyed
# by what the traced program depends on: the loss function, the optimizer recipe and the static
# settings (shapes and dtypes are ``jax.jit``'s own key). Functions are keyed by their code and
# what their closures hold, compared by value, so that ``optax.adam(1e-3)`` or a loss lambda
# made again in a loop (the usual script: a fresh optimizer per seed) finds the program of the
# previous call; numbers in a closure are baked into the program, so a different value is a
# different key. Anything in a closure that cannot be compared by value (an array, a tracer)
# makes the call compile afresh, as before.

_FIT_CACHE_SIZE = 64
_fit_cache: collections.OrderedDict = collections.OrderedDict()


def _given(optimizer, hyper, data):
  del hyper, data
  return optimizer


def _run_fit(loss_fn, make_optimizer, hyper, params, data, *, num_steps, tol, divergence_factor,
             key, batch_size, early_exit) -> FitResult:
  """``_fit`` with ``make_optimizer(hyper, data)`` (``hyper``: traced hyperparameters) in one
  ``jax.jit`` program, taken from ``_fit_cache`` where an equal one was compiled before."""
  num_steps = checks.static_count(num_steps, "num_steps")
  if not isinstance(data, (tuple, list)):
    # An array here was unpacked row by row: "loss() takes 3 positional arguments but 61 were
    # given".
    raise TypeError(f"data must be a tuple of what loss_fn takes after params, e.g. (xs, ys), "
                    f"got {type(data).__name__}"
                    + (f" of shape {tuple(data.shape)}" if hasattr(data, "shape") else ""))
  checks.check_penalty(tol, "tol")
  args = (params, data, hyper, tol, divergence_factor, key)
  static = (num_steps, batch_size, early_exit)
  try:
    # Under an outer jit or vmap the arguments are tracers; the cached function is traced into
    # the caller's program (an eager vmap then finds its batched program too). A closure that
    # holds a tracer cannot be keyed and is never kept.
    cache_key = (_program_key(loss_fn), _program_key(make_optimizer), static)
    hash(cache_key)
  except TypeError:
    return _compile_fit(loss_fn, make_optimizer, *static)(*args)
  run = _fit_cache.get(cache_key)
  if run is None:
    run = _fit_cache[cache_key] = _compile_fit(loss_fn, make_optimizer, *static)
    while len(_fit_cache) > _FIT_CACHE_SIZE:
      _fit_cache.popitem(last=False)
  else:
    _fit_cache.move_to_end(cache_key)
  return run(*args)


def _compile_fit(loss_fn, make_optimizer, num_steps, batch_size, early_exit):
  @jax.jit
  def run(params, data, hyper, tol, divergence_factor, key):
    optimizer = optax.with_extra_args_support(make_optimizer(hyper, data))
    return _fit(loss_fn, optimizer, params, data, num_steps, tol, divergence_factor, key,
                batch_size, early_exit)
  return run


_ATOMS = (bool, int, float, complex, str, bytes, type(None), type(Ellipsis))


def _program_key(obj, depth: int = 0, within: frozenset = frozenset()):
  """A hashable stand-in for ``obj`` that is equal for two objects that trace to the same program.

  Numbers and strings by value; tuples (named ones included), lists, dicts and
  ``functools.partial`` item by item, as they are at this call (the program bakes in what it
  reads while tracing, so the key holds the same values); plain functions by their code,
  defaults, closure contents and the module globals their code names (so that a changed global
  number is a changed key, while a function that calls itself is keyed once); any other hashable
  object by its type and itself (its own ``==``: identity by default, and the key keeps it alive,
  so an identity is never reused). Raises ``TypeError`` for what cannot be compared: arrays,
  tracers, sets of them, unhashable objects.
  """
  if depth > 64:
    raise TypeError("too deeply nested to key")
  if isinstance(obj, _ATOMS):
    return (type(obj), obj)
  if isinstance(obj, jax.core.Tracer):
    raise TypeError("a tracer")
  sub = lambda o: _program_key(o, depth + 1, within)
  if isinstance(obj, (tuple, list)):
    # Lists by their contents at this call: a list changed since an earlier call is a new key.
    return (type(obj), tuple(sub(o) for o in obj))
  if isinstance(obj, dict):
    return (type(obj), tuple((sub(k), sub(v)) for k, v in obj.items()))
  if isinstance(obj, functools.partial):
    return (functools.partial, sub(obj.func), sub(obj.args),
            sub(tuple(sorted(obj.keywords.items()))))
  if isinstance(obj, types.FunctionType):
    code = obj.__code__
    if code in within:  # recursion: the code is already part of the key being built
      return (types.FunctionType, code)
    inner = lambda o: _program_key(o, depth + 1, within | {code})
    try:
      cells = tuple(inner(c.cell_contents) for c in obj.__closure__ or ())
    except ValueError as e:  # an empty cell (a name not yet bound)
      raise TypeError("an empty closure cell") from e
    names = _global_names(code)
    used = tuple((name, inner(obj.__globals__[name])) for name in names
                 if name in obj.__globals__)
    kwdefaults = tuple(sorted((obj.__kwdefaults__ or {}).items()))
    return (types.FunctionType, code, cells, inner(obj.__defaults__), inner(kwdefaults), used)
  if isinstance(obj, types.ModuleType):
    return (types.ModuleType, obj)
  hash(obj)
  return (type(obj), obj)


@functools.lru_cache(maxsize=4096)
def _global_names(code: types.CodeType) -> tuple[str, ...]:
  """The names ``code`` (and the functions defined in it) may look up as globals, sorted."""
  names = set(code.co_names)
  for const in code.co_consts:
    if isinstance(const, types.CodeType):
      names.update(_global_names(const))
  return tuple(sorted(names))


class _Carry(NamedTuple):
  params: PyTree
  opt_state: Any
  done: Array
  converged: Array
  diverged: Array
  steps: Array
  last_loss: Array
  grad_norm: Array


def _fit(loss_fn, optimizer, params, data, num_steps, tol, divergence_factor, key,
         batch_size, early_exit) -> FitResult:
  value_fn = lambda p: loss_fn(p, *data)
  value_and_grad = jax.value_and_grad(value_fn)
  n = jax.tree_util.tree_leaves(data)[0].shape[0]
  step_keys = (jax.random.split(key, num_steps) if batch_size is not None
               else jnp.zeros((num_steps,), jnp.int32))
  # Line searches that keep the value and gradient of the point they accept (optax's zoom, the
  # one of optax.lbfgs) spare each step its own pass over the data: L-BFGS logistic regression
  # at 100k×100 took 96 ms instead of 177 ms here. The state starts with those of the initial
  # point, so every step (and the final gradient norm) reads them from it; newton_linesearch's
  # init evaluates them itself, with the Hessian. (optax's backtracking with store_grad gets its
  # gradient by linearising the loss, which made Newton slower: 373 against 280 ms.)
  opt_state0 = optimizer.init(params)
  reuse = batch_size is None and _stores_value_and_grad(opt_state0)
  if reuse and _evaluated_by_init(opt_state0):
    loss0, grad0 = optax.tree.get(opt_state0, "value"), optax.tree.get(opt_state0, "grad")
  elif reuse:
    loss0, grad0 = value_and_grad(params)
    opt_state0 = optax.tree.set(opt_state0, value=loss0, grad=grad0)
  else:
    loss0 = value_fn(params)
  limit = divergence_factor * jnp.maximum(jnp.abs(loss0), jnp.finfo(jnp.result_type(loss0)).eps)

  def from_state(state):
    return optax.tree.get(state, "value"), optax.tree.get(state, "grad")

  def active_step(c: _Carry, step_key):
    if reuse:
      batch_value_fn = value_fn
      loss_and_grads = lambda _: from_state(c.opt_state)
    elif batch_size is None:
      batch_value_fn, loss_and_grads = value_fn, value_and_grad
    else:
      idx = jax.random.permutation(step_key, n)[:batch_size]
      batch = jax.tree_util.tree_map(lambda a: a[idx], data)
      batch_value_fn = lambda p: loss_fn(p, *batch)
      loss_and_grads = jax.value_and_grad(batch_value_fn)
    loss, grads = loss_and_grads(c.params)
    gnorm = optax.tree.norm(grads)
    bad = ~jnp.isfinite(loss) | ~jnp.isfinite(gnorm) | (loss > limit)
    newly_diverged = bad & ~c.done
    newly_converged = ~bad & (gnorm <= tol) & ~c.done
    updates, opt_state = optimizer.update(grads, c.opt_state, c.params, value=loss, grad=grads,
                                          value_fn=batch_value_fn)
    new_params = optax.apply_updates(c.params, updates)
    # A line search that found no acceptable step returns one too small to change the params in
    # their precision: the next step starts from the same point and fails the same way. Stop
    # there, done but not converged unless tol is met.
    stalled = False
    if early_exit and reuse:
      stalled = ~bad & ~c.done & _tree_equal(new_params, c.params)
    moving = ~(c.done | newly_diverged | newly_converged | stalled)
    recorded = jnp.where(c.done, c.last_loss, loss)
    carry = _Carry(
        params=_select(moving, new_params, c.params),
        opt_state=_select(moving, opt_state, c.opt_state),
        done=c.done | newly_diverged | newly_converged | stalled,
        converged=c.converged | newly_converged,
        diverged=c.diverged | newly_diverged,
        steps=c.steps + moving.astype(jnp.int32),
        last_loss=recorded,
        grad_norm=jnp.where(c.done, c.grad_norm, gnorm),
    )
    return carry, recorded

  init = _Carry(params=params, opt_state=opt_state0, done=jnp.array(False),
                converged=jnp.array(False), diverged=jnp.array(False), steps=jnp.int32(0),
                last_loss=loss0, grad_norm=jnp.asarray(jnp.inf, loss0.dtype))
  # With no steps the while loop's body could not be traced (it indexes the empty step_keys);
  # the empty scan returns the start as it is.
  if early_exit and num_steps > 0:
    # A while loop that ends once the run is done: a scan with a lax.cond per remaining step
    # still paid the loop and the branch each time (breast-cancer Newton: 42 idle steps of 50,
    # 0.18 ms of 0.81). The history is filled as the scan would have written it: once done,
    # each later entry repeats the last recorded loss.
    def body(state):
      c, losses, i = state
      c, recorded = active_step(c, step_keys[i])
      return c, losses.at[i].set(recorded), i + 1

    final, losses, stop = lax.while_loop(
        lambda state: (state[2] < num_steps) & ~state[0].done, body,
        (init, jnp.zeros((num_steps,), loss0.dtype), jnp.int32(0)))
    losses = jnp.where(jnp.arange(num_steps) < stop, losses, final.last_loss)
  else:
    final, losses = lax.scan(active_step, init, step_keys)
  # The gradient norm at the params actually returned (one more evaluation, outside the loop,
  # unless the optimizer's state holds it: its stored point is always the returned params).
  if reuse:
    _, grads = from_state(final.opt_state)
  else:
    _, grads = value_and_grad(final.params)
  gnorm = jnp.where(final.diverged, final.grad_norm, optax.tree.norm(grads))
  converged = final.converged | (~final.diverged & (gnorm <= tol))
  return FitResult(params=final.params, losses=losses, converged=converged,
                   diverged=final.diverged, grad_norm=gnorm, num_steps=final.steps)


def _evaluated_by_init(opt_state) -> bool:
  # newton_linesearch's init evaluates the objective at the initial params (with its Hessian).
  leaves = jax.tree_util.tree_leaves(opt_state, is_leaf=lambda s: isinstance(s, NewtonState))
  return any(isinstance(leaf, NewtonState) for leaf in leaves)


def _stores_value_and_grad(opt_state) -> bool:
  try:
    return (optax.tree.get(opt_state, "value") is not None
            and optax.tree.get(opt_state, "grad") is not None)
  except (KeyError, ValueError):
    return False


def fit_gd(loss_fn: LossFn, params: PyTree, data: tuple, learning_rate: Array | float, *,
           num_steps: int, tol: Array | float = 0.0,
           divergence_factor: Array | float = 1e6) -> FitResult:
  """The lecture's gradient descent ``θ := θ - α ∇L(θ)`` as a fixed-length ``lax.scan``.

  This is ``fit_optax`` with ``optax.sgd(learning_rate)``, which is exactly that update.

  Args:
    loss_fn: pure ``loss_fn(params, *data) -> []``.
    params: initial parameters (any pytree).
    data: tuple of arrays passed to ``loss_fn``.
    learning_rate: `[]` the step size ``α`` (traced: ``jax.vmap`` over it sweeps without
      recompiling).
    num_steps: number of steps (static).
    tol: `[]` gradient-norm tolerance for an early, shape-preserving stop.
    divergence_factor: `[]` see ``fit_optax``.

  Returns:
    A ``FitResult``.

  >>> import jax, jax.numpy as jnp
  >>> from linmodels.linear import LinearParams
  >>> from linmodels.linear_regression import mse_loss
  >>> xs = jnp.array([[0.0], [1.0], [2.0]]); ys = jnp.array([1.0, 3.0, 5.0])
  >>> p0 = LinearParams(jnp.zeros(1), jnp.zeros(()))
  >>> res = fit_gd(mse_loss, p0, (xs, ys), 0.5, num_steps=500)
  >>> res.params.w.round(3), res.params.b.round(3)
  (Array([2.], dtype=float32), Array(1., dtype=float32))
  >>> sweep = jax.vmap(lambda lr: fit_gd(mse_loss, p0, (xs, ys), lr, num_steps=50).losses[-1])
  >>> sweep(jnp.array([0.01, 0.1, 0.5])).shape
  (3,)
  """
  checks.check_step_size(learning_rate)
  return _run_fit(loss_fn, _sgd, learning_rate, params, data, num_steps=num_steps, tol=tol,
                  divergence_factor=divergence_factor, key=None, batch_size=None,
                  early_exit=False)


def _sgd(learning_rate, data):
  del data
  return optax.sgd(learning_rate)


def _adam(learning_rate, data):
  del data
  return optax.adam(learning_rate)


def _lbfgs(learning_rate, data):
  del learning_rate, data
  return optax.lbfgs()


def _newton(value_grad_hessian_fn, loss_fn, pseudo_inverse, learning_rate, data):
  del learning_rate
  if value_grad_hessian_fn is None:
    value_grad_hessian_fn = _autodiff_value_grad_hessian(loss_fn, data)
  return newton_linesearch(value_grad_hessian_fn, pseudo_inverse=pseudo_inverse)


def _newton_direction(hess: Array, flat_grads: Array, damping: Array | float,
                      pseudo_inverse: bool) -> Array:
  """``-(H + damping·I)⁻¹ g`` (or with the pseudo-inverse of the symmetric ``H``), flat.

  A numerically singular ``H`` (an LU pivot below ``p · eps`` times the largest: collinear
  features, a constant column beside the intercept, fewer examples than parameters) takes the
  pseudo-inverse step instead, in a ``lax.cond`` that costs nothing otherwise. Its solve had
  returned NaN, or (breast-cancer features with one repeated, float32) finite steps of 10⁵ along
  the null direction, which left the weights there and the fit unconverged after 50 steps.
  """
  hess = hess + damping * jnp.eye(flat_grads.shape[0], dtype=hess.dtype)
  if pseudo_inverse:
    return _pinv_direction(hess, flat_grads)
  lu, pivots = jsl.lu_factor(hess)
  u = jnp.abs(jnp.diagonal(lu))
  regular = jnp.min(u) > jnp.finfo(u.dtype).eps * u.shape[0] * jnp.max(u)  # False for NaN
  return lax.cond(regular, lambda: -jsl.lu_solve((lu, pivots), flat_grads),
                  lambda: _pinv_direction(hess, flat_grads))


def _pinv_direction(hess: Array, flat_grads: Array) -> Array:
  lam, vecs = jnp.linalg.eigh(hess)
  keep = lam > jnp.finfo(lam.dtype).eps * lam.shape[0] * jnp.max(jnp.abs(lam))
  inv = jnp.where(keep, 1.0 / jnp.where(keep, lam, 1.0), 0.0)
  return -jnp.matmul(vecs, inv * jnp.matmul(vecs.T, flat_grads, precision=lax.Precision.HIGHEST),
                     precision=lax.Precision.HIGHEST)


def newton(hessian_fn: Callable[[PyTree], Array] | None = None, damping: Array | float = 0.0, *,
           pseudo_inverse: bool = False) -> optax.GradientTransformationExtraArgs:
  """Newton's method as an optax transformation: ``θ := θ - (H + damping·I)⁻¹ ∇L(θ)``.

  The bare Newton direction, to chain with any optax line search (``minimize`` uses
  ``newton_linesearch``, which evaluates the objective itself and needs fewer passes).

  Args:
    hessian_fn: ``params -> [p, p]`` Hessian over the flattened params (in
      ``jax.flatten_util.ravel_pytree`` order); by default ``jax.hessian`` of the objective, which
      ``fit_optax`` passes as ``value_fn``.
    damping: `[]` Levenberg damping added to the diagonal (traced).
    pseudo_inverse: step with the pseudo-inverse of the symmetric Hessian (an eigendecomposition)
      instead of solving with it: directions of negative curvature are dropped, and a singular
      Hessian gives the minimum-norm Newton step. Softmax regression needs this (its weights are
      defined only up to a common shift of the classes' columns). Without it, an LU solve, and
      the pseudo-inverse step only where the Hessian is numerically singular (an LU pivot below
      ``p · eps`` times the largest).

  Returns:
    An optax ``GradientTransformationExtraArgs`` for ``fit_optax``.

  >>> import jax.numpy as jnp, optax
  >>> loss = lambda w, a, c: 0.5 * w @ a @ w - c @ w          # minimum at a⁻¹c = [1, -2]
  >>> a, c = jnp.array([[2.0, 0.0], [0.0, 4.0]]), jnp.array([2.0, -8.0])
  >>> res = fit_optax(loss, jnp.zeros(2), (a, c), newton(lambda w: a), num_steps=1)
  >>> res.params
  Array([ 1., -2.], dtype=float32)
  """
  from jax.flatten_util import ravel_pytree

  def init_fn(params):
    del params
    return optax.EmptyState()

  def update_fn(updates, state, params=None, *, value_fn=None, **extra_args):
    del extra_args
    flat_params, unravel = ravel_pytree(params)
    flat_grads, _ = ravel_pytree(updates)
    if hessian_fn is not None:
      hess = hessian_fn(params)
    else:
      hess = jax.hessian(lambda flat: value_fn(unravel(flat)))(flat_params)
    return unravel(_newton_direction(hess, flat_grads, damping, pseudo_inverse)), state

  return optax.GradientTransformationExtraArgs(init_fn, update_fn)


# Near the minimum a float32 loss cannot resolve the decrease of a Newton step: without a little
# slack the Armijo test rejected every step there and backtracked 30 times a step.
_ARMIJO_RTOL = 1e-6


class NewtonState(NamedTuple):
  """State of ``newton_linesearch``: the objective at the current params, from one evaluation.

  Attributes:
    value: `[]` the objective.
    grad: its gradient (a pytree shaped as the params).
    hessian: `[p, p]` its Hessian over the flattened params.
    learning_rate: `[]` the step length last accepted (1 for a full Newton step).
    num_linesearch_steps: `[]` int32, the trials the last step rejected.
  """
  value: Array
  grad: PyTree
  hessian: Array
  learning_rate: Array
  num_linesearch_steps: Array


def newton_linesearch(value_grad_hessian_fn: Callable[[PyTree], tuple[Array, PyTree, Array]],
                      damping: Array | float = 0.0, *, pseudo_inverse: bool = False,
                      max_backtracking_steps: int = 30, decrease_factor: float = 0.5,
                      rtol: float = _ARMIJO_RTOL, slope_rtol: float = 1e-4
                      ) -> optax.GradientTransformationExtraArgs:
  """The globalised Newton method: the Newton direction, then a backtracking Armijo line search
  that tries the full step first; never increases the objective.

  Each trial point is evaluated by ``value_grad_hessian_fn`` in one call, and the state keeps
  what it returned: an accepted full step (the usual case) hands the next step its value,
  gradient and Hessian, so a step costs one evaluation instead of three (value and gradient,
  Hessian, the line search's value: ``newton`` chained with
  ``optax.scale_by_backtracking_linesearch``). Logistic regression's Newton fit, with its one-pass
  IRLS evaluation, went from 0.49 to 0.35 ms on the breast-cancer data (8 steps) and from 245 to
  204 ms at 100k×100 (5 steps) against that chain on 2 CPU cores.
  A rejected trial pays for a gradient and Hessian it does not use; from ``w = 0`` the full step
  is nearly always taken. The full step is evaluated before the backtracking loop, which runs
  only when it is rejected. The alternatives compile less (the evaluation is traced three times
  here: at init, for the full step and in the loop) but ran slower on the breast-cancer fit, in
  one run with an earlier IRLS pass: 0.59 ms evaluating only the value in the loop, with a
  ``lax.cond`` for the rest; 0.63 ms with the loop trying the full step itself; 0.58 ms with one
  trial per step of ``fit_optax`` and no inner loop; 0.44 ms this way.

  The acceptance test is optax's: ``L(θ + t d) ≤ (1 + rtol) L(θ) + slope_rtol · t · ∇Lᵀd``, with
  ``t`` halved (``decrease_factor``) from 1 up to ``max_backtracking_steps`` times; ``rtol``
  leaves the float32 rounding of the loss near the minimum (which cannot resolve a Newton step's
  decrease) from rejecting every step. If no trial passes, the last one is taken, as optax does;
  a non-finite value there makes ``fit_optax`` report divergence.

  The gradient ``fit_optax`` passes is not used: the state's, evaluated at the same params, is
  (``fit_optax`` reads the value and gradient from the state and evaluates nothing itself).

  Args:
    value_grad_hessian_fn: ``params -> (value [], grad (a pytree like params), hessian [p, p])``
      over the flattened params (``jax.flatten_util.ravel_pytree`` order).
    damping: `[]` Levenberg damping added to the Hessian's diagonal (traced).
    pseudo_inverse: see ``newton``.
    max_backtracking_steps, decrease_factor, rtol, slope_rtol: the line search (static).

  Returns:
    An optax ``GradientTransformationExtraArgs`` whose state is a ``NewtonState``.
  """
  from jax.flatten_util import ravel_pytree

  def init_fn(params):
    value, grad, hess = value_grad_hessian_fn(params)
    return NewtonState(value, grad, hess, jnp.ones((), value.dtype), jnp.int32(0))

  def update_fn(updates, state, params=None, **extra_args):
    del updates, extra_args
    flat_grads, unravel = ravel_pytree(state.grad)
    direction = _newton_direction(state.hessian, flat_grads, damping, pseudo_inverse)
    slope = jnp.vdot(direction, flat_grads)
    step = unravel(direction)

    def accepted(lr, value):
      return value - (1.0 + rtol) * state.value - lr * slope_rtol * slope <= 0  # False for NaN

    one = jnp.ones((), state.value.dtype)
    value, grad, hess = value_grad_hessian_fn(optax.tree.add_scale(params, one, step))
    init = (one, jnp.int32(0), accepted(one, value), value, grad, hess)

    def cond_fn(s):
      return ~s[2] & (s[1] < max_backtracking_steps)

    def body(s):
      lr, i = s[0] * decrease_factor, s[1]
      value, grad, hess = value_grad_hessian_fn(optax.tree.add_scale(params, lr, step))
      return lr, i + 1, accepted(lr, value), value, grad, hess

    lr, i, _, value, grad, hess = lax.while_loop(cond_fn, body, init)
    return optax.tree.scale(lr, step), NewtonState(value, grad, hess, lr, i)

  return optax.GradientTransformationExtraArgs(init_fn, update_fn)


SOLVERS = ("gd", "newton", "lbfgs", "adam")
# The solvers that take a step size (the others ignore learning_rate).
STEP_SIZE_SOLVERS = ("gd", "adam")

def minimize(loss_fn: LossFn, params: PyTree, data: tuple, *, method: str, num_steps: int,
             learning_rate: Array | float = 1.0, tol: Array | float = 0.0,
             value_grad_hessian_fn: Callable[[PyTree], tuple[Array, PyTree, Array]] | None = None,
             pseudo_inverse: bool = False, early_exit: bool = True) -> FitResult:
  """``fit_optax`` with a solver chosen by name: ``"gd"`` (``optax.sgd(learning_rate)``),
  ``"newton"`` (``newton_linesearch``: the globalised Newton method, which never increases the
  loss; plain Newton steps on nearly separable data blew up in float32), ``"lbfgs"``
  (``optax.lbfgs()`` with its zoom line search) or ``"adam"`` (``optax.adam(learning_rate)``).
  Used by the classifiers' ``fit_*`` functions.

  ``value_grad_hessian_fn(params) -> (value, grad, hessian)`` serves Newton's method: one pass
  over the data where the model has one (logistic regression's IRLS pass); by default
  ``jax.value_and_grad`` and ``jax.hessian`` of ``loss_fn``.

  With ``early_exit`` (default) the run stops once ``grad_norm <= tol``, and for ``"lbfgs"`` and
  ``"newton"`` also at a step that leaves the params unchanged (a line search that found no
  acceptable step; see the module docstring): ``num_steps`` of the result is then below the steps
  asked for, and ``converged`` tells whether ``tol`` was met."""
  makers = {"gd": _sgd, "lbfgs": _lbfgs, "adam": _adam,
            "newton": functools.partial(_newton, value_grad_hessian_fn, loss_fn, pseudo_inverse)}
  if method not in makers:
    raise ValueError(f"unknown method {method!r}; choose one of {SOLVERS}")
  if method in STEP_SIZE_SOLVERS:
    checks.check_step_size(learning_rate)
  return _run_fit(loss_fn, makers[method], learning_rate, params, data, num_steps=num_steps,
                  tol=tol, divergence_factor=1e6, key=None, batch_size=None,
                  early_exit=early_exit)


def _autodiff_value_grad_hessian(loss_fn: LossFn, data: tuple):
  from jax.flatten_util import ravel_pytree

  def fn(params):
    value, grad = jax.value_and_grad(loss_fn)(params, *data)
    flat, unravel = ravel_pytree(params)
    return value, grad, jax.hessian(lambda f: loss_fn(unravel(f), *data))(flat)

  return fn


def implicit_minimum(objective: Callable[..., Array], params: PyTree, theta: tuple,
                     hessian_fn: Callable[..., Array] | None = None) -> PyTree:
  """``params``, a minimiser of ``objective(params, *theta)``, with the derivative of the
  minimiser in ``theta``: ``dp = -H⁻¹ (∂/∂θ ∇ₚ objective) dθ`` (the implicit function theorem
  applied to ``∇ₚ objective = 0``), in forward and reverse mode.

  A fit that stops early runs a ``lax.while_loop``, which ``jax.grad`` cannot differentiate, and
  the derivative of its iterations is not the derivative of the minimum anyway. Run the fit on
  ``lax.stop_gradient`` inputs and pass its answer here: the value is ``params`` unchanged, and
  nothing is computed unless the result is differentiated. ``H`` is the Hessian at ``params``
  (``hessian_fn(params, *theta)``, `[p, p]` over ``ravel_pytree(params)``; by default
  ``jax.hessian``), solved as a Newton step is (LU, or the pseudo-inverse where ``H`` is
  numerically singular, e.g. softmax's redundant class). Meaningful where ``params`` is a
  minimiser with ``∇ₚ objective = 0``: at an unconverged or separated (unbounded) fit it is the
  derivative of a point that is not one. ``objective`` must be forward-differentiable (a plain
  ``jnp`` loss, not a ``jax.custom_vjp`` one).

  >>> import jax, jax.numpy as jnp
  >>> f = lambda p, a: 0.5 * jnp.sum((p - a) ** 2)   # minimiser p* = a, so dp*/da = I
  >>> jax.grad(lambda a: jnp.sum(implicit_minimum(f, jax.lax.stop_gradient(a), (a,))))(
  ...     jnp.array([1.0, 2.0])).tolist()
  [1.0, 1.0]
  """
  return _at_minimum(objective, hessian_fn, params, tuple(theta))


def fit_at_values(fit: Callable[..., Any], objective: Callable[..., Array], theta: tuple,
                  hessian_fn: Callable[..., Array] | None = None) -> Any:
  """``fit(*theta)`` run on ``lax.stop_gradient`` values, its ``params`` given the implicit
  derivative of the minimum of ``objective(params, *theta)`` (``implicit_minimum``): how
  ``fit_logistic`` and ``fit_softmax`` make their early-exit fits differentiable in both modes.
  ``fit`` returns a ``NamedTuple`` with a ``params`` field and closes over nothing differentiable
  (stop the gradient of anything else it reads)."""
  result = fit(*(jax.tree_util.tree_map(lax.stop_gradient, t) for t in theta))
  return result._replace(
      params=implicit_minimum(objective, result.params, theta, hessian_fn=hessian_fn))


@functools.partial(jax.custom_jvp, nondiff_argnums=(0, 1))
def _at_minimum(objective, hessian_fn, params, theta):
  del objective, hessian_fn, theta
  return params


@_at_minimum.defjvp
def _at_minimum_jvp(objective, hessian_fn, primals, tangents):
  from jax.flatten_util import ravel_pytree
  params, theta = primals
  _, dtheta = tangents
  flat, unravel = ravel_pytree(params)
  grad_p = lambda th: ravel_pytree(jax.grad(objective)(params, *th))[0]
  _, dg = jax.jvp(grad_p, (theta,), (dtheta,))
  if hessian_fn is None:
    hess = jax.hessian(lambda f: objective(unravel(f), *theta))(flat)
  else:
    hess = hessian_fn(params, *theta)
  return params, unravel(_newton_direction(hess, dg, 0.0, pseudo_inverse=False))
