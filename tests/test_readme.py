"""The README's example runs as written, so that it cannot rot."""

import pathlib
import re

import numpy as np

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _example_block() -> str:
  text = README.read_text()
  section = text.split("## Example", 1)[1]
  return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs(capsys):
  namespace = {}
  exec(compile(_example_block(), str(README), "exec"), namespace)
  results = namespace["results"]
  assert results.losses.shape == (32, 300)
  # The sweep crosses 2/λ_max: the largest rates diverge, the smallest do not.
  diverged = np.asarray(results.diverged)
  assert not diverged[0] and diverged[-1]
  assert "make test" in README.read_text() and "make experiments" in README.read_text()
