"""``import linmodels`` stays light: flax is imported only with ``linmodels.flax_interop``."""

import subprocess
import sys

import pytest

import linmodels as lm


def test_flax_is_imported_on_first_use_of_the_interop_module():
  code = ("import sys, linmodels as lm\n"
          "assert 'flax' not in sys.modules, 'import linmodels imported flax'\n"
          "assert lm.flax_interop.__name__ == 'linmodels.flax_interop'\n"
          "assert 'flax' in sys.modules\n")
  subprocess.run([sys.executable, "-c", code], check=True)


def test_every_public_name_resolves_and_unknown_ones_raise():
  for name in lm.__all__:
    assert getattr(lm, name) is not None, name
  with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
    lm.not_a_name  # noqa: B018


def test_all_lists_every_re_exported_name_in_order():
  # The submodules that `from linmodels.x import ...` binds as a side effect are not re-exports;
  # the ones imported by name (and the lazily imported flax_interop) are.
  import types
  implicit = {name for name, value in vars(lm).items()
              if isinstance(value, types.ModuleType) and name not in lm.__all__}
  public = {name for name in vars(lm) if not name.startswith("_")} - implicit
  assert public | {"flax_interop"} == set(lm.__all__)
  assert lm.__all__ == sorted(lm.__all__, key=lambda s: (s.lower(), s))
