# Every target that runs code installs first, so a fresh clone needs only `make test`.
# Another interpreter: `make PYTHON=python3.12 test` (it must be Python 3.11 or newer).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# pyproject.toml's requires-python, and a check that exits non-zero on an older Python.
MIN_PYTHON := 3.11
PY_CHECK   := import sys; sys.exit(sys.version_info < tuple(map(int, "$(MIN_PYTHON)".split("."))))

.PHONY: install test lint check bench demo report-demo clean chromium stress stress-short

# A .venv whose python is missing, broken or too old (made by an old Python, or left by an
# interpreter since removed) would fail every later call: then the stamp is out of date
# whatever its time, and the rule below makes the venv again.
ifneq ($(shell $(PY) -c '$(PY_CHECK)' >/dev/null 2>&1 && echo ok),ok)
.PHONY: $(STAMP)
endif

# PYTHON is checked before it makes a venv, so an old one fails in one clear line rather than
# leaving a venv that pip cannot install into. A working venv is updated with its own python.
$(STAMP): pyproject.toml
	@if ! $(PY) -c '$(PY_CHECK)' >/dev/null 2>&1; then \
	  if ! $(PYTHON) -c '$(PY_CHECK)' >/dev/null 2>&1; then \
	    if ! command -v $(PYTHON) >/dev/null 2>&1; then found="not found"; \
	    else found="$$($(PYTHON) --version 2>/dev/null || echo 'not a working interpreter')"; fi; \
	    echo "make: scraper needs Python $(MIN_PYTHON)+, but PYTHON=$(PYTHON) is $$found;" \
	      "pick another with: make PYTHON=python3.12 $(or $(MAKECMDGOALS),install)" >&2; \
	    exit 1; \
	  fi; \
	  if [ -e $(VENV) ]; then \
	    echo "$(VENV)/ has no working Python $(MIN_PYTHON)+: making it again"; rm -rf $(VENV); \
	  fi; \
	  echo "installing scraper and its tools into $(VENV)/ (first run only, about 20 s)…"; \
	  $(PYTHON) -m venv $(VENV); \
	else \
	  echo "updating $(VENV)/ to pyproject.toml (about 20 s)…"; \
	fi
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP) chromium
	$(PY) -m pytest -q -n auto

# The report's browser test drives Debian's Chromium: installed where it is missing and this
# is a Debian machine run by root (as CI is). Elsewhere that one test skips and says why.
chromium:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 \
	  || { echo "installing Debian's chromium for the browser test (apt-get)…"; \
	       apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	         --no-install-recommends chromium >/dev/null; } \
	  || echo "could not install chromium: the browser test will skip" >&2

lint: $(STAMP)
	$(VENV)/bin/ruff check scraper tests
	$(VENV)/bin/ruff format --check scraper tests
	$(VENV)/bin/mypy

check: lint test

# Crash (kill) trials, network faults, hostile archives, fuzzing, memory, a full disk: then
# the table of what they counted (README: Reliability). Full: several minutes; short: ~2.
stress: $(STAMP)
	$(PY) -m tests.stress.run

stress-short: $(STAMP)
	$(PY) -m tests.stress.run --short

bench: $(STAMP)
	$(PY) tests/bench/run.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache

demo: $(STAMP)
	$(PY) -m tests.demo

# The report of the demo archive (made by `make demo` when missing) and a screenshot of it,
# both in build/; the screenshot needs Chromium (apt-get install chromium).
report-demo: $(STAMP)
	@[ -d build/demo-archive ] || $(MAKE) --no-print-directory demo
	$(PY) -m tests.report_demo
