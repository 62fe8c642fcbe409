"""Timing that a sceptical reviewer accepts: compile time apart, warm-up excluded, every repeat
kept, ``block_until_ready`` on everything returned."""

from __future__ import annotations

import itertools
import statistics
import time
from typing import Any, Callable

import jax

_TURN_GROUPS = itertools.count()


def _block(x: Any) -> Any:
  try:
    return jax.block_until_ready(x)
  except Exception:  # non-JAX results (numpy, torch, sklearn estimators) are already computed
    return x


def measure(fn: Callable[[], Any], *, repeats: int = 5, min_time: float = 0.0) -> dict:
  """Runs ``fn`` once to compile/warm up (timed as ``first_call_s``), then ``repeats`` more times.

  Returns:
    ``{"first_call_s", "times_s", "median_s", "min_s", "max_s", "result"}``; ``compile_s`` is
    ``first_call_s - median_s`` (the first call's extra cost: tracing and compilation).
  """
  t0 = time.perf_counter()
  result = _block(fn())
  first = time.perf_counter() - t0
  times = []
  total = 0.0
  while len(times) < repeats or total < min_time:
    t0 = time.perf_counter()
    _block(fn())
    dt = time.perf_counter() - t0
    times.append(dt)
    total += dt
    if len(times) >= 10 * repeats:
      break
  med = statistics.median(times)
  return {"first_call_s": first, "compile_s": max(first - med, 0.0), "times_s": times,
          "median_s": med, "min_s": min(times), "max_s": max(times), "result": result}


def measure_interleaved(fns: dict[str, Callable[[], Any]], *, repeats: int = 5,
                        calls_per_turn: int = 1) -> dict[str, dict]:
  """``measure`` for several implementations whose times will be compared, interleaved.

  Each function is called once (its first call timed as ``first_call_s``), then the functions
  take turns, ``repeats`` rounds of one call each. On a shared machine whose speed drifts over
  seconds (measured here: the same solve at 1.7 ms and 3.3 ms a few minutes apart), timing one
  implementation after the other lets the drift decide the ratio; taking turns exposes every
  implementation to the same conditions. For sub-millisecond calls, ``calls_per_turn`` > 1 times
  several calls in a row per turn: a small JAX call right after another library's ran 3× slower
  than in a row (breast-cancer Newton: 1.8 ms against 0.64 ms; the same after a pause), which
  measures waking the thread pool rather than the solver.

  Returns:
    ``{name: measurement}``, each as ``measure`` returns it, plus ``turn_group``: one number
    shared by the implementations timed together, whose ``times_s[i]`` come from the same turn
    (call ``i % calls_per_turn`` of turn ``i // calls_per_turn``), so that their ratio can be
    taken turn by turn (``report.per_turn``).
  """
  out = {}
  group = next(_TURN_GROUPS)
  for name, fn in fns.items():
    t0 = time.perf_counter()
    result = _block(fn())
    out[name] = {"first_call_s": time.perf_counter() - t0, "times_s": [], "result": result,
                 "turn_group": group}
  for _ in range(repeats):
    for name, fn in fns.items():
      for _ in range(calls_per_turn):
        t0 = time.perf_counter()
        _block(fn())
        out[name]["times_s"].append(time.perf_counter() - t0)
  for m in out.values():
    times = m["times_s"]
    m["median_s"] = statistics.median(times)
    m["min_s"], m["max_s"] = min(times), max(times)
    m["compile_s"] = max(m["first_call_s"] - m["median_s"], 0.0)
  return out
