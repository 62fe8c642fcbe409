"""Shared plumbing of the experiments: the result record, figures, timing and the command line."""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import time
from typing import Any, Callable

import jax
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "results"

plt.rcParams.update({
    "figure.dpi": 110, "savefig.dpi": 110, "axes.grid": True, "grid.alpha": 0.3,
    "figure.constrained_layout.use": True, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 8, "font.size": 9,
})


@dataclasses.dataclass
class Section:
  """One topic of the report: a title, the figure(s), a few lines of text and the numbers."""
  key: str
  title: str
  text: str
  figures: list[str]
  metrics: dict[str, Any]


def save_figure(fig, out: pathlib.Path, name: str) -> str:
  """Saves ``fig`` as ``out/figures/name.png`` (tight layout) and returns the relative path."""
  path = out / "figures" / f"{name}.png"
  path.parent.mkdir(parents=True, exist_ok=True)
  fig.savefig(path)
  plt.close(fig)
  return f"figures/{name}.png"


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
  """Runs ``fn`` once, waiting for every array it returns; returns ``(result, seconds)``."""
  start = time.perf_counter()
  out = fn()
  jax.block_until_ready(out)
  return out, time.perf_counter() - start


def to_builtin(x: Any) -> Any:
  """Arrays and numpy scalars → Python floats/ints/lists, for JSON."""
  if isinstance(x, dict):
    return {str(k): to_builtin(v) for k, v in x.items()}
  if isinstance(x, (list, tuple)):
    return [to_builtin(v) for v in x]
  if hasattr(x, "tolist"):
    return x.tolist()
  return x


def fmt(x: Any, digits: int = 4) -> str:
  """A number for the report's tables."""
  if isinstance(x, bool):
    return str(x)
  if isinstance(x, int):
    return str(x)
  if isinstance(x, float):
    return f"{x:.{digits}g}"
  if isinstance(x, (list, tuple)):
    return "[" + ", ".join(fmt(v, digits) for v in x) + "]"
  return str(x)


def write_single(section: Section, out: pathlib.Path) -> None:
  """What one experiment run alone leaves: its metrics and a one-section report."""
  out.mkdir(parents=True, exist_ok=True)
  (out / f"{section.key}.json").write_text(json.dumps(to_builtin(section.metrics), indent=2))
  (out / f"{section.key}.md").write_text(render([section]))


def render(sections: list[Section]) -> str:
  lines = ["# linmodels: the lecture, reproduced", "",
           "Every figure and number below was computed by `linmodels` (`make experiments`); "
           "`metrics.json` holds the same numbers.", ""]
  for i, s in enumerate(sections, 1):
    lines += [f"## {i}. {s.title}", ""]
    lines += [f"![{s.title}]({f})" for f in s.figures] + [""]
    lines += [s.text.strip(), ""]
    lines += ["| quantity | value |", "| --- | --- |"]
    lines += [f"| {k} | {fmt(v)} |" for k, v in s.metrics.items() if not isinstance(v, dict)]
    lines += [""]
  return "\n".join(lines)


def cli(name: str, run: Callable[[pathlib.Path, bool], Section], doc: str) -> None:
  """``python -m experiments.<name> [--quick] [--out DIR]``."""
  parser = argparse.ArgumentParser(prog=f"python -m experiments.{name}", description=doc)
  parser.add_argument("--quick", action="store_true",
                      help="small sizes and few steps (seconds; used by the tests)")
  parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT,
                      help="output folder (figures/ goes inside it); default results/")
  args = parser.parse_args()
  section = run(args.out, args.quick)
  write_single(section, args.out)
  print(f"{section.title}: {len(section.figures)} figure(s) in {args.out / 'figures'}")
  for k, v in section.metrics.items():
    if not isinstance(v, dict):
      print(f"  {k}: {fmt(v)}")
