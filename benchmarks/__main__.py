"""``make bench``: closed-form against iterative solvers, against the peers and the hardware floor.

Usage: ``python -m benchmarks [--full] [--device cpu|gpu] [--out DIR] [--only PROBLEM ...]
[--repeats N]``.
The quick profile (default) finishes in a few minutes on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import platform
import sys
import time

PROBLEMS = ("floors", "least_squares", "accuracy", "dimension_scaling", "gd_step", "logistic",
            "softmax", "perceptron", "mlp", "sweeps", "sharded", "compile_options",
            "least_squares_mixed", "gram_variants", "gram_paths", "residual_passes")
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _profile(full: bool) -> dict:
  if full:
    return {"ls_sizes": [(1_000_000, 64), (200_000, 256), (20_000, 1024)],
            "ls_scaling": [(10_000, 64), (100_000, 64), (1_000_000, 64)],
            "conds": [1e1, 1e2, 1e3, 1e4], "ds": (20_000, [16, 64, 256, 1024, 2048]),
            "gd": (1_000_000, 64), "logistic": (100_000, 100),
            "softmax": (100_000, 50, 10),
            "perceptron": (100_000, 20), "mlp": (10_000, 32, 256), "sweep": 256, "repeats": 5,
            "sharded": (1_000_003, 64)}
  return {"ls_sizes": [(1_000_000, 64), (200_000, 256), (20_000, 1024)],
          "ls_scaling": [(10_000, 64), (100_000, 64)],
          "conds": [1e1, 1e3, 1e4], "ds": (20_000, [16, 64, 256, 1024]), "gd": (1_000_000, 64),
          "logistic": (100_000, 100),
          "softmax": (20_000, 50, 10),
          "perceptron": (100_000, 20), "mlp": (10_000, 32, 256), "sweep": 256, "repeats": 5,
          "sharded": (200_003, 64)}


def _machine(device: str) -> dict:
  import jax
  import numpy as np
  info = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
          "platform": platform.platform(), "processor": platform.processor(),
          "python": platform.python_version(), "cpu_count": __import__("os").cpu_count(),
          "device": str(jax.devices()[0]), "jax": jax.__version__, "numpy": np.__version__,
          "dtype": "float32", "requested_device": device,
          "thread_waits": {k: __import__("os").environ.get(k)
                           for k in ("OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")}}
  try:
    info["commit"] = __import__("subprocess").run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
        timeout=10).stdout.strip() or None
  except Exception:  # not a git checkout, or no git
    info["commit"] = None
  info.update(_cpu())
  info["gpu_name"] = getattr(jax.devices()[0], "device_kind", None) if device == "gpu" else None
  for mod in ("jaxlib", "optax", "sklearn", "scipy", "statsmodels", "torch"):
    try:
      info[mod] = __import__(mod).__version__
    except ImportError:
      info[mod] = None
  return info


_SIMD = ("avx512f", "avx512_bf16", "amx_tile", "avx2", "fma", "neon", "asimd", "sve")


def _cpu(cpuinfo: str = "/proc/cpuinfo") -> dict:
  """The CPU's model and the vector extensions that decide XLA's and BLAS's speed: runs on two
  2-core machines of this project differed 2.7× in float32 matmul rate (an AVX-512 CPU at 133
  GFLOP/s, an AVX2 AMD EPYC at 49), and targets met on one were not met on the other.
  ``platform.processor()`` is empty on Linux, hence ``/proc/cpuinfo`` where there is one."""
  model, flags = None, set()
  try:
    with open(cpuinfo) as f:
      for line in f:
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and model is None:
          model = value.strip()
        elif key in ("flags", "Features") and not flags:
          flags = set(value.split())
  except OSError:
    pass
  return {"cpu_model": model or platform.processor() or None,
          "cpu_simd": [f for f in _SIMD if f in flags]}


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
  parser.add_argument("--full", action="store_true",
                      help="larger sizes (1M rows in the scaling sweep, d up to 2048, four "
                           "condition numbers, 100k×50 softmax, 1M sharded rows) and every "
                           "fitter's compile time; the quick profile is the default")
  parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                      help="where linmodels and PyTorch run (default cpu; gpu needs a CUDA "
                           "build of jax and adds the GPU-only problems)")
  parser.add_argument("--out", type=pathlib.Path, default=ROOT / "benchmarks" / "out",
                      help="folder for results.json, table.md and the plots "
                           "(default benchmarks/out)")
  parser.add_argument("--only", nargs="*", choices=PROBLEMS, metavar="PROBLEM",
                      help=f"run only these problems, of: {', '.join(PROBLEMS)}")
  parser.add_argument("--repeats", type=int, metavar="N",
                      help="turns of each timed comparison (default 5, on GPU 10): more turns "
                           "firm up the targets' per-turn counts, at a proportional cost")
  parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # the tests' size
  args = parser.parse_args(argv)
  if args.repeats is not None and args.repeats < 1:
    parser.error(f"--repeats must be at least 1, got {args.repeats}")

  import os
  # OpenMP threads (scikit-learn, scipy) spin for a while after each call by default; timed in
  # turns with them, a JAX call right after a peer's ran on a CPU the spinning threads held
  # (breast-cancer Newton: 2.1 ms against 1.0 ms alone). Passive waiting costs the peers nothing
  # measurable here.
  os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
  # numpy's OpenBLAS keeps its own pthreads, which ignore OMP_WAIT_POLICY and spin for 2^28
  # cycles (about 0.1 s) after each call unless told otherwise (2^4 is OpenBLAS's minimum).
  # Timed in turns, a JAX call right after numpy's gradient step ran 59-64 ms instead of
  # 45-47 ms (residual pass at 1M×64, default against OPENBLAS_THREAD_TIMEOUT=4).
  os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
  if args.device == "gpu":  # PyTorch shares the card: JAX must not take 75% of it up front
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
  import jax
  if args.device == "cpu":
    jax.config.update("jax_platforms", "cpu")
  elif jax.default_backend() != "gpu" and not args.tiny:
    parser.error(f"--device gpu: JAX sees no GPU (default backend {jax.default_backend()!r})")
  from benchmarks import gpu, plots, report, suite

  prof = _profile(args.full)
  if args.tiny:
    prof = {"ls_sizes": [(2_000, 8)], "ls_scaling": [(1_000, 8)], "conds": [1e1, 1e3],
            "ds": (1_000, [4, 16]),
            "gd": (2_000, 8), "logistic": (500, 5), "softmax": (300, 4, 3), "perceptron": (300, 3), "mlp": (200, 4, 8),
            "sweep": 8, "repeats": 2, "sharded": (1_003, 4)}
  if args.repeats:
    prof["repeats"] = args.repeats
  wanted = args.only or PROBLEMS
  try:
    from tqdm import tqdm
  except ImportError:  # pragma: no cover
    tqdm = None
  tasks = []
  fl = {}
  mib = 16 if args.tiny else (1024 if args.device == "gpu" else 256)
  tasks.append(("floors", lambda: fl.update(suite.floors(args.device, mib)) or []))
  for n, d in prof["ls_sizes"]:
    tasks.append(("least_squares", lambda n=n, d=d: suite.least_squares(
        n, d, fl, repeats=prof["repeats"])))
  for n, d in prof["ls_scaling"]:
    tasks.append(("least_squares", lambda n=n, d=d: suite.least_squares(
        n, d, fl, repeats=prof["repeats"], methods=("auto", "cholesky", "qr"), peers=True)))
  tasks.append(("accuracy", lambda: suite.accuracy_vs_condition(prof["conds"],
                                                               n=2_000 if args.tiny else 20_000)))
  tasks.append(("dimension_scaling", lambda: suite.dimension_scaling(
      *prof["ds"], repeats=prof["repeats"], gd_steps=200 if args.tiny else 2_000)))
  tasks.append(("gd_step", lambda: suite.gd_step(*prof["gd"], fl, repeats=prof["repeats"])))
  tasks.append(("logistic", lambda: suite.logistic(*prof["logistic"], repeats=prof["repeats"], fl=fl)))
  tasks.append(("logistic", lambda: suite.logistic(0, 0, repeats=max(prof["repeats"], 5), real=True)))
  tasks.append(("softmax", lambda: suite.softmax(*prof["softmax"], repeats=prof["repeats"])))
  tasks.append(("softmax", lambda: suite.softmax(0, 0, 0, repeats=max(prof["repeats"], 5), real=True)))
  tasks.append(("perceptron", lambda: suite.perceptron(*prof["perceptron"], repeats=prof["repeats"])))
  tasks.append(("mlp", lambda: suite.mlp_step(*prof["mlp"], repeats=prof["repeats"])))
  tasks.append(("sweeps", lambda: suite.sweeps(num=prof["sweep"], repeats=prof["repeats"], fl=fl)))
  tasks.append(("sharded", lambda: suite.sharded(*prof["sharded"], repeats=prof["repeats"])))
  # Two fresh processes per fitter: the quick profile times each public fitter with its default
  # method, --full adds lstsq(cholesky), ridge_path and fit_logistic(lbfgs).
  tasks.append(("compile_options", lambda: suite.compile_options(
      *((503, 6) if args.tiny else (30_011, 48)), repeats=prof["repeats"],
      fitters=None if args.full else ("lstsq(auto)", "fit_logistic(newton)", "fit_softmax(lbfgs)",
                                      "fit_perceptron"))))
  if args.device == "gpu":
    g = ({"ls": (2_000, 16), "mixed": (1_024, 64), "gd": (4_096, 64), "sweep": 8, "repeats": 2}
         if args.tiny else
         {"ls": (10_000_000, 128), "mixed": (1_000_000, 1024), "gd": (10_000_000, 64), "sweep": 1024,
          "repeats": 10})
    if args.repeats:
      g["repeats"] = args.repeats
    tasks = [tasks[0],
             ("least_squares", lambda: gpu.least_squares(*g["ls"], fl, repeats=g["repeats"])),
             ("least_squares_mixed", lambda: gpu.least_squares(
                 *g["mixed"], fl, repeats=g["repeats"], problem="least_squares_mixed",
                 methods=("auto", "mixed", "refine", "cholesky"))),
             ("gd_step", lambda: gpu.gd_step(*g["gd"], fl, repeats=g["repeats"])),
             ("gram_paths", lambda: gpu.gram_paths([g["ls"], g["mixed"]], fl, repeats=g["repeats"])),
             ("residual_passes", lambda: gpu.residual_passes(
                 [g["gd"], g["ls"]], fl, repeats=g["repeats"], tuning=not args.tiny)),
             ("gram_variants", lambda: gpu.gram_variants(
                 [g["ls"], g["mixed"], (g["mixed"][0], g["mixed"][1] + 1)], fl, repeats=g["repeats"])),
             ("sweeps", lambda: suite.sweeps(num=g["sweep"], repeats=3, fl=fl))]
  else:
    n, d = prof["ls_sizes"][0]
    tasks.insert(2, ("least_squares", lambda: suite.least_squares_iterative(
        n, d, fl, repeats=prof["repeats"])))
  tasks = [(name, fn) for name, fn in tasks if name in wanted or name == "floors"]

  rows = []
  start = time.perf_counter()
  bar = tqdm(tasks, unit="task", file=sys.stderr) if tqdm else tasks
  for name, fn in bar:
    if tqdm:
      bar.set_description(name)
    rows.extend(fn())
  for r in rows:
    r.pop("result", None)
  result = {"machine": _machine(args.device), "profile": "tiny" if args.tiny else
            ("full" if args.full else "quick"),
            "repeats": g["repeats"] if args.device == "gpu" else prof["repeats"],
            "repeats_option": args.repeats,
            "floors": fl, "rows": rows,
            "total_seconds": time.perf_counter() - start}
  args.out.mkdir(parents=True, exist_ok=True)
  (args.out / "results.json").write_text(json.dumps(result, indent=2, default=float))
  table = report.table(rows)
  print(table)
  print()
  targets = report.targets(result)
  print(report.targets_table(targets))
  (args.out / "table.md").write_text(table + "\n\n" + report.targets_table(targets) + "\n")
  plots.make(result, args.out)
  print(f"\nwrote {args.out / 'results.json'}, table.md and plots in {result['total_seconds']:.0f} s",
        file=sys.stderr)
  return 0


if __name__ == "__main__":
  sys.exit(main())
