# Each target builds the project-local virtual environment it needs from pyproject.toml
# (when it is missing or older than pyproject.toml), then runs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_TEST := $(VENV)/.stamp-test
STAMP_EXP := $(VENV)/.stamp-experiments
STAMP_BENCH := $(VENV)/.stamp-bench

.PHONY: test experiments bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP_TEST): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test]'
	touch $@

$(STAMP_EXP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[experiments]'
	touch $@

# PyTorch is a peer the benchmarks measure where installed. TORCH names the requirement: 2.13.0 is
# the CPU build this machine keeps on disk (elsewhere pip may fetch a CUDA build of several GB);
# `make bench TORCH=` leaves PyTorch out. (Not in the `bench` extra: the torch of a GPU machine
# must not be replaced.)
TORCH ?= torch==2.13.0

$(STAMP_BENCH): pyproject.toml Makefile | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[bench]'
	$(if $(TORCH),$(PY) -c 'import torch' 2>/dev/null || $(PY) -m pip install -q '$(TORCH)')
	touch $@

# Two workers: most of the suite's time is single-threaded XLA compilation.
test: $(STAMP_TEST) $(STAMP_EXP)
	$(PY) -m pytest -q -n 2 --dist loadscope

experiments: $(STAMP_EXP)
	$(PY) -m experiments

bench: $(STAMP_BENCH)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) results benchmarks/out
