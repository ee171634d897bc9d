# Every target that runs code installs first, so a fresh clone needs only `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install test lint check bench demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check scraper tests
	$(VENV)/bin/ruff format --check scraper tests
	$(VENV)/bin/mypy

check: lint test

bench: $(STAMP)
	$(PY) tests/bench/run.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache

demo: $(STAMP)
	$(PY) -m tests.demo
