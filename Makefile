# The two set-up commands are `make up` (the stack) and `make test` (install + tests).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test lint bench stress clean

$(PY):
	python3 -m venv $(VENV)

# Re-install whenever pyproject.toml changes, so a new dependency never hides.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest

# Every bench/bench_*.py writes its numbers (and charts) into bench/; see bench/RESULTS.md.
bench: install
	@set -e; for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

# Several processes writing through tiny rotation thresholds; see bench/RESULTS.md (stress).
stress: install
	$(PY) bench/stress.py
