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
