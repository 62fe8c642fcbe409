"""``make experiments``: the lecture reproduced as figures, a report and metrics, in its order.

Usage: ``python -m experiments [--quick] [--out DIR] [--only NAME ...]``.
"""

import argparse
import importlib
import json
import pathlib
import sys
import time

from experiments._common import DEFAULT_OUT, render, to_builtin

# The lecture's order.
EXPERIMENTS = ["galton", "regression_1d", "regression_2d", "normal_vs_gd", "decision_boundaries",
               "perceptron", "sigmoid", "mse_vs_bce", "likelihood", "softmax", "polynomial", "mlp",
               "universal", "sweeps"]


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(prog="python -m experiments", description=__doc__)
  parser.add_argument("--quick", action="store_true", help="small sizes (the tests use this)")
  parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="output folder")
  parser.add_argument("--only", nargs="*", choices=EXPERIMENTS, help="run only these")
  args = parser.parse_args(argv)
  names = args.only or EXPERIMENTS
  try:
    from tqdm import tqdm
  except ImportError:  # pragma: no cover
    tqdm = None
  sections, timings = [], {}
  bar = tqdm(names, unit="experiment", file=sys.stderr) if tqdm else names
  start = time.perf_counter()
  for name in bar:
    if tqdm:
      bar.set_description(name)
    t0 = time.perf_counter()
    module = importlib.import_module(f"experiments.{name}")
    sections.append(module.run(args.out, args.quick))
    timings[name] = time.perf_counter() - t0
    if not tqdm:
      print(f"{name}: {timings[name]:.1f} s", file=sys.stderr)
  args.out.mkdir(parents=True, exist_ok=True)
  metrics = {s.key: s.metrics for s in sections}
  metrics["_run"] = {"quick": args.quick, "seconds": timings,
                     "total_seconds": time.perf_counter() - start}
  (args.out / "metrics.json").write_text(json.dumps(to_builtin(metrics), indent=2))
  (args.out / "report.md").write_text(render(sections))
  print(f"wrote {len(sections)} sections, {sum(len(s.figures) for s in sections)} figures, "
        f"{args.out / 'report.md'} and {args.out / 'metrics.json'} "
        f"in {time.perf_counter() - start:.0f} s")
  return 0


if __name__ == "__main__":
  sys.exit(main())
