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

$(STAMP_BENCH): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[bench]'
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
