"""``jax.jit`` for the closed-form and classical solvers: the same program, compiled faster on CPU.

A first call of ``lstsq`` or ``fit_logistic`` on a new shape spends far longer compiling than
running: their programs are many small kernels (a Gram pass, a Cholesky factor, a power
iteration, a refinement or line-search loop), and XLA:CPU compiles each one through LLVM. XLA's
newer MLIR fusion emitters, its default, take longer per kernel than its older emitters, and for
these solvers they produced no faster code. ``solver_jit`` compiles top-level calls on CPU with
``CPU_COMPILER_OPTIONS`` (the older emitters). Measured on this project's 2-core CPU (jax 0.10.2,
float32, compile seconds from the same lowered program, run times interleaved in one process):

  call                              compile (s)    run (median ms)
  lstsq (auto) 10k×64               1.75 → 0.70    1.97 → 1.86
  lstsq (auto) 1M×64                1.64 → 0.75    146 → 145
  lstsq (auto) 20k×1024             2.16 → 1.49    317 → 312
  lstsq (cholesky) 200k×256         0.80 → 0.40    250 → 254
  fit_logistic (lbfgs) 100k×100     1.70 → 1.29    57.0 → 60.2 (min 53.8 → 53.0)
  fit_logistic (newton) 100k×100    1.66 → 1.08    147 → 165 (min 137 → 138)
  fit_perceptron 20k×20 (*)         1.92 → 1.39    20.8 → 20.4
  ridge_path, 256 strengths         0.29 → 0.21    6.14 → 6.21

((*) measured again after the loop was rewritten, as the first compile in its process, median of
6 processes; the row before, for the categorical loop, read 1.10 → 0.81 s and 1799 → 1823 ms.)
The fitted numbers were bit-for-bit the same in every row. A user meets the first call in a
fresh process, which adds tracing and the small eager operations around the solver; ``python -m
benchmarks --only compile_options`` times it both ways (at 30k×48; the run at commit 6e01047,
the one in ``benchmarks/RESULTS.md`` when this was written: lstsq auto 3.04 → 2.37 s,
fit_logistic newton 2.23 → 1.58 s, fit_softmax lbfgs 2.69 → 2.53 s, fit_perceptron 1.42 → 1.13
s; an earlier run read 2.91 → 1.75, 2.43 → 1.98, 3.26 → 2.46 and 1.11 → 0.96 s). ``fit_softmax``
takes the options too since its fits use ``fused_softmax_loss`` (L-BFGS at 20k×50 with 10
classes: compile 1.86 → 1.11 s, 33.1 → 33.2 ms); through the autodiff gradient of optax's
cross-entropy the older emitters had made it 30% slower. Where they still make the code slower,
the default stays: ``fit_mlp`` (an Adam step 20% slower), and ``fit_gd``/``fit_optax``, whose
losses are the user's.

The options apply only where they can: on the CPU backend, at the top level (``jax.jit`` refuses
compiler options on a jit nested in another trace; inside a user's ``jit``, ``vmap`` or ``grad``
the call is traced into the outer program as usual), and where this XLA still knows the option
(checked once by compiling a one-line program; otherwise the default). ``LINMODELS_XLA_DEFAULT=1``
in the environment turns it off, for comparing against XLA's defaults.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Callable

import jax

CPU_COMPILER_OPTIONS: dict[str, Any] = {"xla_cpu_use_fusion_emitters": False}


def solver_jit(fun: Callable | None = None, /, **jit_kwargs) -> Callable:
  """``jax.jit(fun, **jit_kwargs)`` whose top-level CPU calls compile with ``CPU_COMPILER_OPTIONS``.

  Used as ``@solver_jit`` or ``@functools.partial(solver_jit, static_argnames=...)``. The result
  is called like the jitted function; ``.plain`` and ``.cpu`` are the two ``jax.jit`` objects
  behind it (for ``.lower``).

  >>> import jax.numpy as jnp
  >>> double = solver_jit(lambda x: 2 * x)
  >>> double(jnp.arange(3.0)).tolist()
  [0.0, 2.0, 4.0]
  >>> jax.jit(lambda x: double(x) + 1)(jnp.ones(2)).tolist()   # nested: the plain jit
  [3.0, 3.0]
  """
  if fun is None:
    return functools.partial(solver_jit, **jit_kwargs)
  plain = jax.jit(fun, **jit_kwargs)
  cpu = jax.jit(fun, compiler_options=CPU_COMPILER_OPTIONS, **jit_kwargs)

  @functools.wraps(fun)
  def call(*args, **kwargs):
    if not _top_level_cpu(args, kwargs):
      return plain(*args, **kwargs)
    try:
      return cpu(*args, **kwargs)
    except ValueError as e:
      # Concrete arguments inside someone else's trace (e.g. NumPy arrays closed over by a jit).
      if "compiler_options" not in str(e):
        raise
      return plain(*args, **kwargs)

  call.plain, call.cpu = plain, cpu
  return call


def _top_level_cpu(args, kwargs) -> bool:
  if os.environ.get("LINMODELS_XLA_DEFAULT", "") not in ("", "0"):
    return False
  if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves((args, kwargs))):
    return False
  return jax.default_backend() == "cpu" and _options_supported()


@functools.cache
def _options_supported() -> bool:
  try:
    jax.jit(lambda x: x + 1, compiler_options=CPU_COMPILER_OPTIONS)(1.0)
  except Exception:  # noqa: BLE001 - any refusal (an unknown option, a changed API) means "no"
    return False
  return True
