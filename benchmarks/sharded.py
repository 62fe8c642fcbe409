"""Sharded fits against single-device ones. Run by the suite in a subprocess with 8 simulated CPU
devices (``--xla_force_host_platform_device_count=8``), or directly on a multi-GPU machine:
``python -m benchmarks.sharded [--n N] [--d D]`` prints JSON rows."""

import argparse
import json

import jax
import numpy as np

import linmodels as lm
from linmodels import distributed
from benchmarks._timing import measure


def run(n: int, d: int, repeats: int = 3) -> list[dict]:
  rng = np.random.default_rng(0)
  xs = rng.standard_normal((n, d), dtype=np.float32)
  ys = (xs @ rng.standard_normal(d) + 0.5).astype(np.float32)
  devices = len(jax.devices())
  size = f"{n}x{d}, {devices} devices ({jax.devices()[0].platform})"
  rows = []
  single = jax.jit(lambda x, y: lm.lstsq(x, y, method="cholesky")[0])
  cases = [
      ("sharded_lstsq (shard_map + psum)", lambda: distributed.sharded_lstsq(xs, ys)),
      ("lstsq(cholesky), one device", lambda: single(xs, ys)),
  ]
  gd = lambda x, y: lm.fit_gd(lm.mse_loss, lm.init_linear(d), (x, y), 0.1, num_steps=50).params
  dp = distributed.data_parallel(gd)
  one = jax.jit(gd)
  cases += [("data_parallel fit_gd, 50 steps", lambda: dp(xs, ys)),
            ("fit_gd, 50 steps, one device", lambda: one(xs, ys))]
  for impl, fn in cases:
    m = measure(fn, repeats=repeats)
    rows.append({"problem": "sharded", "size": size, "impl": impl, "median_s": m["median_s"],
                 "min_s": m["min_s"], "max_s": m["max_s"], "compile_s": m["compile_s"],
                 "first_call_s": m["first_call_s"], "times_s": m["times_s"], "rel_error": None,
                 "floor_s": None, "ratio_to_floor": None, "note": ""})
  return rows


if __name__ == "__main__":
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument("--n", type=int, default=1_000_003)
  parser.add_argument("--d", type=int, default=64)
  parser.add_argument("--repeats", type=int, default=3)
  args = parser.parse_args()
  print(json.dumps(run(args.n, args.d, args.repeats)))
